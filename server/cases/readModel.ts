/**
 * The case read model: one SQLite table of case rows (every case ever received, open or closed), each case's state,
 * and per case the log seqs of its events (the bodies stay in the log and are read by seq when a case page asks). It
 * folds committed events itself with the shared lifecycle reducer — it never copies rows out of the live projection —
 * so the projection can let closed cases leave memory: this model is where they are found again (`archive`). The duty
 * desk's history is kept beside the cases for the same reason: every duty item's state (folded with the shared item
 * reducer), every submitted 交接班 record's times, and each day's roster, so a month's duty figures can be read long
 * after the projection let its items go.
 *
 * Its rows answer the supervisor's lists, one case's history, unit scorecards over any period and the monthly report
 * (`reads.ts`, `queries.ts`, `scorecards.ts`, through `sql()` on one node, or through PostgreSQL on a cluster). The
 * file sits beside the event log (`DATA_DIR/cases.sqlite`) and also holds the projections' checkpoints, written in the
 * same transaction as the rows, so a checkpoint is never ahead of the rows. Losing the file costs a rebuild, never data.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { applyCaseEvent } from '@shared/cases/lifecycle';
import { isTerminal, type CaseState } from '@shared/cases/state';
import { judgeHandoverEvent, type HandoverRecord } from '@shared/duty/handover';
import { foldItemEvent, type DutyItem } from '@shared/duty/items';
import type { DomainEvent } from '@shared/events';
import type { CaseEvent } from '@shared/events/case';
import type { HandoverDraft, HandoverEvent } from '@shared/events/handover';
import type { ItemEvent } from '@shared/events/item';
import type { Shift } from '@shared/events/ops';
import type { CaseArchive, ProjectionContext } from '@shared/projection/state';
import { Failsafe, Subscribers } from '../failsafe';
import { BloomFilter, type SeenFilter } from '../ingest/bloom';
import { historyDue, historyToPrune, type HistoryPolicy } from '../review/history';
import { CASE_COLUMNS, CASE_ROW_TABLES, caseRow } from './rows';
import { InlineRowWriter, ThreadRowWriter, type RowOps, type RowWriter } from './rowWriter';
import { sqliteSql, type CaseSql } from './sql';

/** Where a space's rows stand: the last log seq folded, and the fold version that wrote them. */
export interface ModelPosition {
  readonly seq: number;
  readonly version: string;
}

/** A checkpoint of the review history: its log seq, the space clock it stands for (ms) and its body. */
export interface ReviewCheckpoint {
  readonly seq: number;
  readonly clock: number;
  readonly body: Buffer;
}

/** What a checkpoint adds to the review history, when due: the space clock it stands for (ms) and the policy. */
export interface HistoryWrite {
  readonly clock: number;
  readonly policy: HistoryPolicy;
}

/** A stored checkpoint of a space's projection. */
export interface StoredCheckpoint {
  readonly seq: number;
  readonly version: string;
  readonly body: Buffer;
}

/** A submitted 交接班 record as this model keeps it: the outgoing shift, when it was submitted and signed, by whom. */
export interface HandoverRow extends Pick<HandoverRecord, 'submitted' | 'signed'> {
  readonly id: string;
  readonly date: string;
  readonly shiftId: string;
  readonly shiftName: string;
  /** The outgoing shift's start and end, ms. */
  readonly start: number;
  readonly end: number;
}

/** What a space has folded since its last write was asked: the changes the next write takes. */
interface Pending {
  /** Ids changed. */
  dirty: Set<string>;
  /** Per case, the log seqs of its events (log order). */
  history: Map<string, number[]>;
  /** The time and log seq of each 督办. */
  supervised: [number, number][];
  /** Duty item ids changed. */
  dirtyItems: Set<string>;
  /** Handover records changed. */
  handovers: Map<string, HandoverRow>;
  /** The drafts of the records submitted, by handover id. */
  drafts: Map<string, HandoverDraft>;
  /** Rosters published, by date. */
  rosters: Map<string, readonly Shift[]>;
  /** Events folded. */
  pendingEvents: number;
}

/** A write asked and not yet answered: what it took from a space, and the log seq it brings the rows to. */
interface Taken extends Pending {
  readonly seq: number;
}

/**
 * One space's state in this model: its cases in memory — every one changed and not yet written (or being written),
 * and the open cases changed most recently (at most `HOT_OPEN_MAX` once written; the others are read back from their
 * rows).
 */
interface SpaceModel extends Pending {
  /** Cases not yet written, and open ones written, least recently changed first. */
  readonly hot: Map<string, CaseState>;
  /** Last log seq folded; the last a write was asked for; the last written (its write committed). */
  seq: number;
  postedSeq: number;
  writtenSeq: number;
  /** The write asked and not yet answered, if any (at most one at a time). */
  inflight: Taken | null;
  /** Case events the reducer refused (non-zero only if the reducers changed since the events were accepted). */
  refused: number;
  /** Every case id of the space: "certainly not" answers a lookup of a new id without a query (most lookups are). */
  readonly ids: BloomFilter;
  /** Duty items in memory (open ones, and every one changed and not yet written). */
  readonly items: Map<string, DutyItem>;
  /** The oldest event time folded, ms: the space's log begins here. */
  earliest: number | null;
}

/** Size of a space's case id filter: 2^22 bits (512 KiB), about 1% false positives at 400,000 cases. */
const CASE_ID_BITS = 22;

