/**
 * The spaces a node serves: each has its own projection (restored from its checkpoint and the log's tail at start,
 * or folded from the whole log), its own dedupe filter, its log position, and a queue that keeps its work in order.
 * Deleting a space is one operation, run in the space's order, that tells every read model, stream and feed.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { spaceKindOf } from '@shared/contract';
import { applyEvent } from '@shared/projection/apply';
import { spaceClockAt } from '@shared/projection/clock';
import { sweep } from '@shared/projection/retention';
import { HOUR_MS } from '@shared/time';
import {
  createProjection,
  type CaseArchive,
  type ProjectionContext,
  type SpaceProjection,
} from '@shared/projection/state';
import type { DrillInfo } from '@shared/wall/view';
import { SeenFilter, sharedSeen } from './ingest/bloom';
import { SeenFilterBuilder } from './ingest/seenBuilder';
import { logger, type Logger } from './log';
import type { DomainEvent } from '@shared/events';
import type { EventStore, LogChunk, SharedSeen } from './store/types';

/** One space on this node. */
export interface Space {
  readonly name: string;
  readonly kind: 'live' | 'demo' | 'drill';
  projection: SpaceProjection;
  seen: SeenFilter;
  /** The log seq of the last event folded into the projection. */
  position: number;
  /** Tail of the work queue: batches, monitor passes, checkpoints and deletion of a space run one after another. */
  tail: Promise<unknown>;
  /** Logged events the reducers refused at the last rebuild (non-zero only if the reducers changed since). */
  rebuildRefused: number;
  /** A write failed and the projection may hold what is not durable: fold the log again before the next work. */
  needsRefold?: boolean;
  /** Set while a drill runs in this space (shown on its walls). */
  drill?: DrillInfo;
}

/**
 * The space clock, the one "now" of a space on this node (its walls, the case and duty routes, Open311 read it): the
 * wall clock for `live`, the space's own clock (its newest event time, `spaceClockAt`) for demo and drills, which run
 * at their own speed — the wall clock until a space has its first event, and for a space this node does not hold.
 */
export function spaceClock(space: Space | undefined, wallNow: number): number {
  return (space ? spaceOwnClock(space, wallNow) : null) ?? wallNow;
}

/** A space's clock as `spaceClock` reads it, but null while a demo or drill space has no event yet (nothing to judge). */
export function spaceOwnClock(space: Space, wallNow: number): number | null {
  return spaceClockAt(space.kind, space.projection.clock, wallNow);
}

/** What a space's projection starts from: a checkpoint (projection, dedupe filter, log seq) or nothing. */
export interface Restored {
  readonly projection: SpaceProjection;
  readonly seen: SeenFilter;
  readonly seq: number;
}

/** How a space's start went: from a checkpoint or the whole log, events folded, time taken, and why not from a checkpoint. */
export interface RestoreReport {
  readonly space: string;
  readonly from: 'checkpoint' | 'log';
  readonly seq: number;
  readonly folded: number;
  readonly ms: number;
  readonly reason?: string;
}

/** How far the start is: spaces and events folded of those to fold. */
export interface StartProgress {
  spaces: number;
  spacesDone: number;
  events: number;
  eventsDone: number;
  current: string | null;
}

/** Told when a space is deleted (after its log is gone), in the space's order. */
export type DeleteListener = (space: string) => void;

/** The hooks a start needs: a checkpoint to start from, and who else sees the folded log. */
export interface RestoreHooks {
  checkpoint(space: string): { restored: Restored | null; reason: string };
  /** Sees every chunk folded (the case read model folds the same events from its own position). */
  chunk(space: string, c: LogChunk): void;
  /** Before a space is folded from the whole log (the read model starts over too when its rows are not current). */
  beforeFullFold(space: string, logEvents: number): void;
  afterFold(space: string): void;
  /** The log seq the space's read model rows were written to, or null when it has none (optional). */
  rowsAt?(space: string): number | null;
  /**
   * The space's checkpoint or rows stand at a seq its log does not hold: they are of an earlier space of that name
   * (deleted, and started again by another node while this one was away); they go, and the whole log is folded.
   */
  stale?(space: string, reason: string): void;
}

