/**
 * Following the shared log: every node folds what other nodes logged, in the log's order, with the same reducers.
 * A notification (`LISTEN cityops_log`) says which space moved; a pass over every space at a fixed interval catches
 * up by position whatever the notifications missed (a dropped connection, a restart of the database). A space whose
 * log another node deleted is forgotten here too: by its notification, or because the event at this node's position
 * is no longer in the log.
 */
import pg from 'pg';
import type { Failsafe } from '../failsafe';
import type { IngestService } from '../ingest/service';
import { Outage, type Logger } from '../log';
import type { SpaceRegistry } from '../spaces';
import { LOG_CHANNEL } from '../store/postgres';
import type { EventStore } from '../store/types';

/** What the follower needs. */
export interface FollowerDeps {
  readonly connectionString: string;
  readonly store: EventStore;
  readonly spaces: SpaceRegistry;
  readonly ingest: IngestService;
  readonly failsafe: Failsafe;
  readonly log: Logger;
  /** Between catch-up passes over every space, ms (default 1,000). */
  readonly intervalMs?: number;
}

/** Longest wait before listening again after the connection dropped, ms. */
const MAX_BACKOFF_MS = 5_000;

/** Follows the shared log into this node's spaces. */
export class LogFollower {
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private backoff = 250;
  /** Spaces with a catch-up queued (a burst of notifications queues one). */
  private readonly queued = new Map<string, Promise<void>>();
  private readonly outage: Outage;
  constructor(private readonly deps: FollowerDeps) {
    this.outage = new Outage(
      deps.log,
      'the shared log does not answer: this node shows what it folded until it does',
      'the shared log answers again: caught up',
    );
  }

  /** Starts listening and the catch-up passes. */
  start(): void {
    void this.listen();
    this.timer = setInterval(
      this.deps.failsafe.guarded('log-follower', () => this.tick()),
      this.deps.intervalMs ?? 1_000,
    );
  }

  private passing = false;

  /** One catch-up pass, unless one still runs; a database that does not answer is logged once per outage. */
  private async tick(): Promise<void> {
    if (this.passing || this.stopped) return;
    this.passing = true;
    try {
      await this.pass();
      this.outage.ok();
    } catch (err) {
      this.outage.failed(err);
    } finally {
      this.passing = false;
    }
  }

  /** Whether the shared log answered the last catch-up pass (this node's figures are current). */
  get healthy(): boolean {
    return !this.outage.failing;
  }

  /** Catches up every space of the log, and forgets spaces whose log is gone. */
  async pass(): Promise<void> {
    // The spaces and how far each had folded, taken before the log's list: a space whose first batch commits while
    // the list is read had folded nothing when it was taken, so it is not taken for one whose log is gone.
    const known = this.deps.spaces.all().map((space) => ({ space, folded: space.position }));
    const logged = new Set(await this.deps.store.spaces());
    for (const { space, folded } of known) {
      if (!logged.has(space.name) && folded > 0) await this.deps.spaces.forget(space.name);
      else if (space.position > 0 && (await this.deps.store.readSeqs(space.name, [space.position])).length === 0) {
        this.deps.log.warn(
          { space: space.name, position: space.position },
          'the log of this space was deleted and started again elsewhere: folding it anew',
        );
        await this.deps.spaces.forget(space.name);
      }
    }
    await Promise.all([...logged].map((name) => this.queue(name)));
  }

  /** Queues a catch-up of a space (one at a time per space); resolves when it is done. */
  private queue(space: string): Promise<void> {
    const pending = this.queued.get(space);
    if (pending) return pending;
    const run = this.deps.ingest
      .catchUp(space)
      .then(
        () => undefined,
        (err: unknown) => {
          if (this.stopped) return;
          this.deps.log.warn({ err, space }, 'catching up with the log failed; the next pass tries again');
        },
      )
      .finally(() => this.queued.delete(space));
    this.queued.set(space, run);
    return run;
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.deps.connectionString });
    this.client = client;
    const retry = () => {
      if (this.client !== client || this.stopped) return;
      this.client = null;
      client.end().catch(() => undefined);
      setTimeout(() => void this.listen(), this.backoff).unref();
      this.backoff = Math.min(MAX_BACKOFF_MS, this.backoff * 2);
    };
    client.on('error', (err) => {
      this.deps.log.warn({ err }, 'the log notifications connection failed; catching up by position until it is back');
      retry();
    });
    client.on('end', retry);
    client.on('notification', (msg) => {
      const payload = msg.payload ?? '';
      if (payload.startsWith('-')) void this.deps.spaces.forget(payload.slice(1));
      else if (payload) void this.queue(payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${LOG_CHANNEL}`);
      this.backoff = 250;
      // Whatever was logged while not listening.
      await this.pass();
    } catch (err) {
      this.deps.log.warn({ err }, 'could not listen for log notifications; retrying');
      retry();
    }
  }

  /** Stops listening and the passes. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }
}
