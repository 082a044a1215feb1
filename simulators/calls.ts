/**
 * The hotline's ACD (automatic call distribution): calls queue when no agent is ready, callers abandon after a drawn
 * patience, the longest-idle ready agent answers, talks (log-normal, mean ≈ 4 min), wraps up (1–3 min, writing the
 * case) and is ready again. Agents log in at their shift's start, take breaks, and log out at its end.
 */
import type { AgentState } from '@shared/domain';
import { MINUTE_MS } from '@shared/time';
import type { AgentDef } from './district';
import type { Kernel } from './heap';
import type { Rng } from './random';
import type { EventBody } from './cases';

const SEC = 1000;

interface AgentRt {
  readonly def: AgentDef;
  state: AgentState;
  loggedIn: boolean;
  /** Ringing, talking or wrapping up. */
  busy: boolean;
  leaving: boolean;
  idleSince: number;
  pendingBreakMs: number | null;
}

interface CallRt {
  readonly id: string;
  readonly offeredAt: number;
  status: 'waiting' | 'ringing' | 'talk' | 'wrap' | 'done' | 'abandoned';
  agent: AgentRt | null;
  /** What the call is about, when a scenario says so (passed to the wrap-up hook). */
  readonly tag: number | undefined;
}

/** Called at the end of wrap-up: the agent writes the case of the call (or not). */
export type WrapupHook = (agent: AgentDef, callId: string, ts: number, tag: number | undefined) => void;

/** The call centre's agents and queue. */
export class CallCentre {
  private readonly agents: AgentRt[];
  private readonly queue: CallRt[] = [];
  private calls = 0;
  /** A trunk failure: calls still queue but none reaches an agent. */
  private blocked = false;

  constructor(
    private readonly k: Kernel<EventBody>,
    private readonly rng: Rng,
    agents: readonly AgentDef[],
    private readonly idPrefix: string,
    private readonly onWrapup: WrapupHook,
  ) {
    this.agents = agents.map((def) => ({
      def,
      state: 'logged_out',
      loggedIn: false,
      busy: false,
      leaving: false,
      idleSince: 0,
      pendingBreakMs: null,
    }));
  }

  /** Schedules the shift's agents to log in around `start` (not before now) and plans their breaks within [start, end). */
  startShift(shiftId: string, start: number, end: number, absent: ReadonlySet<string> = new Set()): void {
    const len = end - start;
    for (const a of this.agents) {
      if (a.def.shift !== shiftId || absent.has(a.def.id)) continue;
      const loginAt = Math.max(this.k.now, start - this.rng.int(0, 8 * 60) * SEC);
      this.k.at(loginAt, (ts) => this.login(a, ts));
      // A meal break mid-shift and, often, a short one in each half; breaks already past (joining mid-shift) are skipped.
      const breaks: [number, number][] = [
        [start + Math.round(this.rng.uniform(0.4, 0.6) * len), this.rng.int(30, 45) * MINUTE_MS],
      ];
      for (const [lo, hi] of [
        [0.15, 0.3],
        [0.7, 0.85],
      ] as const) {
        if (this.rng.chance(0.7))
          breaks.push([start + Math.round(this.rng.uniform(lo, hi) * len), this.rng.int(8, 15) * MINUTE_MS]);
      }
      for (const [at, duration] of breaks) {
        if (at > loginAt + MINUTE_MS) this.k.at(at, (ts) => this.breakDue(a, duration, ts));
      }
    }
  }

  /** The shift is over: idle agents log out now, busy ones after their call. */
  endShift(shiftId: string, ts: number): void {
    for (const a of this.agents) {
      if (a.def.shift !== shiftId || !a.loggedIn) continue;
      a.leaving = true;
      if (!a.busy) this.logout(a, ts);
    }
  }

  /** A call arrives at the queue. */
  offer(ts: number, tag?: number): void {
    const call: CallRt = { id: `${this.idPrefix}${++this.calls}`, offeredAt: ts, status: 'waiting', agent: null, tag };
    this.k.emit({ type: 'call.offered', ts, callId: call.id });
    this.queue.push(call);
    // Most callers wait minutes; a few hang up within seconds (during the greeting or the first rings).
    const patience = this.rng.chance(0.085)
      ? this.rng.uniform(1, 10) * SEC
      : Math.max(5 * SEC, this.rng.lognormal(150 * SEC, 1));
    this.k.at(ts + Math.round(patience), (t) => this.abandon(call, t));
    this.distribute(ts);
  }