/** Bumped when the tables change shape: an older file is emptied and rebuilt from the log (and a snapshot of it is not used). */
export const SCHEMA_VERSION = 8;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cases (
  space TEXT NOT NULL, id TEXT NOT NULL, channel TEXT NOT NULL, case_type TEXT NOT NULL, urgency TEXT NOT NULL,
  flags INTEGER NOT NULL, category TEXT NOT NULL, street TEXT NOT NULL, unit TEXT, stage TEXT NOT NULL, title TEXT NOT NULL,
  received_at INTEGER NOT NULL, closed_at INTEGER, open INTEGER NOT NULL, exempt INTEGER NOT NULL, supervised INTEGER NOT NULL,
  sign_deadline INTEGER, sign_risk INTEGER, handle_deadline INTEGER, handle_risk INTEGER, callback_deadline INTEGER, callback_risk INTEGER,
  next_clock TEXT, next_deadline INTEGER, next_risk INTEGER,
  need_dispatch INTEGER, dispatched INTEGER, signed INTEGER, signed_on_time INTEGER, replied INTEGER, replied_on_time INTEGER,
  closed INTEGER, evaluated INTEGER, satisfied INTEGER, rejected INTEGER, reopened INTEGER, reopened_signed INTEGER,
  called_back INTEGER, emergency INTEGER, emergency_on_time INTEGER,
  seq INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS cases_id ON cases (space, id);
CREATE INDEX IF NOT EXISTS cases_open_deadline ON cases (space, next_deadline) WHERE open = 1;
CREATE INDEX IF NOT EXISTS cases_open_risk ON cases (space, next_risk) WHERE open = 1;
CREATE INDEX IF NOT EXISTS cases_received ON cases (space, received_at);
CREATE INDEX IF NOT EXISTS cases_seq ON cases (space, seq);
CREATE INDEX IF NOT EXISTS cases_unit ON cases (space, unit, received_at, open);
CREATE INDEX IF NOT EXISTS cases_street ON cases (space, street, received_at, open);
CREATE INDEX IF NOT EXISTS cases_channel ON cases (space, channel, received_at, open);
CREATE INDEX IF NOT EXISTS cases_category ON cases (space, category, received_at, open);
CREATE INDEX IF NOT EXISTS cases_scoring ON cases (space, received_at, exempt, stage, unit, need_dispatch, dispatched, signed, signed_on_time,
  replied, replied_on_time, closed, evaluated, satisfied, rejected, reopened, reopened_signed, called_back, emergency, emergency_on_time);
CREATE TABLE IF NOT EXISTS case_states (space TEXT NOT NULL, id TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY (space, id));
CREATE TABLE IF NOT EXISTS case_history (space TEXT NOT NULL, case_id TEXT NOT NULL, seqs TEXT NOT NULL, PRIMARY KEY (space, case_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS case_supervisions (space TEXT NOT NULL, ts INTEGER NOT NULL, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS case_supervisions_ts ON case_supervisions (space, ts);
CREATE INDEX IF NOT EXISTS case_supervisions_seq ON case_supervisions (space, seq);
CREATE TABLE IF NOT EXISTS duty_items (space TEXT NOT NULL, id TEXT NOT NULL, since INTEGER NOT NULL, state TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (space, id));
CREATE INDEX IF NOT EXISTS duty_items_since ON duty_items (space, since);
CREATE TABLE IF NOT EXISTS duty_handovers (space TEXT NOT NULL, id TEXT NOT NULL, shift_end INTEGER NOT NULL, state TEXT NOT NULL, record TEXT, seq INTEGER NOT NULL, PRIMARY KEY (space, id));
CREATE INDEX IF NOT EXISTS duty_handovers_end ON duty_handovers (space, shift_end);
CREATE TABLE IF NOT EXISTS duty_rosters (space TEXT NOT NULL, date TEXT NOT NULL, shifts TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (space, date));
CREATE TABLE IF NOT EXISTS read_model_meta (space TEXT PRIMARY KEY, seq INTEGER NOT NULL, version TEXT NOT NULL, earliest INTEGER);
CREATE TABLE IF NOT EXISTS checkpoints (space TEXT PRIMARY KEY, seq INTEGER NOT NULL, version TEXT NOT NULL, sha256 TEXT NOT NULL, body BLOB NOT NULL, written_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS review_checkpoints (space TEXT NOT NULL, seq INTEGER NOT NULL, clock INTEGER NOT NULL, version TEXT NOT NULL, sha256 TEXT NOT NULL, body BLOB NOT NULL, PRIMARY KEY (space, seq));
CREATE INDEX IF NOT EXISTS review_checkpoints_clock ON review_checkpoints (space, version, clock);
CREATE TABLE IF NOT EXISTS seen_stages (space TEXT NOT NULL, filter TEXT NOT NULL, idx INTEGER NOT NULL, bits BLOB NOT NULL, PRIMARY KEY (space, filter, idx));
`;
/** The indexes of `cases` that only serve lists and scoring (dropped and rebuilt around a large rebuild). */
const LIST_INDEXES = [
  'cases_open_deadline',
  'cases_open_risk',
  'cases_received',
  'cases_seq',
  'cases_unit',
  'cases_street',
  'cases_channel',
  'cases_category',
  'cases_scoring',
];
/** The tables that hold a space's rows, its checkpoint and its review history: what `dropSpace` deletes. */
const SPACE_TABLES = [...CASE_ROW_TABLES, 'checkpoints', 'review_checkpoints', 'seen_stages'];
/** Every table of the file (with one an older version had): what a schema change drops. */
const TABLES = [...SPACE_TABLES, 'case_events'];

/** Longest folded events wait to be written, ms (a replay at full speed rewrites a busy case once per write). */
const FLUSH_MS = 1_000;
/**
 * Events of a space folded before a write is asked without waiting for the timer: keeps each write's bytes to a few MB
 * in long bursts (a replay at full speed folds tens of thousands of events a second).
 */
const PENDING_MAX_EVENTS = 25_000;
/** Events folded and not yet written (a write under way) past which ingest waits for the writer. */
const PENDING_HARD_EVENTS = 100_000;
/**
 * Open cases of a space kept in memory once written (the most recently changed): a district's open cases at any time
 * are a few thousand, and all stay; beyond this many, an event of a case untouched for long reads its row back. Each
 * case held costs about 800 bytes (its state, its clocks and their marks): with 100,000 cases open, 80 MB.
 */
const HOT_OPEN_MAX = 20_000;

/** The statements a write runs, by index (`RowOps.add`); the same list is prepared on the writer's connection. */
const W = {
  case: 0,
  state: 1,
  history: 2,
  supervision: 3,
  meta: 4,
  item: 5,
  handover: 6,
  roster: 7,
  checkpoint: 8,
  reviewOtherVersions: 9,
  review: 10,
  reviewDrop: 11,
  seenStage: 12,
  seenOtherFilters: 13,
} as const;
const WRITES = [
  `INSERT OR REPLACE INTO cases (${CASE_COLUMNS.join(',')}, seq) VALUES (${CASE_COLUMNS.map(() => '?').join(',')}, ?)`,
  'INSERT OR REPLACE INTO case_states (space, id, state) VALUES (?, ?, ?)',
  "INSERT INTO case_history (space, case_id, seqs) VALUES (?, ?, ?) ON CONFLICT (space, case_id) DO UPDATE SET seqs = seqs || ',' || excluded.seqs",
  'INSERT INTO case_supervisions (space, ts, seq) VALUES (?, ?, ?)',
  'INSERT OR REPLACE INTO read_model_meta (space, seq, version, earliest) VALUES (?, ?, ?, ?)',
  'INSERT OR REPLACE INTO duty_items (space, id, since, state, seq) VALUES (?, ?, ?, ?, ?)',
  // A signature (no draft in hand) keeps the draft its submission wrote.
  'INSERT INTO duty_handovers (space, id, shift_end, state, record, seq) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (space, id) DO UPDATE SET shift_end = excluded.shift_end, state = excluded.state, record = coalesce(excluded.record, record), seq = excluded.seq',
  'INSERT OR REPLACE INTO duty_rosters (space, date, shifts, seq) VALUES (?, ?, ?, ?)',
  'INSERT OR REPLACE INTO checkpoints (space, seq, version, sha256, body, written_at) VALUES (?, ?, ?, ?, ?, ?)',
  'DELETE FROM review_checkpoints WHERE space = ? AND version <> ?',
  'INSERT OR REPLACE INTO review_checkpoints (space, seq, clock, version, sha256, body) VALUES (?, ?, ?, ?, ?, ?)',
  'DELETE FROM review_checkpoints WHERE space = ? AND seq = ?',
  'INSERT OR REPLACE INTO seen_stages (space, filter, idx, bits) VALUES (?, ?, ?, ?)',
  'DELETE FROM seen_stages WHERE space = ? AND filter <> ?',
];

/** A checkpoint asked for and not yet written (it goes with the next write). */
interface QueuedCheckpoint {
  readonly space: string;
  readonly seq: number;
  readonly version: string;
  readonly body: Buffer;
  readonly sha: string;
  readonly now: number;
  readonly history?: HistoryWrite;
  readonly seen?: CheckpointStages;
}

/**
 * The dedupe filter a checkpoint names (`SeenShape.id`; a `SeenFilter` is one): its full stages are stored beside the
 * checkpoint, each once, in the write that first carries a checkpoint naming them (`unsavedStages` is asked when the
 * write is made, again if it is made again; `stagesSaved` is told once it committed); the stages of any other filter
 * of the space go then.
 */
export type CheckpointStages = Pick<SeenFilter, 'id' | 'unsavedStages' | 'stagesSaved'>;

/** A space's review history as written and asked to be written: its fold version and entries. */
interface ReviewIndex {
  entries: { seq: number; clock: number; version: string }[];
}

const emptyPending = (): Pending => ({
  dirty: new Set(),
  history: new Map(),
  supervised: [],
  dirtyItems: new Set(),
  handovers: new Map(),
  drafts: new Map(),
  rosters: new Map(),
  pendingEvents: 0,
});

function isCaseEvent(e: DomainEvent): e is CaseEvent {
  return e.type.startsWith('case.');
}

function isItemEvent(e: DomainEvent): e is ItemEvent {
  return e.type.startsWith('item.');
}

function isHandoverEvent(e: DomainEvent): e is HandoverEvent {
  return e.type === 'handover.submitted' || e.type === 'handover.signed';
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
  private readonly spaces = new Map<string, SpaceModel>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private bulk = false;
  private readonly readState: Database.Statement;
  private readonly readMeta: Database.Statement;
  private readonly readItem: Database.Statement;
  private readonly readHandover: Database.Statement;
  /** The rows' writes: a thread of their own on a file, at once on `:memory:`. */
  private readonly writer: RowWriter;
  /** The statements the benchmarks' direct fills run on this connection. */
  private readonly direct: readonly Database.Statement[];
  /** Checkpoints asked for, to go with the next write (the newest of each space). */
  private readonly checkpoints = new Map<string, QueuedCheckpoint>();
  /** Told of each space whose checkpoint went with a writer thread that stopped (it must be made again). */
  private readonly checkpointsLost: Subscribers<[space: string]>;
  /** Each space's review history (loaded once from its rows, then kept with every write asked). */
  private readonly reviews = new Map<string, ReviewIndex>();
  /** While a backup copies the file, writes wait (another connection's write would start the copy over). */
  private paused = 0;
  /** The failure of the last write answered, reported by `flush`. */
  private lastFailure: Error | null = null;
  /** Closed: nothing more is written. */
  private closed = false;

  /**
   * `version` names the fold that writes the rows (the shared reducers' code and the configuration): rows written by
   * another version are rebuilt from the log. On a file, the rows are written by a thread of their own
   * (`rowWriter.ts`); `inline` keeps them on this thread.
   */
  constructor(
    file: string,
    readonly ctx: ProjectionContext,
    readonly version = 'dev',
    private readonly failsafe = new Failsafe(),
    inline = file === ':memory:',
  ) {
    this.checkpointsLost = new Subscribers(failsafe);
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // Reads here; the writer thread's connection has a page cache of its own (the two hold what one did before).
    this.db.pragma(inline ? 'cache_size = -16384' : 'cache_size = -8192');
    this.db.pragma('busy_timeout = 10000');
    if (this.db.pragma('user_version', { simple: true }) !== SCHEMA_VERSION) {
      this.db.transaction(() => {
        for (const t of TABLES) this.db.exec(`DROP TABLE IF EXISTS ${t}`);
        this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })();
    }
    this.db.exec(SCHEMA);
    this.readState = this.db.prepare('SELECT state FROM case_states WHERE space = ? AND id = ?').pluck();
    this.readMeta = this.db.prepare('SELECT seq, version, earliest FROM read_model_meta WHERE space = ?');
    this.readItem = this.db.prepare('SELECT state FROM duty_items WHERE space = ? AND id = ?').pluck();
    this.readHandover = this.db.prepare('SELECT state FROM duty_handovers WHERE space = ? AND id = ?').pluck();
    this.direct = WRITES.map((sql) => this.db.prepare(sql));
    this.writer = inline ? new InlineRowWriter(this.db, WRITES) : new ThreadRowWriter(file, WRITES);
  }

  private model(space: string): SpaceModel {
    let m = this.spaces.get(space);
    if (!m) {
      const pos = this.position(space);
      const current = pos !== null && pos.version === this.version;
      const seq = current ? pos.seq : 0;
      const ids = new BloomFilter(CASE_ID_BITS);
      for (const id of this.db
        .prepare('SELECT id FROM case_states WHERE space = ?')
        .pluck()
        .iterate(space) as Iterable<string>)
        ids.add(id);
      m = {
        hot: new Map(),
        dirty: new Set(),
        history: new Map(),
        supervised: [],
        seq,
        postedSeq: seq,
        writtenSeq: seq,
        inflight: null,
        pendingEvents: 0,
        refused: 0,
        ids,
        items: new Map(),
        dirtyItems: new Set(),
        handovers: new Map(),
        drafts: new Map(),
        rosters: new Map(),
        earliest: current ? this.earliestOf(space) : null,
      };
      this.spaces.set(space, m);
    }
    return m;
  }

  /** The oldest event time a space's written rows folded, ms (null: none). */
  private earliestOf(space: string): number | null {
    return (this.readMeta.get(space) as { earliest: number | null } | undefined)?.earliest ?? null;
  }

  /** Where a space's written rows stand, or null when it has none. */
  position(space: string): ModelPosition | null {
    this.writer.drain();
    const row = this.readMeta.get(space) as { seq: number; version: string } | undefined;
    return row ? { seq: row.seq, version: row.version } : null;
  }

  /** Spaces that have written rows. */
  spacesWithRows(): string[] {
    this.writer.drain();
    return this.db
      .prepare(
        'SELECT space FROM read_model_meta UNION SELECT space FROM checkpoints UNION SELECT space FROM review_checkpoints',
      )
      .pluck()
      .all() as string[];
  }

  /** The last log seq folded into a space (written or not). */
  foldedSeq(space: string): number {
    return this.model(space).seq;
  }

  /** Cases of a space held in memory: those not yet written, and the open ones changed most recently. */
  heldInMemory(space: string): number {
    return this.spaces.get(space)?.hot.size ?? 0;
  }

  /** Case events of a space the reducer refused since start. */
  refused(space: string): number {
    return this.spaces.get(space)?.refused ?? 0;
  }

  /** A case's current state: in memory (open or just changed), else as written; undefined when there is no such case. */
  caseState(space: string, id: string): CaseState | undefined {
    return this.stateIn(space, this.model(space), id);
  }

  /** The archive a space's projection looks closed cases up in. */
  archive(space: string): CaseArchive {
    return { get: (id) => this.caseState(space, id) };
  }

  /** The queries' database on this model's file: a read first writes what is pending. */
  sql(): CaseSql {
    return sqliteSql(this.db, () => this.flush());
  }

  /** Whether anything folded (or a checkpoint) waits for a write to be asked. */
  private unposted(): boolean {
    if (this.checkpoints.size > 0) return true;
    for (const m of this.spaces.values()) if (m.seq !== m.postedSeq) return true;
    return false;
  }

  /**
   * Folds committed events (log order, with their log seqs) into the space's cases. Events at or before the model's
   * position are skipped, so a replay of the log's tail may start before it. Written at most `FLUSH_MS` later, or before
   * any read.
   */
  record(space: string, events: readonly DomainEvent[], seqs: readonly number[]): void {
    const m = this.model(space);
    // A start on rows already written hands over the whole log: chunks at or before the position go by at once.
    const last = seqs[seqs.length - 1];
    if (last === undefined || last <= m.seq) return;
    let n = 0;
    for (let i = 0; i < events.length; i++) {
      const seq = seqs[i]!;
      if (seq <= m.seq) continue;
      m.seq = seq;
      n++;
      const e = events[i]!;
      if (m.earliest === null || e.ts < m.earliest) m.earliest = e.ts;
      if (isCaseEvent(e)) this.fold(space, m, e, seq);
      else if (isItemEvent(e)) this.foldItem(space, m, e);
      else if (isHandoverEvent(e)) this.foldHandover(space, m, e);
      else if (e.type === 'duty.roster') m.rosters.set(e.date, e.shifts);
    }
    if (n === 0) return;
    m.pendingEvents += n;
    // A producer that never lets the timer run (one long burst) still has its pending rows bounded: a write is asked
    // at once, and when the writer is that far behind, ingest waits for it.
    if (m.pendingEvents >= PENDING_MAX_EVENTS) {
      this.post();
      if (m.pendingEvents >= PENDING_HARD_EVENTS) this.writer.drain();
    } else if (!this.bulk) this.flushLater();
  }

  private flushLater(): void {
    if (this.closed) return;
    // A write that fails leaves its rows pending (the transaction rolled back): the next tick tries again.
    this.timer ??= setTimeout(
      this.failsafe.guarded('case-read-model.flush', () => {
        this.timer = null;
        this.post();
        if (this.unposted()) this.flushLater();
      }),
      FLUSH_MS,
    );
  }

  private fold(space: string, m: SpaceModel, e: CaseEvent, seq: number): void {
    // A logged case.received was judged new when it was accepted: nothing to look up.
    const prev = e.type === 'case.received' ? undefined : this.stateIn(space, m, e.caseId);
    const t = applyCaseEvent(prev, e, this.ctx.lifecycle);
    if (!t.ok) {
      m.refused++;
      return;
    }
    this.put(m, t.state);
    addSeq(m.history, e.caseId, seq);
    if (e.type === 'case.merged') {
      // The master's history shows the merge, and its state lists the duplicate.
      addSeq(m.history, e.masterCaseId, seq);
      const master = this.stateIn(space, m, e.masterCaseId);
      if (master) this.put(m, { ...master, duplicates: [...master.duplicates, e.caseId] });
    } else if (e.type === 'case.supervised') m.supervised.push([e.ts, seq]);
  }

  /** Folds a duty item event with the shared reducer, on the item as written when it has left memory. */
  private foldItem(space: string, m: SpaceModel, e: ItemEvent): void {
    if (!m.items.has(e.itemId)) {
      const s = this.readItem.get(space, e.itemId) as string | undefined;
      if (s !== undefined) m.items.set(e.itemId, JSON.parse(s) as DutyItem);
    }
    if (foldItemEvent(m.items, e) !== null) {
      m.refused++;
      return;
    }
    m.dirtyItems.add(e.itemId);
  }

  /** Folds a submission or a signature, judged as the projection judges it. */
  private foldHandover(space: string, m: SpaceModel, e: HandoverEvent): void {
    const held = m.handovers.get(e.handoverId) ?? m.inflight?.handovers.get(e.handoverId);
    const written = held ? undefined : this.readHandover.get(space, e.handoverId);
    const rec = held ?? (written ? (JSON.parse(written as string) as HandoverRow) : undefined);
    if (judgeHandoverEvent(rec, e) !== null) {
      m.refused++;
      return;
    }
    if (e.type === 'handover.submitted') {
      const r = e.record;
      m.handovers.set(e.handoverId, {
        id: e.handoverId,
        date: r.date,
        shiftId: r.shiftId,
        shiftName: r.shiftName,
        start: r.start,
        end: r.end,
        submitted: { at: e.ts, by: e.by, note: e.note },
        signed: null,
      });
      m.drafts.set(e.handoverId, r);
    } else m.handovers.set(e.handoverId, { ...rec!, signed: { at: e.ts, by: e.by, note: e.note ?? null } });
  }

  private stateIn(space: string, m: SpaceModel, id: string): CaseState | undefined {
    const hot = m.hot.get(id);
    if (hot) return hot;
    if (!m.ids.mightHave(id)) return undefined;
    const s = this.readState.get(space, id) as string | undefined;
    return s === undefined ? undefined : (JSON.parse(s) as CaseState);
  }

  private put(m: SpaceModel, c: CaseState): void {
    m.ids.add(c.id);
    // Re-inserted, so the map runs from the least recently changed case to the most.
    m.hot.delete(c.id);
    m.hot.set(c.id, c);
    m.dirty.add(c.id);
  }

  /** Writes everything folded so far (and every checkpoint asked for); returns once it is committed. */
  flush(): void {
    // Closed: nothing is written any more (what is held was asked for at the close, and its failure said then).
    if (this.closed) {
      if (this.unposted()) throw new Error('the case read model is closed: what it holds was not written');
      return;
    }
    this.lastFailure = null;
    for (;;) {
      this.post(true);
      this.writer.drain();
      if (this.lastFailure) throw this.lastFailure;
      if (!this.unposted()) return;
    }
  }

  /**
   * Asks the writer to write everything folded so far and the checkpoints asked for, in one transaction. One write is
   * asked at a time: while one is unanswered (or a backup copies the file), changes wait for the next (`force`: even
   * during a backup, which then starts over).
   */
  private post(force = false): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.closed || this.writer.busy || (this.paused > 0 && !force) || !this.unposted()) return;
    const job = this.writer.job();
    const taken: [SpaceModel, Taken][] = [];
    const checkpoints = [...this.checkpoints.values()];
    this.checkpoints.clear();
    try {
      for (const [space, m] of this.spaces) if (m.seq !== m.postedSeq) taken.push([m, this.take(space, m, job)]);
    } catch (err) {
      // A row that cannot be made: what was taken is pending again, as after a write that rolled back.
      this.failed(taken, checkpoints, err instanceof Error ? err : new Error(String(err)));
      this.flushLater();
      return;
    }
    // Per checkpoint, how many leading full stages of its filter are stored once the write commits (0: none carried).
    const stagesStored = checkpoints.map(() => 0);
    checkpoints.forEach((c, i) => {
      // A checkpoint that cannot be written is left out (logged and counted); the monitor's next one replaces it.
      const ok = this.failsafe.run('case-read-model.flush', () => {
        stagesStored[i] = this.checkpointOps(c, job);
      });
      if (!ok) this.reviews.delete(c.space);
    });
    // Where each checkpoint's body sits among the job's byte values (a rolled-back write gives them back).
    const bodies = checkpoints.map((c) => job.bytes().attachments.indexOf(c.body));
    this.writer.write(job, (err, returned) => {
      if (err) {
        // Tried again on the timer's next tick, not at once.
        const again = checkpoints.map((c, i) => ({ ...c, body: returned?.[bodies[i]!] ?? c.body }));
        this.failed(taken, again, err);
        this.flushLater();
        return;
      }
      this.settle(taken);
      checkpoints.forEach((c, i) => {
        if (c.seen && stagesStored[i]! > 0) c.seen.stagesSaved(stagesStored[i]!);
      });
      // What was folded meanwhile: at once when it is a lot (or a checkpoint waits), else on the timer.
      if (this.checkpoints.size > 0 || [...this.spaces.values()].some((m) => m.pendingEvents >= PENDING_MAX_EVENTS))
        this.post();
      else if (this.unposted() && !this.bulk) this.flushLater();
    });
  }

  /** Adds a space's changes to a write and takes them from the space (they are the write's until it is answered). */
  private take(space: string, m: SpaceModel, job: RowOps): Taken {
    for (const [id, seqs] of m.history) job.add(W.history, [space, id, seqs.join(',')]);
    for (const [ts, seq] of m.supervised) job.add(W.supervision, [space, ts, seq]);
    for (const id of m.dirty) {
      const c = m.hot.get(id);
      if (!c) continue;
      // The wide JSON state sits in its own table so list scans read narrow rows.
      // A row's seq is the write that last changed it (what the cluster's PostgreSQL copy is brought up to date by).
      job.add(W.case, [...caseRow(space, c, this.ctx), m.seq]);
      job.add(W.state, [space, c.id, JSON.stringify(c)]);
    }
    for (const id of m.dirtyItems) {
      const it = m.items.get(id);
      if (it) job.add(W.item, [space, id, it.since, JSON.stringify(it), m.seq]);
    }
    for (const r of m.handovers.values()) {
      const draft = m.drafts.get(r.id);
      job.add(W.handover, [space, r.id, r.end, JSON.stringify(r), draft ? JSON.stringify(draft) : null, m.seq]);
    }
    for (const [date, shifts] of m.rosters) job.add(W.roster, [space, date, JSON.stringify(shifts), m.seq]);
    job.add(W.meta, [space, m.seq, this.version, m.earliest]);
    const t: Taken = {
      seq: m.seq,
      dirty: m.dirty,
      history: m.history,
      supervised: m.supervised,
      dirtyItems: m.dirtyItems,
      handovers: m.handovers,
      drafts: m.drafts,
      rosters: m.rosters,
      pendingEvents: m.pendingEvents,
    };
    Object.assign(m, emptyPending());
    m.postedSeq = m.seq;
    m.inflight = t;
    return t;
  }

  /**
   * After a write committed: what it took is written, and closed cases leave memory, as do the open ones changed least
   * recently beyond `HOT_OPEN_MAX` (all are read back from their rows) — except those changed again since it was asked.
   */
  private settle(taken: readonly [SpaceModel, Taken][]): void {
    for (const [m, t] of taken) {
      m.inflight = null;
      m.writtenSeq = t.seq;
      for (const id of t.dirty) {
        const c = m.hot.get(id);
        if (c && isTerminal(c.stage) && !m.dirty.has(id)) m.hot.delete(id);
      }
      // Every case held is written now but those changed since: the least recently changed go first.
      if (m.hot.size > HOT_OPEN_MAX)
        for (const id of m.hot.keys()) {
          if (m.hot.size <= HOT_OPEN_MAX) break;
          if (!m.dirty.has(id)) m.hot.delete(id);
        }
      // Resolved items are read back from their rows when an event or a report needs them.
      for (const id of t.dirtyItems) if (m.items.get(id)?.resolved && !m.dirtyItems.has(id)) m.items.delete(id);
    }
  }

  /**
   * After a write rolled back: what it took is pending again, before what was folded since (a later write tries it
   * again), and its checkpoints are asked for again unless a newer one was; the failure is logged and counted.
   */
  private failed(taken: readonly [SpaceModel, Taken][], checkpoints: readonly QueuedCheckpoint[], err: Error): void {
    for (const [m, t] of taken) {
      m.inflight = null;
      m.postedSeq = m.writtenSeq;
      for (const id of t.dirty) m.dirty.add(id);
      for (const [id, seqs] of t.history) m.history.set(id, [...seqs, ...(m.history.get(id) ?? [])]);
      m.supervised = [...t.supervised, ...m.supervised];
      for (const id of t.dirtyItems) m.dirtyItems.add(id);
      for (const [id, r] of t.handovers) if (!m.handovers.has(id)) m.handovers.set(id, r);
      for (const [id, d] of t.drafts) if (!m.drafts.has(id)) m.drafts.set(id, d);
      for (const [date, shifts] of t.rosters) if (!m.rosters.has(date)) m.rosters.set(date, shifts);
      m.pendingEvents += t.pendingEvents;
    }
    for (const c of checkpoints) {
      // A body that went to a writer thread which then stopped is gone with it: whoever makes checkpoints is told, so
      // the space's next one is made even if nothing was folded since.
      if (c.body.byteLength === 0) this.checkpointsLost.notify(c.space);
      else if (!this.checkpoints.has(c.space)) this.checkpoints.set(c.space, c);
      // The history this write would have added is read again from the rows.
      this.reviews.delete(c.space);
    }
    this.lastFailure = err;
    this.failsafe.run('case-read-model.flush', () => {
      throw err;
    });
  }

  /**
   * Writes a space's checkpoint with everything folded so far, in one transaction, so the rows are never behind a
   * checkpoint: with the next write (at once when none is under way). `body` is the serialised projection at log seq
   * `seq` (≤ the rows' position). With `history`, the checkpoint also joins the space's review history when the policy
   * says it is due, and the history is pruned.
   */
  checkpoint(
    space: string,
    seq: number,
    version: string,
    body: Buffer,
    now: number,
    history?: HistoryWrite,
    seen?: CheckpointStages,
  ): void {
    const sha = createHash('sha256').update(body).digest('hex');
    this.checkpoints.set(space, {
      space,
      seq,
      version,
      body,
      sha,
      now,
      ...(history ? { history } : {}),
      ...(seen ? { seen } : {}),
    });
    this.post();
  }

  /** A full stage of a space's dedupe filter as stored beside its checkpoints (undefined when it is not). */
  seenStage(space: string, filter: string, idx: number): Buffer | undefined {
    this.writer.drain();
    return this.db
      .prepare('SELECT bits FROM seen_stages WHERE space = ? AND filter = ? AND idx = ?')
      .pluck()
      .get(space, filter, idx) as Buffer | undefined;
  }

  /** Adds a checkpoint to a write, and to the review history when due (the history then pruned). */
  private checkpointOps(c: QueuedCheckpoint, job: RowOps): number {
    // The stages' copies first: should they fail, nothing of this checkpoint is in the write.
    const stages = c.seen ? c.seen.unsavedStages() : [];
    job.add(W.checkpoint, [c.space, c.seq, c.version, c.sha, c.body, c.now]);
    let stored = -1;
    if (c.seen) {
      job.add(W.seenOtherFilters, [c.space, c.seen.id]);
      for (const st of stages) {
        job.add(W.seenStage, [c.space, c.seen.id, st.idx, st.bits]);
        stored = Math.max(stored, st.idx);
      }
    }
    const h = c.history;
    if (!h) return stored + 1;
    const r = this.reviewIndex(c.space);
    const mine = r.entries.filter((e) => e.version === c.version);
    const last = mine.length > 0 ? Math.max(...mine.map((e) => e.clock)) : null;
    if (!historyDue(last, h.clock, h.policy)) return stored + 1;
    // Entries another version wrote are never used (their fold differs): they go when this version writes its first.
    job.add(W.reviewOtherVersions, [c.space, c.version]);
    r.entries = [...mine.filter((e) => e.seq !== c.seq), { seq: c.seq, clock: h.clock, version: c.version }];
    job.add(W.review, [c.space, c.seq, h.clock, c.version, c.sha, c.body]);
    const pruned = new Set(historyToPrune(r.entries, h.policy));
    for (const seq of pruned) job.add(W.reviewDrop, [c.space, seq]);
    r.entries = r.entries.filter((e) => !pruned.has(e.seq));
    return stored + 1;
  }

  /** A space's review history entries, read from its rows the first time (no write is under way when it is asked). */
  private reviewIndex(space: string): ReviewIndex {
    let r = this.reviews.get(space);
    if (!r) {
      const entries = this.db
        .prepare('SELECT seq, clock, version FROM review_checkpoints WHERE space = ?')
        .all(space) as ReviewIndex['entries'];
      this.reviews.set(space, (r = { entries }));
    }
    return r;
  }

  /** A space's review history of a version: log seq and space clock of each entry, oldest first. */
  reviewHistory(space: string, version: string): { seq: number; clock: number }[] {
    this.writer.drain();
    return this.db
      .prepare('SELECT seq, clock FROM review_checkpoints WHERE space = ? AND version = ? ORDER BY clock, seq')
      .all(space, version) as { seq: number; clock: number }[];
  }

  /**
   * The review history's checkpoints of a version that stand for a space clock at or before `at` (ms), newest first,
   * at most `limit`; one whose checksum does not match is left out.
   */
  reviewCheckpoints(space: string, version: string, at: number, limit = 3): ReviewCheckpoint[] {
    this.writer.drain();
    const rows = this.db
      .prepare(
        'SELECT seq, clock, sha256, body FROM review_checkpoints WHERE space = ? AND version = ? AND clock <= ? ORDER BY clock DESC, seq DESC LIMIT ?',
      )
      .all(space, version, at, limit) as { seq: number; clock: number; sha256: string; body: Buffer }[];
    return rows
      .filter((r) => createHash('sha256').update(r.body).digest('hex') === r.sha256)
      .map(({ seq, clock, body }) => ({ seq, clock, body }));
  }

  /** Subscribes to the spaces whose checkpoint was lost with a writer thread that stopped (to be made again). */
  onCheckpointLost(listener: (space: string) => void, name = 'checkpoint-lost'): () => void {
    return this.checkpointsLost.add(name, listener);
  }

  /** A space's checkpoint, or why there is none to use (missing, from another version, corrupt, ahead of the rows). */
  loadCheckpoint(
    space: string,
    version: string,
  ): { ok: true; checkpoint: StoredCheckpoint } | { ok: false; reason: string } {
    this.writer.drain();
    const row = this.db.prepare('SELECT seq, version, sha256, body FROM checkpoints WHERE space = ?').get(space) as
      { seq: number; version: string; sha256: string; body: Buffer } | undefined;
    if (!row) return { ok: false, reason: 'no checkpoint' };
    if (row.version !== version)
      return {
        ok: false,
        reason: `the checkpoint was written by another version (${row.version.slice(0, 12)}, this is ${version.slice(0, 12)})`,
      };
    if (createHash('sha256').update(row.body).digest('hex') !== row.sha256)
      return { ok: false, reason: 'the checkpoint is corrupt (checksum mismatch)' };
    const pos = this.position(space);
    if (!pos || pos.version !== this.version || pos.seq < row.seq)
      return { ok: false, reason: 'the case rows are behind the checkpoint' };
    return { ok: true, checkpoint: { seq: row.seq, version: row.version, body: row.body } };
  }

  /** The log seq of each space's checkpoint written by fold version `version`. */
  checkpointPositions(version: string): Record<string, number> {
    this.writer.drain();
    const rows = this.db.prepare('SELECT space, seq FROM checkpoints WHERE version = ?').all(version) as {
      space: string;
      seq: number;
    }[];
    return Object.fromEntries(rows.map((r) => [r.space, r.seq]));
  }

  /**
   * Copies the whole file (rows, checkpoints, review history) to `file`, a few pages per turn of the event loop, once
   * everything folded is written. Writes wait meanwhile (the writer's connection writing would start the copy over):
   * the copy is one consistent state, its checkpoints never ahead of its rows.
   */
  async backupTo(file: string): Promise<void> {
    this.flush();
    this.paused++;
    try {
      await this.db.backup(file);
    } finally {
      this.paused--;
      if (this.unposted()) this.flushLater();
    }
  }

  /** Forgets a space: its rows, its checkpoint and review history, what is in memory. */
  dropSpace(space: string): void {
    this.writer.drain();
    this.spaces.delete(space);
    this.checkpoints.delete(space);
    this.reviews.delete(space);
    this.db.transaction(() => {
      for (const t of SPACE_TABLES) this.db.prepare(`DELETE FROM ${t} WHERE space = ?`).run(space);
    })();
  }

  /**
   * Starts folding a space from an empty model (a full rebuild). When the space is large, the list indexes are dropped
   * and sorted in once at `endBulk` instead of a B-tree insert per row and index.
   */
  beginRebuild(space: string, logEvents: number): void {
    this.dropSpace(space);
    this.model(space);
    const others = this.db.prepare('SELECT count(*) FROM cases').pluck().get() as number;
    this.bulk = logEvents >= 200_000 && logEvents / 30 >= others;
    if (this.bulk) for (const name of LIST_INDEXES) this.db.exec(`DROP INDEX IF EXISTS ${name}`);
  }

  /** Ends a rebuild: writes what is left and restores the list indexes. */
  endRebuild(): void {
    this.flush();
    if (this.bulk) this.db.exec(SCHEMA);
    this.bulk = false;
  }

  /** Writes case states in transactions of 20,000 (benchmarks that fill the model directly). */
  writeCases(space: string, states: Iterable<CaseState>): number {
    this.writer.drain();
    let chunk: CaseState[] = [];
    let n = 0;
    const write = this.db.transaction((cs: readonly CaseState[]) => {
      for (const c of cs) {
        this.direct[W.case]!.run(...caseRow(space, c, this.ctx), 0);
        this.direct[W.state]!.run(space, c.id, JSON.stringify(c));
      }
    });
    // A model already open for the space must know the ids written behind its back.
    const open = this.spaces.get(space);
    for (const c of states) {
      open?.ids.add(c.id);
      chunk.push(c);
      if (chunk.length === 20_000) {
        write(chunk);
        n += chunk.length;
        chunk = [];
      }
    }
    write(chunk);
    return n + chunk.length;
  }

  /** Writes logged case events (with their log seqs) to the history in one transaction (benchmarks that fill the model directly). */
  writeEvents(space: string, events: readonly CaseEvent[], seqs: readonly number[]): void {
    this.writer.drain();
    this.db.transaction(() => {
      const h = new Map<string, number[]>();
      events.forEach((e, i) => {
        addSeq(h, e.caseId, seqs[i]!);
        if (e.type === 'case.merged') addSeq(h, e.masterCaseId, seqs[i]!);
      });
      for (const [id, s] of h) this.direct[W.history]!.run(space, id, s.join(','));
    })();
  }

  /** Records that a space's rows stand for its log up to seq `seq` (benchmarks that fill the model directly). */
  markCaughtUp(space: string, seq: number): void {
    this.writer.drain();
    this.direct[W.meta]!.run(space, seq, this.version, null);
    this.spaces.delete(space);
  }

  close(): void {
    if (!this.db.open) return;
    try {
      this.flush();
    } finally {
      // A last write that failed is not asked for again: nothing writes after the close.
      this.closed = true;
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      try {
        this.writer.close();
      } finally {
        this.db.close();
      }
    }
  }
}
