/**
 * The wall screens this node serves: each `/wall` socket from its connection, with its last health report
 * (`wall:health`). A wall that reported is kept by its own id after its socket goes (its network dropped, its PC slept),
 * so it is listed as stale and raises an alert in its space until it reports again or the admin forgets it; a socket
 * that never reported is only listed while connected. Bounded: the oldest disconnected walls are forgotten first.
 *
 * On a cluster the list is the cluster's: each node publishes its own entries (`WallPeers`, kept in Redis) and reads the
 * others', so a wall that moved to another node is listed once, connected, and is not judged silent by the node it left;
 * the walls of a node that died are listed as gone since that node was last seen.
 */
import { Gauge, type Registry } from 'prom-client';
import { wallFlags, wallReportSchema, type WallLimits, type WallReport, type WallRow } from '@shared/wall/health';
import type { SilentWall } from '@shared/projection/monitor';

/** Most walls kept (connected or remembered). */
export const WALLS_MAX = 1_000;

/** A wall as a node publishes it to the others: its row's facts, and when its socket went (while disconnected). */
export type SharedWall = Pick<
  WallRow,
  'id' | 'space' | 'address' | 'connected' | 'connectedAt' | 'lastReportAt' | 'report'
> & { readonly goneAt: number | null };

/**
 * A wall another node published: that node, when it last published, and when this node read it (wall-clock ms). Read
 * long ago (Redis away), it is listed as it was and not judged: this node does not know what became of it.
 */
export interface PeerWall {
  readonly node: string;
  readonly nodeSeenAt: number;
  readonly readAt: number;
  readonly wall: SharedWall;
}

/** The other nodes' walls, and a way to tell them a wall was forgotten (on a cluster). */
export interface WallPeers {
  /** A node that has not written its walls for this long is gone, ms. */
  readonly staleMs: number;
  /** Starts publishing this node's walls and reading the others'. */
  start(registry: WallRegistry): void;
  /** The other nodes' walls, as last read. */
  peers(): readonly PeerWall[];
  /** Tells every node to forget a wall; resolves once told. */
  forget(id: string): Promise<void>;
  close(): Promise<void>;
}

interface Entry {
  id: string;
  space: string;
  address: string;
  socketId: string | null;
  connectedAt: number;
  lastReportAt: number | null;
  report: WallReport | null;
  /** Wall-clock ms when the socket went, while disconnected. */
  goneAt: number | null;
}

/** The outcome of a report: accepted, or why not (field by field). */
export type ReportOutcome = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** The registry of walls. */
export class WallRegistry {
  private readonly bySocket = new Map<string, Entry>();
  private readonly byId = new Map<string, Entry>();

  constructor(
    private readonly opts: {
      readonly now: () => number;
      readonly limits: () => WallLimits;
      readonly currentVersion: () => string | null;
      /** The other nodes' walls (a cluster); none on a single node. */
      readonly peers?: () => readonly PeerWall[];
      /** How long a node may go unseen before its walls count as gone, ms (a few of its publishing periods). */
      readonly peerStaleMs?: number;
    },
  ) {}

  /** A socket joined. */
  connected(socketId: string, space: string, address: string): void {
    const e: Entry = {
      id: `socket:${socketId}`,
      space,
      address,
      socketId,
      connectedAt: this.opts.now(),
      lastReportAt: null,
      report: null,
      goneAt: null,
    };
    this.bySocket.set(socketId, e);
    this.bound();
  }

  /** A socket reported; an invalid report is refused with the reason and changes nothing. */
  report(socketId: string, raw: unknown): ReportOutcome {
    const e = this.bySocket.get(socketId);
    if (!e) return { ok: false, message: 'the socket is not a connected wall' };
    const parsed = wallReportSchema.safeParse(raw);
    if (!parsed.success)
      return {
        ok: false,
        message: parsed.error.issues.map((i) => `${i.path.join('.') || '(report)'}: ${i.message}`).join('; '),
      };
    const id = parsed.data.wallId;
    if (e.id !== id) {
      // The first report names the wall: a wall that comes back (a reload, a reconnect) takes over its old entry.
      const previous = this.byId.get(id);
      if (previous && previous !== e && previous.socketId !== null) this.bySocket.delete(previous.socketId);
      if (e.id.startsWith('socket:') === false) this.byId.delete(e.id);
      e.id = id;
      this.byId.set(id, e);
    }
    e.report = parsed.data;
    e.lastReportAt = this.opts.now();
    return { ok: true };
  }

