/**
 * The case read model in PostgreSQL: the rows every node of a cluster queries (case lists, a case's history, scorecards,
 * the monthly report, the duty desk's records), in the tables and columns of a node's own read model, so the same query
 * text (`server/cases/queries.ts`, `scorecards.ts`) answers on both.
 *
 * Every node folds the shared log into its own read model (`cases.sqlite`): its projection looks closed cases up there
 * at once, without a round trip. One node at a time (the `case-rows` lease) brings PostgreSQL's rows up to what it has
 * written of its own (its read model writes at most a second after it folds, or at once before a query):
 * each local row carries the log seq of the write that last changed it, so a pass copies, in one PostgreSQL transaction,
 * the rows changed after the position PostgreSQL's rows stand at (`read_model_meta`), read from one consistent state of
 * the local file (a read transaction on a second connection, while the node goes on writing), and moves the position.
 * Upserts of whole rows make a repeated copy harmless; a case's history gains only the seqs after the position. A node
 * that takes the lease over starts from wherever the last writer stopped.
 *
 * Rows another fold version wrote, and rows of a log that was deleted since (the event at their position is gone), are
 * replaced from scratch. A space's deletion empties its rows in the log's transaction, under the same lock as a pass.
 *
 * A query waits (`ready`) until PostgreSQL's rows of its space reach what this node has folded, so a supervisor who acts
 * on a case on one node and reads the list on another sees the action; past `readyTimeoutMs` it is answered 503.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import type { CaseReadModel } from '../cases/readModel';
import type { SharedCaseRows } from '../app';
import { postgresSql, type CaseSql, type SqlValue } from '../cases/sql';
import type { Failsafe } from '../failsafe';
import { Outage, type Logger } from '../log';
import { CASE_ROW_TABLES } from '../cases/rows';
import { CASE_ROWS_LOCK_SQL } from '../store/postgres';
import { StoreUnavailableError } from '../store/types';
import { Lease } from './lease';

/** What the shared rows need. */
export interface PgCaseRowsOptions {
  readonly pool: pg.Pool;
  readonly connectionString: string;
  /** This node's read model (a file: a second connection reads it while the node writes). */
  readonly model: CaseReadModel;
  /** The fold version of this node's rows. */
  readonly version: string;
  readonly log: Logger;
  readonly failsafe: Failsafe;
  /** Between the writer's passes, ms (default 250). */
  readonly intervalMs?: number;
  /** Longest a query waits for the rows to reach this node's fold, ms (default 5,000). */
  readonly readyTimeoutMs?: number;
  /** Between tries for the writer's lease, ms (default 2,000). */
  readonly leaseRetryMs?: number;
}

/** What one pass over a space copied. */
export interface CopyReport {
  readonly space: string;
  /** PostgreSQL's position before and after (log seqs). */
  readonly from: number;
  readonly to: number;
  readonly cases: number;
  /** Whether the space's rows were replaced from scratch (none yet, another version's, or a deleted log's). */
  readonly replaced: boolean;
}

/** Rows copied per statement. */
const CHUNK = 2_000;

/** The lease of the writer: one node brings the rows up to date at a time. */
const LEASE = 'case-rows';

type Row = Record<string, SqlValue>;

/** Upserts `rows` (objects keyed by column) into `table`; `set` is the conflict's update, or null to keep the row there. */
async function upsert(
  client: pg.PoolClient,
  table: string,
  rows: readonly Row[],
  key: readonly string[],
  set: string | null,
): Promise<void> {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  await client.query(
    `INSERT INTO ${table} (${cols.join(', ')}) SELECT ${cols.join(', ')} FROM json_populate_recordset(NULL::${table}, $1::json)
     ON CONFLICT (${key.join(', ')}) DO ${set === null ? 'NOTHING' : `UPDATE SET ${set}`}`,
    [JSON.stringify(rows)],
  );
}

/** `col = excluded.col, …` for every column but the key. */
function replaceAll(cols: readonly string[], key: readonly string[]): string {
  return cols
    .filter((c) => !key.includes(c))
    .map((c) => `${c} = excluded.${c}`)
    .join(', ');
}

/** What a node's app gives the shared rows. */
type Made = Pick<PgCaseRowsOptions, 'model' | 'version' | 'log' | 'failsafe'>;

/** The shared rows of a cluster's database, made by the app once its read model is open (`AppDeps.caseRows`). */
export function pgCaseRows(o: Omit<PgCaseRowsOptions, keyof Made>): (made: Made) => SharedCaseRows {
  return (made) => new PgCaseRows({ ...o, ...made });
}

