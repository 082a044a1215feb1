/** Sessions are capped per token: no number of logins with one token ends another token's sessions. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SECURITY } from '../../../server/security/settings';
import { SESSIONS_PER_TOKEN } from '../../../server/auth/session';
import { HOUR_MS } from '@shared/time';
import { T0 } from '../../fixtures/events';
import { loginSession, startTestServer, type PageLogin, type TestServer } from '../../../harness/server';

async function whoAmI(url: string, s: PageLogin): Promise<number> {
  return (await fetch(`${url}/api/v1/session`, { headers: { cookie: s.cookie } })).status;
}

async function logins(url: string, token: string, n: number): Promise<PageLogin[]> {
  const out: PageLogin[] = [];
  for (let i = 0; i < n; i += 50)
    out.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => loginSession(url, token)))));
  return out;
}

describe("when 500 viewer logins in a burst follow a supervisor's login", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(T0 + HOUR_MS);
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('then the supervisor is still logged in, and the flood is refused with 429 once past the logins allowed per token', async () => {
    const supervisor = await loginSession(server.url, 'supervisor-token');
    expect(supervisor.status).toBe(200);
    const flood = await logins(server.url, 'viewer-token', 500);
    const allowed = DEFAULT_SECURITY.authLimits.loginsPerToken.max;
    expect(flood.filter((l) => l.status === 200)).toHaveLength(allowed);
    expect(flood.filter((l) => l.status === 429)).toHaveLength(500 - allowed);
    expect(await whoAmI(server.url, supervisor)).toBe(200);
  }, 60_000);
});

describe('when one token logs in more times than its session cap (logins not limited)', () => {
  let server: TestServer;
  const unlimited = { max: 1_000_000, windowMs: 60_000 };
  beforeAll(async () => {
    server = await startTestServer(T0 + HOUR_MS, undefined, undefined, {
      security: { ...DEFAULT_SECURITY, authLimits: { ...DEFAULT_SECURITY.authLimits, loginsPerToken: unlimited } },
    });
  });
  afterAll(async () => {
    await server.dispose();
  });

  it("then that token's own oldest session ends, and the supervisor's and admin's sessions live on", async () => {
    const supervisor = await loginSession(server.url, 'supervisor-token');
    const admin = await loginSession(server.url, 'admin-token');
    const viewers = await logins(server.url, 'viewer-token', SESSIONS_PER_TOKEN + 5);
    expect(viewers.every((v) => v.status === 200)).toBe(true);
    expect(await whoAmI(server.url, supervisor)).toBe(200);
    expect(await whoAmI(server.url, admin)).toBe(200);
    // The first five viewer sessions made room for the last five.
    const statuses = await Promise.all(viewers.map((v) => whoAmI(server.url, v)));
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.at(-1)).toBe(200);
  }, 60_000);
});
