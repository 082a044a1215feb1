/**
 * Drills on a real cluster: two node processes on one PostgreSQL database and one Redis. A drill started on node A runs
 * once (one simulator on the machine) and node B lists it; a stop sent to node B is carried out by node A and answered
 * with how the drill ended; when node A is killed with SIGKILL while its drill runs, its simulator goes with it and node
 * B marks the drill interrupted within a few seconds, nothing more is logged for it, and both nodes then answer the
 * same record and summary; a drill that finishes has the same summary from either node.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillRecord, DrillSummary } from '@shared/drills';
import type { Cluster, ClusterNode } from '../../../scripts/cluster';
import { startTestCluster } from '../../fixtures/cluster';
import { openPostgresStore } from '../../../server/store/postgres';
import { createTestDatabase, producedInLog, type TestDatabase } from '../../../harness/postgres';
import { freePort, startRedis, type TestRedis } from '../../../harness/redis';

const ADMIN = 'cluster-drills-admin-token-0123456789';
const TOKENS = [{ role: 'admin' as const, space: null, token: ADMIN }];
const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

/** How long node B may take to mark a drill interrupted after its runner died: a drill pass (1 s) and some slack. */
const INTERRUPTED_WITHIN_MS = 5_000;

let db: TestDatabase;
let redis: TestRedis;
let cluster: Cluster;
let dataDir: string;
let a: ClusterNode;
let b: ClusterNode;

async function api<T>(url: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { ...init, headers });
  return { status: res.status, body: (await res.json()) as T };
}

const drillOn = (n: ClusterNode, id: string) => api<DrillRecord>(`${n.url}/api/v1/drills/${id}`);

async function start(n: ClusterNode, body: object): Promise<DrillRecord> {
  const res = await api<DrillRecord>(`${n.url}/api/v1/drills`, { method: 'POST', body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return res.body;
}

async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(v).slice(0, 400)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Command lines of this machine's drill simulators for `space` (every node of the cluster runs on this machine). */
function simulatorsOf(space: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (argv.includes('simulators/drill.ts') && argv.includes(`--space ${space} `)) out.push(argv);
    } catch {
      // The process ended while being read.
    }
  }
  return out;
}

