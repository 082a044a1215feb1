/** The staffing check: Erlang C agents needed at the current arrival rate and AHT, against agents ready. */
import { agentsNeeded, serviceLevel } from '../kpi/erlang';
import { callKpis } from '../kpi/callcentre';
import { addDays, shanghaiDateKey, shanghaiMinuteOfDay, type EpochMs } from '../time';
import type { HotlinePanel, StaffingPanel } from '../wall/panels';
import type { SpaceProjection } from './state';

/** Calls offered in the `windowMin` whole minutes up to `now` (across midnight), from the per-minute counts. */
export function offeredInWindow(p: SpaceProjection, now: EpochMs, windowMin: number): number {
  const day = shanghaiDateKey(now);
  const minute = Math.floor(shanghaiMinuteOfDay(now));
  const today = p.days.get(day)?.offeredPerMinute;
  const before = p.days.get(addDays(day, -1))?.offeredPerMinute;
  let n = 0;
  for (let i = 0; i < windowMin; i++) {
    const m = minute - i;
    n += m >= 0 ? (today?.[m] ?? 0) : (before?.[1440 + m] ?? 0);
  }
  return n;
}

/** The staffing panel at `now` for today's hotline figures. */
export function staffingView(p: SpaceProjection, now: EpochMs, hotline: HotlinePanel): StaffingPanel {
  const { level, targetSec, windowMin, defaultAhtSec } = p.ctx.config.staffing;
  const callsPerHour = (offeredInWindow(p, now, windowMin) * 60) / windowMin;
  const day = p.days.get(shanghaiDateKey(now));
  const ahtSec = Math.round((day ? callKpis(day.calls).ahtSec : null) ?? defaultAhtSec);
  const staffed = hotline.agents.ready + hotline.agents.on_call + hotline.agents.after_call;
  const needed = agentsNeeded(callsPerHour, ahtSec, targetSec, level);
  const predicted = callsPerHour > 0 ? serviceLevel(staffed, callsPerHour, ahtSec, targetSec) : null;
  return {
    callsPerHour: Math.round(callsPerHour),
    windowMin,
    ahtSec,
    level,
    targetSec,
    needed,
    ready: hotline.agents.ready,
    staffed,
    predicted,
  };
}
