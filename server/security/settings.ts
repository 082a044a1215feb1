/**
 * Security settings (README, Configuration): proxies trusted for the client address and scheme, the origins allowed to
 * call the API and open sockets, who may read `/metrics` and `/readyz`, the authentication limits and how long a
 * socket may stay connected without joining a namespace. `readSecuritySettings` reads them from the environment.
 */
import { DEFAULT_AUTH_LIMITS, type AuthLimits } from './limiter';

/** Who may read an operations endpoint: anyone; loopback clients or an admin token; an admin token only. */
export const OPS_ACCESS = ['open', 'local', 'token'] as const;
/** An operations endpoint's exposure. */
export type OpsAccess = (typeof OPS_ACCESS)[number];

/** The security settings of an app. */
export interface SecuritySettings {
  /** Reverse proxies in front of the server (0: none): their X-Forwarded-For / -Proto / -Host are believed. */
  readonly trustProxy: number;
  /** Origins (`scheme://host[:port]`) allowed to call the API and open sockets; null: the server's own origin only. */
  readonly allowedOrigins: readonly string[] | null;
  readonly metricsAccess: OpsAccess;
  readonly readyzAccess: OpsAccess;
  readonly authLimits: AuthLimits;
  /** A socket that has not joined a namespace (with a good token) this long after connecting is closed, ms. */
  readonly handshakeTimeoutMs: number;
}

/** The defaults: no proxy, own origin, `/metrics` local, `/readyz` open, the default limits, 5 s to join. */
export const DEFAULT_SECURITY: SecuritySettings = {
  trustProxy: 0,
  allowedOrigins: null,
  metricsAccess: 'local',
  readyzAccess: 'open',
  authLimits: DEFAULT_AUTH_LIMITS,
  handshakeTimeoutMs: 5_000,
};

/** Reads TRUST_PROXY, CITYOPS_ALLOWED_ORIGINS, METRICS_ACCESS and READYZ_ACCESS; throws naming the variable on a bad value. */
export function readSecuritySettings(env: NodeJS.ProcessEnv): SecuritySettings {
  const trust = (env.TRUST_PROXY ?? '').trim();
  const trustProxy = trust === '' || trust === 'false' ? 0 : trust === 'true' ? 1 : Number(trust);
  if (!Number.isInteger(trustProxy) || trustProxy < 0 || trustProxy > 10)
    throw new Error(
      `TRUST_PROXY "${env.TRUST_PROXY}" must be the number of reverse proxies in front of the server (0–10), true (1) or false (0)`,
    );
  const origins = (env.CITYOPS_ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const o of origins) {
    let ok: boolean;
    try {
      const u = new URL(o);
      ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === o.replace(/\/$/, '');
    } catch {
      ok = false;
    }
    if (!ok)
      throw new Error(
        `CITYOPS_ALLOWED_ORIGINS: "${o}" is not an origin like https://wall.example.org or http://10.0.0.5:8080 (scheme, host and port only)`,
      );
  }
  return {
    ...DEFAULT_SECURITY,
    trustProxy,
    allowedOrigins: origins.length > 0 ? origins.map((o) => new URL(o).origin) : null,
    metricsAccess: opsAccess(env.METRICS_ACCESS, 'METRICS_ACCESS', DEFAULT_SECURITY.metricsAccess),
    readyzAccess: opsAccess(env.READYZ_ACCESS, 'READYZ_ACCESS', DEFAULT_SECURITY.readyzAccess),
  };
}

function opsAccess(value: string | undefined, name: string, dflt: OpsAccess): OpsAccess {
  const v = (value ?? '').trim();
  if (v === '') return dflt;
  if ((OPS_ACCESS as readonly string[]).includes(v)) return v as OpsAccess;
  throw new Error(`${name} "${value}" must be one of ${OPS_ACCESS.join(', ')}`);
}

/**
 * The client's address as Express computes it for `trust proxy` = `hops`: the connection's peer, or, through `hops`
 * trusted proxies, the address that many entries from the right of X-Forwarded-For.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  hops: number,
): string {
  const chain = [
    peer ?? 'unknown',
    ...(Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? ''))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .reverse(),
  ];
  return chain[Math.min(hops, chain.length - 1)] ?? 'unknown';
}
