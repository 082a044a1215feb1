/**
 * Review (复盘): the wall of a space as it was at a past instant T. The newest review-history checkpoint that stands for
 * a space clock at or before T (else an empty projection) is folded on through the log in order up to the first event
 * dated after T, sweeping as the clock moves, as a start does; the view is then built at T. Nothing is written: no
 * event, no read-model row, no alert, no checkpoint — the fold is this service's own, in memory.
 *
 * Recent folds are kept (a few per space, for a short while) so that a wall playing a review forward goes on from its
 * previous instant instead of folding again; folds of one space run one after another.
 */
import { sweep } from '@shared/projection/retention';
import {
  createProjection,
  type CaseArchive,
  type ProjectionContext,
  type SpaceProjection,
} from '@shared/projection/state';
import { buildWallView } from '@shared/projection/view';
import { shanghaiIso, type ReviewAnswer } from '@shared/wall/review';
import { decodeCheckpoint } from '../checkpoint';
import type { ReviewCheckpoint } from '../cases/readModel';
import { foldLog, spaceClock, type Space, type SpaceRegistry } from '../spaces';
import type { EventStore } from '../store/types';

/** What the review service reads: the log, the spaces, the history, the archive of closed cases. */
export interface ReviewDeps {
  readonly store: EventStore;
  readonly spaces: SpaceRegistry;
  readonly ctx: ProjectionContext;
  /** The fold version of this process: history checkpoints and kept folds of another are not used. */
  readonly version: string;
  /** The history's checkpoints of a version standing for a space clock ≤ `at`, newest first. */
  readonly history: (space: string, version: string, at: number) => readonly ReviewCheckpoint[];
  /** Where closed cases that left a projection's memory are looked up (read only). */
  readonly archiveOf: (space: string) => CaseArchive | null;
  /** The wall clock (ms): the live space's clock, the latest instant it can be reviewed at. */
  readonly now: () => number;
  /**
   * Kept folds per space (default 2), in all (default 4), and how long an unused one is kept, real ms (default 60,000):
   * each holds a whole projection of its space in memory, so few are kept, and not for long.
   */
  readonly keep?: { readonly perSpace?: number; readonly total?: number; readonly idleMs?: number };
}

/** Why a review was refused: the space has nothing to review, or the instant is outside what can be reviewed. */
export type ReviewRefusal = {
  readonly ok: false;
  readonly code: 'not_found' | 'bad_request';
  readonly message: string;
  readonly field?: string;
};

/** A review's outcome. */
export type ReviewOutcome = { readonly ok: true; readonly answer: ReviewAnswer } | ReviewRefusal;

/** A fold kept for the next review of its space. */
interface KeptFold {
  readonly space: Space;
  readonly version: string;
  /** The instant it was folded to, ms. */
  at: number;
  /** The log seq of the last event folded. */
  seq: number;
  readonly projection: SpaceProjection;
  readonly checkpointSeq: number | null;
  usedAt: number;
}

/** Events read from the log at a time: a review usually stops inside the first chunk or two. */
const CHUNK = 2_000;

