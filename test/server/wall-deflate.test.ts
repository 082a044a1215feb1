/**
 * Every browser offers permessage-deflate on its WebSocket. A server that accepts it deflates each wall's copy of every
 * delta on its own (engine.io cannot send one pre-encoded frame to all), which under ingest lagged 500 walls by 32 s.
 * The server declines it: the wall's socket carries plain frames, and one encoded broadcast serves every wall.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { T0, received } from '../fixtures/events';
import { post, startTestServer, type TestServer } from '../../harness/server';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(T0);
});

afterAll(async () => {
  await server?.dispose();
});

/** A wall on the bare Engine.IO protocol that offers deflate as a browser does; resolves once its snapshot arrived. */
function offeringWall(
  url: string,
): Promise<{ extensions: string; answerHeader: string | undefined; snapshotBytes: number; ws: WebSocket }> {
  return new Promise((resolve, reject) => {
    let answerHeader: string | undefined;
    const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`, {
      perMessageDeflate: { clientNoContextTakeover: false, serverNoContextTakeover: false },
    });
    ws.on('upgrade', (res) => {
      answerHeader = res.headers['sec-websocket-extensions'];
    });
    ws.on('error', reject);
    ws.on('message', (data: Buffer) => {
      const m = data.toString();
      if (m.startsWith('0{')) ws.send(`40/wall,${JSON.stringify({ token: 'viewer-token', space: 'live' })}`);
      if (m.startsWith('42/wall,["snapshot"'))
        resolve({ extensions: ws.extensions, answerHeader, snapshotBytes: data.length, ws });
    });
  });
}

describe('when a wall offers permessage-deflate as every browser does', () => {
  it('then the server declines it and the snapshot arrives as a plain frame', async () => {
    await post(server.url, { space: 'live', events: [received('deflate-1')] });
    const wall = await offeringWall(server.url);
    try {
      expect(wall.answerHeader).toBeUndefined();
      expect(wall.extensions).toBe('');
      // A plain frame: the JSON itself, the case just posted in it.
      expect(wall.snapshotBytes).toBeGreaterThan(1_000);
    } finally {
      wall.ws.close();
    }
  });
});
