/** Tells the supervisor pages of a space that its cases changed, at most once per `intervalMs` (server-sent events). */
import { Failsafe, Subscribers } from '../failsafe';

type Listener = () => void;

/** Change notifications per space, coalesced. A stream whose listener throws is reported; the others are still told. */
export class CaseFeed {
  private readonly listeners = new Map<string, Subscribers<[]>>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly enders = new Set<() => void>();
  constructor(
    private readonly failsafe = new Failsafe(),
    private readonly intervalMs = 1_000,
  ) {}

  /** Subscribes to a space; `end` is called if the feed closes first. Returns the disposer. */
  subscribe(space: string, l: Listener, end: () => void): () => void {
    let set = this.listeners.get(space);
    if (!set) this.listeners.set(space, (set = new Subscribers(this.failsafe)));
    const remove = set.add('case-feed.stream', l);
    this.enders.add(end);
    return () => {
      this.enders.delete(end);
      remove();
      if (set.size === 0 && this.listeners.get(space) === set) this.listeners.delete(space);
    };
  }

  /** Marks a space changed; listeners hear of it within `intervalMs`. */
  changed(space: string): void {
    if (this.timers.has(space) || !this.listeners.has(space)) return;
    this.timers.set(
      space,
      setTimeout(
        this.failsafe.guarded('case-feed.notify', () => {
          this.timers.delete(space);
          this.listeners.get(space)?.notify();
        }),
        this.intervalMs,
      ),
    );
  }

  /** Number of open streams (for tests and metrics). */
  size(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.listeners.clear();
    for (const end of [...this.enders]) end();
    this.enders.clear();
  }
}
