/**
 * Feeds a space from the district simulator over the public ingest API (Socket.IO `/ingest`, batches with acks):
 * first a backlog from midnight `backlogDays` days ago up to now, as fast as the server acknowledges it; then live,
 * simulated time running at `speed` × wall time. Any rejected or quarantined event stops the producer with the reason,
 * but for the duty desk's acts: the people at the desk may have done the same first (acknowledged the item, signed the
 * handover), so the server's refusal of one is counted and the feed goes on.
 */
import { io, type Socket } from 'socket.io-client';
import type { CityopsConfig } from '@shared/config';
import {
  refusalCodeOf,
  type IngestClientToServer,
  type IngestResult,
  type IngestServerToClient,
  type Result,
} from '@shared/contract';
import type { DomainEventInput } from '@shared/events';
import { DAY_MS, HOUR_MS, startOfShanghaiDay, type EpochMs } from '@shared/time';
import { DistrictSim } from './day';
import { HANDOVERS_ONLY, WHOLE_DESK, type DeskPlay } from './desk';
import type { PlacedEffect } from '@shared/scenario';

/** How to run a producer. */
export interface ProducerOptions {
  /**
   * Base URL of the server, e.g. `http://127.0.0.1:8080`; on a cluster, several nodes' URLs: the producer sends to one
   * and moves to the next when it is lost, resending the batch in flight (the log dedupes by event id).
   */
  readonly server: string | readonly string[];
  /** A producer (or admin) token allowed on `space`. */
  readonly token: string;
  readonly space: string;
  readonly seed: number | string;
  /** Simulated seconds per wall second in the live phase; `Infinity` runs as fast as the server acks. */
  readonly speed: number;
  /** Whole days of backlog before today (0: from today's midnight, Asia/Shanghai). */
  readonly backlogDays: number;
  /** "Now" for the start of the live phase, ms (default: the wall clock). */
  readonly now?: EpochMs;
  /** Events per batch, 1–10,000 (default 5,000). */
  readonly batchSize?: number;
  readonly config?: CityopsConfig;
  /** Called after each acknowledged batch. */
  readonly onProgress?: (p: ProducerProgress) => void;
  /** Wall time between live sends, ms (default 250). */
  readonly intervalMs?: number;
  /** A scenario's effects placed in time. */
  readonly effects?: readonly PlacedEffect[];
  /** Where the simulation starts, ms (default: midnight `backlogDays` days before `now`). */
  readonly simStart?: EpochMs;
  /** Simulated time at which the live phase ends and the producer stops by itself, ms (default: never). */
  readonly until?: EpochMs;
  /**
   * What the simulated duty desk does (default: in the `demo` space the whole desk — handovers, and a duty officer who
   * answers the items; elsewhere the handovers only, the items being the people's).
   */
  readonly desk?: DeskPlay;
}

/** Where a producer is. */
export interface ProducerProgress {
  readonly phase: 'backlog' | 'live';
  readonly simTime: EpochMs;
  readonly events: number;
  readonly batches: number;
  /** The desk's acts the server refused because the people at the desk had done it first. */
  readonly deskRefused: number;
}

/** A running producer. */
export interface Producer {
  /** Settles when the producer has stopped: resolves after `stop()`, rejects on an error. */
  readonly done: Promise<void>;
  /** Resolves once the whole backlog is acknowledged. */
  readonly backlogDone: Promise<void>;
  /** Stops after the batch in flight is acknowledged and closes the socket; resolves then (errors go to `done`). */
  stop(): Promise<void>;
  /** Pauses the live phase (simulated time stops) or resumes it; returns whether it is now paused. */
  togglePause(): boolean;
}

const ACK_TIMEOUT_MS = 60_000;
const MAX_ATTEMPTS = 5;
/** Simulated time per step at speed Infinity. */
const FAST_STEP_MS = HOUR_MS;

type IngestSocket = Socket<IngestServerToClient, IngestClientToServer>;

