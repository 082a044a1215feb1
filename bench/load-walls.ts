/**
 * Walls of `bench:load`, in a process of their own: `N` Socket.IO wall clients on websocket, offering permessage-deflate
 * as browsers do (the `ws` client's default). Each reads every message; a disconnect is a drop. The probe process
 * (`N` = 1) also records, for every delta, the time from the view's build (`now`, the server's wall clock for `live`)
 * to its receipt here. On `report` it answers and closes.
 */
import { io, type Socket } from 'socket.io-client';
import type { WallClientToServer, WallServerToClient } from '@shared/contract';

/** What the walls answer. */
export type LoadWallsReply =
  | { readonly type: 'connected'; readonly n: number; readonly extensions: string }
  | { readonly type: 'report'; readonly deltas: number; readonly drops: number; readonly lagMs: readonly number[] };

const [url = '', nArg = '1'] = process.argv.slice(2);
const n = Number(nArg);
const send = (m: LoadWallsReply) => {
  process.send?.(m);
};
const walls: Socket<WallServerToClient, WallClientToServer>[] = [];
const lagMs: number[] = [];
let deltas = 0;
let drops = 0;
let connected = 0;

for (let i = 0; i < n; i++) {
  const w: Socket<WallServerToClient, WallClientToServer> = io(`${url}/wall`, {
    auth: { token: 'bench-viewer-token-0', space: 'live' },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  w.once('snapshot', () => {
    if (++connected === n) {
      const ext = (w.io.engine.transport as unknown as { ws?: { extensions?: string } }).ws?.extensions ?? '';
      send({ type: 'connected', n: connected, extensions: ext });
    }
  });
  w.on('delta', (d) => {
    deltas++;
    if (n === 1) lagMs.push(Date.now() - d.now);
  });
  w.on('disconnect', () => {
    drops++;
  });
  walls.push(w);
}

process.on('message', (m: { type: string }) => {
  if (m.type !== 'report') return;
  send({ type: 'report', deltas, drops, lagMs });
  for (const w of walls) w.close();
  setTimeout(() => process.exit(0), 200);
});
