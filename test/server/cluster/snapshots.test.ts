/**
 * A node joining a cluster starts from the newest snapshot of the case read model in PostgreSQL and folds only the
 * log after it; a snapshot of another fold version, or corrupt, is refused with the reason, and the node folds the
 * whole log as before. Either way the joining node shows what the node that wrote the log shows.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '@shared/config';
import { buildWallView } from '@shared/projection/view';
import { HOUR_MS } from '@shared/time';
import { lifecycleBatches } from '../../../bench/events';
import { foldVersion } from '../../../server/checkpoint';
import {
  CaseSnapshots,
  type CaseSnapshotOptions,
  type JoinReport,
  type SnapshotInfo,
} from '../../../server/cluster/snapshots';
import { spaceClock } from '../../../server/spaces';
import { openPostgresStore } from '../../../server/store/postgres';
import { createTestDatabase, type TestDatabase } from '../../../harness/postgres';
import { removeData, startTestServer, type TestServer } from '../../../harness/server';
import { T0 } from '../../fixtures/events';
import { memoryLog, type MemoryLog } from '../../fixtures/logs';

let db: TestDatabase;
let nodes: TestServer[] = [];
const dirs: string[] = [];
const NOW = T0 + 2 * HOUR_MS;
const VERSION = foldVersion(DEFAULT_CONFIG);

/** A node as `startServer` makes one on a cluster: the snapshot joined (or not) before the app and its read model open. */
interface Node {
  readonly server: TestServer;
  readonly joined: JoinReport;
  readonly log: MemoryLog;
  readonly dir: string;
  readonly snapshots: CaseSnapshots;
}

async function node(dir = mkdtempSync(path.join(tmpdir(), 'cityops-join-')), opts: Partial<CaseSnapshotOptions> = {}) {
  if (!dirs.includes(dir)) dirs.push(dir);
  const store = await openPostgresStore({ connectionString: db.url });
  const log = memoryLog();
  // Small chunks, so a snapshot of a few MB is stored in many.
  const snapshots = new CaseSnapshots({ pool: store.pool, log: log.log, chunkBytes: 256 * 1024, ...opts });
  const joined = await snapshots.join(path.join(dir, 'cases.sqlite'), VERSION);
  const server = await startTestServer(
    NOW,
    dir,
    { value: NOW },
    {
      store,
      follow: { connectionString: db.url, intervalMs: 200 },
      // No monitor pass: nothing but the test writes to the log, so both nodes fold the same events.
      monitorMs: 3_600_000,
      caseSnapshots: snapshots,
      logger: log.log,
    },
  );
  nodes.push(server);
  return { server, joined, log, dir, snapshots } satisfies Node;
}

async function stop(n: Node): Promise<void> {
  await n.server.stop();
  nodes = nodes.filter((s) => s !== n.server);
}

beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  for (const n of nodes) await n.stop();
  nodes = [];
  for (const d of dirs.splice(0)) removeData(d);
  await db.drop();
});

/** Ingests `count` lifecycle events (ten per case, all closed but the last) into `live` on a node; returns the number accepted. */
async function ingest(n: Node, count: number, start: number, prefix: string): Promise<number> {
  let accepted = 0;
  for (const b of lifecycleBatches(count, 2_000, start, prefix))
    accepted += (await n.server.app.ingest.ingest('live', b)).accepted;
  return accepted;
}

/**
 * Checkpoints every space on a node and has its snapshot written (by the checkpoint, which tries one, or by the call
 * after it); returns the newest snapshot, checked to cover the node's position.
 */
async function snapshotOf(n: Node): Promise<SnapshotInfo> {
  await n.server.app.monitor.checkpointAll();
  await n.server.app.snapshot();
  const newest = await n.snapshots.newest(VERSION);
  expect(newest?.positions).toEqual({ live: n.server.app.spaces.get('live').position });
  return newest!;
}

