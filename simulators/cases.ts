/**
 * A case's whole life, decided when it is received: each step's time drawn relative to the case's own deadlines (a
 * fraction of the allowed time; a few percent beyond 1, i.e. late), in the order the lifecycle reducer accepts.
 */
import type { Channel, Rating } from '@shared/domain';
import type { DomainEventInput } from '@shared/events';
import { addWorkingMinutes, computeDeadline, workingMinutesBetween, type SlaEnv } from '@shared/sla/deadline';
import { limitFor, type SlaClock, type SlaRules } from '@shared/sla/rules';
import { MINUTE_MS, type EpochMs } from '@shared/time';
import { DIRECT_REPLIES, REPLIES, type CaseDraw, type District } from './district';
import type { Rng } from './random';

type WithoutId<E> = E extends unknown ? Omit<E, 'eventId'> : never;
/** An event as the simulation builds it; the kernel adds the event id when it is emitted. */
export type EventBody = WithoutId<DomainEventInput>;

/** What planning needs: the random stream, the working calendar, the limits, the district. */
export interface PlanContext {
  readonly rng: Rng;
  readonly env: SlaEnv;
  readonly rules: SlaRules;
  readonly district: District;
}

/** Where a case comes from. */
export interface CaseOrigin {
  readonly caseId: string;
  readonly channel: Channel;
  readonly ts: EpochMs;
  readonly agentId?: string;
  readonly callId?: string;
}

/** Probabilities of the lifecycle's branches, so a generated day meets the real figures: most on time, satisfaction ≈ 97%. */
export const LIFECYCLE_ODDS = {
  /** Hotline consultations and praise answered on the call (直接办结). */
  directConsult: 0.55,
  directPraise: 0.6,
  returned: 0.01,
  signLate: 0.03,
  replyLate: 0.04,
  qcRejected: 0.03,
  callbackLate: 0.01,
  notReached: 0.02,
  satisfied: 0.9,
  basicallySatisfied: 0.075,
  reopenUnsatisfied: 0.5,
} as const;

/** The instant a fraction `f` of a clock's allowed time after `start` (calendar or working time, as the limit counts). */
export function pointInLimit(
  ctx: PlanContext,
  clock: SlaClock,
  c: CaseDraw & { channel: Channel },
  start: EpochMs,
  f: number,
): EpochMs {
  const limit = limitFor(ctx.rules, clock, c);
  const deadline = computeDeadline(ctx.env, limit, start);
  if (limit.unit === 'calendar_minutes') return Math.ceil(start + f * (deadline - start));
  return Math.ceil(addWorkingMinutes(ctx.env, start, f * workingMinutesBetween(ctx.env, start, deadline)));
}

/** A builder of one case's steps keeping times non-decreasing. */
class Steps {
  readonly list: EventBody[] = [];
  last: EpochMs;
  constructor(
    readonly caseId: string,
    start: EpochMs,
  ) {
    this.last = start;
  }
  /** Adds a step at `ts` (or at the previous step's time if earlier). */
  add(ts: EpochMs, body: (ts: EpochMs, caseId: string) => EventBody): EpochMs {
    this.last = Math.max(this.last, Math.ceil(ts));
    this.list.push(body(this.last, this.caseId));
    return this.last;
  }
}

/** Plans every event of a new case, `case.received` first. */
export function planCase(ctx: PlanContext, o: CaseOrigin, d: CaseDraw): EventBody[] {
  const { rng } = ctx;
  const s = new Steps(o.caseId, o.ts);
  s.add(o.ts, (ts, caseId) => ({
    type: 'case.received',
    ts,
    caseId,
    channel: o.channel,
    caseType: d.caseType,
    urgency: d.urgency,
    flags: d.flags,
    category: d.category,
    street: d.street,
    title: d.title,
    ...(o.agentId ? { agentId: o.agentId } : {}),
    ...(o.callId ? { callId: o.callId } : {}),
  }));
  const direct =
    o.channel === 'hotline' &&
    d.urgency === 'normal' &&
    ((d.caseType === 'consult' && rng.chance(LIFECYCLE_ODDS.directConsult)) ||
      (d.caseType === 'praise' && rng.chance(LIFECYCLE_ODDS.directPraise)));
  if (direct) {
    s.add(o.ts, (ts, caseId) => ({ type: 'case.closed_directly', ts, caseId, reply: rng.pick(DIRECT_REPLIES) }));
    return s.list;
  }
  const c = { ...d, channel: o.channel };
  const fast = d.urgency === 'urgent' ? 0.2 : 1;
  s.add(o.ts + rng.uniform(1, 8) * fast * MINUTE_MS, (ts, caseId) => ({ type: 'case.registered', ts, caseId }));
  let unit = d.unit;
  let dispatchedAt = s.add(s.last + rng.uniform(1, 12) * fast * MINUTE_MS, (ts, caseId) => ({
    type: 'case.dispatched',
    ts,
    caseId,
    unit,
  }));
  if (rng.chance(LIFECYCLE_ODDS.returned)) {
    s.add(pointInLimit(ctx, 'sign', c, dispatchedAt, rng.uniform(0.1, 0.7)), (ts, caseId) => ({
      type: 'case.returned',
      ts,
      caseId,
      reason: '非本单位职责，申请退回',
    }));
    unit = ctx.district.redirectUnit(rng, unit, d.category, d.street);
    const next = unit;
    dispatchedAt = s.add(s.last + rng.uniform(5, 30) * MINUTE_MS, (ts, caseId) => ({
      type: 'case.dispatched',
      ts,
      caseId,
      unit: next,
    }));
  }
  handle(ctx, s, c, dispatchedAt);
  const rating = callBack(ctx, s, c);
  if (rating === 'unsatisfied' && rng.chance(LIFECYCLE_ODDS.reopenUnsatisfied)) {
    const reopenedAt = s.add(addWorkingMinutes(ctx.env, s.last, rng.uniform(10, 120)), (ts, caseId) => ({
      type: 'case.reopened',
      ts,
      caseId,
      reason: '市民不满意，二次重办',
    }));
    handle(ctx, s, c, reopenedAt);
    callBack(ctx, s, c, true);
  }
  s.add(addWorkingMinutes(ctx.env, s.last, rng.uniform(1, 60)), (ts, caseId) => ({ type: 'case.closed', ts, caseId }));
  return s.list;
}

