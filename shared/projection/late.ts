/** The late-case scan: every running clock of every open case, judged at `now` by the lateness rule (`sla/lateness.ts`). */
import type { ClockId } from '../domain';
import { forEachRunningClock } from '../cases/state';
import { latenessAt, marksOn } from '../sla/lateness';
import type { EpochMs } from '../time';
import type { OverduePanel } from '../wall/panels';
import type { SpaceProjection } from './state';

type Counts = Record<ClockId, number> & { total: number };
const zero = (): Counts => ({ sign: 0, handle: 0, callback: 0, total: 0 });

/** Scans open cases at `now`: counts overdue and at-risk clocks, by street and unit (supervisedToday is filled by the caller). */
export function scanLate(p: SpaceProjection, now: EpochMs): Omit<OverduePanel, 'supervisedToday'> {
  const overdue = zero();
  const atRisk = zero();
  // Streets are named by producers: counted in a Map and handed out as own properties (a street named `__proto__` or
  // `constructor` is a street like any other, never a property every object inherits).
  const byStreet = new Map<string, { open: number; overdue: number }>();
  const byUnit = new Map<string, number>();
  const marks = marksOn(p.ctx.lifecycle.env, p.ctx.thresholds);
  // What the case being scanned has: a clock overdue, a clock at risk.
  const has = { late: false, risky: false };
  const judge = (clock: ClockId, state: Parameters<typeof marks>[0]): void => {
    const status = latenessAt(marks(state), now);
    if (status === 'overdue') {
      overdue[clock]++;
      has.late = true;
    } else if (status === 'at_risk') {
      atRisk[clock]++;
      has.risky = true;
    }
  };
  for (const id of p.open) {
    const c = p.cases.get(id);
    if (!c) continue;
    let street = byStreet.get(c.street);
    if (!street) byStreet.set(c.street, (street = { open: 0, overdue: 0 }));
    street.open++;
    has.late = false;
    has.risky = false;
    forEachRunningClock(c, judge);
    if (has.late) {
      overdue.total++;
      street.overdue++;
      if (c.unit) byUnit.set(c.unit, (byUnit.get(c.unit) ?? 0) + 1);
    } else if (has.risky) atRisk.total++;
  }
  const topUnits = [...byUnit]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 8)
    .map(([unit, n]) => ({ unit, overdue: n }));
  return { overdue, atRisk, open: p.open.size, byStreet: Object.fromEntries(byStreet), topUnits };
}
