/**
 * The cluster's event store: PostgreSQL. One `events` table for every space, ordered by a database-assigned `seq`
 * (a sequence), `(space, event_id)` unique as the final dedupe guard. Writes to one space are serialised across every
 * node by a transaction-scoped advisory lock: the writer reads the log's tail after its own position under the lock,
 * folds it, then validates and appends — so a space has one order in the whole cluster, and within a space `seq`
 * grows in commit order (a later writer takes its seqs after the earlier one committed). Each commit notifies
 * `cityops_log` with the space's name; followers also catch up by position, never by notification alone.
 */
import pg from 'pg';
import { CASE_ROW_TABLES } from '../cases/rows';
import type { DomainEvent } from '@shared/events';
import { StoreUnavailableError, type EventStore, type LogChunk, type QuarantineEntry, type SpaceWrite } from './types';

/** The notification channel of committed batches (payload: the space) and deleted spaces (payload: `-space`). */
export const LOG_CHANNEL = 'cityops_log';

/** Bumped when the tables change shape; each step migrates from the one before. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS spaces (name TEXT PRIMARY KEY);
   CREATE TABLE IF NOT EXISTS events (seq BIGSERIAL PRIMARY KEY, space TEXT NOT NULL, event_id TEXT NOT NULL, body TEXT NOT NULL);
   CREATE UNIQUE INDEX IF NOT EXISTS events_space_event ON events (space, event_id);
   CREATE INDEX IF NOT EXISTS events_space_seq ON events (space, seq);
   CREATE TABLE IF NOT EXISTS quarantine (id BIGSERIAL PRIMARY KEY, space TEXT NOT NULL, received_at BIGINT NOT NULL,
     event_id TEXT NOT NULL, type TEXT NOT NULL, reason TEXT NOT NULL, body TEXT NOT NULL);
   CREATE INDEX IF NOT EXISTS quarantine_space ON quarantine (space, id);`,
  // 2: login sessions shared by the nodes (server/auth/pgSessions.ts).
  `CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, token TEXT NOT NULL, grant_role TEXT NOT NULL, grant_space TEXT,
     name TEXT, csrf TEXT NOT NULL, expires BIGINT NOT NULL);
   CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires);`,
  // 3: the duty desk's webhook outbox shared by the nodes (server/duty/pgOutbox.ts).
  `CREATE TABLE IF NOT EXISTS outbox (id BIGSERIAL PRIMARY KEY, space TEXT NOT NULL, item_id TEXT NOT NULL,
     event_id TEXT NOT NULL, endpoint TEXT NOT NULL, level TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL,
     attempts INTEGER NOT NULL, next_at BIGINT NOT NULL, last_error TEXT, created_at BIGINT NOT NULL, delivered_at BIGINT,
     claimed_until BIGINT, UNIQUE (space, event_id, endpoint));
   CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_at);
   CREATE INDEX IF NOT EXISTS outbox_item ON outbox (space, item_id);`,
  // 4: drill records shared by the nodes, with the stop asked of a drill's runner (server/drills/pgRecords.ts).
  `CREATE TABLE IF NOT EXISTS drills (id TEXT PRIMARY KEY, space TEXT NOT NULL, scenario TEXT NOT NULL, status TEXT NOT NULL,
     created_at BIGINT NOT NULL, ended_at BIGINT, record TEXT NOT NULL, command TEXT);
   CREATE INDEX IF NOT EXISTS drills_active ON drills (status) WHERE status IN ('starting', 'running');`,
  // 5: snapshots of the case read model a joining node starts from (server/cluster/snapshots.ts): a deflated SQLite file
  // in chunks of a few MB, stored as they are (already compressed: no TOAST compression).
  `CREATE TABLE IF NOT EXISTS case_snapshots (id BIGSERIAL PRIMARY KEY, version TEXT NOT NULL, schema INTEGER NOT NULL,
     positions JSONB NOT NULL, chunks INTEGER NOT NULL, bytes BIGINT NOT NULL, stored_bytes BIGINT NOT NULL,
     sha256 TEXT NOT NULL, node TEXT NOT NULL, written_at BIGINT NOT NULL);
   CREATE INDEX IF NOT EXISTS case_snapshots_version ON case_snapshots (version, id);
   CREATE TABLE IF NOT EXISTS case_snapshot_chunks (snapshot BIGINT NOT NULL REFERENCES case_snapshots (id) ON DELETE CASCADE,
     n INTEGER NOT NULL, sha256 TEXT NOT NULL, data BYTEA NOT NULL, PRIMARY KEY (snapshot, n));
   ALTER TABLE case_snapshot_chunks ALTER COLUMN data SET STORAGE EXTERNAL;`,
  // 6: the case read model's rows every node queries (server/cluster/caseRows.ts): the tables and columns of the nodes'
  // own read model (server/cases/readModel.ts), so one query text runs on both. Texts compare byte by byte ("C"), as
  // SQLite's do, so lists come in the same order.
  `CREATE TABLE IF NOT EXISTS cases (space TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL,
     channel TEXT COLLATE "C" NOT NULL, case_type TEXT COLLATE "C" NOT NULL, urgency TEXT COLLATE "C" NOT NULL,
     flags INTEGER NOT NULL, category TEXT COLLATE "C" NOT NULL, street TEXT COLLATE "C" NOT NULL, unit TEXT COLLATE "C",
     stage TEXT COLLATE "C" NOT NULL, title TEXT COLLATE "C" NOT NULL, received_at BIGINT NOT NULL, closed_at BIGINT,
     open INTEGER NOT NULL, exempt INTEGER NOT NULL, supervised INTEGER NOT NULL,
     sign_deadline BIGINT, sign_risk BIGINT, handle_deadline BIGINT, handle_risk BIGINT, callback_deadline BIGINT,
     callback_risk BIGINT, next_clock TEXT COLLATE "C", next_deadline BIGINT, next_risk BIGINT,
     need_dispatch INTEGER, dispatched INTEGER, signed INTEGER, signed_on_time INTEGER, replied INTEGER,
     replied_on_time INTEGER, closed INTEGER, evaluated INTEGER, satisfied INTEGER, rejected INTEGER, reopened INTEGER,
     reopened_signed INTEGER, called_back INTEGER, emergency INTEGER, emergency_on_time INTEGER, seq BIGINT NOT NULL,
     PRIMARY KEY (space, id));
   CREATE INDEX IF NOT EXISTS cases_open_deadline ON cases (space, next_deadline) WHERE open = 1;
   CREATE INDEX IF NOT EXISTS cases_open_risk ON cases (space, next_risk) WHERE open = 1;
   CREATE INDEX IF NOT EXISTS cases_received ON cases (space, received_at);
   CREATE INDEX IF NOT EXISTS cases_unit ON cases (space, unit, received_at, open);
   CREATE INDEX IF NOT EXISTS cases_street ON cases (space, street, received_at, open);
   CREATE INDEX IF NOT EXISTS cases_channel ON cases (space, channel, received_at, open);
   CREATE INDEX IF NOT EXISTS cases_category ON cases (space, category, received_at, open);
   CREATE TABLE IF NOT EXISTS case_states (space TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL, state TEXT NOT NULL,
     PRIMARY KEY (space, id));
   CREATE TABLE IF NOT EXISTS case_history (space TEXT COLLATE "C" NOT NULL, case_id TEXT COLLATE "C" NOT NULL,
     seqs TEXT NOT NULL, PRIMARY KEY (space, case_id));
   CREATE TABLE IF NOT EXISTS case_supervisions (space TEXT COLLATE "C" NOT NULL, ts BIGINT NOT NULL, seq BIGINT NOT NULL,
     PRIMARY KEY (space, seq));
   CREATE INDEX IF NOT EXISTS case_supervisions_ts ON case_supervisions (space, ts);
   CREATE TABLE IF NOT EXISTS duty_items (space TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL, since BIGINT NOT NULL,
     state TEXT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (space, id));
   CREATE INDEX IF NOT EXISTS duty_items_since ON duty_items (space, since);
   CREATE TABLE IF NOT EXISTS duty_handovers (space TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL,
     shift_end BIGINT NOT NULL, state TEXT NOT NULL, record TEXT, seq BIGINT NOT NULL, PRIMARY KEY (space, id));
   CREATE INDEX IF NOT EXISTS duty_handovers_end ON duty_handovers (space, shift_end);
   CREATE TABLE IF NOT EXISTS duty_rosters (space TEXT COLLATE "C" NOT NULL, date TEXT COLLATE "C" NOT NULL, shifts TEXT NOT NULL,
     seq BIGINT NOT NULL, PRIMARY KEY (space, date));
   CREATE TABLE IF NOT EXISTS read_model_meta (space TEXT COLLATE "C" PRIMARY KEY, seq BIGINT NOT NULL, version TEXT NOT NULL,
     earliest BIGINT);`,
  // 7: finding an event already in quarantine by its id (a producer's retry is a duplicate, not stored again). Not
  // unique: a table written before may hold repeats, and the same id with another body is kept.
  `CREATE INDEX IF NOT EXISTS quarantine_event ON quarantine (space, event_id);`,
];

/** The advisory lock key of a space's case rows: taken by their writer and by a space's deletion. */
export const CASE_ROWS_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('cityops-case-rows:' || $1, 0))";

