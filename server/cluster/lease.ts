/**
 * A lease: work that must run once in a cluster (the demo feed) runs on the node that holds a PostgreSQL session-level
 * advisory lock. The lock lives as long as the holder's connection: a node that dies (or loses the database) loses the
 * lease at once, and a waiting node takes it over at its next try.
 */
import pg from 'pg';
import type { Logger } from '../log';

/** Holds or waits for a named lease. */
export class Lease {
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  constructor(
    private readonly connectionString: string,
    readonly name: string,
    private readonly log: Logger,
    private readonly retryMs = 2_000,
  ) {}

  /**
   * Calls `acquired` once this node holds the lease (at once, or when the holder is gone), and `lost` if its connection
   * drops while holding it (the work must stop: another node may take over).
   */
  hold(acquired: () => void, lost: () => void): void {
    const attempt = async () => {
      if (this.closed) return;
      const client = new pg.Client({ connectionString: this.connectionString });
      client.on('error', () => undefined);
      try {
        await client.connect();
        const { rows } = await client.query<{ ok: boolean }>(
          "SELECT pg_try_advisory_lock(hashtextextended('cityops-lease:' || $1, 0)) AS ok",
          [this.name],
        );
        if (!rows[0]?.ok || this.closed) {
          await client.end();
          this.timer = setTimeout(() => void attempt(), this.retryMs);
          return;
        }
      } catch (err) {
        this.log.warn({ err, lease: this.name }, 'could not ask for the lease; trying again');
        await client.end().catch(() => undefined);
        this.timer = setTimeout(() => void attempt(), this.retryMs);
        return;
      }
      this.client = client;
      client.on('end', () => {
        if (this.client !== client) return;
        this.client = null;
        this.log.warn({ lease: this.name }, 'the lease was lost with its connection; waiting to take it again');
        lost();
        this.timer = setTimeout(() => void attempt(), this.retryMs);
      });
      this.log.info({ lease: this.name }, `this node holds the lease ${this.name}`);
      acquired();
    };
    void attempt();
  }

  /** Whether this node holds the lease now. */
  get held(): boolean {
    return this.client !== null;
  }

  /** Releases the lease (by closing its connection) and stops waiting for it. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }
}
