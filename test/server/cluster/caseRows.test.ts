/**
 * The case rows a cluster shares in the real PostgreSQL: after events posted to both nodes, supervisors' actions and a
 * merge, PostgreSQL's rows equal each node's own read model row for row (a case's history holding each event once), and
 * the scorecards, the monthly report and a list read from them equal those read from a node's own file;
 * when the writer stops, the other node takes the lease over and carries on from where it stopped, without a seq twice
 * in any history; a deleted space's rows go with its log.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, shanghaiInstant } from '@shared/time';
import { generateEvents } from '../../../simulators/day';
import { openPostgresStore } from '../../../server/store/postgres';
import { pgCaseRows, type PgCaseRows } from '../../../server/cluster/caseRows';
import { CaseQueries } from '../../../server/cases/reads';
import { monthlyReport, monthPeriod, scorecards } from '../../../server/cases/scorecards';
import type { EventStore } from '../../../server/store/types';
import { DEFAULT_CONFIG } from '@shared/config';
import type { CaseQuery } from '@shared/cases/query';
import { createTestDatabase, type TestDatabase } from '../../../harness/postgres';
import { post, removeData, startTestServer, type TestServer } from '../../../harness/server';
import { pollUntil } from '../../fixtures/wallClient';

const FROM = shanghaiInstant('2026-11-20', '00:00');
const END = FROM + 2 * DAY_MS;
const auth = { authorization: 'Bearer supervisor-token', 'content-type': 'application/json' };

/** Every table of the shared rows, read in one order; the `seq` columns left out (each node numbers its own writes). */
const TABLES: Record<string, string> = {
  cases: 'SELECT * FROM cases ORDER BY space, id',
  case_states: 'SELECT space, id, state FROM case_states ORDER BY space, id',
  case_history: 'SELECT space, case_id, seqs FROM case_history ORDER BY space, case_id',
  case_supervisions: 'SELECT space, ts FROM case_supervisions ORDER BY space, ts',
  duty_items: 'SELECT space, id, since, state FROM duty_items ORDER BY space, id',
  duty_handovers: 'SELECT space, id, shift_end, state, record FROM duty_handovers ORDER BY space, id',
  duty_rosters: 'SELECT space, date, shifts FROM duty_rosters ORDER BY space, date',
};

type Rows = Record<string, Record<string, unknown>[]>;

/** A table's rows as plain values: the seq column dropped, histories as sorted seq lists, numbers as numbers. */
function normal(table: string, rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((r) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) {
      if (k === 'seq') continue;
      if (table === 'case_history' && k === 'seqs')
        out[k] = String(v)
          .split(',')
          .map(Number)
          .sort((a, b) => a - b);
      else out[k] = typeof v === 'string' && /^-?\d+$/.test(v) && k !== 'id' && k !== 'date' ? Number(v) : v;
    }
    return out;
  });
}

async function pgRows(url: string): Promise<Rows> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const out: Rows = {};
    for (const [t, sql] of Object.entries(TABLES)) out[t] = normal(t, (await c.query(sql)).rows);
    return out;
  } finally {
    await c.end();
  }
}

function localRows(node: TestServer): Rows {
  node.app.cases.flush();
  const db = new Database(node.app.cases.db.name, { readonly: true });
  try {
    const out: Rows = {};
    for (const [t, sql] of Object.entries(TABLES))
      out[t] = normal(t, db.prepare(sql).all() as Record<string, unknown>[]);
    return out;
  } finally {
    db.close();
  }
}