  /**
   * A socket went. A wall that left on purpose (`deliberate`: its page closed the socket, as it does when it is closed
   * or reloaded) is dropped, as is one that never reported; a wall whose connection was lost is remembered, and turns
   * stale (a PC asleep, a network down, a browser crashed).
   */
  disconnected(socketId: string, deliberate = false): void {
    const e = this.bySocket.get(socketId);
    this.bySocket.delete(socketId);
    if (!e || e.socketId !== socketId) return;
    if (deliberate) {
      if (this.byId.get(e.id) === e) this.byId.delete(e.id);
      return;
    }
    e.socketId = null;
    e.goneAt = this.opts.now();
  }

  /** Whether a wall of that id is listed (on this node or, on a cluster, another). */
  known(id: string): boolean {
    return this.merged().has(id);
  }

  /** This node's walls as it publishes them to the others. */
  shared(): SharedWall[] {
    return this.entries().map((e) => ({
      id: e.id,
      space: e.space,
      address: e.address,
      connected: e.socketId !== null,
      connectedAt: e.connectedAt,
      lastReportAt: e.lastReportAt,
      report: e.report,
      goneAt: e.goneAt,
    }));
  }

  /**
   * Remembers a wall that had gone silent before this node started (its alert is still raised in the log): listed as
   * stale, judged silent since that same last report — so its alert stays raised, not cleared by a start that simply
   * does not know the wall — until it reports again or the admin forgets it. A wall already known is left as it is.
   */
  remember(wall: {
    readonly id: string;
    readonly space: string;
    readonly address: string;
    readonly lastReportAt: number;
  }): void {
    if (this.byId.has(wall.id)) return;
    this.byId.set(wall.id, {
      id: wall.id,
      space: wall.space,
      address: wall.address,
      socketId: null,
      connectedAt: wall.lastReportAt,
      lastReportAt: wall.lastReportAt,
      report: null,
      goneAt: wall.lastReportAt,
    });
    this.bound();
  }

  /** Forgets a wall on this node (the admin took it away); false when this node did not know it. */
  forget(id: string): boolean {
    const e = this.byId.get(id);
    if (!e) return false;
    this.byId.delete(id);
    if (e.socketId !== null) this.bySocket.delete(e.socketId);
    return true;
  }

  /** Forgets every wall of a deleted space. */
  forgetSpace(space: string): void {
    for (const e of this.entries())
      if (e.space === space) {
        if (e.socketId !== null) this.bySocket.delete(e.socketId);
        this.byId.delete(e.id);
      }
  }

  /** Every wall, connected first, then by id. */
  list(): WallRow[] {
    const now = this.opts.now();
    return [...this.merged().values()]
      .map((m) => this.row(m.wall, now))
      .sort(
        (a, b) =>
          Number(b.connected) - Number(a.connected) || a.space.localeCompare(b.space) || a.id.localeCompare(b.id),
      );
  }

  /** Counts for `/metrics`: walls connected, reporting, and flagged. */
  counts(): { connected: number; known: number; stale: number; slow: number; oldVersion: number } {
    const rows = this.list();
    return {
      connected: rows.filter((r) => r.connected).length,
      known: rows.length,
      stale: rows.filter((r) => r.flags.stale).length,
      slow: rows.filter((r) => r.flags.slow).length,
      oldVersion: rows.filter((r) => r.flags.oldVersion).length,
    };
  }

  /**
   * The walls of `space` that reported once and then stopped for longer than the limit, with since when on the space's
   * clock (`spaceNow`, ms; the silence is measured on the wall clock).
   */
  silent(space: string, spaceNow: number): SilentWall[] {
    const now = this.opts.now();
    const limitMs = this.opts.limits().silentSec * 1000;
    const out: SilentWall[] = [];
    for (const { wall: e, judged } of this.merged().values()) {
      if (!judged || e.id.startsWith('socket:')) continue;
      if (e.space !== space || e.lastReportAt === null || now - e.lastReportAt <= limitMs) continue;
      const silentFor = now - (e.lastReportAt + limitMs);
      out.push({
        wallId: e.id,
        label: `${e.id.slice(0, 8)}（${e.address}）`,
        since: Math.round(spaceNow - silentFor),
        lastReportAt: e.lastReportAt,
      });
    }
    return out;
  }

