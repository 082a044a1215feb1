/**
 * The desk's commands on a handover record: the outgoing officer submits the record the desk drafts now, with a note;
 * the incoming officer signs a submitted one. Each decided against the record's state: the event, or why not.
 */
import { z } from 'zod';
import { spaceName } from '../contract';
import type { HandoverEvent } from '../events/handover';
import type { SpaceProjection } from '../projection/state';
import type { EpochMs } from '../time';
import { draftHandover, judgeHandoverEvent } from './handover';

/** Submitting (`POST /api/v1/duty/handovers`): the handover the page showed (refused if the desk now drafts another). */
export const handoverSubmitSchema = z.strictObject({
  space: spaceName,
  handoverId: z.string().min(1).max(128),
  note: z.string().trim().max(2000),
});
/** Signing (`POST /api/v1/duty/handovers/:id/sign`), with an optional note. */
export const handoverSignSchema = z.strictObject({ space: spaceName, note: z.string().trim().max(500).optional() });

/** The decision on a handover command: the event to write, or why not (`notFound`: no such record or shift). */
export type HandoverDecision =
  | { readonly ok: true; readonly event: HandoverEvent }
  | { readonly ok: false; readonly reason: string; readonly notFound: boolean };

/** Decides a submission by `by` at `now` (ms) of the record the desk drafts now, under a fresh `eventId`. Pure. */
export function decideSubmit(
  p: SpaceProjection,
  a: z.output<typeof handoverSubmitSchema>,
  eventId: string,
  now: EpochMs,
  by: string,
): HandoverDecision {
  const record = draftHandover(p, now);
  if (!record)
    return {
      ok: false,
      reason: 'no shift on the roster has ended or is on now: there is nothing to hand over',
      notFound: true,
    };
  if (record.handoverId !== a.handoverId)
    return {
      ok: false,
      reason: `the desk now drafts handover ${record.handoverId} (${record.shiftName}), not ${a.handoverId}: reload the draft`,
      notFound: false,
    };
  const event: HandoverEvent = {
    type: 'handover.submitted',
    eventId,
    ts: now,
    actor: by,
    handoverId: record.handoverId,
    by,
    note: a.note,
    record,
  };
  const reason = judgeHandoverEvent(p.handoverRecords.get(record.handoverId), event);
  return reason === null ? { ok: true, event } : { ok: false, reason, notFound: false };
}

/** Decides a signature of handover `id` by `by` at `now` (ms), under a fresh `eventId`. Pure. */
export function decideSign(
  p: SpaceProjection,
  id: string,
  a: z.output<typeof handoverSignSchema>,
  eventId: string,
  now: EpochMs,
  by: string,
): HandoverDecision {
  const event: HandoverEvent = {
    type: 'handover.signed',
    eventId,
    ts: now,
    actor: by,
    handoverId: id,
    by,
    ...(a.note ? { note: a.note } : {}),
  };
  const rec = p.handoverRecords.get(id);
  const reason = judgeHandoverEvent(rec, event);
  return reason === null ? { ok: true, event } : { ok: false, reason, notFound: false };
}
