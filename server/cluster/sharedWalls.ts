/**
 * The cluster's wall screens in Redis: each node writes its own walls (connected, and remembered after they stopped
 * reporting) under its id in one hash every `publishMs`, and reads every other node's; a wall the admin forgets is told
 * to every node on a channel. A node that stops publishing (killed, cut off) keeps its last entry, which the readers
 * judge by when it was written; entries of nodes gone for a day are removed by whoever reads them.
 */
import { randomUUID } from 'node:crypto';
import type { RedisClientType } from 'redis';
import { Outage, type Logger } from '../log';
import type { PeerWall, SharedWall, WallPeers, WallRegistry } from '../realtime/walls';

/** The hash of every node's walls: field = node id, value = `{ seenAt, walls }` as JSON; `<key>:forget` is the channel. */
export const WALLS_KEY = 'cityops:walls';
/** A node's entry not written for this long is removed, ms. */
const NODE_GONE_MS = 24 * 3_600_000;

interface Published {
  readonly seenAt: number;
  readonly walls: SharedWall[];
}

/** Shares this node's walls with the cluster's other nodes through Redis. */
export class RedisWallPeers implements WallPeers {
  readonly node = randomUUID();
  private cmd: RedisClientType | null = null;
  private sub: RedisClientType | null = null;
  private registry: WallRegistry | null = null;
  private timer: NodeJS.Timeout | null = null;
  private cache: PeerWall[] = [];
  private readonly outage: Outage;
  private closed = false;

  readonly staleMs: number;
  private readonly now: () => number;
  private readonly publishMs: number;
  private readonly key: string;

  constructor(
    private readonly redis: RedisClientType,
    private readonly log: Logger,
    opts: {
      /** The wall clock (ms). */
      readonly now?: () => number;
      /** How often this node writes its walls and reads the others', ms (default 2,000). */
      readonly publishMs?: number;
      /** A node that has not written for this long is gone, ms (default 5 publishing periods). */
      readonly staleMs?: number;
      readonly key?: string;
    } = {},
  ) {
    this.outage = new Outage(
      log,
      'could not write or read the shared wall list: other nodes are listed as last read',
      'the shared wall list is written and read again',
    );
    this.now = opts.now ?? Date.now;
    this.publishMs = opts.publishMs ?? 2_000;
    this.staleMs = opts.staleMs ?? 5 * this.publishMs;
    this.key = opts.key ?? WALLS_KEY;
  }

  start(registry: WallRegistry): void {
    this.registry = registry;
    void this.connect();
  }

  private async connect(): Promise<void> {
    try {
      // Own connections: the adapter's client blocks on its stream, and a subscriber can send nothing else.
      const cmd = this.redis.duplicate();
      const sub = this.redis.duplicate();
      cmd.on('error', () => undefined);
      sub.on('error', () => undefined);
      this.cmd = cmd as RedisClientType;
      this.sub = sub as RedisClientType;
      await Promise.all([cmd.connect(), sub.connect()]);
      await sub.subscribe(`${this.key}:forget`, (id) => {
        this.registry?.forget(id);
        this.drop(id);
      });
    } catch (err) {
      this.log.warn({ err }, 'could not connect to Redis for the shared wall list: this node lists its own walls');
    }
    if (this.closed) return;
    await this.tick();
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    try {
      await this.exchange();
      this.outage.ok();
    } catch (err) {
      this.outage.failed(err);
    }
    if (!this.closed) this.timer = setTimeout(() => void this.tick(), this.publishMs);
  }

  /** Writes this node's walls, then reads the others'. */
  async exchange(): Promise<void> {
    const cmd = this.cmd;
    const registry = this.registry;
    if (!cmd || !registry) return;
    const mine: Published = { seenAt: this.now(), walls: registry.shared() };
    await cmd.hSet(this.key, this.node, JSON.stringify(mine));
    const all = await cmd.hGetAll(this.key);
    const readAt = this.now();
    const next: PeerWall[] = [];
    const gone: string[] = [];
    for (const [node, raw] of Object.entries(all)) {
      if (node === this.node) continue;
      let published: Published;
      try {
        published = JSON.parse(raw) as Published;
      } catch {
        gone.push(node);
        continue;
      }
      if (readAt - published.seenAt > NODE_GONE_MS) {
        gone.push(node);
        continue;
      }
      for (const wall of published.walls) next.push({ node, nodeSeenAt: published.seenAt, readAt, wall });
    }
    if (gone.length > 0) await cmd.hDel(this.key, gone);
    this.cache = next;
  }

  peers(): readonly PeerWall[] {
    return this.cache;
  }

  async forget(id: string): Promise<void> {
    this.drop(id);
    await this.cmd?.publish(`${this.key}:forget`, id);
  }

  private drop(id: string): void {
    this.cache = this.cache.filter((p) => p.wall.id !== id);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const quit = async (c: RedisClientType | null) => {
      if (!c?.isOpen) return;
      try {
        await c.close();
      } catch {
        c.destroy();
      }
    };
    // A node that closes on purpose says its walls are gone now (they reconnect to another node, where they are listed
    // connected); those that never reported are only listed while connected.
    try {
      const registry = this.registry;
      if (this.cmd?.isReady && registry) {
        const at = this.now();
        const walls = registry
          .shared()
          .filter((w) => w.lastReportAt !== null)
          .map((w) => (w.connected ? { ...w, connected: false, goneAt: at } : w));
        await this.cmd.hSet(this.key, this.node, JSON.stringify({ seenAt: at, walls } satisfies Published));
      }
    } catch (err) {
      this.log.warn({ err }, 'could not tell the shared wall list that this node stops');
    }
    await Promise.all([quit(this.cmd), quit(this.sub)]);
  }
}
