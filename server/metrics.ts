/**
 * Prometheus metrics: ingest counts, rejections, quarantine, connected walls, deltas sent, failures of isolated listeners
 * and timers, event-loop lag (default Node metrics).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** The metrics of one app instance (its own registry, so tests can run several apps in one process). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  const labelNames = ['space'] as const;
  /** Every metric labelled by space, as it is made: what a deleted space is taken out of. */
  const perSpace: { remove(labels: { space: string }): void }[] = [];
  const bySpace = <M extends { remove(labels: { space: string }): void }>(m: M): M => {
    perSpace.push(m);
    return m;
  };
  return {
    registry,
    perSpace: perSpace as readonly { remove(labels: { space: string }): void }[],
    accepted: bySpace(
      new Counter({
        name: 'cityops_events_accepted_total',
        help: 'Events accepted into a space log',
        labelNames,
        registers: [registry],
      }),
    ),
    duplicate: bySpace(
      new Counter({
        name: 'cityops_events_duplicate_total',
        help: 'Events dropped as duplicates of an accepted eventId',
        labelNames,
        registers: [registry],
      }),
    ),
    rejected: bySpace(
      new Counter({
        name: 'cityops_events_rejected_total',
        help: 'Events refused for their shape (field errors)',
        labelNames,
        registers: [registry],
      }),
    ),
    quarantined: bySpace(
      new Counter({
        name: 'cityops_events_quarantined_total',
        help: 'Events put in quarantine (not fitting their case state)',
        labelNames,
        registers: [registry],
      }),
    ),
    stepSkew: bySpace(
      new Counter({
        name: 'cityops_events_step_skew_total',
        help: "Case events accepted although dated before their case's last event, within the allowed clock skew",
        labelNames,
        registers: [registry],
      }),
    ),
    quarantineSize: bySpace(
      new Gauge({
        name: 'cityops_quarantine_size',
        help: 'Events held in quarantine',
        labelNames,
        registers: [registry],
      }),
    ),
    walls: new Gauge({ name: 'cityops_walls_connected', help: 'Wall sockets connected', registers: [registry] }),
    clusterWalls: new Gauge({
      name: 'cityops_cluster_walls',
      help: 'Wall sockets connected to every node of the cluster (this node alone without REDIS_URL; NaN when the other nodes do not answer)',
      registers: [registry],
    }),
    wallsDropped: bySpace(
      new Counter({
        name: 'cityops_walls_dropped_total',
        help: 'Wall sockets cut because their send backlog passed the bound (a wall that does not read)',
        labelNames,
        registers: [registry],
      }),
    ),
    deltas: bySpace(
      new Counter({
        name: 'cityops_deltas_sent_total',
        help: 'Wall deltas broadcast to a space room',
        labelNames,
        registers: [registry],
      }),
    ),
    openCases: bySpace(
      new Gauge({
        name: 'cityops_open_cases',
        help: 'Open cases per space',
        labelNames,
        registers: [registry],
      }),
    ),
    batches: new Counter({
      name: 'cityops_ingest_batches_total',
      help: 'Ingest batches committed and answered, by transport (http, socket)',
      labelNames: ['transport'] as const,
      registers: [registry],
    }),
    listenerErrors: new Counter({
      name: 'cityops_listener_errors_total',
      help: 'Subscribers and event callbacks that threw (isolated: the caller was answered)',
      labelNames: ['listener'] as const,
      registers: [registry],
    }),
    timerErrors: new Counter({
      name: 'cityops_timer_errors_total',
      help: 'Timer callbacks that threw (the next tick ran as usual)',
      labelNames: ['timer'] as const,
      registers: [registry],
    }),
    calendarDaysLeft: new Gauge({
      name: 'cityops_calendar_days_left',
      help: 'Days from today (Asia/Shanghai) to the last day whose statutory holidays the working calendar knows; negative once past it',
      registers: [registry],
    }),
    calendarWarning: new Gauge({
      name: 'cityops_calendar_warning',
      help: "1 when a deadline set today could fall past the working calendar's last covered day (enter next year's holiday schedule), else 0",
      registers: [registry],
    }),
    calendarUncoveredDays: new Counter({
      name: 'cityops_calendar_uncovered_days_total',
      help: "Distinct days past the working calendar's coverage that deadlines or clocks were computed on",
      registers: [registry],
    }),
  };
}

/** The metrics object. */
export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Takes a deleted space's series out of every per-space metric: drills come and go under names of their own, and over
 * years their series would otherwise pile up in every scrape. A space made again under the same name starts from zero
 * (a counter reset, which Prometheus' `rate` and `increase` expect).
 */
export function forgetSpaceMetrics(m: Metrics, space: string): void {
  for (const metric of m.perSpace) metric.remove({ space });
}
