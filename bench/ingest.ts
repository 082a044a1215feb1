/**
 * `npm run bench:ingest [-- --events N]`: durable ingest + fold of generated events (default 1,000,000),
 * (1) in process through validation, dedupe, the reducers and the SQLite log, in batches of 2,000, the app's timers
 * (the read model's writes, the monitor's passes and checkpoints) running between batches as in service, and
 * (2) over HTTP batches to a real server, posted one after another by a producer in its own process; then a cold rebuild of the projection and the case read model from the log.
 * Prints events/s and peak RSS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../server/log';
import { createApp } from '../server/app';
import { TokenRegistry } from '../server/auth/tokens';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../server/store/sqlite';
import { DEFAULT_CONFIG } from '@shared/config';
import { shanghaiInstant } from '@shared/time';
import { BenchChild } from './child';
import { lifecycleBatches, timedIngest } from './events';
import type { IngestProducerCommand, IngestProducerReply } from './ingest-producer';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '2000' },
    'http-events': { type: 'string' },
  },
});
const total = Number(values.events);
const batchSize = Number(values.batch);
const httpTotal = Number(values['http-events'] ?? Math.min(total, 300_000));
const start = shanghaiInstant('2026-01-05', '00:00');
let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 100);
const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;

async function withApp<T>(fn: (app: ReturnType<typeof createApp>, dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cityops-bench-'));
  const app = createApp({
    ...onFiles(dir),
    tokens: new TokenRegistry([{ role: 'producer', space: null, token: 'bench' }]),
    bodyLimit: '50mb',
  });
  try {
    return await fn(app, dir);
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The app's store and read model on files in `dir`, as in production (the read model holds the checkpoints). */
function onFiles(dir: string) {
  return {
    store: openSqliteStore({ dataDir: dir }),
    config: DEFAULT_CONFIG,
    caseDbFile: path.join(dir, 'cases.sqlite'),
    logger: createLogger({ level: 'warn' }),
  };
}

const batches = (n: number, prefix: string) => lifecycleBatches(n, batchSize, start, prefix);

/**
 * Baseline in the same process: the same events serialised and appended to a bare WAL SQLite table with a unique
 * event id, one transaction per batch — no validation, no dedupe filter, no fold. The product's figure is read against it.
 */
function baseline(): number {
  const dir = mkdtempSync(path.join(tmpdir(), 'cityops-bench-base-'));
  const db = new Database(path.join(dir, 'base.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE log (seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, body TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO log (event_id, body) VALUES (?, ?)');
    const append = db.transaction((b: unknown[]) => {
      for (const e of b) insert.run((e as { eventId: string }).eventId, JSON.stringify(e));
    });
    const t0 = performance.now();
    let n = 0;
    for (const b of batches(total, 'b')) {
      append(b);
      n += b.length;
    }
    const rate = n / ((performance.now() - t0) / 1000);
    console.log(
      `baseline (bare SQLite append, same batches): ${n.toLocaleString()} events = ${Math.round(rate).toLocaleString()} events/s`,
    );
    return rate;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Ingests in a fresh app and closes it; returns the data directory for the cold rebuild (the app is unreachable then). */
async function inProcess(base: number): Promise<{ dir: string; accepted: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cityops-bench-'));
  const app = createApp({
    ...onFiles(dir),
    tokens: new TokenRegistry([{ role: 'producer', space: null, token: 'bench' }]),
    bodyLimit: '50mb',
  });
  await app.ready;
  const { accepted, secs, checkpoints } = await timedIngest(app, batches(total, 'p'));
  const rate = accepted / secs;
  console.log(
    `in-process ingest+fold: ${accepted.toLocaleString()} events in ${secs.toFixed(2)} s = ${Math.round(rate).toLocaleString()} events/s, ${(rate / base).toFixed(2)}× the baseline (timers running between batches: ${checkpoints} checkpoint(s) written meanwhile; cases in memory at the end ${app.spaces.get('live').projection.cases.size}, open ${app.spaces.get('live').projection.open.size})`,
  );
  await app.close();
  return { dir, accepted };
}

/** A server start on that log, as after a restart: every projection and the case read model rebuilt from the log. */
async function coldRebuild(dir: string, accepted: number, base: number): Promise<void> {
  try {
    // Cold: the checkpoint the graceful stop wrote is removed, so the whole log is folded (the case rows stay).
    const cases = new Database(path.join(dir, 'cases.sqlite'));
    cases.prepare('DELETE FROM checkpoints').run();
    cases.close();
    const rebuilt = createApp({ ...onFiles(dir), tokens: new TokenRegistry([]) });
    const r0 = performance.now();
    await rebuilt.ready;
    const rs = (performance.now() - r0) / 1000;
    console.log(
      `cold rebuild from the log (projection + case read model): ${rebuilt.spaces.get('live').projection.eventsApplied.toLocaleString()} events in ${rs.toFixed(2)} s = ${Math.round(accepted / rs).toLocaleString()} events/s, ${(accepted / rs / base).toFixed(2)}× the baseline`,
    );
    await rebuilt.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same events over HTTP from a producer in its own process (its serialising and its HTTP client are not the server's). */
async function overHttp(): Promise<void> {
  await withApp(async (app) => {
    const addr = await app.listen(0, '127.0.0.1');
    await app.ready;
    const producer = new BenchChild<IngestProducerCommand, IngestProducerReply>('ingest-producer.ts');
    try {
      const r = await producer.ask({
        url: `http://127.0.0.1:${addr.port}/api/v1/events`,
        token: 'bench',
        total: httpTotal,
        batch: batchSize,
        start,
      });
      if (r.error) throw new Error(`the HTTP producer failed: ${r.error}`);
      console.log(
        `HTTP batches of ${batchSize} from a producer process: ${r.accepted.toLocaleString()} events in ${r.secs.toFixed(2)} s = ${Math.round(r.accepted / r.secs).toLocaleString()} events/s`,
      );
    } finally {
      producer.stop();
    }
  });
}

console.log(
  `cityops-wall ingest benchmark — ${total.toLocaleString()} events in process, ${httpTotal.toLocaleString()} over HTTP, node ${process.version}`,
);
const base = baseline();
const ingested = await inProcess(base);
await coldRebuild(ingested.dir, ingested.accepted, base);
await overHttp();
clearInterval(sampler);
console.log(`peak RSS ${mb(peakRss)}`);
