/**
 * A case state flattened into the read model's row: filter columns, each running clock's marks (its deadline and the
 * instant it turns at risk, `sla/lateness.ts`, so "late now" is a range test an index can answer), and the counters
 * unit scoring sums.
 */
import { CASE_FLAGS, type CaseFlag, type ClockId } from '@shared/domain';
import { runningClocks, type CaseState } from '@shared/cases/state';
import { clockMarks, earliestMarks, LATENESS_TESTS, type ClockMarks, type LateFilter } from '@shared/sla/lateness';
import type { ProjectionContext } from '@shared/projection/state';

/**
 * The tables of a space's rows in the read model, each with a `space` column — in a node's own file and, on a cluster,
 * in PostgreSQL (schema step 6): what forgetting or deleting a space empties.
 */
export const CASE_ROW_TABLES = [
  'cases',
  'case_states',
  'case_history',
  'case_supervisions',
  'duty_items',
  'duty_handovers',
  'duty_rosters',
  'read_model_meta',
] as const;

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
  'space',
  'id',
  'channel',
  'case_type',
  'urgency',
  'flags',
  'category',
  'street',
  'unit',
  'stage',
  'title',
  'received_at',
  'closed_at',
  'open',
  'exempt',
  'supervised',
  'sign_deadline',
  'sign_risk',
  'handle_deadline',
  'handle_risk',
  'callback_deadline',
  'callback_risk',
  'next_clock',
  'next_deadline',
  'next_risk',
  'need_dispatch',
  'dispatched',
  'signed',
  'signed_on_time',
  'replied',
  'replied_on_time',
  'closed',
  'evaluated',
  'satisfied',
  'rejected',
  'reopened',
  'reopened_signed',
  'called_back',
  'emergency',
  'emergency_on_time',
] as const;

type Cell = string | number | null;
const b = (x: boolean): number => (x ? 1 : 0);

/** The row of a case (values in `CASE_COLUMNS` order). */
export function caseRow(space: string, c: CaseState, ctx: ProjectionContext): Cell[] {
  const clocks: Partial<Record<ClockId, ClockMarks>> = {};
  let nearest: { id: ClockId; deadline: number } | null = null;
  for (const r of runningClocks(c)) {
    const m = clockMarks(ctx.lifecycle.env, r.clock, ctx.thresholds);
    clocks[r.id] = m;
    if (!nearest || m.deadline < nearest.deadline) nearest = { id: r.id, deadline: m.deadline };
  }
  const next = earliestMarks(Object.values(clocks));
  const open = c.stage !== 'closed' && c.stage !== 'merged';
  const replied = c.repliedAt !== null;
  const emergency = c.flags.includes('emergency') && replied;
  return [
    space,
    c.id,
    c.channel,
    c.caseType,
    c.urgency,
    flagMask(c.flags),
    c.category,
    c.street,
    c.unit,
    c.stage,
    c.title,
    c.receivedAt,
    c.closedAt,
    b(open),
    b(c.exempt),
    c.supervisedCount,
    clocks.sign?.deadline ?? null,
    clocks.sign?.riskAt ?? null,
    clocks.handle?.deadline ?? null,
    clocks.handle?.riskAt ?? null,
    clocks.callback?.deadline ?? null,
    clocks.callback?.riskAt ?? null,
    nearest?.id ?? null,
    next?.deadline ?? null,
    next?.riskAt ?? null,
    b(c.dispatchedAt !== null || c.stage === 'registered'),
    b(c.dispatchedAt !== null),
    b(c.signedAt !== null),
    // Judged when the sign-for and the reply happened: a clock restarted for rework, or stopped by a merge, is not one.
    b(c.signedOnTime === true),
    b(replied),
    b(c.repliedOnTime === true),
    b(c.stage === 'closed'),
    // Counts: every evaluation (one reopened after an unsatisfied one is evaluated again), as the wall counts them.
    c.evaluations,
    c.satisfiedEvaluations,
    c.redoCount,
    c.reopenCount,
    c.reopenCount > 0 && !c.awaitingResign ? c.reopenCount : Math.max(0, c.reopenCount - 1),
    b(c.calledBackAt !== null),
    b(emergency),
    b(emergency && c.repliedOnTime === true),
  ];
}

/** The columns of a clock's marks in a row: one clock's, or the earliest over the running clocks (`next_*`). */
export function marksColumns(clock: ClockId | undefined): Record<keyof ClockMarks, string> {
  const p = clock ?? 'next';
  return { deadline: `${p}_deadline`, riskAt: `${p}_risk` };
}

/**
 * The SQL conditions (joined by AND) that select rows whose clock (or any running clock) is `level` at the instant named
 * by `at` (a parameter such as `@now` or `?`): `LATENESS_TESTS` over the marks columns, as `latenessAt` judges them.
 */
export function latenessSql(level: LateFilter, clock: ClockId | undefined, at: string): string[] {
  const cols = marksColumns(clock);
  return LATENESS_TESTS[level].map((t) => `${cols[t.mark]} ${t.cmp} ${at}`);
}
