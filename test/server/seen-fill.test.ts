/**
 * A start that folds a long log with no checkpoint is ready before its dedupe filter is: a thread fills the filter from
 * the log's index afterwards. Meanwhile every lookup answers "maybe" (each new event is asked of the log's index, so a
 * logged one is still a duplicate), `/readyz` says the filter is filling, and no checkpoint is made (it would carry a
 * filter without the log's ids); once the thread is done the filter holds every id of the log and checkpoints resume.
 * Should the thread fail, the ids are read on the main thread instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../server/app';
import { TokenRegistry } from '../../server/auth/tokens';
import { openSqliteStore } from '../../server/store/sqlite';
import type { EventStore } from '../../server/store/types';
import { DEFAULT_CONFIG } from '@shared/config';
import type { DomainEvent } from '@shared/events';
import { T0 } from '../fixtures/events';
import { TOKENS } from '../../harness/server';
import { memoryLog, type MemoryLog } from '../fixtures/logs';

const SPACE = 'drill-fill';
const LOGGED = 60_000;
const ticks = (n: number, prefix: string, from = 0): DomainEvent[] =>
  Array.from({ length: n }, (_, i) => ({ type: 'clock.tick', eventId: `${prefix}-${i}`, ts: T0 + (from + i) * 1_000 }));

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A data dir whose log holds `LOGGED` ticks of the space, and no checkpoint. */
async function loggedDir(): Promise<{ dir: string; events: DomainEvent[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cityops-seen-fill-'));
  dirs.push(dir);
  const store = openSqliteStore({ dataDir: dir });
  const events = ticks(LOGGED, 'logged');
  for (let i = 0; i < events.length; i += 10_000) await store.append(SPACE, events.slice(i, i + 10_000), []);
  await store.close();
  return { dir, events };
}

function start(dir: string, fillSeen: (inner: EventStore) => EventStore['fillSeen'], logs?: MemoryLog): App {
  const inner = openSqliteStore({ dataDir: dir });
  return createApp({
    store: { ...inner, fillSeen: fillSeen(inner) },
    ...(logs ? { logger: logs.log } : {}),
    config: DEFAULT_CONFIG,
    tokens: new TokenRegistry(TOKENS),
    caseDbFile: path.join(dir, 'cases.sqlite'),
    now: () => T0 + (LOGGED + 3_600) * 1_000,
    monitorMs: 3_600_000,
  });
}

/** A promise the test resolves when it chooses (`release`). */
function gated(): { gate: Promise<void>; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return { gate, release };
}

function checkpoints(app: App): number {
  app.cases.flush();
  return app.cases.db.prepare('SELECT count(*) FROM checkpoints WHERE space = ?').pluck().get(SPACE) as number;
}

describe('when a long log is folded with no checkpoint and its filter is filled afterwards', () => {
  let app: App;
  const { gate, release } = gated();
  let events: DomainEvent[] = [];
  afterAll(async () => {
    release();
    await app?.close();
  });

  it('then the space is ready while the thread waits, and says so on /readyz', async () => {
    const logged = await loggedDir();
    events = logged.events;
    app = start(logged.dir, (inner) => async (space, seen) => {
      await gate;
      return inner.fillSeen!(space, seen);
    });
    await app.ready;
    const [r] = await app.restored;
    expect(r?.from).toBe('log');
    expect(r?.folded).toBe(LOGGED);
    const seen = app.spaces.get(SPACE).seen;
    expect(seen.isFilling).toBe(true);
    expect(seen.mightHave('never-logged')).toBe(true);
    expect(() => seen.shape()).toThrow(/still being filled/);
    const addr = await app.listen(0, '127.0.0.1');
    const body = (await (await fetch(`http://127.0.0.1:${addr.port}/readyz`)).json()) as {
      ready: boolean;
      spaces: { space: string; dedupeFilter?: string }[];
    };
    expect(body.ready).toBe(true);
    expect(body.spaces.find((s) => s.space === SPACE)?.dedupeFilter).toBe('filling');
  });

  it('then a logged event sent again meanwhile is still a duplicate, and a new one is taken', async () => {
    const r = await app.ingest.ingest(SPACE, [events[123]!, events[LOGGED - 1]!, ...ticks(1, 'new', LOGGED)]);
    expect({ accepted: r.accepted, duplicate: r.duplicate }).toEqual({ accepted: 1, duplicate: 2 });
  });

  it('then no checkpoint is made until the filter is complete, and one is after', async () => {
    await app.monitor.checkpointAll();
    expect(checkpoints(app)).toBe(0);
    release();
    await app.spaces.filled();
    const seen = app.spaces.get(SPACE).seen;
    expect(seen.isFilling).toBe(false);
    expect(events.every((e) => seen.mightHave(e.eventId))).toBe(true);
    expect(seen.mightHave('new-0')).toBe(true);
    expect(seen.shape()).toMatchObject({ stages: [26], lastIds: LOGGED + 1 });
    // Of 1,000 ids never sent, a filter of 60,001 ids in 2^26 bits answers "maybe" to next to none.
    const never = Array.from({ length: 1_000 }, (_, i) => `never-${i}`).filter((id) => seen.mightHave(id));
    expect(never.length).toBeLessThan(5);
    await app.monitor.checkpointAll();
    expect(checkpoints(app)).toBe(1);
  });
});

/**
 * The store's fill as given, except that without `here` it fails: by a rejection, or (`thrown`) by a throw before it
 * returns a promise. Counts the fills asked on the main thread.
 */
function failingThread(thrown: boolean): { fill: (inner: EventStore) => EventStore['fillSeen']; here: () => number } {
  let here = 0;
  const fill =
    (inner: EventStore): EventStore['fillSeen'] =>
    (space, seen, opts) => {
      if (opts?.here) {
        here++;
        return inner.fillSeen!(space, seen, opts);
      }
      if (thrown) throw new Error('no thread for the filter (thrown)');
      return Promise.reject(new Error('no thread for the filter'));
    };
  return { fill, here: () => here };
}

describe("when the filter's thread fails", () => {
  for (const thrown of [false, true])
    it(`then the log's ids are read on the main thread and the filter is complete all the same (${thrown ? 'a throw at once' : 'a rejection'})`, async () => {
      const { dir, events } = await loggedDir();
      const logs = memoryLog();
      const failing = failingThread(thrown);
      const app = start(dir, failing.fill, logs);
      try {
        await app.ready;
        await app.spaces.filled();
        const seen = app.spaces.get(SPACE).seen;
        expect(seen.isFilling).toBe(false);
        expect(failing.here()).toBe(1);
        // 60,000 ids: six ranges of 10,000 read on the main thread, every one of them in the filter.
        expect(events.every((e) => seen.mightHave(e.eventId))).toBe(true);
        expect(seen.mightHave('never-logged')).toBe(false);
        const warned = logs.lines.find((l) => l.level === 'warn' && String(l.msg).includes('read on the main thread'));
        expect(warned?.msg).toContain(thrown ? 'no thread for the filter (thrown)' : 'no thread for the filter');
        const done = logs.lines.find((l) => String(l.msg).startsWith(`the dedupe filter of ${SPACE} is complete`));
        expect(done?.ids).toBe(LOGGED);
        const r = await app.ingest.ingest(SPACE, [events[42]!]);
        expect(r.duplicate).toBe(1);
      } finally {
        await app.close();
      }
    });
});

describe('when the server stops while the filter is still being filled', () => {
  it('then the stop waits for it and leaves a checkpoint', async () => {
    const { dir } = await loggedDir();
    const { gate, release } = gated();
    const app = start(dir, (inner) => async (space, seen) => {
      await gate;
      return inner.fillSeen!(space, seen);
    });
    await app.ready;
    expect(app.spaces.get(SPACE).seen.isFilling).toBe(true);
    // The fill goes on only once the stop waits for it: a stop that did not wait would find the filter filling and
    // leave no checkpoint.
    const waitFor = app.spaces.filled.bind(app.spaces);
    app.spaces.filled = () => {
      release();
      return waitFor();
    };
    await app.close();
    const again = start(dir, (inner) => inner.fillSeen);
    try {
      await again.ready;
      const [r] = await again.restored;
      expect(r?.from).toBe('checkpoint');
      expect(again.spaces.get(SPACE).seen.isFilling).toBe(false);
    } finally {
      await again.close();
    }
  });
});

describe('when the space is deleted while its filter is being filled and the thread then fails', () => {
  it('then the filter is left alone and the deleted log is not read (nor made again)', async () => {
    const { dir } = await loggedDir();
    const { gate, release } = gated();
    let failed: Promise<unknown> = Promise.resolve();
    const app = start(dir, () => () => {
      const fill = gate.then(() => {
        throw new Error('no thread for the filter');
      });
      failed = fill.catch(() => undefined);
      return fill;
    });
    try {
      await app.ready;
      const old = app.spaces.get(SPACE).seen;
      expect(old.isFilling).toBe(true);
      await app.spaces.delete(SPACE);
      release();
      await app.spaces.filled();
      // The registry hears of the failure after the fill's own promise settles: one turn of the loop later.
      await failed;
      await new Promise((resolve) => setImmediate(resolve));
      expect(old.isFilling).toBe(true);
    } finally {
      await app.close();
    }
    const store = openSqliteStore({ dataDir: dir });
    try {
      expect(await store.spaces()).not.toContain(SPACE);
    } finally {
      await store.close();
    }
  });
});
