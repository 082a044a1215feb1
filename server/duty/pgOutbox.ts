/**
 * The webhook outbox in PostgreSQL, shared by a cluster's nodes. Every node writes the rows of every batch it folds (a
 * row is unique by space, event and endpoint, so the first write keeps it), so a notification is not lost with the node
 * that logged its event. A node takes due rows for a while (`claimed_until`, `FOR UPDATE SKIP LOCKED`), so two nodes
 * never post the same row at once; a node that dies while posting leaves its claim to expire, and another node posts
 * the row. The table is part of the store's schema (`server/store/postgres.ts`).
 */
import type pg from 'pg';
import type { ItemDelivery as Delivery } from '@shared/duty/desk';
import {
  deliveriesByItem,
  type AttemptOutcome,
  type DeliveryRow,
  type DueDelivery,
  type NewDelivery,
  type OutboxStore,
} from './outbox';

/** Rows taken at once; each may take up to a request's timeout. */
const CLAIM_ROWS = 10;

/** The outbox of a cluster, on the event store's pool. */
export class PgOutboxStore implements OutboxStore {
  readonly shared = true;

  constructor(
    private readonly pool: pg.Pool,
    /** How long a node holds the rows it took before another may take them, ms (longer than posting them takes). */
    private readonly claimMs = 90_000,
  ) {}

  async insert(rows: readonly NewDelivery[]): Promise<number> {
    const values: unknown[] = [];
    const tuples = rows.map((r, i) => {
      values.push(r.space, r.itemId, r.eventId, r.endpoint, r.level, r.body, r.now);
      const b = i * 7;
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, 'pending', 0, $${b + 7}, $${b + 7})`;
    });
    const res = await this.pool.query(
      `INSERT INTO outbox (space, item_id, event_id, endpoint, level, body, status, attempts, next_at, created_at)
       VALUES ${tuples.join(', ')} ON CONFLICT (space, event_id, endpoint) DO NOTHING`,
      values,
    );
    return res.rowCount ?? 0;
  }

  async claimDue(now: number, limit: number): Promise<DueDelivery[]> {
    const { rows } = await this.pool.query<{
      id: string;
      space: string;
      event_id: string;
      endpoint: string;
      body: string;
      attempts: number;
    }>(
      `UPDATE outbox SET claimed_until = $2 WHERE id IN (
         SELECT id FROM outbox WHERE status = 'pending' AND next_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
         ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING id, space, event_id, endpoint, body, attempts`,
      [now, now + this.claimMs, Math.min(limit, CLAIM_ROWS)],
    );
    return rows
      .map((r) => ({
        id: Number(r.id),
        space: r.space,
        eventId: r.event_id,
        endpoint: r.endpoint,
        body: r.body,
        attempts: r.attempts,
      }))
      .sort((a, b) => a.id - b.id);
  }

  async attempted(id: number, o: AttemptOutcome): Promise<void> {
    await this.pool.query(
      `UPDATE outbox SET status = $2, attempts = $3, next_at = $4, last_error = $5, delivered_at = $6, claimed_until = NULL
       WHERE id = $1`,
      [id, o.status, o.attempts, o.nextAt, o.error, o.status === 'delivered' ? o.now : null],
    );
  }

  async deliveries(space: string, itemIds: readonly string[]): Promise<Record<string, Delivery[]>> {
    if (itemIds.length === 0) return {};
    const { rows } = await this.pool.query<DeliveryRow>(
      `SELECT item_id, endpoint, event_id, level, status, attempts, last_error, created_at, delivered_at
       FROM outbox WHERE space = $1 AND item_id = ANY($2) ORDER BY id`,
      [space, itemIds],
    );
    return deliveriesByItem(rows);
  }

  async dropSpace(space: string): Promise<void> {
    await this.pool.query('DELETE FROM outbox WHERE space = $1', [space]);
  }

  /** The pool is the event store's: it closes with the store. */
  async close(): Promise<void> {}
}
