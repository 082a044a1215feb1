/**
 * Replays an event stream into a space over the public ingest API (Socket.IO `/ingest`, batches with acks), keeping
 * the events' own spacing scaled by `speed` (or as fast as acknowledged at `max`). A few batches are kept in flight at
 * max speed; acks come back in order, so "acknowledged" is always a prefix of the stream. `stop()` stops reading,
 * waits for the batches in flight and closes: everything acknowledged stays. Pause holds the replay clock.
 */
import { io, type Socket } from 'socket.io-client';
import {
  refusalCodeOf,
  type IngestClientToServer,
  type IngestResult,
  type IngestServerToClient,
  type Result,
} from '@shared/contract';
import type { DomainEventInput } from '@shared/events';

/** How to replay. */
export interface ReplayOptions {
  readonly server: string;
  readonly token: string;
  readonly space: string;
  /** Event-time seconds per wall second; `Infinity` = as fast as acknowledged. */
  readonly speed: number;
  readonly events: AsyncIterable<DomainEventInput> | Iterable<DomainEventInput>;
  /** Events per batch, 1–10,000 (default 2,000). */
  readonly batchSize?: number;
  /** Batches in flight at max speed (default 4). */
  readonly inFlight?: number;
  /** Called after each acknowledged batch. */
  readonly onProgress?: (p: ReplayProgress) => void;
}

/** Where a replay is. */
export interface ReplayProgress {
  /** Events acknowledged (accepted, duplicate, rejected or quarantined). */
  readonly sent: number;
  readonly accepted: number;
  readonly duplicate: number;
  readonly rejected: number;
  readonly quarantined: number;
  /** Event time of the last acknowledged event. */
  readonly simTime: number | null;
  readonly paused: boolean;
  /** The reasons of the first `PROBLEMS_LISTED` rejected or quarantined events (the rest are counted in those figures). */
  readonly problems: readonly string[];
}

/** Rejected or quarantined events whose reasons a replay lists; the others are counted. */
export const PROBLEMS_LISTED = 20;

/** A running replay. */
export interface Replay {
  /** Resolves with the final figures once the stream is sent (or stopped); rejects if the server refuses a batch. */
  readonly done: Promise<ReplayProgress>;
  stop(): Promise<ReplayProgress>;
  /** Pauses or resumes; returns whether it is now paused. */
  togglePause(): boolean;
}

type IngestSocket = Socket<IngestServerToClient, IngestClientToServer>;
const ACK_TIMEOUT_MS = 120_000;
const TICK_MS = 100;

