/** One entry point for folding any event into a space's projection. */
import { assertNever } from '../domain';
import type { DomainEvent } from '../events';
import { foldItemEvent } from '../duty/items';
import { foldHandoverEvent } from '../duty/handover';
import { foldAlertEvent } from './alerts';
import { foldCaseEvent } from './cases';
import { foldCallEvent, foldDutyEvent, foldLinkEvent } from './ops';
import type { SpaceProjection } from './state';

/** Folds one validated event. Returns null when applied, or why it does not fit (the caller quarantines it). */
export function applyEvent(p: SpaceProjection, e: DomainEvent): string | null {
  const reason = route(p, e);
  if (reason === null) {
    p.eventsApplied++;
    if (p.clock === null || e.ts > p.clock) p.clock = e.ts;
    if (p.earliest === null || e.ts < p.earliest) p.earliest = e.ts;
  }
  return reason;
}

function route(p: SpaceProjection, e: DomainEvent): string | null {
  switch (e.type) {
    case 'case.received':
    case 'case.registered':
    case 'case.dispatched':
    case 'case.returned':
    case 'case.signed':
    case 'case.processing':
    case 'case.replied':
    case 'case.closed_directly':
    case 'case.quality_checked':
    case 'case.called_back':
    case 'case.evaluated':
    case 'case.reopened':
    case 'case.closed':
    case 'case.supervised':
    case 'case.reminded':
    case 'case.extension_requested':
    case 'case.extension_approved':
    case 'case.exempted':
    case 'case.merged':
    case 'case.escalated':
      return foldCaseEvent(p, e);
    case 'call.offered':
    case 'call.answered':
    case 'call.abandoned':
    case 'call.ended':
    case 'call.wrapup_done':
    case 'agent.state':
      return foldCallEvent(p, e);
    case 'duty.roster':
    case 'duty.checked_in':
    case 'duty.checked_out':
    case 'duty.handover':
      return foldDutyEvent(p, e);
    case 'link.heartbeat':
      return foldLinkEvent(p, e);
    case 'clock.tick':
      return null;
    case 'alert.raised':
    case 'alert.cleared':
      return foldAlertEvent(p, e);
    case 'item.opened':
    case 'item.escalated':
    case 'item.acknowledged':
    case 'item.reported':
    case 'item.resolved':
      return foldItemEvent(p.items, e);
    case 'handover.submitted':
    case 'handover.signed':
      return foldHandoverEvent(p, e);
    default:
      return assertNever(e);
  }
}