beforeAll(async () => {
  db = await createTestDatabase('cityops_drills');
  redis = await startRedis();
  dataDir = mkdtempSync(path.join(tmpdir(), 'cityops-drills-'));
  cluster = await startTestCluster({
    nodes: 2,
    port: await freePort(),
    databaseUrl: db.url,
    redisUrl: redis.url,
    dataDir,
    tokens: TOKENS,
  });
  [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  await redis?.stop();
  await db?.drop();
  if (dataDir && !process.env.KEEP_CLUSTER_LOGS) rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe('when a drill is started on node A and stopped from node B', () => {
  it('then node B lists it, one simulator runs it, and the stop sent to B is carried out by A and answered as such', async () => {
    const drill = await start(a, { scenario: 'normal-weekday', speed: 60, seed: 2 });
    const seen = await until(
      'node B to see the drill running',
      () => drillOn(b, drill.id),
      (r) => r.status === 200 && r.body.status === 'running' && r.body.progress.events > 0,
    );
    expect(seen.body).toMatchObject({ id: drill.id, scenario: 'normal-weekday', seed: 2, speed: 60 });
    const listed = await api<DrillRecord[]>(`${b.url}/api/v1/drills`);
    expect(listed.body.map((d) => d.id)).toEqual([drill.id]);
    expect(simulatorsOf(drill.space)).toHaveLength(1);

    const stop = await api<{ stopped: boolean; message: string; drill: DrillRecord }>(
      `${b.url}/api/v1/drills/${drill.id}`,
      { method: 'DELETE' },
    );
    expect(stop.status).toBe(200);
    expect(stop.body.stopped).toBe(true);
    expect(stop.body.message).toMatch(/stopped by the node that ran it/);
    expect(stop.body.drill.status).toBe('stopped');
    expect(stop.body.drill.summary?.figures).toHaveLength(8);
    // The simulator is gone, nothing more is logged for the drill, and both nodes answer the same record.
    await until(
      'the simulator to exit',
      async () => simulatorsOf(drill.space),
      (s) => s.length === 0,
      5_000,
    );
    const logged = await producedInLog(db.url, drill.space);
    expect(logged.total).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await producedInLog(db.url, drill.space)).toEqual(logged);
    expect(logged.distinct).toBe(logged.total);
    const [onA, onB] = [(await drillOn(a, drill.id)).body, (await drillOn(b, drill.id)).body];
    expect(onA).toEqual(stop.body.drill);
    expect(onB).toEqual(stop.body.drill);

    const again = await api<{ stopped: boolean; message: string }>(`${a.url}/api/v1/drills/${drill.id}`, {
      method: 'DELETE',
    });
    expect(again.body).toMatchObject({ stopped: false, message: `drill ${drill.id} had ended already (stopped)` });
  }, 90_000);
});

describe('when a drill finishes on node B', () => {
  it('then its record and summary are the same from both nodes', async () => {
    const drill = await start(b, { scenario: 'link-down', speed: 'max', seed: 4 });
    const done = await until(
      'the drill to finish',
      () => drillOn(a, drill.id),
      (r) => r.body.status === 'finished',
    );
    expect(done.body.error).toBeNull();
    const [sa, sb] = await Promise.all([
      api<DrillSummary>(`${a.url}/api/v1/drills/${drill.id}/summary`),
      api<DrillSummary>(`${b.url}/api/v1/drills/${drill.id}/summary`),
    ]);
    expect(sa.status).toBe(200);
    expect(sa.body.events).toBeGreaterThan(1_000);
    expect(sa.body.figures).toHaveLength(8);
    expect(JSON.stringify(sb.body)).toBe(JSON.stringify(sa.body));
    expect((await drillOn(b, drill.id)).body).toEqual(done.body);
  }, 90_000);
});

describe('when node A is killed with SIGKILL while its drill runs', () => {
  it('then its simulator goes with it, node B marks the drill interrupted within seconds, and it is never run again', async () => {
    const drill = await start(a, { scenario: 'rainstorm', speed: 60, seed: 9 });
    await until(
      'the drill to reach its live phase',
      () => drillOn(b, drill.id),
      (r) => r.body.status === 'running' && r.body.progress.phase === 'live',
    );
    expect(simulatorsOf(drill.space)).toHaveLength(1);
    const killedAt = Date.now();
    await a.kill('SIGKILL');

    const marked = await until(
      'node B to mark the drill interrupted',
      () => drillOn(b, drill.id),
      (r) => r.body.status === 'interrupted',
      INTERRUPTED_WITHIN_MS + 5_000,
    );
    const tookMs = Date.now() - killedAt;
    expect(tookMs).toBeLessThanOrEqual(INTERRUPTED_WITHIN_MS);
    expect(marked.body.error).toMatch(/the node running it was lost/);
    expect(marked.body.endedAt).toBeGreaterThanOrEqual(killedAt);
    expect(marked.body.summary?.figures).toHaveLength(8);
    // The simulator of the dead node stopped with it, and no node started another.
    await until(
      'the orphaned simulator to exit',
      async () => simulatorsOf(drill.space),
      (s) => s.length === 0,
      3_000,
    );
    const logged = await producedInLog(db.url, drill.space);
    expect(logged.total).toBeGreaterThan(1_000);
    expect(logged.distinct).toBe(logged.total);
    // The summary folded the whole log as the dead node left it (its simulator's events and the monitors' own).
    expect(marked.body.summary?.events).toBeGreaterThanOrEqual(logged.total);

    // Node A comes back: it lists the drill as B marked it, no simulator starts, nothing more is logged.
    await a.start();
    const [onA, summaryA, summaryB] = await Promise.all([
      drillOn(a, drill.id),
      api<DrillSummary>(`${a.url}/api/v1/drills/${drill.id}/summary`),
      api<DrillSummary>(`${b.url}/api/v1/drills/${drill.id}/summary`),
    ]);
    expect(onA.body).toEqual(marked.body);
    expect(JSON.stringify(summaryA.body)).toBe(JSON.stringify(summaryB.body));
    expect(summaryA.body).toEqual(marked.body.summary);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(simulatorsOf(drill.space)).toEqual([]);
    expect(await producedInLog(db.url, drill.space)).toEqual(logged);
    console.log(
      `kill -9 of the runner: drill marked interrupted by the other node after ${tookMs} ms; ${logged.total} simulated events in its log, each once`,
    );
  }, 120_000);
});

describe("when the database ends the connection of a running drill's lease", () => {
  it('then the runner kills its simulator and the drill ends interrupted, as seen from both nodes', async () => {
    const drill = await start(a, { scenario: 'water-outage', speed: 60, seed: 5 });
    await until(
      'the drill to run',
      () => drillOn(b, drill.id),
      (r) => r.body.status === 'running' && r.body.progress.events > 0,
    );
    const store = await openPostgresStore({ connectionString: db.url, poolSize: 1 });
    try {
      const { rows } = await store.pool.query<{ ended: boolean }>(
        'SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
        [`cityops lease drill:${drill.id}`.slice(0, 63)],
      );
      expect(rows.map((r) => r.ended)).toEqual([true]);
    } finally {
      await store.close();
    }
    const ended = await until(
      'the drill to end',
      () => drillOn(b, drill.id),
      (r) => r.body.status !== 'running',
      INTERRUPTED_WITHIN_MS,
    );
    expect(ended.body.status).toBe('interrupted');
    // Whichever wrote it first: the runner (it lost its lease) or node B (it found the lease free).
    expect(ended.body.error).toMatch(/lost its connection to the database|the node running it was lost/);
    await until(
      'the simulator to exit',
      async () => simulatorsOf(drill.space),
      (s) => s.length === 0,
      3_000,
    );
    const logged = await producedInLog(db.url, drill.space);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await producedInLog(db.url, drill.space)).toEqual(logged);
    expect((await drillOn(a, drill.id)).body).toEqual((await drillOn(b, drill.id)).body);
  }, 90_000);
});
