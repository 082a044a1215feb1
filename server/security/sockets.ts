/**
 * The Socket.IO side of the security settings: the Origin of a handshake (browsers send one; producers, which send
 * none, are judged by their token alone), limits on handshakes presenting unknown tokens, no default namespace, and no
 * connection held without joining a namespace: one that has not joined `/wall` or `/ingest` (no token, a refused
 * token, an unknown namespace) within `handshakeTimeoutMs` is closed.
 */
import type { IncomingMessage } from 'node:http';
import type { Server } from 'socket.io';
import type { TokenRegistry } from '../auth/tokens';
import type { Failsafe } from '../failsafe';
import { refusal } from '../realtime/namespaces';
import { originAllowed } from './http';
import { retryAfterSec, type AuthLimiter } from './limiter';
import { clientAddress, type SecuritySettings } from './settings';

/** The namespaces that exist; every other one (the default `/` included) is refused. */
const NAMESPACES = ['/wall', '/ingest'] as const;

/** The host a handshake is for, as the HTTP side sees it (X-Forwarded-Host through a trusted proxy). */
function hostOf(req: IncomingMessage, trustProxy: number): string | undefined {
  const forwarded = trustProxy > 0 ? req.headers['x-forwarded-host'] : undefined;
  const h = typeof forwarded === 'string' ? forwarded.split(',')[0]?.trim() : req.headers.host;
  return h?.toLowerCase();
}

/** Wires the checks; call before the namespaces' own middleware is added, so these run first. */
export function secureSockets<S extends Server>(
  io: S,
  deps: {
    readonly tokens: TokenRegistry;
    readonly limiter: AuthLimiter;
    readonly settings: SecuritySettings;
    readonly failsafe: Failsafe;
  },
): void {
  const { settings } = deps;
  io.engine.opts.allowRequest = (req, callback) => {
    const origin = req.headers.origin;
    if (origin === undefined || originAllowed(origin, hostOf(req, settings.trustProxy), settings.allowedOrigins))
      return callback(null, true);
    callback('origin not allowed: add it to CITYOPS_ALLOWED_ORIGINS', false);
  };
  io.of('/').use((_socket, next) =>
    next(refusal('bad_request', `no namespace here: connect to ${NAMESPACES.join(' or ')}`)),
  );
  for (const name of NAMESPACES) {
    io.of(name).use((socket, next) => {
      const auth: unknown = socket.handshake.auth;
      const raw = typeof auth === 'object' && auth !== null ? (auth as Record<string, unknown>).token : undefined;
      const token = typeof raw === 'string' ? raw : undefined;
      const address = clientAddress(
        socket.request.socket.remoteAddress,
        socket.request.headers['x-forwarded-for'],
        settings.trustProxy,
      );
      const blocked = deps.limiter.blockedFor(address, token);
      if (blocked > 0)
        return next(
          refusal(
            'rate_limited',
            `too many failed authentication attempts from this address or with this token: retry in ${retryAfterSec(blocked)} s`,
          ),
        );
      if (token !== undefined && !deps.tokens.knows(token)) deps.limiter.failed(address, token);
      next();
    });
  }
  // Connections that joined a namespace; any other is closed once its time to join is up.
  const joined = new WeakSet<object>();
  for (const name of NAMESPACES)
    io.of(name).on('connection', (socket) => {
      joined.add(socket.conn);
    });
  io.engine.on(
    'connection',
    (conn: { readyState: string; close(): void; once(event: 'close', fn: () => void): unknown }) => {
      const timer = setTimeout(
        deps.failsafe.guarded('sockets.handshake-timeout', () => {
          if (!joined.has(conn) && conn.readyState === 'open') conn.close();
        }),
        settings.handshakeTimeoutMs,
      );
      timer.unref();
      conn.once('close', () => clearTimeout(timer));
    },
  );
}
