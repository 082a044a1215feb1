/**
 * The embedded event store: SQLite in WAL mode under DATA_DIR, one table per space (reading a space is a rowid scan,
 * dropping one is a DROP TABLE), a unique index on the event id as the final dedupe guard.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DomainEvent } from '@shared/events';
import { logger, type Logger } from '../log';
import { PROJECT_ROOT } from '../root';
import { ReaderThreadLost, readOnThread } from './logReader';
import { addId } from '../ingest/bloomBits.mjs';
import { ID_RANGE, idRanges } from './logIds.mjs';
import type { EventStore, LogChunk, QuarantineEntry, SharedSeen } from './types';

/** Options of the SQLite store. */
export interface SqliteStoreOptions {
  /** Directory of the database file; `:memory:` for tests that need no files. */
  readonly dataDir: string;
  /** `FULL` also survives power loss; `NORMAL` (default) survives a killed process. */
  readonly synchronous?: 'NORMAL' | 'FULL';
  /** Where the store's warnings go (default: the server's logger). */
  readonly log?: Logger;
}

type Stmt = Database.Statement;

/**
 * Rows an append writes per INSERT statement: a statement of 64 rows costs about as much as a few single-row ones
 * (each run of a statement crosses into SQLite and back), so a 2,000-event batch is 31 statements and 16 single rows.
 */
const ROWS_PER_INSERT = 64;

/**
 * A read with at least this many pages still to go after its first is made on a thread of its own (`readOnThread`); a
 * shorter one here.
 */
const THREAD_READ_MIN = 4;

/**
 * WAL pages at which the writer checkpoints itself when the checkpointer thread has not (64 MB of 4 KB pages; SQLite's
 * default is 1,000). Under sustained ingest the writer's own checkpoints — copying the WAL into the file and syncing
 * it, inside a commit — cost about a tenth of the ingest's time on the thread that also folds and streams.
 */
const BACKSTOP_PAGES = 16_384;

/** The dedupe filter's fill thread's script, in the source tree (plain JavaScript: the bundle does not carry it). */
const SEEN_FILL_SCRIPT = path.join(PROJECT_ROOT, 'server', 'store', 'seenFill.worker.mjs');

/** The checkpointer thread's script, in the source tree (plain JavaScript: the bundle does not carry it). */
const CHECKPOINTER_SCRIPT = path.join(PROJECT_ROOT, 'server', 'store', 'walCheckpointer.worker.mjs');

/**
 * Starts the WAL checkpointer thread of `file` (a pass every 100 ms while the WAL has frames, every second when it had
 * none); null when no thread can be started (the writer then checkpoints itself, as SQLite does by default).
 */
function startCheckpointer(file: string, synchronous: string, log: Logger): Worker | null {
  try {
    const worker = new Worker(CHECKPOINTER_SCRIPT, {
      workerData: { file, synchronous, busyMs: 100, idleMs: 1_000 },
      // It allocates little: a small young generation keeps its memory down.
      resourceLimits: { maxYoungGenerationSizeMb: 1 },
    });
    worker.on('message', (m: { error: string }) =>
      log.warn({ file, error: m.error }, `the WAL checkpointer of ${file} failed (${m.error}): it tries again`),
    );
    worker.on('error', (err) =>
      log.error(
        { err, file },
        `the WAL checkpointer of ${file} stopped: the writer checkpoints at ${BACKSTOP_PAGES} pages`,
      ),
    );
    // After the listeners: adding a message listener refs the thread again.
    worker.unref();
    return worker;
  } catch (err) {
    log.warn({ err, file }, `no WAL checkpointer thread for ${file}: the writer checkpoints itself`);
    return null;
  }
}

/** Table name of a space's log (space names are already validated: live, demo, drill-<a-z0-9->). */
function tableOf(space: string): string {
  if (!/^[a-z0-9-]+$/.test(space)) throw new Error(`invalid space name ${JSON.stringify(space)}`);
  return `log_${space.replaceAll('-', '_')}`;
}

