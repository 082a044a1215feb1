/**
 * Protections on every answer and every caller: security headers, Secure cookies behind a TLS proxy, the Origin check
 * on the API and on sockets, spaces listed by a token's scope, /metrics and /readyz exposure, drill deletion only of
 * drills' spaces, export cells neutralised.
 */
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenGrant } from '../../../server/auth/tokens';
import { TokenRegistry } from '../../../server/auth/tokens';
import { DEFAULT_SECURITY, type SecuritySettings } from '../../../server/security/settings';
import { refusalCodeOf } from '@shared/contract';
import { HOUR_MS, MINUTE_MS } from '@shared/time';
import { T0, caseEvent, received } from '../../fixtures/events';
import { TOKENS, post, removeData, startTestServer, type TestServer } from '../../../harness/server';

const SCOPED: TokenGrant[] = [...TOKENS, { role: 'viewer', space: 'demo', token: 'viewer-demo' }];

async function serverWith(security: Partial<SecuritySettings>): Promise<TestServer> {
  return startTestServer(T0 + HOUR_MS, undefined, undefined, {
    security: { ...DEFAULT_SECURITY, ...security },
    tokens: new TokenRegistry(SCOPED),
  });
}

describe('when any answer goes out', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await serverWith({});
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('then it carries a CSP without inline script, no framing, nosniff and no Referer', async () => {
    for (const p of ['/healthz', '/api/v1/spaces', '/open311/v2/services.json']) {
      const res = await fetch(`${server.url}${p}`);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, p).toContain("script-src 'self'");
      expect(csp, p).not.toMatch(/script-src[^;]*'unsafe-inline'/);
      expect(csp, p).toContain("frame-ancestors 'none'");
      expect(csp, p).toContain("object-src 'none'");
      expect(res.headers.get('x-frame-options'), p).toBe('DENY');
      expect(res.headers.get('x-content-type-options'), p).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), p).toBe('no-referrer');
    }
  });

  it('then a space-scoped viewer token lists its own space only', async () => {
    expect((await post(server.url, { space: 'demo', events: [received('d-1')] }, 'admin-token')).status).toBe(200);
    expect((await post(server.url, { space: 'live', events: [received('l-1')] })).status).toBe(200);
    const scoped = (await (
      await fetch(`${server.url}/api/v1/spaces`, { headers: { authorization: 'Bearer viewer-demo' } })
    ).json()) as { space: string }[];
    expect(scoped.map((s) => s.space)).toEqual(['demo']);
    const all = (await (
      await fetch(`${server.url}/api/v1/spaces`, { headers: { authorization: 'Bearer viewer-token' } })
    ).json()) as { space: string }[];
    expect(all.map((s) => s.space).sort()).toEqual(['demo', 'live']);
  });

  it('then deleting a drill-named space that no drill created is refused, and its log stays', async () => {
    expect(
      (await post(server.url, { space: 'drill-a', events: [received('a-1'), received('a-2')] }, 'producer-drill-a'))
        .json.accepted,
    ).toBe(2);
    const res = await fetch(`${server.url}/api/v1/drills/drill-a?deleteData=true`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer admin-token' },
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
      'only a space a drill created',
    );
    expect(server.app.spaces.find('drill-a')?.projection.eventsApplied).toBe(2);
    const exported = await fetch(`${server.url}/api/v1/spaces/drill-a/export.jsonl`, {
      headers: { authorization: 'Bearer admin-token' },
    });
    expect((await exported.text()).trim().split('\n')).toHaveLength(2);
  });

  it('then export cells starting with a line feed, a tab, a CR or a fullwidth ＝＋－＠ are neutralised', async () => {
    const titles = ['\n=1+1', '\t=1+1', '\r=1+1', '＝HYPERLINK("http://evil.example")', '＋1＋2', '－3', '＠SUM(A1)'];
    const t = (m: number) => T0 + m * MINUTE_MS;
    const events = titles.flatMap((title, i) => [
      received(`fw-${i}`, { title, street: 'luonan' }),
      caseEvent('case.dispatched', `fw-${i}`, t(1), { unit: 'cgzf' }),
    ]);
    expect((await post(server.url, { space: 'live', events })).json.accepted).toBe(events.length);
    const csv = await (
      await fetch(`${server.url}/api/v1/exports/cases.csv?space=live&status=open`, {
        headers: { authorization: 'Bearer supervisor-token' },
      })
    ).text();
    for (const title of titles) {
      const quoted = `"'${title.replaceAll('"', '""')}"`;
      const bare = `'${title}`;
      expect(csv.includes(quoted) || csv.includes(`,${bare},`), JSON.stringify(title)).toBe(true);
    }
  });
});

