/**
 * The case read model: one SQLite table of case rows (every case ever received, open or closed) and one of each case's
 * events, fed from the applied events after each batch and rebuilt from the log at start when it is behind. It answers
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
import type { EventStore } from '../store/types';
import { CASE_COLUMNS, caseRow } from './rows';

/** One event of a case's history, as logged. */
export interface HistoryEntry { readonly seq: number; readonly ts: number; readonly type: string; readonly actor: string | null; readonly event: CaseEvent }

type Pending = { events: CaseEvent[]; dirty: Set<string>; accepted: number };

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
CREATE TABLE IF NOT EXISTS case_events (seq INTEGER PRIMARY KEY, space TEXT NOT NULL, case_id TEXT NOT NULL, ts INTEGER NOT NULL,
  type TEXT NOT NULL, actor TEXT, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS case_events_case ON case_events (space, case_id, seq);
CREATE INDEX IF NOT EXISTS case_events_type ON case_events (space, type, ts);
CREATE TABLE IF NOT EXISTS read_model_meta (space TEXT PRIMARY KEY, log_events INTEGER NOT NULL);
`;

function isCaseEvent(e: DomainEvent): e is CaseEvent {
  return e.type.startsWith('case.');
}

/** The case read model over one SQLite file (`:memory:` for tests). */
export class CaseReadModel {
  /** The database (queries live in `queries.ts`). */
  readonly db: Database.Database;
  private readonly pending = new Map<string, Pending>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly upsert: Database.Statement;
  private readonly upsertState: Database.Statement;
  private readonly insertEvent: Database.Statement;
  private readonly setMeta: Database.Statement;
  private readonly bumpMeta: Database.Statement;

  constructor(file: string, private readonly projectionOf: (space: string) => SpaceProjection | undefined, private readonly ctx: ProjectionContext) {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('cache_size = -65536');
    this.db.exec(SCHEMA);
    this.upsert = this.db.prepare(`INSERT OR REPLACE INTO cases (${CASE_COLUMNS.join(',')}) VALUES (${CASE_COLUMNS.map(() => '?').join(',')})`);
    this.upsertState = this.db.prepare('INSERT OR REPLACE INTO case_states (space, id, state) VALUES (?, ?, ?)');
    this.insertEvent = this.db.prepare('INSERT INTO case_events (space, case_id, ts, type, actor, body) VALUES (?, ?, ?, ?, ?, ?)');
    this.setMeta = this.db.prepare('INSERT OR REPLACE INTO read_model_meta (space, log_events) VALUES (?, ?)');
    this.bumpMeta = this.db.prepare('INSERT INTO read_model_meta (space, log_events) VALUES (?, ?) ON CONFLICT(space) DO UPDATE SET log_events = log_events + excluded.log_events');
  }

  /** Records a committed batch's accepted events; written on the next flush (at most 200 ms later, or before a query). */
  record(space: string, accepted: readonly DomainEvent[]): void {
    if (accepted.length === 0) return;
    let p = this.pending.get(space);
    if (!p) this.pending.set(space, (p = { events: [], dirty: new Set(), accepted: 0 }));
    p.accepted += accepted.length;
    for (const e of accepted) {
      if (!isCaseEvent(e)) continue;
      p.events.push(e);
      p.dirty.add(e.caseId);
      if (e.type === 'case.merged') p.dirty.add(e.masterCaseId);
    }
    this.timer ??= setTimeout(() => this.flush(), 200);
  }

  /** Writes everything recorded so far. */
  flush(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    if (this.pending.size === 0) return;
    const batches = [...this.pending];
    this.pending.clear();
    this.db.transaction(() => {
      for (const [space, p] of batches) {
        for (const e of p.events) this.writeEvent(space, e);
        const proj = this.projectionOf(space);
        for (const id of p.dirty) {
          const c = proj?.cases.get(id);
          if (c) this.writeCase(space, c);
        }
        this.bumpMeta.run(space, p.accepted);
      }
    })();
  }

  private writeEvent(space: string, e: CaseEvent): void {
    const body = JSON.stringify(e);
    this.insertEvent.run(space, e.caseId, e.ts, e.type, e.actor ?? null, body);
    // The master's history shows the duplicate joining it.
    if (e.type === 'case.merged') this.insertEvent.run(space, e.masterCaseId, e.ts, e.type, e.actor ?? null, body);
  }

  private writeCase(space: string, c: CaseState): void {
    // The wide JSON state sits in its own table so list scans read narrow rows.
    this.upsert.run(...caseRow(space, c, this.ctx));
    this.upsertState.run(space, c.id, JSON.stringify(c));
  }

  /** Brings every space up to its log: a space whose recorded event count differs from the log's is rebuilt. */
  async catchUp(store: EventStore, spaces: readonly string[]): Promise<string[]> {
    const rebuilt: string[] = [];
    for (const space of spaces) {
      const logged = await store.count(space);
      const have = this.db.prepare('SELECT log_events FROM read_model_meta WHERE space = ?').pluck().get(space) as number | undefined;
      if (have === logged) continue;
      await this.rebuild(store, space);
      rebuilt.push(space);
    }
    return rebuilt;
  }

  /** Rebuilds a space's rows: its case events from the log, each case's state from the (just rebuilt) projection. */
  async rebuild(store: EventStore, space: string): Promise<void> {
    this.pending.delete(space);
    this.dropRows(space);
    let n = 0;
    const writeChunk = this.db.transaction((chunk: readonly DomainEvent[]) => {
      for (const e of chunk) if (isCaseEvent(e)) this.writeEvent(space, e);
    });
    for await (const chunk of store.read(space)) {
      writeChunk(chunk);
      n += chunk.length;
    }
    const proj = this.projectionOf(space);
    if (proj) this.writeCases(space, proj.cases.values());
    this.setMeta.run(space, n);
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

  /** Writes case events to the history table in one transaction. */
  writeEvents(space: string, events: readonly CaseEvent[]): void {
    this.db.transaction(() => { for (const e of events) this.writeEvent(space, e); })();
  }

  private dropRows(space: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM cases WHERE space = ?').run(space);
      this.db.prepare('DELETE FROM case_states WHERE space = ?').run(space);
      this.db.prepare('DELETE FROM case_events WHERE space = ?').run(space);
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

  /** A case's events in log order. */
  history(space: string, id: string): HistoryEntry[] {
    this.flush();
    const rows = this.db.prepare('SELECT seq, ts, type, actor, body FROM case_events WHERE space = ? AND case_id = ? ORDER BY seq').raw().all(space, id) as [number, number, string, string | null, string][];
    return rows.map(([seq, ts, type, actor, body]) => ({ seq, ts, type, actor, event: JSON.parse(body) as CaseEvent }));
  }

  close(): void {
    if (!this.db.open) return;
    this.flush();
    this.db.close();
  }
}
