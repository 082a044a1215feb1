import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS } from '@shared/time';
import { generateEvents } from '../../simulators/day';
import { T0 } from '../fixtures/events';
import { post, startTestServer, type TestServer } from '../../harness/server';
import { trackWall, type TrackedWall } from '../fixtures/wallClient';

describe('when walls follow the delta stream through a busy morning', () => {
  let server: TestServer;
  const walls: TrackedWall[] = [];
  const events = generateEvents({ seed: 21, from: T0 - 3 * HOUR_MS, to: T0 + HOUR_MS });

  beforeAll(async () => {
    // The monitor passes every 100 ms: alerts are raised and cleared while the walls follow the stream.
    server = await startTestServer(T0 - 3 * HOUR_MS, undefined, undefined, { monitorMs: 100 });
    walls.push(await trackWall(server.url), await trackWall(server.url));
  });

  afterAll(async () => {
    walls.forEach((w) => w.close());
    await server?.dispose();
  });

  it('then each of them ends with exactly the view a fresh snapshot shows', async () => {
    // Batches of a few minutes each, with the clock moving on, so deltas patch every kind of panel and alert.
    const batch = 400;
    for (let i = 0; i < events.length; i += batch) {
      const chunk = events.slice(i, i + batch);
      server.now.value = Math.max(server.now.value, (chunk.at(-1) as { ts: number }).ts);
      const res = await post(server.url, { space: 'live', events: chunk });
      expect(res.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    server.now.value += 5 * MINUTE_MS;
    await server.app.monitor.pass();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const fresh = await trackWall(server.url);
    walls.push(fresh);
    const seen = fresh.seq();
    expect(fresh.view().caseFlow.received).toBeGreaterThan(30);
    expect(fresh.view().alerts.length).toBeGreaterThan(0);
    for (const w of walls.slice(0, 2)) {
      const v = await w.until(() => w.seq() >= seen);
      expect(w.seq()).toBe(seen);
      expect(v).toEqual(fresh.view());
      expect(w.gaps).toBe(0);
    }
  });
});