/** The case read model's rows in PostgreSQL, written by one node and read by all. */
export class PgCaseRows implements SharedCaseRows {
  /** Where the queries run on this node. */
  readonly sql: CaseSql;
  private readonly lease: Lease;
  private reader: Database.Database | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private readonly outage: Outage;
  /** Per space, the local position this node last brought PostgreSQL's rows to (or found them at or past). */
  private readonly copied = new Map<string, number>();

  constructor(private readonly o: PgCaseRowsOptions) {
    this.outage = new Outage(
      o.log,
      'could not bring the case rows in PostgreSQL up to date; trying again',
      'the case rows in PostgreSQL are written again',
    );
    this.sql = postgresSql(o.pool, pg.types, (space) => this.ready(space));
    this.lease = new Lease(o.connectionString, LEASE, o.log, o.leaseRetryMs);
  }

  /** Whether this node is the writer now. */
  get writing(): boolean {
    return this.lease.held;
  }

  /** Starts asking for the writer's lease; while held, passes run every `intervalMs`. */
  start(): void {
    this.lease.hold(
      () => this.schedule(0),
      () => undefined,
    );
  }

  private schedule(ms: number): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(
      this.o.failsafe.guarded('case-rows', async () => {
        this.timer = null;
        if (!this.lease.held) return;
        const t0 = performance.now();
        await this.pass();
        // A pass that took long (a burst of ingest) is followed by a longer rest: the copy takes at most about a third
        // of the node's time, whatever the load.
        this.schedule(Math.max(this.o.intervalMs ?? 250, 2 * (performance.now() - t0)));
      }),
      ms,
    );
  }

  /**
   * One pass over every space of this node's read model (the writer's; a test may run one itself). A pass asked while
   * one runs runs again after it.
   */
  pass(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.copyAll();
        } while (this.again && !this.closed);
        this.outage.ok();
      } catch (err) {
        this.outage.failed(err);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private async copyAll(): Promise<CopyReport[]> {
    const out: CopyReport[] = [];
    for (const space of this.o.model.spacesWithRows()) {
      if (this.closed) break;
      const r = await this.copy(space);
      if (r) out.push(r);
    }
    return out;
  }

  /** The local file, read on a second connection (one consistent state per pass while the node writes). */
  private local(): Database.Database {
    this.reader ??= new Database(this.o.model.db.name, { readonly: true, fileMustExist: true });
    return this.reader;
  }

  /** Brings one space's rows up to this node's; null when there was nothing to copy. */
  private async copy(space: string): Promise<CopyReport | null> {
    // What the read model wrote by itself (at most a second after it folded); a query that needs more flushes first.
    const db = this.local();
    db.exec('BEGIN');
    try {
      const pos = db.prepare('SELECT seq, version, earliest FROM read_model_meta WHERE space = ?').get(space) as
        { seq: number; version: string; earliest: number | null } | undefined;
      // Nothing written since this node's last copy: PostgreSQL stands there or further (another writer since).
      if (!pos || pos.version !== this.o.version || this.copied.get(space) === pos.seq) return null;
      const client = await this.o.pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const report = await this.copyIn(client, db, space, pos);
        await client.query('COMMIT');
        this.copied.set(space, pos.seq);
        return report;
      } catch (err) {
        broken = err as Error;
        await client.query('ROLLBACK').then(
          () => (broken = undefined),
          () => undefined,
        );
        throw err;
      } finally {
        client.release(broken);
      }
    } finally {
      db.exec('COMMIT');
    }
  }

  private async copyIn(
    client: pg.PoolClient,
    db: Database.Database,
    space: string,
    pos: { seq: number; version: string; earliest: number | null },
  ): Promise<CopyReport | null> {
    await client.query(CASE_ROWS_LOCK_SQL, [space]);
    const logged = async (seq: number) =>
      (await client.query('SELECT 1 FROM events WHERE space = $1 AND seq = $2', [space, seq])).rowCount === 1;
    const { rows } = await client.query<{ seq: string; version: string }>(
      'SELECT seq, version FROM read_model_meta WHERE space = $1',
      [space],
    );
    const there = rows[0];
    let from = 0;
    let replaced = !there;
    if (there) {
      const seq = Number(there.seq);
      if (there.version === this.o.version && (await logged(seq))) from = seq;
      else {
        replaced = true;
        for (const t of CASE_ROW_TABLES) await client.query(`DELETE FROM ${t} WHERE space = $1`, [space]);
      }
    }
    // Nothing new; or this node's rows are of a log deleted since (the follower drops them here soon).
    if (pos.seq <= from || !(await logged(pos.seq))) return null;

    let cases = 0;
    // Changed cases with their states and the history they gained, in keyset order over (seq, id).
    const page = db.prepare(
      `SELECT c.*, s.state AS state_json, h.seqs AS history FROM cases c
       JOIN case_states s ON s.space = c.space AND s.id = c.id
       LEFT JOIN case_history h ON h.space = c.space AND h.case_id = c.id
       WHERE c.space = @space AND c.seq > @from AND (c.seq > @seq OR (c.seq = @seq AND c.id > @id))
       ORDER BY c.seq, c.id LIMIT ${CHUNK}`,
    );
    let at = { seq: from, id: '' };
    for (;;) {
      const chunk = page.all({ space, from, seq: at.seq, id: at.id }) as Row[];
      if (chunk.length === 0) break;
      const caseRows: Row[] = [];
      const states: Row[] = [];
      const histories: Row[] = [];
      for (const r of chunk) {
        const { state_json, history, ...row } = r;
        caseRows.push(row);
        states.push({ space, id: row.id!, state: state_json! });
        const gained = typeof history === 'string' ? history.split(',').filter((s) => Number(s) > from) : [];
        if (gained.length > 0) histories.push({ space, case_id: row.id!, seqs: gained.join(',') });
      }
      const cols = Object.keys(caseRows[0]!);
      await upsert(client, 'cases', caseRows, ['space', 'id'], replaceAll(cols, ['space', 'id']));
      await upsert(client, 'case_states', states, ['space', 'id'], 'state = excluded.state');
      await upsert(
        client,
        'case_history',
        histories,
        ['space', 'case_id'],
        "seqs = case_history.seqs || ',' || excluded.seqs",
      );
      cases += chunk.length;
      const last = chunk[chunk.length - 1]!;
      at = { seq: last.seq as number, id: last.id as string };
    }
    const since = (sql: string) => db.prepare(sql).all(space, from) as Row[];
    await upsert(
      client,
      'case_supervisions',
      since('SELECT space, ts, seq FROM case_supervisions WHERE space = ? AND seq > ?'),
      ['space', 'seq'],
      null,
    );
    await upsert(
      client,
      'duty_items',
      since('SELECT space, id, since, state, seq FROM duty_items WHERE space = ? AND seq > ?'),
      ['space', 'id'],
      'since = excluded.since, state = excluded.state, seq = excluded.seq',
    );
    await upsert(
      client,
      'duty_handovers',
      since('SELECT space, id, shift_end, state, record, seq FROM duty_handovers WHERE space = ? AND seq > ?'),
      ['space', 'id'],
      'shift_end = excluded.shift_end, state = excluded.state, record = coalesce(excluded.record, duty_handovers.record), seq = excluded.seq',
    );
    await upsert(
      client,
      'duty_rosters',
      since('SELECT space, date, shifts, seq FROM duty_rosters WHERE space = ? AND seq > ?'),
      ['space', 'date'],
      'shifts = excluded.shifts, seq = excluded.seq',
    );
    await client.query(
      `INSERT INTO read_model_meta (space, seq, version, earliest) VALUES ($1, $2, $3, $4)
       ON CONFLICT (space) DO UPDATE SET seq = excluded.seq, version = excluded.version, earliest = excluded.earliest`,
      [space, pos.seq, this.o.version, pos.earliest],
    );
    return { space, from, to: pos.seq, cases, replaced };
  }

  /** PostgreSQL's position of a space's rows (0: none). */
  async position(space: string): Promise<number> {
    const { rows } = await this.o.pool.query<{ seq: string }>('SELECT seq FROM read_model_meta WHERE space = $1', [
      space,
    ]);
    return rows[0] ? Number(rows[0].seq) : 0;
  }

  /**
   * Resolves once PostgreSQL's rows of `space` reach what this node has folded of it (the writer, if this node, copies
   * at once); rejects `StoreUnavailableError` (503) past `readyTimeoutMs`.
   */
  async ready(space: string): Promise<void> {
    const target = this.o.model.foldedSeq(space);
    if (target === 0) return;
    const deadline = Date.now() + (this.o.readyTimeoutMs ?? 5_000);
    for (let wait = 10; ; wait = Math.min(wait * 2, 100)) {
      if (this.lease.held) {
        this.o.model.flush();
        await this.pass();
      }
      let at: number;
      try {
        at = await this.position(space);
      } catch (err) {
        throw new StoreUnavailableError('the case rows in PostgreSQL cannot be read', { cause: err });
      }
      if (at >= target) return;
      if (Date.now() >= deadline)
        throw new StoreUnavailableError(
          `the case rows of ${space} in PostgreSQL stand at log seq ${at}, behind this node's ${target}: their writer is late or changing`,
          { retryAfterS: 2 },
        );
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** Stops writing and lets the lease go. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    await this.lease.close();
    this.reader?.close();
    this.reader = null;
  }
}
