/** The alert ticker: newest first, bounded. */
import type { Alert } from '../wall/view';
import type { SpaceProjection } from './state';

/** Adds an alert (newest first, bounded by config.alertsMax); `urgent` asks the broadcaster to send at once. */
export function raiseAlert(p: SpaceProjection, alert: Alert, urgent: boolean): void {
  p.alerts.unshift(alert);
  if (p.alerts.length > p.ctx.config.alertsMax) p.alerts.length = p.ctx.config.alertsMax;
  if (urgent) p.urgentPending = true;
}
