/**
 * The monitor: for every space, watched or not, on the space's clock, it writes what time reveals (clocks turning at
 * risk or overdue, empty posts, silent links, and their recoveries; duty items opened and escalated) through ingest, lets what no figure needs leave
 * memory, and checkpoints the projection every so often. Each pass runs in the space's order, after the batches before
 * it; a pass that fails is logged and the next one tries again.
 */
import { dutyItemEvents } from '@shared/duty/monitor';
import { MONITOR_BATCH_MAX, timedAlertEvents, type SilentWall } from '@shared/projection/monitor';
import { sweep } from '@shared/projection/retention';
import type { IngestService } from './ingest/service';
import { StoreUnavailableError } from './store/types';
import { Failsafe } from './failsafe';
import { spaceOwnClock, type Space, type SpaceRegistry } from './spaces';

/** Options of the monitor. */
export interface MonitorOptions {
  readonly spaces: SpaceRegistry;
  readonly ingest: IngestService;
  readonly now: () => number;
  /** Writes a space's checkpoint (in the space's order). */
  readonly checkpoint: (space: Space) => void;
  /** Wall-clock ms between passes (default 1,000). */
  readonly intervalMs?: number;
  /** A checkpoint at least this often while a space changes, ms (default 60,000)… */
  readonly checkpointMs?: number;
  /** …or after this many events (default 250,000). */
  readonly checkpointEvents?: number;
  /** The space's wall screens that stopped reporting, at the space's clock `at` (ms); none when omitted. */
  readonly silentWalls?: (space: string, at: number) => SilentWall[];
  /** Where a failed pass is logged and counted (`cityops_timer_errors_total{timer="monitor"}`); the next pass retries. */
  readonly failsafe?: Failsafe;
}

/** Runs the passes. */
export class SpaceMonitor {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly checkpointed = new Map<string, { seq: number; at: number }>();
  private readonly writtenBySpace = new Map<string, number>();
  private readonly failsafe: Failsafe;
  private checkpoints = 0;

  constructor(private readonly opts: MonitorOptions) {
    this.failsafe = opts.failsafe ?? new Failsafe();
  }

  /** Starts the passes (a pass still running when the next is due is not doubled). */
  start(): void {
    this.timer ??= setInterval(
      this.failsafe.guarded('monitor', () => {
        this.running ??= this.pass().finally(() => {
          this.running = null;
        });
      }),
      this.opts.intervalMs ?? 1_000,
    );
    this.timer.unref();
  }

  /** Stops the passes and waits for one in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass over every space. */
  async pass(): Promise<void> {
    for (const space of this.opts.spaces.all()) {
      // One space's failure is reported and does not keep the others from their pass. The store away (a cluster's
      // database restarting) is not a bug: the pass is simply made again once it answers.
      const work = this.passSpace(space).catch((err: unknown) => {
        if (!(err instanceof StoreUnavailableError)) throw err;
      });
      this.failsafe.run('monitor', () => work);
      await work.catch(() => undefined);
    }
  }

  /** One pass over one space: alerts, then the sweep, then a checkpoint when one is due. */
  async passSpace(space: Space): Promise<void> {
    const { spaces, ingest, now } = this.opts;
    const r = await ingest.ingestComputed(
      space.name,
      (s) => {
        // On the space's clock, once it has one (a demo or drill space without events has no time yet).
        const at = spaceOwnClock(s, now());
        if (at === null) return [];
        const alerts = timedAlertEvents(s.projection, at, undefined, this.opts.silentWalls?.(s.name, at) ?? []);
        // Written in the order they happened (a stable sort: one instant keeps the order it was computed in). What time
        // reveals is dated when it began, often before this pass's clock; a review cuts the log at its first event dated
        // after the instant, so an escalation due at 03:16 must not follow a clear dated 03:17 from the same pass.
        return [...alerts, ...dutyItemEvents(s.projection, at, MONITOR_BATCH_MAX - alerts.length)].sort(
          (a, b) => a.ts - b.ts,
        );
      },
      // For this space only: one deleted since the pass began is left alone (never made again, empty).
      space,
    );
    const current = spaces.find(space.name);
    if (current !== space) return;
    this.writtenBySpace.set(space.name, (this.writtenBySpace.get(space.name) ?? 0) + r.accepted);
    await spaces.serial(current, async () => {
      const at = spaceOwnClock(current, now());
      if (at !== null) sweep(current.projection, at);
      if (this.due(current)) this.checkpointNow(current);
    });
  }

  private due(space: Space): boolean {
    const last = this.checkpointed.get(space.name);
    // A filter still being filled from the log has no checkpoint to give: the first pass after it is complete makes one.
    // Nor has a projection that may hold a batch the log refused (a failed write whose refold failed too): it waits
    // for the refold before the next write.
    if (space.position === 0 || last?.seq === space.position || space.seen.isFilling || space.needsRefold) return false;
    if (!last) return true;
    return (
      this.opts.now() - last.at >= (this.opts.checkpointMs ?? 60_000) ||
      space.position - last.seq >= (this.opts.checkpointEvents ?? 250_000)
    );
  }

  private checkpointNow(space: Space): void {
    this.opts.checkpoint(space);
    this.checkpointed.set(space.name, { seq: space.position, at: this.opts.now() });
    this.checkpoints++;
  }

  /** Checkpoints written since start (every space). */
  get checkpointsWritten(): number {
    return this.checkpoints;
  }

  /** Checkpoints every space that changed since its last checkpoint (a graceful stop), each in its order. */
  async checkpointAll(): Promise<void> {
    for (const space of this.opts.spaces.all()) {
      await this.opts.spaces.serial(space, async () => {
        if (
          this.opts.spaces.isCurrent(space) &&
          space.position > 0 &&
          // A stop while the dedupe filter is still filled from the log leaves the checkpoint there was (if any), as
          // does one while the projection may hold a batch the log refused.
          !space.seen.isFilling &&
          !space.needsRefold &&
          this.checkpointed.get(space.name)?.seq !== space.position
        )
          this.checkpointNow(space);
      });
    }
  }

  /** Alert events written into a space since start. */
  writtenIn(space: string): number {
    return this.writtenBySpace.get(space) ?? 0;
  }

  /** Forgets a deleted space. */
  forget(space: string): void {
    this.checkpointed.delete(space);
    this.writtenBySpace.delete(space);
  }

  /**
   * A space's last checkpoint was not written after all: one is made when the next is due, even with nothing folded
   * since.
   */
  checkpointLost(space: string): void {
    const last = this.checkpointed.get(space);
    // Due again as if nothing had been written since the one before, on the same clock (a thread that stops at every
    // write does not get a checkpoint made at every pass).
    if (last) this.checkpointed.set(space, { seq: -1, at: last.at });
  }

  /** Records that a space was restored from (or is at) a checkpoint at its position. */
  restoredAt(space: Space): void {
    this.checkpointed.set(space.name, { seq: space.position, at: this.opts.now() });
  }
}
