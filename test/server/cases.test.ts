/**
 * The late-case list against a brute force over generated data: every filter, sort and page, the total, and the
 * wall's overdue figure for the same filters. Then one case's history and the actions a supervisor takes. All of it
 * twice: on one node's SQLite read model, and on a cluster of two nodes where the events are posted to one and the
 * lists read from the other, out of the case rows in PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseDetail, CaseList, CaseQuery, Lateness } from '@shared/cases/query';
import { runningClocks, type CaseState } from '@shared/cases/state';
import type { ClockId } from '@shared/domain';
import { clockStatus, type ClockThresholds, type SlaEnv } from '@shared/sla/deadline';
import { scanLate } from '@shared/projection/late';
import { applyEvent } from '@shared/projection/apply';
import { createProjection } from '@shared/projection/state';
import { DEFAULT_CONFIG } from '@shared/config';
import { validateEvent, type DomainEvent } from '@shared/events';
import { projectionContext } from '../../server/app';
import { HOUR_MS, MINUTE_MS, shanghaiInstant } from '@shared/time';
import { generateEvents } from '../../simulators/day';
import { post, removeData, startTestServer, type TestServer } from '../../harness/server';
import { createTestDatabase, type TestDatabase } from '../../harness/postgres';
import { openPostgresStore } from '../../server/store/postgres';
import { pgCaseRows } from '../../server/cluster/caseRows';

const FROM = shanghaiInstant('2026-11-19', '00:00');
const END = shanghaiInstant('2026-11-23', '15:00');
/** Lateness is judged the next morning, when many of the open cases have fallen late. */
const NOW = shanghaiInstant('2026-11-24', '10:00');
let server: TestServer;

const auth = { authorization: 'Bearer supervisor-token' };
async function list(params: Record<string, string>): Promise<CaseList> {
  const res = await fetch(`${server.url}/api/v1/cases?${new URLSearchParams(params)}`, { headers: auth });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as CaseList;
}

let oracle: CaseState[] = [];

/** Every case as an independent fold of the posted events says it is (the server's projection keeps only open ones). */
function cases(): CaseState[] {
  return oracle;
}

function foldAll(events: readonly DomainEvent[]): CaseState[] {
  const p = createProjection('live', projectionContext(DEFAULT_CONFIG));
  for (const e of events) applyEvent(p, e);
  return [...p.cases.values()];
}

/**
 * The oracle: a case's lateness at `now` judged from first principles — each running clock's colour by `clockStatus`
 * (the used fraction of its allowed time, computed at `now`), the worst clock winning, the nearest deadline among
 * equals. It never reads the stored marks, `riskAt`, `LATENESS_TESTS` or `latenessAt`, so a wrong at-risk instant, a
 * wrong range test or a wrong SQL translation of one makes the list disagree with it.
 */
function latenessOf(
  c: CaseState,
  now: number,
  env: SlaEnv,
  t: ClockThresholds,
  clock?: ClockId,
): { lateness: Lateness; clock: ClockId | null; deadline: number | null } {
  if (c.stage === 'closed' || c.stage === 'merged') return { lateness: 'closed', clock: null, deadline: null };
  let worst: { lateness: Lateness; clock: ClockId | null; deadline: number | null } = {
    lateness: 'ok',
    clock: null,
    deadline: null,
  };
  const rank = { ok: 0, at_risk: 1, overdue: 2, closed: -1 } as const;
  for (const r of runningClocks(c)) {
    if (clock && r.id !== clock) continue;
    const s = clockStatus(env, r.clock.limit, r.clock.start, r.clock.deadline, now, t);
    const lateness: Lateness = s === 'overdue' ? 'overdue' : s === 'at_risk' ? 'at_risk' : 'ok';
    const better =
      rank[lateness] > rank[worst.lateness] ||
      (rank[lateness] === rank[worst.lateness] && (worst.deadline === null || r.clock.deadline < worst.deadline));
    if (better) worst = { lateness, clock: r.id, deadline: r.clock.deadline };
  }
  return worst;
}