/** Options of the PostgreSQL store. */
export interface PostgresStoreOptions {
  readonly connectionString: string;
  /** Connections in the pool (default 10). */
  readonly poolSize?: number;
}

/** The advisory lock key of a space's writes (a 64-bit key from the space's name, in a namespace of our own). */
const LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('cityops-log:' || $1, 0))";

/** How long a transaction may sit idle on the server before the server ends it, ms. */
const IDLE_IN_TRANSACTION_MS = 30_000;
/** How long a write waits for its space's lock before it is answered `unavailable`, ms. */
const LOCK_WAIT_MS = 20_000;

/** Opens the store: connects, creates or migrates the schema (under a lock, so nodes starting together agree). */
export async function openPostgresStore(opts: PostgresStoreOptions): Promise<EventStore & { readonly pool: pg.Pool }> {
  // A node that dies or stalls inside a write must not hold its space's lock for good: the server ends a transaction
  // left idle for 30 s (and with it the lock), and TCP keepalive finds connections whose peer vanished.
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
    keepAlive: true,
    options: `-c idle_in_transaction_session_timeout=${IDLE_IN_TRANSACTION_MS}`,
  });
  // An idle client that loses its connection (the server restarted) is dropped from the pool, not thrown.
  pool.on('error', () => undefined);
  await migrate(pool);

  async function appendIn(
    client: pg.PoolClient,
    space: string,
    events: readonly DomainEvent[],
    quarantined: readonly QuarantineEntry[],
  ): Promise<number[]> {
    const seqs = new Array<number>(events.length);
    if (events.length > 0) {
      const ids = new Array<string>(events.length);
      for (let i = 0; i < events.length; i++) ids[i] = events[i]!.eventId;
      // The bodies go as one JSON array (one stringify, no per-element escaping into an array literal); `json` (not
      // `jsonb`) keeps each element's text as sent, which is the body stored, and is never decoded (so a `\u0000` in a
      // citizen's text is kept as sent). Rows are numbered in the batch's order (ORDER BY n), so the seqs returned,
      // sorted, are the events' in order. The space is (re)registered in the same statement: another node may have
      // deleted it since.
      const { rows } = await client.query<[string]>({
        text: `WITH s AS (INSERT INTO spaces (name) VALUES ($1) ON CONFLICT DO NOTHING)
          INSERT INTO events (space, event_id, body) SELECT $1, i, e::text
          FROM ROWS FROM (unnest($2::text[]), json_array_elements($3::json)) WITH ORDINALITY AS t(i, e, n) ORDER BY n RETURNING seq`,
        values: [space, ids, JSON.stringify(events)],
        rowMode: 'array',
      });
      for (let i = 0; i < rows.length; i++) seqs[i] = Number(rows[i]![0]);
      seqs.sort((a, b) => a - b);
    }
    if (quarantined.length > 0) {
      await client.query(
        'INSERT INTO quarantine (space, received_at, event_id, type, reason, body) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[])',
        [
          quarantined.map((q) => q.space),
          quarantined.map((q) => q.receivedAt),
          quarantined.map((q) => q.eventId),
          quarantined.map((q) => q.type),
          quarantined.map((q) => q.reason),
          quarantined.map((q) => JSON.stringify(q.event)),
        ],
      );
    }
    if (events.length > 0) await client.query('SELECT pg_notify($1, $2)', [LOG_CHANNEL, space]);
    return seqs;
  }

  async function inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw unavailable(err);
    }
    let broken = false;
    try {
      // A write that waits longer than this for its space's lock is answered `unavailable` (the producer retries).
      await client.query(`BEGIN; SET LOCAL lock_timeout = ${LOCK_WAIT_MS}`);
      const out = await work(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      broken = isConnectionError(err);
      if (!broken) await client.query('ROLLBACK').catch(() => undefined);
      throw broken || isLockTimeout(err) ? unavailable(err) : err;
    } finally {
      // A connection that failed is not given back to the pool.
      client.release(broken);
    }
  }

  async function page(
    space: string,
    after: number,
    limit: number,
    client: pg.Pool | pg.PoolClient = pool,
  ): Promise<LogChunk> {
    let rows: [string, string][];
    try {
      ({ rows } = await client.query<[string, string]>({
        text: 'SELECT seq, body FROM events WHERE space = $1 AND seq > $2 ORDER BY seq LIMIT $3',
        values: [space, after, limit],
        rowMode: 'array',
      }));
    } catch (err) {
      throw isConnectionError(err) ? unavailable(err) : err;
    }
    const seqs = new Array<number>(rows.length);
    const events = new Array<DomainEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      seqs[i] = Number(r[0]);
      events[i] = JSON.parse(r[1]) as DomainEvent;
    }
    return { seqs, events };
  }

  /** A query on any pooled connection; a connection failure becomes `StoreUnavailableError`. */
  async function q<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await pool.query<R>(text, values);
    } catch (err) {
      throw isConnectionError(err) ? unavailable(err) : err;
    }
  }

  const store: EventStore & { pool: pg.Pool } = {
    pool,
    async append(space, events, quarantined) {
      return inTransaction(async (client) => {
        await client.query(LOCK_SQL, [space]);
        return appendIn(client, space, events, quarantined);
      });
    },
    async write<T>(space: string, after: number, work: (w: SpaceWrite) => Promise<T>): Promise<T> {
      return inTransaction(async (client) => {
        await client.query(LOCK_SQL, [space]);
        const seqs: number[] = [];
        const events: DomainEvent[] = [];
        for (let from = after; ;) {
          const c = await page(space, from, 10_000, client);
          if (c.events.length === 0) break;
          seqs.push(...c.seqs);
          events.push(...c.events);
          from = c.seqs[c.seqs.length - 1]!;
        }
        return work({ tail: { seqs, events }, append: (ev, q) => appendIn(client, space, ev, q) });
      });
    },
    async hasEventId(space, eventId) {
      const { rowCount } = await q('SELECT 1 FROM events WHERE space = $1 AND event_id = $2', [space, eventId]);
      return (rowCount ?? 0) > 0;
    },
    async hasQuarantined(space, event) {
      const { rowCount } = await q(
        'SELECT 1 FROM quarantine WHERE space = $1 AND event_id = $2 AND body = $3 LIMIT 1',
        [space, event.eventId, JSON.stringify(event)],
      );
      return (rowCount ?? 0) > 0;
    },
    async spaces() {
      const { rows } = await q<{ name: string }>('SELECT name FROM spaces ORDER BY name', []);
      return rows.map((r) => r.name);
    },
    async *read(space, chunkSize = 5_000) {
      for await (const chunk of store.readWithSeqs(space, chunkSize)) yield chunk.events;
    },
    async *readWithSeqs(space, chunkSize = 5_000, from = 0) {
      let after = from;
      for (;;) {
        const c = await page(space, after, chunkSize);
        if (c.events.length === 0) return;
        after = c.seqs[c.seqs.length - 1]!;
        yield c;
      }
    },
    async readSeqs(space, seqs) {
      if (seqs.length === 0) return [];
      const { rows } = await q<{ seq: string; body: string }>(
        'SELECT seq, body FROM events WHERE space = $1 AND seq = ANY($2::bigint[]) ORDER BY seq',
        [space, seqs],
      );
      return rows.map((r) => ({ seq: Number(r.seq), event: JSON.parse(r.body) as DomainEvent }));
    },
    async count(space) {
      return store.countAfter(space, 0);
    },
    async countAfter(space, after) {
      const { rows } = await q<{ n: string }>('SELECT count(*) AS n FROM events WHERE space = $1 AND seq > $2', [
        space,
        after,
      ]);
      return Number(rows[0]!.n);
    },
    async listQuarantine(space, limit, offset) {
      const where = space === null ? '' : 'WHERE space = $3';
      const args: unknown[] = space === null ? [limit, offset] : [limit, offset, space];
      const total = await q<{ n: string }>(
        `SELECT count(*) AS n FROM quarantine ${space === null ? '' : 'WHERE space = $1'}`,
        space === null ? [] : [space],
      );
      const { rows } = await q<{
        space: string;
        received_at: string;
        event_id: string;
        type: string;
        reason: string;
        body: string;
      }>(
        `SELECT space, received_at, event_id, type, reason, body FROM quarantine ${where} ORDER BY id DESC LIMIT $1 OFFSET $2`,
        args,
      );
      return {
        total: Number(total.rows[0]!.n),
        items: rows.map((r) => ({
          space: r.space,
          receivedAt: Number(r.received_at),
          eventId: r.event_id,
          type: r.type,
          reason: r.reason,
          event: JSON.parse(r.body) as DomainEvent,
        })),
      };
    },
    async quarantineCounts() {
      const { rows } = await q<{ space: string; n: string }>(
        'SELECT space, count(*) AS n FROM quarantine GROUP BY space',
        [],
      );
      return Object.fromEntries(rows.map((r) => [r.space, Number(r.n)]));
    },
    async deleteSpace(space) {
      await inTransaction(async (client) => {
        await client.query(LOCK_SQL, [space]);
        await client.query('DELETE FROM events WHERE space = $1', [space]);
        await client.query('DELETE FROM spaces WHERE name = $1', [space]);
        await client.query('DELETE FROM quarantine WHERE space = $1', [space]);
        // The read model's rows go with the log, once their writer is out of the way (server/cluster/caseRows.ts).
        await client.query(CASE_ROWS_LOCK_SQL, [space]);
        for (const t of CASE_ROW_TABLES) await client.query(`DELETE FROM ${t} WHERE space = $1`, [space]);
        await client.query('SELECT pg_notify($1, $2)', [LOG_CHANNEL, `-${space}`]);
      });
    },
    async close() {
      await pool.end();
    },
  };
  return store;
}

