/**
 * Drill records in PostgreSQL, shared by a cluster's nodes: every node lists the same drills. A drill runs on the node
 * that holds its lease (`drill:<id>`, `server/cluster/lease.ts`) for as long as its simulator runs; the record says
 * `starting`/`running` only while that lease is held, because the runner writes the drill's end before it lets the
 * lease go, and a node that finds the lease of a running drill free (its runner died or lost the database) marks it
 * `interrupted`. A stop asked at any node is written in the drill's row (`command`), which the runner reads at its
 * next pass. The table is part of the store's schema (`server/store/postgres.ts`).
 */
import type pg from 'pg';
import type { DrillRecord } from '@shared/drills';
import { Lease, whileFree } from '../cluster/lease';
import type { Logger } from '../log';
import type { DrillRecords } from './records';

/** A drill's lease while this node runs it. */
export interface DrillLease {
  /** Whether the lease's connection answers; one that does not is closed, and the lease reported lost. */
  check(): Promise<boolean>;
  /** Lets the lease go (after the drill's end is written). */
  release(): Promise<void>;
}

/** The drill records of a cluster, with each drill's lease and command. */
export interface SharedDrillRecords extends DrillRecords {
  readonly shared: true;
  /**
   * Takes the lease of a drill for this node: null when another node holds it. `lost` is called if the lease is lost
   * while held (its connection dropped): the simulator must stop at once, another node may mark the drill interrupted.
   */
  hold(id: string, lost: () => void): Promise<DrillLease | null>;
  /** Writes a stop for the runner of a drill; false when the drill is not starting or running. */
  askToStop(id: string): Promise<boolean>;
  /** Which of these drills have a stop written. */
  stopsAsked(ids: readonly string[]): Promise<string[]>;
  /** Drills recorded as starting or running, by any node. */
  active(): Promise<string[]>;
  /**
   * If nobody holds the drill's lease and its record still says starting or running, writes what `end` makes of it
   * (while holding the lease, so no runner can take it meanwhile) and resolves with that; null otherwise (its runner is
   * there, or it has ended).
   */
  endIfUnattended(id: string, end: (r: DrillRecord) => Promise<DrillRecord>): Promise<DrillRecord | null>;
}

const COLUMNS = 'id, space, scenario, status, created_at, ended_at, record';

/** The drill records of a cluster, on the event store's pool. */
export class PgDrillRecords implements SharedDrillRecords {
  readonly shared = true;

  constructor(
    private readonly pool: pg.Pool,
    /** Where each running drill's lease connection goes. */
    private readonly connectionString: string,
    private readonly log: Logger,
  ) {}

  async list(): Promise<DrillRecord[]> {
    const { rows } = await this.pool.query<{ record: string }>('SELECT record FROM drills ORDER BY created_at, id');
    return rows.map((r) => JSON.parse(r.record) as DrillRecord);
  }

  async get(id: string): Promise<DrillRecord | undefined> {
    const { rows } = await this.pool.query<{ record: string }>('SELECT record FROM drills WHERE id = $1', [id]);
    return rows[0] ? (JSON.parse(rows[0].record) as DrillRecord) : undefined;
  }

  async create(r: DrillRecord): Promise<boolean> {
    const res = await this.pool.query(
      `INSERT INTO drills (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
      [r.id, r.space, r.scenario, r.status, r.createdAt, r.endedAt, JSON.stringify(r)],
    );
    return res.rowCount === 1;
  }

  async save(r: DrillRecord): Promise<void> {
    await write(this.pool, r);
  }

  async delete(id: string): Promise<void> {
    await this.pool.query('DELETE FROM drills WHERE id = $1', [id]);
  }

  async hold(id: string, lost: () => void): Promise<DrillLease | null> {
    const lease = new Lease(this.connectionString, leaseName(id), this.log);
    if (!(await lease.take(lost))) {
      await lease.close();
      return null;
    }
    return { check: () => lease.check(), release: () => lease.close() };
  }

  async askToStop(id: string): Promise<boolean> {
    const res = await this.pool.query(
      "UPDATE drills SET command = 'stop' WHERE id = $1 AND status IN ('starting', 'running')",
      [id],
    );
    return res.rowCount === 1;
  }

  async stopsAsked(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.pool.query<{ id: string }>(
      "SELECT id FROM drills WHERE id = ANY($1) AND command = 'stop'",
      [ids],
    );
    return rows.map((r) => r.id);
  }

  async active(): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      "SELECT id FROM drills WHERE status IN ('starting', 'running') ORDER BY created_at, id",
    );
    return rows.map((r) => r.id);
  }

  async endIfUnattended(id: string, end: (r: DrillRecord) => Promise<DrillRecord>): Promise<DrillRecord | null> {
    const ended = await whileFree(this.pool, leaseName(id), async (client) => {
      const { rows } = await client.query<{ record: string }>(
        "SELECT record FROM drills WHERE id = $1 AND status IN ('starting', 'running')",
        [id],
      );
      if (!rows[0]) return null;
      const r = await end(JSON.parse(rows[0].record) as DrillRecord);
      await write(client, r);
      return r;
    });
    return ended ?? null;
  }

  /** The pool is the event store's: it closes with the store. */
  async close(): Promise<void> {}
}

/** The lease a drill runs under. */
function leaseName(id: string): string {
  return `drill:${id}`;
}

/** Writes a record unless the stored one has ended already or is gone (deleted); a record that ends drops its command. */
async function write(db: pg.Pool | pg.PoolClient, r: DrillRecord): Promise<void> {
  await db.query(
    `UPDATE drills SET status = $2, ended_at = $3, record = $4,
       command = CASE WHEN $2 IN ('starting', 'running') THEN command END
     WHERE id = $1 AND status IN ('starting', 'running')`,
    [r.id, r.status, r.endedAt, JSON.stringify(r)],
  );
}
