/**
 * Who is asking, and may they: a bearer token (tools, the wall's link) or a session cookie (the supervisor's pages).
 * Writes made with a cookie must echo the session's CSRF token; bearer requests carry no ambient credential and skip it.
 */
import type { NextFunction, Request, Response } from 'express';
import { sendError } from '../http/errors';
import { CSRF_HEADER, SESSION_COOKIE, cookieValue, sameSecret, type Session, type SessionStore } from './session';
import { bearer, type Action, type TokenGrant, type TokenRegistry } from './tokens';

/** An authorised caller. */
export interface Caller {
  readonly grant: TokenGrant;
  readonly via: 'bearer' | 'cookie';
  readonly session: Session | null;
  readonly actor: string;
}

/** What the guard needs. */
export interface GuardDeps {
  readonly tokens: TokenRegistry;
  readonly sessions: SessionStore;
}

/** The session of a request's cookie, if live. */
export function sessionOf(deps: GuardDeps, req: Request): Session | undefined {
  return deps.sessions.get(cookieValue(req.headers.cookie, SESSION_COOKIE));
}

/**
 * Checks the request may do `action` in `space`; answers 401/403 with a clear message and returns null otherwise.
 * `write` demands the CSRF header when the credential is the cookie.
 */
export function authorise(
  deps: GuardDeps,
  req: Request,
  res: Response,
  action: Action,
  space: string,
  write = false,
): Caller | null {
  const token = bearer(req.headers.authorization);
  if (token !== undefined) {
    const check = deps.tokens.check(token, action, space);
    if (!check.ok) {
      sendError(res, check.status === 401 ? 'unauthorized' : 'forbidden', check.message);
      return null;
    }
    return { grant: check.grant, via: 'bearer', session: null, actor: check.grant.role };
  }
  const session = sessionOf(deps, req);
  if (!session) {
    const had = cookieValue(req.headers.cookie, SESSION_COOKIE) !== undefined;
    sendError(
      res,
      'unauthorized',
      had
        ? 'your session has expired: log in again at /login'
        : 'not logged in: log in at /login, or send Authorization: Bearer <token>',
    );
    return null;
  }
  const check = deps.tokens.check(session.token, action, space);
  if (!check.ok) {
    sendError(res, check.status === 401 ? 'unauthorized' : 'forbidden', check.message);
    return null;
  }
  if (write && !sameSecret(req.header(CSRF_HEADER), session.csrf)) {
    sendError(
      res,
      'forbidden',
      `missing or wrong ${CSRF_HEADER} header: a write with the session cookie must echo the CSRF token from GET /api/v1/session`,
    );
    return null;
  }
  return { grant: check.grant, via: 'cookie', session, actor: session.name ?? check.grant.role };
}

/** Middleware: makes a session kept elsewhere (another node, before a restart) known before the routes ask for it. */
export function recallSessions(sessions: SessionStore) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
    if (id === undefined) return next();
    sessions.recall(id).then(() => next(), next);
  };
}

/** Middleware form of `authorise` for a space taken from the request. */
export function guard(deps: GuardDeps, action: Action, spaceOf: (req: Request) => string, write = false) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const caller = authorise(deps, req, res, action, spaceOf(req), write);
    if (!caller) return;
    res.locals.caller = caller;
    next();
  };
}
