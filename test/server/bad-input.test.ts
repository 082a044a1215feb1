import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import {
  refusalCodeOf,
  type IngestClientToServer,
  type IngestResult,
  type IngestServerToClient,
  type Result,
} from '@shared/contract';
import { HOUR_MS } from '@shared/time';
import { T0, received } from '../fixtures/events';
import { connectWall, post, startTestServer, type TestServer } from '../../harness/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(T0 + HOUR_MS);
  const ok = await post(server.url, { space: 'live', events: [received('keep-1')] });
  expect(ok.json.accepted).toBe(1);
});
afterAll(async () => {
  await server.dispose();
});

async function receivedCount(): Promise<number> {
  return server.app.spaces.get('live').projection.days.values().next().value?.cases.received ?? 0;
}

describe('when the body is bad', () => {
  it('then malformed JSON is a 400 that says so', async () => {
    const r = await post(server.url, '{"space": "live", "events": [', 'producer-live', true);
    expect(r.status).toBe(400);
    expect((r.json.error as { code: string; message: string }).message).toMatch(/not valid JSON/);
  });

  it('then a body of JSON null is told what the body must be, and a body not sent as JSON is told its Content-Type', async () => {
    const nul = await post(server.url, 'null', 'producer-live', true);
    expect(nul.status).toBe(400);
    const e = nul.json.error as { message: string; errors?: { path: string; message: string }[] };
    expect(e.message).toMatch(/the body must be \{ "space": "\.\.\.", "events": \[ \.\.\. \] \}/);
    expect(e.errors?.[0]?.path).toBe('(body)');
    const plain = await fetch(`${server.url}/api/v1/events`, {
      method: 'POST',
      headers: { authorization: 'Bearer producer-live', 'content-type': 'text/plain' },
      body: JSON.stringify({ space: 'live', events: [received('plain-1')] }),
    });
    expect(plain.status).toBe(400);
    expect(((await plain.json()) as { error: { message: string } }).error.message).toBe(
      'the body must be JSON sent with Content-Type: application/json (this request\'s Content-Type is "text/plain")',
    );
    expect(await receivedCount()).toBe(1);
  });

  it('then a wrong type names the field path', async () => {
    const r = await post(server.url, {
      space: 'live',
      events: [{ ...received('bad-1'), channel: 'fax', ts: 'yesterday' }],
    });
    expect(r.status).toBe(400);
    const rejected = (r.json as unknown as IngestResult).rejected;
    expect(rejected[0]?.index).toBe(0);
    expect(rejected[0]?.eventId).toMatch(/^ev-/);
    expect(rejected[0]?.errors.map((e) => e.path).sort()).toEqual(['channel', 'ts']);
  });

  it('then an unknown event type and a missing field are named', async () => {
    const { caseId: _omit, ...noCase } = received('x') as Record<string, unknown>;
    const r = await post(server.url, {
      space: 'live',
      events: [{ type: 'case.teleported', eventId: 'z1', ts: T0 }, noCase],
    });
    const rejected = (r.json as unknown as IngestResult).rejected;
    expect(rejected.map((x) => x.index)).toEqual([0, 1]);
    expect(rejected[0]?.errors[0]?.path).toBe('type');
    expect(rejected[1]?.errors.map((e) => e.path)).toContain('caseId');
  });

  it('then a batch that is not { space, events } is a 400 naming the field', async () => {
    const r = await post(server.url, { space: 'Live!', events: 'none' });
    expect(r.status).toBe(400);
    const paths = (r.json.error as { errors: { path: string }[] }).errors.map((e) => e.path).sort();
    expect(paths).toEqual(['events', 'space']);
  });

  it('then a body over the limit is a 413', async () => {
    const big = Array.from({ length: 2000 }, (_, i) => received(`big-${i}`, { description: 'x'.repeat(200) }));
    const r = await post(server.url, { space: 'live', events: big });
    expect(r.status).toBe(413);
    expect((r.json.error as { code: string }).code).toBe('too_large');
  });

  it('then nothing already stored changed and the server is healthy', async () => {
    expect(await receivedCount()).toBe(1);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});

describe('when the token is missing or wrong', () => {
  it('then no token is 401, a viewer token is 403, and a producer of another space is 403', async () => {
    expect((await post(server.url, { space: 'live', events: [received('t1')] }, '')).status).toBe(401);
    expect((await post(server.url, { space: 'live', events: [received('t1')] }, 'nope')).status).toBe(401);
    expect((await post(server.url, { space: 'live', events: [received('t1')] }, 'viewer-token')).status).toBe(403);
    const other = await post(server.url, { space: 'live', events: [received('t1')] }, 'producer-drill-a');
    expect(other.status).toBe(403);
    expect((other.json.error as { message: string }).message).toBe('this token is for space drill-a, not live');
    expect(await receivedCount()).toBe(1);
  });

  it('then a wrong token on /wall is refused at connect with the code in err.data and a readable message', async () => {
    const unknown = await connectWall(server.url, 'live', 'wrong').then(
      () => null,
      (err: unknown) => err,
    );
    expect(refusalCodeOf(unknown)).toBe('unauthorized');
    expect((unknown as Error).message).toBe('unknown token');
    const producer = await connectWall(server.url, 'live', 'producer-live').then(
      () => null,
      (err: unknown) => err,
    );
    expect(refusalCodeOf(producer)).toBe('forbidden');
    expect((producer as Error).message).toMatch(/producer/);
  });
});

describe('when a producer sends over the /ingest namespace', () => {
  it('then the batch is acked after commit, and a batch for another space is refused', async () => {
    const socket: Socket<IngestServerToClient, IngestClientToServer> = io(`${server.url}/ingest`, {
      auth: { token: 'producer-drill-a' },
      transports: ['websocket'],
      forceNew: true,
    });
    const send = (batch: unknown) =>
      new Promise<Result<IngestResult>>((resolve) => socket.emit('events:batch', batch, resolve));
    const ok = await send({ space: 'drill-a', events: [received('drill-1')] });
    expect(ok).toMatchObject({ ok: true, data: { accepted: 1 } });
    const refused = await send({ space: 'live', events: [received('drill-2')] });
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    socket.close();
    expect(await receivedCount()).toBe(1);
  });
});

describe("when a producer's feed carries one of the centre's own acts into live", () => {
  const acts = [
    { type: 'case.exempted', eventId: 'act-1', ts: T0 + 60_000, caseId: 'keep-1', reason: '不计考核', actor: '王科长' },
    { type: 'case.supervised', eventId: 'act-2', ts: T0 + 60_000, caseId: 'keep-1', message: '督办' },
    { type: 'alert.cleared', eventId: 'act-3', ts: T0 + 60_000, alertId: 'overdue|keep-1|handle|1' },
    { type: 'item.acknowledged', eventId: 'act-4', ts: T0 + 60_000, itemId: 'case|keep-1', by: '李娜' },
  ];

  it('then each is refused naming who makes it, the rest of the batch is kept, and in a drill space all go through', async () => {
    const dispatched = { type: 'case.dispatched', eventId: 'act-0', ts: T0 + 30_000, caseId: 'keep-1', unit: 'cgzf' };
    const r = await post(server.url, { space: 'live', events: [dispatched, ...acts] });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ accepted: 1, rejectedCount: 4 });
    const rejected = r.json.rejected as { index: number; errors: { path: string; message: string }[] }[];
    expect(rejected.map((x) => [x.index, x.errors[0]?.path])).toEqual([
      [1, 'type'],
      [2, 'type'],
      [3, 'type'],
      [4, 'type'],
    ]);
    expect(rejected[0]?.errors[0]?.message).toBe(
      "case.exempted is the centre's own act in live: a supervisor makes it on the supervisors' desk (POST /api/v1/cases/:id/actions); a producer's feed cannot make it",
    );
    expect(rejected[2]?.errors[0]?.message).toContain("the server's monitor writes it");
    expect(server.app.spaces.get('live').projection.cases.get('keep-1')?.exempt).toBe(false);

    // Over the socket, the same.
    const socket: Socket<IngestServerToClient, IngestClientToServer> = io(`${server.url}/ingest`, {
      auth: { token: 'producer-live' },
      transports: ['websocket'],
      forceNew: true,
    });
    const sent = await new Promise<Result<IngestResult>>((resolve) =>
      socket.emit('events:batch', { space: 'live', events: [{ ...acts[0], eventId: 'act-5' }] }, resolve),
    );
    socket.close();
    expect(sent).toMatchObject({ ok: true, data: { accepted: 0, rejectedCount: 1 } });

    // An admin may bring them in (a log moved from an export), and a drill's feed makes them.
    const admin = await post(server.url, { space: 'live', events: [acts[0]] }, 'admin-token');
    expect(admin.json).toMatchObject({ accepted: 1, rejectedCount: 0 });
    expect(server.app.spaces.get('live').projection.cases.get('keep-1')?.exempt).toBe(true);
    const drill = await post(
      server.url,
      {
        space: 'drill-a',
        events: [received('d-act'), { ...acts[0], eventId: 'd-act-x', caseId: 'd-act', ts: T0 + 60_000 }],
      },
      'producer-drill-a',
    );
    expect(drill.json).toMatchObject({ accepted: 2, rejectedCount: 0 });
  });
});
