/**
 * Ingest: validate → dedupe → fold → commit → answer. A batch is answered only after its accepted events are durable.
 * Batches of one space run in order; an event that does not fit its case goes to quarantine with the reason, once: the
 * same event sent again while it still does not fit is a duplicate. The listeners told after a commit are isolated: one
 * that throws is logged and counted, and the batch is still answered as committed (it is durable).
 */
import {
  MAX_FIELD_ERRORS,
  MAX_REJECTED_LISTED,
  type IngestResult,
  type QuarantinedEvent,
  type RejectedEvent,
} from '@shared/contract';
import { validateEvent, type DomainEvent } from '@shared/events';
import { applyEvent } from '@shared/projection/apply';
import { futureRefusal, latestAdmitted } from '@shared/projection/admission';
import { Failsafe, Subscribers } from '../failsafe';
import type { Space, SpaceRegistry } from '../spaces';
import type { EventStore, LogChunk, QuarantineEntry, SpaceWrite } from '../store/types';

/** Says why the sender may not send an event (null: it may). */
export type Refusal = (e: DomainEvent) => string | null;

/** Where a batch came from: ingested on this node, or logged by another node and followed here. */
export type BatchOrigin = 'local' | 'followed';

/**
 * Told after each committed batch (the broadcaster listens), with the accepted events in log order and their log seqs;
 * batches other nodes logged come too (origin `followed`), in the log's order.
 */
export type BatchListener = (
  space: Space,
  result: IngestResult,
  accepted: readonly DomainEvent[],
  seqs: readonly number[],
  origin: BatchOrigin,
) => void;

/** Told of an accepted case event dated before its case's last event, within the allowed skew (ms it is before by). */
export type SkewListener = (space: Space, event: DomainEvent, skewMs: number) => void;

/** How ingest judges event times: the future skew allowed (ms), and who records a tolerated step skew. */
export interface IngestTime {
  readonly futureSkewMs: number;
  readonly onStepSkew?: SkewListener;
}

/** Ingests batches of raw events into spaces. */
export class IngestService {
  private readonly listeners: Subscribers<Parameters<BatchListener>>;
  constructor(
    private readonly store: EventStore,
    private readonly spaces: SpaceRegistry,
    private readonly now: () => number,
    failsafe = new Failsafe(),
    private readonly time: IngestTime = { futureSkewMs: 300_000 },
  ) {
    this.listeners = new Subscribers(failsafe);
  }

  /** Whether an event id is in a space's log (a request sent again, whose first try was recorded). */
  logged(spaceName: string, eventId: string): Promise<boolean> {
    return this.store.hasEventId(spaceName, eventId);
  }

  /** Subscribes to committed batches under `name` (its failures are logged and counted by it); returns the disposer. */
  onBatch(listener: BatchListener, name = listener.name || 'batch-listener'): () => void {
    return this.listeners.add(name, listener);
  }

  /**
   * Ingests a batch of raw events into a space (already authorised). `refuse` judges each valid event for the sender
   * (`ownActs.ts`): an event it gives a reason for is refused with that reason, the others go on.
   */
  ingest(spaceName: string, raw: readonly unknown[], refuse?: Refusal): Promise<IngestResult> {
    return this.ingestComputed(spaceName, () => raw, undefined, refuse);
  }

  /**
   * Ingests the events `make` computes from the space when the batch's turn comes (the monitor: what time reveals is
   * judged on the projection as it is then, not as it was when the pass was scheduled). With `only`, the batch is for
   * that space alone: deleted before its turn, nothing is written (and no fresh space of its name is made).
   */
  ingestComputed(
    spaceName: string,
    make: (space: Space) => readonly unknown[],
    only?: Space,
    refuse?: Refusal,
  ): Promise<IngestResult> {
    if (only && !this.spaces.isCurrent(only)) return Promise.resolve(nothingWritten(spaceName));
    const space = only ?? this.spaces.get(spaceName);
    return this.spaces.serial(space, () => {
      // The space was deleted while this batch waited: it goes to the fresh space of that name (or nowhere, `only`).
      if (!this.spaces.isCurrent(space))
        return only
          ? Promise.resolve(nothingWritten(spaceName))
          : this.ingestComputed(spaceName, make, undefined, refuse);
      return this.write(space, make, refuse);
    });
  }

  /**
   * Folds events other nodes logged (in log order, after the space's position) and tells the listeners, as if they had
   * been ingested here. Runs inside the space's order (a write's tail, or the follower's catch-up).
   */
  follow(space: Space, chunk: LogChunk): void {
    if (chunk.events.length === 0) return;
    for (const e of chunk.events) {
      space.seen.add(e.eventId);
      applyEvent(space.projection, e);
    }
    space.position = chunk.seqs[chunk.seqs.length - 1]!;
    const result: IngestResult = {
      space: space.name,
      accepted: chunk.events.length,
      duplicate: 0,
      rejected: [],
      rejectedCount: 0,
      quarantined: [],
    };
    this.listeners.notify(space, result, chunk.events, chunk.seqs, 'followed');
  }

  /** Catches a space up with the log (what other nodes logged), in the space's order. */
  catchUp(spaceName: string): Promise<number> {
    const space = this.spaces.get(spaceName);
    return this.spaces.serial(space, async () => {
      if (!this.spaces.isCurrent(space)) return 0;
      if (space.needsRefold) await this.refold(space);
      let n = 0;
      for await (const chunk of this.store.readWithSeqs(space.name, 5_000, space.position)) {
        this.follow(space, chunk);
        n += chunk.events.length;
      }
      return n;
    });
  }