/** The brute-force answer: every case, lateness judged by the oracle, filtered, sorted most overdue first. */
function brute(q: Partial<CaseQuery>): CaseState[] {
  const p = server.app.spaces.get('live').projection;
  const env = p.ctx.lifecycle.env;
  const out: { c: CaseState; deadline: number }[] = [];
  for (const c of cases()) {
    const l = latenessOf(c, NOW, env, p.ctx.thresholds, q.clock);
    const status = q.status ?? 'late';
    if (status === 'late' && l.lateness !== 'overdue' && l.lateness !== 'at_risk') continue;
    if (status === 'overdue' && l.lateness !== 'overdue') continue;
    if (status === 'at_risk' && l.lateness !== 'at_risk') continue;
    if (q.street && c.street !== q.street) continue;
    if (q.unit && c.unit !== q.unit) continue;
    if (q.channel && c.channel !== q.channel) continue;
    if (q.type && c.caseType !== q.type) continue;
    if (q.urgency && c.urgency !== q.urgency) continue;
    if (q.category && c.category !== q.category) continue;
    if (q.flags && !q.flags.every((f) => c.flags.includes(f))) continue;
    if (
      q.overdueBy !== undefined &&
      !(l.lateness === 'overdue' && l.deadline !== null && NOW - l.deadline > q.overdueBy * MINUTE_MS)
    )
      continue;
    if (q.from !== undefined && c.receivedAt < q.from) continue;
    if (q.to !== undefined && c.receivedAt >= q.to) continue;
    // Sort key: the nearest running deadline over the chosen clock(s).
    let deadline = Infinity;
    for (const k of ['sign', 'handle', 'callback'] as const) {
      if (q.clock && k !== q.clock) continue;
      const clk = c[k];
      if (clk && clk.stoppedAt === null && clk.deadline < deadline) deadline = clk.deadline;
    }
    out.push({ c, deadline });
  }
  return out
    .sort((a, b) => a.deadline - b.deadline || a.c.receivedAt - b.c.receivedAt || (a.c.id < b.c.id ? -1 : 1))
    .map((x) => x.c);
}

/** The other node and the database of the PostgreSQL run, stopped after it. */
let others: { node: TestServer | null; db: TestDatabase | null; dirs: string[] } = { node: null, db: null, dirs: [] };

async function stopOthers(): Promise<void> {
  await others.node?.stop();
  await others.db?.drop();
  for (const d of others.dirs) removeData(d);
  others = { node: null, db: null, dirs: [] };
}

/** A node on the PostgreSQL store whose queries read the shared case rows; a restart opens a new store. */
async function pgNode(db: TestDatabase, at: number, now: { value: number }, dataDir?: string): Promise<TestServer> {
  const store = await openPostgresStore({ connectionString: db.url });
  const node = await startTestServer(at, dataDir, now, {
    store,
    follow: { connectionString: db.url, intervalMs: 100 },
    caseRows: pgCaseRows({ pool: store.pool, connectionString: db.url, intervalMs: 100 }),
  });
  others.dirs.push(node.dataDir);
  return { ...node, restart: async () => (await node.stop(), pgNode(db, at, now, node.dataDir)) };
}

