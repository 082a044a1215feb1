/**
 * 交接班 through the real app: the outgoing officer (a desk session) reads the draft and submits it; signing before the
 * submission, submitting twice and signing one's own record are refused with the reason; the incoming officer signs
 * it; the record is listed by date and the walls see the handover. A later shift's record nobody signs opens a duty
 * item when the space's clock passes its limit, and both walls count it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeskList } from '@shared/duty/desk';
import type { HandoverRecord } from '@shared/duty/handover';
import type { HandoverDraft } from '@shared/events';
import { addDays, MINUTE_MS, shanghaiInstant } from '@shared/time';
import type { WallView } from '@shared/wall/view';
import { dayNightRoster, dayOfficerCheckIn, received } from '../fixtures/events';
import { connectWall, post, startTestServer, type TestServer, type WallSocket } from '../../harness/server';
import { followWall, pollUntil } from '../fixtures/wallClient';

const DATE = '2026-11-24';
const at = (hhmm: string, date = DATE) => shanghaiInstant(date, hhmm);
const DAY_ID = `${DATE}|day`;

interface Session {
  readonly cookie: string;
  readonly csrf: string;
}

describe('when the day shift hands over to the night shift at the desk', () => {
  let server: TestServer;
  let wallA: WallSocket;
  let wallB: WallSocket;
  let a: { view: WallView };
  let b: { view: WallView };
  let outgoing: Session;
  let incoming: Session;

  const login = async (name: string): Promise<Session> => {
    const res = await fetch(`${server.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: 'duty-live', name }),
    });
    const body = (await res.json()) as { csrfToken: string };
    return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]!, csrf: body.csrfToken };
  };
  const call = async (s: Session, method: string, p: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${p}`, {
      method,
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const message = (r: { json: Record<string, unknown> }) => (r.json.error as { message: string }).message;

  beforeAll(async () => {
    server = await startTestServer(at('16:15'), undefined, undefined, { monitorMs: 40 });
    const roster = (date: string) => dayNightRoster(date, at('00:00'), `roster-${date}`);
    const checkIn = dayOfficerCheckIn(DATE, at('08:25'), 'in-day');
    const calls = [1, 2, 3].flatMap((n) => [
      { type: 'call.offered', eventId: `c${n}`, ts: at('16:00') + n * MINUTE_MS, callId: `call-${n}` },
      ...(n < 3
        ? [
            {
              type: 'call.answered',
              eventId: `a${n}`,
              ts: at('16:00') + n * MINUTE_MS + 4_000,
              callId: `call-${n}`,
              agentId: 'A1',
            },
          ]
        : []),
    ]);
    expect(
      (
        await post(server.url, {
          space: 'live',
          events: [
            roster(DATE),
            roster(addDays(DATE, 1)),
            checkIn,
            ...calls,
            received('h1', { ts: at('16:10'), urgency: 'urgent', title: '燃气泄漏' }),
          ],
        })
      ).json.accepted,
    ).toBe(9);
    wallA = await connectWall(server.url);
    wallB = await connectWall(server.url);
    const snap = (w: WallSocket) =>
      new Promise<WallView>((resolve, reject) =>
        w.emit('resync', (r) => (r.ok ? resolve(r.data.view) : reject(new Error(r.error.message)))),
      );
    a = followWall(wallA, await snap(wallA));
    b = followWall(wallB, await snap(wallB));
    outgoing = await login('李娜');
    incoming = await login('王强');
    await pollUntil('the case item', () => server.app.spaces.get('live').projection.items.get('case|h1'));
  });

  afterAll(async () => {
    wallA.close();
    wallB.close();
    await server.dispose();
  });

  it("then the draft lists the open urgent item and the shift's calls", async () => {
    server.now.value = at('17:20');
    const r = await call(outgoing, 'GET', '/duty/handovers/draft?space=live');
    expect(r.status).toBe(200);
    const d = r.json.draft as HandoverDraft;
    expect(d).toMatchObject({
      handoverId: DAY_ID,
      shiftName: '白班',
      next: { shiftId: 'night', name: '夜班' },
      figures: { calls: 3, answered: 2, cases: 1, overdue: 0 },
    });
    expect(d.open.map((e) => [e.itemId, e.text, e.since])).toEqual([['case|h1', '紧急 燃气泄漏', at('16:10')]]);
    // The item went unacknowledged past its 5 minutes: 接报及时率 0 for the shift.
    expect(d.duty).toMatchObject({ items: 1, ackJudged: 1, ackOnTime: 0, ackTimely: 0 });
    await pollUntil(
      "the wall's shift figures",
      () => b.view.duty.figures.shift?.name === '白班' && b.view.duty.figures.shift.ackTimely === 0,
    );
  });

  it('then signing before the submission is refused with the reason', async () => {
    const r = await call(incoming, 'POST', `/duty/handovers/${encodeURIComponent(DAY_ID)}/sign`, { space: 'live' });
    expect(r.status).toBe(409);
    expect(message(r)).toBe(
      `handover ${DAY_ID} has not been submitted: the outgoing officer submits it before the incoming one signs it`,
    );
  });

  it("then the outgoing officer submits it once; a second submission and signing one's own are refused", async () => {
    server.now.value = at('17:25');
    const r = await call(outgoing, 'POST', '/duty/handovers', {
      space: 'live',
      handoverId: DAY_ID,
      note: '燃气泄漏待燃气公司回复',
    });
    expect(r.status).toBe(201);
    // The submission's row is written before the signature comes (as a shift's minutes apart are): the signature's row
    // keeps the draft written with the submission.
    server.app.cases.flush();
    const again = await call(outgoing, 'POST', '/duty/handovers', { space: 'live', handoverId: DAY_ID, note: 'x' });
    expect(again.status).toBe(409);
    expect(message(again)).toBe(`handover ${DAY_ID} was already submitted by 李娜 at ${DATE} 17:25`);
    const own = await call(outgoing, 'POST', `/duty/handovers/${encodeURIComponent(DAY_ID)}/sign`, { space: 'live' });
    expect(own.status).toBe(409);
    expect(message(own)).toBe(
      `handover ${DAY_ID} was submitted by 李娜: the incoming officer signs it, not the one handing over`,
    );
  });

  it('then the incoming officer signs it, it is listed by date, and the wall shows the night shift handed over', async () => {
    server.now.value = at('17:32');
    expect(
      (
        await post(server.url, {
          space: 'live',
          events: [
            {
              type: 'duty.checked_in',
              eventId: 'in-night',
              ts: at('17:31'),
              date: DATE,
              shiftId: 'night',
              post: 'duty_officer',
              personId: 'O2',
              name: '王强',
            },
          ],
        })
      ).json.accepted,
    ).toBe(1);
    const r = await call(incoming, 'POST', `/duty/handovers/${encodeURIComponent(DAY_ID)}/sign`, {
      space: 'live',
      note: '已接班',
    });
    expect(r.status).toBe(201);
    const twice = await call(incoming, 'POST', `/duty/handovers/${encodeURIComponent(DAY_ID)}/sign`, { space: 'live' });
    expect(message(twice)).toBe(`handover ${DAY_ID} was already signed by 王强 at ${DATE} 17:32`);
    const list = await call(incoming, 'GET', `/duty/handovers?space=live&date=${DATE}`);
    const records = list.json.records as HandoverRecord[];
    expect(records.map((x) => [x.id, x.submitted.by, x.submitted.note, x.signed?.by, x.signed?.at])).toEqual([
      [DAY_ID, '李娜', '燃气泄漏待燃气公司回复', '王强', at('17:32')],
    ]);
    expect(
      (await call(incoming, 'GET', `/duty/handovers?space=live&date=${addDays(DATE, 1)}`)).json.records as unknown[],
    ).toEqual([]);
    const one = await call(incoming, 'GET', `/duty/handovers/${encodeURIComponent(DAY_ID)}?space=live`);
    expect((one.json.record as HandoverDraft).open.map((e) => e.itemId)).toEqual(['case|h1']);
    await pollUntil(
      "the wall's handover",
      () => b.view.duty.shift?.id === 'night' && b.view.duty.handover.lastAt === at('17:25'),
    );
    expect(b.view.duty.handover.note).toBe('燃气泄漏待燃气公司回复');
  });

  it("then the night shift's record, never signed, opens a duty item when the clock passes 30 minutes after the change", async () => {
    const id = `handover|${DATE}|night`;
    server.now.value = at('08:59', addDays(DATE, 1));
    await server.app.monitor.pass();
    expect(server.app.spaces.get('live').projection.items.has(id)).toBe(false);
    server.now.value = at('09:00', addDays(DATE, 1));
    const item = await pollUntil('the handover item', () => server.app.spaces.get('live').projection.items.get(id));
    expect(item).toMatchObject({
      kind: 'handover',
      text: '交接班未提交：夜班 → 白班',
      since: at('09:00', addDays(DATE, 1)),
    });
    expect(server.app.spaces.get('live').projection.items.has(`handover|${DAY_ID}`)).toBe(false);
    // A day later the desk session has lapsed; the desk's bearer token reads the list.
    const desk = (await (
      await fetch(`${server.url}/api/v1/duty/items?space=live`, { headers: { authorization: 'Bearer duty-live' } })
    ).json()) as DeskList;
    expect(desk.open.filter((x) => x.kind === 'handover').map((x) => [x.id, x.ack])).toEqual([[id, null]]);
    const unacked = desk.open.filter((x) => !x.ack).length;
    await pollUntil(
      'both walls to count it',
      () => a.view.duty.desk.unacknowledged === unacked && b.view.duty.desk.unacknowledged === unacked,
    );
  });

  it('then nine days on the record has left the space in memory, and the desk still lists it by date and reads it whole', async () => {
    server.now.value = at('10:00', addDays(DATE, 9));
    await server.app.monitor.pass();
    const p = server.app.spaces.get('live').projection;
    // The pass ended what was still raised: the day shift's empty post of the 25th is recovered at that shift's end
    // (17:30), not when this pass looked, and nothing later was written.
    expect(p.clock).toBe(at('17:30', addDays(DATE, 1)));
    expect([...p.handoverRecords.keys()]).toEqual([]);
    const list = await fetch(`${server.url}/api/v1/duty/handovers?space=live&date=${DATE}`, {
      headers: { authorization: 'Bearer duty-live' },
    });
    const records = ((await list.json()) as { records: HandoverRecord[] }).records;
    expect(records.map((x) => [x.id, x.submitted.by, x.submitted.note, x.signed?.by, x.signed?.at])).toEqual([
      [DAY_ID, '李娜', '燃气泄漏待燃气公司回复', '王强', at('17:32')],
    ]);
    const all = await fetch(`${server.url}/api/v1/duty/handovers?space=live`, {
      headers: { authorization: 'Bearer duty-live' },
    });
    expect(((await all.json()) as { records: HandoverRecord[] }).records.map((x) => x.id)).toEqual([DAY_ID]);
    // A day that does not exist is refused, not rolled over into another day's records (or none).
    const feb30 = await fetch(`${server.url}/api/v1/duty/handovers?space=live&date=2026-02-30`, {
      headers: { authorization: 'Bearer duty-live' },
    });
    expect([feb30.status, ((await feb30.json()) as { error: { message: string } }).error.message]).toEqual([
      400,
      'query date: "2026-02-30" is not a date (YYYY-MM-DD)',
    ]);
    const one = await fetch(`${server.url}/api/v1/duty/handovers/${encodeURIComponent(DAY_ID)}?space=live`, {
      headers: { authorization: 'Bearer duty-live' },
    });
    const rec = (await one.json()) as HandoverRecord & { space: string };
    expect([rec.space, rec.record.shiftName, rec.record.open.map((e) => e.itemId), rec.signed?.note]).toEqual([
      'live',
      '白班',
      ['case|h1'],
      '已接班',
    ]);
    const missing = await fetch(
      `${server.url}/api/v1/duty/handovers/${encodeURIComponent(`${DATE}|night`)}?space=live`,
      {
        headers: { authorization: 'Bearer duty-live' },
      },
    );
    expect(missing.status).toBe(404);
    // Read back from the read model, it is still judged: signed once, it is not signed again.
    // (The officers' desk sessions have expired in nine days: the duty token signs.)
    const sign = await fetch(`${server.url}/api/v1/duty/handovers/${encodeURIComponent(DAY_ID)}/sign`, {
      method: 'POST',
      headers: { authorization: 'Bearer duty-live', 'content-type': 'application/json' },
      body: JSON.stringify({ space: 'live' }),
    });
    expect(sign.status).toBe(409);
    expect(((await sign.json()) as { error: { message: string } }).error.message).toBe(
      `handover ${DAY_ID} was already signed by 王强 at ${DATE} 17:32`,
    );
  });
});
