/**
 * A lease: work that must run once in a cluster (the demo feed, each drill) runs on the node that holds a PostgreSQL
 * session-level advisory lock. The lock lives as long as the holder's connection: a node that dies (or loses the
 * database) loses the lease at once, and a waiting node takes it over at its next try. A node that only wants to know
 * whether anybody holds a lease (is a drill's runner still there?) takes it for a moment on a pooled connection
 * (`whileFree`).
 */
import pg from 'pg';
import type { Logger } from '../log';

/** The advisory lock key of a lease (a 64-bit key from its name, in a namespace of our own). */
const KEY_SQL = "hashtextextended('cityops-lease:' || $1, 0)";

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
      let got: boolean;
      try {
        got = await this.attempt(() => {
          lost();
          this.timer = setTimeout(() => void attempt(), this.retryMs);
        });
      } catch (err) {
        this.log.warn({ err, lease: this.name }, 'could not ask for the lease; trying again');
        got = false;
      }
      if (got) acquired();
      else if (!this.closed) this.timer = setTimeout(() => void attempt(), this.retryMs);
    };
    void attempt();
  }

  /**
   * One try: resolves true when this node now holds the lease (then `lost` is called if its connection drops while it
   * is held), false when another node holds it; rejects when the database does not answer.
   */
  async take(lost: () => void): Promise<boolean> {
    return this.attempt(lost);
  }

  private async attempt(lost: () => void): Promise<boolean> {
    if (this.closed) return false;
    // Keepalives both ways: the database drops the lock of a holder that vanished (a machine lost, a cable cut) within
    // some 25 s instead of the system's default of hours, and this side finds a dead connection too.
    const client = new pg.Client({
      connectionString: this.connectionString,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      // Who holds what, for an operator reading pg_stat_activity.
      application_name: `cityops lease ${this.name}`.slice(0, 63),
      options: '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3',
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${KEY_SQL}) AS ok`, [
        this.name,
      ]);
      if (!rows[0]?.ok || this.closed) {
        await client.end();
        return false;
      }
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
    client.on('end', () => {
      if (this.client !== client) return;
      this.client = null;
      this.log.warn({ lease: this.name }, `the lease ${this.name} was lost with its connection`);
      lost();
    });
    this.log.info({ lease: this.name }, `this node holds the lease ${this.name}`);
    return true;
  }

  /**
   * Whether the lease's connection answers within `timeoutMs`; one that does not (or fails) is closed, which reports the
   * lease lost. False when the lease is not held.
   */
  async check(timeoutMs = 5_000): Promise<boolean> {
    const client = this.client;
    if (!client) return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return true;
    } catch (err) {
      this.log.warn(
        { err, lease: this.name },
        `the connection of the lease ${this.name} does not answer: letting it go`,
      );
      await client.end().catch(() => undefined);
      return false;
    } finally {
      clearTimeout(timer);
    }
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

/**
 * Runs `work` while holding the lease `name` on one of the pool's connections, if nobody holds it; resolves with what
 * `work` returned, or `null` (work not run) when another node holds it. The lease is released before the connection
 * goes back to the pool (a broken connection is dropped, and the lease with it).
 */
export async function whileFree<T>(
  pool: pg.Pool,
  name: string,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T | null> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    let ok: boolean;
    try {
      const { rows } = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${KEY_SQL}) AS ok`, [name]);
      ok = rows[0]?.ok === true;
    } catch (err) {
      broken = err as Error;
      throw err;
    }
    if (!ok) return null;
    try {
      return await work(client);
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${KEY_SQL})`, [name]).catch((err: unknown) => {
        broken = err as Error;
      });
    }
  } finally {
    client.release(broken);
  }
}