/**
 * Events folded between two yields to the event loop while starting (a page of the log). A year's start on this machine
 * (12.2 M events, no checkpoint, four runs each): pages of 1,000 took 17.9–27.4 s, of 2,500 18.6–20.8 s, of 5,000
 * 21.6–25.7 s — fewer events alive at each young collection, and fewer than 5,000 at once no faster.
 */
const START_CHUNK = 2_500;
/**
 * Space time between two sweeps of a fold. The retention keeps days for a week, closed cases for a day and resolved
 * items for a month: a fold sweeping less often only holds some of it a few hours longer (a case folds the same held or
 * archived, `projection-equality.test.ts`), and each sweep walks every case and item held.
 */
const FOLD_SWEEP_MS = 6 * HOUR_MS;
/**
 * From this many events, a fold of a whole log has its dedupe filter filled by another thread: after the fold, from the
 * log's index (`EventStore.fillSeen`), or while folding (`SeenFilterBuilder`).
 */
const SEEN_WORKER_MIN = 50_000;

/**
 * Folds a space's log after seq `after` into `p`, in chunks: sweeping as the space's clock moves and yielding to the
 * event loop between chunks (so /healthz, /readyz and walls answer while a long log is folded). With `until` (ms) it
 * stops before the first event dated after it, and sweeps at most to it. Returns the last seq folded, the events folded
 * and those the reducers refused.
 */
export async function foldLog(
  store: EventStore,
  space: string,
  p: SpaceProjection,
  after: number,
  opts: {
    readonly chunk?: number;
    readonly until?: number;
    /** Sees each event folded. */
    readonly each?: (e: DomainEvent) => void;
    /** Sees each whole chunk folded (never called once `until` cut a chunk). */
    readonly onChunk?: (c: LogChunk) => void;
  } = {},
): Promise<{ seq: number; folded: number; refused: number }> {
  const until = opts.until ?? Infinity;
  let seq = after;
  let folded = 0;
  let refused = 0;
  // Space time swept to: a sweep walks every case and item held, so a fold sweeps once the clock has moved on by
  // `FOLD_SWEEP_MS`, and once at the end (the projection is then as a sweep after every chunk leaves it).
  let swept = -Infinity;
  const sweepTo = (force: boolean) => {
    if (p.clock === null) return;
    const to = Math.min(p.clock, until);
    // The end of a fold whose last chunk was just swept to the same instant needs no second sweep.
    if (to === swept || (!force && to - swept < FOLD_SWEEP_MS)) return;
    sweep(p, to);
    swept = to;
  };
  const chunks = store.readWithSeqs(space, opts.chunk ?? START_CHUNK, after);
  for await (const chunk of chunks) {
    let cut = false;
    for (let i = 0; i < chunk.events.length; i++) {
      const e = chunk.events[i]!;
      if (e.ts > until) {
        cut = true;
        break;
      }
      opts.each?.(e);
      if (applyEvent(p, e) !== null) refused++;
      seq = chunk.seqs[i]!;
      folded++;
    }
    if (!cut) opts.onChunk?.(chunk);
    if (cut) break;
    sweepTo(false);
    await yieldToLoop();
  }
  sweepTo(true);
  return { seq, folded, refused };
}

/** Creates, restores and hands out spaces. */
export class SpaceRegistry {
  private readonly spaces = new Map<string, Space>();
  private readonly deleteListeners: DeleteListener[] = [];
  /** The dedupe filters being filled from their logs after a fold, each with its fill. */
  private readonly fills = new Map<SeenFilter, Promise<void>>();
  readonly progress: StartProgress = { spaces: 0, spacesDone: 0, events: 0, eventsDone: 0, current: null };
  constructor(
    private readonly store: EventStore,
    private readonly ctx: ProjectionContext,
    private readonly archiveOf: (space: string) => CaseArchive | null = () => null,
    private readonly log: Logger = logger,
  ) {}

