/**
 * `npm run bench:fanout [-- --walls 1000 --rounds 10 --modes off,deflate]`: one urgent case to N walls.
 *
 * Starts the real app (SQLite on disk) with the `demo` space populated by the seeded district simulator (yesterday and
 * today up to 10:30), and N Socket.IO wall clients in a child process, all offering permessage-deflate as browsers do.
 * Each round posts an urgent `case.received` over HTTP from a producer in a third process (as a real producer is, so
 * the server's process does not also run the HTTP client) and records when every wall received the delta carrying its
 * alert (latency from just before the POST, in the producer's process, and from the emit). In the same round a bare `ws` server in this process
 * (ws defaults: it declines deflate) sends the frame the walls got to N bare clients in the same child, and their
 * latency from just before its send loop is recorded. Each round starts just after one of the app's heartbeat deltas
 * (so none falls inside it), and which of the two goes first alternates. Per round: p50, p99 and max over the walls;
 * printed: the median over rounds (after one warm-up round) and the ratio of the app's p99 to the bare broadcast's.
 * `--modes default` (the default) runs the app as configured (`WALL_DEFLATE`);
 *
 * other modes compare Socket.IO compression settings, each on a fresh app over the same log:
 *   off — no permessage-deflate; deflate — `{ threshold: 1024 }` (the old setting); deflate-16k — `{ threshold: 16384 }`;
 *   deflate-16k-nct — `{ threshold: 16384, serverNoContextTakeover: true }`.
 * The walls run socket.io-client's production build, the one browsers load (`--walls-build node`: the debug build
 * Node resolves by default). `--walls-prof DIR` writes a V8 CPU profile of the walls process to DIR when it exits.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { WebSocketServer } from 'ws';
import { createApp, WALL_DEFLATE, type App, type AppDeps } from '../server/app';
import type { Space } from '../server/spaces';
import { TokenRegistry } from '../server/auth/tokens';
import { openSqliteStore } from '../server/store/sqlite';
import { DEFAULT_CONFIG } from '@shared/config';
import { addDays, MINUTE_MS, shanghaiDateKey, shanghaiInstant, shanghaiMidnight } from '@shared/time';
import { generateEvents } from '../simulators/day';
import { BenchChild, BROWSER_BUILDS } from './child';
import { clockMs } from './clock';
import type { ProducerCommand, ProducerReply } from './fanout-producer';
import type { WallsCommand, WallsReply } from './fanout-walls';

const MODES: Readonly<Record<string, AppDeps['perMessageDeflate']>> = {
  default: WALL_DEFLATE,
  off: false,
  deflate: { threshold: 1024 },
  'deflate-16k': { threshold: 16_384 },
  'deflate-16k-nct': { threshold: 16_384, serverNoContextTakeover: true },
};

const { values } = parseArgs({
  options: {
    walls: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '10' },
    modes: { type: 'string', default: 'default' },
    'gap-ms': { type: 'string', default: '300' },
    'timeout-ms': { type: 'string', default: '15000' },
    'walls-prof': { type: 'string' },
    'walls-build': { type: 'string', default: 'browser' },
  },
});
const N = Number(values.walls);
const ROUNDS = Number(values.rounds);
const GAP_MS = Number(values['gap-ms']);
const TIMEOUT_MS = Number(values['timeout-ms']);
const modes = values.modes
  .split(',')
  .map((m) => m.trim())
  .filter(Boolean);
if (values['walls-build'] !== 'browser' && values['walls-build'] !== 'node')
  throw new Error(`--walls-build is browser or node, not ${values['walls-build']}`);
for (const m of modes) if (!(m in MODES)) throw new Error(`unknown mode ${m}: one of ${Object.keys(MODES).join(', ')}`);

const SPACE = 'demo';
const TOKENS = [
  { role: 'producer' as const, space: SPACE, token: 'producer-demo' },
  { role: 'viewer' as const, space: null, token: 'viewer' },
];
const NOW = shanghaiInstant(shanghaiDateKey(Date.now()), '10:30');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (x: number) => `${x.toFixed(1)} ms`;

function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}
const median = (xs: readonly number[]) => pct(xs, 50);

/** The child process of wall clients, driven one command and one answer at a time. */
class Walls extends BenchChild<WallsCommand, WallsReply> {
  constructor() {
    super('fanout-walls.ts', [
      ...(values['walls-build'] === 'browser' ? BROWSER_BUILDS : []),
      ...(values['walls-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['walls-prof']}`] : []),
    ]);
  }
  /** Arms a round, runs `go` (which returns the start instant), and resolves with each client's latency. */
  async round(
    arm: WallsCommand,
    go: () => Promise<number>,
  ): Promise<{ lat: number[]; missing: number; frame: string | null; cpuMs: number }> {
    await this.ask(arm);
    const done = this.next();
    const t0 = await go();
    const r = await done;
    if (r.type !== 'round') throw new Error(`unexpected answer ${r.type}`);
    return { lat: r.at.map((t) => t - t0), missing: r.missing, frame: r.frame, cpuMs: r.cpuMs };
  }
}

/** The producer's process: one POST at a time, answered with the instant just before it was sent. */
class Producer extends BenchChild<ProducerCommand, ProducerReply> {
  constructor() {
    super('fanout-producer.ts');
  }
}

function build(dataDir: string, perMessageDeflate: AppDeps['perMessageDeflate']): App {
  return createApp({
    store: openSqliteStore({ dataDir }),
    config: DEFAULT_CONFIG,
    tokens: new TokenRegistry(TOKENS),
    perMessageDeflate,
  });
}

/** Fills the demo space with yesterday and this morning of the simulated district. */
async function populate(dataDir: string): Promise<number> {
  const app = build(dataDir, false);
  await app.ready;
  const events = generateEvents({ seed: 7, from: shanghaiMidnight(addDays(shanghaiDateKey(NOW), -1)), to: NOW });
  for (let i = 0; i < events.length; i += 5000) await app.ingest.ingest(SPACE, events.slice(i, i + 5000));
  await app.close();
  return events.length;
}

/** Posts an urgent case from the producer's process; resolves with the instant just before the POST. */
async function postUrgent(producer: Producer, url: string, caseId: string, ts: number): Promise<number> {
  const r = await producer.ask({
    url: `${url}/api/v1/events`,
    token: 'producer-demo',
    body: JSON.stringify({
      space: SPACE,
      events: [
        {
          type: 'case.received',
          eventId: `fanout-${caseId}`,
          ts,
          caseId,
          channel: 'district_line',
          caseType: 'help',
          urgency: 'urgent',
          flags: ['emergency'],
          category: '供水供电供气',
          street: 'hongshan',
          title: '主干道供水管爆裂，路面积水',
          lat: 30.5,
          lng: 114.34,
        },
      ],
    }),
  });
  const body = JSON.parse(r.body) as { accepted?: number };
  if (r.status !== 200 || body.accepted !== 1) throw new Error(`urgent case not accepted: ${r.status} ${r.body}`);
  return r.t0;
}

interface RoundFigures {
  p50: number;
  p99: number;
  max: number;
  missing: number;
}
const figures = (lat: readonly number[], missing: number): RoundFigures => ({
  p50: pct(lat, 50),
  p99: pct(lat, 99),
  max: Math.max(...lat),
  missing,
});
/** One round of the app: latencies from the POST and from the emit, and where the server spent the time before the emit. */
interface AppRound {
  post: RoundFigures;
  emit: RoundFigures;
  toFlush: number;
  buildDiff: number;
  writes: number;
  cpu: number;
  wallsCpu: number;
}

/** Marks, in the app's process, when the urgent flush starts, when it emits to the room and when its writes are done. */
interface Marks {
  flushAt: number;
  emitAt: number;
  doneAt: number;
  flushes: number;
  reset(): void;
}

function instrument(app: App): Marks {
  const marks: Marks = {
    flushAt: 0,
    emitAt: 0,
    doneAt: 0,
    flushes: 0,
    reset() {
      marks.flushAt = marks.emitAt = marks.doneAt = 0;
    },
  };
  const b = app.broadcaster;
  // The urgent send (the alert ticker alone) and the ticks' whole-view flushes; heartbeats are counted by the latter.
  const timed =
    (send: (space: Space) => void, counted: boolean) =>
    (space: Space): void => {
      const first = marks.flushAt === 0;
      if (first) marks.flushAt = clockMs();
      send(space);
      if (first) marks.doneAt = clockMs();
      if (counted) marks.flushes++;
    };
  b.flush = timed(b.flush.bind(b), true);
  b.flushAlerts = timed(b.flushAlerts.bind(b), false);
  // The broadcaster emits through `ns.local.to(room)` (a node's walls only): mark the first `to` of a local operator.
  const ns = app.io.of('/wall');
  const local = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(ns), 'local')?.get;
  if (!local) throw new Error('socket.io Namespace has no local operator');
  Object.defineProperty(ns, 'local', {
    get: () => {
      const op = local.call(ns) as typeof ns.local;
      const to = op.to.bind(op);
      op.to = ((room: string) => {
        if (marks.emitAt === 0) marks.emitAt = clockMs();
        return to(room);
      }) as typeof op.to;
      return op;
    },
  });
  return marks;
}

/**
 * Resolves 200 ms after the app's next heartbeat delta — time for the walls to take it in — so the next heartbeat is
 * still ≥ 800 ms away and a round started now runs alone.
 */
async function afterHeartbeat(marks: Marks): Promise<void> {
  const seen = marks.flushes;
  while (marks.flushes === seen) await sleep(2);
  await sleep(200);
}

type BareRound = RoundFigures & { writes: number; wallsCpu: number };

async function appRound(
  walls: Walls,
  producer: Producer,
  marks: Marks,
  url: string,
  caseId: string,
  ts: number,
): Promise<{ figures: AppRound; frame: string }> {
  let cpu = process.cpuUsage();
  let t0 = 0;
  const a = await walls.round({ type: 'arm-io', caseId, timeoutMs: TIMEOUT_MS }, async () => {
    marks.reset();
    cpu = process.cpuUsage();
    t0 = await postUrgent(producer, url, caseId, ts);
    return t0;
  });
  const used = process.cpuUsage(cpu);
  if (!a.frame) throw new Error('the walls did not report the delta frame');
  return {
    frame: a.frame,
    figures: {
      post: figures(a.lat, a.missing),
      emit: figures(
        a.lat.map((x) => x + t0 - marks.emitAt),
        a.missing,
      ),
      toFlush: marks.flushAt - t0,
      buildDiff: marks.emitAt - marks.flushAt,
      writes: marks.doneAt - marks.emitAt,
      cpu: (used.user + used.system) / 1000,
      wallsCpu: a.cpuMs,
    },
  };
}

async function bareRound(walls: Walls, bare: WebSocketServer, frame: string): Promise<BareRound> {
  let writes = 0;
  const b = await walls.round({ type: 'arm-ws', timeoutMs: TIMEOUT_MS }, async () => {
    const start = clockMs();
    for (const client of bare.clients) client.send(frame);
    writes = clockMs() - start;
    return start;
  });
  return { ...figures(b.lat, b.missing), writes, wallsCpu: b.cpuMs };
}

async function runMode(
  mode: string,
  modeIndex: number,
  dataDir: string,
  walls: Walls,
  bare: WebSocketServer,
  producer: Producer,
): Promise<void> {
  const app = build(dataDir, MODES[mode]);
  const addr = await app.listen(0, '127.0.0.1');
  await app.ready;
  const url = `http://127.0.0.1:${addr.port}`;
  const snap = JSON.stringify(app.broadcaster.snapshot(app.spaces.get(SPACE)));
  const c = await walls.ask({ type: 'connect-io', url, n: N, token: 'viewer', space: SPACE });
  if (c.type !== 'connected') throw new Error('walls did not connect');
  console.log(
    `\n[${mode}] perMessageDeflate ${JSON.stringify(MODES[mode])}: ${c.n} walls (socket.io-client ${c.build}), ${c.deflate} negotiated deflate (${c.extensions || 'none'}); snapshot ${(snap.length / 1024).toFixed(1)} KB JSON, ${(deflateRawSync(snap).length / 1024).toFixed(1)} KB deflated; server RSS ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MB`,
  );
  const marks = instrument(app);
  const appRounds: AppRound[] = [];
  const bareRounds: BareRound[] = [];
  let frame = '';
  for (let r = 0; r <= ROUNDS; r++) {
    await afterHeartbeat(marks);
    const urgent = () =>
      appRound(walls, producer, marks, url, `FANOUT-${modeIndex}-${r}`, NOW + (modeIndex * 100 + r + 1) * MINUTE_MS);
    // Alternate which goes first; a bare round that goes first sends the previous round's delta frame.
    let fa: AppRound;
    let fb: BareRound;
    if (r % 2 === 0) {
      ({ figures: fa, frame } = await urgent());
      fb = await bareRound(walls, bare, frame);
    } else {
      fb = await bareRound(walls, bare, frame);
      ({ figures: fa, frame } = await urgent());
    }
    const label = r === 0 ? 'warm-up' : `round ${r}`;
    const miss = (x: RoundFigures) => (x.missing ? ` MISSING ${x.missing}` : '');
    console.log(
      `  ${label.padEnd(8)} app from POST p50 ${ms(fa.post.p50)} p99 ${ms(fa.post.p99)}${miss(fa.post)}, from emit p99 ${ms(fa.emit.p99)} | server: POST→flush ${ms(fa.toFlush)}, build+diff ${ms(fa.buildDiff)}, emit writes ${ms(fa.writes)}, CPU ${ms(fa.cpu)}; walls CPU ${ms(fa.wallsCpu)} | bare ws${r % 2 ? ' (first)' : ''} p50 ${ms(fb.p50)} p99 ${ms(fb.p99)}${miss(fb)}, writes ${ms(fb.writes)}, clients CPU ${ms(fb.wallsCpu)} | frame ${Buffer.byteLength(frame)} B`,
    );
    if (r > 0) {
      appRounds.push(fa);
      bareRounds.push(fb);
    }
    await sleep(GAP_MS);
  }
  const frameBytes = Buffer.byteLength(frame);
  const med = <T>(xs: T[], f: (x: T) => number) => median(xs.map(f));
  const appP99 = med(appRounds, (x) => x.post.p99);
  const emitP99 = med(appRounds, (x) => x.emit.p99);
  const bareP99 = med(bareRounds, (x) => x.p99);
  const missing = appRounds.reduce((s, x) => s + x.post.missing, 0) + bareRounds.reduce((s, x) => s + x.missing, 0);
  console.log(`[${mode}] ${N} walls, medians of ${ROUNDS} rounds:`);
  console.log(
    `  urgent case, from the POST:   p50 ${ms(med(appRounds, (x) => x.post.p50))}  p99 ${ms(appP99)}  max ${ms(med(appRounds, (x) => x.post.max))}`,
  );
  console.log(
    `  urgent case, from the emit:   p50 ${ms(med(appRounds, (x) => x.emit.p50))}  p99 ${ms(emitP99)}  (server before the emit: POST→flush ${ms(med(appRounds, (x) => x.toFlush))}, build+diff ${ms(med(appRounds, (x) => x.buildDiff))}; emit writes ${ms(med(appRounds, (x) => x.writes))}; CPU per round: server ${ms(med(appRounds, (x) => x.cpu))}, walls process ${ms(med(appRounds, (x) => x.wallsCpu))})`,
  );
  console.log(
    `  bare ws, same ${frameBytes} B frame: p50 ${ms(med(bareRounds, (x) => x.p50))}  p99 ${ms(bareP99)}  max ${ms(med(bareRounds, (x) => x.max))}  (send loop ${ms(med(bareRounds, (x) => x.writes))}; walls process CPU ${ms(med(bareRounds, (x) => x.wallsCpu))})`,
  );
  console.log(
    `  p99 ratio to bare ws: ${(appP99 / bareP99).toFixed(2)}× from the POST, ${(emitP99 / bareP99).toFixed(2)}× from the emit (target: p99 ≤ 100 ms and ≤ 1.25×); missing deliveries ${missing}; server RSS ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MB`,
  );
  await walls.ask({ type: 'close-io' });
  await app.close();
}

async function main(): Promise<void> {
  console.log(
    `cityops-wall fan-out benchmark — ${N} walls, ${ROUNDS} rounds (+1 warm-up), modes ${modes.join(', ')}, node ${process.version}`,
  );
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cityops-bench-fanout-'));
  const t0 = performance.now();
  const n = await populate(dataDir);
  console.log(
    `demo space: ${n.toLocaleString('en-US')} simulated events (yesterday and today to 10:30) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const bare = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(bare, 'listening');
  const address = bare.address();
  const bareUrl = `ws://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : String(address)}`;
  const walls = new Walls();
  const producer = new Producer();
  const w = await walls.ask({ type: 'connect-ws', url: bareUrl, n: N });
  if (w.type !== 'connected') throw new Error('bare clients did not connect');
  console.log(
    `bare ws: ${w.n} clients, ${w.deflate} negotiated deflate (the bare server declines it, as ws does by default)`,
  );
  try {
    for (const [i, mode] of modes.entries()) await runMode(mode, i, dataDir, walls, bare, producer);
  } finally {
    await walls.ask({ type: 'close-ws' });
    walls.stop();
    producer.stop();
    bare.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