  private async write(
    space: Space,
    make: (space: Space) => readonly unknown[],
    refuse?: Refusal,
  ): Promise<IngestResult> {
    if (space.needsRefold) await this.refold(space);
    // Nothing to write (a monitor pass that found nothing): no write, no lock, nobody told.
    const first = make(space);
    if (first.length === 0) return nothingWritten(space.name);
    let batch: { result: IngestResult; accepted: DomainEvent[]; seqs: number[] };
    try {
      batch = await this.store.write(space.name, space.position, async (w) => {
        // What others logged meanwhile may change what the batch is (a monitor pass is judged again after it).
        this.follow(space, w.tail);
        return this.run(space, w.tail.events.length === 0 ? first : make(space), w, refuse);
      });
    } catch (err) {
      // The projection may hold the batch: fold the log again so it holds exactly what is durable (now, or before
      // the next write if the store cannot be read either).
      space.needsRefold = true;
      await this.refold(space).catch(() => undefined);
      throw err;
    }
    const { result, accepted, seqs } = batch;
    for (const e of accepted) space.seen.add(e.eventId);
    if (seqs.length > 0) space.position = seqs[seqs.length - 1]!;
    this.listeners.notify(space, result, accepted, seqs, 'local');
    return result;
  }

  private async refold(space: Space): Promise<void> {
    await this.spaces.refold(space);
    space.needsRefold = false;
  }

  private async run(
    space: Space,
    raw: readonly unknown[],
    w: SpaceWrite,
    refuse?: Refusal,
  ): Promise<{ result: IngestResult; accepted: DomainEvent[]; seqs: number[] }> {
    const rejected: RejectedEvent[] = [];
    let rejectedCount = 0;
    const quarantined: QuarantinedEvent[] = [];
    const toQuarantine: QuarantineEntry[] = [];
    const accepted: DomainEvent[] = [];
    const inBatch = new Set<string>();
    const quarantinedInBatch = new Set<string>();
    let duplicate = 0;
    const receivedAt = this.now();
    const latest = latestAdmitted(space.kind, receivedAt, space.drill?.endsAt ?? null, this.time.futureSkewMs);
    for (let index = 0; index < raw.length; index++) {
      const v = validateEvent(raw[index]);
      if (!v.ok) {
        // The answer stays bounded: the first refusals in full (their first field errors), the rest counted.
        rejectedCount++;
        if (rejected.length < MAX_REJECTED_LISTED) {
          const more = v.errors.length - MAX_FIELD_ERRORS;
          rejected.push({
            index,
            eventId: eventIdOf(raw[index]),
            errors: v.errors.slice(0, MAX_FIELD_ERRORS),
            ...(more > 0 ? { moreErrors: more } : {}),
          });
        }
        continue;
      }
      const e = v.event;
      const refused = refuse?.(e) ?? null;
      if (refused !== null) {
        rejectedCount++;
        if (rejected.length < MAX_REJECTED_LISTED)
          rejected.push({ index, eventId: e.eventId, errors: [{ path: 'type', message: refused }] });
        continue;
      }
      const future = futureRefusal(e.ts, latest, space.kind, this.time.futureSkewMs);
      if (future) {
        rejectedCount++;
        if (rejected.length < MAX_REJECTED_LISTED) rejected.push({ index, eventId: e.eventId, errors: [future] });
        continue;
      }
      if (
        inBatch.has(e.eventId) ||
        (space.seen.mightHave(e.eventId) && (await this.store.hasEventId(space.name, e.eventId)))
      ) {
        duplicate++;
        continue;
      }
      // A case's step dated before its last one fits within the allowed skew: it is accepted, and recorded.
      const before =
        e.type.startsWith('case.') && e.type !== 'case.received' && 'caseId' in e && e.caseId
          ? space.projection.cases.get(e.caseId)?.updatedAt
          : undefined;
      const reason = applyEvent(space.projection, e);
      if (reason === null && before !== undefined && e.ts < before) this.time.onStepSkew?.(space, e, before - e.ts);
      if (reason !== null) {
        // A producer's retry of an event already quarantined is a duplicate; the same id with another body is kept.
        const key = `${e.eventId}\n${JSON.stringify(e)}`;
        if (quarantinedInBatch.has(key) || (await this.store.hasQuarantined(space.name, e))) {
          duplicate++;
          continue;
        }
        quarantinedInBatch.add(key);
        quarantined.push({ index, eventId: e.eventId, reason });
        toQuarantine.push({ space: space.name, receivedAt, eventId: e.eventId, type: e.type, reason, event: e });
        continue;
      }
      inBatch.add(e.eventId);
      accepted.push(e);
    }
    const seqs = accepted.length === 0 && toQuarantine.length === 0 ? [] : await w.append(accepted, toQuarantine);
    const result: IngestResult = {
      space: space.name,
      accepted: accepted.length,
      duplicate,
      rejected,
      rejectedCount,
      quarantined,
    };
    return { result, accepted, seqs };
  }
}

/** The answer to a batch with nothing to write. */
function nothingWritten(space: string): IngestResult {
  return { space, accepted: 0, duplicate: 0, rejected: [], rejectedCount: 0, quarantined: [] };
}

function eventIdOf(raw: unknown): string | null {
  if (typeof raw === 'object' && raw !== null && 'eventId' in raw && typeof raw.eventId === 'string')
    return raw.eventId.slice(0, 128);
  return null;
}
