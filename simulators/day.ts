/**
 * The district simulator: a discrete-event simulation of the centre's day — hotline calls through the ACD, cases from
 * every channel with their whole lifecycle, the duty roster with check-ins, the duty desk's handovers (and, where asked,
 * its answers to the duty items: `desk.ts`), link heartbeats and clock ticks. Deterministic: the same seed and start
 * give the same events, byte for byte.
 */
import { DEFAULT_CONFIG, type CityopsConfig } from '@shared/config';
import { assertNever, CHANNELS, LINKS, type Channel } from '@shared/domain';
import type { DomainEvent, DomainEventInput } from '@shared/events';
import { parseWorkingHours } from '@shared/sla/calendar';
import type { SlaEnv } from '@shared/sla/deadline';
import { chineseHolidayCalendar } from '@shared/sla/holidays';
import {
  addDays,
  DAY_MS,
  MINUTE_MS,
  shanghaiDateKey,
  shanghaiInstant,
  shanghaiMidnight,
  shanghaiMinuteOfDay,
  type EpochMs,
} from '@shared/time';
import { CallCentre } from './calls';
import { planCase, type EventBody, type PlanContext } from './cases';
import {
  CHANNEL_SHARE,
  District,
  dutyPosts,
  HOURLY_PROFILE,
  rosterShifts,
  SHIFTS,
  type AgentDef,
  type ShiftDef,
} from './district';
import { TimedHeap, type Kernel } from './heap';
import { Rng } from './random';
import { ScenarioEffects, type Topic } from './effects';
import { HANDOVERS_ONLY, SimulatedDesk, type DeskPlay } from './desk';
import type { PlacedEffect } from '@shared/scenario';

/** How to build a simulation. */
export interface SimOptions {
  /** The seed: same seed and start → identical events. */
  readonly seed: number | string;
  /** Simulated time starts here (events from this instant on), ms. */
  readonly start: EpochMs;
  readonly config?: CityopsConfig;
  /** Cases on a normal working day, all channels (default 1,000). */
  readonly casesPerDay?: number;
  /** A scenario's effects placed in time (none: a normal day). */
  readonly effects?: readonly PlacedEffect[];
  /** What the simulated duty desk does (default: the handovers; the items are left to the people at the desk). */
  readonly desk?: DeskPlay;
}

/** Cases on a normal working day. */
export const DEFAULT_CASES_PER_DAY = 1000;
/** Share of answered hotline calls that become a case (the rest: wrong numbers, silent calls). */
const CALLS_TO_CASES = 0.98;
/** Expected answer rate, used to size the offered calls. */
const EXPECTED_ANSWER_RATE = 0.96;
/** Volume on a day off relative to a working day, by channel. */
const DAY_OFF_FACTOR: Readonly<Record<Channel, number>> = {
  hotline: 0.8,
  city_mgmt: 0.5,
  grid_patrol: 0.4,
  message_board: 0.9,
  district_line: 0.8,
  sensing: 1,
  referral: 0.2,
};
const TICK_MS = 15_000;
const HEARTBEAT_MS = 30_000;

type Action = (ts: EpochMs) => void;

/** A running simulation; pull its events with `advanceTo`. */
export class DistrictSim {
  readonly district: District;
  private readonly heap = new TimedHeap<Action>();
  private readonly kernel: Kernel<EventBody>;
  private readonly calls: CallCentre;
  private readonly plan: PlanContext;
  private readonly arrivals: Rng;
  private readonly duty: Rng;
  private readonly tag: string;
  private readonly perDay: number;
  private readonly caseSeq = new Map<string, number>();
  private readonly effects: readonly PlacedEffect[];
  private readonly fx: ScenarioEffects;
  /** The duty desk's simulated officers; null when they do nothing. */
  private readonly desk: SimulatedDesk | null;
  /** Master case of each mass incident (by effect index) once its first call is answered. */
  private readonly masters = new Map<number, string>();
  private out: DomainEventInput[] = [];
  private nowTs: EpochMs;
  private lastT: EpochMs;
  private n = 0;