const STORES = {
  /** One node: the events posted to it, its lists from its own file. */
  SQLite: (at: number) => startTestServer(at),
  /** Two nodes: the events posted to the one this suite talks to, the writer of the shared rows the first to start. */
  PostgreSQL: async (at: number) => {
    const db = await createTestDatabase();
    others.db = db;
    const now = { value: at };
    others.node = await pgNode(db, at, now);
    return pgNode(db, at, now);
  },
};

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('on %s', (kind) => {
  beforeAll(async () => {
    server = await STORES[kind](END);
    const events = generateEvents({ seed: 42, from: FROM, to: END, casesPerDay: 500 });
    oracle = foldAll(
      events.map((e) => {
        const v = validateEvent(e);
        if (!v.ok) throw new Error('generated event invalid');
        return v.event;
      }),
    );
    for (let i = 0; i < events.length; i += 400) {
      const res = await post(server.url, { space: 'live', events: events.slice(i, i + 400) });
      expect(res.status).toBe(200);
    }
    server.now.value = NOW;
  }, 120_000);

  afterAll(async () => {
    await server.stop();
    await stopOthers();
  });

  describe('when the late-case list is filtered', () => {
    const FILTERS: Partial<CaseQuery>[] = [
      {},
      { status: 'overdue' },
      { status: 'at_risk' },
      { status: 'late', clock: 'sign' },
      { status: 'overdue', clock: 'handle' },
      { status: 'at_risk', clock: 'callback' },
      { street: 'guanshan' },
      { unit: 'cgzf' },
      { channel: 'hotline' },
      { type: 'complaint' },
      { urgency: 'urgent' },
      { category: '市容环卫' },
      { flags: ['repeat'] },
      { overdueBy: 60 },
      { overdueBy: 24 * 60, clock: 'handle' },
      { from: shanghaiInstant('2026-11-22', '00:00'), to: shanghaiInstant('2026-11-23', '00:00') },
      { status: 'overdue', street: 'luonan', channel: 'city_mgmt' },
    ];
    const params = (q: Partial<CaseQuery>): Record<string, string> =>
      Object.fromEntries(Object.entries(q).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]));

    it('then the generated data has late cases of every kind to find', () => {
      expect(cases().length).toBeGreaterThan(1500);
      expect(brute({ status: 'overdue' }).length).toBeGreaterThan(20);
      expect(brute({ status: 'at_risk' }).length).toBeGreaterThan(5);
    });

    it.each(FILTERS.map((f) => [JSON.stringify(f), f] as const))(
      'then %s gives the brute-force total, order and pages',
      async (_name, q) => {
        const want = brute(q).map((c) => c.id);
        const page1 = await list({ ...params(q), pageSize: '50' });
        expect(page1.total).toBe(want.length);
        expect(page1.items.map((r) => r.id)).toEqual(want.slice(0, 50));
        if (want.length > 50) {
          const page2 = await list({ ...params(q), pageSize: '50', page: '2' });
          expect(page2.items.map((r) => r.id)).toEqual(want.slice(50, 100));
        }
      },
    );

    it('then every row of a late list is overdue or at risk as clockStatus says, with its worst clock and deadline', async () => {
      const p = server.app.spaces.get('live').projection;
      const res = await list({ pageSize: '200' });
      expect(res.items.length).toBeGreaterThan(50);
      for (const row of res.items) {
        const c = cases().find((x) => x.id === row.id)!;
        const want = latenessOf(c, NOW, p.ctx.lifecycle.env, p.ctx.thresholds);
        expect({ lateness: row.lateness, clock: row.clock, deadline: row.deadline }, row.id).toEqual(want);
        expect(row.overdueMinutes, row.id).toBe(
          want.lateness === 'overdue' ? Math.floor((NOW - want.deadline!) / MINUTE_MS) : 0,
        );
      }
    });

    it('then a case page colours each running clock as clockStatus says', async () => {
      const p = server.app.spaces.get('live').projection;
      const rows = [
        ...(await list({ status: 'overdue', pageSize: '5' })).items,
        ...(await list({ status: 'at_risk', pageSize: '5' })).items,
        ...(await list({ status: 'open', sort: 'received_desc', pageSize: '5' })).items,
      ];
      const seen = new Set<string>();
      for (const row of rows) {
        const d = (await (
          await fetch(`${server.url}/api/v1/cases/${encodeURIComponent(row.id)}?space=live`, { headers: auth })
        ).json()) as CaseDetail;
        const c = cases().find((x) => x.id === row.id)!;
        const want: Partial<Record<ClockId, Lateness>> = {};
        for (const r of runningClocks(c))
          want[r.id] = latenessOf(c, NOW, p.ctx.lifecycle.env, p.ctx.thresholds, r.id).lateness;
        expect(d.clocks, row.id).toEqual(want);
        for (const l of Object.values(d.clocks)) seen.add(l);
      }
      expect([...seen].sort()).toEqual(['at_risk', 'ok', 'overdue']);
    });

    it("then the wall's overdue and at-risk figures equal the list's totals", async () => {
      const p = server.app.spaces.get('live').projection;
      const wall = scanLate(p, NOW);
      expect((await list({ status: 'overdue' })).total).toBe(wall.overdue.total);
      expect((await list({ status: 'at_risk' })).total).toBe(wall.atRisk.total);
      for (const clock of ['sign', 'handle', 'callback'] as const)
        expect((await list({ status: 'overdue', clock })).total, clock).toBe(wall.overdue[clock]);
      for (const [street, s] of Object.entries(wall.byStreet))
        expect((await list({ status: 'overdue', street })).total, street).toBe(s.overdue);
      for (const u of wall.topUnits)
        expect((await list({ status: 'overdue', unit: u.unit })).total, u.unit).toBe(u.overdue);
    });

    it('then other sorts and lifecycle statuses page through everything once', async () => {
      const all = await list({ status: 'all', sort: 'received_desc', pageSize: '200' });
      expect(all.total).toBe(cases().length);
      const ts = all.items.map((r) => r.receivedAt);
      expect(ts).toEqual([...ts].sort((a, b) => b - a));
      const open = await list({ status: 'open' });
      const closed = await list({ status: 'closed' });
      expect(open.total + closed.total).toBe(all.total);
      expect(open.total).toBe(server.app.spaces.get('live').projection.open.size);
    });

    it('then bad filters are refused with the field named', async () => {
      const res = await fetch(`${server.url}/api/v1/cases?status=soon&flags=shiny&pageSize=5000`, { headers: auth });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { errors: { path: string }[] } };
      expect(body.error.errors.map((e) => e.path).sort()).toEqual(['flags', 'pageSize', 'status']);
    });
  });

  describe('when a supervisor acts on an overdue case', () => {
    it('then each action is an event in its history, with who and why, and the wall counts the 督办', async () => {
      const [row] = (await list({ status: 'overdue', clock: 'handle', pageSize: '1' })).items;
      expect(row).toBeDefined();
      const id = row!.id;
      const act = (body: Record<string, unknown>) =>
        fetch(`${server.url}/api/v1/cases/${encodeURIComponent(id)}/actions`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ space: 'live', ...body }),
        });
      const before = server.app.spaces.get('live').projection.cases.get(id)!.supervisedCount;
      const newDeadline = NOW + 2 * HOUR_MS;
      expect((await act({ kind: 'supervise', message: '请今日内办结', newDeadline })).status).toBe(201);
      expect((await act({ kind: 'remind', message: '再次催办' })).status).toBe(201);
      expect((await act({ kind: 'escalate', note: '请分管领导关注', leader: '张副区长' })).status).toBe(201);
      expect((await act({ kind: 'exempt', reason: '' })).status).toBe(400);
      expect((await act({ kind: 'exempt', reason: '恶劣天气' })).status).toBe(201);
      const again = await act({ kind: 'exempt', reason: '再次' });
      expect(again.status).toBe(409);
      expect(((await again.json()) as { error: { message: string } }).error.message).toContain('already exempt');
      const c = server.app.spaces.get('live').projection.cases.get(id)!;
      expect(c.supervisedCount).toBe(before + 1);
      expect(c.handle?.deadline).toBe(newDeadline);
      expect(c.exempt).toBe(true);
      const detail = (await (
        await fetch(`${server.url}/api/v1/cases/${encodeURIComponent(id)}?space=live`, { headers: auth })
      ).json()) as CaseDetail;
      const types = detail.history.map((h) => h.type);
      expect(types[0]).toBe('case.received');
      expect(types.slice(-4)).toEqual(['case.supervised', 'case.reminded', 'case.escalated', 'case.exempted']);
      expect(detail.history.at(-4)).toMatchObject({
        actor: 'supervisor',
        event: { message: '请今日内办结', newDeadline },
      });
      // The moved deadline takes the case off the overdue handling list.
      const still = await list({ status: 'overdue', clock: 'handle', pageSize: '200', q: id });
      expect(still.items.map((r) => r.id)).not.toContain(id);

      // A 催办 sent again with its request id (its answer was lost) is recorded once; another one counts again.
      const reminded = server.app.spaces.get('live').projection.cases.get(id)!.remindedCount;
      const once = { kind: 'remind', message: '请回复', requestId: 'remind-7f3a9c21' };
      expect((await act(once)).status).toBe(201);
      const repeat = await act(once);
      expect(repeat.status).toBe(200);
      expect(await repeat.json()).toMatchObject({ repeated: true });
      expect(server.app.spaces.get('live').projection.cases.get(id)!.remindedCount).toBe(reminded + 1);
      expect((await act({ ...once, requestId: 'remind-0b12cd34' })).status).toBe(201);
      expect(server.app.spaces.get('live').projection.cases.get(id)!.remindedCount).toBe(reminded + 2);
      expect((await act({ ...once, requestId: 'x y' })).status).toBe(400);
    });

    it('then an exemption or a merge sent again with its request id is answered as done, though the case has moved on', async () => {
      const open = (await list({ status: 'open', pageSize: '3' })).items.filter((r) => !r.exempt);
      const [a, b] = open;
      expect(b).toBeDefined();
      const act = (id: string, body: Record<string, unknown>) =>
        fetch(`${server.url}/api/v1/cases/${encodeURIComponent(id)}/actions`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ space: 'live', ...body }),
        });
      const exempt = { kind: 'exempt', reason: '恶劣天气', requestId: 'exempt-5e1f0a77' };
      expect((await act(a!.id, exempt)).status).toBe(201);
      const again = await act(a!.id, exempt);
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({ repeated: true });
      // Without its request id, the same exemption is judged again: the case is already exempt.
      expect((await act(a!.id, { kind: 'exempt', reason: '恶劣天气' })).status).toBe(409);
      // The same request id on another case is another request.
      expect((await act(b!.id, exempt)).status).toBe(201);
      const merge = { kind: 'merge', masterCaseId: a!.id, requestId: 'merge-91c3d2aa' };
      expect((await act(b!.id, merge)).status).toBe(201);
      const mergedAgain = await act(b!.id, merge);
      expect(mergedAgain.status).toBe(200);
      expect(await mergedAgain.json()).toMatchObject({ repeated: true });
      expect(server.app.spaces.get('live').projection.cases.get(b!.id)?.stage).toBe('merged');
    });

    it('then a merge joins the duplicate to its master, both histories show it', async () => {
      const open = (await list({ status: 'open', pageSize: '2', sort: 'received_desc' })).items;
      const [dup, master] = open;
      const res = await fetch(`${server.url}/api/v1/cases/${encodeURIComponent(dup!.id)}/actions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ space: 'live', kind: 'merge', masterCaseId: master!.id }),
      });
      expect(res.status, await res.clone().text()).toBe(201);
      const d = (await (
        await fetch(`${server.url}/api/v1/cases/${encodeURIComponent(master!.id)}?space=live`, { headers: auth })
      ).json()) as CaseDetail;
      expect(d.duplicates.map((r) => r.id)).toEqual([dup!.id]);
      expect(d.history.at(-1)?.type).toBe('case.merged');
    });

    it('then a case the space lacks answers 404 and a refused merge 409, each saying why, and the case is not merged', async () => {
      const [open] = (await list({ status: 'open', pageSize: '1' })).items;
      const act = (id: string, body: Record<string, unknown>) =>
        fetch(`${server.url}/api/v1/cases/${encodeURIComponent(id)}/actions`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ space: 'live', ...body }),
        });
      const missing = await act('no-such-case', { kind: 'remind' });
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({
        error: { code: 'not_found', message: 'no case no-such-case in space live' },
      });
      const merge = await act(open!.id, { kind: 'merge', masterCaseId: 'no-such-case' });
      expect(merge.status).toBe(409);
      expect(await merge.json()).toMatchObject({
        error: {
          code: 'conflict',
          message: `case ${open!.id}: case.merged needs an existing master case; no-such-case does not exist`,
        },
      });
      expect(server.app.spaces.get('live').projection.cases.get(open!.id)?.stage).not.toBe('merged');
    });

    it('then after a restart the read model answers the same', async () => {
      const before = await list({ status: 'all', pageSize: '200' });
      server = await server.restart();
      const after = await list({ status: 'all', pageSize: '200' });
      expect(after.total).toBe(before.total);
      expect(after.items).toEqual(before.items);
    });
  });
});
