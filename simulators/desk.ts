/**
 * The simulated duty desk: what the duty room does at the desk during a simulated day. At each shift change the
 * outgoing duty officer submits the handover record the desk drafts, and the incoming one signs it a few minutes later
 * (交接班). Where it is asked to, the officer on duty also answers the duty items: acknowledges each one a few minutes
 * after it opens (接报, now and then past its limit), reports it upward by phone and in writing (信息报送, mostly within
 * the limits, sometimes late) and resolves it with a note.
 *
 * Every act is the event the desk's own commands write, decided by the desk's deciders (`decideSubmit`, `decideSign`,
 * `decideItemAction`) against the simulation's own projection of the space: the day's events folded with the shared
 * reducers, with the alerts and duty items the server's monitor would write computed on it by the same functions. An
 * item is opened, before it is first acted on, with the monitor's own event under its own id, so the server's copy and
 * this one are one event. Deterministic: the times and words come from the desk's seeded random stream.
 */
import { decideItemAction, type ItemAction } from '@shared/duty/actions';
import { handoverIdOf, nextShift } from '@shared/duty/handover';
import { decideSign, decideSubmit } from '@shared/duty/handoverActions';
import type { DutyItem } from '@shared/duty/items';
import { itemLimits } from '@shared/duty/limits';
import { dutyItemEvents } from '@shared/duty/monitor';
import type { CityopsConfig } from '@shared/config';
import { validateEvent, type DomainEvent, type DomainEventInput } from '@shared/events';
import type { ItemKind } from '@shared/events/item';
import { applyEvent } from '@shared/projection/apply';
import { projectionContext } from '@shared/projection/context';
import { currentShift, placedShifts, type PlacedShift } from '@shared/projection/duty';
import { MONITOR_BATCH_MAX, timedAlertEvents } from '@shared/projection/monitor';
import { sweep } from '@shared/projection/retention';
import { createProjection, type SpaceProjection } from '@shared/projection/state';
import { HOUR_MS, MINUTE_MS, type EpochMs } from '@shared/time';
import type { Kernel } from './heap';
import type { Rng } from './random';

/**
 * What the simulated desk does, each up to an instant (ms): acts dated at or after it are left to the people at the
 * desk (a drill's window). `Infinity`: always; `-Infinity`: never.
 */
export interface DeskPlay {
  /** The outgoing officer submits, and the incoming one signs, each shift's handover record. */
  readonly handoversUntil: EpochMs;
  /** The officer on duty acknowledges, reports and resolves the duty items. */
  readonly itemsUntil: EpochMs;
}

/** The whole desk, always (the demo space). */
export const WHOLE_DESK: DeskPlay = { handoversUntil: Infinity, itemsUntil: Infinity };
/** Handovers only: the items are left to the people at the desk (the default of a simulated day). */
export const HANDOVERS_ONLY: DeskPlay = { handoversUntil: Infinity, itemsUntil: -Infinity };
/** Nothing: the people at the desk do all of it. */
export const NO_DESK: DeskPlay = { handoversUntil: -Infinity, itemsUntil: -Infinity };

/** How often the officer looks at the desk for new items, ms (the monitor's pass, as the simulation runs it). */
const PASS_MS = MINUTE_MS;
/** Shares of acknowledgements and of reports made within their limits. */
const ACK_ON_TIME = 0.92;
const REPORT_ON_TIME = 0.9;

