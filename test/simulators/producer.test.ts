import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '@shared/config';
import { buildWallView } from '@shared/projection/view';
import { HOUR_MS, shanghaiInstant } from '@shared/time';
import { startProducer, type Producer } from '../../simulators/producer';
import { removeData, startTestServer, type TestServer } from '../../harness/server';

/** A working morning: the backlog runs from midnight to 10:00. */
const NOW = shanghaiInstant('2026-11-25', '10:00');

describe('when a producer feeds the demo space of the real server', () => {
  let server: TestServer;
  let feed: Producer;
  const progress: string[] = [];

  beforeAll(async () => {
    server = await startTestServer(NOW);
    feed = startProducer({
      server: server.url,
      token: 'admin-token',
      space: 'demo',
      seed: 11,
      speed: 600,
      backlogDays: 0,
      now: NOW,
      batchSize: 2000,
      onProgress: (p) => progress.push(p.phase),
    });
    await feed.backlogDone;
  });

  afterAll(async () => {
    await feed?.stop();
    await server?.stop();
    if (server) removeData(server.dataDir);
  });

  it('then the backlog is acknowledged in batches, the wall has cases and nothing is quarantined', async () => {
    expect(progress.filter((x) => x === 'backlog').length).toBeGreaterThan(3);
    const p = server.app.spaces.get('demo').projection;
    expect(p.clock).toBeGreaterThanOrEqual(NOW - 60_000);
    const view = buildWallView(p, NOW, { spaceKind: 'demo', clockRate: 600 });
    expect(view.caseFlow.received).toBeGreaterThan(150);
    expect(view.hotline.offered).toBeGreaterThan(100);
    expect(view.header.dutyLeader).not.toBeNull();
    const res = await fetch(`${server.url}/api/v1/quarantine?space=demo`, {
      headers: { authorization: 'Bearer admin-token' },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { total: number }).total).toBe(0);
    expect(DEFAULT_CONFIG.centre.name).toBe(view.centreName);
  });

  it('then the live phase moves the space clock at the chosen speed, and stop() ends it cleanly', async () => {
    const p = server.app.spaces.get('demo').projection;
    const deadline = Date.now() + 5_000;
    while ((p.clock ?? 0) < NOW + 5 * 60_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(p.clock).toBeGreaterThanOrEqual(NOW + 5 * 60_000);
    expect(p.clock).toBeLessThan(NOW + HOUR_MS);
    expect(progress).toContain('live');
    await feed.stop();
    await expect(feed.done).resolves.toBeUndefined();
    // Nothing more from the producer; the monitor may still write what the last batches' clock revealed.
    const fed = () => p.eventsApplied - server.app.monitor.writtenIn('demo');
    const after = fed();
    await new Promise((r) => setTimeout(r, 400));
    expect(fed()).toBe(after);
  });
});

describe('when a producer presents a token the server does not know', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(NOW);
  });
  afterAll(async () => {
    await server?.stop();
    if (server) removeData(server.dataDir);
  });

  it('then done and backlogDone reject with the reason', async () => {
    const feed = startProducer({
      server: server.url,
      token: 'nope',
      space: 'demo',
      seed: 1,
      speed: 1,
      backlogDays: 0,
      now: NOW,
    });
    await expect(feed.done).rejects.toThrow(/unauthorized/);
    await expect(feed.backlogDone).rejects.toThrow(/unauthorized/);
    await feed.stop();
  });
});
