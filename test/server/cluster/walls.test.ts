/**
 * The wall screens of a cluster are one list, kept in the real Redis: a wall connected to one node is listed by every
 * node and counted in every node's /metrics; a wall that moved to another node is not judged silent by the node it left;
 * a wall the admin forgets on one node is forgotten on the node that remembered it; when the node a wall was on stops
 * and the wall does not come back, the other node lists it gone and raises its silence.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type RedisClientType } from 'redis';
import { RedisWallPeers } from '../../../server/cluster/sharedWalls';
import { shanghaiInstant } from '@shared/time';
import type { WallsAnswer } from '@shared/wall/health';
import { connectWall, removeData, startTestServer, type TestServer, type WallSocket } from '../../../harness/server';
import { memoryLog } from '../../fixtures/logs';
import { wallReport } from '../../fixtures/wallClient';

const T = shanghaiInstant('2026-11-23', '09:00');
const KEY = `cityops:test:walls:${randomUUID()}`;

function report(socket: WallSocket, wallId: string): Promise<unknown> {
  return new Promise((resolve) => socket.emit('wall:health', wallReport(wallId), resolve));
}

async function list(server: TestServer): Promise<WallsAnswer['walls']> {
  const res = await fetch(`${server.url}/api/v1/walls`, { headers: { authorization: 'Bearer admin-token' } });
  expect(res.status).toBe(200);
  return ((await res.json()) as WallsAnswer).walls;
}

async function until(what: string, probe: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const silentAlerts = (s: TestServer) =>
  s.app.spaces.get('live').projection.alerts.filter((a) => a.kind === 'wall_silent');

describe('when two nodes share their walls through Redis', () => {
  const now = { value: T };
  let redis: RedisClientType;
  let a: TestServer;
  let b: TestServer;
  const sockets: WallSocket[] = [];
  let bStopped = false;

  const node = () =>
    startTestServer(T, undefined, now, {
      monitorMs: 50,
      wallPeers: new RedisWallPeers(redis, memoryLog().log, {
        now: () => now.value,
        publishMs: 50,
        // The test moves the clock by minutes at a time; a node is gone only when it says so (closing).
        staleMs: 3_600_000,
        key: KEY,
      }),
    });

  beforeAll(async () => {
    redis = createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
    await redis.connect();
    a = await node();
    b = await node();
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await a?.stop();
    if (!bStopped) await b?.stop();
    if (a) removeData(a.dataDir);
    if (b) removeData(b.dataDir);
    await redis.del(KEY);
    await redis.close();
  });

  it('then a wall connected to one node is listed by the other, once, and counted in its /metrics', async () => {
    const hall = await connectWall(a.url);
    sockets.push(hall);
    await report(hall, 'hall-wall');
    await until('node B lists the hall wall', async () =>
      (await list(b)).some((w) => w.id === 'hall-wall' && w.connected && w.lastReportAt === T),
    );
    expect((await list(b)).filter((w) => w.id === 'hall-wall')).toHaveLength(1);
    const metrics = await (
      await fetch(`${b.url}/metrics`, { headers: { authorization: 'Bearer admin-token' } })
    ).text();
    expect(metrics).toMatch(/cityops_walls\{state="connected"\} 1\b/);
  });

  it('then a wall that moved to the other node is listed connected there, and the node it left does not call it silent', async () => {
    const hall = sockets[0]!;
    // Its connection to A is lost (no goodbye): A remembers it, gone; it comes back on B and reports there.
    hall.io.engine.close();
    const moved = await connectWall(b.url);
    sockets.push(moved);
    await report(moved, 'hall-wall');
    // Two minutes pass with the wall reporting every 20 s on B: A's last report from it grows 120 s old.
    for (let step = 1; step <= 6; step++) {
      now.value = T + step * 20_000;
      await report(moved, 'hall-wall');
      await until('node A sees the newer report from B', async () =>
        (await list(a)).some((w) => w.id === 'hall-wall' && w.connected && w.lastReportAt === now.value),
      );
    }
    expect((await list(a)).filter((w) => w.id === 'hall-wall')).toHaveLength(1);
    // Past the 60 s silence limit from A's last report, several monitor passes later: no silence on either node.
    await new Promise((r) => setTimeout(r, 500));
    expect(silentAlerts(a)).toEqual([]);
    expect(silentAlerts(b)).toEqual([]);
  });

  it('then a wall forgotten on one node is forgotten on the node that remembered it', async () => {
    const lobby = await connectWall(a.url);
    sockets.push(lobby);
    await report(lobby, 'lobby-wall');
    lobby.io.engine.close();
    await until('A remembers the lobby wall, gone, and B lists it', async () =>
      (await list(b)).some((w) => w.id === 'lobby-wall' && !w.connected),
    );
    const res = await fetch(`${b.url}/api/v1/walls/lobby-wall`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer admin-token' },
    });
    expect(res.status).toBe(204);
    await until('A forgets it too', async () => !(await list(a)).some((w) => w.id === 'lobby-wall'));
    await new Promise((r) => setTimeout(r, 300));
    expect((await list(b)).some((w) => w.id === 'lobby-wall')).toBe(false);
    const again = await fetch(`${a.url}/api/v1/walls/lobby-wall`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer admin-token' },
    });
    expect(again.status).toBe(404);
  });

  it('then when the node a wall is on stops and the wall does not come back, the other node lists it gone and raises its silence', async () => {
    await b.stop();
    bStopped = true;
    await until('A lists the hall wall gone', async () =>
      (await list(a)).some((w) => w.id === 'hall-wall' && !w.connected),
    );
    expect(silentAlerts(a)).toEqual([]);
    now.value += 2 * 60_000;
    await until('A raises the hall wall silent', async () => silentAlerts(a).length === 1);
    const [alert] = silentAlerts(a);
    expect(alert!.id).toBe(`wall_silent|hall-wall|${T + 6 * 20_000}`);
    expect(alert!.clearedAt).toBeUndefined();
  });
});
