/**
 * The case read model: one SQLite table of case rows (every case ever received, open or closed) and, per case, the log
 * seqs of its events (the bodies stay in the log and are read by seq when a case page asks), fed from the applied events
 * after each batch and rebuilt from the log at start when it is behind — in the same pass that folds the projection. It answers
 * the supervisor's lists, one case's history, unit scorecards over any period and the monthly report, so none of them
 * needs the projection to keep closed cases. The file sits beside the event log (`DATA_DIR/cases.sqlite`); losing it
 * costs a rebuild, never data.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { CaseState } from '../../shared/cases/state';
import type { DomainEvent } from '../../shared/events';
import type { CaseEvent } from '../../shared/events/case';
import type { ProjectionContext, SpaceProjection } from '../../shared/projection/state';
import { Failsafe } from '../failsafe';
import type { RebuildObserver } from '../spaces';
import type { EventStore } from '../store/types';
import { CASE_COLUMNS, caseRow } from './rows';

/** One event of a case's history, as logged. */
export interface HistoryEntry { readonly seq: number; readonly ts: number; readonly type: string; readonly actor: string | null; readonly event: CaseEvent }

/** Recorded but not yet written: per case, the log seqs of its new events (log order); supervision times; events counted. */
type Pending = { seqs: Map<string, number[]>; supervised: number[]; accepted: number };

