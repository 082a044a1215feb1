/**
 * `npm run bench:replay [-- --days 365 --seed 1 --file FILE --keep | --restarts DIR]`: replays a generated year of one district at max speed
 * through the public ingest API into a fresh drill space of a real server (its own process, SQLite on disk) —
 * durable ingest and fold of every event — and prints the time and events/s, against the target of a year
 * (≈ 3 M events) in ≤ 30 s. The year is generated first to a JSONL file (timed separately; reused with --file).
 * The server process runs with the memory settings `npm start` gives it (`server/processSettings.ts`); `--node-defaults`
 * leaves them out (Node's and glibc's defaults), to compare in the same session. `--server-prof DIR` writes a V8 CPU
 * profile of the server process to DIR when it exits; `SERVER_NODE_FLAGS` (e.g. `--max-semi-space-size=4`) passes more
 * Node flags to the server process, after the settings (the last of a flag wins), to compare memory settings.
 * `--restarts DIR` only restarts the server on the work folder a run with `--keep` left (its log replayed already): the
 * start from a checkpoint, then the start with none, with their baseline — to compare two builds on one log.
 * `--repeat N` starts with no checkpoint N times, each between two bare reads, and prints every ratio and their median
 * (one start against its neighbours' reads: on a shared machine a read of the same year was seen to take 11–21 s).
 * `REPLAY_HEAPSNAPSHOT=DIR` writes a V8 heap snapshot of the server to DIR at the end of the replay (what holds its heap).
 */
import Database from 'better-sqlite3';
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DAY_MS, HOUR_MS, shanghaiMidnight } from '@shared/time';
import { DistrictSim } from '../simulators/day';
import { startReplay } from '../simulators/replay';
import { JsonlReader } from '../simulators/sources/jsonl';
import { READY_V8_FLAGS, SERVER_ENV } from '../server/processSettings';

const { values } = parseArgs({
  options: {
    days: { type: 'string', default: '365' },
    seed: { type: 'string', default: '1' },
    from: { type: 'string', default: '2025-01-01' },
    file: { type: 'string' },
    batch: { type: 'string', default: '5000' },
    'server-prof': { type: 'string' },
    'node-defaults': { type: 'boolean', default: false },
    /** Leaves the work folder (the JSONL and the server's data) and prints where, to start on that log again. */
    keep: { type: 'boolean', default: false },
    restarts: { type: 'string' },
    repeat: { type: 'string', default: '1' },
  },
});
const days = Number(values.days);
const work = values.restarts ?? mkdtempSync(path.join(tmpdir(), 'cityops-bench-replay-'));
const file = values.file ?? path.join(work, 'year.jsonl');
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;

