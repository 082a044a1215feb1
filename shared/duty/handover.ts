/**
 * 交接班: the record the desk drafts at a shift change (open items, items handled in the shift with their times, late
 * urgent cases, links down, the shift's key figures and duty figures), the one judgement of whether a submission or a
 * signature fits the record (used by the fold and by the desk's commands, which refuse with the same reason), and the
 * fold. Pure: the projection and the time come in.
 */
import type { LinkId } from '../domain';
import type { HandoverDraft, HandoverEntry, HandoverEvent } from '../events/handover';
import { HANDOVER_LIST_MAX } from '../events/handover';
import { placedShifts, type PlacedShift } from '../projection/duty';
import type { SpaceProjection } from '../projection/state';
import { DAY_MS, HOUR_MS, MINUTE_MS, shanghaiDateKey, startOfShanghaiDay, type EpochMs } from '../time';
import { dutyFigures } from './figures';
import { stampOf, type DutyItem } from './items';

/** A submitted handover record as the projection keeps it: the record, who submitted it and who signed it (ms). */
export interface HandoverRecord {
  readonly id: string;
  readonly record: HandoverDraft;
  readonly submitted: { readonly at: EpochMs; readonly by: string; readonly note: string };
  readonly signed: { readonly at: EpochMs; readonly by: string; readonly note: string | null } | null;
}

/** How long after a shift ends its record is still drafted for it (not for the shift now on), ms. */
export const HANDOVER_DRAFT_WINDOW_MS = 4 * HOUR_MS;
/**
 * How long after its shift ended a submitted record stays in the projection, ms: the draft, the signature and the
 * monitor's unsigned-record item need the last day's; the desk lists and reads older records from the case read model,
 * which keeps every one (a year of records with their drafts held in memory was some 15 MB of a district's heap).
 */
export const HANDOVER_KEPT_MS = 8 * DAY_MS;

/** The id of a shift's handover: the roster's date and the outgoing shift's id. */
export const handoverIdOf = (s: PlacedShift): string => `${s.date}|${s.shift.id}`;

/**
 * Whether a shift change at `end` (ms) is handed over in a space whose log begins at `earliest` (ms; null: no event
 * yet): a change before the log began was never handed over in it, so nothing is expected of it.
 */
export function handedOverInLog(end: EpochMs, earliest: EpochMs | null): boolean {
  return earliest !== null && end >= earliest;
}

/** The shift that takes over from `s` among `shifts` (time order): the first to start after it, near or past its end. */
export function nextShift(shifts: readonly PlacedShift[], s: PlacedShift): PlacedShift | null {
  return shifts.find((x) => x.start > s.start && x.start >= s.end - HOUR_MS) ?? null;
}

/**
 * The shift whose handover the desk drafts at `now` (ms): the shift that ended within the draft window while its record
 * is not yet submitted, else the shift on now; with the shift after it. Null when the roster has neither.
 */
export function handoverShift(
  p: SpaceProjection,
  now: EpochMs,
): { shift: PlacedShift; next: PlacedShift | null } | null {
  const shifts = placedShifts(p, now);
  const ended = shifts.filter((s) => s.end <= now);
  const prev = ended[ended.length - 1];
  const shift =
    prev && !p.handoverRecords.has(handoverIdOf(prev)) && now - prev.end <= HANDOVER_DRAFT_WINDOW_MS
      ? prev
      : shifts.find((s) => s.start <= now && now < s.end);
  if (!shift) return null;
  return { shift, next: nextShift(shifts, shift) };
}

function entryOf(it: DutyItem): HandoverEntry {
  return {
    itemId: it.id,
    kind: it.kind,
    text: it.text,
    since: it.since,
    ack: it.ack,
    firstReport: it.reports.phone,
    writtenReport: it.reports.written,
    resolved: it.resolved,
  };
}

/** The steps of an item (acknowledge, reports, resolve), ms. */
const stepsOf = (it: DutyItem): EpochMs[] =>
  [it.ack?.at, it.reports.phone?.at, it.reports.written?.at, it.resolved?.at].filter(
    (x): x is number => x !== undefined,
  );

/** Counts per minute of a day (offered or answered calls) summed over [from, to) (ms). */
function perMinuteSum(
  p: SpaceProjection,
  from: EpochMs,
  to: EpochMs,
  pick: (d: { offeredPerMinute: readonly number[]; answeredPerMinute: readonly number[] }) => readonly number[],
): number {
  let sum = 0;
  for (let t = from; t < to; t += MINUTE_MS) {
    const day = p.days.get(shanghaiDateKey(t));
    if (day) sum += pick(day)[Math.floor((t - startOfShanghaiDay(t)) / MINUTE_MS)] ?? 0;
  }
  return sum;
}

