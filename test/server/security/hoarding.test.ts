/**
 * Nothing is held or echoed at length for a caller without a token: sockets that join no namespace are closed, a path
 * that is not valid percent-encoding is a plain 400, a batch of invalid events gets a bounded answer, and the
 * quarantine keeps every event it was given.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { DEFAULT_SECURITY } from '../../../server/security/settings';
import { MAX_FIELD_ERRORS, MAX_REJECTED_LISTED, type IngestResult } from '@shared/contract';
import { HOUR_MS } from '@shared/time';
import { T0, caseEvent } from '../../fixtures/events';
import { memoryLog, type MemoryLog } from '../../fixtures/logs';
import { post, startTestServer, type TestServer } from '../../../harness/server';

const JOIN_MS = 400;
let server: TestServer;
let logs: MemoryLog;
beforeAll(async () => {
  logs = memoryLog();
  server = await startTestServer(T0 + HOUR_MS, undefined, undefined, {
    logger: logs.log,
    bodyLimit: '5mb',
    security: { ...DEFAULT_SECURITY, handshakeTimeoutMs: JOIN_MS },
  });
});
afterAll(async () => {
  await server.dispose();
});

/**
 * A raw Engine.IO websocket, as a hoarding client would hold it: sends `packet` (a Socket.IO CONNECT, or nothing) once
 * open and never closes by itself. Resolves after `ms` or at the close, with the frames received and when it closed.
 */
function rawSocket(packet: string | null, ms: number): Promise<{ frames: string[]; closedAfter: number | null }> {
  const port = new URL(server.url).port;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
  const frames: string[] = [];
  const opened = Date.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      ws.terminate();
      resolve({ frames, closedAfter: null });
    }, ms);
    ws.on('message', (data) => {
      const frame = String(data);
      frames.push(frame);
      if (frame.startsWith('0') && packet !== null) ws.send(packet);
    });
    ws.on('close', () => {
      clearTimeout(timer);
      resolve({ frames, closedAfter: Date.now() - opened });
    });
  });
}

describe('when sockets connect without a token and hold on', () => {
  const wait = JOIN_MS + 3_000;

  it('then one on the default namespace is refused and its connection closed', async () => {
    const r = await rawSocket('40', wait);
    expect(r.frames.some((f) => f.startsWith('44') && f.includes('"code":"bad_request"'))).toBe(true);
    expect(r.frames.some((f) => /^40\{"sid"/.test(f))).toBe(false);
    expect(r.closedAfter).not.toBeNull();
  });

  it('then one on /wall without a token is refused and its connection closed', async () => {
    const r = await rawSocket('40/wall,', wait);
    expect(r.frames.some((f) => f.startsWith('44/wall,') && f.includes('"code":"bad_request"'))).toBe(true);
    expect(r.closedAfter).not.toBeNull();
  });

  it('then one on /wall with a wrong token is refused and its connection closed', async () => {
    const r = await rawSocket('40/wall,{"token":"not-a-token-0123456789","space":"live"}', wait);
    expect(r.frames.some((f) => f.startsWith('44/wall,') && f.includes('"code":"unauthorized"'))).toBe(true);
    expect(r.closedAfter).not.toBeNull();
  });

  it('then one on a namespace that does not exist has its connection closed', async () => {
    const r = await rawSocket('40/hoard,', wait);
    expect(r.frames.some((f) => f.startsWith('44/hoard,'))).toBe(true);
    expect(r.closedAfter).not.toBeNull();
  });

  it('then a connection that never asks for a namespace is closed once its time to join is up', async () => {
    const r = await rawSocket(null, wait);
    expect(r.closedAfter).not.toBeNull();
    expect(r.closedAfter).toBeGreaterThanOrEqual(JOIN_MS - 50);
  });

  it('then a wall with its token stays connected past the time to join', async () => {
    const r = await rawSocket('40/wall,{"token":"viewer-token","space":"live"}', JOIN_MS * 4);
    expect(r.frames.some((f) => f.startsWith('40/wall,{"sid"'))).toBe(true);
    expect(r.closedAfter).toBeNull();
  });
});

describe('when a path is not valid percent-encoding', () => {
  it('then it is a 400 that says so, and the log holds no stack trace', async () => {
    for (const p of ['/%ff', '/api/v1/%ff', '/open311/v2/requests/%E0%A4%A.json']) {
      const res = await fetch(`${server.url}${p}`);
      expect(res.status, p).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('bad_request');
      expect(body.error.message).toContain('percent-encoding');
    }
    expect(logs.lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(JSON.stringify(logs.lines)).not.toMatch(/URIError|stack/);
  });
});

describe('when a batch of 10,000 invalid events is posted', () => {
  it('then the answer lists the first refusals with their first field errors and counts the rest', async () => {
    const body = JSON.stringify({ space: 'live', events: Array.from({ length: 10_000 }, () => ({})) });
    expect(body.length).toBeLessThan(32_000);
    const res = await fetch(`${server.url}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer producer-live' },
      body,
    });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text.length).toBeLessThan(100_000);
    const r = JSON.parse(text) as IngestResult;
    expect(r.rejectedCount).toBe(10_000);
    expect(r.rejected).toHaveLength(MAX_REJECTED_LISTED);
    expect(r.rejected.map((x) => x.index)).toEqual(Array.from({ length: MAX_REJECTED_LISTED }, (_, i) => i));
    expect(r.rejected.every((x) => x.errors.length > 0 && x.errors.length <= MAX_FIELD_ERRORS)).toBe(true);
  }, 60_000);

  it('then an event with many field errors lists the first and counts the others', async () => {
    const bad = {
      type: 'case.received',
      eventId: 'many-errors',
      ts: 'x',
      caseId: 1,
      channel: 2,
      caseType: 3,
      urgency: 4,
      flags: 5,
      category: 6,
      street: 7,
      title: 8,
      description: 9,
      address: 10,
      lat: 'a',
      lng: 'b',
      actor: 11,
    };
    const r = await post(server.url, { space: 'live', events: [bad] });
    const rejected = (r.json as unknown as IngestResult).rejected[0];
    expect(rejected?.errors).toHaveLength(MAX_FIELD_ERRORS);
    expect(rejected?.moreErrors).toBeGreaterThan(0);
  });
});

describe('when more than 10,000 events go to quarantine in a space', () => {
  it('then every one is kept, the first included, and counted in /metrics', async () => {
    const n = 10_050;
    const events = Array.from({ length: n }, (_, i) => caseEvent('case.signed', `ghost-${i}`, T0 + 60_000));
    for (let i = 0; i < n; i += 5_000) {
      const r = await post(server.url, { space: 'drill-a', events: events.slice(i, i + 5_000) }, 'producer-drill-a');
      expect((r.json as unknown as IngestResult).quarantined).toHaveLength(Math.min(5_000, n - i));
    }
    const page = await fetch(`${server.url}/api/v1/quarantine?space=drill-a&limit=1&offset=${n - 1}`, {
      headers: { authorization: 'Bearer supervisor-token' },
    });
    const q = (await page.json()) as { total: number; items: { eventId: string }[] };
    expect(q.total).toBe(n);
    expect(q.items[0]?.eventId).toBe(events[0]?.eventId);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain(`cityops_quarantine_size{space="drill-a"} ${n}`);
  }, 120_000);
});