  /** Restores every space that has a log (checkpoint + tail, or the whole log). */
  async restoreAll(hooks: RestoreHooks): Promise<RestoreReport[]> {
    const names = await this.store.spaces();
    this.progress.spaces = names.length;
    const plans = [];
    for (const name of names) {
      let cp = hooks.checkpoint(name);
      const stale = await this.stalePosition(name, cp.restored?.seq ?? null, hooks.rowsAt?.(name) ?? null);
      if (stale) {
        hooks.stale?.(name, stale);
        cp = { restored: null, reason: stale };
      }
      // Only what is folded is counted: the tail after a checkpoint, or the whole log; without a scan where the store can.
      const after = cp.restored?.seq ?? 0;
      const tail = await (this.store.extentAfter?.(name, after) ?? this.store.countAfter(name, after));
      this.progress.events += tail;
      plans.push({ name, cp, tail });
    }
    const out: RestoreReport[] = [];
    for (const plan of plans) {
      this.progress.current = plan.name;
      out.push(await this.restore(this.get(plan.name), plan.cp, plan.tail, hooks));
      this.progress.spacesDone++;
    }
    this.progress.current = null;
    return out;
  }

  /**
   * Why a checkpoint at `checkpointSeq` or rows at `rowsSeq` are not of this space's log (the seq is not in it: the
   * space was deleted and started again), or null. A log's seqs are never reused on PostgreSQL (one sequence for every
   * space), so a seq the log lacks is an earlier space's.
   */
  private async stalePosition(
    name: string,
    checkpointSeq: number | null,
    rowsSeq: number | null,
  ): Promise<string | null> {
    for (const [what, seq] of [
      ['its checkpoint', checkpointSeq],
      ['its case rows', rowsSeq],
    ] as const) {
      if (seq === null || seq <= 0) continue;
      if ((await this.store.readSeqs(name, [seq])).length === 0)
        return `${what} stand at seq ${seq}, which the space's log does not hold: they are of an earlier space of this name (deleted and started again), so they go and the whole log is folded`;
    }
    return null;
  }

  private async restore(
    space: Space,
    cp: { restored: Restored | null; reason: string },
    /** Events to fold: the tail after the checkpoint, or the whole log. */
    toFold: number,
    hooks: RestoreHooks,
  ): Promise<RestoreReport> {
    const t0 = performance.now();
    const restored = cp.restored;
    if (!restored) hooks.beforeFullFold(space.name, toFold);
    const folded = await this.fold(space, restored, toFold, (chunk) => {
      hooks.chunk(space.name, chunk);
      this.progress.eventsDone += chunk.events.length;
    });
    hooks.afterFold(space.name);
    return {
      space: space.name,
      from: restored ? 'checkpoint' : 'log',
      seq: space.position,
      folded,
      ms: Math.round(performance.now() - t0),
      ...(restored ? {} : { reason: cp.reason }),
    };
  }

  /** Replaces a space's projection with a fresh fold of its whole log (after a failed write: it then holds exactly what is durable). */
  async refold(space: Space): Promise<void> {
    await this.fold(space, null, 0);
  }

