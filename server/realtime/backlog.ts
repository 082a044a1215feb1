/**
 * The send backlog of a wall socket and the bound on it. A wall that does not read (a frozen tab, a viewer token in a
 * script) leaves every delta and snapshot queued on the server: in engine.io's write buffer once the transport waits
 * for a write to finish, and in the `ws` socket's buffer before that. Past the bound the socket is cut at once —
 * terminated, not closed, since a close handshake would wait on the same full buffer — and its queue is freed; the
 * wall's reconnect brings a fresh snapshot instead of the backlog.
 */
import type { Socket } from 'socket.io';

/** The parts of engine.io's connection this reads (not in its public types). */
interface EngineParts {
  readonly writeBuffer?: readonly {
    readonly data?: unknown;
    readonly options?: { readonly wsPreEncodedFrame?: readonly Buffer[] };
  }[];
  readonly transport?: { readonly socket?: { readonly bufferedAmount?: number; terminate?(): void } };
}

/** Bytes queued on the server for a socket and not yet handed to the kernel. */
export function sendBacklog(socket: Socket): number {
  const conn = socket.conn as unknown as EngineParts;
  let bytes = conn.transport?.socket?.bufferedAmount ?? 0;
  for (const p of conn.writeBuffer ?? []) {
    const frame = p.options?.wsPreEncodedFrame;
    if (frame) for (const b of frame) bytes += b.length;
    else if (typeof p.data === 'string') bytes += Buffer.byteLength(p.data);
    else if (Buffer.isBuffer(p.data)) bytes += p.data.length;
  }
  return bytes;
}

/** Cuts sockets whose backlog passes `limitBytes`; `onDrop` is told (to count and log it). */
export class BacklogGuard {
  constructor(
    private readonly limitBytes: number,
    private readonly onDrop: (socket: Socket, bytes: number) => void,
  ) {}

  /** Checks one socket; true when it was cut. */
  check(socket: Socket): boolean {
    if (!socket.connected) return false;
    const bytes = sendBacklog(socket);
    if (bytes <= this.limitBytes) return false;
    this.onDrop(socket, bytes);
    (socket.conn as unknown as EngineParts).transport?.socket?.terminate?.();
    socket.disconnect(true);
    return true;
  }
}
