/**
 * What the duty desk and the wall show of the items at a given time: the desk's list (open items newest first, each
 * with its limits and escalation; then the recently resolved), and the wall's summary (how many are unacknowledged,
 * since when, the highest escalation). Pure: folded state in, plain objects out.
 */
import type { SpaceProjection } from '../projection/state';
import type { EpochMs } from '../time';
import type { PeriodFigures } from './figures';
import type { DutyItem } from './items';
import { itemLimits, type ItemLimits } from './limits';

/** One item on the desk. Text comes from citizen input: render as text only. */
export interface DeskItem extends DutyItem {
  readonly limits: ItemLimits;
}

/** The desk's list at a time (ms). */
export interface DeskList {
  readonly space: string;
  readonly at: EpochMs;
  readonly open: readonly DeskItem[];
  readonly resolved: readonly DeskItem[];
}

/** The wall's duty-desk summary: unacknowledged items, the oldest one's start (ms), the highest escalation now. */
export interface DeskSummary {
  readonly open: number;
  readonly unacknowledged: number;
  readonly oldestUnacknowledgedSince: EpochMs | null;
  readonly escalation: {
    readonly level: number;
    readonly to: string;
    readonly text: string;
    readonly since: EpochMs;
    readonly itemId: string;
  } | null;
}

/** One webhook delivery of an item (the server's outbox), as the desk lists it; times are wall-clock ms. */
export interface ItemDelivery {
  readonly endpoint: string;
  readonly eventId: string;
  readonly level: 'urgent' | 'escalation';
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: EpochMs;
  readonly deliveredAt: EpochMs | null;
}

/** The desk's answer: the list, each listed item's deliveries by item id, and the duty figures of the shift and month. */
export interface DeskAnswer extends DeskList {
  readonly deliveries: Readonly<Record<string, readonly ItemDelivery[]>>;
  readonly figures: PeriodFigures;
}

/** Most resolved items the desk lists. */
export const DESK_RESOLVED_MAX = 50;

const newestFirst = (a: DutyItem, b: DutyItem): number => b.since - a.since || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The desk's list at `now` (ms). */
export function deskList(p: SpaceProjection, now: EpochMs): DeskList {
  const env = p.ctx.lifecycle.env;
  const withLimits = (it: DutyItem): DeskItem => ({
    ...it,
    limits: itemLimits(p.ctx.config.duty, env, it, now, p.ctx.thresholds.atRisk),
  });
  const all = [...p.items.values()];
  const open = all
    .filter((it) => !it.resolved)
    .sort(newestFirst)
    .map(withLimits);
  const resolved = all
    .filter((it) => it.resolved)
    .sort((a, b) => b.resolved!.at - a.resolved!.at)
    .slice(0, DESK_RESOLVED_MAX)
    .map(withLimits);
  return { space: p.space, at: now, open, resolved };
}

/** The wall's summary of the desk. */
export function deskSummary(p: SpaceProjection): DeskSummary {
  let open = 0;
  let unacknowledged = 0;
  let oldest: EpochMs | null = null;
  let escalation: DeskSummary['escalation'] = null;
  for (const it of p.items.values()) {
    if (it.resolved) continue;
    open++;
    if (it.ack) continue;
    unacknowledged++;
    if (oldest === null || it.since < oldest) oldest = it.since;
    const top = it.escalations[it.escalations.length - 1];
    if (
      top &&
      (escalation === null ||
        top.level > escalation.level ||
        (top.level === escalation.level && it.since < escalation.since))
    ) {
      escalation = { level: top.level, to: top.to, text: it.text, since: it.since, itemId: it.id };
    }
  }
  return { open, unacknowledged, oldestUnacknowledgedSince: oldest, escalation };
}
