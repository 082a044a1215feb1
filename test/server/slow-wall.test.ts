import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Socket as NetSocket } from 'node:net';
import { T0, received } from '../fixtures/events';
import { connectWall, post, startTestServer, type TestServer, type WallSocket } from '../../harness/server';

const LIMIT = 256 * 1024;

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').pop()) : 0;
}

/**
 * A wall on the bare Engine.IO protocol that joins, takes its snapshot, then stops reading its TCP socket and keeps
 * asking for snapshots (a frozen tab, or a script with a viewer token). Resolves its close once the server cuts it.
 */
function nonReadingWall(url: string): Promise<{ ws: WebSocket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const closed = new Promise<number>((r) => ws.once('close', () => r(Date.now())));
    ws.on('error', reject);
    ws.on('message', (data: Buffer) => {
      const m = data.toString();
      if (m.startsWith('0{')) ws.send(`40/wall,${JSON.stringify({ token: 'viewer-token', space: 'live' })}`);
      if (m.startsWith('42/wall,["snapshot"')) {
        ws.removeAllListeners('message');
        (ws as unknown as { _socket: NetSocket })._socket.pause();
        resolve({ ws, closed });
      }
    });
  });
}

describe('when a wall stops reading while it asks for snapshots and the space changes', () => {
  let server: TestServer;
  let reader: WallSocket;
  let deltas = 0;
  beforeAll(async () => {
    server = await startTestServer(T0, undefined, undefined, { wallSendBufferBytes: LIMIT });
    reader = await connectWall(server.url);
    reader.on('delta', () => {
      deltas++;
    });
  });
  afterAll(async () => {
    reader?.close();
    await server.dispose();
  });

  it('then it is cut within 30 s and counted in /metrics, while the wall that reads stays and gets every delta', async () => {
    const slow = await nonReadingWall(server.url);
    expect(await metric(server.url, 'cityops_walls_connected')).toBe(2);
    const started = Date.now();
    let cutAt: number | null = null;
    void slow.closed.then((t) => {
      cutAt = t;
    });
    for (let i = 0; cutAt === null && Date.now() - started < 30_000; i++) {
      // Each resync answers a snapshot twice (event and ack); the space keeps changing so deltas go out too.
      for (let k = 0; k < 50; k++) slow.ws.send(`42/wall,${100 + i * 50 + k}["resync"]`);
      await post(server.url, { space: 'live', events: [received(`C-SLOW-${i}`)] });
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(cutAt).not.toBeNull();
    expect((cutAt ?? Infinity) - started).toBeLessThan(30_000);
    expect(await metric(server.url, 'cityops_walls_dropped_total{space="live"}')).toBe(1);
    expect(await metric(server.url, 'cityops_walls_connected')).toBe(1);
    expect(reader.connected).toBe(true);
    const before = deltas;
    await post(server.url, { space: 'live', events: [received('C-AFTER')] });
    await new Promise((r) => setTimeout(r, 500));
    expect(deltas).toBeGreaterThan(before);
    expect(server.app.io.of('/wall').sockets.size).toBe(1);
  }, 40_000);
});
