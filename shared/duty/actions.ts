/**
 * The duty desk's commands on an item (接报 acknowledge, 信息报送 report, resolve with a note): the request the desk
 * sends, and the decision — the event it becomes, or a refusal with the reason — judged against the item's state.
 */
import { z } from 'zod';
import { spaceName } from '../contract';
import type { ItemEvent } from '../events/item';
import { REPORT_MODES } from '../events/item';
import { judgeItemEvent, type DutyItem } from './items';

/** One command request (`POST /api/v1/duty/items/:id/actions`). */
export const itemActionSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('acknowledge'), space: spaceName }),
  z.strictObject({
    kind: z.literal('report'),
    space: spaceName,
    mode: z.enum(REPORT_MODES),
    note: z.string().trim().max(500).optional(),
  }),
  z.strictObject({
    kind: z.literal('resolve'),
    space: spaceName,
    note: z.string().trim().min(1, 'resolving an item needs a note of what was done').max(1000),
  }),
]);

/** A parsed command. */
export type ItemAction = z.output<typeof itemActionSchema>;

/** The decision on a command: the event to write, or why not. */
export type ItemDecision =
  | { readonly ok: true; readonly event: ItemEvent }
  | { readonly ok: false; readonly reason: string; readonly notFound: boolean };

/** Decides a command on `item` (undefined: no such item) at `ts` (ms) by `by`, with a fresh `eventId`. Pure. */
export function decideItemAction(
  item: DutyItem | undefined,
  itemId: string,
  a: ItemAction,
  eventId: string,
  ts: number,
  by: string,
): ItemDecision {
  const base = { eventId, ts, itemId, by, actor: by };
  const event: ItemEvent =
    a.kind === 'acknowledge'
      ? { ...base, type: 'item.acknowledged' }
      : a.kind === 'report'
        ? { ...base, type: 'item.reported', mode: a.mode, ...(a.note ? { note: a.note } : {}) }
        : { ...base, type: 'item.resolved', note: a.note };
  const reason = judgeItemEvent(item, event);
  return reason === null ? { ok: true, event } : { ok: false, reason, notFound: item === undefined };
}