/** Bumped when the tables change shape: an older file is emptied and rebuilt from the log. */
const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cases (
  space TEXT NOT NULL, id TEXT NOT NULL, channel TEXT NOT NULL, case_type TEXT NOT NULL, urgency TEXT NOT NULL,
  flags INTEGER NOT NULL, category TEXT NOT NULL, street TEXT NOT NULL, unit TEXT, stage TEXT NOT NULL, title TEXT NOT NULL,
  received_at INTEGER NOT NULL, closed_at INTEGER, open INTEGER NOT NULL, exempt INTEGER NOT NULL, supervised INTEGER NOT NULL,
  sign_deadline INTEGER, sign_risk INTEGER, handle_deadline INTEGER, handle_risk INTEGER, callback_deadline INTEGER, callback_risk INTEGER,
  next_clock TEXT, next_deadline INTEGER, next_risk INTEGER,
  need_dispatch INTEGER, dispatched INTEGER, signed INTEGER, signed_on_time INTEGER, replied INTEGER, replied_on_time INTEGER,
  closed INTEGER, evaluated INTEGER, satisfied INTEGER, rejected INTEGER, reopened INTEGER, reopened_signed INTEGER,
  called_back INTEGER, emergency INTEGER, emergency_on_time INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS cases_id ON cases (space, id);
CREATE INDEX IF NOT EXISTS cases_open_deadline ON cases (space, next_deadline) WHERE open = 1;
CREATE INDEX IF NOT EXISTS cases_open_risk ON cases (space, next_risk) WHERE open = 1;
CREATE INDEX IF NOT EXISTS cases_received ON cases (space, received_at);
CREATE INDEX IF NOT EXISTS cases_unit ON cases (space, unit, received_at, open);
CREATE INDEX IF NOT EXISTS cases_street ON cases (space, street, received_at, open);
CREATE INDEX IF NOT EXISTS cases_channel ON cases (space, channel, received_at, open);
CREATE INDEX IF NOT EXISTS cases_category ON cases (space, category, received_at, open);
CREATE INDEX IF NOT EXISTS cases_scoring ON cases (space, received_at, exempt, unit, need_dispatch, dispatched, signed, signed_on_time,
  replied, replied_on_time, closed, evaluated, satisfied, rejected, reopened, reopened_signed, called_back, emergency, emergency_on_time);
CREATE TABLE IF NOT EXISTS case_states (space TEXT NOT NULL, id TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY (space, id));
CREATE TABLE IF NOT EXISTS case_history (space TEXT NOT NULL, case_id TEXT NOT NULL, seqs TEXT NOT NULL, PRIMARY KEY (space, case_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS case_supervisions (space TEXT NOT NULL, ts INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS case_supervisions_ts ON case_supervisions (space, ts);
CREATE TABLE IF NOT EXISTS read_model_meta (space TEXT PRIMARY KEY, log_events INTEGER NOT NULL);
`;
/** The indexes of `cases` that only serve lists and scoring (dropped and rebuilt around a large rebuild). */
const LIST_INDEXES = ['cases_open_deadline', 'cases_open_risk', 'cases_received', 'cases_unit', 'cases_street', 'cases_channel', 'cases_category', 'cases_scoring'];
/** Fewest rebuilt cases for which dropping and rebuilding the list indexes pays. */
const BULK_REINDEX_MIN = 20_000;
const TABLES = ['cases', 'case_states', 'case_events', 'case_history', 'case_supervisions', 'read_model_meta'];

/** History rows are written after this many recorded events at the latest during a rebuild (bounds its memory). */
const REBUILD_FLUSH_EVENTS = 200_000;
/** Longest a recorded batch waits to be written, ms (a replay at full speed rewrites a busy case once per flush). */
const FLUSH_MS = 1_000;
/** Recorded events of a space held before a flush is forced without waiting for the timer. */
const PENDING_MAX_EVENTS = 100_000;

function isCaseEvent(e: DomainEvent): e is CaseEvent {
  return e.type.startsWith('case.');
}

function emptyPending(): Pending {
  return { seqs: new Map(), supervised: [], accepted: 0 };
}

/** Adds a chunk's case events to a pending set (the master of a merge gets the merge too: its history shows it). */
function collect(p: Pending, events: readonly DomainEvent[], seqs: readonly number[]): void {
  p.accepted += events.length;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (!isCaseEvent(e)) continue;
    const seq = seqs[i]!;
    addSeq(p.seqs, e.caseId, seq);
    if (e.type === 'case.merged') addSeq(p.seqs, e.masterCaseId, seq);
    else if (e.type === 'case.supervised') p.supervised.push(e.ts);
  }
}

function addSeq(m: Map<string, number[]>, id: string, seq: number): void {
  const list = m.get(id);
  if (list) list.push(seq);
  else m.set(id, [seq]);
}

/** The case read model over one SQLite file (`:memory:` for tests). */
export class CaseReadModel {
  /** The database (queries live in `queries.ts`). */
  readonly db: Database.Database;
  private readonly pending = new Map<string, Pending>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly upsert: Database.Statement;
  private readonly upsertState: Database.Statement;
  private readonly appendHistory: Database.Statement;
  private readonly insertSupervision: Database.Statement;
  private readonly setMeta: Database.Statement;
  private readonly bumpMeta: Database.Statement;

  constructor(file: string, private readonly projectionOf: (space: string) => SpaceProjection | undefined, private readonly ctx: ProjectionContext, private readonly log: EventStore, private readonly failsafe = new Failsafe()) {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('cache_size = -65536');
    if (this.db.pragma('user_version', { simple: true }) !== SCHEMA_VERSION) {
      this.db.transaction(() => {
        for (const t of TABLES) this.db.exec(`DROP TABLE IF EXISTS ${t}`);
        this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })();
    }
    this.db.exec(SCHEMA);
    this.upsert = this.db.prepare(`INSERT OR REPLACE INTO cases (${CASE_COLUMNS.join(',')}) VALUES (${CASE_COLUMNS.map(() => '?').join(',')})`);
    this.upsertState = this.db.prepare('INSERT OR REPLACE INTO case_states (space, id, state) VALUES (?, ?, ?)');
    this.appendHistory = this.db.prepare("INSERT INTO case_history (space, case_id, seqs) VALUES (?, ?, ?) ON CONFLICT (space, case_id) DO UPDATE SET seqs = seqs || ',' || excluded.seqs");
    this.insertSupervision = this.db.prepare('INSERT INTO case_supervisions (space, ts) VALUES (?, ?)');
    this.setMeta = this.db.prepare('INSERT OR REPLACE INTO read_model_meta (space, log_events) VALUES (?, ?)');
    this.bumpMeta = this.db.prepare('INSERT INTO read_model_meta (space, log_events) VALUES (?, ?) ON CONFLICT(space) DO UPDATE SET log_events = log_events + excluded.log_events');
  }

  /**
   * Records a committed batch's accepted events and their log seqs; written on the next flush (at most `FLUSH_MS` later,
   * or before a query — every read flushes first, so the interval only sets how many of a case's changes share one write).
   */
  record(space: string, accepted: readonly DomainEvent[], seqs: readonly number[]): void {
    if (accepted.length === 0) return;
    let p = this.pending.get(space);
    if (!p) this.pending.set(space, (p = emptyPending()));
    collect(p, accepted, seqs);
    // A producer that never lets the timer run (one long burst) still has its pending rows bounded.
    if (p.accepted >= PENDING_MAX_EVENTS) this.flush();
    else this.flushLater();
  }

  private flushLater(): void {
    // A flush that fails leaves its rows pending (the transaction rolled back): the next tick tries again.
    this.timer ??= setTimeout(this.failsafe.guarded('case-read-model.flush', () => {
      try { this.flush(); } finally { if (this.pending.size > 0) this.flushLater(); }
    }), FLUSH_MS);
  }

  /** Writes everything recorded so far. */
  flush(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    if (this.pending.size === 0) return;
    const batches = [...this.pending];
    this.db.transaction(() => {
      for (const [space, p] of batches) {
        this.writeHistory(space, p);
        const proj = this.projectionOf(space);
        for (const id of p.seqs.keys()) {
          const c = proj?.cases.get(id);
          if (c) this.writeCase(space, c);
        }
        this.bumpMeta.run(space, p.accepted);
      }
    })();
    // Only once written: if the transaction throws, the rows stay pending for the next flush.
    this.pending.clear();
  }

  /** Appends pending seqs to each case's history and the supervisions (inside the caller's transaction). */
  private writeHistory(space: string, p: Pending): void {
    for (const [id, seqs] of p.seqs) this.appendHistory.run(space, id, seqs.join(','));
    for (const ts of p.supervised) this.insertSupervision.run(space, ts);
  }

  private writeCase(space: string, c: CaseState): void {
    // The wide JSON state sits in its own table so list scans read narrow rows.
    this.upsert.run(...caseRow(space, c, this.ctx));
    this.upsertState.run(space, c.id, JSON.stringify(c));
  }

  /** Spaces (of those given) whose rows are behind their log: a recorded event count that differs from the log's. */
  async behind(store: EventStore, spaces: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    const have = this.db.prepare('SELECT log_events FROM read_model_meta WHERE space = ?').pluck();
    for (const space of spaces) {
      if (have.get(space) !== await store.count(space)) out.add(space);
    }
    return out;
  }

  /**
   * Starts rebuilding a space's rows from the chunks of a pass over its log (the one that folds the projection): the
   * history as the chunks come, each case's row from the projection at `done`.
   */
  rebuilding(space: string): RebuildObserver {
    this.pending.delete(space);
    this.dropRows(space);
    let p = emptyPending();
    let n = 0;
    let buffered = 0;
    const write = this.db.transaction((q: Pending) => this.writeHistory(space, q));
    return {
      chunk: (c) => {
        collect(p, c.events, c.seqs);
        n += c.events.length;
        buffered += c.events.length;
        if (buffered >= REBUILD_FLUSH_EVENTS) { write(p); p = emptyPending(); buffered = 0; }
      },
      done: () => {
        write(p);
        const proj = this.projectionOf(space);
        if (proj) this.bulkWriteCases(space, proj.cases);
        this.setMeta.run(space, n);
      },
    };
  }

  /** Brings every space up to its log: a space whose recorded event count differs from the log's is rebuilt (a pass of its own). */
  async catchUp(store: EventStore, spaces: readonly string[]): Promise<string[]> {
    const rebuilt: string[] = [];
    for (const space of await this.behind(store, spaces)) {
      await this.rebuild(store, space);
      rebuilt.push(space);
    }
    return rebuilt;
  }

  /** Rebuilds a space's rows: its case events from the log, each case's state from the (already rebuilt) projection. */
  async rebuild(store: EventStore, space: string): Promise<void> {
    const tap = this.rebuilding(space);
    for await (const chunk of store.readWithSeqs(space)) tap.chunk(chunk);
    tap.done();
  }

  /**
   * Writes a rebuilt space's cases. When they are most of the table, the list indexes are dropped first and built again
   * after (one sort each instead of a B-tree insert per row and index).
   */
  private bulkWriteCases(space: string, cases: ReadonlyMap<string, CaseState>): void {
    const others = this.db.prepare('SELECT count(*) FROM cases').pluck().get() as number;
    const reindex = cases.size >= BULK_REINDEX_MIN && cases.size >= others;
    // The space's rows were deleted before the rebuild and the map holds each id once, so the unique id index has
    // nothing to guard while it is rebuilt: it is dropped with the list indexes and sorted in once after.
    if (reindex) for (const name of ['cases_id', ...LIST_INDEXES]) this.db.exec(`DROP INDEX IF EXISTS ${name}`);
    try {
      this.writeCases(space, cases.values());
    } finally {
      if (reindex) this.db.exec(SCHEMA);
    }
  }

  /** Writes case states in transactions of 20,000 (rebuilds, and benchmarks that fill the model directly). */
  writeCases(space: string, states: Iterable<CaseState>): number {
    let chunk: CaseState[] = [];
    let n = 0;
    const write = this.db.transaction((cs: readonly CaseState[]) => { for (const c of cs) this.writeCase(space, c); });
    for (const c of states) {
      chunk.push(c);
      if (chunk.length === 20_000) { write(chunk); n += chunk.length; chunk = []; }
    }
    write(chunk);
    return n + chunk.length;
  }

  /** Writes logged case events (with their log seqs) to the history in one transaction (benchmarks that fill the model directly). */
  writeEvents(space: string, events: readonly CaseEvent[], seqs: readonly number[]): void {
    const p = emptyPending();
    collect(p, events, seqs);
    this.db.transaction(() => this.writeHistory(space, p))();
  }

  /** Records that a space's rows stand for the first `n` events of its log (benchmarks that fill the model directly). */
  markCaughtUp(space: string, n: number): void {
    this.setMeta.run(space, n);
  }

  private dropRows(space: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM cases WHERE space = ?').run(space);
      this.db.prepare('DELETE FROM case_states WHERE space = ?').run(space);
      this.db.prepare('DELETE FROM case_history WHERE space = ?').run(space);
      this.db.prepare('DELETE FROM case_supervisions WHERE space = ?').run(space);
      this.db.prepare('DELETE FROM read_model_meta WHERE space = ?').run(space);
    })();
  }

  /** Forgets a space (a dropped drill). */
  dropSpace(space: string): void {
    this.pending.delete(space);
    this.dropRows(space);
  }

  /** A case's state as last written, or undefined. */
  caseState(space: string, id: string): CaseState | undefined {
    this.flush();
    const s = this.db.prepare('SELECT state FROM case_states WHERE space = ? AND id = ?').pluck().get(space, id) as string | undefined;
    return s === undefined ? undefined : (JSON.parse(s) as CaseState);
  }

  /** A case's events in log order (bodies read from the log by seq). */
  async history(space: string, id: string): Promise<HistoryEntry[]> {
    this.flush();
    const list = this.db.prepare('SELECT seqs FROM case_history WHERE space = ? AND case_id = ?').pluck().get(space, id) as string | undefined;
    if (list === undefined) return [];
    const seqs = list.split(',').map(Number).sort((a, b) => a - b);
    const logged = await this.log.readSeqs(space, seqs);
    return logged.map(({ seq, event }) => {
      const e = event as CaseEvent;
      return { seq, ts: e.ts, type: e.type, actor: e.actor ?? null, event: e };
    });
  }

  close(): void {
    if (!this.db.open) return;
    this.flush();
    this.db.close();
  }
}
