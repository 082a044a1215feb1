/**
 * The limits of a duty item (acknowledge within, first report within, written report within) as instants, and how
 * each stands at a given time: met, late, or running green / amber / red. Limits count from when the condition began,
 * on the calendar clock or the working calendar's as the kind is configured.
 */
import { addWorkingMinutes, type SlaEnv } from '../sla/deadline';
import { MINUTE_MS, type EpochMs } from '../time';
import type { DutyConfig } from './config';
import type { DutyItem } from './items';

/** One limit of an item: due at (ms), done at (ms, null while open), and how it stands. */
export interface LimitStatus {
  readonly due: EpochMs;
  readonly doneAt: EpochMs | null;
  /** `met`/`late` once done; while open `ok` (green), `amber` (past the at-risk share of the time), `red` (past due). */
  readonly state: 'met' | 'late' | 'ok' | 'amber' | 'red';
}

/** An item's limits at `now`; a report limit the kind does not configure is null. */
export interface ItemLimits {
  readonly ack: LimitStatus;
  readonly firstReport: LimitStatus | null;
  readonly writtenReport: LimitStatus | null;
}

/** The instant `min` minutes after `since` on the kind's clock. */
function dueAt(env: SlaEnv, clock: 'calendar' | 'working', since: EpochMs, min: number): EpochMs {
  return clock === 'working' ? addWorkingMinutes(env, since, min) : since + min * MINUTE_MS;
}

function status(since: EpochMs, due: EpochMs, doneAt: EpochMs | null, now: EpochMs, atRisk: number): LimitStatus {
  if (doneAt !== null) return { due, doneAt, state: doneAt <= due ? 'met' : 'late' };
  const used = due > since ? (now - since) / (due - since) : 1;
  return { due, doneAt, state: now > due ? 'red' : used >= atRisk ? 'amber' : 'ok' };
}

/** The acknowledgement deadline of an item, ms. */
export function ackDue(config: DutyConfig, env: SlaEnv, item: DutyItem): EpochMs {
  const k = config.kinds[item.kind];
  return dueAt(env, k.clock, item.since, k.ackMin);
}

/** How an item's limits stand at `now` (ms); `atRisk` is the share of the time after which a running limit turns amber. */
export function itemLimits(config: DutyConfig, env: SlaEnv, item: DutyItem, now: EpochMs, atRisk: number): ItemLimits {
  const k = config.kinds[item.kind];
  const first = [item.reports.phone?.at, item.reports.written?.at].filter((x): x is number => x !== undefined);
  return {
    ack: status(item.since, ackDue(config, env, item), item.ack?.at ?? null, now, atRisk),
    firstReport:
      k.firstReportMin === undefined
        ? null
        : status(
            item.since,
            dueAt(env, k.clock, item.since, k.firstReportMin),
            first.length ? Math.min(...first) : null,
            now,
            atRisk,
          ),
    writtenReport:
      k.writtenReportMin === undefined
        ? null
        : status(
            item.since,
            dueAt(env, k.clock, item.since, k.writtenReportMin),
            item.reports.written?.at ?? null,
            now,
            atRisk,
          ),
  };
}

/** When the handover of a shift that ended at `end` (ms) is due signed by the incoming officer, ms: later, it is late. */
export function handoverSignDue(config: DutyConfig, end: EpochMs): EpochMs {
  return end + config.handoverSignMin * MINUTE_MS;
}

/** When each escalation level of an unacknowledged item falls due, ms, in level order (level = index + 1). */
export function escalationDue(config: DutyConfig, env: SlaEnv, item: DutyItem): EpochMs[] {
  const ack = ackDue(config, env, item);
  return config.escalation.map((l) => ack + l.afterMin * MINUTE_MS);
}