/** Starts a replay; see `ReplayOptions`. */
export function startReplay(o: ReplayOptions): Replay {
  if (!(o.speed > 0)) throw new Error(`speed must be a positive number or Infinity, got ${o.speed}`);
  const batchSize = Math.min(10_000, Math.max(1, Math.floor(o.batchSize ?? 2_000)));
  const maxInFlight = o.speed === Number.POSITIVE_INFINITY ? Math.max(1, o.inFlight ?? 4) : 1;
  const socket: IngestSocket = io(`${o.server.replace(/\/+$/, '')}/ingest`, {
    auth: { token: o.token },
    transports: ['websocket'],
    forceNew: true,
  });
  let failure: Error | null = null;
  let failWake: () => void = () => undefined;
  const failed = new Promise<void>((res) => {
    failWake = res;
  });
  const fail = (e: Error) => {
    failure ??= e;
    failWake();
  };
  socket.on('connect_error', (err) => {
    if (!socket.active)
      fail(
        new Error(`cannot connect to ${o.server}/ingest: ${refusalCodeOf(err) ?? 'transport error'} (${err.message})`),
      );
  });

  const state = {
    sent: 0,
    accepted: 0,
    duplicate: 0,
    rejected: 0,
    quarantined: 0,
    simTime: null as number | null,
    problems: [] as string[],
  };
  let stopping = false;
  let pausedAt: number | null = null;
  let pausedMs = 0;
  const snapshot = (): ReplayProgress => ({ ...state, paused: pausedAt !== null, problems: state.problems.slice() });

  const inFlight: Promise<void>[] = [];
  const send = (batch: DomainEventInput[]): Promise<void> => {
    const last = batch[batch.length - 1]?.ts ?? null;
    return sendBatch(socket, o.space, batch).then(
      (r) => {
        state.sent += batch.length;
        state.accepted += r.accepted;
        state.duplicate += r.duplicate;
        state.rejected += r.rejectedCount;
        state.quarantined += r.quarantined.length;
        for (const x of r.rejected)
          if (state.problems.length < PROBLEMS_LISTED)
            state.problems.push(
              `rejected ${x.eventId ?? `#${x.index}`}: ${x.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
            );
        for (const x of r.quarantined)
          if (state.problems.length < PROBLEMS_LISTED) state.problems.push(`quarantined ${x.eventId}: ${x.reason}`);
        if (last !== null) state.simTime = last;
        o.onProgress?.(snapshot());
      },
      (e: unknown) => fail(e instanceof Error ? e : new Error(String(e))),
    );
  };
  const push = async (batch: DomainEventInput[]): Promise<void> => {
    inFlight.push(send(batch));
    while (inFlight.length >= maxInFlight) await Promise.race([inFlight.shift(), failed]);
    if (failure) throw failure;
  };
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

  const run = async (): Promise<ReplayProgress> => {
    let t0: number | null = null;
    let wall0 = 0;
    let batch: DomainEventInput[] = [];
    let lastFlush = Date.now();
    /** Wall time at which event time `ts` is due. */
    const dueAt = (ts: number) => wall0 + pausedMs + (ts - (t0 ?? ts)) / o.speed;
    for await (const e of o.events) {
      if (stopping || failure) break;
      if (t0 === null) {
        t0 = e.ts;
        wall0 = Date.now();
      }
      if (o.speed !== Number.POSITIVE_INFINITY) {
        // Wait until the event is due; send what is pending at least every TICK_MS meanwhile.
        for (;;) {
          if (stopping || failure) break;
          const now = Date.now();
          if (pausedAt === null && now >= dueAt(e.ts)) break;
          if (batch.length > 0 && now - lastFlush >= TICK_MS) {
            await push(batch);
            batch = [];
            lastFlush = Date.now();
            continue;
          }
          await sleep(pausedAt !== null ? TICK_MS : Math.max(1, Math.min(TICK_MS, dueAt(e.ts) - now)));
        }
        if (stopping || failure) break;
      }
      batch.push(e);
      if (batch.length >= batchSize || (o.speed !== Number.POSITIVE_INFINITY && Date.now() - lastFlush >= TICK_MS)) {
        await push(batch);
        batch = [];
        lastFlush = Date.now();
      }
    }
    if (batch.length > 0 && !failure && !stopping) await push(batch);
    await Promise.all(inFlight);
    if (failure) throw failure;
    return snapshot();
  };

  const done = run().finally(() => {
    socket.close();
  });
  done.catch(() => undefined);
  return {
    done,
    stop: async () => {
      stopping = true;
      try {
        return await done;
      } catch {
        return snapshot();
      }
    },
    togglePause: () => {
      if (pausedAt === null) pausedAt = Date.now();
      else {
        pausedMs += Date.now() - pausedAt;
        pausedAt = null;
      }
      return pausedAt !== null;
    },
  };
}

/** Sends one batch and waits for its ack; retries a lost ack (the server dedupes by event id) and while not ready. */
export async function sendBatch(
  socket: IngestSocket,
  space: string,
  events: DomainEventInput[],
): Promise<IngestResult> {
  for (let attempt = 1; ; attempt++) {
    let res: Result<IngestResult>;
    try {
      res = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('events:batch', { space, events });
    } catch {
      if (attempt < 5) continue;
      throw new Error(`no acknowledgement for a batch of ${events.length} events after 5 attempts`);
    }
    if (res.ok) return res.data;
    if (res.error.code === 'not_ready' && attempt < 100) {
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    throw new Error(`the server refused a batch: ${res.error.code}: ${res.error.message}`);
  }
}
