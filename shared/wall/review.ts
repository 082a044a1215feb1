/**
 * Review (复盘): the wall of a space as it was at a past instant, folded from the log. The instant travels as an ISO 8601
 * string with an offset (`2026-11-30T03:12:40+08:00`, or `Z`) in the page address (`/?space=…&at=…`) and in the API's
 * query (`GET /api/v1/spaces/:space/review?at=…`); the answer carries the view and the span that can be reviewed.
 */
import { z } from 'zod';
import { SHANGHAI_OFFSET_MS, type EpochMs } from '../time';
import type { WallView } from './view';

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * The instant (ms) of an ISO 8601 date-time with an offset, or why it is not one (no offset, a day that does not exist,
 * an hour past 23). A space where the offset's `+` should be is read as `+`: an address typed by hand sends `+` as a
 * space.
 */
export function parseInstant(
  raw: string,
): { readonly ok: true; readonly at: EpochMs } | { readonly ok: false; readonly why: string } {
  const s = raw.trim().replace(/ (\d{2}:?\d{2})$/, '+$1');
  const m = ISO.exec(s);
  if (!m) return { ok: false, why: 'is not an ISO 8601 instant with an offset, e.g. 2026-11-30T03:12:40+08:00' };
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec ?? 0)] as const;
  const ms = Number((frac ?? '').padEnd(3, '0'));
  const local = Date.UTC(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], ms);
  const check = new Date(local);
  if (
    check.getUTCFullYear() !== fields[0] ||
    check.getUTCMonth() !== fields[1] ||
    check.getUTCDate() !== fields[2] ||
    check.getUTCHours() !== fields[3] ||
    check.getUTCMinutes() !== fields[4] ||
    check.getUTCSeconds() !== fields[5]
  )
    return { ok: false, why: 'names a date or time of day that does not exist' };
  let offset = 0;
  if (zone !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone ?? '')!;
    const mins = Number(z[2]) * 60 + Number(z[3]);
    if (Number(z[2]) > 14 || Number(z[3]) > 59) return { ok: false, why: `has an offset out of range (${zone})` };
    offset = (z[1] === '-' ? -1 : 1) * mins * 60_000;
  }
  return { ok: true, at: local - offset };
}

/** Schema of the review query: `at`, the instant to review (ISO 8601 with an offset), parsed to epoch ms. */
export const reviewQuerySchema = z.object({
  at: z
    .string({ error: 'is required: the instant to review, ISO 8601 with an offset, e.g. 2026-11-30T03:12:40+08:00' })
    .max(64, 'is too long for an instant')
    .transform((raw, ctx) => {
      const r = parseInstant(raw);
      if (r.ok) return r.at;
      ctx.addIssue({ code: 'custom', message: `"${raw.slice(0, 40)}" ${r.why}` });
      return z.NEVER;
    }),
});

/** The instant as ISO 8601 in Asia/Shanghai time (`2026-11-30T03:12:40+08:00`; milliseconds only when not zero). */
export function shanghaiIso(at: EpochMs): string {
  const d = new Date(at + SHANGHAI_OFFSET_MS);
  const two = (n: number) => String(n).padStart(2, '0');
  const ms = d.getUTCMilliseconds();
  return (
    `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}` +
    `T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}` +
    `${ms === 0 ? '' : `.${String(ms).padStart(3, '0')}`}+08:00`
  );
}

/** The wall page's address reviewing `space` at the instant `at` (ms). */
export function reviewHref(space: string, at: EpochMs): string {
  return `/?space=${encodeURIComponent(space)}&at=${encodeURIComponent(shanghaiIso(at))}`;
}

/** What the review API answers: the instant (ms), the view of the space then, and how it was folded. */
export interface ReviewAnswer {
  readonly space: string;
  readonly at: EpochMs;
  readonly view: WallView;
  /** What can be reviewed: from the log's first event to the space's clock, ms. */
  readonly span: { readonly first: EpochMs; readonly last: EpochMs };
  readonly from: {
    /** The log seq of the history checkpoint the fold started from, or null when it started from the empty log. */
    readonly checkpointSeq: number | null;
    /** Whether this answer went on from an earlier review's fold (an earlier instant of the same space). */
    readonly continued: boolean;
    /** Events folded for this answer. */
    readonly folded: number;
  };
}
