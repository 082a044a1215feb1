/**
 * The duty desk through the real app: an urgent case arrives at night with nobody at the desk; the monitor opens an
 * item and escalates it; a wall sees the count, the age and the escalation; the officer acknowledges, reports and
 * resolves over HTTP and another wall sees it go; a step that does not fit is refused with the reason; a restart
 * writes nothing twice.
 */
import { openSqliteStore } from '../../server/store/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeskList } from '@shared/duty/desk';
import type { DomainEvent } from '@shared/events';
import { MINUTE_MS, shanghaiInstant } from '@shared/time';
import type { WallView } from '@shared/wall/view';
import { received } from '../fixtures/events';
import { connectWall, post, startTestServer, type TestServer, type WallSocket } from '../../harness/server';
import { followWall, pollUntil } from '../fixtures/wallClient';

const NIGHT = shanghaiInstant('2026-11-24', '03:00');
const ITEM = 'case|n1';

async function act(
  url: string,
  body: Record<string, unknown>,
  token = 'duty-live',
  id = ITEM,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}/api/v1/duty/items/${encodeURIComponent(id)}/actions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function desk(url: string, token = 'duty-live', space = 'live'): Promise<{ status: number; json: DeskList }> {
  const res = await fetch(`${url}/api/v1/duty/items?space=${space}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, json: (await res.json()) as DeskList };
}

/** The item events of the live log (read through a second handle on its file). */
async function itemEvents(server: TestServer): Promise<DomainEvent[]> {
  const store = openSqliteStore({ dataDir: server.dataDir });
  const out: DomainEvent[] = [];
  for await (const chunk of store.read('live')) out.push(...chunk.filter((e) => e.type.startsWith('item.')));
  await store.close();
  return out;
}

describe('when an urgent case arrives at night and nobody is at the desk', () => {
  let server: TestServer;
  let wallA: WallSocket;
  let wallB: WallSocket;
  let a: { view: WallView };
  let b: { view: WallView };

  beforeAll(async () => {
    server = await startTestServer(NIGHT, undefined, undefined, { monitorMs: 40 });
    wallA = await connectWall(server.url);
    wallB = await connectWall(server.url);
    const snap = (w: WallSocket) =>
      new Promise<WallView>((resolve, reject) =>
        w.emit('resync', (r) => (r.ok ? resolve(r.data.view) : reject(new Error(r.error.message)))),
      );
    a = followWall(wallA, await snap(wallA));
    b = followWall(wallB, await snap(wallB));
    expect(
      (
        await post(server.url, {
          space: 'live',
          events: [received('n1', { ts: NIGHT, urgency: 'urgent', title: '<b>燃气泄漏</b>' })],
        })
      ).json.accepted,
    ).toBe(1);
  });

  afterAll(async () => {
    wallA.close();
    wallB.close();
    await server.dispose();
  });

  it('then an item opens on the desk, newest first, with its limits counted from the case', async () => {
    await pollUntil('the item', () => server.app.spaces.get('live').projection.items.get(ITEM));
    const d = await desk(server.url);
    expect(d.status).toBe(200);
    expect(d.json.open.map((x) => [x.id, x.kind, x.caseId, x.since, x.text])).toEqual([
      [ITEM, 'case', 'n1', NIGHT, '紧急 <b>燃气泄漏</b>'],
    ]);
    expect(d.json.open[0]!.limits.ack).toEqual({ due: NIGHT + 5 * MINUTE_MS, doneAt: null, state: 'ok' });
    await pollUntil('the wall count', () => a.view.duty.desk.unacknowledged === 1);
    expect(a.view.duty.desk).toEqual({
      open: 1,
      unacknowledged: 1,
      oldestUnacknowledgedSince: NIGHT,
      escalation: null,
    });
  });

  it('then past its limit it escalates to the 值班长 and then the 值班领导, and both walls show it', async () => {
    server.now.value = NIGHT + 6 * MINUTE_MS;
    await pollUntil(
      'level 1',
      () => a.view.duty.desk.escalation?.level === 1 && b.view.duty.desk.escalation?.level === 1,
    );
    expect(b.view.duty.desk.escalation).toMatchObject({ level: 1, to: '值班长', itemId: ITEM, since: NIGHT });
    server.now.value = NIGHT + 16 * MINUTE_MS;
    await pollUntil('level 2', () => b.view.duty.desk.escalation?.level === 2);
    expect(b.view.duty.desk.escalation).toMatchObject({ level: 2, to: '值班领导' });
    const d = await desk(server.url);
    expect(d.json.open[0]!.escalations).toEqual([
      { level: 1, to: '值班长', at: NIGHT + 5 * MINUTE_MS },
      { level: 2, to: '值班领导', at: NIGHT + 15 * MINUTE_MS },
    ]);
    expect(d.json.open[0]!.limits.ack.state).toBe('red');
  });

  it('then steps that do not fit are refused with the reason, and bad requests say where', async () => {
    const early = await act(server.url, { kind: 'report', space: 'live', mode: 'phone' });
    expect(early.status).toBe(409);
    expect(early.json).toEqual({
      error: { code: 'conflict', message: `item ${ITEM} is not acknowledged: acknowledge it before reporting it` },
    });
    const noNote = await act(server.url, { kind: 'resolve', space: 'live', note: '  ' });
    expect(noNote.status).toBe(400);
    expect((noNote.json.error as { errors: { path: string; message: string }[] }).errors).toEqual([
      { path: 'note', message: 'resolving an item needs a note of what was done' },
    ]);
    expect((await act(server.url, { kind: 'acknowledge', space: 'live' }, 'duty-live', 'case|none')).status).toBe(404);
    expect((await act(server.url, { kind: 'acknowledge', space: 'live' }, 'viewer-token')).status).toBe(403);
    expect((await act(server.url, { kind: 'acknowledge', space: 'live' }, 'duty-drill-a')).status).toBe(403);
    expect((await desk(server.url, 'viewer-token')).status).toBe(403);
    expect(server.app.spaces.get('live').projection.items.get(ITEM)?.ack).toBeNull();
  });

  it('then the officer acknowledges, reports and resolves, and the other wall sees the item go', async () => {
    server.now.value = NIGHT + 17 * MINUTE_MS;
    expect((await act(server.url, { kind: 'acknowledge', space: 'live' })).status).toBe(201);
    await pollUntil('the count to drop', () => b.view.duty.desk.unacknowledged === 0);
    expect(b.view.duty.desk).toEqual({ open: 1, unacknowledged: 0, oldestUnacknowledgedSince: null, escalation: null });
    const twice = await act(server.url, { kind: 'acknowledge', space: 'live' });
    expect(twice.status).toBe(409);
    expect((twice.json.error as { message: string }).message).toBe(
      `item ${ITEM} was already acknowledged by duty at 2026-11-24 03:17`,
    );
    server.now.value = NIGHT + 25 * MINUTE_MS;
    expect(
      (await act(server.url, { kind: 'report', space: 'live', mode: 'phone', note: '已电话报告区应急局' })).status,
    ).toBe(201);
    server.now.value = NIGHT + 70 * MINUTE_MS;
    expect((await act(server.url, { kind: 'report', space: 'live', mode: 'written' })).status).toBe(201);
    const d = await desk(server.url);
    expect(d.json.open[0]!.limits).toEqual({
      ack: { due: NIGHT + 5 * MINUTE_MS, doneAt: NIGHT + 17 * MINUTE_MS, state: 'late' },
      firstReport: { due: NIGHT + 30 * MINUTE_MS, doneAt: NIGHT + 25 * MINUTE_MS, state: 'met' },
      writtenReport: { due: NIGHT + 60 * MINUTE_MS, doneAt: NIGHT + 70 * MINUTE_MS, state: 'late' },
    });
    expect((await act(server.url, { kind: 'resolve', space: 'live', note: '燃气公司关阀抢修完毕' })).status).toBe(201);
    await pollUntil('the item to leave the wall', () => b.view.duty.desk.open === 0);
    const after = await desk(server.url);
    expect(after.json.open).toEqual([]);
    expect(after.json.resolved.map((x) => [x.id, x.resolved?.note, x.resolved?.by])).toEqual([
      [ITEM, '燃气公司关阀抢修完毕', 'duty'],
    ]);
  });

  it('then the log holds each step once, and a restart writes none of them again', async () => {
    const types = (await itemEvents(server)).map((e) => e.type);
    expect(types).toEqual([
      'item.opened',
      'item.escalated',
      'item.escalated',
      'item.acknowledged',
      'item.reported',
      'item.reported',
      'item.resolved',
    ]);
    wallA.close();
    wallB.close();
    server = await server.restart();
    server.now.value = NIGHT + 80 * MINUTE_MS;
    await server.app.monitor.pass();
    expect((await itemEvents(server)).map((e) => e.type)).toEqual(types);
    expect(server.app.spaces.get('live').projection.items.get(ITEM)?.resolved?.at).toBe(NIGHT + 70 * MINUTE_MS);
  });
});

describe('when the clock jumps past an escalation while a second urgent case waits for its item', () => {
  let server: TestServer;
  const B_AT = NIGHT + 2 * MINUTE_MS;

  beforeAll(async () => {
    // Passes are made by the test, one at a time: a clock that jumps 20 minutes is one pass.
    server = await startTestServer(NIGHT, undefined, undefined, { monitorMs: 3_600_000 });
    await post(server.url, { space: 'live', events: [received('a1', { ts: NIGHT, urgency: 'urgent' })] });
    await server.app.monitor.pass();
    await post(server.url, { space: 'live', events: [received('b1', { ts: B_AT, urgency: 'urgent' })] });
    server.now.value = NIGHT + 20 * MINUTE_MS;
    await server.app.monitor.pass();
  });

  afterAll(async () => {
    await server.dispose();
  });

  it("then the pass's events are written in the order they happened: a's escalations before b's opening", async () => {
    const got = (await itemEvents(server)).map((e) => [e.type, e.ts, 'itemId' in e ? e.itemId : null]);
    expect(got).toEqual([
      ['item.opened', NIGHT, 'case|a1'],
      ['item.escalated', NIGHT + 5 * MINUTE_MS, 'case|a1'],
      ['item.escalated', NIGHT + 15 * MINUTE_MS, 'case|a1'],
      ['item.opened', NIGHT + 20 * MINUTE_MS, 'case|b1'],
    ]);
  });

  it('then the review at 03:10 shows a escalated to the 值班长 and b not yet on the desk', async () => {
    const res = await fetch(
      `${server.url}/api/v1/spaces/live/review?${new URLSearchParams({ at: '2026-11-24T03:10:00+08:00' })}`,
      { headers: { authorization: 'Bearer viewer-token' } },
    );
    expect(res.status).toBe(200);
    const { view } = (await res.json()) as { view: WallView };
    expect(view.duty.desk).toEqual({
      open: 1,
      unacknowledged: 1,
      oldestUnacknowledgedSince: NIGHT,
      escalation: { level: 1, to: '值班长', text: expect.any(String), since: NIGHT, itemId: 'case|a1' },
    });
  });
});
