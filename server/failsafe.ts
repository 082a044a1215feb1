/**
 * Callbacks that cannot break their caller. A subscriber told after a commit runs in its own try/catch (pinia's
 * `triggerSubscriptionsSafe`): one that throws or rejects is logged and counted under its name, the others still run,
 * and the caller's answer (a producer's ack) does not depend on it. A timer callback wrapped by `guarded` is logged and
 * counted under the timer's name when it throws, and its next tick runs as usual. Nothing here rethrows.
 */
import type { Counter } from 'prom-client';
import { logger as processLogger, type Logger } from './log';

/** Where failures are counted (`cityops_listener_errors_total{listener}`, `cityops_timer_errors_total{timer}`). */
export interface FailsafeCounters {
  readonly listenerErrors?: Counter<'listener'>;
  readonly timerErrors?: Counter<'timer'>;
}

/** Reports failures of isolated callbacks: a log line (error level) and a count, by name. */
export class Failsafe {
  constructor(
    private readonly log: Logger = processLogger,
    private readonly counters: FailsafeCounters = {},
  ) {}

  /** Tells every subscriber, each in its own try/catch (a returned promise that rejects too); returns how many threw. */
  notify<A extends unknown[]>(subscribers: Iterable<Subscriber<A>>, ...args: A): number {
    let failed = 0;
    // A copy: a subscriber that disposes itself (or another) while being told does not make the next one skipped.
    for (const s of [...subscribers]) {
      try {
        settle(s.fn(...args), (err) => this.listenerFailed(s.name, err));
      } catch (err) {
        failed++;
        this.listenerFailed(s.name, err);
      }
    }
    return failed;
  }

  /** Shows the listener `name` in the metrics at 0 failures before its first one. */
  declareListener(name: string): void {
    this.count(this.counters.listenerErrors, { listener: name }, 0);
  }

  /** `fn` as one event callback (a socket or stream handler): a throw or rejection is reported under `name`. */
  listener<A extends unknown[]>(name: string, fn: (...args: A) => unknown): (...args: A) => void {
    this.declareListener(name);
    return (...args) => {
      try {
        settle(fn(...args), (err) => this.listenerFailed(name, err));
      } catch (err) {
        this.listenerFailed(name, err);
      }
    };
  }

  /** `fn` as a timer callback (setInterval, setTimeout, setImmediate): a throw or rejection is reported under `name`. */
  guarded<A extends unknown[]>(name: string, fn: (...args: A) => unknown): (...args: A) => void {
    this.count(this.counters.timerErrors, { timer: name }, 0);
    return (...args) => {
      this.run(name, () => fn(...args));
    };
  }

  /** Runs one step of a timer now (one space of a tick); false if it threw (then it was reported under `name`). */
  run(name: string, fn: () => unknown): boolean {
    try {
      settle(fn(), (err) => this.timerFailed(name, err));
      return true;
    } catch (err) {
      this.timerFailed(name, err);
      return false;
    }
  }

  private listenerFailed(name: string, err: unknown): void {
    this.report(
      this.counters.listenerErrors,
      { listener: name },
      err,
      `listener ${name} failed; the other listeners ran and the caller was answered`,
    );
  }

  private timerFailed(name: string, err: unknown): void {
    this.report(this.counters.timerErrors, { timer: name }, err, `timer ${name} failed; its next tick runs as usual`);
  }

  private report(
    counter: Counter<string> | undefined,
    labels: Record<string, string>,
    err: unknown,
    msg: string,
  ): void {
    // Reporting must not become the failure it reports.
    try {
      this.count(counter, labels, 1);
      this.log.error({ err, ...labels }, msg);
    } catch {
      /* nothing left to tell */
    }
  }

  private count(counter: Counter<string> | undefined, labels: Record<string, string>, n: number): void {
    // Registering the series at 0 makes `rate()` and alerts see the first failure as a change.
    counter?.inc(labels, n);
  }
}

/** A callback with the name its failures are logged and counted under. */
export interface Subscriber<A extends unknown[]> {
  readonly name: string;
  readonly fn: (...args: A) => unknown;
}

/** A list of named subscribers told through a failsafe; `add` returns the disposer (calling it twice is harmless). */
export class Subscribers<A extends unknown[]> {
  private readonly list = new Set<Subscriber<A>>();
  constructor(private readonly failsafe: Failsafe) {}

  /** Subscribes `fn` under `name`; returns the disposer. */
  add(name: string, fn: (...args: A) => unknown): () => void {
    const s: Subscriber<A> = { name, fn };
    this.failsafe.declareListener(name);
    this.list.add(s);
    return () => {
      this.list.delete(s);
    };
  }

  /** Tells every subscriber, each isolated; returns how many threw. */
  notify(...args: A): number {
    return this.failsafe.notify(this.list, ...args);
  }

  /** Number of subscribers. */
  get size(): number {
    return this.list.size;
  }
}

function settle(result: unknown, onRejected: (err: unknown) => void): void {
  if (typeof result === 'object' && result !== null && typeof (result as PromiseLike<unknown>).then === 'function') {
    (result as PromiseLike<unknown>).then(undefined, onRejected);
  }
}
