/** Call-centre, agent, duty, link and clock events. */
import { z } from 'zod';
import { AGENT_STATES, LINKS, POSTS } from '../domain';
import { envelope, freeText, ident, shortText } from './common';

const hhmm = z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'must be HH:MM');
const dateKey = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');

/** 进线: a call is offered to the queue. */
export const callOffered = z.strictObject({
  type: z.literal('call.offered'),
  ...envelope,
  callId: ident,
  line: z.enum(['hotline', 'district_line']).default('hotline'),
});
/** An agent answers a queued call. */
export const callAnswered = z.strictObject({
  type: z.literal('call.answered'),
  ...envelope,
  callId: ident,
  agentId: ident,
});
/** The caller hangs up before an answer. */
export const callAbandoned = z.strictObject({ type: z.literal('call.abandoned'), ...envelope, callId: ident });
/** An answered call ends; talk time is measured from the answer. */
export const callEnded = z.strictObject({ type: z.literal('call.ended'), ...envelope, callId: ident });
/** The agent finishes after-call work (wrap-up) for a call. */
export const callWrapupDone = z.strictObject({
  type: z.literal('call.wrapup_done'),
  ...envelope,
  callId: ident,
  agentId: ident,
});
/** An agent changes state (log in, ready, on call, after-call work, break, log out). */
export const agentState = z.strictObject({
  type: z.literal('agent.state'),
  ...envelope,
  agentId: ident,
  name: shortText.optional(),
  state: z.enum(AGENT_STATES),
});

/** One shift of the 24-hour roster, with who holds each post. */
export const shiftSchema = z.strictObject({
  id: ident,
  name: shortText,
  start: hhmm,
  end: hhmm,
  posts: z.array(z.strictObject({ post: z.enum(POSTS), personId: ident, name: shortText })).max(50),
  agentsRostered: z.number().int().min(0).max(10_000).default(0),
});
/** The duty roster of a civil day (replaces any earlier roster of that day). */
export const dutyRoster = z.strictObject({
  type: z.literal('duty.roster'),
  ...envelope,
  date: dateKey,
  shifts: z.array(shiftSchema).min(1).max(12),
});
/** 到岗: a person checks in to a post of a shift. */
export const dutyCheckedIn = z.strictObject({
  type: z.literal('duty.checked_in'),
  ...envelope,
  date: dateKey,
  shiftId: ident,
  post: z.enum(POSTS),
  personId: ident,
  name: shortText,
});
/** A person checks out of a post. */
export const dutyCheckedOut = z.strictObject({
  type: z.literal('duty.checked_out'),
  ...envelope,
  date: dateKey,
  shiftId: ident,
  post: z.enum(POSTS),
  personId: ident,
});
/** 交接班: the outgoing shift hands over to the incoming one. */
export const dutyHandover = z.strictObject({
  type: z.literal('duty.handover'),
  ...envelope,
  date: dateKey,
  fromShiftId: ident,
  toShiftId: ident,
  note: freeText(2000),
  by: shortText,
});
/** A heartbeat from an upstream platform link; `ok: false` reports a fault explicitly. */
export const linkHeartbeat = z.strictObject({
  type: z.literal('link.heartbeat'),
  ...envelope,
  link: z.enum(LINKS),
  ok: z.boolean().default(true),
});
/** Advances a space's clock (drill and demo spaces run on their own clocks). */
export const clockTick = z.strictObject({ type: z.literal('clock.tick'), ...envelope });

/** Every operations event schema. */
export const opsEventSchemas = [
  callOffered,
  callAnswered,
  callAbandoned,
  callEnded,
  callWrapupDone,
  agentState,
  dutyRoster,
  dutyCheckedIn,
  dutyCheckedOut,
  dutyHandover,
  linkHeartbeat,
  clockTick,
] as const;

/** A call or agent event. */
export type CallEvent = z.output<
  | typeof callOffered
  | typeof callAnswered
  | typeof callAbandoned
  | typeof callEnded
  | typeof callWrapupDone
  | typeof agentState
>;
/** A duty event. */
export type DutyEvent = z.output<
  typeof dutyRoster | typeof dutyCheckedIn | typeof dutyCheckedOut | typeof dutyHandover
>;
/** A roster shift. */
export type Shift = z.output<typeof shiftSchema>;
/** A link heartbeat. */
export type LinkEvent = z.output<typeof linkHeartbeat>;
