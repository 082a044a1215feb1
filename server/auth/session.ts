/**
 * Login sessions: a token exchanged once for an httpOnly, SameSite=Strict cookie naming a server-side session. The
 * session keeps the token (never sent back) so every request is still checked by `TokenRegistry.check`, and a CSRF
 * token the page must echo in `X-CSRF-Token` on writes. Sessions live in memory (a restart logs everyone out), expire
 * after `ttlMs` of inactivity, and are bounded in number (oldest dropped first).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { TokenGrant } from './tokens';

/** The session cookie's name. */
export const SESSION_COOKIE = 'cityops_session';
/** The header a cookie-authenticated write must carry. */
export const CSRF_HEADER = 'x-csrf-token';

/** One logged-in browser. */
export interface Session { readonly id: string; readonly token: string; readonly grant: TokenGrant; readonly name: string | null; readonly csrf: string; expires: number }

/** Options of the session store. */
export interface SessionOptions { readonly ttlMs?: number; readonly max?: number; readonly now?: () => number }

/** In-memory sessions. */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly ttlMs: number;
  private readonly max: number;
  private readonly now: () => number;
  constructor(opts: SessionOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 12 * 3_600_000;
    this.max = opts.max ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** Opens a session for a checked token. */
  create(token: string, grant: TokenGrant, name: string | null): Session {
    while (this.sessions.size >= this.max) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const s: Session = { id: randomBytes(24).toString('base64url'), token, grant, name, csrf: randomBytes(24).toString('base64url'), expires: this.now() + this.ttlMs };
    this.sessions.set(s.id, s);
    return s;
  }

  /** The live session of an id (its expiry slides), or undefined. */
  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    const t = this.now();
    if (s.expires < t) { this.sessions.delete(id); return undefined; }
    s.expires = t + this.ttlMs;
    return s;
  }

  /** Ends a session. */
  destroy(id: string): void {
    this.sessions.delete(id);
  }
}

/** The value of one cookie in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try { return decodeURIComponent(part.slice(i + 1).trim()); } catch { return undefined; }
    }
  }
  return undefined;
}

/** Constant-time comparison of two strings. */
export function sameSecret(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