  private entries(): Entry[] {
    const all = new Set<Entry>([...this.bySocket.values(), ...this.byId.values()]);
    return [...all];
  }

  /**
   * This node's walls and the other nodes', one per id: a wall connected somewhere wins over its memory elsewhere, else
   * the newest report. A node not seen for `peerStaleMs` before it was read is gone: its connected walls count as gone
   * since it was last seen, and those that never reported are dropped. A wall read too long ago (Redis away) is listed
   * as it was but not `judged`: whether it went silent is not known here.
   */
  private merged(): Map<string, { wall: SharedWall; judged: boolean }> {
    const out = new Map<string, { wall: SharedWall; judged: boolean }>();
    for (const w of this.shared()) out.set(w.id, { wall: w, judged: true });
    const peers = this.opts.peers?.() ?? [];
    if (peers.length === 0) return out;
    const now = this.opts.now();
    const staleMs = this.opts.peerStaleMs ?? 10_000;
    for (const p of peers) {
      let w = p.wall;
      const judged = now - p.readAt <= staleMs;
      if (judged && w.connected && p.readAt - p.nodeSeenAt > staleMs) {
        if (w.lastReportAt === null) continue;
        w = { ...w, connected: false, goneAt: p.nodeSeenAt };
      }
      const held = out.get(w.id);
      if (!held || better(w, held.wall)) out.set(w.id, { wall: w, judged });
    }
    return out;
  }

  private row(e: SharedWall, now: number): WallRow {
    const since = e.lastReportAt ?? e.connectedAt;
    return {
      id: e.id,
      space: e.space,
      address: e.address,
      connected: e.connected,
      connectedAt: e.connectedAt,
      lastReportAt: e.lastReportAt,
      silentMs: now - since,
      report: e.report,
      flags: wallFlags(e.report, since, now, this.opts.limits(), this.opts.currentVersion()),
    };
  }

  private bound(): void {
    if (this.bySocket.size + this.byId.size <= WALLS_MAX) return;
    const gone = [...this.byId.values()]
      .filter((e) => e.socketId === null)
      .sort((a, b) => (a.goneAt ?? 0) - (b.goneAt ?? 0));
    for (const e of gone.slice(0, this.bySocket.size + this.byId.size - WALLS_MAX)) this.byId.delete(e.id);
  }
}

/** Whether `a` says more of a wall now than `b`: connected over gone, then the newer report. */
function better(a: SharedWall, b: SharedWall): boolean {
  if (a.connected !== b.connected) return a.connected;
  return (a.lastReportAt ?? a.connectedAt) > (b.lastReportAt ?? b.connectedAt);
}

/** The address a wall's socket came from; behind a proxy, the forwarded client first (as the proxy says). */
export function addressOf(handshake: {
  readonly address: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}): string {
  const fwd = handshake.headers['x-forwarded-for'];
  const first = (Array.isArray(fwd) ? fwd[0] : fwd)?.split(',')[0]?.trim();
  return first ? `${first.slice(0, 64)} via ${handshake.address}` : handshake.address;
}

/** Walls by state on `/metrics`: `cityops_walls{state="connected|known|stale|slow|old_version"}`, read when scraped. */
export function wallMetrics(registry: Registry, walls: WallRegistry): Gauge<'state'> {
  return new Gauge({
    name: 'cityops_walls',
    help: 'Wall screens by state: connected sockets, known walls (connected or remembered after reporting), and those flagged stale, slow or running an old build',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const c = walls.counts();
      this.set({ state: 'connected' }, c.connected);
      this.set({ state: 'known' }, c.known);
      this.set({ state: 'stale' }, c.stale);
      this.set({ state: 'slow' }, c.slow);
      this.set({ state: 'old_version' }, c.oldVersion);
    },
  });
}
