/** The projection of one space: every live figure folded from its events. Mutable, owned by one folder at a time. */
import type { AgentState, LinkId } from '../domain';
import type { CaseState } from '../cases/state';
import type { LifecycleContext } from '../cases/lifecycle';
import type { CityopsConfig } from '../config';
import type { Shift } from '../events/ops';
import type { ClockThresholds } from '../sla/deadline';
import type { Alert } from '../wall/view';
import type { AlertRaised } from '../events/alert';
import type { EpochMs } from '../time';
import type { DayFigures } from './day';
import type { DutyItem } from '../duty/items';
import type { HandoverRecord } from '../duty/handover';

/** A call in progress (removed once wrapped up or abandoned). */
export interface CallState {
  readonly offeredAt: EpochMs;
  answeredAt: EpochMs | null;
  agentId: string | null;
  endedAt: EpochMs | null;
}
/** An agent as the ACD reports it. */
export interface AgentRecord {
  name: string;
  state: AgentState;
  since: EpochMs;
}
/** A check-in to a post. */
export interface CheckIn {
  readonly personId: string;
  readonly name: string;
  readonly at: EpochMs;
  out: EpochMs | null;
}
/** A handover into a shift. */
export interface Handover {
  readonly at: EpochMs;
  readonly note: string;
  readonly by: string;
  readonly fromShiftId: string;
}

/** What the projection needs to know: config, the deadline context, thresholds. */
export interface ProjectionContext {
  readonly config: CityopsConfig;
  readonly lifecycle: LifecycleContext;
  readonly thresholds: ClockThresholds;
}

/**
 * A link's last heartbeat; while that heartbeat reports a fault, the outage it belongs to: since when the link has been
 * down (the first fault, or the end of the timeout after the last good heartbeat when it had gone silent first) and
 * the time that names the outage (that last good heartbeat's, else the first fault's), so one outage is one alert
 * however many faulty heartbeats it sends.
 */
export interface LinkBeat {
  readonly at: EpochMs;
  readonly ok: boolean;
  readonly outage: { readonly since: EpochMs; readonly key: EpochMs } | null;
}

/** One space's projection. */
export interface SpaceProjection {
  readonly space: string;
  readonly ctx: ProjectionContext;
  /** Newest event time folded (the space clock for demo and drill spaces). */
  clock: EpochMs | null;
  /** Oldest event time folded: the space's log begins here (a shift change before it was never handed over in it). */
  earliest: EpochMs | null;
  eventsApplied: number;
  readonly cases: Map<string, CaseState>;
  /** Ids of cases not closed or merged. */
  readonly open: Set<string>;
  readonly days: Map<string, DayFigures>;
  readonly calls: Map<string, CallState>;
  readonly agents: Map<string, AgentRecord>;
  readonly rosters: Map<string, readonly Shift[]>;
  /** Key `date|shiftId|post`. */
  readonly checkIns: Map<string, CheckIn>;
  /** Key `date|toShiftId`. */
  readonly handovers: Map<string, Handover>;
  readonly links: Map<LinkId, LinkBeat>;
  /** Newest first, bounded by config.alertsMax. */
  alerts: Alert[];
  /** Set when an alert that must go out at once was raised; the broadcaster clears it. */
  urgentPending: boolean;
  /** Alerts that time revealed and that no `alert.cleared` has ended yet, by alert id: the raise and its ticker item. */
  readonly active: Map<string, ActiveAlert>;
  /** Duty items by id: open ones, and resolved ones for a while (`RESOLVED_KEPT_MS`). */
  readonly items: Map<string, DutyItem>;
  /** Submitted 交接班 records by handover id (`date|shiftId` of the outgoing shift), for 8 days after the shift (`HANDOVER_KEPT_MS`; older ones are in the case read model). */
  readonly handoverRecords: Map<string, HandoverRecord>;
  /**
   * Where closed cases that left memory are looked up (the case read model); null keeps every case in `cases`. Only
   * closed or merged cases are evicted, and only `case.exempted` and a merge into a closed master still touch them.
   */
  archive: CaseArchive | null;
  /**
   * True while folding events already in the log (a rebuild or a checkpoint's tail): they were judged when they were
   * accepted, so an evicted case is not judged again (the archive may already hold later events of it).
   */
  replaying: boolean;
}

/** An alert raised and not cleared: the event that raised it (what the condition was) and its ticker item. */
export interface ActiveAlert {
  readonly raised: AlertRaised;
  readonly alert: Alert;
}

/** Closed cases that left a projection's memory, by id (the case read model on the server). */
export interface CaseArchive {
  get(caseId: string): CaseState | undefined;
}

/** An empty projection for a space. */
export function createProjection(space: string, ctx: ProjectionContext): SpaceProjection {
  return {
    space,
    ctx,
    clock: null,
    earliest: null,
    eventsApplied: 0,
    cases: new Map(),
    open: new Set(),
    days: new Map(),
    calls: new Map(),
    agents: new Map(),
    rosters: new Map(),
    checkIns: new Map(),
    handovers: new Map(),
    links: new Map(),
    alerts: [],
    urgentPending: false,
    active: new Map(),
    items: new Map(),
    handoverRecords: new Map(),
    archive: null,
    replaying: false,
  };
}
