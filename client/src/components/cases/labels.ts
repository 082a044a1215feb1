/** Chinese labels the desk pages show for codes (closed vocabularies from shared/domain, plus the list's own). */
import type { Lateness } from '../../../../shared/cases/query';
import type { CaseFlag } from '../../../../shared/domain';

export { CASE_TYPE_LABELS, CHANNEL_LABELS, CLOCK_LABELS, STAGE_LABELS } from '../../../../shared/domain';

/** Labels of the case flags. */
export const FLAG_LABELS: Readonly<Record<CaseFlag, string>> = { sensitive: '敏感', mass: '群体', emergency: '突发', repeat: '重复' };

/** Labels of a case's lateness. */
export const LATENESS_LABELS: Readonly<Record<Lateness, string>> = { overdue: '超期', at_risk: '临期', ok: '正常', closed: '已结' };

/** Labels of the list statuses. */
export const STATUS_LABELS = { late: '超期或临期', overdue: '超期', at_risk: '临期', open: '在办', closed: '已结', all: '全部' } as const;

/** Labels of case events in a timeline. */
export const EVENT_LABELS: Readonly<Record<string, string>> = {
  'case.received': '受理', 'case.registered': '立案', 'case.dispatched': '派单', 'case.returned': '退单', 'case.signed': '签收',
  'case.processing': '办理', 'case.replied': '办结回复', 'case.closed_directly': '直接办结', 'case.quality_checked': '质检',
  'case.called_back': '回访', 'case.evaluated': '评价', 'case.reopened': '二次重办', 'case.closed': '结案', 'case.supervised': '督办',
  'case.reminded': '催办', 'case.extension_requested': '延期申请', 'case.extension_approved': '延期批准', 'case.exempted': '不计考核',
  'case.merged': '合并', 'case.escalated': '领导批示',
};

/** "3天4小时" for minutes. */
export function minutesText(min: number): string {
  if (min < 60) return `${min}分钟`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h}小时${min % 60 ? `${min % 60}分` : ''}`;
  return `${Math.floor(h / 24)}天${h % 24 ? `${h % 24}小时` : ''}`;
}

const fmt = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** Asia/Shanghai date and time, minutes. */
export function when(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '—' : fmt.format(ms);
}
