/**
 * The decider of supervisor commands on a case (督办, 催办, 领导批示, 延期批准, 不计考核, 合并): a command becomes the one
 * event the log records (who, when, why: the audit trail), or a refusal — judged by the lifecycle's own rules and the
 * merge-master rule, the same that the fold applies. Pure: the time, the event id and the other cases are passed in.
 */
import { assertNever } from '../domain';
import type { CaseEvent } from '../events/case';
import type { EpochMs } from '../time';
import type { CaseAction } from './actions';
import { judgeCaseEvent, judgeMergeMaster, type LifecycleContext } from './lifecycle';
import type { CaseRefusal } from './refusals';
import type { CaseState } from './state';

/** A supervisor command: an action (the request body, `caseActionSchema`) on case `caseId` by `actor`. */
export type CaseCommand = CaseAction & { readonly caseId: string; readonly actor: string };

/** The events supervisor commands become. */
export type ActionEvent = Extract<
  CaseEvent,
  {
    type:
      | 'case.supervised'
      | 'case.reminded'
      | 'case.escalated'
      | 'case.extension_approved'
      | 'case.exempted'
      | 'case.merged';
  }
>;

/** What a decision needs besides the case and the command. */
export interface DecideContext {
  /** The space's clock, ms: the event is dated at it, or at the case's last event when that is later. */
  readonly now: EpochMs;
  /** A fresh id for the event. */
  readonly eventId: string;
  /** The space's lifecycle context (calendar, limits). */
  readonly lifecycle: LifecycleContext;
  /** Another case of the same space (a merge's master), undefined when there is none. */
  readonly caseOf: (caseId: string) => CaseState | undefined;
}

/** A decision: the event to ingest, or why not. */
export type Decision =
  { readonly ok: true; readonly event: ActionEvent } | { readonly ok: false; readonly refusal: CaseRefusal };

/** Decides `command` on the case `state` (undefined when there is no such case). */
export function decide(state: CaseState | undefined, command: CaseCommand, ctx: DecideContext): Decision {
  // Dated no earlier than the case's last event: producers' clocks may run ahead of the space's.
  const event = actionEvent(command, ctx.eventId, state ? Math.max(ctx.now, state.updatedAt) : ctx.now);
  const refused =
    judgeCaseEvent(state, event, ctx.lifecycle) ??
    (event.type === 'case.merged' ? judgeMergeMaster(event, ctx.caseOf(event.masterCaseId)) : null);
  return refused ? { ok: false, refusal: refused } : { ok: true, event };
}

/** The event `c` becomes, with id `eventId`, at `ts` (ms). */
function actionEvent(c: CaseCommand, eventId: string, ts: EpochMs): ActionEvent {
  const base = { eventId, ts, caseId: c.caseId, actor: c.actor };
  switch (c.kind) {
    case 'supervise':
      return {
        ...base,
        type: 'case.supervised',
        message: c.message,
        ...(c.newDeadline !== undefined ? { newDeadline: c.newDeadline } : {}),
      };
    case 'remind':
      return { ...base, type: 'case.reminded', ...(c.message ? { message: c.message } : {}) };
    case 'escalate':
      return { ...base, type: 'case.escalated', note: c.note, ...(c.leader ? { leader: c.leader } : {}) };
    case 'approve_extension':
      return { ...base, type: 'case.extension_approved', until: c.until };
    case 'exempt':
      return { ...base, type: 'case.exempted', reason: c.reason };
    case 'merge':
      return { ...base, type: 'case.merged', masterCaseId: c.masterCaseId };
    default:
      return assertNever(c);
  }
}
