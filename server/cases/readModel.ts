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
import { Failsafe } from '../failsafe';
import { BloomFilter } from '../ingest/bloom';
import { historyDue, historyToPrune, type HistoryPolicy } from '../review/history';
import { CASE_COLUMNS, CASE_ROW_TABLES, caseRow } from './rows';
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

/**
 * One space's state in this model: its cases in memory — every one changed since the last write, and the open cases
 * changed most recently (at most `HOT_OPEN_MAX` once written; the others are read back from their rows).
 */
interface SpaceModel {
  /** Cases not yet written, and open ones written, least recently changed first. */
  readonly hot: Map<string, CaseState>;
  /** Ids changed since the last write. */
  readonly dirty: Set<string>;
  /** Per case, the log seqs of its events not yet written (log order). */
  readonly history: Map<string, number[]>;
  /** The time and log seq of each 督办 folded since the last write. */
  supervised: [number, number][];
  /** Last log seq folded, and the last written. */
  seq: number;
  writtenSeq: number;
  /** Events folded since the last write. */
  pendingEvents: number;
  /** Case events the reducer refused (non-zero only if the reducers changed since the events were accepted). */
  refused: number;
  /** Every case id of the space: "certainly not" answers a lookup of a new id without a query (most lookups are). */
  readonly ids: BloomFilter;
  /** Duty items in memory (open ones, and every one changed since the last write), and the ids changed. */
  readonly items: Map<string, DutyItem>;
  readonly dirtyItems: Set<string>;
  /** Handover records changed since the last write. */
  readonly handovers: Map<string, HandoverRow>;
  /** The drafts of the records submitted since the last write, by handover id. */
  readonly drafts: Map<string, HandoverDraft>;
  /** Rosters published since the last write, by date. */
  readonly rosters: Map<string, readonly Shift[]>;
  /** The oldest event time folded, ms: the space's log begins here. */
  earliest: number | null;
}

/** Size of a space's case id filter: 2^22 bits (512 KiB), about 1% false positives at 400,000 cases. */
const CASE_ID_BITS = 22;

