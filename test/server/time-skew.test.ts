import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillRecord } from '@shared/drills';
import type { Result } from '@shared/contract';
import type { WallSnapshot } from '@shared/wall/delta';
import { MINUTE_MS, shanghaiInstant } from '@shared/time';
import { T0, caseEvent, nextId, received } from '../fixtures/events';
import { connectWall, post, startTestServer, type TestServer, type WallSocket } from '../../harness/server';

interface Answer {
  accepted: number;
  rejected: { index: number; eventId: string | null; errors: { path: string; message: string }[] }[];
  quarantined: { eventId: string; reason: string }[];
}

const YEAR_2099 = Date.UTC(2099, 0, 1);

/** A fresh snapshot of the wall's space. */
async function resync(wall: WallSocket): Promise<WallSnapshot> {
  const r = await new Promise<Result<WallSnapshot>>((resolve) => wall.emit('resync', resolve));
  if (!r.ok) throw new Error(r.error.message);
  return r.data;
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('when live events are dated in the future', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(T0);
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('then one dated past the skew window (5 min by default) is rejected on its ts, with why, and the rest of the batch is kept', async () => {
    const soon = received('C-SKEW-1', { ts: T0 + 4 * MINUTE_MS });
    const later = received('C-SKEW-2', { ts: T0 + 6 * MINUTE_MS });
    const tick = { type: 'clock.tick', eventId: nextId('tick'), ts: YEAR_2099 };
    const r = await post(server.url, { space: 'live', events: [soon, later, tick] });
    const body = r.json as unknown as Answer;
    expect(r.status).toBe(200);
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((x) => x.index)).toEqual([1, 2]);
    expect(body.rejected[0]?.errors[0]?.path).toBe('ts');
    expect(body.rejected[0]?.errors[0]?.message).toMatch(
      /360 s after the server's clock .*at most 300 s of clock skew/,
    );
    expect(body.rejected[1]?.errors[0]?.message).toMatch(/^2099-01-01T00:00:00.000Z is /);
  });

  it('then the space clock never moved to the refused times: the wall shows the accepted event as the newest', async () => {
    const wall = await connectWall(server.url);
    const snap = await resync(wall);
    wall.close();
    expect(snap.view.lastEventAt).toBe(T0 + 4 * MINUTE_MS);
  });

  it('then the same event is accepted once the server clock has caught up', async () => {
    server.now.value = T0 + 2 * MINUTE_MS;
    const r = await post(server.url, { space: 'live', events: [received('C-SKEW-2b', { ts: T0 + 6 * MINUTE_MS })] });
    expect((r.json as unknown as Answer).accepted).toBe(1);
  });
});

describe("when a case's step is dated a little before the step before it (a unit's clock runs slow)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(T0 + 60 * MINUTE_MS);
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('then case.signed 30 s before its dispatch is accepted, not quarantined, and counted as skew', async () => {
    const dispatchedAt = T0 + 10 * MINUTE_MS;
    const r = await post(server.url, {
      space: 'live',
      events: [
        received('C-SLOW-1'),
        caseEvent('case.dispatched', 'C-SLOW-1', dispatchedAt, { unit: 'st-guanshan' }),
        caseEvent('case.signed', 'C-SLOW-1', dispatchedAt - 30_000),
      ],
    });
    const body = r.json as unknown as Answer;
    expect(body.quarantined).toEqual([]);
    expect(body.accepted).toBe(3);
    expect(await metric(server.url, 'cityops_events_step_skew_total{space="live"}')).toBe(1);
    const res = await fetch(`${server.url}/api/v1/cases/C-SLOW-1?space=live`, {
      headers: { authorization: 'Bearer supervisor-token' },
    });
    const c = (await res.json()) as { state: { stage: string; signedAt: number } };
    expect(c.state.stage).toBe('signed');
    expect(c.state.signedAt).toBe(dispatchedAt - 30_000);
  });

  it('then a step 5 min before the one before it is still quarantined, naming the allowed skew', async () => {
    const dispatchedAt = T0 + 10 * MINUTE_MS;
    const r = await post(server.url, {
      space: 'live',
      events: [
        received('C-SLOW-2'),
        caseEvent('case.dispatched', 'C-SLOW-2', dispatchedAt, { unit: 'st-guanshan' }),
        caseEvent('case.signed', 'C-SLOW-2', dispatchedAt - 5 * MINUTE_MS),
      ],
    });
    const body = r.json as unknown as Answer;
    expect(body.accepted).toBe(2);
    expect(body.quarantined).toHaveLength(1);
    expect(body.quarantined[0]?.reason).toMatch(
      /before the case's last event .* by more than the 120 s of clock skew allowed/,
    );
    expect(await metric(server.url, 'cityops_events_step_skew_total{space="live"}')).toBe(1);
  });
});

describe('when a clock.tick dated 2099 is sent to a running drill', () => {
  const NOW = shanghaiInstant('2026-11-25', '10:00');
  const admin = { authorization: 'Bearer admin-token', 'content-type': 'application/json' };
  let server: TestServer;
  let drill: DrillRecord;

  beforeAll(async () => {
    server = await startTestServer(NOW);
    const res = await fetch(`${server.url}/api/v1/drills`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ scenario: 'trunk-failure', speed: 1, seed: 3 }),
    });
    drill = (await res.json()) as DrillRecord;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const r = (await (
        await fetch(`${server.url}/api/v1/drills/${drill.id}`, { headers: admin })
      ).json()) as DrillRecord;
      if (r.progress.phase === 'live') {
        drill = r;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }, 90_000);
  afterAll(async () => {
    await fetch(`${server.url}/api/v1/drills/${drill.id}`, { method: 'DELETE', headers: admin });
    await server.dispose();
  });

  it('then it is refused on its ts as past the scenario window, and the drill clock stays in the window and runs on', async () => {
    expect(drill.progress.phase).toBe('live');
    const end = drill.window?.end ?? 0;
    const r = await post(
      server.url,
      { space: drill.space, events: [{ type: 'clock.tick', eventId: nextId('tick'), ts: YEAR_2099 }] },
      'admin-token',
    );
    const body = r.json as unknown as Answer;
    expect(body.accepted).toBe(0);
    expect(body.rejected[0]?.errors[0]?.path).toBe('ts');
    expect(body.rejected[0]?.errors[0]?.message).toMatch(/after the drill scenario's end/);
    const wall = await connectWall(server.url, drill.space);
    const first = await resync(wall);
    expect(first.view.lastEventAt).toBeLessThanOrEqual(end);
    // At speed 1 the simulator's next events (a second apart) still move the drill clock on.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const next = await resync(wall);
    wall.close();
    expect(next.view.lastEventAt).toBeGreaterThan(first.view.lastEventAt ?? Infinity);
    expect(next.view.lastEventAt).toBeLessThanOrEqual(end);
  }, 30_000);
});
