import fc from 'fast-check';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectionContext } from '../../server/app';
import { decodeCheckpoint, encodeCheckpoint } from '../../server/checkpoint';
import { SeenFilter } from '../../server/ingest/bloom';
import type { Result } from '@shared/contract';
import { DEFAULT_CONFIG } from '@shared/config';
import { validateEvent, type DomainEvent, type DomainEventInput } from '@shared/events';
import { applyEvent } from '@shared/projection/apply';
import { sweep } from '@shared/projection/retention';
import { createProjection, type SpaceProjection } from '@shared/projection/state';
import { buildWallView } from '@shared/projection/view';
import type { WallSnapshot } from '@shared/wall/delta';
import type { WallView } from '@shared/wall/view';
import { DAY_MS, MINUTE_MS } from '@shared/time';
import { T0 } from '../fixtures/events';
import { randomLogArb, type RandomLog } from '../fixtures/randomLog';
import { connectWall, post, startTestServer, type TestServer } from '../../harness/server';

const SPACE = 'drill-a';
const ctx = projectionContext(DEFAULT_CONFIG);

function parse(raw: DomainEventInput): DomainEvent {
  const v = validateEvent(raw);
  if (!v.ok) throw new Error(`invalid generated event: ${JSON.stringify(v.errors)}`);
  return v.event;
}

function viewOf(p: SpaceProjection): WallView {
  return buildWallView(p, p.clock ?? T0, { spaceKind: 'drill', clockRate: 1 });
}

/**
 * Folds as a live space does: batch by batch, the space swept on its clock after every batch (as the monitor does
 * between batches). Returns the projection, the events it accepted (the log), and a checkpoint taken after `cpAfter` batches.
 */
function foldLive(log: RandomLog, cpAfter: number) {
  const p = createProjection(SPACE, ctx);
  const accepted: DomainEvent[] = [];
  let checkpoint: { body: Buffer; seq: number } | null = null;
  let i = 0;
  log.batches.forEach((size, b) => {
    for (const raw of log.events.slice(i, i + size)) {
      const e = parse(raw);
      if (applyEvent(p, e) === null) accepted.push(e);
    }
    i += size;
    if (p.clock !== null) sweep(p, p.clock);
    if (b + 1 === cpAfter)
      checkpoint = { body: encodeCheckpoint(p, new SeenFilter(), accepted.length), seq: accepted.length };
  });
  return { p, accepted, checkpoint: checkpoint as { body: Buffer; seq: number } | null };
}

/** Folds a log from scratch as a start does: every event, one sweep at the end (a log shorter than a start's chunk). */
function foldFrom(p: SpaceProjection, events: readonly DomainEvent[]): { p: SpaceProjection; refused: string[] } {
  p.replaying = true;
  const refused: string[] = [];
  for (const e of events) {
    const r = applyEvent(p, e);
    if (r !== null) refused.push(r);
  }
  p.replaying = false;
  if (p.clock !== null) sweep(p, p.clock);
  return { p, refused };
}

