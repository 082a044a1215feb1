/** Chinese labels the desk pages show for codes: the shared tables (closed vocabularies of shared/), plus the list's own. */
import { CASE_STATUSES, type CaseStatusFilter } from '@shared/cases/query';

export { LATENESS_LABELS } from '@shared/cases/labels';
export {
  CASE_TYPE_LABELS,
  CHANNEL_LABELS,
  CLOCK_LABELS,
  FLAG_LABELS,
  RATING_LABELS,
  STAGE_LABELS,
  URGENCY_LABELS,
} from '@shared/domain';
export { CASE_EVENT_LABELS } from '@shared/events/case';

/** Labels of the list statuses. */
export const STATUS_LABELS: Readonly<Record<CaseStatusFilter, string>> = {
  late: '超期或临期',
  overdue: '超期',
  at_risk: '临期',
  open: '在办',
  closed: '已结',
  all: '全部',
};

/** The case list's heading for each status: what the list holds. */
export const LIST_HEADINGS: Readonly<Record<CaseStatusFilter, string>> = {
  late: '超期或临期案件',
  overdue: '超期案件',
  at_risk: '临期案件',
  open: '在办案件',
  closed: '已结案件',
  all: '全部案件',
};

/**
 * The heading of a case list with these query parameters: its status (the list's default, late, when there is none),
 * or how long overdue when `overdueBy` narrows it to cases overdue longer than that.
 */
export function listHeading(params: Readonly<Record<string, string>>): string {
  const status = CASE_STATUSES.find((s) => s === (params.status ?? 'late'));
  if (status === undefined) return '案件';
  const by = Number(params.overdueBy);
  if (params.overdueBy !== undefined && Number.isInteger(by) && by >= 0 && status !== 'closed')
    return `超期超过${minutesText(by)}的案件`;
  return LIST_HEADINGS[status];
}

/** "3天4小时" for minutes. */
export function minutesText(min: number): string {
  if (min < 60) return `${min}分钟`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h}小时${min % 60 ? `${min % 60}分` : ''}`;
  return `${Math.floor(h / 24)}天${h % 24 ? `${h % 24}小时` : ''}`;
}

const fmt = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** Asia/Shanghai date and time, minutes. */
export function when(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '—' : fmt.format(ms);
}