  constructor(readonly options: SimOptions) {
    const config = options.config ?? DEFAULT_CONFIG;
    const env: SlaEnv = {
      calendar: chineseHolidayCalendar(config.holidays),
      hours: parseWorkingHours(config.workingHours),
    };
    this.district = new District(config);
    this.perDay = options.casesPerDay ?? DEFAULT_CASES_PER_DAY;
    this.tag = `${String(options.seed)}-${Math.floor(options.start / 1000).toString(36)}`;
    this.nowTs = options.start;
    this.lastT = options.start - 1;
    this.arrivals = Rng.derive(options.seed, 'arrivals');
    this.duty = Rng.derive(options.seed, 'duty');
    this.effects = options.effects ?? [];
    this.fx = new ScenarioEffects(this.effects, options.seed, this.district);
    const play = options.desk ?? HANDOVERS_ONLY;
    this.plan = { rng: Rng.derive(options.seed, 'cases'), env, rules: config.sla, district: this.district };
    const now = (): EpochMs => this.nowTs;
    this.kernel = {
      get now() {
        return now();
      },
      at: (ts, action) => this.heap.push(Math.max(this.nowTs, Math.round(ts)), action),
      emit: (body) => this.emit(body),
    };
    this.calls = new CallCentre(
      this.kernel,
      Rng.derive(options.seed, 'calls'),
      this.district.agents,
      `${this.tag}-call`,
      (a, callId, ts, tag) => this.hotlineCase(a, callId, ts, tag),
    );
    this.desk =
      Math.max(play.handoversUntil, play.itemsUntil) > options.start
        ? new SimulatedDesk(
            this.kernel,
            Rng.derive(options.seed, 'desk'),
            config,
            play,
            options.start,
            (e) => this.push(e),
            () => `${this.tag}-d${++this.n}`,
          )
        : null;
    this.init(options.start);
  }

  /** Simulated time reached so far (the last `advanceTo`), ms. */
  get time(): EpochMs {
    return Math.max(this.lastT, this.options.start);
  }

  /** Runs the simulation to `t` and returns every event with a time in (previous t, t], in time order. */
  advanceTo(t: EpochMs): DomainEventInput[] {
    if (t <= this.lastT) return [];
    for (;;) {
      if (this.heap.peekTs() > t) break;
      const next = this.heap.pop();
      if (!next) break;
      this.nowTs = next.ts;
      next.item(next.ts);
    }
    this.lastT = t;
    this.nowTs = t;
    const out = this.out;
    this.out = [];
    return out;
  }

  /** Why the desk's deciders refused an act it meant to write (none when the simulation is sound). */
  get deskRefusals(): readonly string[] {
    return this.desk?.refusals ?? [];
  }

  /**
   * Whether an event is the duty desk's (an act of its officers, or an item it opened): one that the people at a real
   * desk may have done first, so a server may refuse it without the simulation being wrong.
   */
  isDeskEvent(eventId: string): boolean {
    return eventId.startsWith(`${this.tag}-d`) || eventId.startsWith('item|');
  }

  private emit(body: EventBody): void {
    this.push({ eventId: `${this.tag}-${++this.n}`, ...body } as DomainEventInput);
  }

  /** Adds an event to the stream; the desk folds it into its projection. */
  private push(e: DomainEventInput | DomainEvent): void {
    this.out.push(e);
    this.desk?.observe(e);
  }

  private init(start: EpochMs): void {
    const today = shanghaiDateKey(start);
    const yesterday = addDays(today, -1);
    // Rosters are published a day ahead, so the wall always knows the next shift.
    this.roster(yesterday, start);
    this.roster(today, start);
    this.roster(addDays(today, 1), start);
    this.scheduleShifts(yesterday);
    this.scheduleShifts(today);
    this.kernel.at(shanghaiMidnight(addDays(today, 1)), (ts) => this.dayStart(addDays(today, 1), ts));
    for (const ch of CHANNELS) this.nextArrival(ch, start);
    this.kernel.at(Math.ceil(start / TICK_MS) * TICK_MS, (ts) => this.tick(ts));
    this.kernel.at(Math.ceil(start / HEARTBEAT_MS) * HEARTBEAT_MS, (ts) => this.heartbeat(ts));
    this.effects.forEach((e, i) => this.scheduleEffect(e, i, start));
  }

  // ── Scenario effects ────────────────────────────────────────────────────────────────────────────────────────────

  private scheduleEffect(e: PlacedEffect, index: number, start: EpochMs): void {
    switch (e.kind) {
      case 'alerts': {
        const times = Array.from({ length: e.count }, () => Math.round(this.fx.rng.uniform(e.from, e.to))).sort(
          (a, b) => a - b,
        );
        for (const t of times)
          if (t >= start) this.kernel.at(t, (ts) => this.startCase(e.channel, ts, undefined, undefined, e.topic));
        return;
      }
      case 'mass_incident': {
        const times = Array.from({ length: e.calls }, () => Math.round(this.fx.rng.uniform(e.from, e.to))).sort(
          (a, b) => a - b,
        );
        for (const t of times) if (t >= start) this.kernel.at(t, (ts) => this.calls.offer(ts, index));
        return;
      }
      case 'trunk_failure':
        if (e.to <= start) return;
        this.kernel.at(Math.max(start, e.from), () => this.calls.block(true));
        this.kernel.at(e.to, (ts) => this.calls.block(false, ts));
        return;
      case 'surge':
      case 'absence':
      case 'link_down':
        return; // Read where arrivals, shifts and heartbeats happen.
      default:
        return assertNever(e);
    }
  }

