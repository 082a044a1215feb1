/**
 * What time reveals in a space, as events: a running clock turning at risk or overdue, a post still empty after the
 * shift's grace period, a link silent past its timeout — and their recoveries. The server's monitor runs this for every
 * space on the space's clock, watched or not, and writes the result through ingest; folding it (`alerts.ts`) puts it
 * on the ticker. Ids are deterministic (the same condition always has the same id), so a restart or a second node
 * writing the same alert is a duplicate, not a second alert.
 */
import { CLOCK_LABELS, LINK_LABELS, LINKS, POST_LABELS } from '../domain';
import { runningClocks } from '../cases/state';
import type { AlertEvent, TimedAlertKind } from '../events/alert';
import { clockMarks, latenessAt, pastDeadline } from '../sla/lateness';
import { MINUTE_MS, type EpochMs } from '../time';
import { currentShift, linkUp, placedShifts } from './duty';
import type { SpaceProjection } from './state';

/** Most alert events one pass writes (the rest follow on the next pass), so a long outage does not make one huge batch. */
export const MONITOR_BATCH_MAX = 2_000;

/** Alert ids the monitor owns start with their kind and this separator; it never clears an alert it does not own. */
const OWNED = ['overdue|', 'at_risk|', 'post_empty|', 'link_down|', 'wall_silent|'];

type Wanted = Extract<AlertEvent, { type: 'alert.raised' }>;

/**
 * A wall screen of the space that stopped reporting: its id, a name for people, since when on the space's clock (ms),
 * and its last report's wall-clock ms, which names this silence (a wall silent again later raises a new alert).
 */
export interface SilentWall {
  readonly wallId: string;
  readonly label: string;
  readonly since: EpochMs;
  readonly lastReportAt: number;
}

/**
 * The silence a wall alert names — its wall and that wall's last report (wall-clock ms) — read back from the alert
 * (`alertIdOf('wall_silent', [wallId, lastReportAt])`, never hashed: a wall id is at most 64 characters), and the
 * address its text gives; null for any other alert. A start gives the walls still silent back to the registry with it.
 */
export function wallSilenceOf(
  raised: Pick<Wanted, 'alertId' | 'kind' | 'wall' | 'text'>,
): { readonly wallId: string; readonly lastReportAt: number; readonly address: string } | null {
  if (raised.kind !== 'wall_silent' || raised.wall === undefined) return null;
  const prefix = `wall_silent|${raised.wall}|`;
  if (!raised.alertId.startsWith(prefix)) return null;
  const lastReportAt = Number(raised.alertId.slice(prefix.length));
  if (!Number.isSafeInteger(lastReportAt)) return null;
  return { wallId: raised.wall, lastReportAt, address: /（(.*)） 已停止上报$/.exec(raised.text)?.[1] ?? '' };
}

/** A short deterministic id: the readable form when it fits an event id (≤ 128), else the kind and a 64-bit hash. */
export function alertIdOf(kind: TimedAlertKind, parts: readonly (string | number)[]): string {
  const id = [kind, ...parts].join('|');
  if (id.length <= 110) return id;
  let a = 0x811c9dc5;
  let b = 0xcbf29ce4;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
  }
  return `${kind}|#${a.toString(16).padStart(8, '0')}${b.toString(16).padStart(8, '0')}`;
}

const clip = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/**
 * The conditions that hold at `now`: the ids of the alerts that should be active, and the raise events of those not
 * active yet. An alert already active costs its id only (most passes change nothing).
 */
