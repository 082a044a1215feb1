/** The hotline panel and the agents' load panel: today's call figures, the queue now, agents by state and their cases. */
import type { AgentState } from '../domain';
import { callKpis, loadSummary, presenceRate } from '../kpi/callcentre';
import type { EpochMs } from '../time';
import type { AgentLoadPanel, HotlinePanel } from '../wall/panels';
import type { DayFigures } from './day';
import { CALL_ID_SPAN_MS } from './ops';
import type { SpaceProjection } from './state';

function agentsByState(p: SpaceProjection): Record<Exclude<AgentState, 'logged_out'>, number> {
  const out = { logged_in: 0, ready: 0, on_call: 0, after_call: 0, break: 0 };
  for (const a of p.agents.values()) if (a.state !== 'logged_out') out[a.state]++;
  return out;
}

/** The hotline at `now`: the day's call figures `d`, calls waiting and the longest wait (s), agents by state. */
export function hotlineView(p: SpaceProjection, d: DayFigures, now: EpochMs): HotlinePanel {
  let waiting = 0;
  let oldest: EpochMs | null = null;
  for (const c of p.calls.values()) {
    // A call offered over a day ago is no longer one (its id may come back), swept or not yet.
    if (c.answeredAt !== null || now - c.offeredAt > CALL_ID_SPAN_MS) continue;
    waiting++;
    if (oldest === null || c.offeredAt < oldest) oldest = c.offeredAt;
  }
  const agents = agentsByState(p);
  const busy = agents.on_call + agents.after_call;
  const k = callKpis(d.calls);
  return {
    offered: d.calls.offered,
    answered: d.calls.answered,
    abandoned: d.calls.abandoned,
    answeredWithin15s: d.calls.answeredWithin15s,
    answerRate: k.answerRate,
    serviceLevel15: k.serviceLevel15,
    abandonRate: k.abandonRate,
    asaSec: k.asaSec,
    ahtSec: k.ahtSec,
    waiting,
    oldestWaitingSince: oldest,
    longestWaitSec: oldest === null ? 0 : Math.max(0, Math.round((now - oldest) / 1000)),
    agents,
    occupancy: busy + agents.ready === 0 ? null : busy / (busy + agents.ready),
    target: p.ctx.config.targets.answerRate,
  };
}

/** Agents' cases on the day `d` against the configured band, with `rostered` agents for the presence rate. */
export function agentLoadView(p: SpaceProjection, d: DayFigures, rostered: number): AgentLoadPanel {
  const ids = new Set(d.agentCases.keys());
  for (const [id, a] of p.agents) if (a.state !== 'logged_out') ids.add(id);
  const agents = [...ids]
    .map((id) => {
      const a = p.agents.get(id);
      return { id, name: a?.name ?? id, cases: d.agentCases.get(id) ?? 0, state: a?.state ?? 'logged_out' };
    })
    .sort((a, b) => b.cases - a.cases || a.id.localeCompare(b.id));
  const worked = agents.filter((a) => a.cases > 0).map((a) => a.cases);
  const onDuty = agents.filter((a) => a.state !== 'logged_out').length;
  return {
    band: { ...p.ctx.config.loadBand },
    agents,
    summary: loadSummary(worked, p.ctx.config.loadBand),
    onDuty,
    rostered,
    presenceRate: presenceRate(onDuty, rostered),
  };
}
