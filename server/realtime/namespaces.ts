/** Socket.IO namespaces: `/wall` (viewers: snapshot, deltas, resync) and `/ingest` (producers: batches with acks). */
import type { Server } from 'socket.io';

/** The typed Socket.IO server. */
export type IoServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
import { ingestBatchSchema, wallAuthSchema, type ClientToServerEvents, type InterServerEvents, type Result, type IngestResult, type ServerToClientEvents, type SocketData } from '../../shared/contract';
import type { TokenRegistry } from '../auth/tokens';
import type { IngestService } from '../ingest/service';
import { issuesOf } from '../http/errors';
import type { SpaceRegistry } from '../spaces';
import { roomOf, type Broadcaster } from './broadcaster';

/** Wires `/wall`: auth `{ token, space }` checked at connect; a snapshot on join; `resync` answers a fresh snapshot. */
export function wireWall(io: IoServer, deps: { tokens: TokenRegistry; spaces: SpaceRegistry; broadcaster: () => Broadcaster; isReady: () => boolean }) {
  const ns = io.of('/wall');
  ns.use((socket, next) => {
    const auth = wallAuthSchema.safeParse(socket.handshake.auth);
    if (!auth.success) return next(new Error(`bad auth: ${issuesOf(auth.error).map((e) => `${e.path} ${e.message}`).join('; ')}`));
    const check = deps.tokens.check(auth.data.token, 'view', auth.data.space);
    if (!check.ok) return next(new Error(`${check.status === 401 ? 'unauthorized' : 'forbidden'}: ${check.message}`));
    if (!deps.isReady()) return next(new Error('not_ready: the server is rebuilding its projections'));
    socket.data.role = check.grant.role;
    socket.data.space = auth.data.space;
    socket.data.spaces = check.grant.space === null ? null : [check.grant.space];
    next();
  });
  ns.on('connection', (socket) => {
    const space = deps.spaces.get(socket.data.space);
    // The snapshot first: bringing it up to date may send a delta to the room, which this socket must not see before it.
    const snap = deps.broadcaster().snapshot(space);
    void socket.join(roomOf(space.name));
    socket.emit('snapshot', snap);
    socket.on('resync', (ack) => {
      const snap = deps.broadcaster().snapshot(deps.spaces.get(socket.data.space));
      socket.emit('snapshot', snap);
      if (typeof ack === 'function') ack({ ok: true, data: snap });
    });
  });
  return ns;
}

/** Wires `/ingest`: a producer token at connect; each `events:batch` is validated, ingested and acked once durable. */
export function wireIngest(io: IoServer, deps: { tokens: TokenRegistry; ingest: IngestService; isReady: () => boolean }) {
  const ns = io.of('/ingest');
  ns.use((socket, next) => {
    const presented = token(socket.handshake.auth);
    if (!presented) return next(new Error('unauthorized: no token in auth'));
    const grant = deps.tokens.grants.find((g) => g.token === presented);
    if (!grant) return next(new Error('unauthorized: unknown token'));
    if (grant.role !== 'producer' && grant.role !== 'admin') return next(new Error(`forbidden: a ${grant.role} token may not produce`));
    socket.data.role = grant.role;
    socket.data.space = grant.space ?? '';
    socket.data.spaces = grant.space === null ? null : [grant.space];
    next();
  });
  ns.on('connection', (socket) => {
    socket.on('events:batch', async (batch, ack) => {
      const reply = (r: Result<IngestResult>) => { if (typeof ack === 'function') ack(r); };
      if (!deps.isReady()) return reply({ ok: false, error: { code: 'not_ready', message: 'the server is rebuilding its projections' } });
      const parsed = ingestBatchSchema.safeParse(batch);
      if (!parsed.success) return reply({ ok: false, error: { code: 'bad_request', message: 'the batch is not { space, events: [...] }', errors: issuesOf(parsed.error) } });
      const check = deps.tokens.check(token(socket.handshake.auth), 'produce', parsed.data.space);
      if (!check.ok) return reply({ ok: false, error: { code: check.status === 401 ? 'unauthorized' : 'forbidden', message: check.message } });
      try {
        reply({ ok: true, data: await deps.ingest.ingest(parsed.data.space, parsed.data.events) });
      } catch {
        reply({ ok: false, error: { code: 'internal', message: 'the batch could not be stored; nothing of it was kept' } });
      }
    });
  });
  return ns;
}

function token(auth: Record<string, unknown>): string | undefined {
  return typeof auth.token === 'string' ? auth.token : undefined;
}