async function until(pred: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function viewOf(n: Node) {
  const s = n.server.app.spaces.get('live');
  return buildWallView(s.projection, spaceClock(s, NOW), { spaceKind: s.kind, clockRate: 1 });
}

const PAGES = [
  'status=all&sort=received_asc&page=3&pageSize=50',
  'status=all&sort=received_desc&pageSize=200',
  'status=open&sort=overdue',
  'status=closed&street=guanshan&sort=received_asc&page=2&pageSize=20',
];

/** The case list pages a supervisor reads, as JSON. */
async function pagesOf(n: Node): Promise<unknown[]> {
  return Promise.all(
    PAGES.map(async (q) => {
      const res = await fetch(`${n.server.url}/api/v1/cases?space=live&${q}`, {
        headers: { authorization: 'Bearer supervisor-token' },
      });
      expect(res.status).toBe(200);
      return res.json();
    }),
  );
}

/** B shows what A shows: the wall view, and case list pages. */
async function expectSame(a: Node, b: Node): Promise<void> {
  const at = a.server.app.spaces.get('live').position;
  await until(() => b.server.app.spaces.get('live').position === at);
  expect(viewOf(b)).toEqual(viewOf(a));
  const [pa, pb] = [await pagesOf(a), await pagesOf(b)];
  expect(pb).toEqual(pa);
  // The pages are not empty: the comparison compares cases.
  expect((pa[0] as { items: unknown[] }).items).toHaveLength(50);
  expect((pa[2] as { total: number }).total).toBeGreaterThan(0);
}

/** The restore report of `live`. */
async function liveRestore(n: Node) {
  return (await n.server.app.restored).find((r) => r.space === 'live')!;
}

const MAIN = 30_005;
const TAIL = 1_234;
const mainStart = NOW - 26 * HOUR_MS;
// The tail's last step (402 minutes after its case) still falls before NOW.
const tailStart = NOW - 8 * HOUR_MS;

describe('when a node joins a cluster whose log a snapshot covers but for its tail', () => {
  it('then it installs the snapshot, restores from its checkpoint, folds only the tail and shows what the other node shows', async () => {
    const a = await node();
    expect(a.joined).toMatchObject({ used: false, reason: 'no snapshot in the cluster yet' });
    expect(await ingest(a, MAIN, mainStart, 'c')).toBe(MAIN);
    const snap = await snapshotOf(a);
    const at = a.server.app.spaces.get('live').position;
    expect(snap.version).toBe(VERSION);
    expect(snap.chunks).toBeGreaterThan(3);
    expect(snap.storedBytes).toBeLessThan(snap.bytes / 2);
    expect(a.log.lines.some((l) => String(l.msg).startsWith(`wrote snapshot #${snap.id} of the case read model`))).toBe(
      true,
    );
    // The tail: logged after the snapshot's checkpoint.
    expect(await ingest(a, TAIL, tailStart, 't')).toBe(TAIL);

    // B's DATA_DIR does not exist yet.
    const parent = mkdtempSync(path.join(tmpdir(), 'cityops-join-'));
    dirs.push(parent);
    const b = await node(path.join(parent, 'data', 'node-b'));
    expect(b.joined).toMatchObject({ used: true, reason: '', snapshot: { id: snap.id } });
    expect(await liveRestore(b)).toMatchObject({ from: 'checkpoint', seq: at + TAIL, folded: TAIL });
    expect(b.log.lines.some((l) => String(l.msg).startsWith(`installed the cluster's snapshot #${snap.id}`))).toBe(
      true,
    );
    await expectSame(a, b);
    // The install left no download behind.
    expect(readdirSync(b.dir).filter((f) => f.includes('joining') || f.includes('snapshot'))).toEqual([]);
    // Closed cases folded before the snapshot are found in the read model B installed (a case's own page).
    const res = await fetch(`${b.server.url}/api/v1/cases/c7?space=live`, {
      headers: { authorization: 'Bearer supervisor-token' },
    });
    expect(res.status).toBe(200);
    const detail = (await res.json()) as { state: { stage: string }; history: unknown[] };
    expect(detail.state.stage).toBe('closed');
    expect(detail.history).toHaveLength(7);
    // B's checkpoint is ahead of the snapshot, but a second snapshot so soon is not written: one per interval.
    await b.server.app.monitor.checkpointAll();
    expect(await b.server.app.snapshot()).toMatchObject({
      written: false,
      reason: expect.stringMatching(/^the newest snapshot \(#\d+\) is \d+ s old/),
    });
  }, 120_000);
});

/** Runs SQL on the test database. */
async function sql(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    return await c.query(text, values);
  } finally {
    await c.end();
  }
}

/** A node that wrote a log of MAIN events, a snapshot, then the tail; returns it and the snapshot's id. */
async function writer(): Promise<{ a: Node; id: number }> {
  const a = await node();
  await ingest(a, MAIN, mainStart, 'c');
  const snap = await snapshotOf(a);
  await ingest(a, TAIL, tailStart, 't');
  return { a, id: snap.id };
}

/** A joining node that did not use the snapshot folded the whole log, and agrees with the writer. */
async function expectFullFold(a: Node, b: Node): Promise<void> {
  const all = a.server.app.spaces.get('live').position;
  expect(await liveRestore(b)).toMatchObject({ from: 'log', seq: all, folded: MAIN + TAIL, reason: 'no checkpoint' });
  expect(readdirSync(b.dir).filter((f) => f.includes('joining'))).toEqual([]);
  await expectSame(a, b);
}

describe('when the newest snapshot was written by another fold version', () => {
  it('then the joining node refuses it with the reason, folds the whole log and still shows what the other node shows', async () => {
    const { a, id } = await writer();
    await sql('UPDATE case_snapshots SET version = $1 WHERE id = $2', ['0123456789ab'.repeat(5), id]);
    const b = await node();
    expect(b.joined.used).toBe(false);
    expect(b.joined.reason).toBe(
      `no snapshot of this fold version (${VERSION.slice(0, 12)}): the newest, #${id} of ${new Date(b.joined.snapshot!.writtenAt).toISOString()}, was written by another fold version (0123456789ab)`,
    );
    expect(
      b.log.lines.some(
        (l) => l.msg === `the cluster's snapshot of the case read model is not used: ${b.joined.reason}`,
      ),
    ).toBe(true);
    expect(existsSync(path.join(b.dir, 'cases.sqlite'))).toBe(true);
    await expectFullFold(a, b);
  }, 120_000);
});

describe('when the newest snapshot is corrupt', () => {
  it('then a flipped byte in a chunk is found by its checksum, the snapshot refused, and the node folds the whole log', async () => {
    const { a, id } = await writer();
    // One byte of the second chunk flipped, its checksum left as written.
    await sql(
      'UPDATE case_snapshot_chunks SET data = set_byte(data, 1000, 255 - get_byte(data, 1000)) WHERE snapshot = $1 AND n = 1',
      [id],
    );
    const chunks = (await sql('SELECT chunks FROM case_snapshots WHERE id = $1', [id])).rows[0].chunks as number;
    const b = await node();
    expect(b.joined).toMatchObject({
      used: false,
      reason: `snapshot #${id} is corrupt: chunk 2 of ${chunks} does not match its checksum`,
    });
    await expectFullFold(a, b);
  }, 120_000);

  it('then a chunk altered with a checksum to match is still refused (it does not inflate, or the file does not match)', async () => {
    const { a, id } = await writer();
    await sql(
      `UPDATE case_snapshot_chunks SET data = set_byte(data, 1000, 255 - get_byte(data, 1000)) WHERE snapshot = $1 AND n = 1;
       UPDATE case_snapshot_chunks SET sha256 = encode(sha256(data), 'hex') WHERE snapshot = $1 AND n = 1`.replaceAll(
        '$1',
        String(id),
      ),
    );
    const b = await node();
    expect(b.joined.used).toBe(false);
    expect(b.joined.reason).toMatch(
      new RegExp(
        `^snapshot #${id} is corrupt: (it could not be inflated \\(.+\\)|the file does not match its checksum)$`,
      ),
    );
    await expectFullFold(a, b);
  }, 120_000);
});

describe('when a node restarts with the read model it had', () => {
  it('then it installs a newer snapshot when its file is behind, keeps its file when it is as far, and two snapshots are kept', async () => {
    // Any snapshot found behind is due at once here.
    const a = await node(undefined, { intervalMs: 0 });
    await ingest(a, 10_003, mainStart, 'c');
    const first = await snapshotOf(a);
    const b = await node(undefined, { intervalMs: 0 });
    expect(b.joined).toMatchObject({ used: true, snapshot: { id: first.id } });
    expect(await liveRestore(b)).toMatchObject({ from: 'checkpoint', folded: 0 });
    // B, just joined, is not ahead of the snapshot it came from: it writes none.
    expect(await b.server.app.snapshot()).toMatchObject({
      written: false,
      reason: `this node's checkpoints are not ahead of the newest snapshot (#${first.id})`,
    });
    await stop(b);

    await ingest(a, 2_004, tailStart, 't');
    const second = await snapshotOf(a);
    expect(second.id).toBeGreaterThan(first.id);
    const b2 = await node(b.dir, { intervalMs: 0 });
    expect(b2.joined).toMatchObject({ used: true, snapshot: { id: second.id } });
    expect(await liveRestore(b2)).toMatchObject({
      from: 'checkpoint',
      seq: a.server.app.spaces.get('live').position,
      folded: 0,
    });
    await expectSame(a, b2);

    await stop(a);
    const a2 = await node(a.dir, { intervalMs: 0 });
    expect(a2.joined).toMatchObject({
      used: false,
      reason: `this node's read model is as far as the newest snapshot (#${second.id})`,
    });
    expect(await liveRestore(a2)).toMatchObject({ from: 'checkpoint', folded: 0 });

    await ingest(a2, 100, tailStart + HOUR_MS, 'u');
    const third = await snapshotOf(a2);
    expect(third.id).toBeGreaterThan(second.id);
    const pool = new pg.Pool({ connectionString: db.url });
    const kept = await new CaseSnapshots({ pool, log: a2.log.log }).list().finally(() => pool.end());
    expect(kept.map((k) => k.id)).toEqual([third.id, second.id]);
    expect((await sql('SELECT count(DISTINCT snapshot) AS n FROM case_snapshot_chunks')).rows[0].n).toBe('2');
  }, 180_000);
});
