/**
 * `npm run sim -- run …` feeds a server's space from the district simulator; `npm run sim -- generate …` writes the
 * events of whole days to a JSONL file (same seed → byte-identical file).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { DAY_MS, HOUR_MS, shanghaiDateKey, shanghaiMidnight } from '../shared/time';
import { DistrictSim } from './day';
import { startProducer } from './producer';

const USAGE = `Usage: npm run sim -- <command> [options]

Commands:
  run        feed a space of a running server (backlog, then live)
  generate   write days of simulated events to a JSONL file

Run "npm run sim -- <command> --help" for a command's options.`;

const RUN_USAGE = `Usage: npm run sim -- run --server URL --token TOKEN --space SPACE [options]

  --server URL         server base URL, e.g. http://127.0.0.1:8080 (required)
  --token TOKEN        a producer token for the space (required)
  --space SPACE        demo or drill-<name> (required)
  --seed N             random seed (default 1)
  --speed X|max        simulated seconds per wall second (default 1; "max" = as fast as acked)
  --backlog-days D     whole days of backlog before today (default 1)
  --batch-size N       events per batch, 1–10000 (default 5000)
  -h, --help           this help`;

const GENERATE_USAGE = `Usage: npm run sim -- generate --from YYYY-MM-DD --out FILE.jsonl [options]

  --seed N             random seed (default 1)
  --from YYYY-MM-DD    first day, Asia/Shanghai (required)
  --days D             number of days (default 1)
  --out FILE           output file, one event per line (required)
  -h, --help           this help`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === 'run') return run(rest);
  if (command === 'generate') return generate(rest);
  throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
}

function parse<T extends Record<string, { type: 'string' | 'boolean'; short?: string }>>(args: string[], options: T, usage: string) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage}`);
  }
}

function required(value: string | boolean | undefined, name: string, usage: string): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required\n\n${usage}`);
  return value;
}

function wholeNumber(value: string | boolean | undefined, name: string, dflt: number, min: number, max: number): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (typeof value !== 'string' || !/^-?\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${String(value)}"`);
  return n;
}

async function run(args: string[]): Promise<number> {
  const v = parse(args, {
    server: { type: 'string' }, token: { type: 'string' }, space: { type: 'string' }, seed: { type: 'string' },
    speed: { type: 'string' }, 'backlog-days': { type: 'string' }, 'batch-size': { type: 'string' },
  }, RUN_USAGE);
  if (v.help) { console.log(RUN_USAGE); return 0; }
  const server = required(v.server, 'server', RUN_USAGE);
  if (!/^https?:\/\/[^\s]+$/.test(server)) throw new UsageError(`--server must be an http(s) URL, got "${server}"`);
  const token = required(v.token, 'token', RUN_USAGE);
  const space = required(v.space, 'space', RUN_USAGE);
  if (space === 'live') throw new UsageError('--space live is refused: simulators feed demo or drill-<name> spaces only');
  if (!/^(demo|drill-[a-z0-9][a-z0-9-]{0,40})$/.test(space)) throw new UsageError(`--space must be demo or drill-<name>, got "${space}"`);
  const speedArg = typeof v.speed === 'string' ? v.speed : '1';
  const speed = speedArg === 'max' ? Number.POSITIVE_INFINITY : Number(speedArg);
  if (!(speed > 0) || (!Number.isFinite(speed) && speedArg !== 'max')) throw new UsageError(`--speed must be a positive number or "max", got "${speedArg}"`);
  const seed = wholeNumber(v.seed, 'seed', 1, 0, 2 ** 31);
  const backlogDays = wholeNumber(v['backlog-days'], 'backlog-days', 1, 0, 60);
  const batchSize = wholeNumber(v['batch-size'], 'batch-size', 5000, 1, 10_000);
  const started = Date.now();
  let lastLog = 0;
  const producer = startProducer({
    server, token, space, seed, speed, backlogDays, batchSize,
    onProgress: (p) => {
      const t = Date.now();
      if (t - lastLog < 2000) return;
      lastLog = t;
      console.log(`${p.phase}: simulated ${new Date(p.simTime).toISOString()}, ${p.events} events in ${p.batches} batches`);
    },
  });
  process.once('SIGINT', () => { console.log('stopping…'); void producer.stop(); });
  process.once('SIGTERM', () => void producer.stop());
  await producer.backlogDone;
  console.log(`backlog of ${backlogDays} day(s) acknowledged in ${((Date.now() - started) / 1000).toFixed(1)} s; live at ${speedArg}× (Ctrl-C stops)`);
  await producer.done;
  return 0;
}

async function generate(args: string[]): Promise<number> {
  const v = parse(args, { seed: { type: 'string' }, from: { type: 'string' }, days: { type: 'string' }, out: { type: 'string' } }, GENERATE_USAGE);
  if (v.help) { console.log(GENERATE_USAGE); return 0; }
  const from = required(v.from, 'from', GENERATE_USAGE);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || shanghaiDateKey(shanghaiMidnight(from)) !== from) throw new UsageError(`--from must be a date YYYY-MM-DD, got "${from}"`);
  const out = required(v.out, 'out', GENERATE_USAGE);
  const seed = wholeNumber(v.seed, 'seed', 1, 0, 2 ** 31);
  const days = wholeNumber(v.days, 'days', 1, 1, 3660);
  const start = shanghaiMidnight(from);
  const end = start + days * DAY_MS - 1;
  const sim = new DistrictSim({ seed, start });
  const file = createWriteStream(out, { encoding: 'utf8' });
  const began = performance.now();
  let count = 0;
  for (let t = start; t < end;) {
    t = Math.min(end, t + HOUR_MS);
    const chunk = sim.advanceTo(t);
    if (chunk.length === 0) continue;
    count += chunk.length;
    if (!file.write(chunk.map((e) => JSON.stringify(e)).join('\n') + '\n')) await once(file, 'drain');
  }
  file.end();
  await once(file, 'finish');
  const secs = (performance.now() - began) / 1000;
  console.log(`wrote ${count} events (${days} day(s) from ${from}, seed ${seed}) to ${out} in ${secs.toFixed(2)} s`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    console.error(err instanceof UsageError ? `error: ${err.message}` : `error: ${(err as Error).message ?? String(err)}`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
