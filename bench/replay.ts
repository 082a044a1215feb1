/**
 * `npm run bench:replay [-- --days 365 --seed 1 --file FILE]`: replays a generated year of one district at max speed
 * through the public ingest API into a fresh drill space of a real server (its own process, SQLite on disk) —
 * durable ingest and fold of every event — and prints the time and events/s, against DESIGN §6's target of a year
 * (≈ 3 M events) in ≤ 30 s. The year is generated first to a JSONL file (timed separately; reused with --file).
 * `--server-prof DIR` writes a V8 CPU profile of the server process to DIR when it exits.
 */
import { fork } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DAY_MS, HOUR_MS, shanghaiMidnight } from '../shared/time';
import { DistrictSim } from '../simulators/day';
import { startReplay } from '../simulators/replay';
import { JsonlReader } from '../simulators/sources/jsonl';

const { values } = parseArgs({ options: { days: { type: 'string', default: '365' }, seed: { type: 'string', default: '1' }, from: { type: 'string', default: '2025-01-01' }, file: { type: 'string' }, batch: { type: 'string', default: '5000' }, 'server-prof': { type: 'string' } } });
const days = Number(values.days);
const work = mkdtempSync(path.join(tmpdir(), 'cityops-bench-replay-'));
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
  console.log(`cityops-wall replay benchmark — ${days} day(s) of the simulated district from ${values.from}, seed ${values.seed}, node ${process.version}`);
  if (!values.file || !existsSync(file)) {
    const g0 = performance.now();
    const n = await generate();
    console.log(`generated ${fmt(n)} events (${fmt(n / days)}/day, ${mb(statSync(file).size)} JSONL) in ${((performance.now() - g0) / 1000).toFixed(1)} s`);
  }
  const server = fork(path.join(path.dirname(fileURLToPath(import.meta.url)), 'replay-server.ts'), [path.join(work, 'data')], { execArgv: [...(values['server-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['server-prof']}`] : []), '--import', 'tsx'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const first = await once(createInterface({ input: server.stdout as NodeJS.ReadableStream }), 'line') as [string];
  const { url } = JSON.parse(first[0]) as { url: string };
  let peakClient = 0;
  const sampler = setInterval(() => { peakClient = Math.max(peakClient, process.memoryUsage.rss()); }, 200);
  const reader = new JsonlReader(file);
  const size = statSync(file).size;
  let lastLog = 0;
  const t0 = performance.now();
  const r = await startReplay({
    server: url, token: 'bench', space: 'drill-bench', speed: Number.POSITIVE_INFINITY, events: reader, batchSize: Number(values.batch), inFlight: 4,
    onProgress: (p) => {
      const t = performance.now();
      if (t - lastLog < 5000) return;
      lastLog = t;
      console.log(`  ${((reader.bytesRead / size) * 100).toFixed(0)}%: ${fmt(p.sent)} events, ${fmt(p.sent / ((t - t0) / 1000))} events/s`);
    },
  }).done;
  const secs = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  server.send('stats');
  const [stats] = await once(server, 'message') as [{ events: number; cases: number; peakRss: number }];
  const rate = r.accepted / secs;
  console.log(`replayed ${fmt(r.sent)} events at max speed in ${secs.toFixed(1)} s = ${fmt(rate)} events/s (${r.accepted === r.sent ? 'all accepted' : `${fmt(r.accepted)} accepted, ${r.rejected} rejected, ${r.quarantined} quarantined, ${r.duplicate} duplicate`})`);
  console.log(`  server folded ${fmt(stats.events)} events into ${fmt(stats.cases)} cases; server peak RSS ${mb(stats.peakRss)}, client peak RSS ${mb(peakClient)}`);
  console.log(`  at this rate 3,000,000 events take ${(3e6 / rate).toFixed(1)} s (DESIGN §6 target: a year ≈ 3 M events in ≤ 30 s, i.e. ≥ 100,000 events/s)`);
  server.kill('SIGTERM');
  await once(server, 'exit');
  rmSync(work, { recursive: true, force: true });
}

await main();
