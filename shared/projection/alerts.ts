/** The alert ticker: newest first, bounded; and the fold of the alerts time revealed (`alert.raised` / `alert.cleared`). */
import type { AlertEvent } from '../events/alert';
import type { Alert } from '../wall/view';
import type { SpaceProjection } from './state';

/**
 * Adds an alert, the ticker kept newest first by the time each alert happened (an alert the monitor writes late, about
 * a deadline passed an hour ago, takes its place by that time), bounded by config.alertsMax; `urgent` asks the
 * broadcaster to send at once.
 */
export function raiseAlert(p: SpaceProjection, alert: Alert, urgent: boolean): void {
  let i = 0;
  while (i < p.alerts.length && p.alerts[i]!.at > alert.at) i++;
  p.alerts.splice(i, 0, alert);
  if (p.alerts.length > p.ctx.config.alertsMax) p.alerts.length = p.ctx.config.alertsMax;
  if (urgent) p.urgentPending = true;
}

/**
 * Folds an alert event. A raised alert goes on the ticker stamped with the instant its condition began and stays
 * active until cleared. A cleared at-risk warning leaves the ticker (the clock was met); any other cleared alert stays
 * with its recovery time, so a duty officer who looks later sees that the post was empty from 03:00 to 03:30.
 */
export function foldAlertEvent(p: SpaceProjection, e: AlertEvent): string | null {
  if (e.type === 'alert.raised') {
    if (p.active.has(e.alertId)) return `alert ${e.alertId} is already raised`;
    const alert: Alert = {
      id: e.alertId,
      at: e.since,
      kind: e.kind,
      level: e.level,
      text: e.text,
      ...(e.caseId !== undefined ? { caseId: e.caseId } : {}),
      ...(e.street !== undefined ? { street: e.street } : {}),
    };
    p.active.set(e.alertId, { raised: e, alert });
    raiseAlert(p, alert, e.kind === 'post_empty' || e.kind === 'link_down' || e.kind === 'wall_silent');
    return null;
  }
  const alert = p.active.get(e.alertId)?.alert;
  if (!alert) return `alert ${e.alertId} is not raised: alert.cleared needs an active alert`;
  p.active.delete(e.alertId);
  const i = p.alerts.findIndex((a) => a.id === e.alertId);
  if (i >= 0) {
    if (alert.kind === 'at_risk') p.alerts.splice(i, 1);
    else p.alerts[i] = { ...alert, clearedAt: e.ts };
  }
  return null;
}