/** Sign-for, processing, reply (with 督办 when late), quality check (with a redo when rejected). `from` starts the clocks. */
function handle(ctx: PlanContext, s: Steps, c: CaseDraw & { channel: Channel }, from: EpochMs): void {
  const { rng } = ctx;
  const signF = rng.chance(LIFECYCLE_ODDS.signLate) ? rng.uniform(1.05, 1.8) : Math.min(0.97, rng.beta(1.3, 4));
  const signedAt = s.add(pointInLimit(ctx, 'sign', c, from, signF), (ts, caseId) => ({
    type: 'case.signed',
    ts,
    caseId,
  }));
  const fast = c.urgency === 'urgent' ? 0.1 : 1;
  s.add(signedAt + rng.uniform(1, 30) * fast * MINUTE_MS, (ts, caseId) => ({ type: 'case.processing', ts, caseId }));
  reply(ctx, s, c, from);
  const qcAt = addWorkingMinutes(ctx.env, s.last, rng.uniform(5, 120));
  if (rng.chance(LIFECYCLE_ODDS.qcRejected)) {
    const rejectedAt = s.add(qcAt, (ts, caseId) => ({
      type: 'case.quality_checked',
      ts,
      caseId,
      passed: false,
      reason: '回复内容不完整，驳回重办',
    }));
    reply(ctx, s, c, rejectedAt, 0.6);
    s.add(addWorkingMinutes(ctx.env, s.last, rng.uniform(5, 120)), (ts, caseId) => ({
      type: 'case.quality_checked',
      ts,
      caseId,
      passed: true,
    }));
  } else {
    s.add(qcAt, (ts, caseId) => ({ type: 'case.quality_checked', ts, caseId, passed: true }));
  }
}

/** The reply at a drawn fraction of the handling limit from `from`; a late one is urged (督办) at its deadline first. */
function reply(ctx: PlanContext, s: Steps, c: CaseDraw & { channel: Channel }, from: EpochMs, scale = 1): void {
  const { rng } = ctx;
  const late = rng.chance(LIFECYCLE_ODDS.replyLate);
  const f = late ? rng.uniform(1.03, 1.5) : Math.min(0.97, scale * rng.beta(1.5, 3.5));
  const at = Math.max(pointInLimit(ctx, 'handle', c, from, f), s.last + MINUTE_MS);
  if (late) {
    const urgeAt = pointInLimit(ctx, 'handle', c, from, rng.uniform(1, Math.min(f, 1.1)));
    if (urgeAt > s.last && urgeAt < at)
      s.add(urgeAt, (ts, caseId) => ({
        type: 'case.supervised',
        ts,
        caseId,
        message: '已超办理时限，请尽快办结并回复',
      }));
  }
  s.add(at, (ts, caseId) => ({ type: 'case.replied', ts, caseId, reply: rng.pick(REPLIES) }));
}

/** Callback (回访) within the callback limit of the last reply and the evaluation; a citizen not reached closes it. */
function callBack(ctx: PlanContext, s: Steps, c: CaseDraw & { channel: Channel }, second = false): Rating | null {
  const { rng } = ctx;
  const repliedAt = lastOf(s, 'case.replied');
  const f = rng.chance(LIFECYCLE_ODDS.callbackLate) ? rng.uniform(1.05, 1.5) : Math.min(0.97, rng.beta(2, 3));
  const calledAt = Math.max(pointInLimit(ctx, 'callback', c, repliedAt, f), s.last + MINUTE_MS);
  const reached = !rng.chance(LIFECYCLE_ODDS.notReached);
  s.add(calledAt, (ts, caseId) => ({ type: 'case.called_back', ts, caseId, reached }));
  if (!reached) return null;
  const r = rng.next();
  const sat = second ? 0.7 : LIFECYCLE_ODDS.satisfied;
  const basic = second ? 0.2 : LIFECYCLE_ODDS.basicallySatisfied;
  const rating: Rating = r < sat ? 'satisfied' : r < sat + basic ? 'basically_satisfied' : 'unsatisfied';
  s.add(calledAt + rng.uniform(1, 5) * MINUTE_MS, (ts, caseId) => ({ type: 'case.evaluated', ts, caseId, rating }));
  return rating;
}

function lastOf(s: Steps, type: EventBody['type']): EpochMs {
  for (let i = s.list.length - 1; i >= 0; i--) {
    const e = s.list[i];
    if (e?.type === type) return e.ts;
  }
  return s.last;
}