async function generate(): Promise<number> {
  const start = shanghaiMidnight(values.from);
  const end = start + days * DAY_MS - 1;
  const sim = new DistrictSim({ seed: Number(values.seed), start });
  const out = createWriteStream(file, { encoding: 'utf8' });
  let n = 0;
  for (let t = start; t < end;) {
    t = Math.min(end, t + 6 * HOUR_MS);
    const chunk = sim.advanceTo(t);
    n += chunk.length;
    if (chunk.length && !out.write(chunk.map((e) => JSON.stringify(e)).join('\n') + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return n;
}

async function main(): Promise<void> {
  console.log(
    `cityops-wall replay benchmark — ${days} day(s) of the simulated district from ${values.from}, seed ${values.seed}, node ${process.version}`,
  );
  console.log(
    `  server process: ${
      values['node-defaults']
        ? "Node's and glibc's defaults (--node-defaults)"
        : `${Object.entries(SERVER_ENV)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}, then ${READY_V8_FLAGS.join(' ')} once ready`
    }${process.env.SERVER_NODE_FLAGS ? `, then ${process.env.SERVER_NODE_FLAGS}` : ''}`,
  );
  if (!values.file || !existsSync(file)) {
    const g0 = performance.now();
    const n = await generate();
    console.log(
      `generated ${fmt(n)} events (${fmt(n / days)}/day, ${mb(statSync(file).size)} JSONL) in ${((performance.now() - g0) / 1000).toFixed(1)} s`,
    );
  }
  const { server, url } = await startServer();
  let peakClient = 0;
  const sampler = setInterval(() => {
    peakClient = Math.max(peakClient, process.memoryUsage.rss());
  }, 200);
  const reader = new JsonlReader(file);
  const size = statSync(file).size;
  let lastLog = 0;
  const t0 = performance.now();
  const r = await startReplay({
    server: url,
    token: 'bench',
    space: 'drill-bench',
    speed: Number.POSITIVE_INFINITY,
    events: reader,
    batchSize: Number(values.batch),
    inFlight: 4,
    onProgress: (p) => {
      const t = performance.now();
      if (t - lastLog < 5000) return;
      lastLog = t;
      console.log(
        `  ${((reader.bytesRead / size) * 100).toFixed(0)}%: ${fmt(p.sent)} events, ${fmt(p.sent / ((t - t0) / 1000))} events/s`,
      );
    },
  }).done;
  const secs = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const stats = await statsOf(server);
  const rate = r.accepted / secs;
  console.log(
    `replayed ${fmt(r.sent)} events at max speed in ${secs.toFixed(1)} s = ${fmt(rate)} events/s (${r.accepted === r.sent ? 'all accepted' : `${fmt(r.accepted)} accepted, ${r.rejected} rejected, ${r.quarantined} quarantined, ${r.duplicate} duplicate`})`,
  );
  console.log(
    `  server folded ${fmt(stats.events)} events; ${fmt(stats.cases)} cases in memory (${fmt(stats.open)} open); server peak RSS ${mb(stats.peakRss)}${stats.hwm ? ` (the kernel's high-water mark ${mb(stats.hwm)})` : ''}, RSS at the end ${mb(stats.rss)} (JS heap ${mb(stats.heap)} used of ${mb(stats.heapTotal)}, external ${mb(stats.external)}), client peak RSS ${mb(peakClient)}`,
  );
  console.log(
    `  at this rate 3,000,000 events take ${(3e6 / rate).toFixed(1)} s (target: a year ≈ 3 M events in ≤ 30 s, i.e. ≥ 100,000 events/s)`,
  );
  if (process.env.REPLAY_HEAPSNAPSHOT) {
    server.send('heapsnapshot');
    const [m] = (await once(server, 'message')) as [{ snapshot: string }];
    console.log(`  heap snapshot of the server at the end: ${m.snapshot}`);
  }
  server.kill('SIGTERM');
  await once(server, 'exit');
  await restarts();
  if (values.keep) console.log(`work folder kept: ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

type Stats = {
  events: number;
  cases: number;
  open: number;
  peakRss: number;
  /** The kernel's high-water mark of the process's RSS (Linux), which also sees the peaks between two samples. */
  hwm: number | null;
  rss: number;
  heap: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  readyMs: number;
  /** Of which in V8's garbage collector. */
  readyGcMs: number;
  /** CPU time of the server's main thread until ready (Linux), ms. */
  readyMainCpuMs: number | null;
};

async function startServer(): Promise<{ server: ChildProcess; url: string; ready: Promise<void> }> {
  // The server as `npm start` runs it: a bundle (built by `npm run bench:replay`), not TypeScript through a loader.
  const bundle = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bench', 'replay-server.js');
  if (!existsSync(bundle))
    throw new Error(`${bundle} is missing: run the bench with npm run bench:replay, which builds it`);
  const defaults = values['node-defaults'];
  const server = fork(bundle, [path.join(work, 'data')], {
    execArgv: [
      '--enable-source-maps',
      ...(process.env.SERVER_NODE_FLAGS ? process.env.SERVER_NODE_FLAGS.split(' ') : []),
      ...(values['server-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['server-prof']}`] : []),
    ],
    env: defaults ? { ...process.env, CITYOPS_MEMORY_DEFAULTS: '1' } : { ...process.env, ...SERVER_ENV },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if (typeof m !== 'object' || m === null || !('ready' in m)) return;
      server.off('message', onMessage);
      resolve();
    };
    server.on('message', onMessage);
    server.once('exit', (code) => reject(new Error(`the bench server exited (${code}) before it was ready`)));
  });
  ready.catch(() => undefined);
  // The server's own log lines (JSON) come on the same stdout: the first line with a `url` is the address.
  for await (const line of createInterface({ input: server.stdout as NodeJS.ReadableStream })) {
    const parsed = (() => {
      try {
        return JSON.parse(line) as { url?: string };
      } catch {
        return {};
      }
    })();
    if (parsed.url) return { server, url: parsed.url, ready };
  }
  throw new Error('the bench server exited before printing its address');
}

async function statsOf(server: ChildProcess): Promise<Stats> {
  server.send('stats');
  const [stats] = (await once(server, 'message')) as [Stats];
  return stats;
}

/**
 * Time from the process start to /readyz 200: the server says when it is ready over IPC (a /readyz poll every 20 ms
 * through a long fold took about 3% of the fold's CPU), and /readyz is then checked once.
 */
