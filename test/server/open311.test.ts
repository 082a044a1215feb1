import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '@shared/config';
import { HOUR_MS, MINUTE_MS } from '@shared/time';
import { caseEvent, T0 } from '../fixtures/events';
import { connectWall, startTestServer, type TestServer, type WallSocket } from '../../harness/server';

type Req = Record<string, unknown>;

async function get(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

function form(fields: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  };
}

describe('when an Open311 client lists services and posts a request', () => {
  let server: TestServer;
  let walls: WallSocket[] = [];
  let id = '';

  beforeAll(async () => {
    server = await startTestServer(T0);
    walls = await Promise.all([connectWall(server.url, 'live'), connectWall(server.url, 'live')]);
  });

  afterAll(async () => {
    for (const w of walls) w.close();
    await server?.dispose();
  });

  it('then services.json lists the configured categories', async () => {
    const { status, body } = await get(`${server.url}/open311/v2/services.json`);
    expect(status).toBe(200);
    const list = body as Req[];
    expect(list.map((s) => s.service_code)).toEqual(DEFAULT_CONFIG.categories);
    expect(list[0]).toMatchObject({ service_name: '市容环卫', metadata: false, type: 'realtime' });
  });

  it('then a POSTed request becomes a case in the configured space, seen by the walls', async () => {
    const seen = new Promise<number>((resolve) =>
      walls[1]?.on('delta', (d) => {
        const p = d.panels.caseFlow;
        if (p && 'o' in p && typeof p.o.received === 'number') resolve(p.o.received);
      }),
    );
    const res = await fetch(
      `${server.url}/open311/v2/requests.json`,
      form({
        api_key: 'producer-live',
        service_code: '市容环卫',
        lat: '30.52',
        long: '114.40',
        address_string: '关山街道光谷大道88号',
        description: '小区门口垃圾三天未清运。气味很大',
        first_name: '张',
      }),
    );
    expect(res.status).toBe(201);
    const [created] = (await res.json()) as Req[];
    id = String(created?.service_request_id);
    expect(id).toMatch(/^OP20261123[0-9A-F]{12}$/);
    expect(await seen).toBe(1);
    const c = server.app.spaces.get('live').projection.cases.get(id);
    expect(c).toMatchObject({
      channel: 'message_board',
      category: '市容环卫',
      street: 'guanshan',
      title: '小区门口垃圾三天未清运',
      lat: 30.52,
      lng: 114.4,
    });
  });

  it('then GET requests/{id}.json answers it open, then with the agency and the deadline once dispatched, then closed', async () => {
    const one = await get(`${server.url}/open311/v2/requests/${id}.json?api_key=viewer-token`);
    expect(one.status).toBe(200);
    expect((one.body as Req[])[0]).toMatchObject({
      service_request_id: id,
      status: 'open',
      service_code: '市容环卫',
      address: '关山街道光谷大道88号',
      address_id: 'guanshan',
      description: '小区门口垃圾三天未清运。气味很大',
      agency_responsible: null,
      expected_datetime: null,
      requested_datetime: '2026-11-23T09:00:00+08:00',
    });
    const t = T0 + 10 * MINUTE_MS;
    // Live accepts events up to the allowed skew past the server's clock: the clock has reached the dispatch.
    server.now.value = t;
    await server.app.ingest.ingest('live', [caseEvent('case.dispatched', id, t, { unit: 'cgzf' })]);
    const dispatched = (await get(`${server.url}/open311/v2/requests/${id}.json?api_key=viewer-token`)).body as Req[];
    expect(dispatched[0]).toMatchObject({ status: 'open', agency_responsible: '区城管执法局', service_notice: '派单' });
    const deadline = server.app.spaces.get('live').projection.cases.get(id)?.handle?.deadline ?? 0;
    expect(dispatched[0]?.expected_datetime).toBe(
      new Date(deadline + 8 * HOUR_MS).toISOString().slice(0, 19) + '+08:00',
    );
    await server.app.ingest.ingest('live', [
      caseEvent('case.signed', id, t + 1),
      caseEvent('case.replied', id, t + 2),
      caseEvent('case.closed', id, t + 3),
    ]);
    const closed = (await get(`${server.url}/open311/v2/requests/${id}.json?api_key=viewer-token`)).body as Req[];
    expect(closed[0]).toMatchObject({ status: 'closed', expected_datetime: null });
  });

  it('then requests.json filters by status, service and dates', async () => {
    const base = `${server.url}/open311/v2/requests.json?api_key=viewer-token`;
    const closed = await get(`${base}&status=closed`);
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    expect((closed.body as Req[]).map((r) => r.service_request_id)).toEqual([id]);
    expect((await get(`${base}&status=open`)).body).toEqual([]);
    expect((await get(`${base}&service_code=噪音扰民`)).body).toEqual([]);
    expect(
      ((await get(`${base}&start_date=2026-11-23T00:00:00%2B08:00&end_date=2026-11-24T00:00:00%2B08:00`)).body as Req[])
        .length,
    ).toBe(1);
    expect(
      (await get(`${base}&start_date=2026-11-24T00:00:00%2B08:00&end_date=2026-11-25T00:00:00%2B08:00`)).body,
    ).toEqual([]);
  });

  it('then errors come in the GeoReport shape: no key 401, no location 400, unknown service 404, unknown request 404', async () => {
    expect((await get(`${server.url}/open311/v2/requests.json`)).status).toBe(401);
    const noLoc = await fetch(
      `${server.url}/open311/v2/requests.json`,
      form({ api_key: 'producer-live', service_code: '市容环卫', description: 'x' }),
    );
    expect(noLoc.status).toBe(400);
    expect(((await noLoc.json()) as Req[])[0]).toMatchObject({
      code: 400,
      description: expect.stringMatching(/location is required/) as unknown,
    });
    const unknown = await fetch(
      `${server.url}/open311/v2/requests.json`,
      form({ api_key: 'producer-live', service_code: 'potholes', address_string: '关山街道' }),
    );
    expect(unknown.status).toBe(404);
    const viewer = await fetch(
      `${server.url}/open311/v2/requests.json`,
      form({ api_key: 'viewer-token', service_code: '市容环卫', address_string: '关山街道' }),
    );
    expect(viewer.status).toBe(403);
    const drillProducer = await fetch(
      `${server.url}/open311/v2/requests.json`,
      form({ api_key: 'producer-drill-a', service_code: '市容环卫', address_string: '关山街道' }),
    );
    expect(drillProducer.status).toBe(403);
    expect((await get(`${server.url}/open311/v2/requests/NOPE.json?api_key=viewer-token`)).status).toBe(404);
  });

  it('then a JSON body is accepted too', async () => {
    const res = await fetch(`${server.url}/open311/v2/requests.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer producer-live' },
      body: JSON.stringify({ service_code: '市政设施', lat: 30.5, long: 114.3, description: '路灯不亮' }),
    });
    expect(res.status).toBe(201);
    const [created] = (await res.json()) as Req[];
    expect(server.app.spaces.get('live').projection.cases.get(String(created?.service_request_id))?.street).toBe(
      'unknown',
    );
  });
});
