/** Folds case events into a space's projection: the case map, the open set, the day counters, the ticker. */
import { CHANNEL_LABELS, FLAG_LABELS, URGENCY_LABELS, type CaseFlag, type Rating } from '../domain';
import { applyCaseEvent, judgeMergeMaster } from '../cases/lifecycle';
import { isTerminal, type CaseState } from '../cases/state';
import type { CaseEvent, CaseReceived } from '../events/case';
import { subtractCaseCounts, type CaseCounts } from '../kpi/rates';
import { pastDeadline } from '../sla/lateness';
import { shanghaiDateKey, shanghaiHour } from '../time';
import { raiseAlert } from './alerts';
import { emptyDay, unitCounts, unitShare, type DayFigures } from './day';
import type { SpaceProjection } from './state';

/** The day figures of an instant's civil day, created on first use. */
export function dayOf(p: SpaceProjection, ts: number): DayFigures {
  const key = shanghaiDateKey(ts);
  let d = p.days.get(key);
  if (!d) p.days.set(key, (d = emptyDay(key)));
  return d;
}

/** Applies a case event; returns null when applied, or the reason it was refused. */
export function foldCaseEvent(p: SpaceProjection, e: CaseEvent): string | null {
  const held = p.cases.get(e.caseId);
  // A replayed case.received creates its case: the archive may already hold it, being ahead of the replay.
  if (!held && p.archive !== null && !(p.replaying && e.type === 'case.received')) {
    const archived = p.archive.get(e.caseId);
    if (archived) return foldArchived(p, archived, e);
  }
  const prev = held;
  if (e.type === 'case.merged' && !p.replaying) {
    const refused = judgeMergeMaster(e, p.cases.get(e.masterCaseId) ?? p.archive?.get(e.masterCaseId));
    if (refused) return refused.why;
  }
  const t = applyCaseEvent(prev, e, p.ctx.lifecycle);
  if (!t.ok) return t.reason;
  const next = t.state;
  p.cases.set(next.id, next);
  if (isTerminal(next.stage)) p.open.delete(next.id);
  // A case held and not closed is in the open set already (only this line adds to it): most events skip the lookup.
  else if (!prev || isTerminal(prev.stage)) p.open.add(next.id);
  if (e.type === 'case.merged') {
    const master = p.cases.get(e.masterCaseId);
    if (master) p.cases.set(master.id, { ...master, duplicates: [...master.duplicates, next.id] });
  }
  count(p, prev, next, e);
  return null;
}

/**
 * An event for a closed case that left memory: judged on its archived state when it arrives (only 不计考核 fits a
 * closed case), then folded for what the wall keeps of it — an exemption takes the case's unit counts back out. When
 * replaying the log the event was judged already, and the archive may hold the case as it is after it.
 */
function foldArchived(p: SpaceProjection, archived: CaseState, e: CaseEvent): string | null {
  if (!p.replaying) {
    const t = applyCaseEvent(archived, e, p.ctx.lifecycle);
    if (!t.ok) return t.reason;
  }
  if (e.type === 'case.exempted') exemptFromUnits(p, e.caseId);
  return null;
}

/** Lets closed cases not touched since `before` leave memory (they stay in the archive); open cases always stay. */
export function evictClosed(p: SpaceProjection, before: number): number {
  if (p.archive === null) return 0;
  let n = 0;
  for (const [id, c] of p.cases) {
    if (isTerminal(c.stage) && c.updatedAt < before) {
      p.cases.delete(id);
      n++;
    }
  }
  return n;
}

/** Moves the case's cohort (the day it was received) along the funnel when the case reaches a step the first time. */
function flow(p: SpaceProjection, prev: CaseState | undefined, c: CaseState): void {
  const f = dayOf(p, c.receivedAt).flow;
  if (!prev) {
    f.received++;
    return;
  }
  if (prev.dispatchedAt === null && c.dispatchedAt !== null) f.dispatched++;
  if (prev.signedAt === null && c.signedAt !== null) f.signed++;
  if (prev.repliedAt === null && c.repliedAt !== null) f.replied++;
  if (prev.calledBackAt === null && c.calledBackAt !== null) f.calledBack++;
  if (prev.stage !== 'closed' && c.stage === 'closed') {
    f.closed++;
    if (c.dispatchedAt === null) f.closedDirectly++;
  }
}

const NO_UNIT: readonly CaseCounts[] = [];

/**
 * Where a unit figure of the case goes on day `d`: the unit's counts and the case's own share of them (kept so an
 * exemption can take it back). Nowhere when the case has no unit or is exempt: an exempt (不计考核) case is left out
 * of unit scoring, and the unit counts are what the wall ranks units on.
 */
function unitTargets(d: DayFigures, c: CaseState): readonly CaseCounts[] {
  return c.unit === null || c.exempt ? NO_UNIT : [unitCounts(d, c.unit), unitShare(d, c.id, c.unit)];
}

/**
 * Takes everything an exempted case added to unit counts back out, on every day still kept. Each share is undone on
 * the day it was counted, so live folding and a rebuild from the log give the same figures for every kept day.
 */
function exemptFromUnits(p: SpaceProjection, caseId: string): void {
  for (const d of p.days.values()) {
    const shares = d.unitShares.get(caseId);
    if (!shares) continue;
    for (const s of shares) subtractCaseCounts(unitCounts(d, s.unit), s.counts);
    d.unitShares.delete(caseId);
  }
}

