/**
 * Why a step on a case is refused: a code from a closed list, the data it concerns, and `why` in words (naming the
 * case, its stage and the event). The same refusal comes from the fold (which quarantines the event with `why`) and
 * from the supervisor decider (which answers the request with it). Times are epoch ms.
 */
import { assertNever, type Rating, type Stage } from '../domain';
import type { CaseEvent } from '../events/case';
import type { EpochMs } from '../time';

/** Which case, which event type, and the stage the case is at. */
interface Step {
  readonly caseId: string;
  readonly type: CaseEvent['type'];
  readonly stage: Stage;
}

/** The refusals without their words: one member per code. */
export type CaseRefusalData =
  /** A `case.received` for a case that exists. */
  | (Step & { readonly code: 'case_exists' })
  /** Any other event for a case that does not exist. */
  | { readonly code: 'no_case'; readonly caseId: string; readonly type: CaseEvent['type'] }
  /** The event does not fit the case's stage (`allowed`: the stages it fits). */
  | (Step & { readonly code: 'wrong_stage'; readonly allowed: readonly Stage[] })
  /** The event is dated before the case's last event by more than the clock skew allowed (ms). */
  | (Step & {
      readonly code: 'before_last_event';
      readonly ts: EpochMs;
      readonly lastTs: EpochMs;
      readonly skewMs: number;
    })
  /** A reopen of a case that is not rated unsatisfied. */
  | (Step & { readonly code: 'not_unsatisfied'; readonly rating: Rating | null })
  /** An exemption of a case that is already exempt. */
  | (Step & { readonly code: 'already_exempt' })
  /** A merge of a case into itself. */
  | (Step & { readonly code: 'self_merge' })
  /** A new deadline (`case.supervised`, `case.extension_approved`) not after the event time. */
  | (Step & { readonly code: 'deadline_not_after'; readonly deadline: EpochMs; readonly ts: EpochMs })
  /** A merge into a master case that does not exist. */
  | { readonly code: 'no_master'; readonly caseId: string; readonly masterCaseId: string }
  /** A merge into a master case that is itself merged. */
  | { readonly code: 'master_merged'; readonly caseId: string; readonly masterCaseId: string };

/** A refusal: its code and data, and `why` in words. */
export type CaseRefusal = CaseRefusalData & { readonly why: string };

/** The refusal of `data`, with its words. */
export function refusal(data: CaseRefusalData): CaseRefusal {
  return { ...data, why: whyOf(data) };
}

function whyOf(r: CaseRefusalData): string {
  switch (r.code) {
    case 'case_exists':
      return misfit(r, 'the case already exists');
    case 'no_case':
      return `case ${r.caseId} does not exist; ${r.type} needs a case.received first`;
    case 'wrong_stage':
      return misfit(r, `allowed from ${r.allowed.join('/')}`);
    case 'before_last_event':
      return misfit(
        r,
        `event time ${iso(r.ts)} is before the case's last event ${iso(r.lastTs)}${r.skewMs > 0 ? ` by more than the ${r.skewMs / 1000} s of clock skew allowed` : ''}`,
      );
    case 'not_unsatisfied':
      return misfit(r, `only an unsatisfied case is reopened; rating is ${r.rating ?? 'none'}`);
    case 'already_exempt':
      return misfit(r, 'the case is already exempt');
    case 'self_merge':
      return misfit(r, 'a case cannot be merged into itself');
    case 'deadline_not_after':
      return misfit(r, 'the new deadline is not after the event time');
    case 'no_master':
      return `case ${r.caseId}: case.merged needs an existing master case; ${r.masterCaseId} does not exist`;
    case 'master_merged':
      return `case ${r.caseId}: case.merged needs an existing master case; ${r.masterCaseId} is itself merged`;
    default:
      return assertNever(r);
  }
}

function misfit(s: Step, why: string): string {
  return `case ${s.caseId} is ${s.stage}: ${s.type} does not fit (${why})`;
}

function iso(ts: EpochMs): string {
  return new Date(ts).toISOString();
}