  private tick(ts: EpochMs): void {
    this.emit({ type: 'clock.tick', ts });
    this.kernel.at(ts + TICK_MS, (t) => this.tick(t));
  }

  private heartbeat(ts: EpochMs): void {
    const down = this.fx.active('link_down', ts).map((e) => e.link);
    const trunkFault = this.fx.active('trunk_failure', ts).length > 0;
    for (const link of LINKS) {
      if (down.includes(link)) continue;
      if (link === 'call_trunk' && trunkFault) this.emit({ type: 'link.heartbeat', ts, link, ok: false });
      else this.emit({ type: 'link.heartbeat', ts, link });
    }
    this.kernel.at(ts + HEARTBEAT_MS, (t) => this.heartbeat(t));
  }

  // ── Duty ────────────────────────────────────────────────────────────────────────────────────────────────────────

  private dayStart(date: string, ts: EpochMs): void {
    this.roster(addDays(date, 1), ts);
    this.scheduleShifts(date);
    const next = addDays(date, 1);
    this.kernel.at(shanghaiMidnight(next), (t) => this.dayStart(next, t));
  }

  private roster(date: string, ts: EpochMs): void {
    this.emit({ type: 'duty.roster', ts, date, shifts: rosterShifts(dayNumber(date), this.district.agents) });
  }

  /** Schedules a day's shifts that have not ended: check-ins, agents, and the end with its handover and check-outs. */
  private scheduleShifts(date: string): void {
    const now = this.nowTs;
    SHIFTS.forEach((def, index) => {
      const start = shanghaiInstant(date, def.start);
      let end = shanghaiInstant(date, def.end);
      if (end <= start) end += DAY_MS;
      if (end <= now) return;
      const begin = () => this.shiftBegins(date, index, def, start, end);
      if (start <= now) begin();
      else this.kernel.at(start - 10 * MINUTE_MS, begin);
      this.kernel.at(end, (ts) => this.shiftEnds(date, index, def, ts));
    });
  }

  private shiftBegins(date: string, index: number, def: ShiftDef, start: EpochMs, end: EpochMs): void {
    const rng = this.duty;
    for (const p of dutyPosts(dayNumber(date), index)) {
      this.kernel.at(start - rng.int(0, 8 * 60) * 1000, (t) =>
        this.emit({
          type: 'duty.checked_in',
          ts: t,
          date,
          shiftId: def.id,
          post: p.post,
          personId: p.personId,
          name: p.name,
        }),
      );
    }
    this.calls.startShift(def.id, start, end, this.fx.absentees(def.id, start));
  }

  private shiftEnds(date: string, index: number, def: ShiftDef, ts: EpochMs): void {
    this.calls.endShift(def.id, ts);
    this.desk?.shiftEnded(date, def.id, ts);
    for (const p of dutyPosts(dayNumber(date), index)) {
      this.kernel.at(ts + this.duty.int(1, 10) * MINUTE_MS, (t) =>
        this.emit({ type: 'duty.checked_out', ts: t, date, shiftId: def.id, post: p.post, personId: p.personId }),
      );
    }
  }

  // ── Arrivals and cases ──────────────────────────────────────────────────────────────────────────────────────────

  /** Expected arrivals per minute on `channel` at `ts` (calls for the hotline, cases otherwise). */
  private ratePerMinute(channel: Channel, ts: EpochMs): number {
    const profile = HOURLY_PROFILE[channel];
    const date = shanghaiDateKey(ts);
    const day = this.plan.env.calendar.isWorkday(date) ? 1 : DAY_OFF_FACTOR[channel];
    const surge = this.effects.length === 0 ? 1 : this.fx.surgeFactor(channel, ts);
    return (
      (this.dailyVolume(channel) * day * surge * interpolate(profile, shanghaiMinuteOfDay(ts))) / (sum(profile) * 60)
    );
  }

  private dailyVolume(channel: Channel): number {
    const cases = this.perDay * CHANNEL_SHARE[channel];
    return channel === 'hotline' ? cases / (EXPECTED_ANSWER_RATE * CALLS_TO_CASES) : cases;
  }

  /** Non-homogeneous Poisson arrivals by thinning against the channel's peak rate. */
  private nextArrival(channel: Channel, from: EpochMs): void {
    const profile = HOURLY_PROFILE[channel];
    const peak = (this.dailyVolume(channel) * this.fx.maxSurge(channel) * Math.max(...profile)) / (sum(profile) * 60);
    if (!(peak > 0)) return;
    const at = from + Math.max(1, Math.round(this.arrivals.exponential(1 / peak) * MINUTE_MS));
    this.kernel.at(at, (ts) => {
      if (this.arrivals.next() * peak < this.ratePerMinute(channel, ts)) this.arrive(channel, ts);
      this.nextArrival(channel, ts);
    });
  }