describe('when two nodes share the case rows in PostgreSQL', () => {
  let db: TestDatabase;
  const rows = new Map<TestServer, PgCaseRows>();
  const stores = new Map<TestServer, EventStore>();
  let a: TestServer;
  let b: TestServer;
  let aStopped = false;
  const now = { value: END };

  const node = async (): Promise<TestServer> => {
    const store = await openPostgresStore({ connectionString: db.url });
    const make = pgCaseRows({ pool: store.pool, connectionString: db.url, intervalMs: 50, leaseRetryMs: 200 });
    let made: PgCaseRows | null = null;
    const n = await startTestServer(END, undefined, now, {
      store,
      // The monitors' passes are made by the test (\`quiet\`): one made on its own between two reads would write items
      // that one side of a comparison has and the other not yet.
      monitorMs: 3_600_000,
      follow: { connectionString: db.url, intervalMs: 100 },
      caseRows: (m) => (made = make(m) as PgCaseRows),
    });
    rows.set(n, made!);
    stores.set(n, store);
    return n;
  };

  /** Both nodes have folded the same log and PostgreSQL's rows stand where they do. */
  const settled = async (nodes: TestServer[], space = 'live') => {
    await pollUntil('the nodes and the shared rows at one position', async () => {
      const seqs = nodes.map((n) => n.app.cases.foldedSeq(space));
      const shared = await rows.get(nodes[0]!)!.position(space);
      return seqs.every((s) => s === seqs[0]) && shared === seqs[0];
    });
  };

  /** The monitors' passes, made until a round of them writes nothing (what time reveals at \`now\` is all in the log). */
  const quiet = async (nodes: TestServer[]) => {
    for (let round = 0; round < 20; round++) {
      const before = nodes.map((n) => n.app.monitor.writtenIn('live'));
      for (const n of nodes) await n.app.monitor.pass();
      if (nodes.every((n, i) => n.app.monitor.writtenIn('live') === before[i])) return;
    }
    throw new Error('the monitors still write after 20 rounds');
  };

  const act = (n: TestServer, id: string, body: Record<string, unknown>) =>
    fetch(`${n.url}/api/v1/cases/${encodeURIComponent(id)}/actions`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ space: 'live', ...body }),
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    a = await node();
    await pollUntil('A writes the shared rows', () => rows.get(a)!.writing);
    b = await node();
    const events = generateEvents({ seed: 7, from: FROM, to: END, casesPerDay: 150 });
    // Half the batches to each node: both write the one log.
    for (let i = 0, k = 0; i < events.length; i += 300, k++) {
      const res = await post((k % 2 ? b : a).url, { space: 'live', events: events.slice(i, i + 300) });
      expect(res.status).toBe(200);
    }
    await quiet([a, b]);
  }, 120_000);

  afterAll(async () => {
    if (!aStopped) await a?.stop();
    await b?.stop();
    for (const s of [a, b]) if (s) removeData(s.dataDir);
    await db.drop();
  });

  it("then PostgreSQL's rows equal each node's own, row for row", async () => {
    // A 督办, a reminder and a merge on B, read back through A.
    const open = a.app.spaces.get('live').projection.open;
    const [x, y, z] = [...open.keys()];
    expect((await act(b, x!, { kind: 'supervise', message: '请今日内办结' })).status).toBe(201);
    expect((await act(b, y!, { kind: 'remind', message: '再次催办' })).status).toBe(201);
    expect((await act(b, z!, { kind: 'merge', masterCaseId: y })).status).toBe(201);
    await settled([a, b]);
    const shared = await pgRows(db.url);

    expect(shared.cases!.length).toBeGreaterThan(200);
    expect(shared.case_supervisions!.length).toBe(1);
    expect(shared.duty_items!.length).toBeGreaterThan(0);
    expect(shared).toEqual(localRows(a));
    expect(shared).toEqual(localRows(b));
    // A's list reads the shared rows: the merged case's master lists it.
    const res = await fetch(`${a.url}/api/v1/cases/${encodeURIComponent(y!)}?space=live`, { headers: auth });
    const detail = (await res.json()) as { duplicates: { id: string }[]; history: { type: string }[] };
    expect(detail.duplicates.map((d) => d.id)).toEqual([z]);
    expect(detail.history.map((h) => h.type).slice(-2)).toEqual(['case.reminded', 'case.merged']);
  });

  it('then the scorecards, the monthly report and the handover records from PostgreSQL equal those from SQLite', async () => {
    await settled([a, b]);
    const own = new CaseQueries(a.app.cases.sql(), stores.get(a)!);
    const shared = a.app.queries;
    expect(shared.sql.dialect.name).toBe('postgres');
    const config = DEFAULT_CONFIG;
    const ctx = a.app.spaces.get('live').projection.ctx;
    const at = END;
    const cards = await scorecards(shared.sql, config, 'live', monthPeriod('2026-11'), at);
    expect(cards.units.some((u) => u.kpis.closureRate !== null)).toBe(true);
    expect(cards).toEqual(await scorecards(own.sql, config, 'live', monthPeriod('2026-11'), at));
    const report = await monthlyReport(shared.sql, ctx, config, 'live', '2026-11', at);
    expect(report.totals.received).toBeGreaterThan(200);
    expect(report.totals.supervised).toBe(1);
    expect(report).toEqual(await monthlyReport(own.sql, ctx, config, 'live', '2026-11', at));
    expect(await shared.handoverRecords('live', undefined, 50)).toEqual(
      await own.handoverRecords('live', undefined, 50),
    );
    const list: CaseQuery = { space: 'live', status: 'all', sort: 'received_desc', page: 1, pageSize: 500, flags: [] };
    expect((await shared.list(list, at)).items).toEqual((await own.list(list, at)).items);
  });

  it('then when the writer stops the other node takes over and carries on, no seq twice in a history', async () => {
    expect(rows.get(a)!.writing).toBe(true);
    expect(rows.get(b)!.writing).toBe(false);
    await a.stop();
    aStopped = true;
    await pollUntil('B writes the shared rows', () => rows.get(b)!.writing);
    now.value = END + DAY_MS / 4;
    const more = generateEvents({ seed: 8, from: END, to: now.value, casesPerDay: 150 });
    for (let i = 0; i < more.length; i += 300)
      expect((await post(b.url, { space: 'live', events: more.slice(i, i + 300) })).status).toBe(200);
    const open = b.app.spaces.get('live').projection.open;
    const last = [...open.keys()].at(-1)!;
    expect((await act(b, last, { kind: 'supervise', message: '督办' })).status).toBe(201);
    await quiet([b]);
    await settled([b]);
    const shared = await pgRows(db.url);
    expect(shared).toEqual(localRows(b));
    expect(shared.case_supervisions!.length).toBe(2);
    for (const h of shared.case_history!) {
      const seqs = h.seqs as number[];
      expect(new Set(seqs).size, String(h.case_id)).toBe(seqs.length);
    }
  });

  it("then a deleted space's rows leave PostgreSQL with its log", async () => {
    const drill = generateEvents({ seed: 9, from: FROM, to: FROM + DAY_MS / 8, casesPerDay: 100 });
    for (let i = 0; i < drill.length; i += 300)
      expect(
        (await post(b.url, { space: 'drill-a', events: drill.slice(i, i + 300) }, 'producer-drill-a')).status,
      ).toBe(200);
    await settled([b], 'drill-a');
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const count = async () =>
        Number((await c.query<{ n: string }>("SELECT count(*) AS n FROM cases WHERE space = 'drill-a'")).rows[0]!.n);
      expect(await count()).toBeGreaterThan(0);
      await b.app.spaces.delete('drill-a');
      expect(await count()).toBe(0);
      // A pass after the deletion writes nothing back.
      await rows.get(b)!.pass();
      expect(await count()).toBe(0);
      expect(await rows.get(b)!.position('drill-a')).toBe(0);
    } finally {
      await c.end();
    }
  });
});
