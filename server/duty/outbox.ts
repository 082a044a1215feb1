/**
 * Notifications out: the duty desk's webhook outbox. Every new urgent item (an urgent case, an urgent case overdue) and
 * every escalation becomes one row per configured endpoint in the outbox (a node's SQLite file `DATA_DIR/outbox.sqlite`,
 * or PostgreSQL shared by a cluster's nodes, `server/duty/pgOutbox.ts`), written when its event is committed; a dispatcher posts due rows (a chat robot's JSON body: text, level, link to the desk) and
 * retries a failure with doubling backoff up to the configured attempts. A row is keyed by space, event and endpoint
 * (written again, it is kept once). A start writes the rows of the item events it folds after a checkpoint again (a node
 * stopped between an event's commit and its row leaves one there; `app.ts`), and none of the log before it, so a
 * restart neither loses a pending delivery nor sends a delivered one again. Each request carries `x-cityops-delivery`
 * (the row's key) so a receiver can drop a repeat after a crash between its answer and our record of it.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { DutyConfig } from '@shared/duty/config';
import type { ItemDelivery as Delivery } from '@shared/duty/desk';
import type { DutyItem } from '@shared/duty/items';
import { stampOf } from '@shared/duty/items';
import type { DomainEvent } from '@shared/events';
import { Failsafe } from '../failsafe';

/** The JSON body posted to an endpoint (the shape enterprise chat robots take, with the level and the desk's link). */
export interface NotificationBody {
  readonly msgtype: 'text';
  readonly text: { readonly content: string };
  readonly level: 'urgent' | 'escalation';
  readonly link: string;
  readonly item: {
    readonly id: string;
    readonly space: string;
    readonly kind: string;
    readonly since: number;
    readonly escalation: { readonly level: number; readonly to: string } | null;
  };
}

/** Options of the outbox. */
export interface OutboxOptions {
  readonly config: DutyConfig;
  /** Real time, ms: deliveries and their retries run on it whatever clock a space runs on. */
  readonly now: () => number;
  readonly failsafe?: Failsafe;
  /** Ms between dispatcher passes (default 1,000). */
  readonly intervalMs?: number;
  /** Ms before a request is given up as failed (default 5,000). */
  readonly timeoutMs?: number;
}

/** A row to write: one notification of one event to one endpoint. */
export interface NewDelivery {
  readonly space: string;
  readonly itemId: string;
  readonly eventId: string;
  readonly endpoint: string;
  readonly level: 'urgent' | 'escalation';
  readonly body: string;
  readonly now: number;
}

/** A row due to be posted. */
export interface DueDelivery {
  readonly id: number;
  readonly space: string;
  readonly eventId: string;
  readonly endpoint: string;
  readonly body: string;
  readonly attempts: number;
}

/** The outcome of an attempt to post a row, as recorded. */
export interface AttemptOutcome {
  readonly status: 'delivered' | 'pending' | 'failed';
  readonly attempts: number;
  readonly nextAt: number;
  readonly error: string | null;
  readonly now: number;
}

/**
 * Where the outbox's rows are kept: a node's SQLite file, or PostgreSQL shared by a cluster's nodes. Rows are unique by
 * space, event and endpoint (writing one twice keeps the first).
 */
export interface OutboxStore {
  /** Shared by every node: each writes the rows of every batch it folds, and any of them posts a due row once. */
  readonly shared: boolean;
  /** Writes the rows that are not there yet; resolves with how many were new. */
  insert(rows: readonly NewDelivery[]): Promise<number>;
  /** Takes up to `limit` rows due at `now` for this node to post (on a cluster no other node takes them meanwhile). */
  claimDue(now: number, limit: number): Promise<DueDelivery[]>;
  /** Records the outcome of an attempt. */
  attempted(id: number, outcome: AttemptOutcome): Promise<void>;
  /** The deliveries of the given items of a space, by item id, oldest first. */
  deliveries(space: string, itemIds: readonly string[]): Promise<Record<string, Delivery[]>>;
  dropSpace(space: string): Promise<void>;
  close(): Promise<void>;
}

/** A delivery row as both stores select it for the desk. */
export interface DeliveryRow {
  item_id: string;
  endpoint: string;
  event_id: string;
  level: Delivery['level'];
  status: Delivery['status'];
  attempts: number;
  last_error: string | null;
  created_at: number | string;
  delivered_at: number | string | null;
}