/** Folds and answers reviews. */
export class ReviewService {
  private readonly kept: KeptFold[] = [];
  private readonly firsts = new Map<Space, number>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly perSpace: number;
  private readonly total: number;
  private readonly idleMs: number;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly deps: ReviewDeps) {
    this.perSpace = Math.max(1, deps.keep?.perSpace ?? 2);
    this.total = Math.max(1, deps.keep?.total ?? 4);
    this.idleMs = deps.keep?.idleMs ?? 60_000;
    this.timer = setInterval(() => this.expire(), Math.max(1_000, Math.min(this.idleMs, 30_000)));
    this.timer.unref();
  }

  /** The view of `spaceName` at `at` (ms), or why not; reviews of one space run one after another. */
  review(spaceName: string, at: number): Promise<ReviewOutcome> {
    const prev = this.queues.get(spaceName) ?? Promise.resolve();
    const run = prev.then(() => this.reviewNow(spaceName, at));
    const tail = run.catch(() => undefined);
    this.queues.set(spaceName, tail);
    void tail.then(() => {
      if (this.queues.get(spaceName) === tail) this.queues.delete(spaceName);
    });
    return run;
  }

  /** The instants a space can be reviewed at: its log's first event time and its clock, ms; null when it has no log here. */
  async span(spaceName: string): Promise<{ space: Space; first: number; last: number } | null> {
    // `find`, never `get`: a review must not create a space, and a space with nothing folded has no log to read.
    const space = this.deps.spaces.find(spaceName);
    if (!space || space.position === 0) return null;
    let first = this.firsts.get(space);
    if (first === undefined) {
      for await (const chunk of this.deps.store.readWithSeqs(space.name, 1, 0)) {
        first = chunk.events[0]?.ts;
        break;
      }
      if (first === undefined) return null;
      this.firsts.set(space, first);
    }
    return { space, first, last: spaceClock(space, this.deps.now()) };
  }

  private async reviewNow(spaceName: string, at: number): Promise<ReviewOutcome> {
    this.expire();
    const span = await this.span(spaceName);
    if (!span)
      return { ok: false, code: 'not_found', message: `space ${spaceName} has no events on this server to review` };
    const { space, first, last } = span;
    if (at < first)
      return {
        ok: false,
        code: 'bad_request',
        field: 'at',
        message: `${shanghaiIso(at)} is before the log of ${spaceName} begins (${shanghaiIso(first)})`,
      };
    if (at > last)
      return {
        ok: false,
        code: 'bad_request',
        field: 'at',
        message: `${shanghaiIso(at)} is after the clock of ${spaceName} (${shanghaiIso(last)}): only the past can be reviewed`,
      };
    const start = this.startFor(space, at);
    let folded: number;
    try {
      folded = await this.foldTo(start.fold, at);
    } catch (err) {
      // A fold cut short is neither at its old instant nor at the new one: it is not kept.
      this.drop(start.fold);
      if (!this.deps.spaces.isCurrent(space))
        return { ok: false, code: 'not_found', message: `space ${spaceName} was deleted during the review` };
      throw err;
    }
    if (!this.deps.spaces.isCurrent(space)) {
      this.drop(start.fold);
      return { ok: false, code: 'not_found', message: `space ${spaceName} was deleted during the review` };
    }
    start.fold.usedAt = Date.now();
    if (!start.continued) this.keep(start.fold);
    const view = buildWallView(start.fold.projection, at, {
      spaceKind: space.kind,
      // A review stands still: its clock does not run.
      clockRate: 1,
      ...(space.drill ? { drill: space.drill } : {}),
    });
    return {
      ok: true,
      answer: {
        space: space.name,
        at,
        view,
        span: { first, last },
        from: { checkpointSeq: start.fold.checkpointSeq, continued: start.continued, folded },
      },
    };
  }

  /**
   * Where a fold to `at` starts: a kept fold of the space at or before `at`, or the newest usable history checkpoint at
   * or before it, whichever is further along the log; else the empty projection.
   */
  private startFor(space: Space, at: number): { fold: KeptFold; continued: boolean } {
    let best: KeptFold | null = null;
    for (const k of this.kept)
      if (k.space === space && k.version === this.deps.version && k.at <= at && (!best || k.seq > best.seq)) best = k;
    for (const cp of this.deps.history(space.name, this.deps.version, at)) {
      if (best && best.seq >= cp.seq) break;
      try {
        // A review looks nothing up: the dedupe filter is left out.
        const restored = decodeCheckpoint(cp.body, this.deps.ctx, 'skip');
        return { fold: this.fresh(space, restored.projection, restored.seq, cp.seq), continued: false };
      } catch {
        // An unreadable checkpoint: the next older one (or the empty log) serves instead.
      }
    }
    if (best) return { fold: best, continued: true };
    return { fold: this.fresh(space, createProjection(space.name, this.deps.ctx), 0, null), continued: false };
  }

  private fresh(space: Space, projection: SpaceProjection, seq: number, checkpointSeq: number | null): KeptFold {
    projection.archive = this.deps.archiveOf(space.name);
    // Events already in the log were judged when they were accepted, as at a start.
    projection.replaying = true;
    return { space, version: this.deps.version, at: -Infinity, seq, projection, checkpointSeq, usedAt: Date.now() };
  }

  /** Folds the log after the fold's seq up to the first event dated after `at`; returns the events folded. */
  private async foldTo(fold: KeptFold, at: number): Promise<number> {
    const p = fold.projection;
    const { seq, folded } = await foldLog(this.deps.store, fold.space.name, p, fold.seq, { chunk: CHUNK, until: at });
    fold.seq = seq;
    // The wall is read at `at`, after the monitor's sweep at that clock.
    sweep(p, at);
    fold.at = at;
    return folded;
  }

  private keep(fold: KeptFold): void {
    this.kept.push(fold);
    const mine = this.kept.filter((k) => k.space === fold.space);
    if (mine.length > this.perSpace) this.drop(this.leastRecent(mine));
    if (this.kept.length > this.total) this.drop(this.leastRecent(this.kept));
  }

  private leastRecent(list: readonly KeptFold[]): KeptFold {
    return list.reduce((a, b) => (b.usedAt < a.usedAt ? b : a));
  }

  private drop(fold: KeptFold): void {
    const i = this.kept.indexOf(fold);
    if (i >= 0) this.kept.splice(i, 1);
  }

  /** Drops kept folds unused for longer than the idle time (real time, whatever clock the spaces run on), and those of spaces deleted since. */
  private expire(): void {
    const now = Date.now();
    for (const k of [...this.kept])
      if (now - k.usedAt > this.idleMs || !this.deps.spaces.isCurrent(k.space)) this.drop(k);
  }

  /** Kept folds (of every space). */
  get keptCount(): number {
    return this.kept.length;
  }

  /** Forgets a deleted space: its kept folds and its first event time. */
  forget(spaceName: string): void {
    for (const k of [...this.kept]) if (k.space.name === spaceName) this.drop(k);
    for (const s of [...this.firsts.keys()]) if (s.name === spaceName) this.firsts.delete(s);
  }

  /** Stops the expiry timer and drops every kept fold. */
  close(): void {
    clearInterval(this.timer);
    this.kept.splice(0);
  }
}
