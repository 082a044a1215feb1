import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillRecord } from '../../server/drills/service';
import type { DrillSummary } from '../../server/drills/summary';
import { shanghaiInstant } from '../../shared/time';
import { connectWall, removeData, startTestServer, type TestServer } from '../fixtures/server';

const NOW = shanghaiInstant('2026-11-25', '10:00');
const admin = { authorization: 'Bearer admin-token', 'content-type': 'application/json' };

async function api<T>(url: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { ...init, headers: { ...admin, ...(init.headers ?? {}) } });
  return { status: res.status, body: (await res.json()) as T };
}

async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('when an admin starts a drill of the trunk-failure scenario at max speed', () => {
  let server: TestServer;
  let drill: DrillRecord;
  let finished: DrillRecord;

  beforeAll(async () => {
    server = await startTestServer(NOW);
    const res = await api<DrillRecord>(`${server.url}/api/v1/drills`, { method: 'POST', body: JSON.stringify({ scenario: 'trunk-failure', speed: 'max', seed: 5 }) });
    expect(res.status).toBe(201);
    drill = res.body;
    finished = (await until(() => api<DrillRecord>(`${server.url}/api/v1/drills/${drill.id}`), (r) => r.body.status !== 'running' && r.body.status !== 'starting')).body;
  });

  afterAll(async () => {
    await server?.stop();
    if (server) removeData(server.dataDir);
  });

  it('then it runs in a new drill-* space and finishes with its progress complete', () => {
    expect(drill.space).toMatch(/^drill-trunk-failure-/);
    expect(finished.error).toBeNull();
    expect(finished.status).toBe('finished');
    expect(finished.progress.fraction).toBe(1);
    expect(finished.progress.events).toBeGreaterThan(30_000);
    expect(server.app.spaces.get(drill.space).projection.clock).toBe(finished.window?.end);
  });

  it('then GET /drills lists it, and the minted producer token is gone', async () => {
    const list = await api<DrillRecord[]>(`${server.url}/api/v1/drills`);
    expect(list.body.map((d) => d.id)).toContain(drill.id);
    expect(JSON.stringify(list.body)).not.toMatch(/producer-/);
  });

  it('then a wall on the drill space sees the DRILL kind with the scenario and the drill clock', async () => {
    const wall = await connectWall(server.url, drill.space);
    const snap = await new Promise<{ view: { spaceKind: string; drill?: { scenario: string; startedAt: number; speed: number | null } } }>((resolve) => {
      wall.emit('resync', (r) => { if (r.ok) resolve(r.data as never); });
    });
    wall.close();
    expect(snap.view.spaceKind).toBe('drill');
    expect(snap.view.drill?.scenario).toBe('trunk-failure');
    expect(snap.view.drill?.speed).toBeNull();
    expect(snap.view.drill?.startedAt).toBe(shanghaiInstant('2026-12-09', '09:00'));
  });

  it('then the summary shows the queue building while the trunk is down and the answer rate below its target', async () => {
    const { status, body } = await api<DrillSummary>(`${server.url}/api/v1/drills/${drill.id}/summary`);
    expect(status).toBe(200);
    const fig = Object.fromEntries(body.figures.map((f) => [f.key, f]));
    expect(body.samples).toBe(4 * 60 + 1);
    expect(fig.peakQueue?.value).toBeGreaterThan(5);
    expect(fig.peakQueue?.at).toBeGreaterThanOrEqual(shanghaiInstant('2026-12-09', '10:00'));
    expect(fig.peakQueue?.at).toBeLessThanOrEqual(shanghaiInstant('2026-12-09', '10:16'));
    expect(fig.worstAnswerRate?.value).toBeLessThan(0.9);
    expect(fig.worstAnswerRate?.met).toBe(false);
    expect(fig.worstAnswerRate?.at).toBe(shanghaiInstant('2026-12-09', '10:00'));
    expect(fig.backlogClearMinutes?.value).not.toBeNull();
    expect(fig.highestAgentLoad?.target).toBe(15);
    expect(body.totals.offered).toBeGreaterThan(100);
  });

  it('then DELETE with deleteData removes the space and its log', async () => {
    const del = await api<{ deleted: boolean }>(`${server.url}/api/v1/drills/${drill.id}?deleteData=true`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(del.body.deleted).toBe(true);
    const spaces = await api<{ space: string }[]>(`${server.url}/api/v1/spaces`);
    expect(spaces.body.map((s) => s.space)).not.toContain(drill.space);
    const exp = await fetch(`${server.url}/api/v1/spaces/${drill.space}/export.jsonl`, { headers: admin });
    expect(exp.status).toBe(404);
    expect((await api(`${server.url}/api/v1/drills/${drill.id}`)).status).toBe(404);
  });
});

describe('when a drill at 60× is stopped without deleting its data', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(NOW); });
  afterAll(async () => { await server?.stop(); if (server) removeData(server.dataDir); });

  it('then it stops cleanly, its space keeps what was acknowledged, and it is listed as stopped', async () => {
    const { body: d } = await api<DrillRecord>(`${server.url}/api/v1/drills`, { method: 'POST', body: JSON.stringify({ scenario: 'normal-weekday', speed: 60, seed: 2 }) });
    await until(() => api<DrillRecord>(`${server.url}/api/v1/drills/${d.id}`), (r) => r.body.progress.phase === 'live', 60_000);
    const del = await api<{ drill: DrillRecord }>(`${server.url}/api/v1/drills/${d.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    const after = await api<DrillRecord>(`${server.url}/api/v1/drills/${d.id}`);
    expect(after.body.status).toBe('stopped');
    const count = await server.app.spaces.get(d.space).projection.eventsApplied;
    expect(count).toBeGreaterThan(20_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(server.app.spaces.get(d.space).projection.eventsApplied).toBe(count);
    expect(after.body.summary?.figures).toHaveLength(5);
  });
});

describe('when a drill request is not allowed or not valid', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(NOW); });
  afterAll(async () => { await server?.stop(); if (server) removeData(server.dataDir); });

  it('then a viewer or producer is refused, and an unknown scenario or speed is a 400 naming it', async () => {
    for (const token of ['viewer-token', 'producer-drill-a']) {
      const res = await fetch(`${server.url}/api/v1/drills`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ scenario: 'rainstorm' }) });
      expect(res.status).toBe(403);
    }
    const unknown = await api<{ error: { message: string } }>(`${server.url}/api/v1/drills`, { method: 'POST', body: JSON.stringify({ scenario: 'meteor' }) });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/no scenario "meteor".*rainstorm/);
    const speed = await api<{ error: { errors: { path: string }[] } }>(`${server.url}/api/v1/drills`, { method: 'POST', body: JSON.stringify({ scenario: 'rainstorm', speed: -2 }) });
    expect(speed.status).toBe(400);
    expect(speed.body.error.errors[0]?.path).toBe('speed');
  });

  it('then the scenarios are listed for the drill page', async () => {
    const { body } = await api<{ name: string }[]>(`${server.url}/api/v1/drills/scenarios`);
    expect(body.map((s) => s.name)).toEqual(['link-down', 'monday-peak', 'normal-weekday', 'rainstorm', 'staff-shortfall', 'trunk-failure', 'water-outage']);
  });
});