/**
 * The `x-cityops-delivery` header of a row: `<space>|<eventId>|<endpoint>`, each character outside printable ASCII
 * (a case id or an endpoint name in Chinese) and `%` percent-encoded as UTF-8, since a header carries bytes 0–255 only.
 */
export function deliveryKey(row: Pick<DueDelivery, 'space' | 'eventId' | 'endpoint'>): string {
  return `${row.space}|${row.eventId}|${row.endpoint}`.replace(/[^\x20-\x24\x26-\x7e]+/gu, (s) =>
    encodeURIComponent(s),
  );
}

/** The desk's delivery log from rows (ordered oldest first), by item id. */
export function deliveriesByItem(rows: readonly DeliveryRow[]): Record<string, Delivery[]> {
  // Keyed by ids producers chose: a Map, then own properties (an id such as `__proto__` stays a key like any other).
  const out = new Map<string, Delivery[]>();
  for (const r of rows) {
    let list = out.get(r.item_id);
    if (!list) out.set(r.item_id, (list = []));
    list.push({
      endpoint: r.endpoint,
      eventId: r.event_id,
      level: r.level,
      status: r.status,
      attempts: Number(r.attempts),
      lastError: r.last_error,
      createdAt: Number(r.created_at),
      deliveredAt: r.delivered_at === null ? null : Number(r.delivered_at),
    });
  }
  return Object.fromEntries(out);
}

const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY, space TEXT NOT NULL, item_id TEXT NOT NULL, event_id TEXT NOT NULL, endpoint TEXT NOT NULL,
  level TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, next_at INTEGER NOT NULL,
  last_error TEXT, created_at INTEGER NOT NULL, delivered_at INTEGER, UNIQUE (space, event_id, endpoint)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_at);
