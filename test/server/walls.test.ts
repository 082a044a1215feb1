/**
 * Walls report their own health on their socket: the admin lists every wall with its space, address and last report,
 * flagged stale, slow or running an old build; /metrics counts them; a wall that stops reporting raises an alert in its
 * space after the configured time, seen by the other walls of that space, and cleared when it reports again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Result } from '@shared/contract';
import { shanghaiInstant } from '@shared/time';
import type { WallsAnswer } from '@shared/wall/health';
import { connectWall, startTestServer, type TestServer, type WallSocket } from '../../harness/server';
import { trackWall, wallReport, type TrackedWall } from '../fixtures/wallClient';

const T = shanghaiInstant('2026-11-23', '09:00');

function send(socket: WallSocket, report: unknown): Promise<Result<null>> {
  return new Promise((resolve) => socket.emit('wall:health', report, resolve));
}

async function walls(server: TestServer, token = 'admin-token'): Promise<{ status: number; body: WallsAnswer }> {
  const res = await fetch(`${server.url}/api/v1/walls`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as WallsAnswer };
}

describe('when walls report their health', () => {
  let server: TestServer;
  let lobby: WallSocket;
  let slow: WallSocket;
  let watcher: TrackedWall;

  beforeAll(async () => {
    server = await startTestServer(T, undefined, undefined, { monitorMs: 50 });
    lobby = await connectWall(server.url);
    slow = await connectWall(server.url);
    watcher = await trackWall(server.url);
  });

  afterAll(async () => {
    lobby.close();
    slow.close();
    watcher.close();
    await server.dispose();
  });

  it('then a report that is not valid is refused with the field and why, and changes nothing', async () => {
    const r = await send(lobby, { ...wallReport('lobby-wall-1'), fps: -3, screen: { width: 'wide' } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('bad_request');
    expect(r.error.message).toContain('fps');
    expect(r.error.message).toContain('screen.width');
    expect((await walls(server)).body.walls.every((w) => w.report === null)).toBe(true);
  });

  it('then the admin lists every connected wall with its space, address, report and flags; others may not', async () => {
    expect(await send(lobby, wallReport('lobby-wall-1'))).toEqual({ ok: true, data: null });
    expect(await send(slow, wallReport('slow-wall-2', { fps: 3, dataAgeMs: 90_000 }))).toEqual({
      ok: true,
      data: null,
    });
    const { status, body } = await walls(server);
    expect(status).toBe(200);
    expect(body.limits).toEqual({ silentSec: 60, slowFps: 10, staleDataSec: 30 });
    expect(body.walls).toHaveLength(3);
    const lobbyRow = body.walls.find((w) => w.id === 'lobby-wall-1')!;
    expect(lobbyRow).toMatchObject({
      space: 'live',
      connected: true,
      lastReportAt: T,
      silentMs: 0,
      flags: { stale: false, slow: false, oldVersion: false },
    });
    expect(lobbyRow.address).toMatch(/127\.0\.0\.1/);
    expect(lobbyRow.report).toEqual(wallReport('lobby-wall-1'));
    expect(body.walls.find((w) => w.id === 'slow-wall-2')!.flags).toEqual({
      stale: true,
      slow: true,
      oldVersion: false,
    });
    // The tracking wall never reported: listed by its socket while connected.
    expect(body.walls.filter((w) => w.id.startsWith('socket:'))).toHaveLength(1);
    expect((await walls(server, 'viewer-token')).status).toBe(403);
    expect((await fetch(`${server.url}/api/v1/walls`)).status).toBe(401);
  });

  it('then /metrics counts them by state', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain('cityops_walls{state="connected"} 3');
    expect(text).toContain('cityops_walls{state="known"} 3');
    expect(text).toContain('cityops_walls{state="slow"} 1');
    expect(text).toContain('cityops_walls{state="stale"} 1');
  });

  it('then a wall that stops reporting is flagged stale and raises an alert in its space after the configured time, cleared when it reports again', async () => {
    // Its connection is lost (not closed by the page): the transport goes without a goodbye.
    lobby.io.engine.close();
    await new Promise((r) => setTimeout(r, 100));
    server.now.value = T + 59_000;
    let row = (await walls(server)).body.walls.find((w) => w.id === 'lobby-wall-1')!;
    expect(row).toMatchObject({ connected: false, flags: { stale: false } });
    await new Promise((r) => setTimeout(r, 300));
    expect(watcher.view().alerts.filter((a) => a.kind === 'wall_silent')).toEqual([]);

    server.now.value = T + 75_000;
    const view = await watcher.until((v) =>
      v.alerts.some((a) => a.kind === 'wall_silent' && a.text.includes('lobby-wa')),
    );
    const alert = view.alerts.find((a) => a.kind === 'wall_silent' && a.text.includes('lobby-wa'))!;
    // Silent since its last report (T) plus the 60 s limit.
    expect(alert).toMatchObject({ level: 'bad', at: T + 60_000 });
    expect(alert.clearedAt).toBeUndefined();
    row = (await walls(server)).body.walls.find((w) => w.id === 'lobby-wall-1')!;
    expect(row).toMatchObject({ connected: false, silentMs: 75_000, flags: { stale: true } });

    const back = await connectWall(server.url);
    try {
      expect(await send(back, wallReport('lobby-wall-1'))).toEqual({ ok: true, data: null });
      const cleared = await watcher.until((v) => v.alerts.some((a) => a.id === alert.id && a.clearedAt !== undefined));
      expect(cleared.alerts.find((a) => a.id === alert.id)!.clearedAt).toBe(T + 75_000);
      const rows = (await walls(server)).body.walls.filter((w) => w.id === 'lobby-wall-1');
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ connected: true, flags: { stale: false } });
    } finally {
      back.close();
    }
  });

  it('then a wall whose page leaves on purpose is dropped at once and raises no alert', async () => {
    const leaving = await connectWall(server.url);
    expect(await send(leaving, wallReport('leaving-wall-3'))).toEqual({ ok: true, data: null });
    expect((await walls(server)).body.walls.some((w) => w.id === 'leaving-wall-3')).toBe(true);
    leaving.disconnect();
    await new Promise((r) => setTimeout(r, 200));
    expect((await walls(server)).body.walls.some((w) => w.id === 'leaving-wall-3')).toBe(false);
    server.now.value += 120_000;
    await new Promise((r) => setTimeout(r, 400));
    expect(watcher.view().alerts.some((a) => a.kind === 'wall_silent' && a.text.includes('leaving-'))).toBe(false);
    server.now.value -= 120_000;
  });

  it('then the admin can forget a wall taken away, and an unknown one is a clear 404', async () => {
    const del = (id: string) =>
      fetch(`${server.url}/api/v1/walls/${id}`, { method: 'DELETE', headers: { authorization: 'Bearer admin-token' } });
    const gone = await connectWall(server.url);
    expect(await send(gone, wallReport('gone-wall-4'))).toEqual({ ok: true, data: null });
    gone.io.engine.close();
    await new Promise((r) => setTimeout(r, 200));
    expect((await walls(server)).body.walls.find((w) => w.id === 'gone-wall-4')).toMatchObject({ connected: false });
    expect((await del('gone-wall-4')).status).toBe(204);
    expect((await walls(server)).body.walls.some((w) => w.id === 'gone-wall-4')).toBe(false);
    const missing = await del('gone-wall-4');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toContain('gone-wall-4');
  });
});

describe('when the server restarts while a wall is silent', () => {
  const silentAlerts = (server: TestServer) =>
    [...server.app.spaces.get('live').projection.active.keys()].filter((id) => id.startsWith('wall_silent|'));
  async function until(check: () => boolean): Promise<void> {
    for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(check()).toBe(true);
  }

  it('then its alert stays raised and it is listed as stale, until it reports again', async () => {
    let server = await startTestServer(T, undefined, undefined, { monitorMs: 50 });
    try {
      const hall = await connectWall(server.url);
      expect(await send(hall, wallReport('hall-wall-9'))).toEqual({ ok: true, data: null });
      hall.io.engine.close();
      await new Promise((r) => setTimeout(r, 100));
      server.now.value = T + 75_000;
      await until(() => silentAlerts(server).length === 1);
      expect(silentAlerts(server)).toEqual([`wall_silent|hall-wall-9|${T}`]);

      // Three hours later the node restarts: it never saw the wall, which is still dark.
      server.now.value = T + 3 * 3_600_000;
      server = await server.restart();
      await new Promise((r) => setTimeout(r, 500));
      expect(silentAlerts(server)).toEqual([`wall_silent|hall-wall-9|${T}`]);
      const live = server.app.spaces.get('live').projection;
      expect(live.alerts.filter((a) => a.kind === 'wall_silent').map((a) => [a.at, a.clearedAt])).toEqual([
        [T + 60_000, undefined],
      ]);
      const row = (await walls(server)).body.walls.find((w) => w.id === 'hall-wall-9');
      expect(row).toMatchObject({ space: 'live', connected: false, lastReportAt: T, flags: { stale: true } });
      expect(row?.address).toMatch(/127\.0\.0\.1/);

      const back = await connectWall(server.url);
      try {
        expect(await send(back, wallReport('hall-wall-9'))).toEqual({ ok: true, data: null });
        await until(() => silentAlerts(server).length === 0);
        expect(
          server.app.spaces
            .get('live')
            .projection.alerts.filter((a) => a.kind === 'wall_silent')
            .map((a) => a.clearedAt),
        ).toEqual([T + 3 * 3_600_000]);
      } finally {
        back.close();
      }
    } finally {
      await server.dispose();
    }
  });
});
