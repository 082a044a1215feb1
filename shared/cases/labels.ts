/** Chinese labels of the case list's own vocabularies: how late a case is. */
import type { Lateness } from './query';

/** Chinese labels of a case's lateness. */
export const LATENESS_LABELS: Readonly<Record<Lateness, string>> = {
  overdue: '超期',
  at_risk: '临期',
  ok: '正常',
  closed: '已结',
};