/** The handover record the desk drafts at `now` (ms), or null when the roster has no shift to hand over. */
export function draftHandover(p: SpaceProjection, now: EpochMs): HandoverDraft | null {
  const at = handoverShift(p, now);
  if (!at) return null;
  const { shift, next } = at;
  const to = Math.min(shift.end, now);
  const items = [...p.items.values()].sort((a, b) => b.since - a.since || (a.id < b.id ? -1 : 1));
  const open = items.filter((it) => !it.resolved);
  const handled = items.filter((it) => stepsOf(it).some((t) => t >= shift.start && t <= to));
  const lateUrgent: HandoverDraft['lateUrgent'][number][] = [];
  const linksDown: { link: LinkId; since: EpochMs }[] = [];
  let overdue = 0;
  for (const { raised } of p.active.values()) {
    if (raised.kind === 'link_down' && raised.link !== undefined)
      linksDown.push({ link: raised.link, since: raised.since });
    if (raised.kind !== 'overdue') continue;
    overdue++;
    const c = raised.caseId === undefined ? undefined : p.cases.get(raised.caseId);
    if (c && c.urgency === 'urgent' && !lateUrgent.some((x) => x.caseId === c.id))
      lateUrgent.push({ caseId: c.id, text: c.title.slice(0, 300), since: c.receivedAt, overdueSince: raised.since });
  }
  let cases = 0;
  for (const c of p.cases.values()) if (c.receivedAt >= shift.start && c.receivedAt < to) cases++;
  const calls = perMinuteSum(p, shift.start, to, (d) => d.offeredPerMinute);
  const answered = perMinuteSum(p, shift.start, to, (d) => d.answeredPerMinute);
  return {
    handoverId: handoverIdOf(shift),
    date: shift.date,
    shiftId: shift.shift.id,
    shiftName: shift.shift.name,
    start: shift.start,
    end: shift.end,
    next: next ? { date: next.date, shiftId: next.shift.id, name: next.shift.name, start: next.shift.start } : null,
    at: now,
    open: open.slice(0, HANDOVER_LIST_MAX).map(entryOf),
    openTotal: open.length,
    handled: handled.slice(0, HANDOVER_LIST_MAX).map(entryOf),
    handledTotal: handled.length,
    lateUrgent: lateUrgent.sort((a, b) => a.overdueSince - b.overdueSince).slice(0, HANDOVER_LIST_MAX),
    linksDown: linksDown.sort((a, b) => a.since - b.since),
    figures: {
      calls,
      answered: Math.min(answered, calls),
      answerRate: calls ? Math.min(answered, calls) / calls : null,
      cases,
      overdue,
    },
    duty: dutyFigures(p.items.values(), p.ctx.config.duty, p.ctx.lifecycle.env, shift.start, shift.end, now),
  };
}

/** Why a handover event does not fit the record it names (`rec` undefined: not submitted), or null when it fits. */
export function judgeHandoverEvent(
  rec: Pick<HandoverRecord, 'submitted' | 'signed'> | undefined,
  e: HandoverEvent,
): string | null {
  if (e.type === 'handover.submitted') {
    if (e.record.handoverId !== e.handoverId)
      return `handover ${e.handoverId}: the record is of ${e.record.handoverId}`;
    return rec
      ? `handover ${e.handoverId} was already submitted by ${rec.submitted.by} at ${stampOf(rec.submitted.at)}`
      : null;
  }
  if (!rec)
    return `handover ${e.handoverId} has not been submitted: the outgoing officer submits it before the incoming one signs it`;
  if (rec.signed) return `handover ${e.handoverId} was already signed by ${rec.signed.by} at ${stampOf(rec.signed.at)}`;
  if (rec.submitted.by === e.by)
    return `handover ${e.handoverId} was submitted by ${e.by}: the incoming officer signs it, not the one handing over`;
  return null;
}

/** Folds a handover event into the projection. Returns null, or why it does not fit. */
export function foldHandoverEvent(p: SpaceProjection, e: HandoverEvent): string | null {
  const rec = p.handoverRecords.get(e.handoverId);
  const reason = judgeHandoverEvent(rec, e);
  if (reason !== null) return reason;
  if (e.type === 'handover.submitted') {
    p.handoverRecords.set(e.handoverId, {
      id: e.handoverId,
      record: e.record,
      submitted: { at: e.ts, by: e.by, note: e.note },
      signed: null,
    });
    // The wall's handover line (the incoming shift was handed over) reads the same map as the roster's handovers.
    const next = e.record.next;
    if (next && !p.handovers.has(`${next.date}|${next.shiftId}`))
      p.handovers.set(`${next.date}|${next.shiftId}`, {
        at: e.ts,
        note: e.note,
        by: e.by,
        fromShiftId: e.record.shiftId,
      });
  } else {
    p.handoverRecords.set(e.handoverId, { ...rec!, signed: { at: e.ts, by: e.by, note: e.note ?? null } });
  }
  return null;
}

/** Drops records of shifts that ended before `before` (ms). */
export function sweepHandovers(p: SpaceProjection, before: EpochMs): void {
  for (const [id, r] of p.handoverRecords) if (r.record.end < before) p.handoverRecords.delete(id);
}

/** The submitted records whose shift is on the roster date `date` (YYYY-MM-DD), or every one; newest shift first. */
export function handoverList(p: SpaceProjection, date?: string): HandoverRecord[] {
  return [...p.handoverRecords.values()]
    .filter((r) => date === undefined || r.record.date === date)
    .sort((a, b) => b.record.start - a.record.start);
}