  /**
   * Folds a space's log after `from` (a checkpoint, or nothing: the whole log) into a projection that then replaces the
   * space's, sweeping as the space's clock moves and yielding to the event loop between chunks. `expected` is how many
   * events there are to fold, if known: a long whole log has its dedupe filter filled by another thread — after the
   * fold, from the log's index, where the store can (the space is ready meanwhile, every new id asked of the log's
   * index until the filter is complete); else while folding. Returns the events folded.
   */
  private async fold(
    space: Space,
    from: Restored | null,
    expected: number,
    onChunk?: (c: LogChunk) => void,
  ): Promise<number> {
    const projection = from?.projection ?? createProjection(space.name, this.ctx);
    const long = from === null && expected >= SEEN_WORKER_MIN;
    // Where the store can (SQLite: a file's on a thread of its own), the filter is filled after the fold: the start does
    // not wait for it. For another store (PostgreSQL), a builder's thread sets the bits of the ids this thread hands it.
    // Sized for the whole log (at least a default stage): new ids then fill it up before a new stage starts.
    const fillAfter = long && this.store.fillSeen !== undefined;
    const builder = long && !fillAfter ? this.seenBuilder(expected) : null;
    let seen = from?.seen ?? new SeenFilter();
    projection.archive = this.archiveOf(space.name);
    projection.replaying = true;
    let result;
    try {
      result = await foldLog(this.store, space.name, projection, from?.seq ?? 0, {
        chunk: START_CHUNK,
        ...(fillAfter
          ? {}
          : { each: builder ? (e: DomainEvent) => builder.add(e.eventId) : (e: DomainEvent) => seen.add(e.eventId) }),
        ...(onChunk ? { onChunk } : {}),
      });
    } catch (err) {
      builder?.abort();
      throw err;
    }
    const { seq, folded, refused } = result;
    const fill = fillAfter ? sharedSeen(expected) : null;
    if (fill) seen = SeenFilter.filling(fill, folded);
    else if (builder) seen = await this.finishSeen(builder, space.name, seq);
    projection.replaying = false;
    space.projection = projection;
    space.seen = seen;
    space.position = seq;
    space.rebuildRefused = refused;
    // Begun once the space holds the filter, in a later microtask: however the store's fill ends, it finds its space.
    if (fill) {
      const filling = seen;
      this.fills.set(
        filling,
        Promise.resolve().then(() => this.fillSeen(space.name, filling, fill)),
      );
    }
    return folded;
  }

  /**
   * Fills a space's new dedupe filter from its log on the store's thread, then completes it. Should the thread fail,
   * the store reads the log's ids on this thread instead; should that fail too, the filter stays filling (every new id
   * asked of the log's index, no checkpoint made) and the failure is logged.
   */
  private async fillSeen(space: string, seen: SeenFilter, fill: SharedSeen): Promise<void> {
    const t0 = performance.now();
    // A space deleted, or folded again, meanwhile no longer has this filter: it is left as it is (a read of a deleted
    // space's log would make its table again).
    const current = () => this.find(space)?.seen === seen;
    try {
      let ids: number | null;
      try {
        ids = await this.store.fillSeen!(space, fill);
      } catch (err) {
        if (!current()) return;
        this.log.warn(
          { err, space },
          `${(err as Error).message}: the log's event ids are read on the main thread, a range at a time`,
        );
        ids = await this.store.fillSeen!(space, fill, { here: true });
      }
      // The store closed first: nothing is completed (the filter goes with the process).
      if (ids === null || !current()) return;
      seen.completeFill();
      const ms = Math.round(performance.now() - t0);
      this.log.info(
        { space, ids, ms },
        `the dedupe filter of ${space} is complete: ${ids} event ids of its log added in ${ms} ms`,
      );
    } catch (err) {
      // A space deleted (its log with it) or folded again meanwhile: nothing to say.
      if (!current()) return;
      this.log.error(
        { err, space },
        `the dedupe filter of ${space} could not be filled from its log: every new event is looked up in the log's index, and no checkpoint is made until a restart`,
      );
    } finally {
      this.fills.delete(seen);
    }
  }

  /**
   * Resolves once the dedupe filters being filled from their logs for the spaces as they are now are complete (or have
   * failed, which is logged); a fill whose space was deleted or folded again since is not waited for.
   */
  async filled(): Promise<void> {
    const wanted = () => [...this.fills].filter(([seen, _]) => this.all().some((s) => s.seen === seen));
    for (let w = wanted(); w.length > 0; w = wanted()) await Promise.all(w.map(([, p]) => p));
  }

