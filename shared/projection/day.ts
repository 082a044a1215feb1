/** Figures of one civil day (Asia/Shanghai), kept per day so "today" and "yesterday" are both at hand. */
import { CHANNELS, type Channel } from '../domain';
import { emptyCaseCounts, type CaseCounts } from '../kpi/rates';
import { emptyCallCounts, type CallCounts } from '../kpi/callcentre';

/** The funnel of a day's cases (the cohort received that day): how many reached each step so far. */
export interface FlowCounts {
  received: number;
  closedDirectly: number;
  dispatched: number;
  signed: number;
  replied: number;
  calledBack: number;
  closed: number;
}

/** What one case added to one unit's counts on one day (usually one unit; two when returned and dispatched again). */
export interface UnitShare {
  readonly unit: string;
  readonly counts: CaseCounts;
}

/** Everything counted for one day. Mutable: the projection's hot path adds into it. */
export interface DayFigures {
  readonly day: string;
  readonly cases: CaseCounts;
  readonly flow: FlowCounts;
  readonly calls: CallCounts;
  /** Cases received per hour (0–23) by channel. */
  readonly trend: Record<Channel, number[]>;
  /** Each unit's counts from the events of this day, exempt (不计考核) cases taken out: what units are scored on. */
  readonly byUnit: Map<string, CaseCounts>;
  /** Per case id, what the case added to `byUnit` this day, so an exemption can take it back; pruned with the day. */
  readonly unitShares: Map<string, UnitShare[]>;
  readonly byCategory: Map<string, number>;
  /** Cases received per hour (0–23) by category, to compare with yesterday at the same time of day. */
  readonly byCategoryHour: Map<string, number[]>;
  /** Cases taken per agent (hotline cases carrying an agentId). */
  readonly agentCases: Map<string, number>;
  /** Calls offered per minute of the day (0–1439), for the arrival rate of the staffing check. */
  readonly offeredPerMinute: number[];
  /** Calls answered per minute of the day (0–1439), for a shift's answer rate in its handover record. */
  readonly answeredPerMinute: number[];
  supervised: number;
}

/** A fresh day. */
export function emptyDay(day: string): DayFigures {
  const trend = {} as Record<Channel, number[]>;
  for (const ch of CHANNELS) trend[ch] = new Array<number>(24).fill(0);
  return {
    day,
    cases: emptyCaseCounts(),
    calls: emptyCallCounts(),
    trend,
    byUnit: new Map(),
    unitShares: new Map(),
    byCategory: new Map(),
    byCategoryHour: new Map(),
    agentCases: new Map(),
    supervised: 0,
    offeredPerMinute: new Array<number>(1440).fill(0),
    answeredPerMinute: new Array<number>(1440).fill(0),
    flow: { received: 0, closedDirectly: 0, dispatched: 0, signed: 0, replied: 0, calledBack: 0, closed: 0 },
  };
}

/** The unit's counters of a day, created on first use. */
export function unitCounts(d: DayFigures, unit: string): CaseCounts {
  let c = d.byUnit.get(unit);
  if (!c) d.byUnit.set(unit, (c = emptyCaseCounts()));
  return c;
}

/** The order a share's counts are packed in: the fields of `CaseCounts` as `emptyCaseCounts` lists them. */
const SHARE_FIELDS = Object.keys(emptyCaseCounts()) as readonly (keyof CaseCounts)[];

/** A unit share as a checkpoint holds it: the unit, then its counts in `SHARE_FIELDS` order (a tenth of the text). */
export type PackedShare = [string, ...number[]];

/** Packs a day's share of one unit (see `PackedShare`). */
export function packShare(s: UnitShare): PackedShare {
  const out: PackedShare = [s.unit];
  for (const k of SHARE_FIELDS) out.push(s.counts[k]);
  return out;
}

/** Unpacks a share `packShare` wrote; throws when it is not one. */
export function unpackShare(packed: unknown): UnitShare {
  if (
    !Array.isArray(packed) ||
    packed.length !== SHARE_FIELDS.length + 1 ||
    typeof packed[0] !== 'string' ||
    !packed.slice(1).every((n) => typeof n === 'number')
  )
    throw new Error(`a unit share is [unit, ${SHARE_FIELDS.length} counts], not ${JSON.stringify(packed)}`);
  const counts = emptyCaseCounts();
  SHARE_FIELDS.forEach((k, i) => {
    counts[k] = packed[i + 1] as number;
  });
  return { unit: packed[0], counts };
}

/** The case's share of the unit's counters of a day (see `DayFigures.unitShares`), created on first use. */
export function unitShare(d: DayFigures, caseId: string, unit: string): CaseCounts {
  let shares = d.unitShares.get(caseId);
  if (!shares) d.unitShares.set(caseId, (shares = []));
  for (const s of shares) if (s.unit === unit) return s.counts;
  const counts = emptyCaseCounts();
  shares.push({ unit, counts });
  return counts;
}
