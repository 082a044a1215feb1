/**
 * The centre's own acts: events that in `live` only its people (on the supervisors' and the duty desks, each under
 * their own login) or its monitor write. A producer's feed carries what happened in the source systems; it may not
 * act in the centre's name (exempt a case from assessment, acknowledge a duty item, raise an alert). An admin token
 * may still send them (bringing a log over from an export); drills and the demo are fed whole by their simulators.
 */
import { spaceKindOf, type Role } from '@shared/contract';
import type { DomainEvent } from '@shared/events';

const MONITOR = "the server's monitor writes it as time passes";
const SUPERVISOR = "a supervisor makes it on the supervisors' desk (POST /api/v1/cases/:id/actions)";
const DUTY_DESK = 'a duty officer makes it on the duty desk (POST /api/v1/duty/items/:id/actions)';
const HANDOVER = 'the duty officers make it on the duty desk (POST /api/v1/duty/handovers, …/:id/sign)';

/** Each own act, and who makes it. */
const OWN_ACTS: Readonly<Record<string, string>> = {
  'alert.raised': MONITOR,
  'alert.cleared': MONITOR,
  'item.opened': MONITOR,
  'item.escalated': MONITOR,
  'item.acknowledged': DUTY_DESK,
  'item.reported': DUTY_DESK,
  'item.resolved': DUTY_DESK,
  'handover.submitted': HANDOVER,
  'handover.signed': HANDOVER,
  'case.supervised': SUPERVISOR,
  'case.reminded': SUPERVISOR,
  'case.escalated': SUPERVISOR,
  'case.extension_approved': SUPERVISOR,
  'case.exempted': SUPERVISOR,
  'case.merged': SUPERVISOR,
};

/**
 * For a batch a token with `role` sends into `space`: a judge that says why an event is refused (one of the centre's
 * own acts, from a producer, in live), or undefined when every type may come.
 */
export function ownActRefusal(role: Role, space: string): ((e: DomainEvent) => string | null) | undefined {
  if (role !== 'producer' || spaceKindOf(space) !== 'live') return undefined;
  return (e) =>
    Object.hasOwn(OWN_ACTS, e.type)
      ? `${e.type} is the centre's own act in live: ${OWN_ACTS[e.type]}; a producer's feed cannot make it`
      : null;
}