describe('when requests come through a TLS proxy', () => {
  let trusted: TestServer;
  let direct: TestServer;
  beforeAll(async () => {
    trusted = await serverWith({ trustProxy: 1 });
    direct = await serverWith({});
  });
  afterAll(async () => {
    for (const s of [trusted, direct]) {
      await s.stop();
      removeData(s.dataDir);
    }
  });

  const login = (url: string) =>
    fetch(`${url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https', 'x-forwarded-for': '192.0.2.7' },
      body: JSON.stringify({ token: 'supervisor-token' }),
    });

  it('then with TRUST_PROXY the session cookie is Secure, and HSTS is sent', async () => {
    const res = await login(trusted.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/;\s*Secure/i);
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
  });

  it('then without it the forwarded scheme is not believed', async () => {
    const res = await login(direct.url);
    expect(res.headers.get('set-cookie')).not.toMatch(/;\s*Secure/i);
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });

  it('then /metrics is refused to a remote client without an admin token, and served with one', async () => {
    const remote = { 'x-forwarded-for': '192.0.2.8' };
    expect((await fetch(`${trusted.url}/metrics`, { headers: remote })).status).toBe(401);
    expect(
      (await fetch(`${trusted.url}/metrics`, { headers: { ...remote, authorization: 'Bearer viewer-token' } })).status,
    ).toBe(403);
    const ok = await fetch(`${trusted.url}/metrics`, { headers: { ...remote, authorization: 'Bearer admin-token' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('cityops_walls_connected');
    // On this machine it is served (METRICS_ACCESS=local), and /readyz is open by default.
    expect((await fetch(`${direct.url}/metrics`)).status).toBe(200);
    expect((await fetch(`${trusted.url}/readyz`, { headers: remote })).status).toBe(200);
  });
});

describe('when /readyz exposure is token', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await serverWith({ readyzAccess: 'token', metricsAccess: 'token' });
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('then even this machine needs an admin token', async () => {
    expect((await fetch(`${server.url}/readyz`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/readyz`, { headers: { authorization: 'Bearer admin-token' } })).status).toBe(
      200,
    );
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('then the same path in another case or with a trailing slash is gated the same (Express routes those too)', async () => {
    for (const p of ['/metrics/', '/METRICS', '/Metrics', '/metrics//', '/READYZ', '/readyz/']) {
      const res = await fetch(`${server.url}${p}`);
      expect(res.status, p).toBe(401);
      expect(await res.text(), p).not.toContain('cityops_');
    }
  });
});

describe('when a request or a socket comes from another origin', () => {
  let own: TestServer;
  let listed: TestServer;
  beforeAll(async () => {
    own = await serverWith({});
    listed = await serverWith({ allowedOrigins: ['https://wall.example.org'] });
  });
  afterAll(async () => {
    for (const s of [own, listed]) {
      await s.stop();
      removeData(s.dataDir);
    }
  });

  const loginFrom = (url: string, origin: string | null) =>
    fetch(`${url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) },
      body: JSON.stringify({ token: 'supervisor-token' }),
    });
  const wallFrom = (url: string, origin: string | null) =>
    new Promise<string>((resolve) => {
      const s = io(`${url}/wall`, {
        auth: { token: 'viewer-token', space: 'live' },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        ...(origin ? { extraHeaders: { origin } } : {}),
      });
      s.once('connect', () => {
        s.close();
        resolve('connected');
      });
      s.once('connect_error', (err) => {
        s.close();
        resolve(refusalCodeOf(err) ?? 'refused');
      });
    });

  it("then by default only the server's own origin passes; a caller with no Origin is judged by its token", async () => {
    expect((await loginFrom(own.url, 'http://evil.example')).status).toBe(403);
    expect((await loginFrom(own.url, own.url)).status).toBe(200);
    expect((await loginFrom(own.url, null)).status).toBe(200);
    expect(await wallFrom(own.url, 'http://evil.example')).toBe('refused');
    expect(await wallFrom(own.url, own.url)).toBe('connected');
    expect(await wallFrom(own.url, null)).toBe('connected');
  });

  it('then CITYOPS_ALLOWED_ORIGINS lists who else may', async () => {
    expect((await loginFrom(listed.url, 'https://wall.example.org')).status).toBe(200);
    expect((await loginFrom(listed.url, 'http://evil.example')).status).toBe(403);
    expect(await wallFrom(listed.url, 'https://wall.example.org')).toBe('connected');
    expect(await wallFrom(listed.url, 'http://evil.example')).toBe('refused');
    const ingest = await new Promise<string>((resolve) => {
      const s = io(`${listed.url}/ingest`, {
        auth: { token: 'producer-live' },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        extraHeaders: { origin: 'http://evil.example' },
      });
      s.once('connect', () => {
        s.close();
        resolve('connected');
      });
      s.once('connect_error', () => {
        s.close();
        resolve('refused');
      });
    });
    expect(ingest).toBe('refused');
  });
});
