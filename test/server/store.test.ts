/** The event store's contract, run against both stores: the embedded SQLite file and PostgreSQL. */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '@shared/events';
import { openPostgresStore } from '../../server/store/postgres';
import { openSqliteStore } from '../../server/store/sqlite';
import type { EventStore, QuarantineEntry } from '../../server/store/types';
import { T0, caseEvent, received } from '../fixtures/events';
import { createTestDatabase, type TestDatabase } from '../../harness/postgres';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

/** Data folders of the SQLite file stores the tests open, removed at the end. */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
/** A SQLite store on a file, as the server runs it: its long reads (four pages or more to go) are made on a thread of their own. */
function sqliteOnFile(): EventStore {
  const dir = mkdtempSync(path.join(tmpdir(), 'cityops-store-'));
  dirs.push(dir);
  return openSqliteStore({ dataDir: dir });
}

const stores: [string, () => Promise<EventStore>][] = [
  ['SQLite', async () => openSqliteStore({ dataDir: ':memory:' })],
  ['SQLite file', async () => sqliteOnFile()],
  ['PostgreSQL', async () => openPostgresStore({ connectionString: db.url })],
];

const ev = (e: unknown) => e as DomainEvent;

async function all(store: EventStore, space: string, chunk = 2, after = 0) {
  const seqs: number[] = [];
  const ids: string[] = [];
  for await (const c of store.readWithSeqs(space, chunk, after)) {
    seqs.push(...c.seqs);
    ids.push(...c.events.map((e) => e.eventId));
  }
  return { seqs, ids };
}

