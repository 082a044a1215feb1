/**
 * 交接班记录 as events: the outgoing officer submits the shift's handover record (drafted by the desk: open items, items
 * handled with their times, late urgent cases, links down, the shift's key figures, a free-text note), and the incoming
 * officer signs it. Each is refused with a reason when it does not fit (signing an unsubmitted record, submitting twice).
 */
import { z } from 'zod';
import { LINKS } from '../domain';
import { envelope, epochMs, freeText, ident, shortText } from './common';
import { ITEM_KINDS } from './item';

const dateKey = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');
const hhmm = z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'must be HH:MM');
const step = z.strictObject({ at: epochMs, by: shortText }).nullable();
const count = z.number().int().min(0).max(10_000_000);
const share = z.number().min(0).max(1).nullable();

/** Most entries a record lists in each of its lists (the rest are counted in its totals). */
export const HANDOVER_LIST_MAX = 60;

/** One duty item as a handover record lists it, with the times of its steps (ms). Text from citizen input: render as text. */
export const handoverEntrySchema = z.strictObject({
  itemId: ident,
  kind: z.enum(ITEM_KINDS),
  text: freeText(300),
  since: epochMs,
  ack: step,
  firstReport: step,
  writtenReport: step,
  resolved: z.strictObject({ at: epochMs, by: shortText, note: freeText(1000) }).nullable(),
});
/** A handover entry. */
export type HandoverEntry = z.output<typeof handoverEntrySchema>;

/** The shift's duty figures: 接报及时率, median minutes to acknowledge, 信息报送及时率 (shares 0–1, null when none judged). */
export const dutyFiguresSchema = z.strictObject({
  items: count,
  ackJudged: count,
  ackOnTime: count,
  ackTimely: share,
  medianAckMin: z.number().min(0).nullable(),
  reportJudged: count,
  reportOnTime: count,
  reportTimely: share,
});

/** The record the desk drafts at a shift change; the submission writes it as it stood. */
export const handoverDraftSchema = z.strictObject({
  /** `date|shiftId` of the outgoing shift (the roster's date). */
  handoverId: ident,
  date: dateKey,
  shiftId: ident,
  shiftName: shortText,
  /** The outgoing shift's start and end, ms. */
  start: epochMs,
  end: epochMs,
  /** The incoming shift, when the roster has one. */
  next: z.strictObject({ date: dateKey, shiftId: ident, name: shortText, start: hhmm }).nullable(),
  /** When the draft was made, ms. */
  at: epochMs,
  open: z.array(handoverEntrySchema).max(HANDOVER_LIST_MAX),
  openTotal: count,
  handled: z.array(handoverEntrySchema).max(HANDOVER_LIST_MAX),
  handledTotal: count,
  lateUrgent: z
    .array(z.strictObject({ caseId: ident, text: freeText(300), since: epochMs, overdueSince: epochMs }))
    .max(HANDOVER_LIST_MAX),
  linksDown: z.array(z.strictObject({ link: z.enum(LINKS), since: epochMs })).max(LINKS.length),
  /** The shift's key figures: calls offered and answered, the answer rate (0–1), cases received, clocks overdue now. */
  figures: z.strictObject({ calls: count, answered: count, answerRate: share, cases: count, overdue: count }),
  duty: dutyFiguresSchema,
});
/** A drafted handover record. */
export type HandoverDraft = z.output<typeof handoverDraftSchema>;

/** The outgoing officer submits the record with a note. */
export const handoverSubmitted = z.strictObject({
  type: z.literal('handover.submitted'),
  ...envelope,
  handoverId: ident,
  by: shortText,
  note: freeText(2000),
  record: handoverDraftSchema,
});
/** The incoming officer signs the submitted record (接班签收), with an optional note. */
export const handoverSigned = z.strictObject({
  type: z.literal('handover.signed'),
  ...envelope,
  handoverId: ident,
  by: shortText,
  note: freeText(500).optional(),
});

/** Every handover event schema. */
export const handoverEventSchemas = [handoverSubmitted, handoverSigned] as const;
/** A handover event. */
export type HandoverEvent = z.output<(typeof handoverEventSchemas)[number]>;
