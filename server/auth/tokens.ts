/**
 * Bearer tokens (CITYOPS_TOKENS: comma-separated `role[@space]:token`). A token names one role and optionally one
 * space; admin may do everything, supervisor also views, duty also answers the duty desk, producer only sends events
 * to its space.
 */
import { randomBytes } from 'node:crypto';
import { ROLES, spaceName, type Role } from '@shared/contract';

/** One configured token. */
export interface TokenGrant {
  readonly role: Role;
  readonly space: string | null;
  readonly token: string;
}

/** Shortest configured token (characters): short ones fall to guessing. */
export const MIN_TOKEN_LENGTH = 16;
/** Random bytes of a generated or minted token: 192 bits. */
const TOKEN_BYTES = 24;

/** Parses CITYOPS_TOKENS; throws with the entry, its role and the reason (never the token) on a malformed one. */
export function parseTokens(spec: string): TokenGrant[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry, i) => {
      const m = /^([a-z]+)(?:@([^:]+))?:(.+)$/.exec(entry);
      if (!m) throw new Error(`CITYOPS_TOKENS entry ${i + 1} is not role[@space]:token`);
      const [, role, space, token] = m;
      if (!ROLES.includes(role as Role))
        throw new Error(`CITYOPS_TOKENS entry ${i + 1}: unknown role "${role}" (one of ${ROLES.join(', ')})`);
      if (space !== undefined && !spaceName.safeParse(space).success)
        throw new Error(`CITYOPS_TOKENS entry ${i + 1}: invalid space "${space}"`);
      if ((token ?? '').length < MIN_TOKEN_LENGTH)
        throw new Error(
          `CITYOPS_TOKENS entry ${i + 1} (${role}${space ? `@${space}` : ''}): the token is shorter than ${MIN_TOKEN_LENGTH} characters; use a long random one, e.g. openssl rand -base64 24`,
        );
      return { role: role as Role, space: space ?? null, token: token ?? '' };
    });
}

/** Fresh random tokens for a first start without CITYOPS_TOKENS: admin, supervisor, viewer, and a producer for `demo`. */
export function generateTokens(): TokenGrant[] {
  const t = () => randomBytes(TOKEN_BYTES).toString('base64url');
  return [
    { role: 'admin', space: null, token: t() },
    { role: 'supervisor', space: null, token: t() },
    { role: 'viewer', space: null, token: t() },
    { role: 'producer', space: 'demo', token: t() },
  ];
}

/** What a caller wants to do. */
export type Action = 'view' | 'produce' | 'supervise' | 'administer' | 'duty';

const CAN: Readonly<Record<Role, readonly Action[]>> = {
  viewer: ['view'],
  supervisor: ['view', 'supervise'],
  producer: ['produce'],
  admin: ['view', 'supervise', 'produce', 'administer', 'duty'],
  /** The duty desk (值班员, 值班长): the wall, and the desk's items in its space. */
  duty: ['view', 'duty'],
};

/** The outcome of an authorisation check. */
export type AuthCheck =
  | { readonly ok: true; readonly grant: TokenGrant }
  | { readonly ok: false; readonly status: 401 | 403; readonly message: string };

/** Looks tokens up and checks role and space. */
export class TokenRegistry {
  private readonly byToken: Map<string, TokenGrant>;
  private readonly list: TokenGrant[];
  constructor(grants: readonly TokenGrant[]) {
    this.list = [...grants];
    this.byToken = new Map(grants.map((g) => [g.token, g]));
  }

  /** Every grant, configured and minted. */
  get grants(): readonly TokenGrant[] {
    return this.list;
  }

  /** Mints a fresh random token for a role scoped to one space (a drill's producer); kept in memory only. */
  mint(role: Role, space: string): TokenGrant {
    const grant: TokenGrant = { role, space, token: `${role}-${randomBytes(TOKEN_BYTES).toString('base64url')}` };
    this.list.push(grant);
    this.byToken.set(grant.token, grant);
    return grant;
  }

  /** Whether `token` is a known token (of any role). */
  knows(token: string): boolean {
    return this.byToken.has(token);
  }

  /** Forgets a minted (or configured) token. */
  revoke(token: string): void {
    this.byToken.delete(token);
    const i = this.list.findIndex((g) => g.token === token);
    if (i >= 0) this.list.splice(i, 1);
  }

  /** Checks that `token` may do `action` in `space`. */
  check(token: string | undefined, action: Action, space: string): AuthCheck {
    if (!token) return { ok: false, status: 401, message: 'no token: send Authorization: Bearer <token>' };
    const grant = this.byToken.get(token);
    if (!grant) return { ok: false, status: 401, message: 'unknown token' };
    if (!CAN[grant.role].includes(action))
      return { ok: false, status: 403, message: `a ${grant.role} token may not ${action}` };
    if (grant.space !== null && grant.space !== space)
      return { ok: false, status: 403, message: `this token is for space ${grant.space}, not ${space}` };
    return { ok: true, grant };
  }

  /** The first token of a role (for printing the wall's URL). */
  first(role: Role, space?: string): TokenGrant | undefined {
    return this.grants.find((g) => g.role === role && (space === undefined || g.space === space || g.space === null));
  }
}

/** The bearer token of an Authorization header, if any. */
export function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}