/** Creates the schema or brings it to the newest version, one step at a time, under a lock shared by every node. */
async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended('cityops-schema', 0))");
    await client.query('CREATE TABLE IF NOT EXISTS cityops_schema (version INTEGER NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM cityops_schema');
    const at = rows[0]?.version ?? 0;
    if (at > MIGRATIONS.length)
      throw new Error(
        `the database's schema is version ${at}, newer than this server's ${MIGRATIONS.length}: upgrade the server`,
      );
    for (let v = at; v < MIGRATIONS.length; v++) await client.query(MIGRATIONS[v]!);
    if (rows.length === 0) await client.query('INSERT INTO cityops_schema (version) VALUES ($1)', [MIGRATIONS.length]);
    else await client.query('UPDATE cityops_schema SET version = $1', [MIGRATIONS.length]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Whether an error means the database could not be reached or the connection broke (not a refused statement). */
function isConnectionError(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  // 08: connection exceptions; 57P0x: the server shut down or ended the session; 25P03: the server ended the session's
  // idle transaction.
  if (
    /^(08|57P0)/.test(code) ||
    code === '25P03' ||
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)
  )
    return true;
  const msg = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is closed/i.test(
    msg,
  );
}

/** Whether a statement gave up waiting for a lock (another node holds the space's lock for too long). */
function isLockTimeout(err: unknown): boolean {
  return (err as { code?: unknown }).code === '55P03';
}

function unavailable(err: unknown): StoreUnavailableError {
  if (err instanceof StoreUnavailableError) return err;
  return new StoreUnavailableError(`the event log's database does not answer (${(err as Error).message})`, {
    cause: err,
  });
}
