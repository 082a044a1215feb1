/**
 * `npm run bench:load [-- --walls 500 --seconds 30 --deflate default|on --restart-events 1000000 --node-defaults]`: the
 * wall under load. The server processes run with the memory settings `npm start` gives them (`server/processSettings.ts`);
 * `--node-defaults` leaves them out, to compare in the same session.
 *
 * 1. Fan-out under ingest: the real app in a process of its own (SQLite files), `--walls` Socket.IO walls in a second
 *    process, all offering permessage-deflate as browsers do, and one idle probe wall in a third. For `--seconds` the
 *    bench posts batches of 1,000 live events (cases received and dispatched, calls offered and answered; one case in
 *    200 urgent) as fast as the server answers, two batches in flight. Printed: events/s, the probe's p50/p99 from the
 *    view's build (its `now`, the server's clock) to receipt, deltas, drops of walls that read, the server's peak RSS.
 * 2. A wall that stops reading: a bare Engine.IO wall joins, stops reading its socket and asks for snapshots (nothing
 *    else runs meanwhile). Printed: when the server cut it, `cityops_walls_dropped_total`, and the server's RSS before (after
 *    a GC), at peak, and after it left (after a GC).
 * 3. Start on a big log: `--restart-events` events written straight into a fresh log, no checkpoint; the server
 *    started as `npm start` starts it (the bundle `dist/node/server/main.js`, built by `npm run build:server`). Printed: when `/healthz` first answered 200 after the process was forked, the
 *    `/readyz` 503 progress seen meanwhile, and when `/readyz` answered 200 — first on an empty log, the baseline of the
 *    process start itself in the same run. `--restart-events 0` skips it; `--skip-load` runs only this.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket as NetSocket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { openSqliteStore } from '../server/store/sqlite';
import type { DomainEvent } from '@shared/events';
import type { LoadServerReply } from './load-server';
import type { LoadWallsReply } from './load-walls';
import { freePort } from '../harness/ports';
import { BROWSER_BUILDS } from './child';
import { READY_V8_FLAGS, SERVER_ENV } from '../server/processSettings';

const { values } = parseArgs({
  options: {
    walls: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '30' },
    deflate: { type: 'string', default: 'default' },
    'restart-events': { type: 'string', default: '1000000' },
    'skip-load': { type: 'boolean', default: false },
    'node-defaults': { type: 'boolean', default: false },
  },
});
const WALLS = Number(values.walls);
const SECONDS = Number(values.seconds);
const RESTART_EVENTS = Number(values['restart-events']);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const PRODUCER = { authorization: 'Bearer bench-producer-token', 'content-type': 'application/json' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
// The server processes run with the memory settings `npm start` gives them, unless `--node-defaults` (to compare).
const NODE_ENV: Record<string, string> = values['node-defaults'] ? { CITYOPS_MEMORY_DEFAULTS: '1' } : { ...SERVER_ENV };

function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

/** The server process: its port, and its RSS as it reports it. */
class ServerProcess {
  readonly child: ChildProcess;
  rss = 0;
  peak = 0;
  constructor(dataDir: string) {
    this.child = fork(path.join(here, 'load-server.ts'), [], {
      execArgv: ['--expose-gc', '--import', 'tsx'],
      env: { ...process.env, ...NODE_ENV, DATA_DIR: dataDir, LOAD_DEFLATE: values.deflate },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (m: LoadServerReply) => {
      if (m.type === 'rss') {
        this.rss = m.rss;
        this.peak = Math.max(this.peak, m.rss);
      }
    });
  }
  async reply<T extends LoadServerReply['type']>(type: T): Promise<Extract<LoadServerReply, { type: T }>> {
    for (;;) {
      const [m] = (await once(this.child, 'message')) as [LoadServerReply];
      if (m.type === type) return m as Extract<LoadServerReply, { type: T }>;
    }
  }
  async gcRss(): Promise<{ rss: number; heap: number }> {
    this.child.send({ type: 'gc' });
    const r = await this.reply('gc');
    return { rss: r.rss, heap: r.heap };
  }
}

function wallsProcess(url: string, n: number): ChildProcess {
  return fork(path.join(here, 'load-walls.ts'), [url, String(n)], {
    execArgv: [...BROWSER_BUILDS, '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

async function replyOf<T extends LoadWallsReply['type']>(
  child: ChildProcess,
  type: T,
): Promise<Extract<LoadWallsReply, { type: T }>> {
  for (;;) {
    const [m] = (await once(child, 'message')) as [LoadWallsReply];
    if (m.type === type) return m as Extract<LoadWallsReply, { type: T }>;
  }
}

let seq = 0;
/** A batch of live events dated now: cases received and dispatched, calls offered and answered. */
function batch(size: number): DomainEvent[] {
  const ts = Date.now() - 1000;
  const out: DomainEvent[] = [];
  for (let k = 0; k < size; k++) {
    const i = seq++;
    const id = `B${Math.floor(i / 4)}`;
    switch (i % 4) {
      case 0:
        out.push({
          type: 'case.received',
          eventId: `r-${i}`,
          ts,
          caseId: id,
          channel: 'hotline',
          caseType: 'complaint',
          urgency: i % 800 === 0 ? 'urgent' : 'normal',
          flags: [],
          category: '市容环卫',
          street: ['guanshan', 'luonan', 'hongshan', 'heping'][i % 4 === 0 ? (i / 4) % 4 : 0]!,
          title: '小区门口垃圾未清运',
        });
        break;
      case 1:
        out.push({ type: 'case.dispatched', eventId: `d-${i}`, ts, caseId: id, unit: 'st-guanshan' });
        break;
      case 2:
        out.push({ type: 'call.offered', eventId: `o-${i}`, ts, callId: `K${id}`, line: 'hotline' });
        break;
      default:
        out.push({ type: 'call.answered', eventId: `a-${i}`, ts, callId: `K${id}`, agentId: `agent-${i % 60}` });
    }
  }
  return out;
}

/** Posts batches as fast as the server answers, `inFlight` at a time, until `until`; returns events accepted. */
async function ingest(url: string, until: number, inFlight: number, size = 1000): Promise<number> {
  let accepted = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (Date.now() < until) {
        const res = await fetch(`${url}/api/v1/events`, {
          method: 'POST',
          headers: PRODUCER,
          body: JSON.stringify({ space: 'live', events: batch(size) }),
        });
        accepted += ((await res.json()) as { accepted?: number }).accepted ?? 0;
      }
    }),
  );
  return accepted;
}

async function metric(url: string, name: string): Promise<number> {
  const line = (await (await fetch(`${url}/metrics`)).text()).split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** A wall on bare Engine.IO that joins, stops reading and keeps asking for snapshots; resolves when it is cut. */
async function nonReadingWall(url: string, stopAt: number): Promise<number | null> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
  let closedAt: number | null = null;
  ws.once('close', () => {
    closedAt = Date.now();
  });
  await new Promise<void>((resolve, reject) => {
    ws.on('error', reject);
    ws.on('message', (data: Buffer) => {
      const m = data.toString();
      if (m.startsWith('0{')) ws.send(`40/wall,${JSON.stringify({ token: 'bench-viewer-token-0', space: 'live' })}`);
      if (m.startsWith('42/wall,["snapshot"')) {
        ws.removeAllListeners('message');
        (ws as unknown as { _socket: NetSocket })._socket.pause();
        resolve();
      }
    });
  });
  for (let i = 0; closedAt === null && Date.now() < stopAt; i++) {
    for (let k = 0; k < 20; k++) ws.send(`42/wall,${i * 20 + k}["resync"]`);
    await sleep(20);
  }
  ws.terminate();
  return closedAt;
}

async function loadPhases(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cityops-load-'));
  const server = new ServerProcess(dataDir);
  const { port } = await server.reply('listening');
  const url = `http://127.0.0.1:${port}`;
  const walls = wallsProcess(url, WALLS);
  const probe = wallsProcess(url, 1);
  const [w, p] = await Promise.all([replyOf(walls, 'connected'), replyOf(probe, 'connected')]);
  console.log(
    `server pid ${server.child.pid}, deflate ${values.deflate}, ${
      values['node-defaults']
        ? "Node's defaults"
        : `${Object.entries(NODE_ENV)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}, then ${READY_V8_FLAGS.join(' ')} once ready`
    }; ${w.n} walls (extensions "${w.extensions}") and 1 probe (extensions "${p.extensions}") connected; RSS ${mb(server.rss)}`,
  );
  server.peak = server.rss;
  const t0 = Date.now();
  const accepted = await ingest(url, t0 + SECONDS * 1000, 2);
  const secs = (Date.now() - t0) / 1000;
  await sleep(1000);
  walls.send({ type: 'report' });
  probe.send({ type: 'report' });
  const [wr, pr] = await Promise.all([replyOf(walls, 'report'), replyOf(probe, 'report')]);
  console.log(
    `fan-out under ingest: ${accepted.toLocaleString('en')} events in ${secs.toFixed(1)} s = ${Math.round(accepted / secs).toLocaleString('en')} events/s`,
  );
  console.log(
    `  probe wall (own process): ${pr.deltas} deltas, view build → receipt p50 ${pct(pr.lagMs, 50)} ms, p99 ${pct(pr.lagMs, 99)} ms, max ${Math.max(...pr.lagMs)} ms; drops ${pr.drops}`,
  );
  console.log(`  ${WALLS} walls: ${wr.deltas.toLocaleString('en')} deltas received, drops ${wr.drops}`);
  console.log(`  server peak RSS ${mb(server.peak)}`);

  const before = await server.gcRss();
  server.peak = server.rss;
  const s0 = Date.now();
  // Nothing else changes meanwhile, so what the server holds after it left compares with before.
  const cutAt = await nonReadingWall(url, s0 + 30_000);
  const peak = server.peak;
  await sleep(2000);
  const after = await server.gcRss();
  console.log(
    `a wall that stops reading: ${cutAt === null ? 'NOT cut within 30 s' : `cut ${cutAt - s0} ms after it stopped reading`}; cityops_walls_dropped_total ${await metric(url, 'cityops_walls_dropped_total{space="live"}')}`,
  );
  console.log(
    `  server RSS before ${mb(before.rss)} (after GC; JS heap ${mb(before.heap)}), peak ${mb(peak)}, after it left ${mb(after.rss)} (after GC; JS heap ${mb(after.heap)})`,
  );
  server.child.send({ type: 'stop' });
  await once(server.child, 'exit');
  rmSync(dataDir, { recursive: true, force: true });
}

async function restartPhase(events: number): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cityops-start-'));
  const store = openSqliteStore({ dataDir });
  const t = Date.now() - 2 * 86_400_000;
  for (let i = 0; i < events; i += 10_000) {
    const b: DomainEvent[] = [];
    for (let k = i; k < Math.min(events, i + 10_000); k++)
      b.push({ type: 'link.heartbeat', eventId: `hb-${k}`, ts: t + k * 100, link: 'city_platform', ok: true });
    await store.append('live', b, []);
  }
  await store.close();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const forked = performance.now();
  const child = spawn(process.execPath, [path.join(root, 'dist/node/server/main.js')], {
    cwd: root,
    env: {
      ...process.env,
      ...NODE_ENV,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      CITYOPS_TOKENS: 'admin:bench-admin-token-0123',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let healthMs: number | null = null;
  let progress: unknown = null;
  let readyMs: number | null = null;
  while (readyMs === null && performance.now() - forked < 300_000) {
    try {
      if (healthMs === null && (await fetch(`${url}/healthz`)).status === 200) healthMs = performance.now() - forked;
      const r = await fetch(`${url}/readyz`);
      if (r.status === 200) readyMs = performance.now() - forked;
      else progress ??= ((await r.json()) as { progress?: unknown }).progress;
    } catch {
      /* not listening yet */
    }
    await sleep(5);
  }
  console.log(
    `start on a ${events.toLocaleString('en')}-event log, no checkpoint (the server's bundle, timed from the fork):`,
  );
  console.log(
    `  /healthz 200 after ${healthMs?.toFixed(0)} ms (target ≤ 1,000 ms); first /readyz 503 progress ${JSON.stringify(progress)}; /readyz 200 after ${readyMs?.toFixed(0)} ms`,
  );
  child.kill('SIGTERM');
  await once(child, 'exit');
  rmSync(dataDir, { recursive: true, force: true });
}

if (!values['skip-load']) await loadPhases();
// The same start on an empty log, in the same run: what the process start itself (Node, the bundle, its imports) takes.
if (RESTART_EVENTS > 0) for (const n of [0, RESTART_EVENTS]) await restartPhase(n);
process.exit(0);
