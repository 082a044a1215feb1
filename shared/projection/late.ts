/** The late-case scan: every running clock of every open case, judged at `now` by the lateness rule (`sla/lateness.ts`). */
import type { ClockId } from '../domain';
import { runningClocks } from '../cases/state';
import { clockLateness } from '../sla/lateness';
import type { EpochMs } from '../time';
import type { OverduePanel } from '../wall/panels';
import type { SpaceProjection } from './state';

type Counts = Record<ClockId, number> & { total: number };
const zero = (): Counts => ({ sign: 0, handle: 0, callback: 0, total: 0 });

/** Scans open cases at `now`: counts overdue and at-risk clocks, by street and unit (supervisedToday is filled by the caller). */
export function scanLate(p: SpaceProjection, now: EpochMs): Omit<OverduePanel, 'supervisedToday'> {
  const overdue = zero();
  const atRisk = zero();
  const byStreet: Record<string, { open: number; overdue: number }> = {};
  const byUnit = new Map<string, number>();
  for (const id of p.open) {
    const c = p.cases.get(id);
    if (!c) continue;
    const street = (byStreet[c.street] ??= { open: 0, overdue: 0 });
    street.open++;
    let late = false;
    let risky = false;
    for (const { id: clock, clock: state } of runningClocks(c)) {
      const status = clockLateness(p.ctx.lifecycle.env, state, now, p.ctx.thresholds);
      if (status === 'overdue') {
        overdue[clock]++;
        late = true;
      } else if (status === 'at_risk') {
        atRisk[clock]++;
        risky = true;
      }
    }
    if (late) {
      overdue.total++;
      street.overdue++;
      if (c.unit) byUnit.set(c.unit, (byUnit.get(c.unit) ?? 0) + 1);
    } else if (risky) atRisk.total++;
  }
  const topUnits = [...byUnit]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 8)
    .map(([unit, n]) => ({ unit, overdue: n }));
  return { overdue, atRisk, open: p.open.size, byStreet, topUnits };
}
