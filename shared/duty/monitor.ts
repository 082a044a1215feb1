/**
 * What time does to the duty desk, as events: an alert that needs a person opens an item (an urgent/突发/群体/敏感
 * case on arrival, an empty post, a link down, an urgent case's clock overdue — as configured), and an item nobody
 * acknowledges is escalated level by level, and a shift's handover record still unsigned `handoverSignMin` after the
 * shift change opens one too (a change before the space's log began is not judged: it was never handed over here). The server's monitor writes them with the alert events; ids are
 * deterministic, so a restart or a second node writing the same item is a duplicate.
 */
import type { CaseState } from '../cases/state';
import { FLAG_LABELS, URGENCY_LABELS, type CaseFlag } from '../domain';
import type { ItemEvent, ItemKind } from '../events/item';
import type { SpaceProjection } from '../projection/state';
import type { EpochMs } from '../time';
import { escalationDue, handoverSignDue } from './limits';
import { placedShifts } from '../projection/duty';
import { DAY_MS } from '../time';
import { handedOverInLog, handoverIdOf, nextShift } from './handover';

/** The flags a duty item's title marks (`repeat` is not marked). */
const MARKED_FLAGS: readonly CaseFlag[] = ['emergency', 'mass', 'sensitive'];

const clip = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** The item id of a case: readable when it fits (≤ 110 characters), else a 64-bit hash of the case id. */
export function caseItemId(caseId: string): string {
  const id = `case|${caseId}`;
  if (id.length <= 110) return id;
  let a = 0x811c9dc5;
  let b = 0xcbf29ce4;
  for (let i = 0; i < caseId.length; i++) {
    const c = caseId.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
  }
  return `case|#${a.toString(16).padStart(8, '0')}${b.toString(16).padStart(8, '0')}`;
}

/** The event id an item's opening is written under (alert ids are event ids of their raises, so it is prefixed). */
export const openedEventId = (itemId: string): string => `item|${itemId}`;

/** Whether a case needs a person: urgent, or one of the configured flags. */
function needsPerson(p: SpaceProjection, c: CaseState): boolean {
  return c.urgency === 'urgent' || c.flags.some((f) => p.ctx.config.duty.caseFlags.includes(f));
}

function caseText(c: CaseState): string {
  const marks = [
    c.urgency === 'urgent' ? URGENCY_LABELS.urgent : null,
    ...c.flags.map((f) => (MARKED_FLAGS.includes(f) ? FLAG_LABELS[f] : null)),
  ].filter(Boolean);
  return clip(`${marks.join('·')} ${c.title}`, 300);
}

/** The item an active alert opens, if its kind is configured to (an overdue clock only on an urgent case). */
function alertItemKind(p: SpaceProjection, kind: string, caseId: string | undefined): ItemKind | null {
  if (kind === 'post_empty' || kind === 'link_down') return kind;
  if (kind === 'overdue' && caseId !== undefined && p.cases.get(caseId)?.urgency === 'urgent') return 'overdue';
  return null;
}

/** The item events that bring the desk in line with `now`: items to open, escalations due. Pure; at most `max`. */
export function dutyItemEvents(p: SpaceProjection, now: EpochMs, max: number): ItemEvent[] {
  const { duty } = p.ctx.config;
  const out: ItemEvent[] = [];
  const open = (e: Omit<Extract<ItemEvent, { type: 'item.opened' }>, 'type' | 'eventId' | 'ts' | 'level'>): void => {
    if (out.length < max && !p.items.has(e.itemId) && duty.kinds[e.kind].enabled)
      out.push({ type: 'item.opened', eventId: openedEventId(e.itemId), ts: now, level: 'bad', ...e });
  };
  for (const id of p.open) {
    const c = p.cases.get(id);
    if (c && needsPerson(p, c))
      open({ itemId: caseItemId(c.id), kind: 'case', caseId: c.id, text: caseText(c), since: c.receivedAt });
  }
  for (const [alertId, { raised }] of p.active) {
    const kind = alertItemKind(p, raised.kind, raised.caseId);
    if (kind === null) continue;
    open({
      itemId: alertId,
      kind,
      alertId,
      text: raised.text,
      since: raised.since,
      ...(raised.caseId !== undefined ? { caseId: raised.caseId } : {}),
      ...(raised.link !== undefined ? { link: raised.link } : {}),
      ...(raised.post !== undefined ? { post: raised.post } : {}),
    });
  }
  const shifts = placedShifts(p, now);
  for (const s of shifts) {
    const next = nextShift(shifts, s);
    // A shift change the roster knows of (a next shift), within the last day and after the space's log began (a change
    // before it was never handed over here), whose record nobody signed in time.
    const due = handoverSignDue(duty, s.end);
    if (!next || due > now || now - s.end > DAY_MS || !handedOverInLog(s.end, p.earliest)) continue;
    const id = handoverIdOf(s);
    const rec = p.handoverRecords.get(id);
    if (rec?.signed) continue;
    const what = rec ? `已提交（${rec.submitted.by}）未签收` : '未提交';
    open({
      itemId: `handover|${id}`,
      kind: 'handover',
      text: `交接班${what}：${s.shift.name} → ${next.shift.name}`,
      since: due,
    });
  }
  for (const item of p.items.values()) {
    if (item.ack || item.resolved) continue;
    const due = escalationDue(duty, p.ctx.lifecycle.env, item);
    for (let level = item.escalations.length + 1; level <= due.length && due[level - 1]! <= now; level++) {
      if (out.length >= max) return out;
      out.push({
        type: 'item.escalated',
        eventId: `item|${item.id}|esc|${level}`,
        ts: Math.max(due[level - 1]!, item.openedAt),
        itemId: item.id,
        level,
        to: duty.escalation[level - 1]!.to,
      });
    }
  }
  return out;
}
