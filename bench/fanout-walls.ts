/**
 * The walls of `bench:fanout`, in a process of their own: N Socket.IO wall clients and N bare `ws` clients, all offering
 * permessage-deflate as browsers do. The parent drives it over IPC (see `WallsCommand`) and gets back, per round, the
 * instant (ms since the epoch, sub-ms) each client received the watched message.
 */
import { io, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import type { WallClientToServer, WallServerToClient } from '@shared/contract';
import type { WallDelta } from '@shared/wall/delta';
import { clockMs } from './clock';

/** What the parent asks. */
export type WallsCommand =
  | {
      readonly type: 'connect-io';
      readonly url: string;
      readonly n: number;
      readonly token: string;
      readonly space: string;
    }
  | { readonly type: 'connect-ws'; readonly url: string; readonly n: number }
  | { readonly type: 'arm-io'; readonly caseId: string; readonly timeoutMs: number }
  | { readonly type: 'arm-ws'; readonly timeoutMs: number }
  | { readonly type: 'close-io' }
  | { readonly type: 'close-ws' };

/** What the walls answer. */
export type WallsReply =
  | {
      readonly type: 'connected';
      readonly n: number;
      readonly deflate: number;
      readonly extensions: string;
      /** The socket.io-client build this process runs (`build/esm` is what browsers load, `build/esm-debug` Node's). */
      readonly build: string;
    }
  | { readonly type: 'armed' }
  | {
      readonly type: 'round';
      readonly at: readonly number[];
      readonly missing: number;
      readonly frame: string | null;
      readonly cpuMs: number;
    }
  | { readonly type: 'closed' };

type Wall = Socket<WallServerToClient, WallClientToServer>;
/** The part of engine.io-client's transport this process looks into: the `ws` socket it opened. */
interface WsTransport {
  readonly ws?: { readonly extensions?: string };
}

/** Whether a delta carries the alert of a case (a new ticker item). */
export function carriesAlert(d: WallDelta, caseId: string): boolean {
  const p = d.alerts as { i?: readonly (readonly [number, unknown])[]; $?: unknown } | undefined;
  // Inserted into the ticker, or the whole ticker set (it was empty before).
  const items = [...(p?.i ?? []).map(([, a]) => a), ...(Array.isArray(p?.$) ? (p.$ as unknown[]) : [])];
  return items.some((a) => (a as { caseId?: string }).caseId === caseId);
}

/** Where socket.io-client was loaded from, relative to the package (e.g. `build/esm/index.js`). */
const CLIENT_BUILD = import.meta.resolve('socket.io-client').replace(/^.*\/socket\.io-client\//, '');

const send = (m: WallsReply): void => {
  process.send?.(m);
};
let walls: Wall[] = [];
let bare: WebSocket[] = [];
let round: {
  at: number[];
  seen: Set<number>;
  frame: string | null;
  timer: NodeJS.Timeout;
  want: number;
  caseId: string | null;
  kind: 'io' | 'ws';
  cpu: NodeJS.CpuUsage;
} | null = null;

function receive(kind: 'io' | 'ws', i: number): void {
  const r = round;
  if (!r || r.kind !== kind || r.seen.has(i)) return;
  r.seen.add(i);
  r.at.push(clockMs());
  if (r.seen.size === r.want) finish();
}

function finish(): void {
  const r = round;
  if (!r) return;
  clearTimeout(r.timer);
  round = null;
  const cpu = process.cpuUsage(r.cpu);
  send({
    type: 'round',
    at: r.at,
    missing: r.want - r.seen.size,
    frame: r.frame,
    cpuMs: (cpu.user + cpu.system) / 1000,
  });
}

function arm(kind: 'io' | 'ws', caseId: string | null, timeoutMs: number): void {
  const want = kind === 'io' ? walls.length : bare.length;
  round = {
    at: [],
    seen: new Set(),
    frame: null,
    want,
    caseId,
    kind,
    timer: setTimeout(finish, timeoutMs),
    cpu: process.cpuUsage(),
  };
  send({ type: 'armed' });
}

async function connectIo(url: string, n: number, token: string, space: string): Promise<void> {
  const opened: Promise<Wall>[] = [];
  for (let i = 0; i < n; i++) {
    opened.push(
      new Promise((resolve, reject) => {
        // socket.io-client passes `perMessageDeflate` on to `ws`, which then offers permessage-deflate (as every browser does).
        const s: Wall = io(`${url}/wall`, {
          auth: { token, space },
          transports: ['websocket'],
          reconnection: false,
          forceNew: true,
          perMessageDeflate: { threshold: 1024 },
        });
        s.on('delta', (d) => {
          if (round?.caseId && carriesAlert(d, round.caseId)) receive('io', i);
        });
        if (i === 0) {
          // The frame the server wrote (engine.io message "4" + the Socket.IO packet), to send the same bytes over bare ws.
          s.io.engine.on('packet', (p) => {
            if (
              round?.kind === 'io' &&
              round.caseId &&
              typeof p.data === 'string' &&
              p.data.includes(round.caseId) &&
              p.data.includes('"delta"')
            )
              round.frame = `4${p.data}`;
          });
        }
        s.once('snapshot', () => resolve(s));
        s.once('connect_error', reject);
      }),
    );
    // Connect in small waves so the handshakes do not all time out together on a small machine.
    if (i % 50 === 49) await Promise.all(opened.slice(-50));
  }
  walls = await Promise.all(opened);
  const extensions = walls.map((w) => (w.io.engine.transport as unknown as WsTransport).ws?.extensions ?? '');
  send({
    type: 'connected',
    n: walls.length,
    deflate: extensions.filter((e) => e.includes('permessage-deflate')).length,
    extensions: extensions[0] ?? '',
    build: CLIENT_BUILD,
  });
}

async function connectWs(url: string, n: number): Promise<void> {
  const opened: Promise<WebSocket>[] = [];
  for (let i = 0; i < n; i++) {
    opened.push(
      new Promise((resolve, reject) => {
        const ws = new WebSocket(url, { perMessageDeflate: { threshold: 1024 } });
        ws.on('message', (data: Buffer) => {
          // Parse as the Socket.IO client would, so both clients do the same work per message.
          const text = data.toString('utf8');
          JSON.parse(text.slice(text.indexOf('[')));
          receive('ws', i);
        });
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      }),
    );
    if (i % 50 === 49) await Promise.all(opened.slice(-50));
  }
  bare = await Promise.all(opened);
  send({
    type: 'connected',
    n: bare.length,
    deflate: bare.filter((w) => w.extensions.includes('permessage-deflate')).length,
    extensions: bare[0]?.extensions ?? '',
    build: 'ws',
  });
}

process.on('message', (m: WallsCommand) => {
  switch (m.type) {
    case 'connect-io':
      void connectIo(m.url, m.n, m.token, m.space);
      return;
    case 'connect-ws':
      void connectWs(m.url, m.n);
      return;
    case 'arm-io':
      arm('io', m.caseId, m.timeoutMs);
      return;
    case 'arm-ws':
      arm('ws', null, m.timeoutMs);
      return;
    case 'close-io':
      for (const w of walls) w.close();
      walls = [];
      send({ type: 'closed' });
      return;
    case 'close-ws':
      for (const w of bare) w.close();
      bare = [];
      send({ type: 'closed' });
      return;
  }
});
process.on('disconnect', () => process.exit(0));