async function timeToReady(): Promise<{
  ms: number;
  stats: Stats;
  filledAfterReadyMs: number;
  filledPeakRss: number;
  filledHwm: number | null;
}> {
  const t0 = performance.now();
  const { server, url, ready } = await startServer();
  await ready;
  const ms = performance.now() - t0;
  const res = await fetch(`${url}/readyz`);
  if (res.status !== 200) throw new Error(`the server said it was ready, but /readyz answered ${res.status}`);
  const stats = await statsOf(server);
  // After a start that folded the whole log, a thread fills the dedupe filter from the log's index: when it is done.
  server.send('filled');
  const [filled] = (await once(server, 'message')) as [{ filledMs: number; peakRss: number; hwm: number | null }];
  server.kill('SIGTERM');
  await once(server, 'exit');
  return {
    ms,
    stats,
    filledAfterReadyMs: filled.filledMs - stats.readyMs,
    filledPeakRss: filled.peakRss,
    filledHwm: filled.hwm,
  };
}

/** A bare read of the log in this process: every row selected and its JSON parsed, nothing folded (the baseline). */
function bareRead(): { ms: number; n: number } {
  const db = new Database(path.join(work, 'data', 'events.sqlite'), { readonly: true });
  const t0 = performance.now();
  let n = 0;
  const page = db.prepare('SELECT seq, body FROM log_drill_bench WHERE seq > ? ORDER BY seq LIMIT 5000').raw();
  for (let after = 0; ;) {
    const rows = page.all(after) as [number, string][];
    if (rows.length === 0) break;
    for (const [, body] of rows) {
      JSON.parse(body);
      n++;
    }
    after = rows[rows.length - 1]![0];
  }
  db.close();
  return { ms: performance.now() - t0, n };
}

/** Restarts on the replayed log: from the checkpoint a graceful stop left, then with no checkpoint (the whole log folded). */
async function restarts(): Promise<void> {
  const warm = await timeToReady();
  console.log(
    `restart with a checkpoint: /readyz 200 after ${fmt(warm.ms)} ms (server process start included; the app itself was ready ${fmt(warm.stats.readyMs)} ms after it was created); RSS after ${mb(warm.stats.rss)}`,
  );
  // The bare read runs before and after each start and the fold is set against their mean: on a shared machine one
  // read alone was seen to take anywhere from 11 to 33 s on the same year of log.
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1)
    throw new Error(`--repeat is a whole number of runs, not ${values.repeat}`);
  const ratios: number[] = [];
  let before = bareRead();
  for (let i = 0; i < repeat; i++) {
    const cases = new Database(path.join(work, 'data', 'cases.sqlite'));
    cases.prepare('DELETE FROM checkpoints').run();
    cases.close();
    const cold = await timeToReady();
    const after = bareRead();
    const base = { n: before.n, ms: (before.ms + after.ms) / 2 };
    const fold = cold.stats.readyMs;
    // Everything in the log is folded: the replayed events and what the server's monitor logged while they came in.
    const folded = cold.stats.events;
    const ratio = base.n > 0 ? folded / fold / (base.n / base.ms) : Number.NaN;
    ratios.push(ratio);
    console.log(
      `restart without a checkpoint${repeat > 1 ? ` (${i + 1} of ${repeat})` : ''}: /readyz 200 after ${fmt(cold.ms)} ms; the app folded ${fmt(folded)} events in ${fmt(fold)} ms (${fmt(cold.stats.readyGcMs)} ms of it in the garbage collector${cold.stats.readyMainCpuMs === null ? '' : `; main thread CPU ${fmt(cold.stats.readyMainCpuMs)} ms`}) = ${fmt(folded / (fold / 1000))} events/s; peak RSS ${mb(cold.stats.peakRss)} to ready; the dedupe filter complete ${fmt(cold.filledAfterReadyMs)} ms after ready, peak RSS ${mb(cold.filledPeakRss)} by then${cold.filledHwm ? ` (the kernel's mark ${mb(cold.filledHwm)})` : ''}`,
    );
    console.log(
      `  baseline, a bare read of the same log in this process (select + JSON.parse), before and after the start: ${fmt(base.n)} events in ${fmt(before.ms)} / ${fmt(after.ms)} ms, mean ${fmt(base.n / (base.ms / 1000))} events/s; the full fold is ${ratio.toFixed(2)}× the bare read`,
    );
    before = after;
  }
  if (repeat > 1) {
    const sorted = [...ratios].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    console.log(
      `starts with no checkpoint, ${repeat} runs: the full fold is ${sorted.map((r) => r.toFixed(2)).join(' / ')}× the bare read (sorted), median ${median.toFixed(2)}× (target ≥ 0.6×)`,
    );
  }
}

if (values.restarts) {
  if (!existsSync(path.join(work, 'data', 'events.sqlite')))
    throw new Error(`${work} holds no replayed log (data/events.sqlite): give the folder a run with --keep printed`);
  await restarts();
} else await main();
