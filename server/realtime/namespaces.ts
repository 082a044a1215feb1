/**
 * Socket.IO namespaces: `/wall` (viewers: snapshot, deltas, resync) and `/ingest` (producers: batches with acks). A
 * refused connection's error carries `data: { code }` (a `RefusalCode`) beside a message for people.
 */
import type { Server, Socket } from 'socket.io';
import {
  ingestBatchSchema,
  wallAuthSchema,
  type ClientToServerEvents,
  type InterServerEvents,
  type RefusalCode,
  type RefusalData,
  type Result,
  type IngestResult,
  type ServerToClientEvents,
  type SocketData,
} from '@shared/contract';
import type { TokenRegistry } from '../auth/tokens';
import type { Failsafe } from '../failsafe';
import type { IngestService } from '../ingest/service';
import { ownActRefusal } from '../ingest/ownActs';
import { issuesOf } from '../http/errors';
import type { Logger } from '../log';
import type { WallSnapshot } from '@shared/wall/delta';
import type { Metrics } from '../metrics';
import type { SpaceRegistry } from '../spaces';
import { roomOf, type Broadcaster } from './broadcaster';
import { StoreUnavailableError } from '../store/types';

/** The typed Socket.IO server. */
export type IoServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type IoSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** A middleware refusal: socket.io hands `data` to the client's `connect_error` as `err.data`. */
export function refusal(code: RefusalCode, message: string): Error & { data: RefusalData } {
  return Object.assign(new Error(message), { data: { code } });
}

/** Wires `/wall`: auth `{ token, space }` checked at connect; a snapshot on join; `resync` answers a fresh snapshot. */
export function wireWall(
  io: IoServer,
  deps: {
    tokens: TokenRegistry;
    spaces: SpaceRegistry;
    broadcaster: () => Broadcaster;
    isReady: () => boolean;
    failsafe: Failsafe;
  },
) {
  const ns = io.of('/wall');
  ns.use((socket, next) => {
    const auth = wallAuthSchema.safeParse(socket.handshake.auth);
    if (!auth.success)
      return next(
        refusal(
          'bad_request',
          `the auth must be { token, space }: ${issuesOf(auth.error)
            .map((e) => `${e.path} ${e.message}`)
            .join('; ')}`,
        ),
      );
    const check = deps.tokens.check(auth.data.token, 'view', auth.data.space);
    if (!check.ok) return next(refusal(check.status === 401 ? 'unauthorized' : 'forbidden', check.message));
    if (!deps.isReady()) return next(refusal('not_ready', 'the server is rebuilding its projections'));
    socket.data.space = auth.data.space;
    next();
  });
  ns.on(
    'connection',
    deps.failsafe.listener('wall.join', (socket: IoSocket) => {
      const space = deps.spaces.get(socket.data.space);
      let snap: WallSnapshot;
      try {
        // The snapshot first: bringing it up to date may send a delta to the room, which this socket must not see before it.
        snap = deps.broadcaster().snapshot(space);
      } catch (err) {
        // A wall without a snapshot shows nothing: close it so it reconnects (with backoff) and tries again.
        socket.disconnect(true);
        throw err;
      }
      void socket.join(roomOf(space.name));
      socket.emit('snapshot', snap);
      socket.on(
        'resync',
        deps.failsafe.listener('wall.resync', (ack: (result: Result<WallSnapshot>) => void) => {
          let snap: WallSnapshot;
          try {
            snap = deps.broadcaster().snapshot(deps.spaces.get(socket.data.space));
          } catch (err) {
            if (typeof ack === 'function')
              ack({
                ok: false,
                error: {
                  code: 'internal',
                  message: 'the snapshot could not be built; the wall keeps its view and asks again',
                },
              });
            throw err;
          }
          socket.emit('snapshot', snap);
          if (typeof ack === 'function') ack({ ok: true, data: snap });
          // Asking for snapshots without reading them must not queue them without bound.
          deps.broadcaster().checkBacklog(socket);
        }),
      );
    }),
  );
  return ns;
}

/** Wires `/ingest`: a producer token at connect; each `events:batch` is validated, ingested and acked once durable. */
export function wireIngest(
  io: IoServer,
  deps: {
    tokens: TokenRegistry;
    ingest: IngestService;
    isReady: () => boolean;
    metrics: Pick<Metrics, 'batches'>;
    failsafe: Failsafe;
    log: Logger;
  },
) {
  const ns = io.of('/ingest');
  ns.use((socket, next) => {
    const presented = token(socket.handshake.auth);
    if (!presented) return next(refusal('unauthorized', 'no token in auth'));
    const grant = deps.tokens.grants.find((g) => g.token === presented);
    if (!grant) return next(refusal('unauthorized', 'unknown token'));
    if (grant.role !== 'producer' && grant.role !== 'admin')
      return next(refusal('forbidden', `a ${grant.role} token may not produce`));
    socket.data.space = grant.space ?? '';
    next();
  });
  ns.on('connection', (socket) => {
    socket.on(
      'events:batch',
      deps.failsafe.listener('ingest.batch', async (batch: unknown, ack: (result: Result<IngestResult>) => void) => {
        const reply = (r: Result<IngestResult>) => {
          if (typeof ack === 'function') ack(r);
        };
        if (!deps.isReady())
          return reply({
            ok: false,
            error: { code: 'not_ready', message: 'the server is rebuilding its projections' },
          });
        const parsed = ingestBatchSchema.safeParse(batch);
        if (!parsed.success)
          return reply({
            ok: false,
            error: {
              code: 'bad_request',
              message: 'the batch is not { space, events: [...] }',
              errors: issuesOf(parsed.error),
            },
          });
        const check = deps.tokens.check(token(socket.handshake.auth), 'produce', parsed.data.space);
        if (!check.ok)
          return reply({
            ok: false,
            error: { code: check.status === 401 ? 'unauthorized' : 'forbidden', message: check.message },
          });
        let result: IngestResult;
        try {
          result = await deps.ingest.ingest(
            parsed.data.space,
            parsed.data.events,
            ownActRefusal(check.grant.role, parsed.data.space),
          );
        } catch (err) {
          if (err instanceof StoreUnavailableError) {
            deps.log.warn(
              { transport: 'socket', space: parsed.data.space, err: err.message },
              'the store does not answer: asked the producer to retry',
            );
            return reply({
              ok: false,
              error: {
                code: 'unavailable',
                message: `${err.message}; nothing of this batch was kept: send it again after ${err.retryAfterS} s`,
              },
            });
          }
          deps.log.error(
            {
              err,
              transport: 'socket',
              space: parsed.data.space,
              events: parsed.data.events.length,
              socket: socket.id,
            },
            'ingest failed: the batch was not stored',
          );
          return reply({
            ok: false,
            error: { code: 'internal', message: 'the batch could not be stored; nothing of it was kept' },
          });
        }
        deps.metrics.batches.inc({ transport: 'socket' });
        reply({ ok: true, data: result });
      }),
    );
  });
  return ns;
}

function token(auth: Record<string, unknown>): string | undefined {
  return typeof auth.token === 'string' ? auth.token : undefined;
}
