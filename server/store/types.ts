/** The event store: one interface for the durable log; SQLite (embedded default) and PostgreSQL sit behind it. */
import type { DomainEvent } from '@shared/events';

/** A quarantined event: valid in shape but not fitting its case's state, kept with its reason. */
export interface QuarantineEntry {
  readonly space: string;
  readonly receivedAt: number;
  readonly eventId: string;
  readonly type: string;
  readonly reason: string;
  readonly event: DomainEvent;
}

/**
 * The store cannot be reached (the database is down or restarting): nothing of the request was kept, and the same
 * request can be sent again after `retryAfterS` seconds. Answered 503 with `Retry-After`.
 */
export class StoreUnavailableError extends Error {
  readonly retryAfterS: number;
  constructor(message: string, options: { cause?: unknown; retryAfterS?: number } = {}) {
    super(message, { cause: options.cause });
    this.name = 'StoreUnavailableError';
    this.retryAfterS = options.retryAfterS ?? 5;
  }
}

/** A chunk of a log: events and their seqs, index for index. */
export interface LogChunk {
  readonly seqs: number[];
  readonly events: DomainEvent[];
}

/**
 * A dedupe filter's bits in shared memory, with its shape (`bloom.ts`): another thread (the store's fill, a builder)
 * can set them while this one goes on.
 */
export interface SharedSeen {
  readonly words: SharedArrayBuffer;
  readonly mask: number;
  readonly hashes: number;
}

/** A write to one space in the log's order: what others logged since the writer's position, and the append. */
export interface SpaceWrite {
  /** Events logged after the writer's position by other writers (other nodes), to fold before judging the batch. */
  readonly tail: LogChunk;
  /**
   * Appends, as the work's last step; resolves with each event's seq. PostgreSQL commits it with the write (a work that
   * throws keeps nothing); SQLite, whose one process is the only writer, commits it at once.
   */
  append(events: readonly DomainEvent[], quarantined: readonly QuarantineEntry[]): Promise<number[]>;
}

/** Durable, append-only, per-space event logs. */
export interface EventStore {
  /**
   * Runs `work` as the only writer of a space (across every node sharing the store), in one transaction: it sees the
   * log's tail after `after` first, and what it appends is durable once the returned promise resolves.
   */
  write<T>(space: string, after: number, work: (w: SpaceWrite) => Promise<T>): Promise<T>;
  /** Appends accepted events (in order) and quarantined ones in one transaction; resolves once durable with each event's log seq. */
  append(space: string, events: readonly DomainEvent[], quarantined: readonly QuarantineEntry[]): Promise<number[]>;
  /** Whether an event id is already in a space's log. */
  hasEventId(space: string, eventId: string): Promise<boolean>;
  /**
   * Whether this very event (its id and its whole body, as stored) is already in a space's quarantine: a producer's
   * retry, which is a duplicate. The same id with another body is another piece of evidence, so the answer is no.
   */
  hasQuarantined(space: string, event: DomainEvent): Promise<boolean>;
  /** Spaces that have a log. */
  spaces(): Promise<string[]>;
  /** Reads a space's log in order, in chunks. */
  read(space: string, chunkSize?: number): AsyncIterable<DomainEvent[]>;
  /** Reads a space's log in order, in chunks, with each event's log seq; only events after seq `after` (default 0: all). */
  readWithSeqs(space: string, chunkSize?: number, after?: number): AsyncIterable<LogChunk>;
  /**
   * Adds every event id of a space's log to the filter `seen` (a file's on a thread of its own; with `here`, or in
   * memory, on the calling thread, a range of ids at a time with the event loop running between); ids logged while it
   * runs are for the caller to add (some it may add too). Resolves with the ids added, or null when the store closed
   * first. Optional: for a store without it, the caller hands the ids it folds to a builder's thread.
   */
  fillSeen?(space: string, seen: SharedSeen, opts?: { readonly here?: boolean }): Promise<number | null>;
  /** The logged events of the given seqs (ascending), skipping seqs not in the log. */
  readSeqs(space: string, seqs: readonly number[]): Promise<{ seq: number; event: DomainEvent }[]>;
  /** Number of events in a space's log. */
  count(space: string): Promise<number>;
  /** Number of events in a space's log after seq `after`. */
  countAfter(space: string, after: number): Promise<number>;
  /**
   * How many events there are after seq `after`, without scanning the log (a start's progress and plan): optional, for
   * a store whose seqs run without gaps. Without it, `countAfter`.
   */
  extentAfter?(space: string, after: number): Promise<number>;
  /** Newest quarantined events first. */
  listQuarantine(
    space: string | null,
    limit: number,
    offset: number,
  ): Promise<{ total: number; items: QuarantineEntry[] }>;
  /** Quarantine size per space. */
  quarantineCounts(): Promise<Record<string, number>>;
  /** Removes a space's log and quarantine. */
  deleteSpace(space: string): Promise<void>;
  close(): Promise<void>;
}
