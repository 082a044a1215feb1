/** The event store: one interface for the durable log; SQLite (embedded default) and PostgreSQL sit behind it. */
import type { DomainEvent } from '../../shared/events';

/** A quarantined event: valid in shape but not fitting its case's state, kept with its reason. */
export interface QuarantineEntry {
  readonly space: string;
  readonly receivedAt: number;
  readonly eventId: string;
  readonly type: string;
  readonly reason: string;
  readonly event: DomainEvent;
}

/** A chunk of a log: events and their seqs, index for index. */
export interface LogChunk { readonly seqs: number[]; readonly events: DomainEvent[] }

/** Durable, append-only, per-space event logs. */
export interface EventStore {
  /** Appends accepted events (in order) and quarantined ones in one transaction; resolves once durable with each event's log seq. */
  append(space: string, events: readonly DomainEvent[], quarantined: readonly QuarantineEntry[]): Promise<number[]>;
  /** Whether an event id is already in a space's log. */
  hasEventId(space: string, eventId: string): Promise<boolean>;
  /** Spaces that have a log. */
  spaces(): Promise<string[]>;
  /** Reads a space's log in order, in chunks. */
  read(space: string, chunkSize?: number): AsyncIterable<DomainEvent[]>;
  /** Reads a space's log in order, in chunks, with each event's log seq; only events after seq `after` (default 0: all). */
  readWithSeqs(space: string, chunkSize?: number, after?: number): AsyncIterable<LogChunk>;
  /** The logged events of the given seqs (ascending), skipping seqs not in the log. */
  readSeqs(space: string, seqs: readonly number[]): Promise<{ seq: number; event: DomainEvent }[]>;
  /** Number of events in a space's log. */
  count(space: string): Promise<number>;
  /** Number of events in a space's log after seq `after`. */
  countAfter(space: string, after: number): Promise<number>;
  /** Newest quarantined events first. */
  listQuarantine(space: string | null, limit: number, offset: number): Promise<{ total: number; items: QuarantineEntry[] }>;
  /** Quarantine size per space. */
  quarantineCounts(): Promise<Record<string, number>>;
  /** Removes a space's log and quarantine. */
  deleteSpace(space: string): Promise<void>;
  close(): Promise<void>;
}