const HANDOVER_NOTES = [
  '交接正常，无遗留重大事项',
  '已交接在办紧急件及重点关注事项',
  '话务平稳，系统运行正常',
  '已交接待回访件及领导批示件',
];
const SIGN_NOTES = ['已阅，接班', '已核对在办事项，接班'];
const PHONE_NOTES = ['已电话报告值班领导', '已电话报告区应急管理局值班室'];
const WRITTEN_NOTES = ['已书面报送区委区政府总值班室', '已书面报送值班领导'];
const RESOLVE_NOTES: Readonly<Record<ItemKind, readonly string[]>> = {
  case: [
    '已电话联系承办单位，现场已处置，持续跟踪',
    '已派单并督促承办单位限时办理',
    '已联系属地街道处置，情况已稳定',
    '已报值班领导，按批示跟进处置结果',
  ],
  overdue: ['已督促承办单位加快办理，承诺今日办结', '已联系承办单位说明超期原因并催办'],
  post_empty: ['已联系当班人员到岗', '已安排替岗人员到岗'],
  link_down: ['已联系运维恢复链路，数据已补传', '链路已恢复，已核对期间数据'],
  handover: ['已联系接班人员完成签收', '已电话确认交接，补签完成'],
};

/** The desk of one simulation: its projection of the space, and the acts it schedules on the simulation's kernel. */
export class SimulatedDesk {
  private readonly p: SpaceProjection;
  private readonly until: EpochMs;
  /** Why the deciders refused an act the desk meant to write (the first 100): none, when the simulation is sound. */
  readonly refusals: string[] = [];
  private lastSweep: EpochMs;

  /**
   * `send` writes an event into the simulation's stream (which hands it back to `observe`); `nextId` gives a desk
   * act's event id.
   */
  constructor(
    private readonly kernel: Kernel<unknown>,
    private readonly rng: Rng,
    config: CityopsConfig,
    private readonly play: DeskPlay,
    start: EpochMs,
    private readonly send: (e: DomainEvent) => void,
    private readonly nextId: () => string,
  ) {
    this.p = createProjection('sim', projectionContext(config));
    // Closed cases leave this projection's memory for good: the desk needs the open ones.
    this.p.archive = { get: () => undefined };
    this.until = Math.max(play.handoversUntil, play.itemsUntil);
    this.lastSweep = start;
    if (play.itemsUntil > start) kernel.at(start + PASS_MS, (t) => this.itemPass(t));
  }

  /** Whether the desk still has something to do at `t` (ms). */
  private active(t: EpochMs): boolean {
    return t < this.until;
  }

  /** Folds an event of the simulation into the desk's projection. */
  observe(e: DomainEventInput): void {
    if (e.type === 'clock.tick' || !this.active(e.ts)) return;
    const v = validateEvent(e);
    if (v.ok) applyEvent(this.p, v.event);
  }

  /** The shift `shiftId` of the roster of `date` ended at `end` (ms): its handover is submitted, then signed. */
  shiftEnded(date: string, shiftId: string, end: EpochMs): void {
    if (!(end < this.play.handoversUntil)) return;
    const shifts = placedShifts(this.p, end);
    const out = shifts.find((s) => s.date === date && s.shift.id === shiftId);
    const next = out ? nextShift(shifts, out) : null;
    if (!out || !next) return;
    const officer = (s: PlacedShift) =>
      s.shift.posts.find((x) => x.post === 'duty_officer')?.name ?? `${s.shift.name}值班员`;
    const id = handoverIdOf(out);
    const note = this.rng.pick(HANDOVER_NOTES);
    const submitAt = end + Math.round(this.rng.uniform(1, 8) * MINUTE_MS);
    const signAt = submitAt + Math.round(this.rng.uniform(3, 15) * MINUTE_MS);
    const signNote = this.rng.chance(0.5) ? this.rng.pick(SIGN_NOTES) : undefined;
    this.kernel.at(submitAt, (t) => {
      if (!(t < this.play.handoversUntil)) return;
      // The draft lists what the desk holds now: bring the items up to this minute first.
      this.monitorPass(t);
      this.write(decideSubmit(this.p, { space: this.p.space, handoverId: id, note }, this.nextId(), t, officer(out)));
    });
    this.kernel.at(signAt, (t) => {
      if (!(t < this.play.handoversUntil)) return;
      const a = signNote ? { space: this.p.space, note: signNote } : { space: this.p.space };
      this.write(decideSign(this.p, id, a, this.nextId(), t, officer(next)));
    });
  }

