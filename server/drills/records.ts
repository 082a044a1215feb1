/**
 * Drill records kept across restarts: one SQLite row per drill (`DATA_DIR/drills.sqlite`), the record as JSON beside the
 * columns it is listed by. Unlike the case read model this file cannot be rebuilt from the log, so it is never emptied on
 * a schema change. A drill still starting or running when the file is opened was cut off by a stop of the server: it is
 * marked `interrupted` (its space and log stay).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { DrillRecord } from '@shared/drills';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS drills (
  id TEXT PRIMARY KEY, space TEXT NOT NULL, scenario TEXT NOT NULL, status TEXT NOT NULL,
  created_at INTEGER NOT NULL, ended_at INTEGER, record TEXT NOT NULL
);
`;

/** The drill records of one file (or `:memory:`). */
export class DrillRecords {
  private readonly db: Database.Database;
  private readonly upsert: Database.Statement;
  private readonly remove: Database.Statement;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
    this.upsert = this.db
      .prepare(`INSERT INTO drills (id, space, scenario, status, created_at, ended_at, record) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, ended_at = excluded.ended_at, record = excluded.record`);
    this.remove = this.db.prepare('DELETE FROM drills WHERE id = ?');
  }

  /** Every stored drill, oldest first; those left starting or running are marked interrupted at `now` (ms) and saved so. */
  load(now: number): DrillRecord[] {
    const rows = this.db.prepare('SELECT record FROM drills ORDER BY created_at, id').all() as { record: string }[];
    const records = rows.map((r) => JSON.parse(r.record) as DrillRecord);
    for (const r of records) {
      if (r.status !== 'starting' && r.status !== 'running') continue;
      r.status = 'interrupted';
      r.endedAt ??= now;
      r.progress = { ...r.progress, etaSec: null, rate: 0 };
      this.save(r);
    }
    return records;
  }

  /** Writes a drill's current record. */
  save(r: DrillRecord): void {
    this.upsert.run(r.id, r.space, r.scenario, r.status, r.createdAt, r.endedAt, JSON.stringify(r));
  }

  /** Forgets a drill. */
  delete(id: string): void {
    this.remove.run(id);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
