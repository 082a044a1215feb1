/**
 * Two nodes on one PostgreSQL log, each accepting a space's events, every node folds the whole log in its order, so
 * both show the same figures at the same position; a deletion on one is a deletion on the other.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../../server/store/postgres';
import { pgSessionBackend } from '../../../server/auth/pgSessions';
import { generateEvents } from '../../../simulators/day';
import { DEFAULT_CONFIG } from '@shared/config';
import { HOUR_MS, MINUTE_MS } from '@shared/time';
import { buildWallView } from '@shared/projection/view';
import { spaceClock } from '../../../server/spaces';
import { T0, caseEvent, received } from '../../fixtures/events';
import { createTestDatabase, type TestDatabase } from '../../../harness/postgres';
import { loginSession, post, removeData, startTestServer, type TestServer } from '../../../harness/server';
import { trackWall, type TrackedWall } from '../../fixtures/wallClient';

let db: TestDatabase;
let nodes: TestServer[] = [];
const walls: TrackedWall[] = [];
const NOW = T0 + HOUR_MS;

async function node(): Promise<TestServer> {
  const store = await openPostgresStore({ connectionString: db.url });
  const clock = { value: NOW };
  const s = await startTestServer(NOW, undefined, clock, {
    store,
    sessionBackend: pgSessionBackend(store.pool, () => clock.value),
    follow: { connectionString: db.url, intervalMs: 200 },
    monitorMs: 3_600_000,
  });
  nodes.push(s);
  return s;
}

beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  walls.splice(0).forEach((w) => w.close());
  for (const n of nodes) {
    await n.stop();
    removeData(n.dataDir);
  }
  nodes = [];
  await db.drop();
});

/** Waits until `pred` holds, polling. */
async function until(pred: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function viewOf(n: TestServer, space: string) {
  const s = n.app.spaces.get(space);
  return buildWallView(s.projection, spaceClock(s, n.now.value), { spaceKind: s.kind, clockRate: 1 });
}

describe('when a batch is ingested on one node', () => {
  it('then a wall on the other node sees it, with the same figures as a wall on the first', async () => {
    const a = await node();
    const b = await node();
    const wa = await trackWall(a.url);
    const wb = await trackWall(b.url);
    walls.push(wa, wb);
    const res = await post(a.url, {
      space: 'live',
      events: [received('n1'), caseEvent('case.dispatched', 'n1', T0 + MINUTE_MS, { unit: 'st-guanshan' })],
    });
    expect(res.json).toMatchObject({ accepted: 2 });
    const vb = await wb.until((v) => v.caseFlow.dispatched === 1);
    const va = await wa.until((v) => v.caseFlow.dispatched === 1);
    expect(vb.caseFlow).toEqual(va.caseFlow);
    expect(vb.overdue.open).toBe(1);
    expect(b.app.spaces.get('live').position).toBe(a.app.spaces.get('live').position);
  });
});

describe('when both nodes ingest one space at the same time, with overlapping batches', () => {
  it('then every event is logged once, in one order, and both nodes fold it to the same figures', async () => {
    const a = await node();
    const b = await node();
    const events = generateEvents({
      seed: 7,
      from: T0 - 3 * HOUR_MS,
      to: T0,
      config: DEFAULT_CONFIG,
      casesPerDay: 400,
    });
    expect(events.length).toBeGreaterThan(500);
    const batches: unknown[][] = [];
    for (let i = 0; i < events.length; i += 50) batches.push(events.slice(i, i + 60)); // 10 events overlap the next batch
    // Each batch goes to both nodes, racing: one of them logs it, the other finds duplicates.
    let accepted = 0;
    let duplicate = 0;
    for (const batch of batches) {
      const [ra, rb] = await Promise.all([
        post(a.url, { space: 'live', events: batch }),
        post(b.url, { space: 'live', events: batch }),
      ]);
      for (const r of [ra, rb]) {
        expect(r.status).toBe(200);
        accepted += r.json.accepted as number;
        duplicate += r.json.duplicate as number;
      }
    }
    const store = a.app.spaces.get('live');
    await until(() => b.app.spaces.get('live').position === store.position);
    const logged = await loggedIn('live');
    // Every event logged once; what a node did not log, it found a duplicate of (or refused for its case's state).
    expect(logged).toBe(accepted);
    expect(accepted + duplicate).toBeLessThanOrEqual(2 * batches.reduce((n, x) => n + x.length, 0));
    expect(new Set(events.map((e) => (e as { eventId: string }).eventId)).size).toBeGreaterThanOrEqual(logged);
    const va = viewOf(a, 'live');
    const vb = viewOf(b, 'live');
    expect(vb.caseFlow).toEqual(va.caseFlow);
    expect(vb.overdue).toEqual(va.overdue);
    expect(vb.hotline).toEqual(va.hotline);
    expect(vb.kpi).toEqual(va.kpi);
    expect(va.caseFlow.received).toBeGreaterThan(0);
  }, 120_000);
});

async function loggedIn(space: string): Promise<number> {
  const store = await openPostgresStore({ connectionString: db.url });
  try {
    return await store.count(space);
  } finally {
    await store.close();
  }
}

describe('when a node deletes a space', () => {
  it('then the other node forgets it, and what is logged after starts a fresh space on both', async () => {
    const a = await node();
    const b = await node();
    await post(a.url, { space: 'drill-a', events: [received('x1'), received('x2')] }, 'producer-drill-a');
    await until(() => b.app.spaces.find('drill-a')?.projection.cases.size === 2);
    await a.app.spaces.delete('drill-a');
    await until(() => b.app.spaces.find('drill-a') === undefined);
    await post(b.url, { space: 'drill-a', events: [received('x3')] }, 'producer-drill-a');
    await until(() => a.app.spaces.find('drill-a')?.projection.cases.size === 1);
    expect([...a.app.spaces.get('drill-a').projection.cases.keys()]).toEqual(['x3']);
    expect([...b.app.spaces.get('drill-a').projection.cases.keys()]).toEqual(['x3']);
  });
});

describe('when a node starts on a log other nodes wrote', () => {
  it('then it folds the log and follows it from there', async () => {
    const a = await node();
    await post(a.url, { space: 'live', events: [received('j1'), received('j2')] });
    const b = await node();
    expect(b.app.spaces.get('live').projection.cases.size).toBe(2);
    await post(a.url, { space: 'live', events: [received('j3')] });
    await until(() => b.app.spaces.get('live').projection.cases.size === 3);
  });
});

describe('when a supervisor logs in on one node', () => {
  it('then every node knows the session, a restarted node still does, and logging out on one ends it on all', async () => {
    const a = await node();
    const b = await node();
    const login = await loginSession(a.url, 'supervisor-token');
    expect(login.status).toBe(200);
    const me = (n: TestServer) => fetch(`${n.url}/api/v1/session`, { headers: { cookie: login.cookie } });
    expect((await me(a)).status).toBe(200);
    const onB = await me(b);
    expect(onB.status).toBe(200);
    expect((await onB.json()) as { role: string; csrfToken: string }).toMatchObject({
      role: 'supervisor',
      csrfToken: login.csrf,
    });
    // A write on the other node with the session's CSRF token is accepted there.
    const list = await fetch(`${b.url}/api/v1/cases?space=live`, { headers: { cookie: login.cookie } });
    expect(list.status).toBe(200);
    // A node started after the login (as after a restart) knows it too.
    const later = await node();
    expect((await me(later)).status).toBe(200);
    const out = await fetch(`${a.url}/api/v1/session`, {
      method: 'DELETE',
      headers: { cookie: login.cookie, 'x-csrf-token': login.csrf },
    });
    expect(out.status).toBe(204);
    // The node that knew the session in memory asks again within 5 s.
    for (const n of nodes) n.now.value += 6_000;
    expect((await me(b)).status).toBe(401);
    const c = await node();
    expect((await me(c)).status).toBe(401);
  });
});

describe('when a space is deleted and started again while a node is away', () => {
  it('then that node, started again, drops the old checkpoint and rows and folds only the new space', async () => {
    const a = await node();
    const b = await node();
    await post(a.url, { space: 'drill-a', events: [received('x1'), received('x2')] }, 'producer-drill-a');
    await until(() => b.app.spaces.find('drill-a')?.projection.cases.size === 2);
    // B checkpoints the space and writes its rows, then goes away.
    await b.app.monitor.pass();
    b.app.cases.flush();
    expect(b.app.cases.spacesWithRows()).toContain('drill-a');
    expect(b.app.cases.position('drill-a')?.seq).toBeGreaterThan(0);
    await b.app.close();
    // Its data dir is the one it starts again on (removed with that node).
    nodes.splice(nodes.indexOf(b), 1);

    await a.app.spaces.delete('drill-a');
    await post(a.url, { space: 'drill-a', events: [received('x1'), received('y2')] }, 'producer-drill-a');

    const store = await openPostgresStore({ connectionString: db.url });
    const again = await startTestServer(
      NOW,
      b.dataDir,
      { value: NOW },
      {
        store,
        follow: { connectionString: db.url, intervalMs: 200 },
        monitorMs: 3_600_000,
      },
    );
    nodes.push(again);
    const report = (await again.app.restored).find((r) => r.space === 'drill-a');
    expect(report).toMatchObject({ from: 'log' });
    expect(report?.reason).toContain("which the space's log does not hold");
    const space = again.app.spaces.get('drill-a');
    expect([...space.projection.cases.keys()].sort()).toEqual(['x1', 'y2']);
    expect(space.projection.cases.get('x1')?.receivedAt).toBe(T0);
    again.app.cases.flush();
    expect(again.app.cases.caseState('drill-a', 'x2')).toBeUndefined();
    expect(again.app.cases.caseState('drill-a', 'y2')).toBeDefined();
  });
});
