/**
 * The case lifecycle reducer: every transition from 受理 to 结案 (with 退单, 驳回重办 and 二次重办 going back), deadline
 * clocks started, moved and stopped.
 * An event that does not fit the case's state is refused (`judgeCaseEvent`) with a reason naming the case, its stage
 * and the event; the merge-master rule (`judgeMergeMaster`) needs the master's state too.
 */
import { assertNever, type Stage } from '../domain';
import type { CaseEvent, CaseReceived } from '../events/case';
import { computeDeadline, type SlaEnv } from '../sla/deadline';
import { stoppedOnTime } from '../sla/lateness';
import { limitFor, type SlaClock, type SlaRules } from '../sla/rules';
import type { EpochMs } from '../time';
import { refusal, type CaseRefusal } from './refusals';
import type { CaseState, ClockState } from './state';

/**
 * What the reducer needs besides the events: the working calendar, the limits, and how long (ms, default 0) a step may
 * be dated before the case's last event and still fit (units' clocks run a little slow or fast).
 */
export interface LifecycleContext {
  readonly env: SlaEnv;
  readonly rules: SlaRules;
  readonly stepSkewMs?: number;
}

/** The outcome of applying one event to a case. */
export type CaseTransition =
  { readonly ok: true; readonly state: CaseState } | { readonly ok: false; readonly reason: string };

type Other = Exclude<CaseEvent, CaseReceived>;
const OPEN: readonly Stage[] = [
  'received',
  'registered',
  'dispatched',
  'signed',
  'processing',
  'replied',
  'checked',
  'called_back',
  'evaluated',
];

/** Stages from which each event may be applied. */
export const ALLOWED_FROM: Readonly<Record<Other['type'], readonly Stage[]>> = {
  'case.registered': ['received'],
  'case.dispatched': ['received', 'registered'],
  'case.returned': ['dispatched', 'signed'],
  'case.signed': ['dispatched'],
  'case.processing': ['signed'],
  'case.replied': ['signed', 'processing'],
  'case.closed_directly': ['received'],
  'case.quality_checked': ['replied'],
  'case.called_back': ['replied', 'checked'],
  'case.evaluated': ['called_back'],
  'case.reopened': ['evaluated'],
  'case.closed': ['replied', 'checked', 'called_back', 'evaluated'],
  'case.supervised': OPEN,
  'case.reminded': OPEN,
  'case.escalated': OPEN,
  'case.extension_requested': ['dispatched', 'signed', 'processing'],
  'case.extension_approved': ['dispatched', 'signed', 'processing'],
  'case.exempted': [...OPEN, 'closed'],
  'case.merged': OPEN,
};

/**
 * Why case event `e` does not fit the case `prev` (undefined before `case.received`), or null when it fits: the stage,
 * the event time (no earlier than the case's last event, less the skew allowed) and the conditions of each event.
 */
export function judgeCaseEvent(prev: CaseState | undefined, e: CaseEvent, ctx: LifecycleContext): CaseRefusal | null {
  if (e.type === 'case.received')
    return prev ? refusal({ code: 'case_exists', caseId: e.caseId, type: e.type, stage: prev.stage }) : null;
  if (!prev) return refusal({ code: 'no_case', caseId: e.caseId, type: e.type });
  const allowed = ALLOWED_FROM[e.type];
  if (!allowed.includes(prev.stage))
    return refusal({ code: 'wrong_stage', caseId: e.caseId, type: e.type, stage: prev.stage, allowed });
  const skewMs = ctx.stepSkewMs ?? 0;
  if (e.ts < prev.updatedAt - skewMs)
    return refusal({
      code: 'before_last_event',
      caseId: e.caseId,
      type: e.type,
      stage: prev.stage,
      ts: e.ts,
      lastTs: prev.updatedAt,
      skewMs,
    });
  return guardOf(prev, e);
}

/**
 * The merge-master rule: a duplicate (`e.caseId`) joins only a master case that exists (`master`, undefined when there
 * is none) and is not itself merged. Null when it may.
 */
export function judgeMergeMaster(
  e: { readonly caseId: string; readonly masterCaseId: string },
  master: CaseState | undefined,
): CaseRefusal | null {
  if (!master) return refusal({ code: 'no_master', caseId: e.caseId, masterCaseId: e.masterCaseId });
  return master.stage === 'merged'
    ? refusal({ code: 'master_merged', caseId: e.caseId, masterCaseId: e.masterCaseId })
    : null;
}

