/**
 * Time passes when nobody watches: a post goes empty, a case goes overdue and a link falls silent with no wall
 * connected. The monitor writes each as an event when it happens; a wall that connects an hour later, and one that
 * connects after a restart, both show them with the times they happened.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEventInput } from '@shared/events';
import { HOUR_MS, MINUTE_MS, shanghaiInstant } from '@shared/time';
import type { Alert } from '@shared/wall/view';
import type { WallSnapshot } from '@shared/wall/delta';
import { caseEvent, received } from '../fixtures/events';
import { connectWall, post, startTestServer, type TestServer } from '../../harness/server';

const DATE = '2026-11-23';
const T = shanghaiInstant(DATE, '09:00');
const EVENTS: DomainEventInput[] = [
  {
    type: 'duty.roster',
    eventId: 'r1',
    ts: shanghaiInstant(DATE, '00:00'),
    date: DATE,
    shifts: [
      {
        id: 'day',
        name: '白班',
        start: '08:30',
        end: '17:30',
        agentsRostered: 20,
        posts: [
          { post: 'duty_leader', personId: 'L1', name: '张伟' },
          { post: 'duty_officer', personId: 'O1', name: '李娜' },
        ],
      },
    ],
  },
  {
    type: 'duty.checked_in',
    eventId: 'c1',
    ts: shanghaiInstant(DATE, '08:20'),
    date: DATE,
    shiftId: 'day',
    post: 'duty_leader',
    personId: 'L1',
    name: '张伟',
  },
  { type: 'link.heartbeat', eventId: 'h1', ts: T, link: 'call_trunk' },
  received('m1', { ts: T }),
  caseEvent('case.dispatched', 'm1', T + MINUTE_MS, { unit: 'cgzf' }),
];
/** Sign-for within 2 working hours of the 09:01 dispatch. */
const SIGN_DEADLINE = T + MINUTE_MS + 2 * HOUR_MS;

async function snapshotOf(server: TestServer): Promise<WallSnapshot> {
  const wall = await connectWall(server.url);
  try {
    return await new Promise<WallSnapshot>((resolve, reject) =>
      wall.emit('resync', (r) => (r.ok ? resolve(r.data) : reject(new Error(r.error.message)))),
    );
  } finally {
    wall.close();
  }
}

const summary = (alerts: readonly Alert[]) => alerts.map((a) => [a.kind, a.at, a.caseId ?? null]).sort();

describe('when time reveals alerts and no wall is watching', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(T, undefined, undefined, { monitorMs: 50 });
    expect((await post(server.url, { space: 'live', events: EVENTS })).json.accepted).toBe(EVENTS.length);
    // Three hours pass with nobody watching: the monitor's own timer notices, not a view build.
    server.now.value = T + 3 * HOUR_MS;
    const until = Date.now() + 10_000;
    while (server.app.spaces.get('live').projection.active.size < 3 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50));
  });

  afterAll(async () => {
    await server.dispose();
  });

  const expected = [
    ['link_down', T + 90_000, null],
    ['overdue', SIGN_DEADLINE, 'm1'],
    ['post_empty', shanghaiInstant(DATE, '08:45'), null],
  ].sort();

  it('then the alerts are in the log, stamped when their conditions began', () => {
    expect(server.app.cases.db).toBeDefined();
    const active = [...server.app.spaces.get('live').projection.active.values()].map((x) => x.alert);
    expect(summary(active).filter((a) => a[0] !== 'at_risk')).toEqual(expected);
    expect(server.app.spaces.get('live').position).toBeGreaterThan(EVENTS.length);
  });

  it('then a wall that connects an hour later shows them with those times', async () => {
    server.now.value = T + 4 * HOUR_MS;
    const snap = await snapshotOf(server);
    expect(summary(snap.view.alerts).filter((a) => a[0] !== 'at_risk')).toEqual(expected);
  });

  it('then a wall that connects after a restart shows the same', async () => {
    const before = server.app.spaces.get('live').projection.alerts;
    server = await server.restart();
    expect(server.app.spaces.get('live').projection.alerts).toEqual(before);
    const snap = await snapshotOf(server);
    expect(summary(snap.view.alerts).filter((a) => a[0] !== 'at_risk')).toEqual(expected);
  });

  it('then the officer arriving clears the empty post, and the ticker keeps when it was empty', async () => {
    const arrival = T + 4 * HOUR_MS;
    await post(server.url, {
      space: 'live',
      events: [
        {
          type: 'duty.checked_in',
          eventId: 'c2',
          ts: arrival,
          date: DATE,
          shiftId: 'day',
          post: 'duty_officer',
          personId: 'O1',
          name: '李娜',
        },
      ],
    });
    await server.app.monitor.pass();
    const post_ = server.app.spaces.get('live').projection.alerts.find((a) => a.kind === 'post_empty');
    expect(post_?.at).toBe(shanghaiInstant(DATE, '08:45'));
    expect(post_?.clearedAt).toBe(server.now.value);
    expect(
      [...server.app.spaces.get('live').projection.active.values()].some((a) => a.alert.kind === 'post_empty'),
    ).toBe(false);
  });
});

describe("when a space's checkpoint is lost with the writer thread that held it", () => {
  it('then the monitor makes it again at its next due time, though nothing was folded since, and not before', async () => {
    const server = await startTestServer(T, undefined, undefined, { monitorMs: 3_600_000, checkpointMs: 60_000 });
    try {
      const { monitor } = server.app;
      await post(server.url, { space: 'live', events: [{ type: 'clock.tick', eventId: 't1', ts: T }] });
      await monitor.pass();
      expect(monitor.checkpointsWritten).toBe(1);
      monitor.checkpointLost('live');
      await monitor.pass();
      expect(monitor.checkpointsWritten).toBe(1);
      server.now.value = T + MINUTE_MS;
      await monitor.pass();
      expect(monitor.checkpointsWritten).toBe(2);
      // Nothing folded and nothing lost since: none due.
      server.now.value = T + 2 * MINUTE_MS;
      await monitor.pass();
      expect(monitor.checkpointsWritten).toBe(2);
    } finally {
      await server.dispose();
    }
  });
});