CREATE INDEX IF NOT EXISTS outbox_item ON outbox (space, item_id);
`;

/** The outbox of one node in a SQLite file (`DATA_DIR/outbox.sqlite`, or `:memory:`). */
export class SqliteOutboxStore implements OutboxStore {
  readonly shared = false;
  private readonly db: Database.Database;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SQLITE_SCHEMA);
  }

  async insert(rows: readonly NewDelivery[]): Promise<number> {
    const insert = this.db
      .prepare(`INSERT OR IGNORE INTO outbox (space, item_id, event_id, endpoint, level, body, status, attempts, next_at, created_at)
      VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`);
    let n = 0;
    this.db.transaction(() => {
      for (const r of rows)
        n += insert.run(r.space, r.itemId, r.eventId, r.endpoint, r.level, r.body, r.now, r.now).changes;
    })();
    return n;
  }

  async claimDue(now: number, limit: number): Promise<DueDelivery[]> {
    return (
      this.db
        .prepare(
          `SELECT id, space, event_id, endpoint, body, attempts FROM outbox WHERE status = 'pending' AND next_at <= ? ORDER BY id LIMIT ?`,
        )
        .all(now, limit) as {
        id: number;
        space: string;
        event_id: string;
        endpoint: string;
        body: string;
        attempts: number;
      }[]
    ).map((r) => ({
      id: r.id,
      space: r.space,
      eventId: r.event_id,
      endpoint: r.endpoint,
      body: r.body,
      attempts: r.attempts,
    }));
  }

  async attempted(id: number, o: AttemptOutcome): Promise<void> {
    this.db
      .prepare(`UPDATE outbox SET status = ?, attempts = ?, next_at = ?, last_error = ?, delivered_at = ? WHERE id = ?`)
      .run(o.status, o.attempts, o.nextAt, o.error, o.status === 'delivered' ? o.now : null, id);
  }

  async deliveries(space: string, itemIds: readonly string[]): Promise<Record<string, Delivery[]>> {
    if (itemIds.length === 0) return {};
    const q = this.db.prepare(
      `SELECT item_id, endpoint, event_id, level, status, attempts, last_error, created_at, delivered_at FROM outbox WHERE space = ? AND item_id = ? ORDER BY id`,
    );
    return deliveriesByItem(itemIds.flatMap((id) => q.all(space, id) as DeliveryRow[]));
  }

  async dropSpace(space: string): Promise<void> {
    this.db.prepare('DELETE FROM outbox WHERE space = ?').run(space);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/** The body of a notification about `item` in `space`; `escalation` null for a new urgent item. */
export function notificationBody(
  config: DutyConfig,
  space: string,
  item: DutyItem,
  escalation: { level: number; to: string } | null,
): NotificationBody {
  const link = `${config.deskUrl?.replace(/\/+$/, '') ?? ''}/duty?space=${encodeURIComponent(space)}`;
  const head = escalation ? `【值班升级·${escalation.to}】` : '【紧急事项】';
  const where = space === 'live' ? '' : `［${space}］`;
  const tail = escalation ? `，${stampOf(item.since)} 起未接报` : `，${stampOf(item.since)}`;
  return {
    msgtype: 'text',
    text: { content: `${head}${where}${item.text}${tail}。值班台：${link}` },
    level: escalation ? 'escalation' : 'urgent',
    link,
    item: { id: item.id, space, kind: item.kind, since: item.since, escalation },
  };
}

/** The durable outbox and its dispatcher. */
export class WebhookOutbox {
  private readonly failsafe: Failsafe;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    readonly store: OutboxStore,
    private readonly opts: OutboxOptions,
  ) {
    this.failsafe = opts.failsafe ?? new Failsafe();
  }

  /** Whether the rows are shared by a cluster's nodes (then every node writes the rows of every batch it folds). */
  get shared(): boolean {
    return this.store.shared;
  }

  /** Writes the rows a committed batch calls for (new urgent items, escalations) for the endpoints of its space. */
  async enqueue(
    space: string,
    events: readonly DomainEvent[],
    itemOf: (id: string) => DutyItem | undefined,
  ): Promise<number> {
    const endpoints = this.opts.config.webhooks.filter((w) => w.spaces.includes(space));
    if (endpoints.length === 0) return 0;
    const now = this.opts.now();
    const rows: NewDelivery[] = [];
    for (const e of events) {
      const urgentOpen = e.type === 'item.opened' && (e.kind === 'case' || e.kind === 'overdue');
      if (!urgentOpen && e.type !== 'item.escalated') continue;
      const item = itemOf(e.itemId);
      if (!item) continue;
      const escalation = e.type === 'item.escalated' ? { level: e.level, to: e.to } : null;
      const body = JSON.stringify(notificationBody(this.opts.config, space, item, escalation));
      const level = escalation ? 'escalation' : 'urgent';
      for (const w of endpoints)
        rows.push({ space, itemId: item.id, eventId: e.eventId, endpoint: w.name, level, body, now });
    }
    return rows.length === 0 ? 0 : this.store.insert(rows);
  }

  /** Starts the dispatcher (a pass still running when the next is due is not doubled). */
  start(): void {
    this.timer ??= setInterval(
      this.failsafe.guarded('webhook-outbox', () => {
        this.running ??= this.drain().finally(() => {
          this.running = null;
        });
      }),
      this.opts.intervalMs ?? 1_000,
    );
    this.timer.unref();
  }

  /** Posts every due row once; a failure is rescheduled with backoff, or given up after the last attempt. */
  async drain(): Promise<void> {
    const due = await this.store.claimDue(this.opts.now(), 50);
    for (const row of due) await this.deliver(row);
  }

  private async deliver(row: DueDelivery): Promise<void> {
    const endpoint = this.opts.config.webhooks.find((w) => w.name === row.endpoint);
    if (!endpoint) return this.record(row, `endpoint ${row.endpoint} is no longer configured`, true);
    let error: string | null = null;
    try {
      const res = await fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'x-cityops-delivery': deliveryKey(row),
        },
        body: row.body,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) error = `HTTP ${res.status}`;
    } catch (err) {
      error = (err as Error).message.slice(0, 200);
    }
    await this.record(row, error, false);
  }

  private async record(row: DueDelivery, error: string | null, final: boolean): Promise<void> {
    const now = this.opts.now();
    const attempts = row.attempts + 1;
    if (error === null) {
      await this.store.attempted(row.id, { status: 'delivered', attempts, nextAt: now, error: null, now });
      return;
    }
    const { baseSec, maxSec, attempts: max } = this.opts.config.webhookRetry;
    const giveUp = final || attempts >= max;
    const next = now + Math.min(maxSec, baseSec * 2 ** (attempts - 1)) * 1000;
    await this.store.attempted(row.id, {
      status: giveUp ? 'failed' : 'pending',
      attempts,
      nextAt: Math.round(next),
      error,
      now,
    });
  }

  /** The deliveries of the given items of a space, by item id, oldest first. */
  deliveries(space: string, itemIds: readonly string[]): Promise<Record<string, Delivery[]>> {
    return this.store.deliveries(space, itemIds);
  }

  /** Forgets a deleted space's rows. */
  dropSpace(space: string): Promise<void> {
    return this.store.dropSpace(space);
  }

  /** Stops the dispatcher, waits for a pass in flight, closes the store. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await this.store.close();
  }
}