describe('when random logs with reused case and call ids are folded live, incrementally, from scratch and from a checkpoint', () => {
  it('then every panel of the wall view is the same, and a rebuild refuses nothing the live fold accepted', () => {
    fc.assert(
      fc.property(randomLogArb, fc.integer({ min: 1, max: 8 }), (log, cpAfter) => {
        const live = foldLive(log, cpAfter);
        const scratch = foldFrom(createProjection(SPACE, ctx), live.accepted);
        expect(scratch.refused).toEqual([]);
        expect(viewOf(scratch.p)).toEqual(viewOf(live.p));
        if (live.checkpoint) {
          const restored = decodeCheckpoint(live.checkpoint.body, ctx, 'skip').projection;
          const tail = foldFrom(restored, live.accepted.slice(live.checkpoint.seq));
          expect(tail.refused).toEqual([]);
          expect(viewOf(tail.p)).toEqual(viewOf(live.p));
        }
      }),
      { seed: 20261202, numRuns: 80 },
    );
  }, 180_000);

  it('then a call id reused 25 h later is a new call whether or not the first was swept: 2 offered and 2 answered either way', () => {
    const offer = (id: string, ts: number): DomainEventInput =>
      ({ type: 'call.offered', eventId: id, ts, callId: 'K-1' }) as DomainEventInput;
    const answer = (id: string, ts: number): DomainEventInput =>
      ({ type: 'call.answered', eventId: id, ts, callId: 'K-1', agentId: 'A-1' }) as DomainEventInput;
    const day2 = T0 + DAY_MS + 60 * MINUTE_MS;
    const events = [offer('o1', T0), answer('a1', T0 + 10_000), offer('o2', day2), answer('a2', day2 + 10_000)].map(
      parse,
    );
    const swept = createProjection(SPACE, ctx);
    // One fold sweeps before every event (a monitor pass between any two batches), the other never does.
    for (const e of events) {
      sweep(swept, e.ts);
      expect(applyEvent(swept, e)).toBeNull();
    }
    const unswept = foldFrom(createProjection(SPACE, ctx), events);
    expect(unswept.refused).toEqual([]);
    for (const v of [viewOf(swept), viewOf(unswept.p)]) expect([v.hotline.offered, v.hotline.answered]).toEqual([1, 1]);
    expect(viewOf(unswept.p)).toEqual(viewOf(swept));
    const days = [...unswept.p.days.values()].map((d) => [d.calls.offered, d.calls.answered]);
    expect(days).toEqual([
      [1, 1],
      [1, 1],
    ]);
  });
});

async function resync(url: string): Promise<WallView> {
  const wall = await connectWall(url, SPACE);
  const r = await new Promise<Result<WallSnapshot>>((resolve) => wall.emit('resync', resolve));
  wall.close();
  if (!r.ok) throw new Error(r.error.message);
  return r.data.view;
}

/** A view without the clock rate, which is measured against the wall clock (how fast the batches came), not folded. */
function comparable(v: WallView): Omit<WallView, 'clockRate'> {
  const { clockRate: _rate, ...rest } = v;
  return rest;
}

describe('when random logs are ingested batch by batch over HTTP, then the server restarts from its checkpoint and from the whole log', () => {
  let server: TestServer | null = null;
  afterEach(async () => {
    if (server) {
      await server.dispose();
      server = null;
    }
  });

  it('then the wall view is the same live, after the restart from the checkpoint and after the rebuild from the log', async () => {
    await fc.assert(
      fc.asyncProperty(randomLogArb, async (log) => {
        // A run that failed left its server for afterEach; while fast-check shrinks, the next run stops it first.
        if (server) {
          await server.dispose();
        }
        // The monitor sweeps every 20 ms while batches arrive, as it does on a busy server.
        server = await startTestServer(T0, undefined, undefined, { monitorMs: 20 });
        let i = 0;
        for (const size of log.batches) {
          const r = await post(server.url, { space: SPACE, events: log.events.slice(i, i + size) }, 'producer-drill-a');
          expect(r.status).toBe(200);
          i += size;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        // Whatever the monitor's last pass wrote is in the log too.
        await new Promise((resolve) => setTimeout(resolve, 100));
        const live = await resync(server.url);
        await server.stop();
        server = await startTestServer(T0, server.dataDir, server.now, { monitorMs: 3_600_000 });
        const fromCheckpoint = (await server.app.restored).find((r) => r.space === SPACE);
        expect(fromCheckpoint?.from ?? 'log').toBe(log.events.length > 0 ? 'checkpoint' : 'log');
        expect(comparable(await resync(server.url))).toEqual(comparable(live));
        await server.stop();
        rmSync(path.join(server.dataDir, 'cases.sqlite'));
        server = await startTestServer(T0, server.dataDir, server.now, { monitorMs: 3_600_000 });
        const fromLog = (await server.app.restored).find((r) => r.space === SPACE);
        expect(fromLog?.from).toBe(log.events.length > 0 ? 'log' : undefined);
        expect(server.app.spaces.get(SPACE).rebuildRefused).toBe(0);
        expect(comparable(await resync(server.url))).toEqual(comparable(live));
        await server.dispose();
        server = null;
      }),
      { seed: 20261202, numRuns: 12, endOnFailure: true },
    );
  }, 240_000);
});
