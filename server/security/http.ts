/**
 * The HTTP side of the security settings: headers (helmet: a CSP without inline script, no framing, nosniff, no
 * Referer), the Origin check, paths that are not valid percent-encoding, who may read `/metrics` and `/readyz`, and the
 * limits on failed authentication (429 with `Retry-After`).
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { bearer, type TokenRegistry } from '../auth/tokens';
import { sendError } from '../http/errors';
import { retryAfterSec, type AuthLimiter } from './limiter';
import type { OpsAccess, SecuritySettings } from './settings';

/**
 * The Content-Security-Policy: scripts, styles, fonts and sockets from this origin only — no inline script, no eval.
 * Style attributes stay allowed (`style-src-attr`): Vue binds computed colours and widths with them; style elements
 * and stylesheets must come from this origin. Images may be data: or blob: URLs (ECharts exports, small inlined assets).
 */
export const CSP_DIRECTIVES = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'style-src-elem': ["'self'"],
  'style-src-attr': ["'unsafe-inline'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'worker-src': ["'self'", 'blob:'],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
} as const;

/** Security headers on every answer; HSTS only on answers that went out over TLS (a LAN wall on plain HTTP keeps working). */
export function securityHeaders(): RequestHandler[] {
  return [
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: Object.fromEntries(Object.entries(CSP_DIRECTIVES).map(([k, v]) => [k, [...v]])),
      },
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
      strictTransportSecurity: false,
    }),
    (req, res, next) => {
      if (req.secure) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
      next();
    },
  ];
}

/** Whether `origin` may call: one of `allowed`, or, with none configured, the origin of the host the request is for. */
export function originAllowed(origin: string, host: string | undefined, allowed: readonly string[] | null): boolean {
  if (allowed !== null) return allowed.includes(origin);
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/** Refuses requests whose Origin is not allowed (403); a request without Origin (a tool, a producer) is judged by its token alone. */
export function originCheck(settings: SecuritySettings): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin === undefined || originAllowed(origin, req.host, settings.allowedOrigins)) return next();
    sendError(
      res,
      'forbidden',
      `Origin ${origin.slice(0, 200)} may not call this server: add it to CITYOPS_ALLOWED_ORIGINS`,
    );
  };
}

/** A path that is not valid percent-encoding (`/%ff`) is a 400, answered before any route tries to decode it. */
export function wellFormedPath(req: Request, res: Response, next: NextFunction): void {
  try {
    decodeURIComponent(req.path);
  } catch {
    return sendError(res, 'bad_request', 'the path is not valid percent-encoding (UTF-8): check the address');
  }
  next();
}

/** Gates `path` by `access`: open; loopback clients or an admin bearer token; an admin bearer token. */
export function opsAccess(path: string, access: OpsAccess, tokens: TokenRegistry, name: string): RequestHandler {
  return (req, res, next) => {
    // Express routes a path in any case and with a trailing slash (`/METRICS/`): the gate reads it the same way.
    if (access === 'open' || req.path.toLowerCase().replace(/\/+$/, '') !== path.toLowerCase()) return next();
    if (access === 'local' && isLoopback(req.ip)) return next();
    const check = tokens.check(bearer(req.headers.authorization), 'administer', 'live');
    if (check.ok) return next();
    sendError(
      res,
      check.status === 401 ? 'unauthorized' : 'forbidden',
      `${path} is readable by ${access === 'local' ? 'this machine or ' : ''}an admin token (${name}=${access}): send Authorization: Bearer <admin token>`,
    );
  };
}

function isLoopback(ip: string | undefined): boolean {
  return ip !== undefined && (ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.'));
}

/** The credential a request presents (absent when none): a bearer token, an Open311 api_key, a login's token. */
function presented(req: Request): string | undefined {
  const body: unknown = req.body;
  const fromBody = (key: string): string | undefined =>
    typeof body === 'object' && body !== null && typeof (body as Record<string, unknown>)[key] === 'string'
      ? ((body as Record<string, unknown>)[key] as string)
      : undefined;
  return (
    bearer(req.headers.authorization) ??
    (typeof req.query.api_key === 'string' ? req.query.api_key : undefined) ??
    fromBody('api_key') ??
    fromBody('token')
  );
}

/**
 * Failed authentication limits on HTTP: a request from an address (or with a token) that failed too often is answered
 * 429 with `Retry-After` before any route sees it; an answer of 401 to a request that presented a credential counts
 * as a failure of its address and of that credential. Requests presenting nothing (a page not logged in) never count.
 */
export function authLimits(limiter: AuthLimiter): RequestHandler {
  return (req, res, next) => {
    const address = req.ip ?? 'unknown';
    const blocked = limiter.blockedFor(address, presented(req));
    if (blocked > 0) {
      const sec = retryAfterSec(blocked);
      res.setHeader('Retry-After', String(sec));
      const message = `too many failed authentication attempts from this address or with this token: retry in ${sec} s`;
      if (req.path.startsWith('/open311/')) return void res.status(429).json([{ code: 429, description: message }]);
      return sendError(res, 'rate_limited', message);
    }
    res.once('finish', () => {
      if (res.statusCode !== 401) return;
      const token = presented(req);
      if (token !== undefined) limiter.failed(address, token);
    });
    next();
  };
}

/** Every HTTP protection, in order, for `app.use` ahead of the routes. */
export function httpSecurity(
  settings: SecuritySettings,
  tokens: TokenRegistry,
  limiter: AuthLimiter,
): RequestHandler[] {
  return [
    ...securityHeaders(),
    wellFormedPath,
    originCheck(settings),
    authLimits(limiter),
    opsAccess('/metrics', settings.metricsAccess, tokens, 'METRICS_ACCESS'),
    opsAccess('/readyz', settings.readyzAccess, tokens, 'READYZ_ACCESS'),
  ];
}
