/**
 * Failed-authentication limits: counts of failures per key (a client address, a presented token) in fixed windows. A
 * key that reached its limit is refused — whatever it presents, a right token included, or guessing would go on — until
 * its window ends, and the refusal says when (`Retry-After`). Memory is bounded: at most `maxKeys` keys are tracked, the
 * ones whose window ended dropped first.
 */
import { createHash } from 'node:crypto';

/** One limit: at most `max` counted attempts per `windowMs`. */
export interface Limit {
  readonly max: number;
  readonly windowMs: number;
}

interface Window {
  start: number;
  count: number;
}

/** Counts attempts per key and says how long a key is refused. */
export class AttemptLimiter {
  private readonly windows = new Map<string, Window>();
  constructor(
    private readonly limit: Limit,
    private readonly now: () => number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Ms until `key` may try again (0: it may now). */
  blockedFor(key: string): number {
    const w = this.windows.get(key);
    if (!w) return 0;
    const t = this.now();
    if (t - w.start >= this.limit.windowMs) {
      this.windows.delete(key);
      return 0;
    }
    return w.count >= this.limit.max ? w.start + this.limit.windowMs - t : 0;
  }

  /** Counts one attempt of `key`. */
  count(key: string): void {
    const t = this.now();
    const w = this.windows.get(key);
    if (w && t - w.start < this.limit.windowMs) {
      w.count++;
      return;
    }
    this.windows.delete(key);
    if (this.windows.size >= this.maxKeys) this.sweep(t);
    this.windows.set(key, { start: t, count: 1 });
  }

  private sweep(t: number): void {
    for (const [k, w] of this.windows) if (t - w.start >= this.limit.windowMs) this.windows.delete(k);
    // Still full: the oldest windows go (the map keeps insertion order).
    for (const k of this.windows.keys()) {
      if (this.windows.size < this.maxKeys) break;
      this.windows.delete(k);
    }
  }
}

/** What the auth limits are: failures per client address and per presented token, logins per token. */
export interface AuthLimits {
  readonly failuresPerAddress: Limit;
  readonly failuresPerToken: Limit;
  readonly loginsPerToken: Limit;
}

/** Defaults: 20 failed attempts per address and per token a minute; 60 logins per token a minute. */
export const DEFAULT_AUTH_LIMITS: AuthLimits = {
  failuresPerAddress: { max: 20, windowMs: 60_000 },
  failuresPerToken: { max: 20, windowMs: 60_000 },
  loginsPerToken: { max: 60, windowMs: 60_000 },
};

/** The limiter of every authentication path (HTTP bearer and api_key, page logins, Socket.IO handshakes). */
export class AuthLimiter {
  private readonly byAddress: AttemptLimiter;
  private readonly byToken: AttemptLimiter;
  private readonly logins: AttemptLimiter;
  constructor(limits: AuthLimits, now: () => number) {
    this.byAddress = new AttemptLimiter(limits.failuresPerAddress, now);
    this.byToken = new AttemptLimiter(limits.failuresPerToken, now);
    this.logins = new AttemptLimiter(limits.loginsPerToken, now);
  }

  /** Ms until an attempt from `address` presenting `token` may be made (0: now). */
  blockedFor(address: string, token: string | undefined): number {
    return Math.max(
      this.byAddress.blockedFor(address),
      token === undefined ? 0 : this.byToken.blockedFor(tokenKey(token)),
    );
  }

  /** Counts a failed attempt (an unknown token) from `address`. */
  failed(address: string, token: string | undefined): void {
    this.byAddress.count(address);
    if (token !== undefined) this.byToken.count(tokenKey(token));
  }

  /** Ms until `token` may log in again (0: now). */
  loginBlockedFor(token: string): number {
    return this.logins.blockedFor(tokenKey(token));
  }

  /** Counts a login with `token`. */
  loggedIn(token: string): void {
    this.logins.count(tokenKey(token));
  }
}

/** Tokens are kept as digests, never in the clear. */
function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** Whole seconds to wait, at least 1 (the `Retry-After` value). */
export function retryAfterSec(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
