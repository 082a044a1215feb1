/** The duty view at `now`: the shift on now, who holds each post, the next shift, the handover; empty posts raise alerts. */
import { LINK_LABELS, LINKS, POST_LABELS } from '../domain';
import type { Shift } from '../events/ops';
import { addDays, DAY_MS, MINUTE_MS, shanghaiDateKey, shanghaiInstant, type EpochMs } from '../time';
import type { DutyPanel, DutyPost, HeaderPanel, LinkStatus, ShiftInfo } from '../wall/panels';
import type { SpaceProjection } from './state';
import { deskSummary } from '../duty/desk';
import { periodFigures, type PeriodFigures } from '../duty/figures';

/** A roster shift placed in time: absolute start and end (a shift ending at or before its start ends the next day). */
export interface PlacedShift {
  readonly date: string;
  readonly shift: Shift;
  readonly start: EpochMs;
  readonly end: EpochMs;
}

/** A roster shift of `date` placed in time. */
export function placeShift(date: string, shift: Shift): PlacedShift {
  const start = shanghaiInstant(date, shift.start);
  let end = shanghaiInstant(date, shift.end);
  if (end <= start) end += DAY_MS;
  return { date, shift, start, end };
}

/** The shifts of yesterday's, today's and tomorrow's rosters, in time order. */
export function placedShifts(p: SpaceProjection, now: EpochMs): PlacedShift[] {
  const today = shanghaiDateKey(now);
  const out: PlacedShift[] = [];
  for (const date of [addDays(today, -1), today, addDays(today, 1)]) {
    for (const s of p.rosters.get(date) ?? []) out.push(placeShift(date, s));
  }
  return out.sort((a, b) => a.start - b.start);
}

/** The shift on at `now`, and the next one. */
export function currentShift(
  p: SpaceProjection,
  now: EpochMs,
): { current: PlacedShift | null; next: PlacedShift | null } {
  const shifts = placedShifts(p, now);
  return {
    current: shifts.find((s) => s.start <= now && now < s.end) ?? null,
    next: shifts.find((s) => s.start > now) ?? null,
  };
}

const info = (s: PlacedShift | null): ShiftInfo | null =>
  s ? { id: s.shift.id, name: s.shift.name, start: s.shift.start, end: s.shift.end } : null;

/** Builds the duty panel and the header (the monitor, not the view, raises empty posts). */
export function dutyView(p: SpaceProjection, now: EpochMs): { duty: DutyPanel; header: HeaderPanel; rostered: number } {
  const { current, next } = currentShift(p, now);
  const posts: DutyPost[] = [];
  const graceOver = current !== null && now - current.start > p.ctx.config.handoverGraceMin * MINUTE_MS;
  for (const slot of current?.shift.posts ?? []) {
    const c = current ? p.checkIns.get(`${current.date}|${current.shift.id}|${slot.post}`) : undefined;
    const holder = c && c.out === null ? c.name : null;
    posts.push({
      post: slot.post,
      label: POST_LABELS[slot.post],
      rostered: slot.name,
      holder,
      status: holder ? 'held' : 'empty',
    });
  }
  const handover = current ? p.handovers.get(`${current.date}|${current.shift.id}`) : undefined;
  const holderOf = (post: string) => posts.find((x) => x.post === post)?.holder ?? null;
  return {
    duty: {
      shift: info(current),
      next: info(next),
      posts,
      handover: { lastAt: handover?.at ?? null, note: handover?.note ?? null, late: !handover && graceOver },
      desk: deskSummary(p),
      figures: deskFigures(p, now),
    },
    header: {
      dutyLeader: holderOf('duty_leader'),
      dutyOfficer: holderOf('duty_officer'),
      shiftName: current?.shift.name ?? null,
    },
    rostered: current?.shift.agentsRostered ?? 0,
  };
}

/** The duty figures of the shift on at `now` (ms) and of its month. */
export function deskFigures(p: SpaceProjection, now: EpochMs): PeriodFigures {
  const { current } = currentShift(p, now);
  return periodFigures(
    [...p.items.values()],
    p.ctx.config.duty,
    p.ctx.lifecycle.env,
    current ? { name: current.shift.name, start: current.start, end: current.end } : null,
    now,
  );
}

/** Whether a link is up at `now`: its last heartbeat said ok and is within the configured timeout. */
export function linkUp(p: SpaceProjection, beat: { at: EpochMs; ok: boolean } | undefined, now: EpochMs): boolean {
  return beat !== undefined && beat.ok && now - beat.at <= p.ctx.config.linkTimeoutSec * 1000;
}

/** Link status at `now`. */
export function linksView(p: SpaceProjection, now: EpochMs): LinkStatus[] {
  return LINKS.map((id) => {
    const beat = p.links.get(id);
    return { id, label: LINK_LABELS[id], up: linkUp(p, beat, now), lastBeatAt: beat?.at ?? null };
  });
}