describe.each(stores)('the %s event store', (name, open) => {
  let store: EventStore;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(async () => {
    await store.close();
  });

  it('when batches are appended, then each event gets a growing seq and reads back in order, from any position', async () => {
    const a = [received('s1'), received('s2'), received('s3')].map(ev);
    const b = [caseEvent('case.dispatched', 's1', T0 + 1000, { unit: 'st-guanshan' })].map(ev);
    const sa = await store.append('drill-st', a, []);
    const sb = await store.append('drill-st', b, []);
    expect(sa).toHaveLength(3);
    expect([...sa].sort((x, y) => x - y)).toEqual(sa);
    expect(sb[0]).toBeGreaterThan(sa[2]!);
    const read = await all(store, 'drill-st');
    expect(read.ids).toEqual([...a, ...b].map((e) => e.eventId));
    expect(read.seqs).toEqual([...sa, ...sb]);
    expect((await all(store, 'drill-st', 2, sa[1]!)).ids).toEqual([a[2]!.eventId, b[0]!.eventId]);
    expect(await store.count('drill-st')).toBe(4);
    expect(await store.countAfter('drill-st', sa[0]!)).toBe(3);
    // Where the store answers without a scan (SQLite's seqs run without gaps), it answers the same as the counts.
    expect(store.extentAfter === undefined).toBe(name === 'PostgreSQL');
    if (store.extentAfter) {
      expect(await store.extentAfter('drill-st', 0)).toBe(4);
      expect(await store.extentAfter('drill-st', sa[0]!)).toBe(3);
      expect(await store.extentAfter('drill-st', sb[0]!)).toBe(0);
      expect(await store.extentAfter('drill-none', 0)).toBe(0);
    }
    expect((await store.readSeqs('drill-st', [sa[1]!, 999_999_999, sb[0]!])).map((r) => r.event.eventId)).toEqual([
      a[1]!.eventId,
      b[0]!.eventId,
    ]);
    expect(await store.hasEventId('drill-st', a[0]!.eventId)).toBe(true);
    expect(await store.hasEventId('drill-st', 'nope')).toBe(false);
    expect(await store.spaces()).toContain('drill-st');
  });

  it('when a batch of hundreds is appended after a short one, then every event has its own seq and reads back by it', async () => {
    const first = [received('big-0')].map(ev);
    // 150 events: more than two of the SQLite store's 64-row statements, and a remainder written a row at a time.
    const big = Array.from({ length: 150 }, (_, i) => ev(received(`big-${i + 1}`, { title: `题 ${i + 1}` })));
    const [s0] = await store.append('drill-big', first, []);
    const seqs = await store.append('drill-big', big, []);
    expect(seqs).toHaveLength(150);
    expect(new Set(seqs).size).toBe(150);
    expect(seqs[0]).toBeGreaterThan(s0!);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
    const read = await all(store, 'drill-big', 40);
    expect(read.seqs).toEqual([s0, ...seqs]);
    expect(read.ids).toEqual([...first, ...big].map((e) => e.eventId));
    // Each seq names its own event, in every part of the batch.
    const probe = [0, 63, 64, 127, 128, 149].map((i) => seqs[i]!);
    expect((await store.readSeqs('drill-big', probe)).map((r) => (r.event as { title?: string }).title)).toEqual(
      [1, 64, 65, 128, 129, 150].map((n) => `题 ${n}`),
    );
    // A repeated id inside a full statement fails the whole batch and keeps none of it.
    const again = Array.from({ length: 70 }, (_, i) => ev(received(`big-again-${i}`)));
    again[30] = big[5]!;
    await expect(store.append('drill-big', again, [])).rejects.toThrow();
    expect(await store.count('drill-big')).toBe(151);
    expect(await store.hasEventId('drill-big', 'big-again-0')).toBe(false);
  });

  it("when a citizen's text holds a NUL, quotes, backslashes, emoji and lone surrogates, then it reads back exactly as sent", async () => {
    const title = 'a\u0000b "q" \\ 路面\ud83d\ude00 \ud800 \u2028 end';
    const e = ev(received('s-text', { title }));
    const [seq] = await store.append('drill-text', [e], []);
    const [back] = await store.readSeqs('drill-text', [seq!]);
    expect(back!.event).toEqual(JSON.parse(JSON.stringify(e)));
    expect((back!.event as { title?: string }).title).toBe(title);
  });

  it('when an event id is appended twice to a space, then the second append fails and nothing of its batch is kept', async () => {
    const first = ev(received('u1'));
    await store.append('drill-dup', [first], []);
    const other = ev(received('u2'));
    await expect(store.append('drill-dup', [other, first], [])).rejects.toThrow();
    expect((await all(store, 'drill-dup')).ids).toEqual([first.eventId]);
    // The same id in another space is another event.
    await store.append('drill-dup2', [first], []);
    expect(await store.count('drill-dup2')).toBe(1);
  });

  it('when a write runs, then it sees the tail after its position and its appends are durable when it resolves', async () => {
    const e1 = ev(received('w1'));
    const [s1] = await store.append('drill-w', [e1], []);
    const e2 = ev(received('w2'));
    const seqs = await store.write('drill-w', 0, async (w) => {
      expect(w.tail.seqs.length === 0 || w.tail.seqs[0] === s1).toBe(true);
      return w.append([e2], []);
    });
    expect(seqs[0]).toBeGreaterThan(s1!);
    expect((await all(store, 'drill-w')).ids).toEqual([e1.eventId, e2.eventId]);
    // A write whose work throws before it appends keeps nothing.
    const e3 = ev(received('w3'));
    await expect(
      store.write('drill-w', seqs[0]!, async () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await store.hasEventId('drill-w', e3.eventId)).toBe(false);
  });

  it('when events are quarantined, then every one is kept, the newest listed first, and counted per space', async () => {
    const q = (i: number): QuarantineEntry => {
      const e = ev(caseEvent('case.signed', `q${i}`, T0 + i));
      return {
        space: 'drill-q',
        receivedAt: T0 + i,
        eventId: e.eventId,
        type: e.type,
        reason: `reason ${i}`,
        event: e,
      };
    };
    for (let i = 0; i < 5; i++) await store.append('drill-q', [], [q(i)]);
    const list = await store.listQuarantine('drill-q', 10, 0);
    expect(list.total).toBe(5);
    expect(list.items.map((i) => i.reason)).toEqual(['reason 4', 'reason 3', 'reason 2', 'reason 1', 'reason 0']);
    expect((await store.listQuarantine('drill-q', 2, 1)).items.map((i) => i.reason)).toEqual(['reason 3', 'reason 2']);
    expect((await store.quarantineCounts())['drill-q']).toBe(5);
  });

  it('when an event is in quarantine, then the store finds it by its id and its whole body, in its own space only', async () => {
    const e = ev(caseEvent('case.replied', 'qd-ghost', T0, { reply: '已处理 "引号" \\ \u0000 end' }));
    const entry = (event: DomainEvent, reason: string): QuarantineEntry => ({
      space: 'drill-qd',
      receivedAt: T0,
      eventId: event.eventId,
      type: event.type,
      reason,
      event,
    });
    expect(await store.hasQuarantined('drill-qd', e)).toBe(false);
    await store.append('drill-qd', [], [entry(e, 'case qd-ghost does not exist')]);
    expect(await store.hasQuarantined('drill-qd', e)).toBe(true);
    // The same event as a producer sends it again: parsed from the wire, another object with the same content.
    expect(await store.hasQuarantined('drill-qd', ev(JSON.parse(JSON.stringify(e))))).toBe(true);
    // The same id with another body is other evidence; the same event in another space is not there.
    const other = ev({ ...e, reply: '另一条答复' });
    expect(await store.hasQuarantined('drill-qd', other)).toBe(false);
    expect(await store.hasQuarantined('drill-qd2', e)).toBe(false);
    // Being in quarantine is not being in the log.
    expect(await store.hasEventId('drill-qd', e.eventId)).toBe(false);
    await store.deleteSpace('drill-qd');
    expect(await store.hasQuarantined('drill-qd', e)).toBe(false);
  });

  it('when a space is deleted, then its log and quarantine are gone and a new log of that name starts empty', async () => {
    await store.append('drill-del', [ev(received('d1'))], []);
    await store.deleteSpace('drill-del');
    expect(await store.spaces()).not.toContain('drill-del');
    expect(await store.count('drill-del')).toBe(0);
    // Reads of the deleted space answer empty and bring no log of it back.
    expect(await store.readSeqs('drill-del', [1])).toEqual([]);
    expect(await store.hasEventId('drill-del', 'd1')).toBe(false);
    expect((await all(store, 'drill-del')).ids).toEqual([]);
    expect(await store.countAfter('drill-del', 0)).toBe(0);
    expect(await store.spaces()).not.toContain('drill-del');
    const again = ev(received('d1'));
    await store.append('drill-del', [again], []);
    expect((await all(store, 'drill-del')).ids).toEqual([again.eventId]);
  });
});

/** A quarantined event as a row of the quarantine table, received at `at`. */
function quarantineRow(e: DomainEvent, at: number): [string, number, string, string, string, string] {
  return [
    'drill-old',
    at,
    e.eventId,
    e.type,
    `case ${String((e as { caseId?: string }).caseId)} does not exist`,
    JSON.stringify(e),
  ];
}

describe('the SQLite event store', () => {
  const many = (space: string, n: number) =>
    Array.from({ length: n }, (_, i) => ev({ ...received(`${space}-${i}`), title: `第${i}件 "引号" \\ 😀` }));

  it('when a long log on a file is read, then the reading thread gives every event and seq in order, from any position', async () => {
    const store = sqliteOnFile();
    try {
      const events = many('long', 203);
      const seqs = [
        ...(await store.append('drill-long', events.slice(0, 100), [])),
        ...(await store.append('drill-long', events.slice(100), [])),
      ];
      const whole = await all(store, 'drill-long', 7);
      expect(whole.seqs).toEqual(seqs);
      expect(whole.ids).toEqual(events.map((e) => e.eventId));
      const bodies: DomainEvent[] = [];
      for await (const c of store.readWithSeqs('drill-long', 7, seqs[150]!)) bodies.push(...c.events);
      expect(bodies).toEqual(events.slice(151));
      // A page size that leaves fewer than four pages is read on this thread, the same.
      expect((await all(store, 'drill-long', 100, seqs[10]!)).seqs).toEqual(seqs.slice(11));
    } finally {
      await store.close();
    }
  });

  it('when events are written to a file, then its WAL is copied into the file by the checkpointer thread, not by the writer', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cityops-store-'));
    const store = openSqliteStore({ dataDir: dir });
    try {
      const file = path.join(dir, 'events.sqlite');
      const before = statSync(file).size;
      // About 1 MB: some 250 pages, fewer than any automatic checkpoint of the writer (SQLite's default is 1,000).
      await store.append('drill-wal', many('wal', 1_500), []);
      const deadline = Date.now() + 5_000;
      while (statSync(file).size < before + 256 * 1024 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(statSync(file).size).toBeGreaterThanOrEqual(before + 256 * 1024);
      expect((await all(store, 'drill-wal', 500)).ids).toHaveLength(1_500);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when a script leaves a file store open and a read suspended, then it still exits, after every read it waited for', () => {
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'leaveStoreOpen.ts');
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 });
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe('read 100');
  });

  it('when a long read is stopped after its first page, then the next read starts again from its own position', async () => {
    const store = sqliteOnFile();
    try {
      const seqs = await store.append('drill-stop', many('stop', 60), []);
      for await (const c of store.readWithSeqs('drill-stop', 5)) {
        expect(c.seqs).toEqual(seqs.slice(0, 5));
        break;
      }
      expect((await all(store, 'drill-stop', 5, seqs[29]!)).seqs).toEqual(seqs.slice(30));
    } finally {
      await store.close();
    }
  });

  it("when a space's log is dropped while the reading thread reads it, then the read fails naming the table and the file", async () => {
    const store = sqliteOnFile();
    try {
      await store.append('drill-gone', many('gone', 200), []);
      let read = 0;
      const reading = (async () => {
        for await (const c of store.readWithSeqs('drill-gone', 5)) {
          read += c.events.length;
          // The first page is read here, the rest by the thread: the log goes once the thread reads.
          if (read === 10) await store.deleteSpace('drill-gone');
        }
      })();
      await expect(reading).rejects.toThrow(/reading log_drill_gone of .*events\.sqlite after seq \d+: no such table/);
      expect(read).toBeLessThan(200);
    } finally {
      await store.close();
    }
  });

  it('when a file written before quarantine repeats were recognised holds a repeat, then it opens with both rows and finds the event', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cityops-store-'));
    try {
      // The tables as the version before wrote them, with one producer's retry stored twice.
      const old = new Database(path.join(dir, 'events.sqlite'));
      old.exec(`CREATE TABLE spaces (name TEXT PRIMARY KEY);
        CREATE TABLE quarantine (id INTEGER PRIMARY KEY, space TEXT NOT NULL, received_at INTEGER NOT NULL,
          event_id TEXT NOT NULL, type TEXT NOT NULL, reason TEXT NOT NULL, body TEXT NOT NULL);
        CREATE INDEX quarantine_space ON quarantine (space, id);`);
      const e = ev(caseEvent('case.replied', 'old-ghost', T0));
      const insert = old.prepare(
        'INSERT INTO quarantine (space, received_at, event_id, type, reason, body) VALUES (?, ?, ?, ?, ?, ?)',
      );
      insert.run(...quarantineRow(e, T0));
      insert.run(...quarantineRow(e, T0 + 1000));
      old.close();
      const store = openSqliteStore({ dataDir: dir });
      try {
        expect((await store.listQuarantine('drill-old', 10, 0)).items.map((i) => i.receivedAt)).toEqual([
          T0 + 1000,
          T0,
        ]);
        expect(await store.hasQuarantined('drill-old', e)).toBe(true);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the PostgreSQL event store', () => {
  it('when a database of the schema before holds a quarantine repeat, then it migrates, keeps both rows and finds the event', async () => {
    const own = await createTestDatabase();
    try {
      await (await openPostgresStore({ connectionString: own.url })).close();
      // Back to the schema before (the index finding quarantined events is the newest step), with a retry stored twice.
      const e = ev(caseEvent('case.replied', 'old-ghost', T0));
      const c = new pg.Client({ connectionString: own.url });
      await c.connect();
      try {
        await c.query('DROP INDEX quarantine_event');
        await c.query('UPDATE cityops_schema SET version = version - 1');
        for (const at of [T0, T0 + 1000])
          await c.query(
            'INSERT INTO quarantine (space, received_at, event_id, type, reason, body) VALUES ($1, $2, $3, $4, $5, $6)',
            quarantineRow(e, at),
          );
      } finally {
        await c.end();
      }
      const store = await openPostgresStore({ connectionString: own.url });
      try {
        expect((await store.listQuarantine('drill-old', 10, 0)).items.map((i) => i.receivedAt)).toEqual([
          T0 + 1000,
          T0,
        ]);
        expect(await store.hasQuarantined('drill-old', e)).toBe(true);
        const { rows } = await store.pool.query<{ n: string }>(
          "SELECT count(*) AS n FROM pg_indexes WHERE tablename = 'quarantine' AND indexname = 'quarantine_event'",
        );
        expect(rows[0]?.n).toBe('1');
      } finally {
        await store.close();
      }
    } finally {
      await own.drop();
    }
  });

  it('when a write fails after its append (the commit does not happen), then nothing of it is in the log', async () => {
    const store = await openPostgresStore({ connectionString: db.url });
    try {
      const e = ev(received('rb1'));
      await expect(
        store.write('drill-rb', 0, async (w) => {
          await w.append([e], []);
          throw new Error('lost before commit');
        }),
      ).rejects.toThrow('lost before commit');
      expect(await store.hasEventId('drill-rb', e.eventId)).toBe(false);
      expect(await store.count('drill-rb')).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('when two writers of one space run at once, then the second sees the first in its tail and the seqs follow commit order', async () => {
    const a = await openPostgresStore({ connectionString: db.url });
    const b = await openPostgresStore({ connectionString: db.url });
    try {
      let release!: () => void;
      const held = new Promise<void>((r) => {
        release = r;
      });
      const e1 = ev(received('cc1'));
      const e2 = ev(received('cc2'));
      const first = a.write('drill-cc', 0, async (w) => {
        await held;
        return w.append([e1], []);
      });
      await new Promise((r) => setTimeout(r, 100));
      let tail: string[] = [];
      const second = b.write('drill-cc', 0, async (w) => {
        tail = w.tail.events.map((e) => e.eventId);
        return w.append([e2], []);
      });
      await new Promise((r) => setTimeout(r, 100));
      release();
      const [s1, s2] = await Promise.all([first, second]);
      expect(tail).toEqual([e1.eventId]);
      expect(s2[0]).toBeGreaterThan(s1[0]!);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
