/**
 * Duty items: their state, the one judgement of whether an item event fits the item (used by the fold, which
 * quarantines what does not fit, and by the desk's commands, which refuse it with the same reason), and the fold.
 */
import { assertNever } from '../domain';
import type { ItemEvent, ItemKind, ItemOpened, ReportMode } from '../events/item';
import { MINUTE_MS, shanghaiDateKey, shanghaiMinuteOfDay, type EpochMs } from '../time';

/** Who did a step of an item, and when (ms). */
export interface ItemStep {
  readonly at: EpochMs;
  readonly by: string;
}

/** One duty item as the projection keeps it. Text comes from citizen input: render as text only. */
export interface DutyItem {
  readonly id: string;
  readonly kind: ItemKind;
  readonly level: 'bad' | 'warn';
  readonly text: string;
  readonly caseId: string | null;
  readonly alertId: string | null;
  readonly link: string | null;
  readonly post: string | null;
  /** When the condition began, ms: every limit counts from here. */
  readonly since: EpochMs;
  /** When the item was written, ms. */
  readonly openedAt: EpochMs;
  readonly escalations: readonly { readonly level: number; readonly to: string; readonly at: EpochMs }[];
  readonly ack: ItemStep | null;
  readonly reports: Readonly<Record<ReportMode, ItemStep | null>>;
  readonly resolved: (ItemStep & { readonly note: string }) | null;
}

/** A time for a reason, as the duty room reads it: `YYYY-MM-DD HH:MM` (Asia/Shanghai). */
export function stampOf(ms: EpochMs): string {
  const m = Math.floor(shanghaiMinuteOfDay(ms));
  const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);
  return `${shanghaiDateKey(ms)} ${two(Math.floor(m / 60))}:${two(m % 60)}`;
}

const MODE_LABELS: Readonly<Record<ReportMode, string>> = { phone: 'by phone', written: 'in writing' };

/** Why an item event does not fit the item it names (`item` undefined: no such item), or null when it fits. */
export function judgeItemEvent(item: DutyItem | undefined, e: ItemEvent): string | null {
  if (e.type === 'item.opened') return item ? `item ${e.itemId} is already open (since ${stampOf(item.since)})` : null;
  if (!item) return `no duty item ${e.itemId}: ${e.type} needs an opened item`;
  if (item.resolved)
    return `item ${e.itemId} was resolved by ${item.resolved.by} at ${stampOf(item.resolved.at)}: ${e.type} does not apply`;
  switch (e.type) {
    case 'item.escalated':
      if (item.ack)
        return `item ${e.itemId} was acknowledged by ${item.ack.by} at ${stampOf(item.ack.at)}: nothing to escalate`;
      if (e.level !== item.escalations.length + 1)
        return `item ${e.itemId} is at escalation level ${item.escalations.length}: the next is ${item.escalations.length + 1}, not ${e.level}`;
      return null;
    case 'item.acknowledged':
      return item.ack ? `item ${e.itemId} was already acknowledged by ${item.ack.by} at ${stampOf(item.ack.at)}` : null;
    case 'item.reported': {
      if (!item.ack) return `item ${e.itemId} is not acknowledged: acknowledge it before reporting it`;
      const done = item.reports[e.mode];
      return done
        ? `item ${e.itemId} was already reported ${MODE_LABELS[e.mode]} by ${done.by} at ${stampOf(done.at)}`
        : null;
    }
    case 'item.resolved':
      return item.ack ? null : `item ${e.itemId} is not acknowledged: acknowledge it before resolving it`;
    default:
      return assertNever(e);
  }
}

function opened(e: ItemOpened): DutyItem {
  return {
    id: e.itemId,
    kind: e.kind,
    level: e.level,
    text: e.text,
    caseId: e.caseId ?? null,
    alertId: e.alertId ?? null,
    link: e.link ?? null,
    post: e.post ?? null,
    since: e.since,
    openedAt: e.ts,
    escalations: [],
    ack: null,
    reports: { phone: null, written: null },
    resolved: null,
  };
}

/** Folds an item event into the items by id (items are replaced, never changed). Returns null, or why it does not fit. */
export function foldItemEvent(items: Map<string, DutyItem>, e: ItemEvent): string | null {
  const item = items.get(e.itemId);
  const reason = judgeItemEvent(item, e);
  if (reason !== null) return reason;
  if (e.type === 'item.opened') {
    items.set(e.itemId, opened(e));
    return null;
  }
  const it = item!;
  switch (e.type) {
    case 'item.escalated':
      items.set(it.id, { ...it, escalations: [...it.escalations, { level: e.level, to: e.to, at: e.ts }] });
      break;
    case 'item.acknowledged':
      items.set(it.id, { ...it, ack: { at: e.ts, by: e.by } });
      break;
    case 'item.reported':
      items.set(it.id, { ...it, reports: { ...it.reports, [e.mode]: { at: e.ts, by: e.by } } });
      break;
    case 'item.resolved':
      items.set(it.id, { ...it, resolved: { at: e.ts, by: e.by, note: e.note } });
      break;
    default:
      return assertNever(e);
  }
  return null;
}

/** How long a resolved item stays in memory after it was resolved, ms (the desk's recent list, the month's duty figures). */
export const RESOLVED_KEPT_MS = 32 * 24 * 60 * MINUTE_MS;

/** Drops items resolved before `before` (ms); an item whose condition still holds stays, so it is never opened twice. */
export function sweepItems(items: Map<string, DutyItem>, before: EpochMs, holds: (item: DutyItem) => boolean): void {
  for (const [id, it] of items) if (it.resolved && it.resolved.at < before && !holds(it)) items.delete(id);
}