/** Bumped when the tables change shape: an older file is emptied and rebuilt from the log (and a snapshot of it is not used). */
export const SCHEMA_VERSION = 6;

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
CREATE INDEX IF NOT EXISTS cases_scoring ON cases (space, received_at, exempt, unit, need_dispatch, dispatched, signed, signed_on_time,
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
const SPACE_TABLES = [...CASE_ROW_TABLES, 'checkpoints', 'review_checkpoints'];
/** Every table of the file (with one an older version had): what a schema change drops. */
const TABLES = [...SPACE_TABLES, 'case_events'];

/** Longest folded events wait to be written, ms (a replay at full speed rewrites a busy case once per write). */
const FLUSH_MS = 1_000;
/** Events of a space folded before a write is forced without waiting for the timer (bounds memory in long bursts). */
const PENDING_MAX_EVENTS = 100_000;
/**
 * Open cases of a space kept in memory once written (the most recently changed): a district's open cases at any time
 * are a few thousand, and all stay; beyond this many, an event of a case untouched for long reads its row back. Each
 * case held costs about 800 bytes (its state, its clocks and their marks): with 100,000 cases open, 80 MB.
 */
const HOT_OPEN_MAX = 20_000;

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
  private readonly upsert: Database.Statement;
  private readonly upsertState: Database.Statement;
  private readonly readState: Database.Statement;
  private readonly appendHistory: Database.Statement;
  private readonly insertSupervision: Database.Statement;
  private readonly setMeta: Database.Statement;
  private readonly readMeta: Database.Statement;
  private readonly upsertItem: Database.Statement;
  private readonly readItem: Database.Statement;
  private readonly upsertHandover: Database.Statement;
  private readonly readHandover: Database.Statement;
  private readonly upsertRoster: Database.Statement;

  /**
   * `version` names the fold that writes the rows (the shared reducers' code and the configuration): rows written by
   * another version are rebuilt from the log.
   */
  constructor(
    file: string,
    readonly ctx: ProjectionContext,
    readonly version = 'dev',
    private readonly failsafe = new Failsafe(),
  ) {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('cache_size = -16384');
    if (this.db.pragma('user_version', { simple: true }) !== SCHEMA_VERSION) {
      this.db.transaction(() => {
        for (const t of TABLES) this.db.exec(`DROP TABLE IF EXISTS ${t}`);
        this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })();
    }
    this.db.exec(SCHEMA);
    this.upsert = this.db.prepare(
      `INSERT OR REPLACE INTO cases (${CASE_COLUMNS.join(',')}, seq) VALUES (${CASE_COLUMNS.map(() => '?').join(',')}, ?)`,
    );
    this.upsertState = this.db.prepare('INSERT OR REPLACE INTO case_states (space, id, state) VALUES (?, ?, ?)');
    this.readState = this.db.prepare('SELECT state FROM case_states WHERE space = ? AND id = ?').pluck();
    this.appendHistory = this.db.prepare(
      "INSERT INTO case_history (space, case_id, seqs) VALUES (?, ?, ?) ON CONFLICT (space, case_id) DO UPDATE SET seqs = seqs || ',' || excluded.seqs",
    );
    this.insertSupervision = this.db.prepare('INSERT INTO case_supervisions (space, ts, seq) VALUES (?, ?, ?)');
    this.setMeta = this.db.prepare(
      'INSERT OR REPLACE INTO read_model_meta (space, seq, version, earliest) VALUES (?, ?, ?, ?)',
    );
    this.readMeta = this.db.prepare('SELECT seq, version, earliest FROM read_model_meta WHERE space = ?');
    this.upsertItem = this.db.prepare(
      'INSERT OR REPLACE INTO duty_items (space, id, since, state, seq) VALUES (?, ?, ?, ?, ?)',
    );
    this.readItem = this.db.prepare('SELECT state FROM duty_items WHERE space = ? AND id = ?').pluck();
    this.upsertHandover = this.db.prepare(
      // A signature (no draft in hand) keeps the draft its submission wrote.
      'INSERT INTO duty_handovers (space, id, shift_end, state, record, seq) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (space, id) DO UPDATE SET shift_end = excluded.shift_end, state = excluded.state, record = coalesce(excluded.record, record), seq = excluded.seq',
    );
    this.readHandover = this.db.prepare('SELECT state FROM duty_handovers WHERE space = ? AND id = ?').pluck();
    this.upsertRoster = this.db.prepare(
      'INSERT OR REPLACE INTO duty_rosters (space, date, shifts, seq) VALUES (?, ?, ?, ?)',
    );
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
        writtenSeq: seq,
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
    const row = this.readMeta.get(space) as { seq: number; version: string } | undefined;
    return row ? { seq: row.seq, version: row.version } : null;
  }

  /** Spaces that have written rows. */
  spacesWithRows(): string[] {
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

  /** Whether anything folded is not written yet. */
  private unwritten(): boolean {
    for (const m of this.spaces.values()) if (m.seq !== m.writtenSeq) return true;
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
    // A producer that never lets the timer run (one long burst) still has its pending rows bounded.
    if (m.pendingEvents >= PENDING_MAX_EVENTS) this.flush();
    else if (!this.bulk) this.flushLater();
  }

  private flushLater(): void {
    // A flush that fails leaves its rows pending (the transaction rolled back): the next tick tries again.
    this.timer ??= setTimeout(
      this.failsafe.guarded('case-read-model.flush', () => {
        try {
          this.flush();
        } finally {
          if (this.unwritten()) this.flushLater();
        }
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
    const written = m.handovers.has(e.handoverId) ? undefined : this.readHandover.get(space, e.handoverId);
    const rec = m.handovers.get(e.handoverId) ?? (written ? (JSON.parse(written as string) as HandoverRow) : undefined);
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

  /** Writes everything folded so far. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!this.unwritten()) return;
    this.db.transaction(() => {
      for (const [space, m] of this.spaces) this.write(space, m);
    })();
    this.settle();
  }

  /** Writes a space's changes (inside the caller's transaction; `settle` once it committed). */
  private write(space: string, m: SpaceModel): void {
    if (m.seq === m.writtenSeq) return;
    for (const [id, seqs] of m.history) this.appendHistory.run(space, id, seqs.join(','));
    for (const [ts, seq] of m.supervised) this.insertSupervision.run(space, ts, seq);
    for (const id of m.dirty) {
      const c = m.hot.get(id);
      if (!c) continue;
      // The wide JSON state sits in its own table so list scans read narrow rows.
      // A row's seq is the write that last changed it (what the cluster's PostgreSQL copy is brought up to date by).
      this.upsert.run(...caseRow(space, c, this.ctx), m.seq);
      this.upsertState.run(space, c.id, JSON.stringify(c));
    }
    for (const id of m.dirtyItems) {
      const it = m.items.get(id);
      if (it) this.upsertItem.run(space, id, it.since, JSON.stringify(it), m.seq);
    }
    for (const r of m.handovers.values()) {
      const draft = m.drafts.get(r.id);
      this.upsertHandover.run(space, r.id, r.end, JSON.stringify(r), draft ? JSON.stringify(draft) : null, m.seq);
    }
    for (const [date, shifts] of m.rosters) this.upsertRoster.run(space, date, JSON.stringify(shifts), m.seq);
    this.setMeta.run(space, m.seq, this.version, m.earliest);
  }

  /**
   * After a write committed: what was written is no longer pending, and closed cases leave memory, as do the open ones
   * changed least recently beyond `HOT_OPEN_MAX` (all are read back from their rows). A write that failed rolled back
   * and left all of it pending for the next try.
   */
  private settle(): void {
    for (const m of this.spaces.values()) {
      if (m.seq === m.writtenSeq) continue;
      for (const id of m.dirty) {
        const c = m.hot.get(id);
        if (c && isTerminal(c.stage)) m.hot.delete(id);
      }
      // Every case held is written now: the least recently changed go first.
      for (const id of m.hot.keys()) {
        if (m.hot.size <= HOT_OPEN_MAX) break;
        m.hot.delete(id);
      }
      m.history.clear();
      m.dirty.clear();
      // Resolved items, records and rosters are read back from their rows when an event or a report needs them.
      for (const id of m.dirtyItems) if (m.items.get(id)?.resolved) m.items.delete(id);
      m.dirtyItems.clear();
      m.handovers.clear();
      m.drafts.clear();
      m.rosters.clear();
      m.supervised = [];
      m.pendingEvents = 0;
      m.writtenSeq = m.seq;
    }
  }

  /**
   * Writes everything folded so far and a space's checkpoint in one transaction, so the rows are never behind a
   * checkpoint. `body` is the serialised projection at log seq `seq` (≤ the rows' position). With `history`, the
   * checkpoint also joins the space's review history when the policy says it is due, and the history is pruned.
   */
  checkpoint(space: string, seq: number, version: string, body: Buffer, now: number, history?: HistoryWrite): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const sha = createHash('sha256').update(body).digest('hex');
    this.db.transaction(() => {
      for (const [s, m] of this.spaces) this.write(s, m);
      this.db
        .prepare(
          'INSERT OR REPLACE INTO checkpoints (space, seq, version, sha256, body, written_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(space, seq, version, sha, body, now);
      if (history) this.addToHistory(space, seq, version, sha, body, history);
    })();
    this.settle();
  }

  /** Adds a checkpoint to the review history when due (inside the caller's transaction), then prunes the history. */
  private addToHistory(space: string, seq: number, version: string, sha: string, body: Buffer, h: HistoryWrite): void {
    const last = this.db
      .prepare('SELECT max(clock) FROM review_checkpoints WHERE space = ? AND version = ?')
      .pluck()
      .get(space, version) as number | null;
    if (!historyDue(last, h.clock, h.policy)) return;
    // Entries another version wrote are never used (their fold differs): they go when this version writes its first.
    this.db.prepare('DELETE FROM review_checkpoints WHERE space = ? AND version <> ?').run(space, version);
    this.db
      .prepare(
        'INSERT OR REPLACE INTO review_checkpoints (space, seq, clock, version, sha256, body) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(space, seq, h.clock, version, sha, body);
    const entries = this.db.prepare('SELECT seq, clock FROM review_checkpoints WHERE space = ?').all(space) as {
      seq: number;
      clock: number;
    }[];
    const drop = this.db.prepare('DELETE FROM review_checkpoints WHERE space = ? AND seq = ?');
    for (const s of historyToPrune(entries, h.policy)) drop.run(space, s);
  }

  /** A space's review history of a version: log seq and space clock of each entry, oldest first. */
  reviewHistory(space: string, version: string): { seq: number; clock: number }[] {
    return this.db
      .prepare('SELECT seq, clock FROM review_checkpoints WHERE space = ? AND version = ? ORDER BY clock, seq')
      .all(space, version) as { seq: number; clock: number }[];
  }

  /**
   * The review history's checkpoints of a version that stand for a space clock at or before `at` (ms), newest first,
   * at most `limit`; one whose checksum does not match is left out.
   */
  reviewCheckpoints(space: string, version: string, at: number, limit = 3): ReviewCheckpoint[] {
    const rows = this.db
      .prepare(
        'SELECT seq, clock, sha256, body FROM review_checkpoints WHERE space = ? AND version = ? AND clock <= ? ORDER BY clock DESC, seq DESC LIMIT ?',
      )
      .all(space, version, at, limit) as { seq: number; clock: number; sha256: string; body: Buffer }[];
    return rows
      .filter((r) => createHash('sha256').update(r.body).digest('hex') === r.sha256)
      .map(({ seq, clock, body }) => ({ seq, clock, body }));
  }

  /** A space's checkpoint, or why there is none to use (missing, from another version, corrupt, ahead of the rows). */
  loadCheckpoint(
    space: string,
    version: string,
  ): { ok: true; checkpoint: StoredCheckpoint } | { ok: false; reason: string } {
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
    const rows = this.db.prepare('SELECT space, seq FROM checkpoints WHERE version = ?').all(version) as {
      space: string;
      seq: number;
    }[];
    return Object.fromEntries(rows.map((r) => [r.space, r.seq]));
  }

  /**
   * Copies the whole file (rows, checkpoints, review history) to `file`, a few pages per turn of the event loop.
   * Writes made meanwhile go through this connection and so into the copy too: the copy is one consistent state, its
   * checkpoints never ahead of its rows.
   */
  async backupTo(file: string): Promise<void> {
    this.flush();
    await this.db.backup(file);
  }

  /** Forgets a space: its rows, its checkpoint and review history, what is in memory. */
  dropSpace(space: string): void {
    this.spaces.delete(space);
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
    let chunk: CaseState[] = [];
    let n = 0;
    const write = this.db.transaction((cs: readonly CaseState[]) => {
      for (const c of cs) {
        this.upsert.run(...caseRow(space, c, this.ctx), 0);
        this.upsertState.run(space, c.id, JSON.stringify(c));
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
    this.db.transaction(() => {
      const h = new Map<string, number[]>();
      events.forEach((e, i) => {
        addSeq(h, e.caseId, seqs[i]!);
        if (e.type === 'case.merged') addSeq(h, e.masterCaseId, seqs[i]!);
      });
      for (const [id, s] of h) this.appendHistory.run(space, id, s.join(','));
    })();
  }

  /** Records that a space's rows stand for its log up to seq `seq` (benchmarks that fill the model directly). */
  markCaughtUp(space: string, seq: number): void {
    this.setMeta.run(space, seq, this.version, null);
    this.spaces.delete(space);
  }

  close(): void {
    if (!this.db.open) return;
    this.flush();
    this.db.close();
  }
}
