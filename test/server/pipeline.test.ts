import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PANEL_KEYS } from '@shared/wall/registry';
import { HOUR_MS, MINUTE_MS } from '@shared/time';
import { T0, caseEvent, received } from '../fixtures/events';
import { post, startTestServer, type TestServer } from '../../harness/server';
import { trackWall, type TrackedWall } from '../fixtures/wallClient';

let server: TestServer;
const walls: TrackedWall[] = [];

beforeEach(async () => {
  server = await startTestServer(T0 + HOUR_MS);
});
afterEach(async () => {
  walls.splice(0).forEach((w) => w.close());
  await server.dispose();
});

async function twoWalls(space = 'live'): Promise<[TrackedWall, TrackedWall]> {
  const a = await trackWall(server.url, space);
  const b = await trackWall(server.url, space);
  walls.push(a, b);
  return [a, b];
}

describe('when an event is ingested over HTTP', () => {
  it('then both walls see it in their figures', async () => {
    const [a, b] = await twoWalls();
    expect(a.view().caseFlow.received).toBe(0);
    const res = await post(server.url, {
      space: 'live',
      events: [received('c1'), caseEvent('case.dispatched', 'c1', T0 + MINUTE_MS, { unit: 'st-guanshan' })],
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ accepted: 2, duplicate: 0, rejected: [], quarantined: [] });
    for (const w of [a, b]) {
      const v = await w.until((x) => x.caseFlow.dispatched === 1);
      expect(v.caseFlow.received).toBe(1);
      expect(v.overdue.open).toBe(1);
      expect(v.trend.today.hotline[9]).toBe(1);
    }
    expect(a.gaps + b.gaps).toBe(0);
  });

  it('then an urgent case reaches the walls as an alert at once', async () => {
    const [a] = await twoWalls();
    await post(server.url, {
      space: 'live',
      events: [received('u1', { urgency: 'urgent', flags: ['mass'], title: '自来水管爆裂 <script>x</script>' })],
    });
    const v = await a.until((x) => x.alerts.length > 0);
    expect(v.alerts[0]).toMatchObject({ kind: 'mass', level: 'bad', caseId: 'u1' });
    expect(v.alerts[0]?.text).toContain('<script>x</script>');
  });
});

describe('when an urgent case comes in between two ticks', () => {
  it('then its alert goes out alone at once, and the figures follow on the tick', async () => {
    // Ticks an hour apart: only the urgent send can bring the alert.
    await server.dispose();
    server = await startTestServer(T0 + HOUR_MS, undefined, undefined, { deltaIntervalMs: HOUR_MS });
    const [a] = await twoWalls();
    const seq = a.seq();
    await post(server.url, { space: 'live', events: [received('u2', { urgency: 'urgent', flags: ['mass'] })] });
    const v = await a.until((x) => x.alerts.length > 0);
    expect(a.seq()).toBe(seq + 1);
    expect(v.alerts[0]).toMatchObject({ kind: 'mass', caseId: 'u2' });
    expect(v.caseFlow.received).toBe(0);
    // A wall that joins now is not given the half-sent view: its snapshot holds the case too.
    const c = await trackWall(server.url);
    walls.push(c);
    expect(c.view().caseFlow.received).toBe(1);
    server.app.broadcaster.flush(server.app.spaces.get('live'));
    const after = await a.until((x) => x.caseFlow.received === 1);
    expect(a.gaps).toBe(0);
    expect(after).toEqual(c.view());
  });
});

describe('when the same event is sent twice', () => {
  it('then it counts once and the second answer says duplicate', async () => {
    const [a] = await twoWalls();
    const ev = received('d1');
    const first = await post(server.url, { space: 'live', events: [ev] });
    const second = await post(server.url, { space: 'live', events: [ev, ev] });
    expect(first.json.accepted).toBe(1);
    expect(second.json).toMatchObject({ accepted: 0, duplicate: 2 });
    await a.until((x) => x.caseFlow.received === 1);
    await post(server.url, { space: 'live', events: [received('d2')] });
    const v = await a.until((x) => x.caseFlow.received >= 2);
    expect(v.caseFlow.received).toBe(2);
  });
});

