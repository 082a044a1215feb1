/**
 * `npm run bench:join [-- --events 1000000 --tail 5000 --rounds 1]`: how long a node joining a cluster takes to be
 * ready, with and without the snapshot of the case read model, in the same run.
 *
 * On a fresh PostgreSQL database, the log of `live` is filled with generated case lifecycles (validated, appended in
 * batches). Then nodes are started as `npm start` starts them (the bundle `dist/node/server/main.js`, built by
 * `npm run build:server`, `DATABASE_URL` set), each with an empty `DATA_DIR`, and timed from the spawn of the process
 * to the first `/readyz` 200:
 *   A — the first node: no snapshot in the cluster, so it folds the whole log; once ready it writes the snapshot;
 *   then `--tail` more events are logged after the snapshot's checkpoint, and per round:
 *   B — joins with the snapshot (downloads and installs it, folds the tail);
 *   C — joins with `CASE_SNAPSHOT_MINUTES=0` (no snapshot: folds the whole log), the baseline, same conditions as B.
 * Printed: the times, and what the joining nodes logged of the snapshot and of their restore.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { eventSchema, type DomainEvent } from '@shared/events';
import { DAY_MS } from '@shared/time';
import { createTestDatabase } from '../harness/postgres';
import { PROJECT_ROOT } from '../server/root';
import { openPostgresStore } from '../server/store/postgres';
import { lifecycleEvents } from './events';
import { freePort } from '../harness/ports';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    tail: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '1' },
  },
});
const EVENTS = Number(values.events);
const TAIL = Number(values.tail);
const ROUNDS = Number(values.rounds);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;

/** Appends `count` validated lifecycle events to `live`, in batches of 10,000. */
async function fill(url: string, count: number, start: number, prefix: string): Promise<number> {
  const store = await openPostgresStore({ connectionString: url });
  let batch: DomainEvent[] = [];
  let n = 0;
  try {
    for (const e of lifecycleEvents(count, start, prefix)) {
      batch.push(eventSchema.parse(e));
      if (batch.length === 10_000) {
        await store.append('live', batch, []);
        n += batch.length;
        batch = [];
      }
    }
    if (batch.length) await store.append('live', batch, []);
    return n + batch.length;
  } finally {
    await store.close();
  }
}

/** A node's process, timed from its spawn, with the log lines that tell how it started. */
interface Node {
  readonly child: ChildProcess;
  readonly dir: string;
  readonly readyMs: number;
  readonly healthMs: number | null;
  readonly lines: Record<string, unknown>[];
}

async function startNode(databaseUrl: string, env: Record<string, string> = {}): Promise<Node> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cityops-bench-join-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const lines: Record<string, unknown>[] = [];
  const t0 = performance.now();
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'dist/node/server/main.js')], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dir,
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'info',
      CITYOPS_TOKENS: 'admin:bench-admin-token-0123',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      /* not a log line */
    }
  });
  let healthMs: number | null = null;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the node exited with ${child.exitCode}`);
    if (performance.now() - t0 > 600_000) throw new Error('the node was not ready within 10 minutes');
    try {
      if (healthMs === null && (await fetch(`${url}/healthz`)).status === 200) healthMs = performance.now() - t0;
      if ((await fetch(`${url}/readyz`)).status === 200) break;
    } catch {
      /* not listening yet */
    }
    await sleep(5);
  }
  return { child, dir, readyMs: performance.now() - t0, healthMs, lines };
}

async function stopNode(n: Node): Promise<void> {
  n.child.kill('SIGTERM');
  if (n.child.exitCode === null) await once(n.child, 'exit');
  rmSync(n.dir, { recursive: true, force: true });
}

/** What a node logged about the snapshot and about restoring `live`. */
function startLines(n: Node): string {
  const pick = (pred: (msg: string) => boolean) =>
    n.lines.filter((l) => pred(String(l.msg))).map((l) => `    ${String(l.msg)}`);
  return [
    ...pick((m) => m.includes('snapshot of the case read model') || m.startsWith('installed the cluster')),
    ...pick((m) => m.startsWith('space live restored')),
  ].join('\n');
}

function timing(n: Node): string {
  return `/readyz 200 after ${fmt(n.readyMs)} ms from the spawn (/healthz 200 after ${n.healthMs === null ? '—' : fmt(n.healthMs)} ms)`;
}

async function main(): Promise<void> {
  console.log(
    `cityops-wall join benchmark — ${fmt(EVENTS)} events in live on PostgreSQL, then a tail of ${fmt(TAIL)}; the server's bundle; node ${process.version}`,
  );
  const db = await createTestDatabase('cityops_bench_join');
  const nodes: Node[] = [];
  const client = new pg.Client({ connectionString: db.url });
  try {
    // Cases far enough in the past that every step (up to 402 minutes after a case) is before now.
    const start = Date.now() - (Math.ceil((EVENTS + TAIL) / 10) * 20_000 + 2 * DAY_MS);
    const f0 = performance.now();
    const n = await fill(db.url, EVENTS, start, 'b');
    console.log(`log filled: ${fmt(n)} events appended in ${((performance.now() - f0) / 1000).toFixed(1)} s`);
    await client.connect();

    const a = await startNode(db.url);
    nodes.push(a);
    console.log(`A, empty DATA_DIR, no snapshot in the cluster: ${timing(a)}\n${startLines(a)}`);
    const w0 = performance.now();
    let snap: { id: string; chunks: number; bytes: string; stored_bytes: string } | undefined;
    while (!snap) {
      if (performance.now() - w0 > 300_000) throw new Error('A wrote no snapshot within 5 minutes');
      await sleep(100);
      snap = (await client.query('SELECT id, chunks, bytes, stored_bytes FROM case_snapshots ORDER BY id DESC LIMIT 1'))
        .rows[0];
    }
    console.log(
      `A wrote snapshot #${snap.id}: ${mb(Number(snap.bytes))} file, ${mb(Number(snap.stored_bytes))} stored in ${snap.chunks} chunks, seen ${fmt(performance.now() - w0)} ms after A was ready`,
    );
    await fill(db.url, TAIL, start + Math.ceil(EVENTS / 10) * 20_000, 't');
    console.log(`tail: ${fmt(TAIL)} events appended after the snapshot's checkpoint`);
    // A folds the tail (it follows the log) before the joiners start, so every joiner starts in the same conditions.
    await sleep(2_000);

    for (let r = 1; r <= ROUNDS; r++) {
      const b = await startNode(db.url);
      nodes.push(b);
      console.log(`round ${r}: B, empty DATA_DIR, with the snapshot: ${timing(b)}\n${startLines(b)}`);
      await stopNode(nodes.pop()!);
      const c = await startNode(db.url, { CASE_SNAPSHOT_MINUTES: '0' });
      nodes.push(c);
      console.log(
        `round ${r}: C, empty DATA_DIR, CASE_SNAPSHOT_MINUTES=0 (no snapshot): ${timing(c)}\n${startLines(c)}`,
      );
      await stopNode(nodes.pop()!);
    }
  } finally {
    for (const n of nodes) await stopNode(n);
    await client.end().catch(() => undefined);
    await db.drop();
  }
}

await main();