function count(p: SpaceProjection, prev: CaseState | undefined, c: CaseState, e: CaseEvent): void {
  flow(p, prev, c);
  const d = dayOf(p, e.ts);
  // Each figure goes to the day's counts and, when the case has a unit and is not exempt, to the unit's (no closures:
  // this runs per event). The day's counts are the district's figures of what happened (the wall's KPIs), not a
  // unit's score, so an exempt case stays in them, as it stays in the monthly report's case totals.
  switch (e.type) {
    case 'case.received':
      return received(p, d, e);
    case 'case.registered':
      if (c.dispatchedAt === null) d.cases.needDispatch++;
      return;
    case 'case.dispatched':
      if (prev?.stage === 'received') d.cases.needDispatch++;
      if (prev?.dispatchedAt === null) {
        d.cases.dispatched++;
        for (const u of unitTargets(d, c)) {
          u.dispatched++;
          u.needDispatch++;
        }
      }
      return;
    case 'case.signed': {
      const onTime = c.sign !== null && !pastDeadline(c.sign.deadline, e.ts);
      const resigned = prev?.awaitingResign === true;
      addSigned(d.cases, onTime, resigned);
      for (const u of unitTargets(d, c)) addSigned(u, onTime, resigned);
      return;
    }
    case 'case.replied': {
      const onTime = c.handle !== null && !pastDeadline(c.handle.deadline, e.ts);
      const emergency = c.flags.includes('emergency');
      addReplied(d.cases, onTime, emergency);
      for (const u of unitTargets(d, c)) addReplied(u, onTime, emergency);
      return;
    }
    case 'case.closed_directly':
      d.cases.closed++;
      return;
    case 'case.closed':
      d.cases.closed++;
      for (const u of unitTargets(d, c)) u.closed++;
      return;
    case 'case.quality_checked':
      if (!e.passed) {
        d.cases.rejected++;
        for (const u of unitTargets(d, c)) u.rejected++;
      }
      return;
    case 'case.called_back':
      d.cases.calledBack++;
      for (const u of unitTargets(d, c)) u.calledBack++;
      return;
    case 'case.evaluated':
      addEvaluated(d.cases, e.rating);
      for (const u of unitTargets(d, c)) addEvaluated(u, e.rating);
      return;
    case 'case.reopened':
      d.cases.reopened++;
      for (const u of unitTargets(d, c)) u.reopened++;
      return;
    case 'case.supervised':
      d.supervised++;
      raiseAlert(
        p,
        {
          id: e.eventId,
          at: e.ts,
          kind: 'supervised',
          level: 'warn',
          text: `督办 ${c.title}`,
          caseId: c.id,
          street: c.street,
        },
        false,
      );
      return;
    case 'case.exempted':
      exemptFromUnits(p, c.id);
      return;
    default:
      return;
  }
}

function addSigned(k: CaseCounts, onTime: boolean, resigned: boolean): void {
  k.signed++;
  if (onTime) k.signedOnTime++;
  if (resigned) k.reopenedSigned++;
}

function addReplied(k: CaseCounts, onTime: boolean, emergency: boolean): void {
  k.replied++;
  if (onTime) k.repliedOnTime++;
  if (emergency) {
    k.emergency++;
    if (onTime) k.emergencyOnTime++;
  }
}

function addEvaluated(k: CaseCounts, rating: Rating): void {
  k.evaluated++;
  if (rating === 'satisfied') k.satisfied++;
  else if (rating === 'basically_satisfied') k.basicallySatisfied++;
}

const FLAG_ALERTS: readonly { flag: CaseFlag; kind: 'mass' | 'sensitive' | 'emergency'; label: string }[] = [
  { flag: 'emergency', kind: 'emergency', label: FLAG_LABELS.emergency },
  { flag: 'mass', kind: 'mass', label: FLAG_LABELS.mass },
  { flag: 'sensitive', kind: 'sensitive', label: FLAG_LABELS.sensitive },
];

function received(p: SpaceProjection, d: DayFigures, e: CaseReceived): void {
  d.cases.received++;
  const hourly = d.trend[e.channel];
  hourly[shanghaiHour(e.ts)] = (hourly[shanghaiHour(e.ts)] ?? 0) + 1;
  d.byCategory.set(e.category, (d.byCategory.get(e.category) ?? 0) + 1);
  let hours = d.byCategoryHour.get(e.category);
  if (!hours) d.byCategoryHour.set(e.category, (hours = new Array<number>(24).fill(0)));
  hours[shanghaiHour(e.ts)] = (hours[shanghaiHour(e.ts)] ?? 0) + 1;
  if (e.agentId) d.agentCases.set(e.agentId, (d.agentCases.get(e.agentId) ?? 0) + 1);
  const flagged = FLAG_ALERTS.find((f) => e.flags.includes(f.flag));
  if (e.urgency !== 'urgent' && !flagged) return;
  const kind = flagged?.kind ?? 'urgent';
  const label = [
    e.urgency === 'urgent' ? URGENCY_LABELS.urgent : null,
    ...FLAG_ALERTS.filter((f) => e.flags.includes(f.flag)).map((f) => f.label),
  ]
    .filter(Boolean)
    .join('·');
  raiseAlert(
    p,
    {
      id: e.eventId,
      at: e.ts,
      kind,
      level: 'bad',
      text: `【${label}】${CHANNEL_LABELS[e.channel]} ${e.title}`,
      caseId: e.caseId,
      street: e.street,
    },
    true,
  );
}
