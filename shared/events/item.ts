/**
 * Duty items (值班事项) as events: an alert that needs a person opens an item; the duty desk acknowledges it (接报),
 * reports it upward by phone and in writing (信息报送) and resolves it with a note; an item nobody acknowledges is
 * escalated (值班长, then 值班领导). Each step is an event in the log; one that does not fit the item is refused.
 */
import { z } from 'zod';
import { LINKS, POSTS } from '../domain';
import { envelope, epochMs, freeText, ident, shortText } from './common';

/**
 * What opens an item: an urgent/突发/群体/敏感 case, an empty post, a link down, an urgent case's clock overdue, a
 * shift's handover record still unsigned past its limit.
 */
export const ITEM_KINDS = ['case', 'post_empty', 'link_down', 'overdue', 'handover'] as const;
/** A kind of duty item. */
export type ItemKind = (typeof ITEM_KINDS)[number];

/** How an item is reported upward: a first report by phone (电话报告), a written one (书面报告). */
export const REPORT_MODES = ['phone', 'written'] as const;
/** A report mode. */
export type ReportMode = (typeof REPORT_MODES)[number];

/** An item is opened (by the monitor, with a deterministic id: the same condition always opens the same item). */
export const itemOpened = z.strictObject({
  type: z.literal('item.opened'),
  ...envelope,
  itemId: ident,
  kind: z.enum(ITEM_KINDS),
  level: z.enum(['bad', 'warn']),
  /** Built from citizen input: render as text only. */
  text: freeText(300),
  caseId: ident.optional(),
  alertId: ident.optional(),
  link: z.enum(LINKS).optional(),
  post: z.enum(POSTS).optional(),
  /** When the condition began (the case arrived, the post went empty), ms: every limit counts from here. */
  since: epochMs,
});
/** An item nobody acknowledged is raised again to the next level (1: 值班长, 2: 值班领导, …). */
export const itemEscalated = z.strictObject({
  type: z.literal('item.escalated'),
  ...envelope,
  itemId: ident,
  level: z.number().int().min(1).max(5),
  to: shortText,
});
/** 接报: the duty officer acknowledges the item. */
export const itemAcknowledged = z.strictObject({
  type: z.literal('item.acknowledged'),
  ...envelope,
  itemId: ident,
  by: shortText,
});
/** 信息报送: the item is reported upward, by phone or in writing. */
export const itemReported = z.strictObject({
  type: z.literal('item.reported'),
  ...envelope,
  itemId: ident,
  by: shortText,
  mode: z.enum(REPORT_MODES),
  note: freeText(500).optional(),
});
/** The item is resolved, with a note of what was done. */
export const itemResolved = z.strictObject({
  type: z.literal('item.resolved'),
  ...envelope,
  itemId: ident,
  by: shortText,
  note: freeText(1000).min(1),
});

/** Every duty item event schema. */
export const itemEventSchemas = [itemOpened, itemEscalated, itemAcknowledged, itemReported, itemResolved] as const;
/** A duty item event. */
export type ItemEvent = z.output<(typeof itemEventSchemas)[number]>;
/** An item opened. */
export type ItemOpened = z.output<typeof itemOpened>;