/** Starts a producer; see `ProducerOptions`. */
export function startProducer(o: ProducerOptions): Producer {
  const batchSize = Math.min(10_000, Math.max(1, Math.floor(o.batchSize ?? 5_000)));
  if (!(o.speed > 0)) throw new Error(`speed must be a positive number or Infinity, got ${o.speed}`);
  if (!Number.isInteger(o.backlogDays) || o.backlogDays < 0)
    throw new Error(`backlogDays must be a whole number ≥ 0, got ${o.backlogDays}`);
  const now = o.now ?? Date.now();
  const start = o.simStart ?? startOfShanghaiDay(now) - o.backlogDays * DAY_MS;
  const until = o.until ?? Number.POSITIVE_INFINITY;
  const sim = new DistrictSim({
    seed: o.seed,
    start,
    ...(o.config ? { config: o.config } : {}),
    ...(o.effects ? { effects: o.effects } : {}),
    desk: o.desk ?? (o.space === 'demo' ? WHOLE_DESK : HANDOVERS_ONLY),
  });
  const link = new ServerLink(typeof o.server === 'string' ? [o.server] : o.server, o.token);

  let stopping = false;
  let pausedAt: number | null = null;
  let pausedMs = 0;
  let wake: (() => void) | null = null;
  let fatal: ((err: Error) => void) | null = null;
  const failed = new Promise<never>((_, reject) => {
    fatal = reject;
  });
  failed.catch(() => undefined);
  link.onRefused = (err) => fatal?.(err);

  let events = 0;
  let batches = 0;
  let deskRefused = 0;
  let backlogSettled = false;
  let resolveBacklog: () => void = () => undefined;
  let rejectBacklog: (e: Error) => void = () => undefined;
  const backlogDone = new Promise<void>((res, rej) => {
    resolveBacklog = res;
    rejectBacklog = rej;
  });
  backlogDone.catch(() => undefined);

  const send = async (batch: DomainEventInput[], phase: ProducerProgress['phase']): Promise<void> => {
    for (let i = 0; i < batch.length; i += batchSize) {
      const chunk = batch.slice(i, i + batchSize);
      const r = await Promise.race([sendOne(link, o.space, chunk, (id) => sim.isDeskEvent(id)), failed]);
      deskRefused += r.quarantined.length;
      events += chunk.length;
      batches++;
      o.onProgress?.({ phase, simTime: sim.time, events, batches, deskRefused });
    }
  };

  const sleep = (ms: number) =>
    new Promise<void>((res) => {
      const timer = setTimeout(() => {
        wake = null;
        res();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        res();
      };
    });

  const run = async (): Promise<void> => {
    // Backlog: an hour of simulated time at a time, sent in full batches.
    let pending: DomainEventInput[] = [];
    for (let t = start; t < now && !stopping;) {
      t = Math.min(now, t + HOUR_MS);
      pending.push(...sim.advanceTo(t));
      if (pending.length >= batchSize) {
        const full = pending.length - (pending.length % batchSize);
        await send(pending.slice(0, full), 'backlog');
        pending = pending.slice(full);
      }
    }
    if (pending.length > 0) await send(pending, 'backlog');
    if (stopping) throw new StoppedEarly();
    backlogSettled = true;
    resolveBacklog();
    // Live: simulated time runs at `speed` × wall time from `now`.
    const wallStart = Date.now();
    const interval = o.intervalMs ?? 250;
    while (!stopping && sim.time < until) {
      if (pausedAt !== null) {
        await sleep(interval);
        continue;
      }
      const target = Math.min(
        until,
        o.speed === Number.POSITIVE_INFINITY
          ? sim.time + FAST_STEP_MS
          : Math.floor(now + (Date.now() - wallStart - pausedMs) * o.speed),
      );
      if (target > sim.time) {
        const batch = sim.advanceTo(target);
        const last = batch[batch.length - 1];
        // Always advance the space clock to the simulated now, even when nothing else happened.
        if (!last || last.ts < target)
          batch.push({ type: 'clock.tick', eventId: `${String(o.seed)}-pt-${target.toString(36)}`, ts: target });
        await send(batch, 'live');
      }
      if (o.speed !== Number.POSITIVE_INFINITY && !stopping && sim.time < until) await sleep(interval);
    }
  };

  const done = run()
    .then(
      () => undefined,
      (err: unknown) => {
        if (err instanceof StoppedEarly) {
          rejectBacklog(new Error('the producer was stopped before the backlog was sent'));
          return;
        }
        const e = err instanceof Error ? err : new Error(String(err));
        if (!backlogSettled) rejectBacklog(e);
        throw e;
      },
    )
    .finally(() => {
      link.close();
    });
  done.catch(() => undefined);

  return {
    done,
    backlogDone,
    togglePause: () => {
      if (pausedAt === null) pausedAt = Date.now();
      else {
        pausedMs += Date.now() - pausedAt;
        pausedAt = null;
        wake?.();
      }
      return pausedAt !== null;
    },
    stop: async () => {
      stopping = true;
      wake?.();
      await done.catch(() => undefined);
    },
  };
}

class StoppedEarly extends Error {}

/** Longest a batch waits for any server to take it (all nodes down, or the log's database away), ms. */
const NO_SERVER_MS = 120_000;

/**
 * The producer's connection: one server at a time, the next one when it is lost or cannot be reached (the list is
 * tried round and round with a short pause). A refusal by a server's middleware (a bad token) is final.
 */
class ServerLink {
  private socket: IngestSocket | null = null;
  private index = 0;
  private closed = false;
  private waiters: (() => void)[] = [];
  /** Lost-connection listeners of the socket in use (a batch in flight resends on the next server). */
  private lost: (() => void)[] = [];
  onRefused: (err: Error) => void = () => undefined;
  constructor(
    private readonly servers: readonly string[],
    private readonly token: string,
  ) {
    if (servers.length === 0) throw new Error('no server to send to');
    this.open();
  }

  private open(): void {
    if (this.closed) return;
    const url = this.servers[this.index % this.servers.length]!.replace(/\/+$/, '');
    const socket: IngestSocket = io(`${url}/ingest`, {
      auth: { token: this.token },
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: 5_000,
    });
    this.socket = socket;
    socket.on('connect', () => {
      const w = this.waiters.splice(0);
      for (const f of w) f();
    });
    const next = () => {
      if (this.socket !== socket || this.closed) return;
      this.socket = null;
      socket.close();
      for (const f of this.lost.splice(0)) f();
      this.index++;
      setTimeout(() => this.open(), this.servers.length > 1 ? 100 : 500).unref?.();
    };
    socket.on('disconnect', next);
    socket.on('connect_error', (err) => {
      const code = refusalCodeOf(err);
      if (code === 'unauthorized' || code === 'forbidden' || code === 'bad_request') {
        this.onRefused(new Error(`cannot connect to ${url}/ingest: ${code} (${err.message})`));
        return;
      }
      next();
    });
  }

  /** The connected socket, once there is one. */
  async connected(deadline: number): Promise<IngestSocket> {
    for (;;) {
      if (this.socket?.connected) return this.socket;
      if (Date.now() > deadline)
        throw new Error(`no server of ${this.servers.join(', ')} took the batch for ${NO_SERVER_MS / 1000} s`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 500);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Resolves when the socket in use is lost. */
  whenLost(): { promise: Promise<'lost'>; cancel: () => void } {
    let f: () => void = () => undefined;
    const promise = new Promise<'lost'>((resolve) => {
      f = () => resolve('lost');
      this.lost.push(f);
    });
    return {
      promise,
      cancel: () => {
        const i = this.lost.indexOf(f);
        if (i >= 0) this.lost.splice(i, 1);
      },
    };
  }

  close(): void {
    this.closed = true;
    this.socket?.close();
    this.socket = null;
  }
}

/**
 * Sends one batch and waits for its ack. Resends on a lost ack or a lost server (to the next server; the log dedupes by
 * event id), while the server is not ready, and while the log's database is away (`unavailable`, after its wait). A
 * quarantined event fails the batch unless `mayBeRefused` says another writer may have been first (the desk's acts).
 */
async function sendOne(
  link: ServerLink,
  space: string,
  events: DomainEventInput[],
  mayBeRefused: (eventId: string) => boolean = () => false,
): Promise<IngestResult> {
  const deadline = Date.now() + NO_SERVER_MS;
  for (let attempt = 1; ; attempt++) {
    const socket = await link.connected(deadline);
    const lost = link.whenLost();
    let res: Result<IngestResult> | 'lost';
    try {
      res = await Promise.race([
        socket.timeout(ACK_TIMEOUT_MS).emitWithAck('events:batch', { space, events }),
        lost.promise,
      ]);
    } catch {
      if (attempt < MAX_ATTEMPTS) continue;
      throw new Error(`no acknowledgement for a batch of ${events.length} events after ${MAX_ATTEMPTS} attempts`);
    } finally {
      lost.cancel();
    }
    if (res === 'lost') continue;
    if (!res.ok) {
      const waitMs = res.error.code === 'not_ready' ? 500 : res.error.code === 'unavailable' ? 1_000 : 0;
      if (waitMs > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, waitMs));
        continue;
      }
      throw new Error(`the server refused a batch: ${res.error.code}: ${res.error.message}`);
    }
    const rejected = res.data.rejected[0];
    if (rejected) {
      const why = rejected.errors.map((e) => `${e.path}: ${e.message}`).join('; ');
      throw new Error(
        `${res.data.rejected.length} event(s) rejected, first ${rejected.eventId ?? `#${rejected.index}`}: ${why}`,
      );
    }
    const bad = res.data.quarantined.filter((x) => !mayBeRefused(x.eventId));
    const q = bad[0];
    if (q) throw new Error(`${bad.length} event(s) quarantined, first ${q.eventId}: ${q.reason}`);
    return res.data;
  }
}
