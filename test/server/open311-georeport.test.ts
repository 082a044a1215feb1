/** Open311 GeoReport v2 conformance: every endpoint in JSON and XML, the spec's element names, errors and filters. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig } from '@shared/config';
import { MINUTE_MS } from '@shared/time';
import { caseEvent, T0 } from '../fixtures/events';
import { startTestServer, type TestServer } from '../../harness/server';
import { openSqliteStore } from '../../server/store/sqlite';
import { StoreUnavailableError, type EventStore } from '../../server/store/types';
import { memoryLog } from '../fixtures/logs';
import { names, parseXml, textOf } from '../fixtures/xml';

type Req = Record<string, unknown>;
/** GeoReport v2's fields of a service request, in the spec's order. */
const REQUEST_FIELDS = [
  'service_request_id',
  'status',
  'status_notes',
  'service_name',
  'service_code',
  'description',
  'agency_responsible',
  'service_notice',
  'requested_datetime',
  'updated_datetime',
  'expected_datetime',
  'address',
  'address_id',
  'zipcode',
  'lat',
  'long',
  'media_url',
];
const SERVICE_FIELDS = ['service_code', 'service_name', 'description', 'metadata', 'type', 'keywords', 'group'];
const JURISDICTION = 'hongshan.wuhan.gov.cn';

let server: TestServer;
let url = '';
let first = '';
let second = '';
const key = 'api_key=viewer-token';

