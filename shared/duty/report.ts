/**
 * The duty desk's part of the monthly report (月度通报): the month's duty figures (接报及时率, median time to
 * acknowledge, 信息报送及时率 — `dutyFigures`, the desk's and the wall's own formula), how many items were raised,
 * acknowledged and late, and the 交接班 of its shift changes (submitted, signed, signed late); for the whole month and
 * for each shift of the roster over the month. Pure: the items, the placed shifts and the records' times come in.
 */
import type { SlaEnv } from '../sla/deadline';
import type { EpochMs } from '../time';
import type { PlacedShift } from '../projection/duty';
import type { DutyConfig } from './config';
import { dutyFigures, type DutyFigures } from './figures';
import { handedOverInLog, handoverIdOf, nextShift } from './handover';
import type { DutyItem } from './items';
import { handoverSignDue } from './limits';

/** When a shift's handover record was submitted and signed, ms (null: not yet). */
export interface HandoverTimes {
  readonly submittedAt: EpochMs;
  readonly signedAt: EpochMs | null;
}

/**
 * The handovers of a period's shift changes: those with a next shift on the roster, past at the time of the figures
 * and after the space's log began.
 */
export interface HandoverFigures {
  readonly changes: number;
  readonly submitted: number;
  readonly signed: number;
  /** Signed after the limit (`handoverSignMin` after the change). */
  readonly signedLate: number;
  /** Still unsigned, the limit past. */
  readonly unsignedLate: number;
}

/** A row of the report: the duty figures, with the items acknowledged and those past their limit, and the handovers. */
export interface DutyReportRow extends DutyFigures {
  /** Items acknowledged (on time or late). */
  readonly acknowledged: number;
  /** Items whose acknowledgement limit was missed: acknowledged late, or still unacknowledged past it. */
  readonly ackLate: number;
  readonly handovers: HandoverFigures;
}

/** The month's duty report: the whole month, and each shift of the roster over the month (in the order of the day). */
export interface DutyReport {
  readonly month: DutyReportRow;
  readonly shifts: readonly (DutyReportRow & { readonly shiftId: string; readonly name: string })[];
}

/** The handover figures at `now` (ms) of shift changes ending at `end` (ms) with their records' times. */
export function handoverFigures(
  changes: Iterable<{ readonly end: EpochMs; readonly times: HandoverTimes | undefined }>,
  config: DutyConfig,
  now: EpochMs,
): HandoverFigures {
  let n = 0;
  let submitted = 0;
  let signed = 0;
  let signedLate = 0;
  let unsignedLate = 0;
  for (const { end, times } of changes) {
    if (end > now) continue;
    n++;
    const due = handoverSignDue(config, end);
    if (times && times.submittedAt <= now) submitted++;
    const at = times?.signedAt ?? null;
    if (at !== null && at <= now) {
      signed++;
      if (at > due) signedLate++;
    } else if (now > due) unsignedLate++;
  }
  return { changes: n, submitted, signed, signedLate, unsignedLate };
}

/**
 * The duty report at `now` (ms) of the period [`from`, `to`) (ms): items counted in the period and the shift their
 * condition began in, shift changes in the period their outgoing shift ended in. `shifts` are the roster's shifts
 * placed in time, covering the period and the shift after it; `handovers` the submitted records' times by handover id;
 * `logSince` when the space's log begins (ms; a shift change before it is not judged).
 */
export function dutyReport(
  items: readonly DutyItem[],
  shifts: readonly PlacedShift[],
  handovers: ReadonlyMap<string, HandoverTimes>,
  logSince: EpochMs | null,
  config: DutyConfig,
  env: SlaEnv,
  from: EpochMs,
  to: EpochMs,
  now: EpochMs,
): DutyReport {
  const placed = [...shifts].sort((a, b) => a.start - b.start);
  const changes = placed
    .filter((s) => s.end >= from && s.end < to && handedOverInLog(s.end, logSince) && nextShift(placed, s) !== null)
    .map((s) => ({ shift: s, end: s.end, times: handovers.get(handoverIdOf(s)) }));
  const row = (of: readonly DutyItem[], ch: typeof changes): DutyReportRow => {
    const f = dutyFigures(of, config, env, from, to, now);
    let acknowledged = 0;
    for (const it of of) if (it.since >= from && it.since < to && it.ack) acknowledged++;
    return { ...f, acknowledged, ackLate: f.ackJudged - f.ackOnTime, handovers: handoverFigures(ch, config, now) };
  };
  // Each shift of the roster, by id, in the order of the day (its start time), named as the roster names it last.
  const ids = new Map<string, { name: string; start: string }>();
  for (const s of placed) ids.set(s.shift.id, { name: s.shift.name, start: s.shift.start });
  const order = [...ids].sort((a, b) => (a[1].start < b[1].start ? -1 : a[1].start > b[1].start ? 1 : 0));
  return {
    month: row(items, changes),
    shifts: order.map(([shiftId, { name }]) => {
      const own = placed.filter((s) => s.shift.id === shiftId);
      const inShift = items.filter((it) => own.some((s) => it.since >= s.start && it.since < s.end));
      return {
        shiftId,
        name,
        ...row(
          inShift,
          changes.filter((c) => c.shift.shift.id === shiftId),
        ),
      };
    }),
  };
}