describe('when an event does not fit its case', () => {
  it('then it is quarantined with a reason naming case, stage and event, and listed', async () => {
    const res = await post(server.url, {
      space: 'live',
      events: [received('q1'), caseEvent('case.signed', 'q1', T0 + MINUTE_MS), caseEvent('case.replied', 'ghost', T0)],
    });
    expect(res.json.accepted).toBe(1);
    const q = res.json.quarantined as { index: number; reason: string }[];
    expect(q.map((x) => x.index)).toEqual([1, 2]);
    expect(q[0]?.reason).toBe('case q1 is received: case.signed does not fit (allowed from dispatched)');
    expect(q[1]?.reason).toContain('case ghost does not exist');
    const list = await fetch(`${server.url}/api/v1/quarantine?space=live`, {
      headers: { authorization: 'Bearer supervisor-token' },
    });
    const body = (await list.json()) as { total: number; items: { eventId: string; reason: string }[] };
    expect(body.total).toBe(2);
    // A page asked for that cannot be given is refused with why, never answered with another.
    for (const [q, why] of [
      ['limit=abc', 'query limit: "abc" is not a whole number from 1 to 500'],
      ['limit=100000', 'query limit: "100000" is not a whole number from 1 to 500'],
      ['offset=-1', 'query offset: "-1" is not a whole number from 0 to 1000000'],
    ]) {
      const bad = await fetch(`${server.url}/api/v1/quarantine?space=live&${q}`, {
        headers: { authorization: 'Bearer supervisor-token' },
      });
      expect(bad.status, q).toBe(400);
      expect(((await bad.json()) as { error: { message: string } }).error.message).toBe(why);
    }
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/cityops_events_quarantined_total\{space="live"\} 2/);
    expect(metrics).toMatch(/cityops_quarantine_size\{space="live"\} 2/);
  });

  it('then an out-of-order event is accepted once the missing one has arrived', async () => {
    const signed = caseEvent('case.signed', 'o1', T0 + 2 * MINUTE_MS);
    await post(server.url, { space: 'live', events: [received('o1'), signed] });
    const later = await post(server.url, {
      space: 'live',
      events: [caseEvent('case.dispatched', 'o1', T0 + MINUTE_MS, { unit: 'cgzf' }), signed],
    });
    expect(later.json).toMatchObject({ accepted: 2, duplicate: 0 });
  });

  it('then the same event sent again is a duplicate, not quarantined twice, after a restart too; another body under its id is kept', async () => {
    const ghost = caseEvent('case.replied', 'ghost-r', T0, { reply: '已处理' });
    const quarantine = async () => {
      const res = await fetch(`${server.url}/api/v1/quarantine?space=live`, {
        headers: { authorization: 'Bearer supervisor-token' },
      });
      const body = (await res.json()) as { total: number; items: { eventId: string; event: { reply?: string } }[] };
      return { total: body.total, replies: body.items.map((i) => `${i.eventId}:${i.event.reply ?? ''}`) };
    };
    const first = await post(server.url, { space: 'live', events: [ghost] });
    expect(first.json).toMatchObject({
      accepted: 0,
      duplicate: 0,
      quarantined: [{ index: 0, eventId: ghost.eventId }],
    });
    // A producer's retry, twice in one batch and with its fields in another order: the same event.
    const reordered = Object.fromEntries(Object.entries(ghost).reverse());
    const retry = await post(server.url, { space: 'live', events: [ghost, reordered] });
    expect(retry.json).toMatchObject({ accepted: 0, duplicate: 2, quarantined: [] });
    server = await server.restart();
    const afterRestart = await post(server.url, { space: 'live', events: [ghost] });
    expect(afterRestart.json).toMatchObject({ accepted: 0, duplicate: 1, quarantined: [] });
    expect(await quarantine()).toEqual({ total: 1, replies: [`${ghost.eventId}:已处理`] });
    // Another body under the same id is other evidence: kept, once.
    const other = { ...ghost, reply: '另一条答复' };
    const changed = await post(server.url, { space: 'live', events: [other, other] });
    expect(changed.json).toMatchObject({
      accepted: 0,
      duplicate: 1,
      quarantined: [{ index: 0, eventId: ghost.eventId }],
    });
    expect(await quarantine()).toEqual({
      total: 2,
      replies: [`${ghost.eventId}:另一条答复`, `${ghost.eventId}:已处理`],
    });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/cityops_quarantine_size\{space="live"\} 2/);
  });
});

describe('when the store is closed and reopened', () => {
  it('then the rebuilt figures are identical', async () => {
    const [a] = await twoWalls();
    const t = (m: number) => T0 + m * MINUTE_MS;
    const events = [
      received('r1'),
      caseEvent('case.dispatched', 'r1', t(1), { unit: 'st-guanshan' }),
      caseEvent('case.signed', 'r1', t(20)),
      caseEvent('case.replied', 'r1', t(40), { reply: '已清运' }),
      caseEvent('case.called_back', 'r1', t(50)),
      caseEvent('case.evaluated', 'r1', t(51), { rating: 'satisfied' }),
      caseEvent('case.closed', 'r1', t(52)),
      received('r2', { channel: 'city_mgmt', caseType: 'report', street: 'luonan' }),
      caseEvent('case.dispatched', 'r2', t(2), { unit: 'cgzf' }),
      { type: 'call.offered', eventId: 'call-1-o', ts: t(3), callId: 'call-1' },
      { type: 'call.answered', eventId: 'call-1-a', ts: t(3) + 9000, callId: 'call-1', agentId: 'A01' },
      { type: 'agent.state', eventId: 'ag-1', ts: t(1), agentId: 'A01', name: '王敏', state: 'ready' },
      { type: 'link.heartbeat', eventId: 'hb-1', ts: t(59), link: 'call_trunk' },
    ];
    const res = await post(server.url, { space: 'live', events });
    expect(res.json).toMatchObject({ accepted: events.length, quarantined: [] });
    const before = await a.until((x) => x.caseFlow.closed === 1 && x.hotline.answered === 1);
    walls.splice(0).forEach((w) => w.close());
    server = await server.restart();
    const [c] = await twoWalls();
    const after = c.view();
    for (const key of PANEL_KEYS) expect(after[key], key).toEqual(before[key]);
    expect(after.kpi.satisfaction).toBe(1);
    expect(after.hotline.serviceLevel15).toBe(1);
  });
});

describe('when a wall joins a space nobody has watched since events came in', () => {
  it('then its first snapshot already carries them, with no delta needed', async () => {
    const first = await trackWall(server.url);
    expect(first.view().caseFlow.received).toBe(0);
    first.close();
    await post(server.url, { space: 'live', events: [received('late-joiner')] });
    const next = await trackWall(server.url);
    walls.push(next);
    expect(next.view().caseFlow.received).toBe(1);
    expect(next.gaps).toBe(0);
  });
});
