/** The duty desk's words: kinds of item, report modes, how a limit stands. */
import type { ItemKind, ReportMode } from '@shared/events/item';
import type { LimitStatus } from '@shared/duty/limits';

/** Chinese labels of the kinds of item. */
export const ITEM_KIND_LABELS: Readonly<Record<ItemKind, string>> = {
  case: '紧急案件',
  post_empty: '空岗',
  link_down: '链路中断',
  overdue: '紧急件超期',
  handover: '交接班',
};

/** Chinese labels of the report modes. */
export const REPORT_MODE_LABELS: Readonly<Record<ReportMode, string>> = { phone: '电话首报', written: '书面报告' };

/** A limit in words at `now` (ms): done on time or late at HH:MM, or minutes left / over. */
export function limitText(l: LimitStatus, now: number, hhmm: (ms: number) => string): string {
  if (l.doneAt !== null) return `${l.state === 'met' ? '按时' : '超时'} ${hhmm(l.doneAt)}`;
  const min = Math.round((l.due - now) / 60_000);
  return min >= 0 ? `剩 ${min} 分` : `超 ${-min} 分`;
}

/** A share 0–1 as a percentage with one decimal (cut toward zero), or "—" when nothing was judged. */
export { pct as share } from '../../format';