async function post(format: 'json' | 'xml', fields: Record<string, string>): Promise<Response> {
  return fetch(`${url}/requests.${format}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ api_key: 'producer-live', ...fields }).toString(),
  });
}

beforeAll(async () => {
  server = await startTestServer(T0, undefined, undefined, {
    config: mergeConfig(DEFAULT_CONFIG, { open311Jurisdiction: JURISDICTION }),
  });
  url = `${server.url}/open311/v2`;
  const a = await post('json', {
    service_code: '市容环卫',
    address_string: '关山街道光谷大道88号 <b>3栋</b>',
    description: '垃圾未清运 & 气味大',
    media_url: 'https://photos.example.org/a.jpg',
    jurisdiction_id: JURISDICTION,
  });
  expect(a.status).toBe(201);
  first = String(((await a.json()) as Req[])[0]?.service_request_id);
  server.now.value = T0 + 30 * MINUTE_MS;
  const b = await post('xml', { service_code: '噪音扰民', lat: '30.5', long: '114.3', description: '夜间施工' });
  expect(b.status).toBe(201);
  const created = parseXml(await b.text());
  expect([created.name, ...names(created)]).toEqual(['service_requests', 'request']);
  expect(names(created.children[0])).toEqual(['service_request_id', 'service_notice', 'account_id']);
  second = textOf(created.children[0], 'service_request_id') ?? '';
  expect(second).toMatch(/^OP/);
  const t = T0 + 40 * MINUTE_MS;
  // The unit's steps arrive as they happen (live refuses events dated past the server's clock and its skew window).
  server.now.value = t + 3;
  const steps = await server.app.ingest.ingest('live', [
    caseEvent('case.dispatched', first, t, { unit: 'cgzf' }),
    caseEvent('case.signed', first, t + 1),
    caseEvent('case.replied', first, t + 2, { reply: '已清运完毕' }),
    caseEvent('case.closed', first, t + 3),
  ]);
  expect(steps).toMatchObject({ accepted: 4, rejectedCount: 0 });
});

afterAll(async () => {
  await server?.dispose();
});

describe('when a GeoReport v2 client reads the endpoints in both formats', () => {
  it('then discovery names the endpoint, its specification and both formats', async () => {
    const j = (await (await fetch(`${url}/discovery.json`)).json()) as { endpoints: Req[] };
    expect(j.endpoints[0]).toMatchObject({
      specification: 'http://wiki.open311.org/GeoReport_v2',
      url,
      type: 'production',
      formats: ['application/json', 'text/xml'],
    });
    const x = parseXml(await (await fetch(`${url}/discovery.xml`)).text());
    expect(x.name).toBe('discovery');
    expect(names(x)).toEqual(['changeset', 'contact', 'key_service', 'endpoints']);
    const endpoint = x.children[3]?.children[0];
    expect(endpoint?.name).toBe('endpoint');
    expect(textOf(endpoint, 'url')).toBe(url);
    expect(names(endpoint?.children.find((c) => c.name === 'formats'))).toEqual(['format', 'format']);
  });

  it("then services list every category with the spec's fields, and services/{code} answers its definition", async () => {
    const x = parseXml(await (await fetch(`${url}/services.xml`)).text());
    expect(x.name).toBe('services');
    expect(x.children).toHaveLength(DEFAULT_CONFIG.categories.length);
    expect(names(x.children[0])).toEqual(SERVICE_FIELDS);
    expect(x.children.map((s) => textOf(s, 'service_code'))).toEqual(DEFAULT_CONFIG.categories);
    const def = await fetch(`${url}/services/${encodeURIComponent('市容环卫')}.json`);
    expect(await def.json()).toEqual({ service_code: '市容环卫', attributes: [] });
    const defXml = parseXml(await (await fetch(`${url}/services/${encodeURIComponent('市容环卫')}.xml`)).text());
    expect([defXml.name, ...names(defXml)]).toEqual(['service_definition', 'service_code', 'attributes']);
    const missing = await fetch(`${url}/services/potholes.xml`);
    expect(missing.status).toBe(404);
    const err = parseXml(await missing.text());
    expect([err.name, ...names(err), ...names(err.children[0])]).toEqual(['errors', 'error', 'code', 'description']);
    expect(textOf(err.children[0], 'code')).toBe('404');
  });

  it("then a request keeps the citizen's address, description and media, the reply as status notes, and the same fields in XML", async () => {
    const [j] = (await (await fetch(`${url}/requests/${first}.json?${key}`)).json()) as Req[];
    expect(Object.keys(j ?? {})).toEqual(REQUEST_FIELDS);
    expect(j).toMatchObject({
      status: 'closed',
      status_notes: '已清运完毕',
      address: '关山街道光谷大道88号 <b>3栋</b>',
      address_id: 'guanshan',
      description: '垃圾未清运 & 气味大',
      media_url: 'https://photos.example.org/a.jpg',
      agency_responsible: '区城管执法局',
      requested_datetime: '2026-11-23T09:00:00+08:00',
      updated_datetime: '2026-11-23T09:40:00+08:00',
    });
    const xml = await (await fetch(`${url}/requests/${first}.xml?${key}`)).text();
    // Citizens' text is escaped: the <b> is text, not markup.
    expect(xml).toContain('<address>关山街道光谷大道88号 &lt;b&gt;3栋&lt;/b&gt;</address>');
    const x = parseXml(xml);
    expect([x.name, ...names(x)]).toEqual(['service_requests', 'request']);
    expect(names(x.children[0])).toEqual(REQUEST_FIELDS);
    for (const f of [
      'service_request_id',
      'status',
      'status_notes',
      'address',
      'address_id',
      'description',
      'media_url',
      'updated_datetime',
    ])
      expect(textOf(x.children[0], f), f).toBe(String(j?.[f]));
    expect(textOf(x.children[0], 'expected_datetime')).toBe('');
  });

  it('then the list filters by status, service and dates, newest first, and service_request_id overrides every other filter', async () => {
    const ids = async (q: string) =>
      ((await (await fetch(`${url}/requests.json?${key}${q}`)).json()) as Req[]).map((r) => r.service_request_id);
    expect(await ids('')).toEqual([second, first]);
    expect(await ids('&status=open')).toEqual([second]);
    expect(await ids('&status=open,closed')).toEqual([second, first]);
    expect(await ids(`&service_code=${encodeURIComponent('市容环卫')}`)).toEqual([first]);
    expect(await ids('&start_date=2026-11-23T09:10:00%2B08:00')).toEqual([second]);
    // A time without an offset is the centre's (Asia/Shanghai), whatever zone the server runs in.
    expect(await ids('&start_date=2026-11-23T09:10:00')).toEqual([second]);
    expect(await ids('&end_date=2026-11-23T09:10')).toEqual([first]);
    expect(
      await ids(
        `&service_request_id=${first},NOPE&status=open&service_code=${encodeURIComponent('噪音扰民')}&start_date=2027-01-01T00:00:00Z`,
      ),
    ).toEqual([first]);
    const x = parseXml(await (await fetch(`${url}/requests.xml?${key}&status=closed`)).text());
    expect(x.children.map((r) => textOf(r, 'service_request_id'))).toEqual([first]);
  });
});

describe('when a client sends something wrong', () => {
  const error = async (res: Response, status: number, pattern: RegExp) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as Req[];
    expect(body).toEqual([{ code: status, description: expect.stringMatching(pattern) as unknown }]);
  };

  it("then bad parameters are refused with 400 in the spec's shape instead of ignored", async () => {
    await error(
      await fetch(`${url}/requests.json?${key}&status=bogus`),
      400,
      /^status: "bogus" is not a status; open, closed/,
    );
    await error(
      await fetch(`${url}/requests.json?${key}&start_date=yesterday`),
      400,
      /^start_date: "yesterday" is not an ISO 8601 date-time/,
    );
    await error(
      await fetch(`${url}/requests.json?${key}&start_date=2026-02-30T00:00:00Z`),
      400,
      /^start_date: "2026-02-30T00:00:00Z" is not an ISO 8601 date-time/,
    );
    await error(
      await fetch(`${url}/requests.json?${key}&start_date=2026-11-24&end_date=2026-11-23`),
      400,
      /^start_date: after end_date/,
    );
    await error(
      await fetch(`${url}/requests.json?${key}&service_code=potholes`),
      400,
      /^service_code: "potholes" is not a service/,
    );
    await error(
      await fetch(`${url}/requests.json?${key}&page_size=5`),
      400,
      /^page_size: not a parameter of GET requests/,
    );
  });

  it('then a malformed JSON body and a bad media_url get GeoReport errors', async () => {
    await error(
      await fetch(`${url}/requests.json`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer producer-live' },
        body: '{"service_code": "市容环卫",',
      }),
      400,
      /^request: the body is not valid JSON/,
    );
    await error(
      await post('json', { service_code: '市容环卫', address_string: '关山', media_url: 'javascript:alert(1)' }),
      400,
      /^media_url: must be an http\(s\) URL/,
    );
    const xml = await fetch(`${url}/requests.xml`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer producer-live' },
      body: '{',
    });
    expect(xml.status).toBe(400);
    expect(xml.headers.get('content-type')).toMatch(/text\/xml/);
    expect(textOf(parseXml(await xml.text()).children[0], 'code')).toBe('400');
  });

  it("then unknown paths under /open311 answer 404 in the spec's shape, not the wall's page", async () => {
    await error(
      await fetch(`${url}/requests`),
      404,
      /not a GeoReport v2 resource; see GET \/open311\/v2\/discovery.json/,
    );
    await error(await fetch(`${server.url}/open311/v3/services.json`), 404, /not a GeoReport v2 resource/);
    await error(await fetch(`${server.url}/open311`), 404, /not a GeoReport v2 resource/);
    await error(await fetch(`${url}/requests/NOPE.json?${key}`), 404, /^service_request_id: no service request "NOPE"/);
    const xml = await fetch(`${url}/tokens.xml`);
    expect(xml.status).toBe(404);
    expect(parseXml(await xml.text()).name).toBe('errors');
  });

  it('then jurisdiction_id is checked against the configured one', async () => {
    expect((await fetch(`${url}/services.json?jurisdiction_id=${JURISDICTION}`)).status).toBe(200);
    await error(
      await fetch(`${url}/services.json?jurisdiction_id=chicago.gov`),
      404,
      /^jurisdiction_id: "chicago.gov" is not served here; this endpoint serves "hongshan.wuhan.gov.cn"/,
    );
    await error(await fetch(`${url}/requests.json?${key}&jurisdiction_id=chicago.gov`), 404, /jurisdiction_id/);
    await error(
      await post('json', { service_code: '市容环卫', address_string: '关山', jurisdiction_id: 'chicago.gov' }),
      404,
      /jurisdiction_id/,
    );
  });
});

describe('when the event store does not answer an Open311 POST', () => {
  it("then the client gets 503 with Retry-After in the spec's shape, in JSON and in XML, and nothing is kept", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cityops-'));
    const real = openSqliteStore({ dataDir });
    const store: EventStore = {
      ...real,
      write: () => Promise.reject(new StoreUnavailableError('the database does not answer', { retryAfterS: 7 })),
    };
    const server = await startTestServer(T0, dataDir, undefined, { store, logger: memoryLog().log });
    try {
      const form = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          api_key: 'producer-live',
          service_code: '市容环卫',
          description: '垃圾',
          address_string: '关山街道',
        }).toString(),
      };
      const json = await fetch(`${server.url}/open311/v2/requests.json`, form);
      expect(json.status).toBe(503);
      expect(json.headers.get('retry-after')).toBe('7');
      expect(await json.json()).toEqual([
        {
          code: 503,
          description: 'the database does not answer; nothing of this request was kept: send it again after 7 s',
        },
      ]);
      const xml = await fetch(`${server.url}/open311/v2/requests.xml`, form);
      expect(xml.status).toBe(503);
      expect(xml.headers.get('content-type')).toMatch(/xml/);
      expect(await xml.text()).toContain('<code>503</code>');
      expect(server.app.spaces.get('live').projection.cases.size).toBe(0);
    } finally {
      await server.dispose();
    }
  });
});