/** Applies one case event to the case's state (undefined before `case.received`). Pure: returns a new state. */
export function applyCaseEvent(prev: CaseState | undefined, e: CaseEvent, ctx: LifecycleContext): CaseTransition {
  const refused = judgeCaseEvent(prev, e, ctx);
  if (refused) return { ok: false, reason: refused.why };
  if (e.type === 'case.received') return { ok: true, state: receive(e) };
  // Judged above: every event but case.received fits only a case that exists.
  const from = prev!;
  // `transition` always returns a fresh object: stamping it in place saves a second copy of every field per event.
  const state = transition(from, e, ctx);
  // A step dated a little before the last one (tolerated skew) does not move the case's time back.
  state.updatedAt = Math.max(e.ts, from.updatedAt);
  return { ok: true, state };
}

/** Extra conditions beyond the stage (the refusal is built only when there is one: this runs for every event). */
function guardOf(c: CaseState, e: Other): CaseRefusal | null {
  switch (e.type) {
    case 'case.reopened':
      return c.rating === 'unsatisfied'
        ? null
        : refusal({ code: 'not_unsatisfied', caseId: e.caseId, type: e.type, stage: c.stage, rating: c.rating });
    case 'case.exempted':
      return c.exempt ? refusal({ code: 'already_exempt', caseId: e.caseId, type: e.type, stage: c.stage }) : null;
    case 'case.merged':
      return e.masterCaseId === c.id
        ? refusal({ code: 'self_merge', caseId: e.caseId, type: e.type, stage: c.stage })
        : null;
    case 'case.extension_approved':
      return e.until <= e.ts ? lateDeadline(c, e, e.until) : null;
    case 'case.supervised':
      return e.newDeadline !== undefined && e.newDeadline <= e.ts ? lateDeadline(c, e, e.newDeadline) : null;
    default:
      return null;
  }
}

function lateDeadline(c: CaseState, e: Other, deadline: EpochMs): CaseRefusal {
  return refusal({ code: 'deadline_not_after', caseId: e.caseId, type: e.type, stage: c.stage, deadline, ts: e.ts });
}

/** The empty list every case without flags or duplicates shares (a case's lists are replaced, never changed). */
const NONE: readonly never[] = Object.freeze([]);

function receive(e: CaseReceived): CaseState {
  return {
    id: e.caseId,
    channel: e.channel,
    caseType: e.caseType,
    urgency: e.urgency,
    flags: e.flags.length === 0 ? NONE : e.flags,
    category: e.category,
    street: e.street,
    community: e.community ?? null,
    lat: e.lat ?? null,
    lng: e.lng ?? null,
    title: e.title,
    agentId: e.agentId ?? null,
    receivedAt: e.ts,
    stage: 'received',
    unit: null,
    sign: null,
    handle: null,
    callback: null,
    dispatchedAt: null,
    signedAt: null,
    repliedAt: null,
    calledBackAt: null,
    closedAt: null,
    rating: null,
    evaluations: 0,
    satisfiedEvaluations: 0,
    signedOnTime: null,
    repliedOnTime: null,
    redoCount: 0,
    reopenCount: 0,
    awaitingResign: false,
    supervisedCount: 0,
    remindedCount: 0,
    escalated: false,
    extensionRequestedUntil: null,
    exempt: false,
    masterId: null,
    duplicates: NONE,
    updatedAt: e.ts,
  };
}

/** Starts a clock of the case's kind at `start`. */
export function startClock(c: CaseState, clock: SlaClock, start: EpochMs, ctx: LifecycleContext): ClockState {
  const limit = limitFor(ctx.rules, clock, {
    channel: c.channel,
    caseType: c.caseType,
    urgency: c.urgency,
    category: c.category,
  });
  return { start, limit, deadline: computeDeadline(ctx.env, limit, start), stoppedAt: null };
}

function stop(clock: ClockState | null, at: EpochMs): ClockState | null {
  return clock && clock.stoppedAt === null
    ? { start: clock.start, limit: clock.limit, deadline: clock.deadline, stoppedAt: at }
    : clock;
}

function moveRunning(clock: ClockState | null, deadline: EpochMs): ClockState | null {
  return clock && clock.stoppedAt === null
    ? { start: clock.start, limit: clock.limit, deadline, stoppedAt: null }
    : clock;
}

/** A state still being built (only ever a fresh object that no one else holds). */
type Building = { -readonly [K in keyof CaseState]: CaseState[K] };

/**
 * A copy of a case's state, field by field: the same fields in the same order as `{ ...c }`, but a literal of one
 * shape, which V8 builds many times faster than a spread of this many fields (this runs for every case event).
 */