function wanted(p: SpaceProjection, now: EpochMs, walls: readonly SilentWall[]): { ids: Set<string>; raise: Wanted[] } {
  const ids = new Set<string>();
  const raise: Wanted[] = [];
  const want = (alertId: string, build: () => Omit<Wanted, 'type' | 'eventId' | 'ts' | 'alertId'>): void => {
    ids.add(alertId);
    if (!p.active.has(alertId)) raise.push({ type: 'alert.raised', eventId: alertId, ts: now, alertId, ...build() });
  };
  for (const id of p.open) {
    const c = p.cases.get(id);
    if (!c) continue;
    for (const { id: clock, clock: state } of runningClocks(c)) {
      const base = { caseId: c.id, street: c.street, clock };
      // Marks are memoised per clock object (clocks are replaced, never changed, on a move).
      const marks = clockMarks(p.ctx.lifecycle.env, state, p.ctx.thresholds);
      const lateness = latenessAt(marks, now);
      if (lateness === 'overdue') {
        want(alertIdOf('overdue', [c.id, clock, state.deadline]), () => ({
          ...base,
          kind: 'overdue',
          level: 'bad',
          since: state.deadline,
          text: clip(`${CLOCK_LABELS[clock]}超期 ${c.title}`, 300),
        }));
      } else if (lateness === 'at_risk') {
        want(alertIdOf('at_risk', [c.id, clock, state.deadline]), () => ({
          ...base,
          kind: 'at_risk',
          level: 'warn',
          since: marks.riskAt,
          text: clip(`${CLOCK_LABELS[clock]}临期 ${c.title}`, 300),
        }));
      }
    }
  }
  const { current } = currentShift(p, now);
  const graceEnd = current ? current.start + p.ctx.config.handoverGraceMin * MINUTE_MS : null;
  if (current && graceEnd !== null && now > graceEnd) {
    for (const slot of current.shift.posts) {
      const c = p.checkIns.get(`${current.date}|${current.shift.id}|${slot.post}`);
      if (c && c.out === null) continue;
      const since = Math.max(graceEnd, c?.out ?? graceEnd);
      want(alertIdOf('post_empty', [current.date, current.shift.id, slot.post, since]), () => ({
        kind: 'post_empty',
        level: 'bad',
        post: slot.post,
        since,
        text: clip(`${POST_LABELS[slot.post]}空岗（${current.shift.name} 应到 ${slot.name}）`, 300),
      }));
    }
  }
  for (const link of LINKS) {
    const beat = p.links.get(link);
    // A link never heard from in this space is not monitored (a drill or an import without heartbeats).
    if (!beat || linkUp(p, beat, now)) continue;
    // Silent after a good heartbeat: down since its timeout ran out. Reporting a fault: down since its outage began,
    // one alert however many faulty heartbeats follow.
    const outage = beat.ok ? null : beat.outage;
    const since = outage ? outage.since : beat.at + p.ctx.config.linkTimeoutSec * 1000;
    want(alertIdOf('link_down', [link, outage ? outage.key : beat.at]), () => ({
      kind: 'link_down',
      level: 'bad',
      link,
      since,
      text: `${LINK_LABELS[link]}链路中断`,
    }));
  }
  for (const w of walls) {
    // The id `wallSilenceOf` reads back: keep the two together.
    want(alertIdOf('wall_silent', [w.wallId, w.lastReportAt]), () => ({
      kind: 'wall_silent',
      level: 'bad',
      wall: w.wallId,
      since: w.since,
      text: clip(`大屏 ${w.label} 已停止上报`, 300),
    }));
  }
  return { ids, raise };
}

/**
 * When the condition behind an alert ended, as far as the projection tells (the monitor notices on its next pass, or
 * after a replay much later): the case's event that stopped or moved the clock, the check-in to the post, the link's
 * next good heartbeat; else now. Never before the alert began nor after now.
 */
function recoveredAt(p: SpaceProjection, raised: Wanted, now: EpochMs): EpochMs {
  let at: EpochMs | undefined;
  if (raised.caseId !== undefined) {
    // The clock turned overdue at its deadline, or something happened to the case after the alert.
    const c = p.cases.get(raised.caseId);
    const clock = c && raised.clock ? c[raised.clock] : null;
    if (raised.kind === 'at_risk' && clock && clock.stoppedAt === null && pastDeadline(clock.deadline, now))
      at = clock.deadline;
    else at = clock?.stoppedAt ?? c?.updatedAt;
  } else if (raised.post !== undefined) {
    // The shift whose post was empty (on when the alert began): held again in that shift, or the shift ended.
    const post = raised.post;
    const shift = placedShifts(p, raised.since).find(
      (s) => s.start <= raised.since && raised.since < s.end && s.shift.posts.some((x) => x.post === post),
    );
    if (shift) {
      const c = p.checkIns.get(`${shift.date}|${shift.shift.id}|${post}`);
      at = c && c.at >= raised.since && c.at < shift.end ? c.at : now >= shift.end ? shift.end : undefined;
    } else
      for (const [key, c] of p.checkIns)
        if (key.endsWith(`|${post}`) && c.out === null && c.at >= raised.since && (at === undefined || c.at < at))
          at = c.at;
  } else if (raised.link !== undefined) {
    const beat = p.links.get(raised.link);
    if (beat && linkUp(p, beat, now)) at = beat.at;
  }
  return Math.min(now, Math.max(raised.since, at ?? now));
}

/**
 * The alert events that bring the space's active alerts in line with what holds at `now`: raise what newly holds,
 * clear what the monitor raised and no longer holds. `walls` are the space's wall screens silent now (the server
 * knows them; they are not events). Empty when nothing changed. Pure.
 */
export function timedAlertEvents(
  p: SpaceProjection,
  now: EpochMs,
  max = MONITOR_BATCH_MAX,
  walls: readonly SilentWall[] = [],
): AlertEvent[] {
  const { ids, raise } = wanted(p, now, walls);
  const out: AlertEvent[] = [];
  for (const [id, { raised }] of p.active) {
    if (out.length >= max) return out;
    if (!ids.has(id) && OWNED.some((k) => id.startsWith(k)))
      out.push({ type: 'alert.cleared', eventId: `${id}|cleared`, ts: recoveredAt(p, raised, now), alertId: id });
  }
  // Oldest conditions first, so a pass cut short by `max` writes them in the order they happened.
  raise.sort((a, b) => a.since - b.since || a.alertId.localeCompare(b.alertId));
  for (const w of raise) {
    if (out.length >= max) break;
    out.push(w);
  }
  return out;
}
