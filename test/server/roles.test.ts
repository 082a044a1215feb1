/**
 * Roles over every endpoint: no credentials → 401, the wrong role → 403, each with a message saying why; the login
 * page's session cookie (httpOnly, SameSite=Strict) and CSRF protection on cookie-authenticated writes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionStore } from '../../server/auth/session';
import { MINUTE_MS } from '@shared/time';
import { caseEvent, received, T0 } from '../fixtures/events';
import { post, startTestServer, type TestServer } from '../../harness/server';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(T0 + 10 * MINUTE_MS);
  const res = await post(server.url, {
    space: 'live',
    events: [received('r-1'), caseEvent('case.dispatched', 'r-1', T0 + MINUTE_MS, { unit: 'cgzf' }), received('r-2')],
  });
  expect(res.json.accepted).toBe(3);
});

afterAll(async () => {
  await server.dispose();
});

type Who = 'none' | 'viewer' | 'supervisor' | 'admin' | 'producer';
const TOKEN: Record<Exclude<Who, 'none'>, string> = {
  viewer: 'viewer-token',
  supervisor: 'supervisor-token',
  admin: 'admin-token',
  producer: 'producer-live',
};

interface Endpoint {
  readonly name: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: () => unknown;
  readonly allowed: readonly Who[];
}

let n = 0;
const SUPERVISORS: readonly Who[] = ['supervisor', 'admin'];
const ENDPOINTS: readonly Endpoint[] = [
  { name: 'late cases', method: 'GET', path: '/api/v1/cases?space=live', allowed: SUPERVISORS },
  { name: 'one case', method: 'GET', path: '/api/v1/cases/r-1?space=live', allowed: SUPERVISORS },
  {
    name: 'remind action',
    method: 'POST',
    path: '/api/v1/cases/r-1/actions',
    body: () => ({ space: 'live', kind: 'remind', message: `催办 ${++n}` }),
    allowed: SUPERVISORS,
  },
  { name: 'directory', method: 'GET', path: '/api/v1/directory?space=live', allowed: SUPERVISORS },
  { name: 'unit scorecards', method: 'GET', path: '/api/v1/units?space=live', allowed: SUPERVISORS },
  {
    name: 'monthly report',
    method: 'GET',
    path: '/api/v1/reports/monthly?space=live&month=2026-11',
    allowed: SUPERVISORS,
  },
  { name: 'cases CSV', method: 'GET', path: '/api/v1/exports/cases.csv?space=live&status=all', allowed: SUPERVISORS },
  { name: 'cases XLSX', method: 'GET', path: '/api/v1/exports/cases.xlsx?space=live&status=all', allowed: SUPERVISORS },
  { name: 'units CSV', method: 'GET', path: '/api/v1/exports/units.csv?space=live', allowed: SUPERVISORS },
  { name: 'units XLSX', method: 'GET', path: '/api/v1/exports/units.xlsx?space=live', allowed: SUPERVISORS },
  {
    name: 'quarantine',
    method: 'GET',
    path: '/api/v1/quarantine?space=live',
    allowed: ['supervisor', 'admin', 'producer'],
  },
  { name: 'spaces', method: 'GET', path: '/api/v1/spaces', allowed: ['viewer', 'supervisor', 'admin'] },
  {
    name: 'events',
    method: 'POST',
    path: '/api/v1/events',
    body: () => ({ space: 'live', events: [received(`roles-${++n}`)] }),
    allowed: ['producer', 'admin'],
  },
];

async function call(e: Endpoint, headers: Record<string, string>): Promise<Response> {
  const init: RequestInit = {
    method: e.method,
    headers: { ...headers, ...(e.body ? { 'content-type': 'application/json' } : {}) },
  };
  if (e.body) init.body = JSON.stringify(e.body());
  return fetch(`${server.url}${e.path}`, init);
}

describe('when each role calls each endpoint with a bearer token', () => {
  const cases = ENDPOINTS.flatMap((e) =>
    (['none', 'viewer', 'supervisor', 'admin', 'producer'] as const).map((who) => [e.name, who, e] as const),
  );
  it.each(cases)('then %s as %s is allowed or refused with a clear message', async (_n, who, e) => {
    const res = await call(e, who === 'none' ? {} : { authorization: `Bearer ${TOKEN[who]}` });
    if (e.allowed.includes(who)) {
      expect(res.status, await res.clone().text()).toBeLessThan(300);
      return;
    }
    expect(res.status).toBe(who === 'none' ? 401 : 403);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(who === 'none' ? 'unauthorized' : 'forbidden');
    expect(body.error.message.length).toBeGreaterThan(10);
    if (who !== 'none') expect(body.error.message).toContain(who);
  });

  it('then a token for another space is refused with the space named', async () => {
    const res = await fetch(`${server.url}/api/v1/cases?space=drill-a`, {
      headers: { authorization: 'Bearer producer-drill-a' },
    });
    expect(res.status).toBe(403);
    const unknown = await fetch(`${server.url}/api/v1/cases?space=live`, {
      headers: { authorization: 'Bearer nobody-knows' },
    });
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toBe('unknown token');
  });

  it('then a space given twice to a page of one space is refused, not read as live', async () => {
    for (const path of ['/api/v1/directory?space=drill-a&space=live', '/api/v1/duty/items?space=drill-a&space=live']) {
      const res = await fetch(`${server.url}${path}`, {
        headers: { authorization: `Bearer ${path.includes('duty') ? 'duty-drill-a' : 'supervisor-token'}` },
      });
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
        'query space: given more than once, or not as a name; give one space',
      );
    }
  });

  it('then the change stream answers a supervisor with an event stream and a viewer with 403', async () => {
    const ctl = new AbortController();
    const ok = await fetch(`${server.url}/api/v1/cases/stream?space=live`, {
      headers: { authorization: 'Bearer supervisor-token' },
      signal: ctl.signal,
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('text/event-stream');
    ctl.abort();
    const no = await fetch(`${server.url}/api/v1/cases/stream?space=live`, {
      headers: { authorization: 'Bearer viewer-token' },
    });
    expect(no.status).toBe(403);
  });
});

async function login(
  token: string,
  name?: string,
): Promise<{ status: number; cookie: string | null; setCookie: string; csrf: string; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, ...(name ? { name } : {}) }),
  });
  const setCookie = res.headers.get('set-cookie') ?? '';
  const body = (await res.json()) as Record<string, unknown>;
  return {
    status: res.status,
    cookie: setCookie ? setCookie.split(';')[0]! : null,
    setCookie,
    csrf: String(body.csrfToken ?? ''),
    body,
  };
}

describe('when a supervisor logs in on the login page', () => {
  it('then the token becomes an httpOnly SameSite=Strict cookie and the pages work with it', async () => {
    const s = await login('supervisor-token', '李督办');
    expect(s.status).toBe(200);
    expect(s.setCookie).toMatch(/HttpOnly/i);
    expect(s.setCookie).toMatch(/SameSite=Strict/i);
    expect(s.setCookie).not.toContain('supervisor-token');
    expect(s.body).toMatchObject({ role: 'supervisor', name: '李督办' });
    const me = await fetch(`${server.url}/api/v1/session`, { headers: { cookie: s.cookie! } });
    expect(await me.json()).toMatchObject({ role: 'supervisor', csrfToken: s.csrf });
    expect(
      (await fetch(`${server.url}/api/v1/cases?space=live&status=all`, { headers: { cookie: s.cookie! } })).status,
    ).toBe(200);
  });

  it('then a cookie write without the CSRF token is refused, with it accepted and signed with the name', async () => {
    const s = await login('supervisor-token', '李督办');
    const act = (headers: Record<string, string>) =>
      fetch(`${server.url}/api/v1/cases/r-1/actions`, {
        method: 'POST',
        headers: { cookie: s.cookie!, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ space: 'live', kind: 'supervise', message: '请尽快处理' }),
      });
    const no = await act({});
    expect(no.status).toBe(403);
    expect(((await no.json()) as { error: { message: string } }).error.message).toContain('x-csrf-token');
    expect((await act({ 'x-csrf-token': 'forged' })).status).toBe(403);
    const yes = await act({ 'x-csrf-token': s.csrf });
    expect(yes.status).toBe(201);
    expect(((await yes.json()) as { event: { actor: string } }).event.actor).toBe('李督办');
  });

  it('then a viewer session sees the wall but not the cases, a producer and a wrong token cannot log in', async () => {
    const v = await login('viewer-token');
    expect(v.status).toBe(200);
    const res = await fetch(`${server.url}/api/v1/cases?space=live`, { headers: { cookie: v.cookie! } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('viewer');
    expect((await login('producer-live')).status).toBe(403);
    expect((await login('wrong-token')).status).toBe(401);
  });

  it('then logging out needs the CSRF token and ends the session', async () => {
    const s = await login('admin-token');
    expect(
      (await fetch(`${server.url}/api/v1/session`, { method: 'DELETE', headers: { cookie: s.cookie! } })).status,
    ).toBe(403);
    expect(
      (
        await fetch(`${server.url}/api/v1/session`, {
          method: 'DELETE',
          headers: { cookie: s.cookie!, 'x-csrf-token': s.csrf },
        })
      ).status,
    ).toBe(204);
    const after = await fetch(`${server.url}/api/v1/cases?space=live`, { headers: { cookie: s.cookie! } });
    expect(after.status).toBe(401);
    expect(((await after.json()) as { error: { message: string } }).error.message).toContain('expired');
  });
});

describe('when a session is left idle', () => {
  it('then it expires after its time to live, and activity keeps it alive', () => {
    const clock = { t: 0 };
    const store = new SessionStore({ ttlMs: 1_000, maxPerToken: 2, now: () => clock.t });
    const grant = { role: 'supervisor' as const, space: null, token: 'supervisor-token' };
    const a = store.create('supervisor-token', grant, null);
    clock.t = 900;
    expect(store.get(a.id)).toBeDefined();
    clock.t = 1_800;
    expect(store.get(a.id)).toBeDefined();
    clock.t = 2_801;
    expect(store.get(a.id)).toBeUndefined();
    const b = store.create('supervisor-token', grant, null);
    store.create('supervisor-token', grant, null);
    store.create('supervisor-token', grant, null);
    expect(store.get(b.id), 'the oldest of more than maxPerToken sessions of one token is dropped').toBeUndefined();
  });
});