function copyCase(c: CaseState): Building {
  return {
    id: c.id,
    channel: c.channel,
    caseType: c.caseType,
    urgency: c.urgency,
    flags: c.flags,
    category: c.category,
    street: c.street,
    community: c.community,
    lat: c.lat,
    lng: c.lng,
    title: c.title,
    agentId: c.agentId,
    receivedAt: c.receivedAt,
    stage: c.stage,
    unit: c.unit,
    sign: c.sign,
    handle: c.handle,
    callback: c.callback,
    dispatchedAt: c.dispatchedAt,
    signedAt: c.signedAt,
    repliedAt: c.repliedAt,
    calledBackAt: c.calledBackAt,
    closedAt: c.closedAt,
    rating: c.rating,
    evaluations: c.evaluations,
    satisfiedEvaluations: c.satisfiedEvaluations,
    signedOnTime: c.signedOnTime,
    repliedOnTime: c.repliedOnTime,
    redoCount: c.redoCount,
    reopenCount: c.reopenCount,
    awaitingResign: c.awaitingResign,
    supervisedCount: c.supervisedCount,
    remindedCount: c.remindedCount,
    escalated: c.escalated,
    extensionRequestedUntil: c.extensionRequestedUntil,
    exempt: c.exempt,
    masterId: c.masterId,
    duplicates: c.duplicates,
    updatedAt: c.updatedAt,
  };
}

/** The next state, always a new object (the caller stamps `updatedAt` on it). */
function transition(c: CaseState, e: Other, ctx: LifecycleContext): Building {
  const s = copyCase(c);
  switch (e.type) {
    case 'case.registered':
      s.stage = 'registered';
      return s;
    case 'case.dispatched':
      s.stage = 'dispatched';
      s.unit = e.unit;
      s.dispatchedAt = c.dispatchedAt ?? e.ts;
      s.sign = startClock(c, 'sign', e.ts, ctx);
      s.handle = startClock(c, 'handle', e.ts, ctx);
      return s;
    case 'case.returned':
      s.stage = 'registered';
      s.unit = null;
      s.sign = null;
      s.handle = null;
      s.awaitingResign = false;
      return s;
    case 'case.signed':
      s.stage = 'signed';
      s.awaitingResign = false;
      s.signedAt = c.signedAt ?? e.ts;
      s.sign = stop(c.sign, e.ts);
      s.signedOnTime = s.sign === null ? c.signedOnTime : stoppedOnTime(s.sign);
      return s;
    case 'case.processing':
      s.stage = 'processing';
      return s;
    case 'case.replied':
      s.stage = 'replied';
      s.repliedAt = e.ts;
      s.handle = stop(c.handle, e.ts);
      s.repliedOnTime = s.handle === null ? c.repliedOnTime : stoppedOnTime(s.handle);
      s.callback = startClock(c, 'callback', e.ts, ctx);
      return s;
    case 'case.closed_directly':
      s.stage = 'closed';
      s.closedAt = e.ts;
      return s;
    case 'case.quality_checked':
      if (e.passed) {
        s.stage = 'checked';
        return s;
      }
      s.stage = 'processing';
      s.redoCount = c.redoCount + 1;
      s.callback = null;
      s.handle = startClock(c, 'handle', e.ts, ctx);
      return s;
    case 'case.called_back':
      s.stage = 'called_back';
      s.calledBackAt = c.calledBackAt ?? e.ts;
      s.callback = stop(c.callback, e.ts);
      return s;
    case 'case.evaluated':
      s.stage = 'evaluated';
      s.rating = e.rating;
      s.evaluations = c.evaluations + 1;
      s.satisfiedEvaluations = c.satisfiedEvaluations + (e.rating === 'unsatisfied' ? 0 : 1);
      return s;
    case 'case.reopened':
      s.stage = 'dispatched';
      s.reopenCount = c.reopenCount + 1;
      s.awaitingResign = true;
      s.rating = null;
      s.callback = null;
      s.sign = startClock(c, 'sign', e.ts, ctx);
      s.handle = startClock(c, 'handle', e.ts, ctx);
      return s;
    case 'case.closed':
      s.stage = 'closed';
      s.closedAt = e.ts;
      s.sign = stop(c.sign, e.ts);
      s.handle = stop(c.handle, e.ts);
      s.callback = stop(c.callback, e.ts);
      return s;
    case 'case.supervised':
      s.supervisedCount = c.supervisedCount + 1;
      if (e.newDeadline !== undefined) s.handle = moveRunning(c.handle, e.newDeadline);
      return s;
    case 'case.reminded':
      s.remindedCount = c.remindedCount + 1;
      return s;
    case 'case.escalated':
      s.escalated = true;
      return s;
    case 'case.extension_requested':
      s.extensionRequestedUntil = e.until;
      return s;
    case 'case.extension_approved':
      s.extensionRequestedUntil = null;
      s.handle = moveRunning(c.handle, e.until);
      return s;
    case 'case.exempted':
      s.exempt = true;
      return s;
    case 'case.merged':
      s.stage = 'merged';
      s.masterId = e.masterCaseId;
      s.closedAt = e.ts;
      s.sign = stop(c.sign, e.ts);
      s.handle = stop(c.handle, e.ts);
      s.callback = stop(c.callback, e.ts);
      return s;
    default:
      return assertNever(e);
  }
}
