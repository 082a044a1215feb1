/**
 * The wall stream of each space: a snapshot on join, then sequence-numbered deltas coalesced to at most one per
 * `intervalMs` (2 per second), urgent alerts at once. Views are built only for spaces that have walls watching.
 */
import type { Namespace } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData } from '@shared/contract';
import { diffWallViews, type WallSnapshot } from '@shared/wall/delta';
import { buildWallView } from '@shared/projection/view';
import type { WallView } from '@shared/wall/view';
import { Failsafe } from '../failsafe';
import type { BacklogGuard } from './backlog';
import { spaceClock, type Space, type SpaceRegistry } from '../spaces';

type WallNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** The stream state of one space. */
interface Stream {
  seq: number;
  view: WallView | null;
  sentAt: number;
  dirty: boolean;
  rate: RateEstimate;
}
interface RateEstimate {
  wallAt: number;
  clockAt: number;
  value: number;
}

/**
 * Options: coalescing interval, heartbeat (a delta at least this often so walls can tell data age), clock; the failsafe
 * that reports a failed tick (the space stays dirty and is tried again on the next one); told of each delta sent.
 */
export interface BroadcasterOptions {
  readonly intervalMs?: number;
  readonly heartbeatMs?: number;
  readonly now: () => number;
  readonly failsafe?: Failsafe;
  readonly onSent?: (space: string) => void;
  /**
   * Whether this node's figures are known to be current (on a cluster: the shared log answers). While not, heartbeats
   * stop, so walls show their stale-data banner instead of affirming figures the node cannot vouch for.
   */
  readonly fresh?: () => boolean;
  /** Bounds each wall socket's send backlog: checked for every wall on every tick and after each resync. */
  readonly backlog?: BacklogGuard;
}

/** Room name of a space. */
export const roomOf = (space: string): string => `space:${space}`;

/** Builds views and sends snapshots and deltas. */
export class Broadcaster {
  private readonly streams = new Map<string, Stream>();
  private timer: NodeJS.Timeout | null = null;
  private readonly intervalMs: number;
  private readonly heartbeatMs: number;
  private urgentScheduled = new Set<string>();
  private readonly failsafe: Failsafe;

  constructor(
    private readonly ns: WallNamespace,
    private readonly spaces: SpaceRegistry,
    private readonly opts: BroadcasterOptions,
  ) {
    this.intervalMs = opts.intervalMs ?? 500;
    this.heartbeatMs = opts.heartbeatMs ?? 1000;
    this.failsafe = opts.failsafe ?? new Failsafe();
  }

  /** Starts the coalescing tick. */
  start(): void {
    this.timer ??= setInterval(
      this.failsafe.guarded('broadcaster.tick', () => this.tick()),
      this.intervalMs,
    );
  }

  /** Stops the tick. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Marks a space changed. An urgent alert the projection raised goes out at once, before the batch is answered: a
   * delta of the alert ticker alone (building the whole view would hold it back by milliseconds); the figures follow
   * on the next tick.
   */
  changed(space: Space): void {
    const s = this.stream(space.name);
    s.dirty = true;
    if (space.projection.urgentPending && !this.urgentScheduled.has(space.name)) {
      this.urgentScheduled.add(space.name);
      queueMicrotask(
        this.failsafe.guarded('broadcaster.urgent', () => {
          this.urgentScheduled.delete(space.name);
          if (this.watchers(space.name) > 0) this.flushAlerts(space);
        }),
      );
    }
  }

  /**
   * Sends the alert ticker as it is now, and nothing else of the view (the space stays dirty, so the next tick sends
   * the rest). A space with no view sent yet gets its whole view.
   */
  flushAlerts(space: Space): void {
    const s = this.stream(space.name);
    const p = space.projection;
    if (!s.view) return this.flush(space);
    p.urgentPending = false;
    const next: WallView = { ...s.view, alerts: p.alerts.slice(), lastEventAt: p.clock };
    this.send(space, s, next);
  }

  /**
   * The snapshot a joining (or resyncing) wall gets: the last view sent, brought up to date first when events came in
   * since or it is older than the heartbeat — a space nobody watched is not built on ticks, so its last view can be old.
   */
  snapshot(space: Space): WallSnapshot {
    const s = this.stream(space.name);
    if (!s.view || s.dirty || this.opts.now() - s.sentAt >= this.heartbeatMs) this.flush(space);
    return { seq: s.seq, view: s.view! };
  }

  /** Forgets a space's stream (its walls must rejoin). */
  forget(space: string): void {
    this.streams.delete(space);
  }

  private stream(name: string): Stream {
    let s = this.streams.get(name);
    if (!s)
      this.streams.set(
        name,
        (s = { seq: 0, view: null, sentAt: 0, dirty: true, rate: { wallAt: 0, clockAt: 0, value: 1 } }),
      );
    return s;
  }

  private watchers(space: string): number {
    return this.ns.adapter.rooms.get(roomOf(space))?.size ?? 0;
  }

  /** Cuts a wall whose send backlog passed the bound; true when it was cut. */
  checkBacklog(socket: Parameters<BacklogGuard['check']>[0]): boolean {
    return this.opts.backlog?.check(socket) ?? false;
  }

  private tick(): void {
    const now = this.opts.now();
    // A wall that stopped reading is cut before more is queued for it.
    if (this.opts.backlog) for (const socket of this.ns.sockets.values()) this.opts.backlog.check(socket);
    for (const space of this.spaces.all()) {
      if (this.watchers(space.name) === 0) continue;
      const s = this.stream(space.name);
      // One space failing to build does not hold back the others' walls.
      const heartbeat = now - s.sentAt >= this.heartbeatMs && (this.opts.fresh?.() ?? true);
      if (s.dirty || heartbeat) this.failsafe.run('broadcaster.tick', () => this.flush(space));
    }
  }

  /** Builds the space's view now and sends the delta from the last one. */
  flush(space: Space): void {
    const s = this.stream(space.name);
    const next = this.build(space, s);
    space.projection.urgentPending = false;
    s.dirty = false;
    s.sentAt = this.opts.now();
    if (!s.view) {
      s.view = next;
      return;
    }
    this.send(space, s, next);
  }

  /** Sends the delta from the stream's last view to `next`, which becomes its last view. */
  private send(space: Space, s: Stream, next: WallView): void {
    s.seq++;
    const delta = diffWallViews(s.view!, next, s.seq);
    s.view = next;
    // Each node folds the whole log and streams its own walls: a delta never crosses to another node's walls.
    this.ns.local.to(roomOf(space.name)).emit('delta', delta);
    this.opts.onSent?.(space.name);
  }

  private build(space: Space, s: Stream): WallView {
    const wall = this.opts.now();
    const clock = spaceClock(space, wall);
    return buildWallView(space.projection, clock, {
      spaceKind: space.kind,
      clockRate: this.rate(space, s, wall, clock),
      ...(space.drill ? { drill: space.drill } : {}),
    });
  }

  /** How fast the space clock runs against the wall clock, estimated over ≥ 5 s windows (1 for live). */
  private rate(space: Space, s: Stream, wall: number, clock: number): number {
    if (space.kind === 'live') return 1;
    const r = s.rate;
    if (r.wallAt === 0) Object.assign(r, { wallAt: wall, clockAt: clock });
    else if (wall - r.wallAt >= 5000) {
      const v = (clock - r.clockAt) / (wall - r.wallAt);
      Object.assign(r, { wallAt: wall, clockAt: clock, value: Math.max(0, Math.min(10_000, Math.round(v * 10) / 10)) });
    }
    return r.value;
  }
}
