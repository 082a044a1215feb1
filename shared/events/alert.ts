/**
 * Alerts that time reveals (a clock turning at risk or overdue, a post empty past its grace, a link or a wall screen
 * silent past its limit) and their recoveries, as events. The monitor writes them through ingest with deterministic ids, so they are
 * in the log: a restart, a replay or an export shows the same ticker, and a wall that connects later sees them.
 */
import { z } from 'zod';
import { CLOCKS, LINKS, POSTS } from '../domain';
import { envelope, epochMs, freeText, ident } from './common';

/** Kinds of alert that time reveals. */
export const TIMED_ALERT_KINDS = ['overdue', 'at_risk', 'post_empty', 'link_down', 'wall_silent'] as const;
/** A kind of alert that time reveals. */
export type TimedAlertKind = (typeof TIMED_ALERT_KINDS)[number];

/** An alert is raised: `alertId` names the condition (the same condition always gets the same id). */
export const alertRaised = z.strictObject({
  type: z.literal('alert.raised'),
  ...envelope,
  alertId: ident,
  kind: z.enum(TIMED_ALERT_KINDS),
  level: z.enum(['bad', 'warn']),
  text: freeText(300),
  caseId: ident.optional(),
  street: ident.optional(),
  clock: z.enum(CLOCKS).optional(),
  link: z.enum(LINKS).optional(),
  post: z.enum(POSTS).optional(),
  /** The wall screen that stopped reporting (its own id). */
  wall: ident.optional(),
  /** When the condition began (the deadline passed, the grace ran out), ms; `ts` is when it was written. */
  since: epochMs,
});
/** The condition behind an alert no longer holds (the clock stopped or moved, the post is held, the link or the wall reports again). */
export const alertCleared = z.strictObject({
  type: z.literal('alert.cleared'),
  ...envelope,
  alertId: ident,
  reason: freeText(200).optional(),
});

/** Every alert event schema. */
export const alertEventSchemas = [alertRaised, alertCleared] as const;
/** An alert event. */
export type AlertEvent = z.output<typeof alertRaised | typeof alertCleared>;
/** An alert raised. */
export type AlertRaised = z.output<typeof alertRaised>;
