/**
 * A drill's summary: its log folded again from the start with the shared reducers and sampled every minute of drill
 * (event) time — so the figures are exactly what a wall would have shown — each against its target: peak queue, worst
 * hourly answer rate, highest agent load, overdue peak, and the time to clear the backlog after the peak queue.
 */
import type { DrillFigure, DrillSummary } from '@shared/drills';
import type { DomainEvent } from '@shared/events';
import { callKpis, emptyCallCounts, type CallCounts } from '@shared/kpi/callcentre';
import { dutyFigures } from '@shared/duty/figures';
import { itemLimits } from '@shared/duty/limits';
import { applyEvent } from '@shared/projection/apply';
import { scanLate } from '@shared/projection/late';
import { createProjection, type ProjectionContext, type SpaceProjection } from '@shared/projection/state';
import { HOUR_MS, MINUTE_MS, shanghaiDateKey, type EpochMs } from '@shared/time';

/** Targets a drill is read against (beyond the config's answer-rate target and load band). */
export const DRILL_TARGETS = {
  /** Calls waiting at once, at most. */
  queue: 10,
  /** Minutes from the peak queue until it is back within `queue`, at most. */
  clearMinutes: 30,
  /** Overdue cases at once, at most (the on-time target is 100%). */
  overdue: 0,
  /** Hours with fewer calls offered do not count for the worst answer rate. */
  minCallsPerHour: 20,
  /** Shares of duty items acknowledged (接报及时率) and of report limits met (信息报送及时率) in time, at least. */
  ackTimely: 0.95,
  reportTimely: 0.95,
} as const;

const SAMPLE_MS = MINUTE_MS;
const OVERDUE_EVERY = 5;

/** Folds a drill's log and samples it over [from, to]. */
export async function summariseDrill(
  space: string,
  log: AsyncIterable<readonly DomainEvent[]>,
  ctx: ProjectionContext,
  from: EpochMs,
  to: EpochMs,
): Promise<DrillSummary> {
  const p = createProjection(space, ctx);
  const hours = new Map<number, CallCounts>();
  const s = {
    samples: 0,
    next: from,
    peakQueue: 0,
    peakQueueAt: null as EpochMs | null,
    queueAfterPeak: [] as [EpochMs, number][],
    load: 0,
    loadAt: null as EpochMs | null,
    overdue: 0,
    overdueAt: null as EpochMs | null,
    received: 0,
    events: 0,
  };
  const sample = (t: EpochMs) => {
    let waiting = 0;
    for (const c of p.calls.values()) if (c.answeredAt === null) waiting++;
    if (waiting > s.peakQueue) {
      s.peakQueue = waiting;
      s.peakQueueAt = t;
      s.queueAfterPeak = [];
    }
    s.queueAfterPeak.push([t, waiting]);
    for (const n of p.days.get(shanghaiDateKey(t))?.agentCases.values() ?? [])
      if (n > s.load) {
        s.load = n;
        s.loadAt = t;
      }
    if (s.samples % OVERDUE_EVERY === 0) {
      const over = scanLate(p, t).overdue.total;
      if (over > s.overdue || s.overdueAt === null) {
        s.overdue = over;
        s.overdueAt = t;
      }
    }
    s.samples++;
  };
  for await (const chunk of log) {
    for (const e of chunk) {
      while (s.next <= to && s.next < e.ts) {
        if (s.next >= from) sample(s.next);
        s.next += SAMPLE_MS;
      }
      count(p, hours, e, from, to, s);
      applyEvent(p, e);
      s.events++;
    }
  }
  const end = Math.min(to, p.clock ?? from);
  while (s.next <= end) {
    sample(s.next);
    s.next += SAMPLE_MS;
  }
  return {
    space,
    from,
    to,
    reached: p.clock,
    events: s.events,
    samples: s.samples,
    totals: totals(hours, s.received),
    figures: [...figures(ctx, s, hours), ...deskFigures(p, from, to, end)],
  };
}

/**
 * The duty desk's figures of the items raised in the window: a drill nobody answers scores 0. The acknowledgement
 * figure's moment is when the first item not acknowledged in time was raised (the moment to review), if any.
 */
function deskFigures(p: SpaceProjection, from: EpochMs, to: EpochMs, end: EpochMs): DrillFigure[] {
  const duty = p.ctx.config.duty;
  const f = dutyFigures(p.items.values(), duty, p.ctx.lifecycle.env, from, to + 1, end);
  let unanswered: EpochMs | null = null;
  for (const it of p.items.values()) {
    if (it.since < from || it.since > to || (unanswered !== null && it.openedAt >= unanswered)) continue;
    const ack = itemLimits(duty, p.ctx.lifecycle.env, it, end, 1).ack.state;
    if (ack === 'late' || ack === 'red') unanswered = it.openedAt;
  }
  const min = (v: number | null, target: number) => (v === null ? null : v >= target);
  return [
    {
      key: 'ackTimely',
      label: '接报及时率 acknowledged in time',
      value: f.ackTimely,
      unit: 'fraction',
      target: DRILL_TARGETS.ackTimely,
      targetKind: 'min',
      met: min(f.ackTimely, DRILL_TARGETS.ackTimely),
      at: unanswered,
    },
    {
      key: 'medianAckMinutes',
      label: '接报中位用时 median time to acknowledge',
      value: f.medianAckMin,
      unit: 'minutes',
      target: duty.kinds.case.ackMin,
      targetKind: 'max',
      met: f.medianAckMin === null ? (f.ackJudged > 0 ? false : null) : f.medianAckMin <= duty.kinds.case.ackMin,
      at: null,
    },
    {
      key: 'reportTimely',
      label: '信息报送及时率 reported in time',
      value: f.reportTimely,
      unit: 'fraction',
      target: DRILL_TARGETS.reportTimely,
      targetKind: 'min',
      met: min(f.reportTimely, DRILL_TARGETS.reportTimely),
      at: null,
    },
  ];
}

