/**
 * Drill records kept across restarts. Unlike the case read model they cannot be rebuilt from the log, so they are never
 * emptied on a schema change. Two stores behind one interface: a node's own SQLite file (`DATA_DIR/drills.sqlite`), and
 * on a cluster PostgreSQL, shared by every node (`pgRecords.ts`), where each drill also has a lease and a command.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { DrillRecord } from '@shared/drills';

/** Where drill records are kept. */
export interface DrillRecords {
  /** Whether other nodes share these records (a cluster): see `SharedDrillRecords`. */
  readonly shared: boolean;
  /** Every stored drill, oldest first. */
  list(): Promise<DrillRecord[]>;
  /** A drill by id. */
  get(id: string): Promise<DrillRecord | undefined>;
  /** Writes a new drill's record; false (nothing written) when a drill of that id exists. */
  create(r: DrillRecord): Promise<boolean>;
  /** Writes a drill's current record over its stored one, unless that has ended (it stays as it ended) or is gone. */
  save(r: DrillRecord): Promise<void>;
  /** Forgets a drill. */
  delete(id: string): Promise<void>;
  close(): Promise<void>;
}

/** Whether a drill status means a simulator is (or should be) feeding the drill. */
export function isActive(status: DrillRecord['status']): boolean {
  return status === 'starting' || status === 'running';
}

/** A record marked `interrupted` at `now` (ms) for `reason`: its progress stops, what it reached stays. */
export function interrupted(r: DrillRecord, now: number, reason: string | null): DrillRecord {
  return {
    ...r,
    status: 'interrupted',
    endedAt: r.endedAt ?? now,
    progress: { ...r.progress, etaSec: null, rate: 0 },
    error: r.error ?? reason,
  };
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS drills (
  id TEXT PRIMARY KEY, space TEXT NOT NULL, scenario TEXT NOT NULL, status TEXT NOT NULL,
  created_at INTEGER NOT NULL, ended_at INTEGER, record TEXT NOT NULL
);
`;

/**
 * The drill records of one node: one SQLite row per drill, the record as JSON beside the columns it is listed by. A
 * drill still starting or running when the file is opened was cut off by a stop of the server: it is marked
 * `interrupted` at `openedAt` (its space and log stay).
 */
export class SqliteDrillRecords implements DrillRecords {
  readonly shared = false;
  private readonly db: Database.Database;
  private readonly update: Database.Statement;
  private readonly remove: Database.Statement;

  constructor(file: string, openedAt: number = Date.now()) {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
    this.update = this.db.prepare(
      `UPDATE drills SET status = ?, ended_at = ?, record = ? WHERE id = ? AND status IN ('starting', 'running')`,
    );
    this.remove = this.db.prepare('DELETE FROM drills WHERE id = ?');
    for (const r of this.all())
      if (isActive(r.status))
        this.write(interrupted(r, openedAt, 'the server stopped while it ran (found at its next start)'));
  }

  private all(): DrillRecord[] {
    const rows = this.db.prepare('SELECT record FROM drills ORDER BY created_at, id').all() as { record: string }[];
    return rows.map((r) => JSON.parse(r.record) as DrillRecord);
  }

  private write(r: DrillRecord): void {
    this.update.run(r.status, r.endedAt, JSON.stringify(r), r.id);
  }

  async list(): Promise<DrillRecord[]> {
    return this.all();
  }

  async get(id: string): Promise<DrillRecord | undefined> {
    const row = this.db.prepare('SELECT record FROM drills WHERE id = ?').get(id) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as DrillRecord) : undefined;
  }

  async create(r: DrillRecord): Promise<boolean> {
    const res = this.db
      .prepare(
        'INSERT INTO drills (id, space, scenario, status, created_at, ended_at, record) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
      )
      .run(r.id, r.space, r.scenario, r.status, r.createdAt, r.endedAt, JSON.stringify(r));
    return res.changes === 1;
  }

  async save(r: DrillRecord): Promise<void> {
    this.write(r);
  }

  async delete(id: string): Promise<void> {
    this.remove.run(id);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
