/**
 * Two citizens' requests that draw the same random case id are two cases: the second draws again instead of being
 * answered 400 as a duplicate (and lost).
 */
import type * as Crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { T0 } from '../fixtures/events';
import { startTestServer, type TestServer } from '../../harness/server';

/** Bytes the next draws of a case id get, in order (then real random ones). */
const forced = vi.hoisted(() => ({ draws: [] as Buffer[] }));

vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof Crypto>();
  const randomBytes = ((size: number, ...rest: unknown[]) =>
    size === 6 && forced.draws.length > 0 && rest.length === 0
      ? forced.draws.shift()!
      : (real.randomBytes as (...a: unknown[]) => Buffer)(size, ...rest)) as typeof real.randomBytes;
  return { ...real, default: { ...real, randomBytes }, randomBytes };
});

function request(description: string): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      api_key: 'producer-live',
      service_code: '市容环卫',
      address_string: '关山街道',
      description,
    }).toString(),
  };
}

describe('when two Open311 requests draw the same case id', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(T0);
  });

  afterAll(async () => {
    await server?.dispose();
  });

  it('then both are kept, the second under a fresh id', async () => {
    const same = Buffer.from('abcdef012345', 'hex');
    forced.draws.push(same, same);
    const first = await fetch(`${server.url}/open311/v2/requests.json`, request('垃圾三天未清运'));
    const second = await fetch(`${server.url}/open311/v2/requests.json`, request('路灯不亮'));
    expect([first.status, second.status]).toEqual([201, 201]);
    const idOf = async (r: Response) => ((await r.json()) as { service_request_id: string }[])[0]!.service_request_id;
    const [a, b] = [await idOf(first), await idOf(second)];
    expect(a).toBe('OP20261123ABCDEF012345');
    expect(b).toMatch(/^OP20261123[0-9A-F]{12}$/);
    expect(b).not.toBe(a);
    const cases = server.app.spaces.get('live').projection.cases;
    expect(cases.get(a)?.title).toBe('垃圾三天未清运');
    expect(cases.get(b)?.title).toBe('路灯不亮');
  });

  it('then a first sentence whose 60th character is half of an emoji gives a title cut before the emoji, not a refusal', async () => {
    const description = `${'路'.repeat(59)}😀灯不亮`;
    const res = await fetch(`${server.url}/open311/v2/requests.json`, request(description));
    expect(res.status).toBe(201);
    const [created] = (await res.json()) as { service_request_id: string }[];
    const c = server.app.spaces.get('live').projection.cases.get(created!.service_request_id);
    expect(c?.title).toBe('路'.repeat(59));
  });

  it('then a request that draws only used ids gives up with a 500 and keeps nothing', async () => {
    const used = Buffer.from('abcdef012345', 'hex');
    forced.draws.push(used, used, used);
    const before = server.app.spaces.get('live').projection.cases.size;
    const res = await fetch(`${server.url}/open311/v2/requests.json`, request('噪音扰民'));
    expect(res.status).toBe(500);
    expect(JSON.stringify(await res.json())).toContain('could not draw a case id');
    expect(server.app.spaces.get('live').projection.cases.size).toBe(before);
  });
});
