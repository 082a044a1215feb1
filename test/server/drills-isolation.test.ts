import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillRecord } from '@shared/drills';
import { buildWallView } from '@shared/projection/view';
import { HOUR_MS, shanghaiInstant } from '@shared/time';
import { generateEvents } from '../../simulators/day';
import { removeData, startTestServer, type TestServer } from '../../harness/server';

/** Live's own morning, fed over HTTP in small batches (its duty desk's handovers too: brought in with an admin's token). */
const NOW = shanghaiInstant('2026-11-25', '11:00');
const LIVE = generateEvents({ seed: 99, from: NOW - 3 * HOUR_MS, to: NOW });

async function feedLive(s: TestServer): Promise<void> {
  for (let i = 0; i < LIVE.length; i += 400) {
    const res = await fetch(`${s.url}/api/v1/events`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin-token', 'content-type': 'application/json' },
      body: JSON.stringify({ space: 'live', events: LIVE.slice(i, i + 400) }),
    });
    expect(res.status).toBe(200);
  }
}

function liveFigures(s: TestServer): string {
  const p = s.app.spaces.get('live').projection;
  return JSON.stringify({
    events: p.eventsApplied,
    clock: p.clock,
    view: buildWallView(p, NOW, { spaceKind: 'live', clockRate: 1 }),
  });
}

describe('when a drill runs on the server while live is fed', () => {
  let withDrill: TestServer;
  let without: TestServer;
  let drill: DrillRecord;

  beforeAll(async () => {
    // The monitor passes by hand after the feed: a pass in the middle of it would time alerts differently on each server.
    const quiet = { monitorMs: 3_600_000 };
    [withDrill, without] = await Promise.all([
      startTestServer(NOW, undefined, undefined, quiet),
      startTestServer(NOW, undefined, undefined, quiet),
    ]);
    const res = await fetch(`${withDrill.url}/api/v1/drills`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin-token', 'content-type': 'application/json' },
      body: JSON.stringify({ scenario: 'rainstorm', speed: 'max', seed: 1 }),
    });
    drill = (await res.json()) as DrillRecord;
    await Promise.all([feedLive(withDrill), feedLive(without)]);
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const d = (await (
        await fetch(`${withDrill.url}/api/v1/drills/${drill.id}`, { headers: { authorization: 'Bearer admin-token' } })
      ).json()) as DrillRecord;
      if (d.status !== 'running' && d.status !== 'starting') {
        drill = d;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  afterAll(async () => {
    for (const s of [withDrill, without]) {
      await s?.stop();
      if (s) removeData(s.dataDir);
    }
  });

  it('then the drill finished in its own space with its own events', () => {
    expect(drill.status).toBe('finished');
    expect(withDrill.app.spaces.get(drill.space).projection.eventsApplied).toBeGreaterThan(40_000);
  });

  it("then live's figures equal those of a server that ran no drill", async () => {
    await Promise.all([withDrill.app.monitor.pass(), without.app.monitor.pass()]);
    expect(withDrill.app.monitor.writtenIn('live')).toBeGreaterThan(0);
    expect(withDrill.app.monitor.writtenIn('live')).toBe(without.app.monitor.writtenIn('live'));
    expect(withDrill.app.spaces.get('live').projection.eventsApplied).toBe(
      LIVE.length + withDrill.app.monitor.writtenIn('live'),
    );
    expect(liveFigures(withDrill)).toBe(liveFigures(without));
  });

  it("then the drill's producer could not have written live: its token is scoped to the drill space", async () => {
    withDrill.app.cases.flush();
    const idsOf = (space: string) =>
      withDrill.app.cases.db.prepare('SELECT id FROM cases WHERE space = ?').pluck().all(space) as string[];
    const live = idsOf('live');
    const drillCases = new Set(idsOf(drill.space));
    expect(live.length).toBeGreaterThan(100);
    expect(drillCases.size).toBeGreaterThan(100);
    expect(live.some((id) => drillCases.has(id))).toBe(false);
    expect(
      withDrill.app.spaces
        .all()
        .map((s) => s.name)
        .sort(),
    ).toEqual([drill.space, 'live'].sort());
  });
});
