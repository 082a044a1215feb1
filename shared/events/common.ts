/** Building blocks shared by every event schema. */
import { z } from 'zod';
import { WELL_FORMED } from '../text';

/** Earliest event time accepted (2000-01-01T00:00Z), ms. */
export const MIN_EVENT_TS = 946_684_800_000;
/** Latest event time accepted (2100-01-01T00:00Z), ms. */
export const MAX_EVENT_TS = 4_102_444_800_000;

/** An event time: integer epoch milliseconds within 2000–2100. */
export const epochMs = z.number().int().min(MIN_EVENT_TS).max(MAX_EVENT_TS);

/**
 * An identifier: 1–128 printable characters without spaces. A UTF-16 surrogate must be one of a pair: SQLite keeps an
 * unpaired one as bytes that are not UTF-8 and reads them back as U+FFFD, so the id read from the log (the dedupe
 * filter filled from its index, the case rows) would not be the id that was sent.
 */
export const ident = z
  .string()
  .min(1)
  .max(128)
  .regex(
    /^(?:[\x21-\x7e\u00a0-\ud7ff\ue000-\uffff]|[\ud800-\udbff][\udc00-\udfff])+$/,
    'must be printable characters without spaces (and no unpaired surrogate)',
  );

/** Text with half of a character is refused (`WELL_FORMED`): the case rows would show other text than the case's state. */
const WELL_FORMED_MESSAGE = 'must not hold half of a character (an unpaired UTF-16 surrogate)';

/** A short name or code (1–64 chars). */
export const shortText = z.string().min(1).max(64).regex(WELL_FORMED, WELL_FORMED_MESSAGE);

/** Free text from a citizen or an operator (untrusted; rendered as text), bounded. */
export const freeText = (max: number) => z.string().max(max).regex(WELL_FORMED, WELL_FORMED_MESSAGE);

/** Fields every event carries: a producer-chosen unique id (dedupe key within a space), the event time and who did it. */
export const envelope = {
  eventId: ident,
  ts: epochMs,
  actor: shortText.optional(),
};
