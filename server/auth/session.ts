/**
 * Login sessions: a token exchanged once for an httpOnly, SameSite=Strict cookie naming a server-side session. The
 * session keeps the token (never sent back) so every request is still checked by `TokenRegistry.check`, and a CSRF
 * token the page must echo in `X-CSRF-Token` on writes. Sessions live in memory (a restart logs everyone out), expire
 * after `ttlMs` of inactivity, and are bounded per principal: one token holds at most `maxPerToken` sessions, and a login
 * past that ends that token's own oldest session — never another token's, so any number of viewer logins cannot log a
 * supervisor out. The whole store is thus bounded by (configured tokens × `maxPerToken`). The policy lives behind
 * `create`/`get`/`destroy`, so a shared store (PostgreSQL) can implement the same interface.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { TokenGrant } from './tokens';

/** The session cookie's name. */
export const SESSION_COOKIE = 'cityops_session';
/** The header a cookie-authenticated write must carry. */
export const CSRF_HEADER = 'x-csrf-token';

/** How long a session known in memory is trusted before the backend is asked again (a logout elsewhere), ms. */
const RECHECK_MS = 5_000;

/** One logged-in browser. */
export interface Session {
  readonly id: string;
  readonly token: string;
  readonly grant: TokenGrant;
  readonly name: string | null;
  readonly csrf: string;
  expires: number;
}

/**
 * Where sessions are kept beyond this process (on a cluster: PostgreSQL), so a restart or another node knows them.
 * The store stays the one that decides; the backend only keeps and finds.
 */
export interface SessionBackend {
  save(s: Session): Promise<void>;
  load(id: string): Promise<Session | undefined>;
  remove(id: string): Promise<void>;
  /** Moves a session's expiry (sliding; written at most once a minute per session). */
  touch(id: string, expires: number): Promise<void>;
}

/** Options of the session store: idle time to live (ms), most sessions one token holds at once, the clock, the backend. */
export interface SessionOptions {
  readonly ttlMs?: number;
  readonly maxPerToken?: number;
  readonly now?: () => number;
  readonly backend?: SessionBackend;
}

/** Sessions one token may hold at once by default: a centre's desks and walls sharing a role's token, with room to spare. */
export const SESSIONS_PER_TOKEN = 200;

/** In-memory sessions. */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  /** Each token's session ids, oldest first. */
  private readonly byToken = new Map<string, Set<string>>();
  private readonly ttlMs: number;
  private readonly maxPerToken: number;
  private readonly now: () => number;
  private readonly backend: SessionBackend | undefined;
  /** When each session's expiry was last written to the backend, and when it was last checked there. */
  private readonly touched = new Map<string, number>();
  private readonly checked = new Map<string, number>();
  constructor(opts: SessionOptions = {}) {
    this.backend = opts.backend;
    this.ttlMs = opts.ttlMs ?? 12 * 3_600_000;
    this.maxPerToken = opts.maxPerToken ?? SESSIONS_PER_TOKEN;
    this.now = opts.now ?? Date.now;
  }

  /** Opens a session for a checked token; past the token's cap its own oldest session ends. */
  create(token: string, grant: TokenGrant, name: string | null): Session {
    const t = this.now();
    // Expired sessions of this token go first; then its oldest, while it is at its cap.
    for (const id of [...(this.byToken.get(token) ?? [])])
      if ((this.sessions.get(id)?.expires ?? 0) < t) this.forget(id);
    for (const id of [...(this.byToken.get(token) ?? [])]) {
      if ((this.byToken.get(token)?.size ?? 0) < this.maxPerToken) break;
      void this.destroy(id).catch(() => undefined);
    }
    const mine = this.byToken.get(token) ?? new Set<string>();
    this.byToken.set(token, mine);
    const s: Session = {
      id: randomBytes(24).toString('base64url'),
      token,
      grant,
      name,
      csrf: randomBytes(24).toString('base64url'),
      expires: t + this.ttlMs,
    };
    this.sessions.set(s.id, s);
    mine.add(s.id);
    return s;
  }

  /** The live session of an id (its expiry slides), or undefined. */
  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    const t = this.now();
    if (s.expires < t) {
      this.forget(id);
      return undefined;
    }
    s.expires = t + this.ttlMs;
    return s;
  }

  /** Ends a session (here and in the backend). */
  async destroy(id: string): Promise<void> {
    this.forget(id);
    await this.backend?.remove(id);
  }

  /** Drops a session from memory (not from the backend). */
  private forget(id: string): void {
    this.touched.delete(id);
    this.checked.delete(id);
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    const mine = this.byToken.get(s.token);
    mine?.delete(id);
    if (mine?.size === 0) this.byToken.delete(s.token);
  }

  /** Keeps a new session in the backend (a login answers after this, so another node knows the cookie at once). */
  async persist(s: Session): Promise<void> {
    await this.backend?.save(s);
  }

  /**
   * Makes `get` know a session this process has not seen (created on another node, or before a restart): loads it from
   * the backend when the cookie names one not in memory, and writes a sliding expiry back at most once a minute.
   */
  async recall(id: string | undefined): Promise<void> {
    if (!id || !this.backend) return;
    const t = this.now();
    const here = this.sessions.get(id);
    // A session known here is checked against the backend again after RECHECK_MS: a logout on another node ends it here too.
    if (here && t - (this.checked.get(id) ?? 0) < RECHECK_MS) return;
    const s = await this.backend.load(id);
    if (!s || s.expires < t) {
      this.forget(id);
      return;
    }
    this.checked.set(id, t);
    if (here) {
      here.expires = Math.max(here.expires, s.expires);
      if (t - (this.touched.get(id) ?? 0) >= 60_000) {
        this.touched.set(id, t);
        await this.backend.touch(id, here.expires).catch(() => undefined);
      }
      return;
    }
    this.sessions.set(s.id, s);
    let mine = this.byToken.get(s.token);
    if (!mine) this.byToken.set(s.token, (mine = new Set()));
    mine.add(s.id);
    this.touched.set(s.id, t);
  }
}

/** The value of one cookie in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
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
