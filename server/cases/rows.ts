/**
 * A case state flattened into the read model's row: filter columns, each running clock's deadline and the instant it
 * turns at risk (so "late now" is a range test an index can answer), and the counters unit scoring sums.
 */
import { CASE_FLAGS, type CaseFlag, type ClockId } from '../../shared/domain';
import { riskAt } from '../../shared/cases/query';
import { runningClocks, type CaseState, type ClockState } from '../../shared/cases/state';
import type { ProjectionContext } from '../../shared/projection/state';

/** Bit of each flag in the `flags` column. */
export function flagMask(flags: readonly CaseFlag[]): number {
  let m = 0;
  for (const f of flags) m |= 1 << CASE_FLAGS.indexOf(f);
  return m;
}

/** The flags of a mask. */
export function flagsOf(mask: number): CaseFlag[] {
  return CASE_FLAGS.filter((_, i) => (mask & (1 << i)) !== 0);
}

/** Column names of the `cases` table, in insert order. */
export const CASE_COLUMNS = [
  'space', 'id', 'channel', 'case_type', 'urgency', 'flags', 'category', 'street', 'unit', 'stage', 'title', 'received_at',
  'closed_at', 'open', 'exempt', 'supervised',
  'sign_deadline', 'sign_risk', 'handle_deadline', 'handle_risk', 'callback_deadline', 'callback_risk',
  'next_clock', 'next_deadline', 'next_risk',
  'need_dispatch', 'dispatched', 'signed', 'signed_on_time', 'replied', 'replied_on_time', 'closed', 'evaluated',
  'satisfied', 'rejected', 'reopened', 'reopened_signed', 'called_back', 'emergency', 'emergency_on_time',
] as const;

type Cell = string | number | null;
const b = (x: boolean): number => (x ? 1 : 0);

function onTime(clock: ClockState | null): boolean {
  return clock !== null && clock.stoppedAt !== null && clock.stoppedAt <= clock.deadline;
}

/** The row of a case (values in `CASE_COLUMNS` order). */
export function caseRow(space: string, c: CaseState, ctx: ProjectionContext): Cell[] {
  const clocks: Record<ClockId, [number | null, number | null]> = { sign: [null, null], handle: [null, null], callback: [null, null] };
  let next: { id: ClockId; deadline: number } | null = null;
  let nextRisk: number | null = null;
  for (const r of runningClocks(c)) {
    const risk = riskAt(ctx.lifecycle.env, r.clock.limit, r.clock.start, r.clock.deadline, ctx.thresholds.atRisk);
    clocks[r.id] = [r.clock.deadline, risk];
    if (!next || r.clock.deadline < next.deadline) next = { id: r.id, deadline: r.clock.deadline };
    if (nextRisk === null || risk < nextRisk) nextRisk = risk;
  }
  const open = c.stage !== 'closed' && c.stage !== 'merged';
  const replied = c.repliedAt !== null;
  const emergency = c.flags.includes('emergency') && replied;
  const satisfied = c.rating === 'satisfied' || c.rating === 'basically_satisfied';
  return [
    space, c.id, c.channel, c.caseType, c.urgency, flagMask(c.flags), c.category, c.street, c.unit, c.stage, c.title, c.receivedAt,
    c.closedAt, b(open), b(c.exempt), c.supervisedCount,
    clocks.sign[0], clocks.sign[1], clocks.handle[0], clocks.handle[1], clocks.callback[0], clocks.callback[1],
    next?.id ?? null, next?.deadline ?? null, nextRisk,
    b(c.dispatchedAt !== null || c.stage === 'registered'), b(c.dispatchedAt !== null), b(c.signedAt !== null), b(onTime(c.sign)),
    b(replied), b(replied && onTime(c.handle)), b(c.stage === 'closed'), b(c.rating !== null), b(satisfied), c.redoCount, c.reopenCount,
    c.reopenCount > 0 && !c.awaitingResign ? c.reopenCount : Math.max(0, c.reopenCount - 1), b(c.calledBackAt !== null),
    b(emergency), b(emergency && onTime(c.handle)),
  ];
}