/** Opens (creating if needed) the SQLite event store. */
export function openSqliteStore(opts: SqliteStoreOptions): EventStore {
  const file = opts.dataDir === ':memory:' ? ':memory:' : path.join(opts.dataDir, 'events.sqlite');
  if (file !== ':memory:') mkdirSync(opts.dataDir, { recursive: true });
  const db = new Database(file);
  const log = opts.log ?? logger;
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
  db.pragma('cache_size = -16384');
  // A file's WAL is checkpointed by a thread of its own; the connection's automatic checkpoint is kept as a backstop.
  const checkpointer = file === ':memory:' ? null : startCheckpointer(file, opts.synchronous ?? 'NORMAL', log);
  if (checkpointer) db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  db.exec(`CREATE TABLE IF NOT EXISTS spaces (name TEXT PRIMARY KEY);
    CREATE TABLE IF NOT EXISTS quarantine (id INTEGER PRIMARY KEY, space TEXT NOT NULL, received_at INTEGER NOT NULL,
      event_id TEXT NOT NULL, type TEXT NOT NULL, reason TEXT NOT NULL, body TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS quarantine_space ON quarantine (space, id);
    CREATE INDEX IF NOT EXISTS quarantine_event ON quarantine (space, event_id);`);
  const inserts = new Map<string, { insert: Stmt; insertMany: Stmt; has: Stmt }>();
  const manyArgs = new Array<string>(ROWS_PER_INSERT * 2);
  const addSpace = db.prepare('INSERT OR IGNORE INTO spaces (name) VALUES (?)');
  const addQuarantine = db.prepare(
    'INSERT INTO quarantine (space, received_at, event_id, type, reason, body) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const quarantinedBody = db
    .prepare('SELECT 1 FROM quarantine WHERE space = ? AND event_id = ? AND body = ? LIMIT 1')
    .pluck();

  const isLogged = db.prepare('SELECT 1 FROM spaces WHERE name = ?').pluck();
  /**
   * Whether a space has a log. Reads of one that has none answer empty and make nothing: only an append makes a
   * space's table (a read of a space deleted meanwhile must not bring it back, empty, at the next start).
   */
  function logged(space: string): boolean {
    return inserts.has(space) || isLogged.get(space) !== undefined;
  }

  function statements(space: string) {
    let s = inserts.get(space);
    if (!s) {
      const t = tableOf(space);
      db.exec(
        `CREATE TABLE IF NOT EXISTS ${t} (seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, body TEXT NOT NULL)`,
      );
      addSpace.run(space);
      s = {
        insert: db.prepare(`INSERT INTO ${t} (event_id, body) VALUES (?, ?)`),
        insertMany: db.prepare(
          `INSERT INTO ${t} (event_id, body) VALUES ${new Array<string>(ROWS_PER_INSERT).fill('(?, ?)').join(', ')}`,
        ),
        has: db.prepare(`SELECT 1 FROM ${t} WHERE event_id = ?`).pluck(),
      };
      inserts.set(space, s);
    }
    return s;
  }

  const appendTx = db.transaction(
    (space: string, events: readonly DomainEvent[], quarantined: readonly QuarantineEntry[]): number[] => {
      const { insert, insertMany } = statements(space);
      const seqs = new Array<number>(events.length);
      let i = 0;
      // The rows of one statement take the next rowids in order (the table is only appended to), so the last one's
      // rowid gives every seq of the statement.
      for (; i + ROWS_PER_INSERT <= events.length; i += ROWS_PER_INSERT) {
        for (let k = 0; k < ROWS_PER_INSERT; k++) {
          const e = events[i + k]!;
          manyArgs[2 * k] = e.eventId;
          manyArgs[2 * k + 1] = JSON.stringify(e);
        }
        const last = Number(insertMany.run(manyArgs).lastInsertRowid);
        for (let k = 0; k < ROWS_PER_INSERT; k++) seqs[i + k] = last - ROWS_PER_INSERT + 1 + k;
      }
      for (; i < events.length; i++) {
        const e = events[i]!;
        seqs[i] = Number(insert.run(e.eventId, JSON.stringify(e)).lastInsertRowid);
      }
      for (const q of quarantined)
        addQuarantine.run(q.space, q.receivedAt, q.eventId, q.type, q.reason, JSON.stringify(q.event));
      // Quarantined events are evidence: all are kept (the `cityops_quarantine_size` gauge shows how many), none dropped.
      return seqs;
    },
  );

  /** A space's log after seq `from` in pages. */
  async function* read(space: string, chunkSize: number, from: number): AsyncGenerator<LogChunk> {
    const t = tableOf(space);
    if (!logged(space)) return;
    statements(space);
    const page = db.prepare(`SELECT seq, body FROM ${t} WHERE seq > ? ORDER BY seq LIMIT ?`).raw();
    const last = db.prepare(`SELECT max(seq) FROM ${t}`).pluck();
    let after = from;
    let thread = true;
    for (;;) {
      // After its first page (a loop that wants one event stops there), a long read of a file goes on a thread of its
      // own, which reads the next pages while these are folded; should the thread be lost, the read goes on here from
      // the last page it gave.
      if (
        thread &&
        after !== from &&
        file !== ':memory:' &&
        ((last.get() as number | null) ?? 0) - after >= THREAD_READ_MIN * chunkSize
      ) {
        try {
          for await (const c of readOnThread({ file, table: t, after, pageSize: chunkSize })) {
            after = c.seqs[c.seqs.length - 1]!;
            yield c;
          }
          return;
        } catch (err) {
          if (!(err instanceof ReaderThreadLost)) throw err;
          log.warn({ err, space }, `${err.message}: the rest of the log is read on the main thread`);
          thread = false;
          continue;
        }
      }
      const rows = page.all(after, chunkSize) as [number, string][];
      if (rows.length === 0) return;
      after = rows[rows.length - 1]![0];
      const seqs = new Array<number>(rows.length);
      const events = new Array<DomainEvent>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!;
        seqs[i] = r[0];
        events[i] = JSON.parse(r[1]) as DomainEvent;
      }
      yield { seqs, events };
    }
  }

  /** Fill threads running, each with how to tell its caller the store closed first. */
  const fills = new Map<Worker, () => void>();

  /**
   * `fillSeen` on this thread: the ids a range at a time from their index (no body is read), the event loop running
   * between ranges; null once the store is closed.
   */
  async function fillHere(table: string, seen: SharedSeen): Promise<number | null> {
    const ranges = idRanges(db, table, ID_RANGE);
    const bits = new Uint32Array(seen.words);
    let n = 0;
    for (;;) {
      if (!db.open) return null;
      const r = ranges.next();
      if (r.done) return n;
      for (const id of r.value) addId(bits, seen.mask, seen.hashes, id);
      n += r.value.length;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** `fillSeen`: on a thread of its own for a file; on this one for `:memory:` (tests) or when asked (`here`). */
  function fillSeen(space: string, seen: SharedSeen, opts?: { readonly here?: boolean }): Promise<number | null> {
    const table = tableOf(space);
    if (!logged(space)) return Promise.resolve(0);
    statements(space);
    if (file === ':memory:' || opts?.here) return fillHere(table, seen);
    return new Promise((resolve, reject) => {
      const where = `filling the dedupe filter of ${space} from ${table} of ${file}`;
      let worker: Worker;
      try {
        worker = new Worker(SEEN_FILL_SCRIPT, { workerData: { file, table, seen } });
      } catch (err) {
        reject(new Error(`${where}: no thread could be started (${(err as Error).message})`, { cause: err }));
        return;
      }
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        fills.delete(worker);
        fn();
      };
      fills.set(worker, () => settle(() => resolve(null)));
      worker.once('message', (m: { ids?: number; error?: string }) =>
        settle(() => (m.error !== undefined ? reject(new Error(`${where}: ${m.error}`)) : resolve(m.ids ?? 0))),
      );
      worker.once('error', (err) => settle(() => reject(new Error(`${where}: ${err.message}`, { cause: err }))));
      worker.once('exit', (code) =>
        settle(() => reject(new Error(`${where}: the thread ended (exit code ${code}) before it answered`))),
      );
      // A fill never holds the process open: a stop does not wait for it.
      worker.unref();
    });
  }

  const store: EventStore = {
    async append(space, events, quarantined) {
      return appendTx(space, events, quarantined);
    },
    // One process writes this file: nobody else can have logged after the writer's position.
    async write(space, _after, work) {
      return work({
        tail: { seqs: [], events: [] },
        append: async (events, quarantined) => appendTx(space, events, quarantined),
      });
    },
    async hasEventId(space, eventId) {
      return logged(space) && statements(space).has.get(eventId) !== undefined;
    },
    async hasQuarantined(space, event) {
      return quarantinedBody.get(space, event.eventId, JSON.stringify(event)) !== undefined;
    },
    async spaces() {
      return db.prepare('SELECT name FROM spaces ORDER BY name').pluck().all() as string[];
    },
    async *read(space, chunkSize = 5_000) {
      for await (const chunk of store.readWithSeqs(space, chunkSize)) yield chunk.events;
    },
    readWithSeqs(space, chunkSize = 5_000, from = 0) {
      return read(space, chunkSize, from);
    },
    fillSeen,
    async readSeqs(space, seqs) {
      const t = tableOf(space);
      if (!logged(space)) return [];
      statements(space);
      const one = db.prepare(`SELECT body FROM ${t} WHERE seq = ?`).pluck();
      const out: { seq: number; event: DomainEvent }[] = [];
      for (const seq of seqs) {
        const body = one.get(seq) as string | undefined;
        if (body !== undefined) out.push({ seq, event: JSON.parse(body) as DomainEvent });
      }
      return out;
    },
    async count(space) {
      if (!logged(space)) return 0;
      statements(space);
      return db
        .prepare(`SELECT count(*) FROM ${tableOf(space)}`)
        .pluck()
        .get() as number;
    },
    async countAfter(space, after) {
      if (!logged(space)) return 0;
      statements(space);
      return db
        .prepare(`SELECT count(*) FROM ${tableOf(space)} WHERE seq > ?`)
        .pluck()
        .get(after) as number;
    },
    // A space's table is only ever appended to (and dropped whole), and a rowid key takes the next number: its seqs run
    // 1, 2, 3… without gaps, so the last seq tells how many there are — an index lookup, where a count scans the
    // whole table (0.15–3.4 s on a year's 12 M events here).
    async extentAfter(space, after) {
      if (!logged(space)) return 0;
      statements(space);
      const last = db
        .prepare(`SELECT max(seq) FROM ${tableOf(space)}`)
        .pluck()
        .get() as number | null;
      return Math.max(0, (last ?? 0) - after);
    },
    async listQuarantine(space, limit, offset) {
      const where = space === null ? '' : 'WHERE space = ?';
      const args = space === null ? [] : [space];
      const total = db
        .prepare(`SELECT count(*) FROM quarantine ${where}`)
        .pluck()
        .get(...args) as number;
      const rows = db
        .prepare(
          `SELECT space, received_at, event_id, type, reason, body FROM quarantine ${where} ORDER BY id DESC LIMIT ? OFFSET ?`,
        )
        .raw()
        .all(...args, limit, offset) as [string, number, string, string, string, string][];
      return {
        total,
        items: rows.map(([s, at, id, type, reason, body]) => ({
          space: s,
          receivedAt: at,
          eventId: id,
          type,
          reason,
          event: JSON.parse(body) as DomainEvent,
        })),
      };
    },
    async quarantineCounts() {
      const rows = db.prepare('SELECT space, count(*) FROM quarantine GROUP BY space').raw().all() as [
        string,
        number,
      ][];
      return Object.fromEntries(rows);
    },
    async deleteSpace(space) {
      db.transaction(() => {
        db.exec(`DROP TABLE IF EXISTS ${tableOf(space)}`);
        db.prepare('DELETE FROM spaces WHERE name = ?').run(space);
        db.prepare('DELETE FROM quarantine WHERE space = ?').run(space);
      })();
      inserts.delete(space);
    },
    async close() {
      for (const [worker, stopped] of [...fills]) {
        stopped();
        await worker.terminate();
      }
      await checkpointer?.terminate();
      if (db.open) db.close();
    },
  };
  return store;
}