  /** Writes a decided act; a refusal (the desk would have answered 409) is kept for whoever runs the simulation. */
  private write(d: { ok: true; event: DomainEvent } | { ok: false; reason: string }): void {
    if (d.ok) this.send(d.event);
    else if (this.refusals.length < 100) this.refusals.push(d.reason);
  }

  /** The monitor's pass at `t`: alerts and items folded here; an item the officer will answer is opened in the stream. */
  private monitorPass(t: EpochMs): void {
    const alerts = timedAlertEvents(this.p, t);
    const items = dutyItemEvents(this.p, t, MONITOR_BATCH_MAX);
    for (const e of alerts) applyEvent(this.p, e);
    for (const e of items) {
      if (e.type === 'item.opened' && t < this.play.itemsUntil) {
        this.send(e);
        const it = this.p.items.get(e.itemId);
        if (it) this.answer(it, t);
      } else applyEvent(this.p, e);
    }
    if (t - this.lastSweep >= HOUR_MS) {
      sweep(this.p, t);
      this.lastSweep = t;
    }
  }

  private itemPass(t: EpochMs): void {
    if (!(t < this.play.itemsUntil)) return;
    this.monitorPass(t);
    this.kernel.at(t + PASS_MS, (next) => this.itemPass(next));
  }

  /**
   * Plans the officer's answer to an item opened at `t` (ms): acknowledged a few minutes after its condition began
   * (now and then past the limit), each configured report made within its limit mostly, then resolved with a note.
   */
  private answer(it: DutyItem, t: EpochMs): void {
    const rng = this.rng;
    const { config, lifecycle } = this.p.ctx;
    const limits = itemLimits(config.duty, lifecycle.env, it, t, 1);
    /** An instant before `due` (a share of the time from `from`), or a few minutes past it. */
    const within = (from: EpochMs, due: EpochMs, onTime: number, lateMin: [number, number]): EpochMs =>
      rng.chance(onTime) && due > from
        ? from + Math.round(rng.uniform(0.2, 0.85) * (due - from))
        : Math.max(due, from) + Math.round(rng.uniform(lateMin[0], lateMin[1]) * MINUTE_MS);
    // The officer sees the item once it is open: never before now and a few seconds.
    const ackAt = Math.max(t + rng.int(10, 60) * 1000, within(it.since, limits.ack.due, ACK_ON_TIME, [1, 8]));
    let last = ackAt;
    const steps: [EpochMs, ItemAction][] = [[ackAt, { kind: 'acknowledge', space: this.p.space }]];
    const first = limits.firstReport;
    if (first) {
      const at = Math.max(last + MINUTE_MS, within(ackAt, first.due, REPORT_ON_TIME, [2, 20]));
      steps.push([at, { kind: 'report', space: this.p.space, mode: 'phone', note: rng.pick(PHONE_NOTES) }]);
      last = at;
    }
    const written = limits.writtenReport;
    if (written) {
      const at = Math.max(last + MINUTE_MS, within(last, written.due, REPORT_ON_TIME, [5, 30]));
      steps.push([at, { kind: 'report', space: this.p.space, mode: 'written', note: rng.pick(WRITTEN_NOTES) }]);
      last = at;
    }
    const resolveAt = last + Math.round(rng.uniform(15, 90) * MINUTE_MS);
    steps.push([resolveAt, { kind: 'resolve', space: this.p.space, note: rng.pick(RESOLVE_NOTES[it.kind]) }]);
    for (const [at, action] of steps) this.kernel.at(at, (ts) => this.act(it.id, action, ts));
  }

  private act(itemId: string, action: ItemAction, t: EpochMs): void {
    if (!(t < this.play.itemsUntil)) return;
    const by = this.officerAt(t);
    this.write(decideItemAction(this.p.items.get(itemId), itemId, action, this.nextId(), t, by));
  }

  /** The duty officer the roster has on at `t` (ms). */
  private officerAt(t: EpochMs): string {
    const { current } = currentShift(this.p, t);
    return current?.shift.posts.find((x) => x.post === 'duty_officer')?.name ?? '值班员';
  }
}
