/**
 * The spaces a node serves: each has its own projection (rebuilt from its log at start), its own dedupe filter, and
 * a queue that keeps its batches in order.
 */
import { spaceKindOf } from '../shared/contract';
import { applyEvent } from '../shared/projection/apply';
import { createProjection, type ProjectionContext, type SpaceProjection } from '../shared/projection/state';
import type { DrillInfo } from '../shared/wall/view';
import { BloomFilter } from './ingest/bloom';
import type { EventStore, LogChunk } from './store/types';

/** Sees every chunk of a space's rebuild pass over its log, then `done` once the new projection is in place. */
export interface RebuildObserver { chunk(c: LogChunk): void; done(): void }

/** One space on this node. */
export interface Space {
  readonly name: string;
  readonly kind: 'live' | 'demo' | 'drill';
  projection: SpaceProjection;
  seen: BloomFilter;
  /** Tail of the batch queue: batches of a space are folded and committed one after another. */
  tail: Promise<unknown>;
  /** Logged events the reducers refused at the last rebuild (non-zero only if the reducers changed since). */
  rebuildRefused: number;
  /** Set while a drill runs in this space (shown on its walls). */
  drill?: DrillInfo;
}

/** Creates, rebuilds and hands out spaces. */
export class SpaceRegistry {
  private readonly spaces = new Map<string, Space>();
  constructor(private readonly store: EventStore, private readonly ctx: ProjectionContext) {}

  /**
   * Rebuilds every space that has a log. `observe` may hand back an observer for a space, which then sees the same
   * pass (the case read model rebuilds from it, so the log is read and parsed once). Returns the number of events folded.
   */
  async rebuildAll(observe?: (space: string) => RebuildObserver | undefined): Promise<number> {
    let total = 0;
    for (const name of await this.store.spaces()) total += await this.rebuild(this.get(name), observe?.(name));
    return total;
  }

  /** Replaces a space's projection with a fresh fold of its log. */
  async rebuild(space: Space, observer?: RebuildObserver): Promise<number> {
    const projection = createProjection(space.name, this.ctx);
    const seen = new BloomFilter();
    let n = 0;
    let refused = 0;
    for await (const chunk of this.store.readWithSeqs(space.name)) {
      for (const e of chunk.events) {
        seen.add(e.eventId);
        if (applyEvent(projection, e) !== null) refused++;
      }
      n += chunk.events.length;
      observer?.chunk(chunk);
    }
    space.projection = projection;
    space.seen = seen;
    space.rebuildRefused = refused;
    observer?.done();
    return n;
  }

  /** The space of that name, created empty if new. */
  get(name: string): Space {
    let s = this.spaces.get(name);
    if (!s) {
      s = { name, kind: spaceKindOf(name), projection: createProjection(name, this.ctx), seen: new BloomFilter(), tail: Promise.resolve(), rebuildRefused: 0 };
      this.spaces.set(name, s);
    }
    return s;
  }

  /** The space if it exists on this node. */
  find(name: string): Space | undefined {
    return this.spaces.get(name);
  }

  /** Every space on this node. */
  all(): Space[] {
    return [...this.spaces.values()];
  }

  /** Forgets a space and deletes its log. */
  async drop(name: string): Promise<void> {
    this.spaces.delete(name);
    await this.store.deleteSpace(name);
  }

  /** Runs `work` after the space's earlier batches (per-space ordering). */
  serial<T>(space: Space, work: () => Promise<T>): Promise<T> {
    const run = space.tail.then(work, work);
    space.tail = run.catch(() => undefined);
    return run;
  }
}
