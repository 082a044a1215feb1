/** A binary min-heap of timed items, ordered by time and then by insertion (a stable, deterministic tie-break). */

interface Entry<T> {
  readonly ts: number;
  readonly seq: number;
  readonly item: T;
}

/** A min-heap keyed by `ts`; items at the same time come out in the order they were pushed. */
export class TimedHeap<T> {
  private readonly a: Entry<T>[] = [];
  private seq = 0;

  /** Items held. */
  get size(): number {
    return this.a.length;
  }

  /** The earliest time held, or Infinity when empty. */
  peekTs(): number {
    return this.a[0]?.ts ?? Number.POSITIVE_INFINITY;
  }

  /** Adds an item due at `ts`. */
  push(ts: number, item: T): void {
    const e: Entry<T> = { ts, seq: this.seq++, item };
    const a = this.a;
    let i = a.length;
    a.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p] as Entry<T>;
      if (!less(e, parent)) break;
      a[i] = parent;
      i = p;
    }
    a[i] = e;
  }

  /** Removes and returns the earliest item with its time. */
  pop(): { ts: number; item: T } | undefined {
    const a = this.a;
    const top = a[0];
    if (!top) return undefined;
    const last = a.pop() as Entry<T>;
    if (a.length > 0) {
      let i = 0;
      const n = a.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const left = a[l] as Entry<T>;
        const right = a[r];
        const c = right && less(right, left) ? r : l;
        const child = (c === r ? right : left) as Entry<T>;
        if (!less(child, last)) break;
        a[i] = child;
        i = c;
      }
      a[i] = last;
    }
    return { ts: top.ts, item: top.item };
  }
}

function less<T>(x: Entry<T>, y: Entry<T>): boolean {
  return x.ts < y.ts || (x.ts === y.ts && x.seq < y.seq);
}

/** What the parts of a simulation share: the current time, a scheduler of actions, and the event sink. */
export interface Kernel<E> {
  /** The time of the action being run, ms. */
  readonly now: number;
  /** Runs `action` at `ts` (not before the current time). */
  at(ts: number, action: (ts: number) => void): void;
  /** Emits an event at the current time. */
  emit(event: E): void;
}
