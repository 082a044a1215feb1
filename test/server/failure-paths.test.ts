/**
 * 7×24 failure paths on the real app: a throwing batch listener, a clock that fails inside the wall tick, a store that
 * fails one append, refusals with codes, request ids — each time the process keeps serving and says what happened.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { createApp, type App } from '../../server/app';
import { TokenRegistry } from '../../server/auth/tokens';
import { openSqliteStore } from '../../server/store/sqlite';
import type { EventStore } from '../../server/store/types';
import { DEFAULT_CONFIG } from '@shared/config';
import {
  refusalCodeOf,
  type ApiError,
  type IngestClientToServer,
  type IngestResult,
  type IngestServerToClient,
  type Result,
} from '@shared/contract';
import { HOUR_MS, MINUTE_MS } from '@shared/time';
import { T0, caseEvent, received } from '../fixtures/events';
import { memoryLog, type MemoryLog } from '../fixtures/logs';
import { TOKENS, connectWall, post, startTestServer, type TestServer } from '../../harness/server';
import { trackWall, type TrackedWall } from '../fixtures/wallClient';

type IngestSocket = Socket<IngestServerToClient, IngestClientToServer>;

/** The value of one series in `/metrics`, or null when the series is absent. */
async function metric(url: string, series: string): Promise<number | null> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

function producer(url: string, token = 'producer-live'): IngestSocket {
  return io(`${url}/ingest`, { auth: { token }, transports: ['websocket'], forceNew: true, reconnection: false });
}

function sendBatch(socket: IngestSocket, batch: unknown): Promise<Result<IngestResult>> {
  return new Promise((resolve) => socket.emit('events:batch', batch, resolve));
}

/** Resolves with the error of a refused connection (or null if it connected). */
function refusedWith(socket: {
  once(ev: 'connect' | 'connect_error', f: (err?: Error) => void): unknown;
  close(): unknown;
}): Promise<Error | null> {
  return new Promise((resolve) => {
    socket.once('connect', () => {
      socket.close();
      resolve(null);
    });
    socket.once('connect_error', (err) => {
      socket.close();
      resolve(err ?? null);
    });
  });
}

