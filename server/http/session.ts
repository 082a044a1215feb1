/** `/api/v1/session`: log in with a token (→ httpOnly cookie), who am I (+ CSRF token), log out. */
import express, { type Router } from 'express';
import { z } from 'zod';
import type { SessionInfo } from '@shared/contract';
import { sessionOf, type GuardDeps } from '../auth/guard';
import { CSRF_HEADER, SESSION_COOKIE, sameSecret } from '../auth/session';
import { retryAfterSec, type AuthLimiter } from '../security/limiter';
import { issuesOf, sendError } from './errors';

const loginSchema = z.strictObject({ token: z.string().min(1).max(512), name: z.string().trim().max(32).optional() });

/** The session routes. */
export function sessionRoutes(deps: GuardDeps & { readonly limiter?: AuthLimiter }): Router {
  const r = express.Router();
  const json = express.json({ limit: '4kb', strict: true });
  r.post('/session', json, async (req, res) => {
    const parsed = loginSchema.safeParse(req.body);
    if (!parsed.success)
      return sendError(
        res,
        'bad_request',
        'the body must be { "token": "...", "name"?: "..." }',
        issuesOf(parsed.error),
      );
    // Logins per token are limited too: one token cannot open sessions by the thousand.
    const wait = deps.limiter?.loginBlockedFor(parsed.data.token) ?? 0;
    if (wait > 0) {
      res.setHeader('Retry-After', String(retryAfterSec(wait)));
      return sendError(res, 'rate_limited', `too many logins with this token: retry in ${retryAfterSec(wait)} s`);
    }
    const grant = deps.tokens.grants.find((g) => g.token === parsed.data.token);
    if (!grant) return sendError(res, 'unauthorized', 'unknown token: check the token you were given');
    if (grant.role === 'producer')
      return sendError(res, 'forbidden', 'a producer token sends events; it cannot log in to the pages');
    deps.limiter?.loggedIn(parsed.data.token);
    const s = deps.sessions.create(parsed.data.token, grant, parsed.data.name || null);
    await deps.sessions.persist(s);
    res.cookie(SESSION_COOKIE, s.id, {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/',
      maxAge: 12 * 3_600_000,
    });
    const info: SessionInfo = { role: grant.role, space: grant.space, name: s.name, csrfToken: s.csrf };
    res.json(info);
  });
  r.get('/session', (req, res) => {
    const s = sessionOf(deps, req);
    if (!s) return sendError(res, 'unauthorized', 'not logged in: log in at /login');
    const info: SessionInfo = { role: s.grant.role, space: s.grant.space, name: s.name, csrfToken: s.csrf };
    res.json(info);
  });
  r.delete('/session', async (req, res) => {
    const s = sessionOf(deps, req);
    if (!s) return sendError(res, 'unauthorized', 'not logged in');
    if (!sameSecret(req.header(CSRF_HEADER), s.csrf))
      return sendError(res, 'forbidden', `missing or wrong ${CSRF_HEADER} header: logging out needs the CSRF token`);
    await deps.sessions.destroy(s.id);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.status(204).end();
  });
  return r;
}
