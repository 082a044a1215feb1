/** Generated event streams for benchmarks: whole case lifecycles and calls, in time order, valid against the reducers. */
import type { App } from '../server/app';
import type { DomainEventInput } from '@shared/events';
import { DEFAULT_CONFIG } from '@shared/config';
import { MINUTE_MS } from '@shared/time';

const streets = DEFAULT_CONFIG.streets.map((s) => s.id);
const units = DEFAULT_CONFIG.units.map((u) => u.id);

/**
 * Ingests `batches` into an app's `live` space, in process, timed. After each batch the loop lets the event loop turn, as
 * a server between requests does, so the app's timers run inside the timing as they would in service: the case read
 * model's writes, the monitor's passes (alerts, the sweep of what leaves memory) and its checkpoints. What the read
 * model has not written at the end is written inside the timing too. Returns events accepted and seconds, and how many
 * checkpoints the monitor wrote meanwhile.
 */
export async function timedIngest(
  app: App,
  batches: Iterable<DomainEventInput[]>,
): Promise<{ accepted: number; secs: number; checkpoints: number }> {
  const checkpointsBefore = app.monitor.checkpointsWritten;
  const t0 = performance.now();
  let accepted = 0;
  for (const b of batches) {
    accepted += (await app.ingest.ingest('live', b)).accepted;
    await new Promise((resolve) => setImmediate(resolve));
  }
  app.cases.flush();
  return {
    accepted,
    secs: (performance.now() - t0) / 1000,
    checkpoints: app.monitor.checkpointsWritten - checkpointsBefore,
  };
}

/** The same stream cut into batches of `size` (the last one shorter). */
export function* lifecycleBatches(
  count: number,
  size: number,
  start: number,
  prefix = 'b',
): Generator<DomainEventInput[]> {
  let batch: DomainEventInput[] = [];
  for (const e of lifecycleEvents(count, start, prefix)) {
    batch.push(e);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** `count` events starting at `start`: per case received → dispatched → signed → replied → called back → evaluated → closed, plus a call. */
export function* lifecycleEvents(count: number, start: number, prefix = 'b'): Generator<DomainEventInput> {
  let n = 0;
  let i = 0;
  // 20 s between cases keeps a year near 3 M events (about 1,600 cases a day).
  for (; n < count; i++) {
    const t = start + i * 20_000;
    const id = `${prefix}${i}`;
    const agent = `A${i % 60}`;
    const steps: DomainEventInput[] = [
      { type: 'call.offered', eventId: `${id}-co`, ts: t, callId: id },
      { type: 'call.answered', eventId: `${id}-ca`, ts: t + 8_000, callId: id, agentId: agent },
      {
        type: 'case.received',
        eventId: `${id}-r`,
        ts: t + 9_000,
        caseId: id,
        channel: 'hotline',
        caseType: 'complaint',
        urgency: 'normal',
        flags: [],
        category: '市容环卫',
        street: streets[i % streets.length] ?? 'x',
        title: `某小区垃圾未清运 ${i}`,
        agentId: agent,
        callId: id,
      },
      { type: 'call.ended', eventId: `${id}-ce`, ts: t + 200_000, callId: id },
      {
        type: 'case.dispatched',
        eventId: `${id}-d`,
        ts: t + 10 * MINUTE_MS,
        caseId: id,
        unit: units[i % units.length] ?? 'x',
      },
      { type: 'case.signed', eventId: `${id}-s`, ts: t + 40 * MINUTE_MS, caseId: id },
      { type: 'case.replied', eventId: `${id}-p`, ts: t + 300 * MINUTE_MS, caseId: id, reply: '已处理' },
      { type: 'case.called_back', eventId: `${id}-cb`, ts: t + 400 * MINUTE_MS, caseId: id },
      {
        type: 'case.evaluated',
        eventId: `${id}-e`,
        ts: t + 401 * MINUTE_MS,
        caseId: id,
        rating: i % 30 === 0 ? 'basically_satisfied' : 'satisfied',
      },
      { type: 'case.closed', eventId: `${id}-x`, ts: t + 402 * MINUTE_MS, caseId: id },
    ];
    for (const e of steps) {
      if (n++ >= count) return;
      yield e;
    }
  }
}