  private arrive(channel: Channel, ts: EpochMs): void {
    // A link down holds what comes over it; the held cases arrive in a burst once it is back.
    const heldUntil = this.fx.heldUntil(channel, ts);
    if (heldUntil !== null) {
      this.kernel.at(heldUntil + this.fx.rng.uniform(0, 10) * MINUTE_MS, (t) => this.arrive(channel, t));
      return;
    }
    if (channel === 'hotline') return this.calls.offer(ts);
    this.startCase(channel, ts, undefined, undefined, this.fx.surgeTopic(channel, ts));
  }

  private hotlineCase(agent: AgentDef, callId: string, ts: EpochMs, tag?: number): void {
    const incident = tag === undefined ? undefined : this.effects[tag];
    if (incident?.kind === 'mass_incident') return this.incidentCase(tag as number, incident, agent, callId, ts);
    if (this.plan.rng.chance(1 - CALLS_TO_CASES)) return;
    this.startCase('hotline', ts, agent.id, callId, this.fx.surgeTopic('hotline', ts));
  }

  /** A call about a mass incident: the first becomes the master case (群体), later ones are received and merged into it. */
  private incidentCase(
    index: number,
    e: Extract<PlacedEffect, { kind: 'mass_incident' }>,
    agent: AgentDef,
    callId: string,
    ts: EpochMs,
  ): void {
    const master = this.masters.get(index);
    if (master === undefined) {
      const flags = e.topic.flags.includes('mass') ? e.topic.flags : [...e.topic.flags, 'mass' as const];
      this.masters.set(index, this.startCase('hotline', ts, agent.id, callId, { ...e.topic, flags }));
      return;
    }
    const d = this.fx.topicDraw('hotline', e.topic);
    const caseId = this.caseId(ts);
    this.emit({
      type: 'case.received',
      ts,
      caseId,
      channel: 'hotline',
      caseType: d.caseType,
      urgency: d.urgency,
      flags: d.flags,
      category: d.category,
      street: d.street,
      title: d.title,
      agentId: agent.id,
      callId,
    });
    this.kernel.at(ts + this.fx.rng.int(1, 5) * MINUTE_MS, (t) =>
      this.emit({ type: 'case.merged', ts: t, caseId, masterCaseId: master }),
    );
  }

  private startCase(channel: Channel, ts: EpochMs, agentId?: string, callId?: string, topic?: Topic): string {
    const draw = topic ? this.fx.topicDraw(channel, topic) : this.district.drawCase(this.plan.rng, channel);
    const caseId = this.caseId(ts);
    const steps = planCase(
      this.plan,
      { caseId, channel, ts, ...(agentId ? { agentId } : {}), ...(callId ? { callId } : {}) },
      draw,
    );
    let i = 0;
    const run = (now: EpochMs): void => {
      for (let s = steps[i]; s && s.ts <= now; s = steps[++i]) this.emit(s);
      const next = steps[i];
      if (next) this.kernel.at(next.ts, run);
    };
    run(ts);
    return caseId;
  }

  /** Case numbers like HS202611230001: the day received and a serial within the day. */
  private caseId(ts: EpochMs): string {
    const date = shanghaiDateKey(ts);
    const n = (this.caseSeq.get(date) ?? 0) + 1;
    this.caseSeq.set(date, n);
    if (this.caseSeq.size > 3) for (const k of this.caseSeq.keys()) if (k < addDays(date, -2)) this.caseSeq.delete(k);
    return `HS${date.replaceAll('-', '')}${String(n).padStart(4, '0')}`;
  }
}

/** Generates every event from `from` to `to` (inclusive) for a seed. */
export function generateEvents(o: {
  seed: number | string;
  from: EpochMs;
  to: EpochMs;
  config?: CityopsConfig;
  casesPerDay?: number;
  effects?: readonly PlacedEffect[];
}): DomainEventInput[] {
  const sim = new DistrictSim({
    seed: o.seed,
    start: o.from,
    ...(o.config ? { config: o.config } : {}),
    ...(o.casesPerDay ? { casesPerDay: o.casesPerDay } : {}),
    ...(o.effects ? { effects: o.effects } : {}),
  });
  return sim.advanceTo(o.to);
}

function dayNumber(date: string): number {
  return Math.round(shanghaiMidnight(date) / DAY_MS);
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** Linear interpolation of an hourly profile between hour midpoints, wrapping around midnight. */
function interpolate(profile: readonly number[], minuteOfDay: number): number {
  const h = minuteOfDay / 60 - 0.5;
  const lo = Math.floor(h);
  const frac = h - lo;
  const at = (i: number) => profile[((i % 24) + 24) % 24] ?? 0;
  return at(lo) * (1 - frac) + at(lo + 1) * frac;
}