  private login(a: AgentRt, ts: number): void {
    a.loggedIn = true;
    a.leaving = false;
    a.busy = false;
    a.pendingBreakMs = null;
    this.setState(a, 'logged_in', ts, true);
    this.k.at(ts + this.rng.int(20, 90) * SEC, (t) => this.ready(a, t));
  }

  private ready(a: AgentRt, ts: number): void {
    if (!a.loggedIn) return;
    if (a.leaving) return this.logout(a, ts);
    a.idleSince = ts;
    this.setState(a, 'ready', ts);
    this.distribute(ts);
  }

  private logout(a: AgentRt, ts: number): void {
    a.loggedIn = false;
    a.leaving = false;
    a.pendingBreakMs = null;
    this.setState(a, 'logged_out', ts);
  }

  private breakDue(a: AgentRt, durationMs: number, ts: number): void {
    if (!a.loggedIn || a.leaving || a.state === 'break') return;
    if (a.busy || a.state !== 'ready') {
      if (a.state !== 'logged_in') a.pendingBreakMs = durationMs;
      return;
    }
    this.startBreak(a, durationMs, ts);
  }

  private startBreak(a: AgentRt, durationMs: number, ts: number): void {
    a.pendingBreakMs = null;
    this.setState(a, 'break', ts);
    this.k.at(ts + durationMs, (t) => this.ready(a, t));
  }

  /** Blocks or unblocks the trunk; unblocking hands the queue to ready agents at `ts`. */
  block(on: boolean, ts?: number): void {
    this.blocked = on;
    if (!on && ts !== undefined) this.distribute(ts);
  }

  /** Gives waiting calls to the longest-idle ready agents. */
  private distribute(ts: number): void {
    while (this.queue.length > 0 && !this.blocked) {
      let best: AgentRt | null = null;
      for (const a of this.agents) {
        if (a.state !== 'ready' || a.busy || a.leaving || !a.loggedIn) continue;
        if (!best || a.idleSince < best.idleSince) best = a;
      }
      if (!best) return;
      const call = this.queue.shift() as CallRt;
      call.status = 'ringing';
      call.agent = best;
      best.busy = true;
      this.k.at(ts + this.rng.int(2_000, 8_000), (t) => this.answer(call, t));
    }
  }

  private answer(call: CallRt, ts: number): void {
    const a = call.agent;
    if (call.status !== 'ringing' || !a) return;
    call.status = 'talk';
    this.k.emit({ type: 'call.answered', ts, callId: call.id, agentId: a.def.id });
    this.setState(a, 'on_call', ts);
    const talk = Math.min(30 * MINUTE_MS, Math.max(30 * SEC, this.rng.lognormal(240 * SEC, 0.6)));
    this.k.at(ts + Math.round(talk), (t) => this.end(call, a, t));
  }

  private abandon(call: CallRt, ts: number): void {
    if (call.status === 'waiting') {
      const i = this.queue.indexOf(call);
      if (i >= 0) this.queue.splice(i, 1);
    } else if (call.status !== 'ringing') return;
    const a = call.agent;
    call.status = 'abandoned';
    this.k.emit({ type: 'call.abandoned', ts, callId: call.id });
    if (a) {
      a.busy = false;
      this.afterWork(a, ts, false);
    }
  }

  private end(call: CallRt, a: AgentRt, ts: number): void {
    call.status = 'wrap';
    this.k.emit({ type: 'call.ended', ts, callId: call.id });
    this.setState(a, 'after_call', ts);
    this.k.at(ts + this.rng.int(60, 180) * SEC, (t) => this.wrapup(call, a, t));
  }

  private wrapup(call: CallRt, a: AgentRt, ts: number): void {
    call.status = 'done';
    this.onWrapup(a.def, call.id, ts, call.tag);
    this.k.emit({ type: 'call.wrapup_done', ts, callId: call.id, agentId: a.def.id });
    a.busy = false;
    this.afterWork(a, ts, true);
  }

  /** After a call (or a caller hanging up while it rang): log out, take a due break, or be ready again. */
  private afterWork(a: AgentRt, ts: number, stateChanged: boolean): void {
    if (a.leaving) return this.logout(a, ts);
    if (a.pendingBreakMs !== null) return this.startBreak(a, a.pendingBreakMs, ts);
    if (stateChanged) return this.ready(a, ts);
    this.distribute(ts);
  }

  private setState(a: AgentRt, state: AgentState, ts: number, withName = false): void {
    a.state = state;
    this.k.emit(
      withName
        ? { type: 'agent.state', ts, agentId: a.def.id, name: a.def.name, state }
        : { type: 'agent.state', ts, agentId: a.def.id, state },
    );
  }
}