  /** A builder of a dedupe filter on a worker thread, or null when no thread could be started. */
  private seenBuilder(ids: number): SeenFilterBuilder | null {
    try {
      return new SeenFilterBuilder(ids);
    } catch (err) {
      this.log.warn({ err }, 'no worker thread for the dedupe filter: it is filled while folding');
      return null;
    }
  }

  /** The filter the worker filled; should it have failed, the log's event ids up to `seq` are read again into one here. */
  private async finishSeen(builder: SeenFilterBuilder, space: string, seq: number): Promise<SeenFilter> {
    try {
      return await builder.finish();
    } catch (err) {
      this.log.warn({ err, space }, "the dedupe filter's worker failed: the log's event ids are read again");
      const seen = new SeenFilter();
      for await (const chunk of this.store.readWithSeqs(space, START_CHUNK)) {
        for (let i = 0; i < chunk.events.length && chunk.seqs[i]! <= seq; i++) seen.add(chunk.events[i]!.eventId);
        if (chunk.seqs[chunk.seqs.length - 1]! >= seq) break;
      }
      return seen;
    }
  }

  /** The space of that name, created empty if new. */
  get(name: string): Space {
    let s = this.spaces.get(name);
    if (!s) {
      const projection = createProjection(name, this.ctx);
      projection.archive = this.archiveOf(name);
      s = {
        name,
        kind: spaceKindOf(name),
        projection,
        seen: new SeenFilter(),
        position: 0,
        tail: Promise.resolve(),
        rebuildRefused: 0,
      };
      this.spaces.set(name, s);
    }
    return s;
  }

  /** The space if it exists on this node. */
  find(name: string): Space | undefined {
    return this.spaces.get(name);
  }

  /** Whether this object is still the registry's space of its name (not deleted since). */
  isCurrent(space: Space): boolean {
    return this.spaces.get(space.name) === space;
  }

  /** Every space on this node. */
  all(): Space[] {
    return [...this.spaces.values()];
  }

  /** Subscribes to deletions; returns the disposer. */
  onDelete(listener: DeleteListener): () => void {
    this.deleteListeners.push(listener);
    return () => {
      this.deleteListeners.splice(this.deleteListeners.indexOf(listener), 1);
    };
  }

  /**
   * Deletes a space: after the work already queued for it, its log and quarantine go, then every listener (read models,
   * wall streams, feeds) forgets it. Work queued after this lands in a fresh, empty space of the same name.
   */
  async delete(name: string): Promise<void> {
    const space = this.get(name);
    await this.serial(space, async () => {
      // Deleted already (a second delete queued behind the first): the log of that name now is a fresh space's.
      if (!this.isCurrent(space)) return;
      // The space stays the current one until its log is gone: work that arrives meanwhile queues behind the delete
      // (and then goes to the fresh space), never into a fresh space whose log the delete would erase.
      await this.store.deleteSpace(name);
      this.spaces.delete(name);
      this.told(name);
    });
  }

  /**
   * Forgets a space whose log another node deleted (its projection, read model rows, streams), in the space's order;
   * what arrives later for that name starts a fresh space.
   */
  async forget(name: string): Promise<void> {
    const space = this.spaces.get(name);
    if (!space) return;
    await this.serial(space, async () => {
      if (this.spaces.get(name) !== space) return;
      this.spaces.delete(name);
      this.told(name);
    });
  }

  private told(name: string): void {
    for (const l of [...this.deleteListeners]) {
      try {
        l(name);
      } catch (err) {
        this.log.error({ err, space: name }, 'a listener failed on the deletion of a space');
      }
    }
  }

  /** Runs `work` after the space's earlier work (per-space ordering). */
  serial<T>(space: Space, work: () => Promise<T>): Promise<T> {
    const run = space.tail.then(work, work);
    space.tail = run.catch(() => undefined);
    return run;
  }
}
