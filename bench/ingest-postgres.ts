/**
 * `npm run bench:ingest:pg [-- --events N]`: durable ingest + fold on the PostgreSQL store (default 200,000 generated
 * events in batches of 2,000), against a baseline measured in the same run on the same server: the same events'
 * JSON appended to a bare table of the same shape (seq, space, event id unique per space, body) by one multi-row
 * INSERT per batch — no validation, no lock, no dedupe filter, no fold. Each run uses fresh databases (dropped after).
 * Needs PostgreSQL (PG_URL, default postgres://postgres@127.0.0.1:5432).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createApp } from '../server/app';
import { TokenRegistry } from '../server/auth/tokens';
import { createLogger } from '../server/log';
import { openPostgresStore } from '../server/store/postgres';
import { DEFAULT_CONFIG } from '@shared/config';
import { shanghaiInstant } from '@shared/time';
import { createTestDatabase } from '../harness/postgres';
import { pgCaseRows, type PgCaseRows } from '../server/cluster/caseRows';
import { lifecycleBatches, timedIngest } from './events';

/** Waits until `ok` holds, polling every 20 ms. */
async function until(ok: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await ok())) await new Promise((r) => setTimeout(r, 20));
}

const { values } = parseArgs({
  options: { events: { type: 'string', default: '200000' }, batch: { type: 'string', default: '2000' } },
});
const total = Number(values.events);
const batchSize = Number(values.batch);
const start = shanghaiInstant('2026-01-05', '00:00');

const batches = (n: number, prefix: string) => lifecycleBatches(n, batchSize, start, prefix);

async function withDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const db = await createTestDatabase('cityops_bench');
  try {
    return await fn(db.url);
  } finally {
    await db.drop();
  }
}

/** The bare append: one multi-row INSERT of the batch's JSON per transaction. */
async function baseline(): Promise<number> {
  return withDatabase(async (url) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(
      'CREATE TABLE events (seq BIGSERIAL PRIMARY KEY, space TEXT NOT NULL, event_id TEXT NOT NULL, body TEXT NOT NULL); CREATE UNIQUE INDEX ON events (space, event_id); CREATE INDEX ON events (space, seq)',
    );
    const t0 = performance.now();
    let n = 0;
    for (const b of batches(total, 'b')) {
      const ids = b.map((e) => (e as { eventId: string }).eventId);
      const bodies = b.map((e) => JSON.stringify(e));
      await c.query('BEGIN');
      await c.query(
        'INSERT INTO events (space, event_id, body) SELECT $1, i, b FROM unnest($2::text[], $3::text[]) AS t(i, b)',
        ['live', ids, bodies],
      );
      await c.query('COMMIT');
      n += b.length;
    }
    const rate = n / ((performance.now() - t0) / 1000);
    await c.end();
    console.log(
      `baseline (bare multi-row INSERT, same batches): ${n.toLocaleString()} events = ${Math.round(rate).toLocaleString()} events/s`,
    );
    return rate;
  });
}

/**
 * The product's ingest on one node of a cluster; with `writer`, the node also writes the case rows every node queries
 * (`PgCaseRows`, as the node holding the `case-rows` lease does), and the time they take to reach the log's end after
 * the last answer is printed.
 */
async function product(base: number, writer: boolean): Promise<void> {
  await withDatabase(async (url) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cityops-bench-pg-'));
    const store = await openPostgresStore({ connectionString: url });
    let rows: PgCaseRows | null = null;
    const app = createApp({
      store,
      follow: { connectionString: url },
      ...(writer
        ? {
            caseRows: (made) => (rows = pgCaseRows({ pool: store.pool, connectionString: url })(made) as PgCaseRows),
          }
        : {}),
      config: DEFAULT_CONFIG,
      caseDbFile: path.join(dir, 'cases.sqlite'),
      logger: createLogger({ level: 'warn' }),
      tokens: new TokenRegistry([]),
    });
    try {
      await app.ready;
      if (rows) await until(() => rows!.writing);
      const { accepted, secs } = await timedIngest(app, batches(total, 'p'));
      const rate = accepted / secs;
      console.log(
        `in-process ingest+fold on PostgreSQL${writer ? ', this node writing the shared case rows' : ''}: ${accepted.toLocaleString()} events in ${secs.toFixed(2)} s = ${Math.round(rate).toLocaleString()} events/s, ${(rate / base).toFixed(2)}× the baseline`,
      );
      if (rows) {
        const r0 = performance.now();
        const end = app.cases.foldedSeq('live');
        await until(async () => (await rows!.position('live')) >= end);
        console.log(
          `  the shared case rows reached the log's end ${Math.round(performance.now() - r0)} ms after the last answer`,
        );
        return;
      }
      // A node joining the cluster: folds the log from the shared store (no checkpoint in its fresh data dir).
      const dir2 = mkdtempSync(path.join(tmpdir(), 'cityops-bench-pg-'));
      const joiner = createApp({
        store: await openPostgresStore({ connectionString: url }),
        follow: { connectionString: url },
        config: DEFAULT_CONFIG,
        caseDbFile: path.join(dir2, 'cases.sqlite'),
        logger: createLogger({ level: 'warn' }),
        tokens: new TokenRegistry([]),
      });
      const j0 = performance.now();
      await joiner.ready;
      const js = (performance.now() - j0) / 1000;
      console.log(
        `a fresh node joining (fold of the whole log from PostgreSQL): ${joiner.spaces.get('live').projection.eventsApplied.toLocaleString()} events in ${js.toFixed(2)} s`,
      );
      await joiner.close();
      rmSync(dir2, { recursive: true, force: true });
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

console.log(
  `cityops-wall ingest benchmark on PostgreSQL — ${total.toLocaleString()} events, batches of ${batchSize}, node ${process.version}`,
);
const base = await baseline();
await product(base, false);
await product(base, true);
