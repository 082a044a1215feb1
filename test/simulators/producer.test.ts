import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '@shared/config';
import { handoverSignDue } from '@shared/duty/limits';
import { deskFigures } from '@shared/projection/duty';
import { buildWallView } from '@shared/projection/view';
import { HOUR_MS, MINUTE_MS, shanghaiInstant } from '@shared/time';
import { startProducer, type Producer } from '../../simulators/producer';
import { startTestServer, type TestServer } from '../../harness/server';

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
    await server?.dispose();
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

describe('when the demo feed runs a day and a half at full speed, its duty officer working the desk', () => {
  let server: TestServer;
  const refused: number[] = [];
  const END = NOW + 2 * HOUR_MS;

  beforeAll(async () => {
    server = await startTestServer(NOW);
    const feed = startProducer({
      server: server.url,
      token: 'admin-token',
      space: 'demo',
      seed: 11,
      speed: Number.POSITIVE_INFINITY,
      backlogDays: 1,
      now: NOW,
      until: END,
      onProgress: (p) => refused.push(p.deskRefused),
    });
    await feed.done;
    await server.app.monitor.pass();
  });

  afterAll(async () => {
    await server?.dispose();
  });

  it('then the server accepts every act of the desk: nothing quarantined, nothing refused', async () => {
    expect(refused.at(-1)).toBe(0);
    const res = await fetch(`${server.url}/api/v1/quarantine?space=demo`, {
      headers: { authorization: 'Bearer admin-token' },
    });
    expect(((await res.json()) as { total: number }).total).toBe(0);
  });

  it('then every shift change is signed in time, no handover item opens, and the desk holds a few items at most', () => {
    const p = server.app.spaces.get('demo').projection;
    expect(p.clock).toBe(END);
    const records = [...p.handoverRecords.values()].sort((a, b) => a.record.end - b.record.end);
    // From midnight the day before to 12:00: 00:30, 08:30, 17:30, 00:30, 08:30.
    expect(records.map((r) => r.id)).toEqual([
      '2026-11-23|evening',
      '2026-11-24|night',
      '2026-11-24|day',
      '2026-11-24|evening',
      '2026-11-25|night',
    ]);
    for (const r of records) {
      expect(r.signed).not.toBeNull();
      expect(r.signed!.by).not.toBe(r.submitted.by);
      expect(r.signed!.at).toBeLessThanOrEqual(handoverSignDue(DEFAULT_CONFIG.duty, r.record.end));
    }
    const items = [...p.items.values()];
    expect(items.filter((it) => it.kind === 'handover')).toEqual([]);
    expect(items.length).toBeGreaterThan(15);
    const view = buildWallView(p, END, { spaceKind: 'demo', clockRate: 1 });
    expect(view.duty.desk.unacknowledged).toBeLessThanOrEqual(3);
    // Items whose condition began over half an hour ago are all acknowledged and reported.
    expect(items.filter((it) => it.since < END - 30 * MINUTE_MS && it.ack === null)).toEqual([]);
  });

  it("then the month's duty figures are those of a desk that answers: most in time, some late", () => {
    const p = server.app.spaces.get('demo').projection;
    const f = deskFigures(p, END).month;
    expect(f.ackJudged).toBeGreaterThan(15);
    expect(f.ackOnTime).toBeLessThanOrEqual(f.ackJudged);
    expect(f.ackTimely).toBeGreaterThanOrEqual(0.8);
    expect(f.medianAckMin).toBeGreaterThan(0.5);
    expect(f.medianAckMin).toBeLessThan(5);
    expect(f.reportTimely).toBeGreaterThanOrEqual(0.7);
  });
});

describe('when a producer presents a token the server does not know', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(NOW);
  });
  afterAll(async () => {
    await server?.dispose();
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