async function until(check: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('when a batch listener throws (and another rejects)', () => {
  let server: TestServer;
  let logs: MemoryLog;
  let wall: TrackedWall;
  let disposeThrowing: () => void;
  beforeAll(async () => {
    logs = memoryLog();
    server = await startTestServer(T0 + HOUR_MS, undefined, undefined, { logger: logs.log });
    disposeThrowing = server.app.ingest.onBatch(() => {
      throw new Error('listener boom');
    }, 'test-throwing');
    server.app.ingest.onBatch(async () => {
      throw new Error('listener rejected');
    }, 'test-rejecting');
    wall = await trackWall(server.url);
  });
  afterAll(async () => {
    wall?.close();
    await server?.dispose();
  });

  it('then the HTTP producer still gets 200 with accepted: 2, and the wall and the case list still get the batch', async () => {
    const res = await post(server.url, {
      space: 'live',
      events: [received('L1'), caseEvent('case.dispatched', 'L1', T0 + MINUTE_MS, { unit: 'st-guanshan' })],
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ space: 'live', accepted: 2, duplicate: 0, rejected: [], quarantined: [] });
    const v = await wall.until((x) => x.caseFlow.dispatched === 1);
    expect(v.caseFlow.received).toBe(1);
    const list = await fetch(`${server.url}/api/v1/cases?space=live&status=open`, {
      headers: { authorization: 'Bearer supervisor-token' },
    });
    expect(((await list.json()) as { total: number }).total).toBe(1);
  });

  it('then each failure is logged with its listener name and error, and counted under that name only', async () => {
    await until(
      async () => (await metric(server.url, 'cityops_listener_errors_total{listener="test-rejecting"}')) === 1,
    );
    expect(await metric(server.url, 'cityops_listener_errors_total{listener="test-throwing"}')).toBe(1);
    expect(await metric(server.url, 'cityops_listener_errors_total{listener="broadcaster"}')).toBe(0);
    expect(await metric(server.url, 'cityops_listener_errors_total{listener="case-read-model"}')).toBe(0);
    const line = logs.lines.find((l) => l.listener === 'test-throwing');
    expect(line).toMatchObject({ level: 'error', listener: 'test-throwing', err: { message: 'listener boom' } });
    expect(logs.lines.find((l) => l.listener === 'test-rejecting')).toMatchObject({
      level: 'error',
      err: { message: 'listener rejected' },
    });
  });

  it('then a socket producer gets ok: true with accepted: 1, and batches are counted per transport', async () => {
    const socket = producer(server.url);
    const ack = await sendBatch(socket, { space: 'live', events: [received('L2')] });
    socket.close();
    expect(ack).toMatchObject({ ok: true, data: { accepted: 1, duplicate: 0 } });
    await wall.until((x) => x.caseFlow.received === 2);
    expect(await metric(server.url, 'cityops_listener_errors_total{listener="test-throwing"}')).toBe(2);
    expect(await metric(server.url, 'cityops_ingest_batches_total{transport="socket"}')).toBe(1);
    expect(await metric(server.url, 'cityops_ingest_batches_total{transport="http"}')).toBe(1);
    expect(await metric(server.url, 'cityops_deltas_sent_total{space="live"}')).toBeGreaterThanOrEqual(2);
  });

  it('then once disposed, the throwing listener hears no more batches', async () => {
    disposeThrowing();
    disposeThrowing();
    expect((await post(server.url, { space: 'live', events: [received('L3')] })).json.accepted).toBe(1);
    await until(
      async () => (await metric(server.url, 'cityops_listener_errors_total{listener="test-rejecting"}')) === 3,
    );
    expect(await metric(server.url, 'cityops_listener_errors_total{listener="test-throwing"}')).toBe(2);
  });
});

describe('when the clock throws once inside the wall tick', () => {
  let server: TestServer;
  let logs: MemoryLog;
  let wall: TrackedWall;
  let armed = false;
  const time = T0 + HOUR_MS;
  // A clock that fails the first read after it is armed: the broadcaster's tick is then the only reader (idle server,
  // the monitor's passes an hour apart).
  const clock = {
    get value(): number {
      if (armed) {
        armed = false;
        throw new Error('clock unavailable');
      }
      return time;
    },
  };
  beforeAll(async () => {
    logs = memoryLog();
    server = await startTestServer(time, undefined, clock, { logger: logs.log, monitorMs: 3_600_000 });
    wall = await trackWall(server.url);
  });
  afterAll(async () => {
    wall?.close();
    await server?.dispose();
  });

  it('then the failure is logged and counted under broadcaster.tick, and the next ticks still bring the walls new figures', async () => {
    expect(await metric(server.url, 'cityops_timer_errors_total{timer="broadcaster.tick"}')).toBe(0);
    armed = true;
    // No request while armed: /metrics reads the clock too (the calendar's days left).
    await until(async () => !armed);
    expect(await metric(server.url, 'cityops_timer_errors_total{timer="broadcaster.tick"}')).toBe(1);
    expect(armed).toBe(false);
    expect(logs.lines.find((l) => l.timer === 'broadcaster.tick')).toMatchObject({
      level: 'error',
      err: { message: 'clock unavailable' },
    });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const res = await post(server.url, { space: 'live', events: [received('K1')] });
    expect(res.json.accepted).toBe(1);
    const v = await wall.until((x) => x.caseFlow.received === 1);
    expect(v.overdue.open).toBe(1);
    expect(await metric(server.url, 'cityops_timer_errors_total{timer="broadcaster.tick"}')).toBe(1);
  });
});

/** `real` with each append asking `failure` first: an error it gives fails that append (nothing of it is kept). */
function failingAppends(real: EventStore, failure: () => Error | null): EventStore {
  return {
    ...real,
    write: (space, after, work) =>
      real.write(space, after, (w) =>
        work({
          tail: w.tail,
          append: (events, quarantined) => {
            const err = failure();
            return err ? Promise.reject(err) : w.append(events, quarantined);
          },
        }),
      ),
  };
}

describe('when the event store fails one append', () => {
  let server: TestServer;
  let logs: MemoryLog;
  let failNext = false;
  beforeAll(async () => {
    logs = memoryLog();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cityops-'));
    const real = openSqliteStore({ dataDir });
    const store = failingAppends(real, () => {
      if (!failNext) return null;
      failNext = false;
      return new Error('disk I/O error');
    });
    server = await startTestServer(T0 + HOUR_MS, dataDir, undefined, { logger: logs.log, store });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('then the HTTP producer gets a 500 naming the request id of the log line, and the next batch is accepted', async () => {
    failNext = true;
    const res = await fetch(`${server.url}/api/v1/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer producer-live',
        'x-request-id': 'trace-7f3a.1',
      },
      body: JSON.stringify({ space: 'live', events: [received('S1')] }),
    });
    expect(res.status).toBe(500);
    expect(res.headers.get('x-request-id')).toBe('trace-7f3a.1');
    const body = (await res.json()) as { error: ApiError };
    expect(body.error).toEqual({
      code: 'internal',
      message: 'the request failed on the server',
      requestId: 'trace-7f3a.1',
    });
    expect(JSON.stringify(body)).not.toContain('disk I/O error');
    expect(logs.lines.find((l) => l.reqId === 'trace-7f3a.1')).toMatchObject({
      level: 'error',
      method: 'POST',
      path: '/api/v1/events',
      err: { message: 'disk I/O error' },
    });
    const again = await post(server.url, { space: 'live', events: [received('S1')] });
    expect(again.json).toMatchObject({ accepted: 1, duplicate: 0 });
    expect(server.app.spaces.get('live').projection.eventsApplied).toBe(1);
  });

  it('then a socket producer gets code internal, the error is logged with transport socket, and its next batch is accepted', async () => {
    const socket = producer(server.url);
    failNext = true;
    const failed = await sendBatch(socket, { space: 'live', events: [received('S2')] });
    expect(failed).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(logs.lines.find((l) => l.transport === 'socket')).toMatchObject({
      level: 'error',
      space: 'live',
      events: 1,
      err: { message: 'disk I/O error' },
    });
    const ok = await sendBatch(socket, { space: 'live', events: [received('S2')] });
    socket.close();
    expect(ok).toMatchObject({ ok: true, data: { accepted: 1 } });
    expect(await metric(server.url, 'cityops_ingest_batches_total{transport="socket"}')).toBe(1);
  });
});

describe('when a request carries an x-request-id or none', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(T0 + HOUR_MS);
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('then a sane id is echoed, and a missing or unsafe one is replaced by a fresh UUID', async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const kept = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'lb:2f9c-01_A' } });
    expect(kept.headers.get('x-request-id')).toBe('lb:2f9c-01_A');
    const none = await fetch(`${server.url}/healthz`);
    const other = await fetch(`${server.url}/healthz`);
    expect(none.headers.get('x-request-id')).toMatch(uuid);
    expect(other.headers.get('x-request-id')).not.toBe(none.headers.get('x-request-id'));
    for (const bad of ['has space', 'x'.repeat(129), '"quoted"', 'a/b', '<script>', '']) {
      const res = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': bad } });
      expect(res.headers.get('x-request-id')).toMatch(uuid);
    }
    const notFound = await fetch(`${server.url}/api/nothing`, { headers: { 'x-request-id': 'nf-1' } });
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('x-request-id')).toBe('nf-1');
    expect(((await notFound.json()) as { error: ApiError }).error.requestId).toBeUndefined();
  });
});

describe('when /wall or /ingest refuses a connection', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(T0 + HOUR_MS);
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('then /wall says why in err.data.code: bad_request, unauthorized, forbidden — with a readable message', async () => {
    const wall = (auth: Record<string, unknown>) =>
      refusedWith(io(`${server.url}/wall`, { auth, transports: ['websocket'], forceNew: true, reconnection: false }));
    const bad = await wall({ token: 'viewer-token', space: 'Live!' });
    expect(refusalCodeOf(bad)).toBe('bad_request');
    expect(bad?.message).toMatch(/space/);
    const missing = await wall({ space: 'live' });
    expect(refusalCodeOf(missing)).toBe('bad_request');
    expect(refusalCodeOf(await wall({ token: 'nope', space: 'live' }))).toBe('unauthorized');
    const scoped = await wall({ token: 'producer-drill-a', space: 'live' });
    expect(refusalCodeOf(scoped)).toBe('forbidden');
    expect(scoped?.message).not.toMatch(/^forbidden/);
    expect(await wall({ token: 'viewer-token', space: 'live' })).toBeNull();
  });

  it('then /ingest says unauthorized without a token or with an unknown one, and forbidden for a viewer token', async () => {
    const none = await refusedWith(
      io(`${server.url}/ingest`, { auth: {}, transports: ['websocket'], forceNew: true, reconnection: false }),
    );
    expect(refusalCodeOf(none)).toBe('unauthorized');
    expect(none?.message).toBe('no token in auth');
    expect(refusalCodeOf(await refusedWith(producer(server.url, 'nope')))).toBe('unauthorized');
    const viewer = await refusedWith(producer(server.url, 'viewer-token'));
    expect(refusalCodeOf(viewer)).toBe('forbidden');
    expect(viewer?.message).toBe('a viewer token may not produce');
    expect(await refusedWith(producer(server.url))).toBeNull();
  });
});

describe('when a wall connects while the projections are still being rebuilt', () => {
  let app: App;
  let release: () => void = () => undefined;
  afterEach(async () => {
    release();
    await app?.close();
  });

  it('then it is refused with not_ready, and connects once the server is ready', async () => {
    const real = openSqliteStore({ dataDir: ':memory:' });
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const store: EventStore = {
      ...real,
      spaces: async () => {
        await gate;
        return real.spaces();
      },
    };
    app = createApp({
      store,
      config: DEFAULT_CONFIG,
      tokens: new TokenRegistry(TOKENS),
      now: () => T0,
      deltaIntervalMs: 50,
    });
    const { port } = await app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${port}`;
    const early = await connectWall(url).then(
      (s) => {
        s.close();
        return null;
      },
      (err: unknown) => err,
    );
    expect(refusalCodeOf(early)).toBe('not_ready');
    expect((early as Error).message).toBe('the server is rebuilding its projections');
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    release();
    await app.ready;
    const wall = await connectWall(url);
    expect(wall.connected).toBe(true);
    wall.close();
  });
});

describe('when an append fails, the refold after it fails too, and the server then stops', () => {
  it('then the stop writes no checkpoint holding the refused batch: after a start the batch is not there, and its resend is accepted', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cityops-'));
    const real = openSqliteStore({ dataDir });
    let down = false;
    const store: EventStore = {
      ...failingAppends(real, () => (down ? new Error('the database is down') : null)),
      readWithSeqs: (space, chunkSize, after) => {
        if (down) throw new Error('the database is down');
        return real.readWithSeqs(space, chunkSize, after);
      },
    };
    const first = await startTestServer(T0 + HOUR_MS, dataDir, undefined, { store, logger: memoryLog().log });
    expect((await post(first.url, { space: 'live', events: [received('K1')] })).json.accepted).toBe(1);
    down = true;
    expect((await post(first.url, { space: 'live', events: [received('K2')] })).status).toBe(500);
    // The projection may hold K2 (folded before the append failed); it could not be folded again from the log.
    expect(first.app.spaces.get('live').needsRefold).toBe(true);
    await first.app.close();

    const second = await startTestServer(T0 + HOUR_MS, dataDir);
    try {
      const cases = second.app.spaces.get('live').projection.cases;
      expect([cases.has('K1'), cases.has('K2')]).toEqual([true, false]);
      expect((await post(second.url, { space: 'live', events: [received('K2')] })).json).toMatchObject({
        accepted: 1,
        quarantined: [],
      });
    } finally {
      await second.dispose();
    }
  });
});