/** Counts calls by the hour they were offered in (for the hourly answer rate) and cases received, within the window. */
function count(
  p: SpaceProjection,
  hours: Map<number, CallCounts>,
  e: DomainEvent,
  from: EpochMs,
  to: EpochMs,
  s: { received: number },
): void {
  const bucket = (ts: EpochMs) => {
    const h = Math.floor(ts / HOUR_MS);
    let c = hours.get(h);
    if (!c) hours.set(h, (c = emptyCallCounts()));
    return c;
  };
  const inWindow = (ts: EpochMs) => ts >= from && ts <= to;
  if (e.type === 'call.offered' && inWindow(e.ts)) bucket(e.ts).offered++;
  else if (e.type === 'call.answered') {
    const offeredAt = p.calls.get(e.callId)?.offeredAt;
    if (offeredAt !== undefined && inWindow(offeredAt)) bucket(offeredAt).answered++;
  } else if (e.type === 'case.received' && inWindow(e.ts)) s.received++;
}

function totals(hours: Map<number, CallCounts>, received: number): DrillSummary['totals'] {
  const all = emptyCallCounts();
  for (const c of hours.values()) {
    all.offered += c.offered;
    all.answered += c.answered;
  }
  return {
    offered: all.offered,
    answered: all.answered,
    answerRate: callKpis(all).answerRate,
    casesReceived: received,
  };
}

type Sampled = {
  peakQueue: number;
  peakQueueAt: EpochMs | null;
  queueAfterPeak: [EpochMs, number][];
  load: number;
  loadAt: EpochMs | null;
  overdue: number;
  overdueAt: EpochMs | null;
  samples: number;
};

function figures(ctx: ProjectionContext, s: Sampled, hours: Map<number, CallCounts>): DrillFigure[] {
  const max = (value: number | null, target: number) => (value === null ? null : value <= target);
  let worst: number | null = null;
  let worstAt: EpochMs | null = null;
  for (const [h, c] of [...hours].sort((a, b) => a[0] - b[0])) {
    const rate = c.offered >= DRILL_TARGETS.minCallsPerHour ? callKpis(c).answerRate : null;
    if (rate !== null && (worst === null || rate < worst)) {
      worst = rate;
      worstAt = h * HOUR_MS;
    }
  }
  const answerTarget = ctx.config.targets.answerRate;
  const cleared =
    s.peakQueue <= DRILL_TARGETS.queue
      ? s.peakQueueAt
      : (s.queueAfterPeak.find(([, n]) => n <= DRILL_TARGETS.queue)?.[0] ?? null);
  const clearMin =
    s.peakQueueAt === null
      ? s.samples > 0
        ? 0
        : null
      : cleared === null
        ? null
        : Math.round((cleared - s.peakQueueAt) / MINUTE_MS);
  return [
    {
      key: 'peakQueue',
      label: '最长排队 peak queue',
      value: s.samples > 0 ? s.peakQueue : null,
      unit: 'calls',
      target: DRILL_TARGETS.queue,
      targetKind: 'max',
      met: s.samples > 0 ? s.peakQueue <= DRILL_TARGETS.queue : null,
      at: s.peakQueueAt,
    },
    {
      key: 'worstAnswerRate',
      label: '最低小时接通率 worst answer rate',
      value: worst,
      unit: 'fraction',
      target: answerTarget,
      targetKind: 'min',
      met: worst === null ? null : worst >= answerTarget,
      at: worstAt,
    },
    {
      key: 'highestAgentLoad',
      label: '最高人均接件 highest agent load',
      value: s.samples > 0 ? s.load : null,
      unit: 'cases',
      target: ctx.config.loadBand.max,
      targetKind: 'max',
      met: s.samples > 0 ? s.load <= ctx.config.loadBand.max : null,
      at: s.loadAt,
    },
    {
      key: 'overduePeak',
      label: '超期峰值 overdue peak',
      value: s.samples > 0 ? s.overdue : null,
      unit: 'cases',
      target: DRILL_TARGETS.overdue,
      targetKind: 'max',
      met: s.samples > 0 ? s.overdue <= DRILL_TARGETS.overdue : null,
      at: s.overdueAt,
    },
    {
      key: 'backlogClearMinutes',
      label: '积压清零用时 time to clear the backlog',
      value: clearMin,
      unit: 'minutes',
      target: DRILL_TARGETS.clearMinutes,
      targetKind: 'max',
      met: s.samples === 0 ? null : (max(clearMin, DRILL_TARGETS.clearMinutes) ?? false),
      at: cleared,
    },
  ];
}
