/**
 * Review (复盘) against a real server: a seeded district morning is ingested hour by hour with the monitor's passes
 * (alerts, duty items, sweeps, checkpoints and their review history) between the hours. The live wall's view is captured
 * at T1; after more hours are ingested, the review at T1 gives the same view. A review writes nothing. After a restart,
 * a review starts from a history checkpoint and equals a fold of the log from its beginning. Bad instants and foreign
 * tokens are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectionContext } from '../../server/app';
import { openSqliteStore } from '../../server/store/sqlite';
import { DEFAULT_CONFIG } from '@shared/config';
import type { ApiError } from '@shared/contract';
import type { DomainEvent } from '@shared/events';
import { applyEvent } from '@shared/projection/apply';
import { createProjection } from '@shared/projection/state';
import { buildWallView } from '@shared/projection/view';
import { HOUR_MS, MINUTE_MS, shanghaiInstant } from '@shared/time';
import { shanghaiIso, type ReviewAnswer } from '@shared/wall/review';
import type { WallView } from '@shared/wall/view';
import { generateEvents } from '../../simulators/day';
import { logOf, startTestServer, type TestServer } from '../../harness/server';
import { received } from '../fixtures/events';
import { trackWall } from '../fixtures/wallClient';

const SPACE = 'drill-a';
const FROM = shanghaiInstant('2026-11-24', '06:00');
const HOURS = 10;

/** GETs a review; `at` is sent as given (an ISO string) or as the ISO of a time in ms. */
async function review(
  s: TestServer,
  at: string | number | null,
  token = 'viewer-token',
  space = SPACE,
): Promise<{ status: number; body: ReviewAnswer & { error?: ApiError } }> {
  const q = at === null ? '' : `?${new URLSearchParams({ at: typeof at === 'number' ? shanghaiIso(at) : at })}`;
  const res = await fetch(`${s.url}/api/v1/spaces/${space}/review${q}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: (await res.json()) as ReviewAnswer & { error?: ApiError } };
}

/**
 * The view without the clock rate: the live wall's is measured against the wall clock (how fast the hours were
 * ingested); a review stands still and says 1. Every other field is folded from the log and must be equal.
 */
function comparable(v: WallView): Omit<WallView, 'clockRate'> {
  const { clockRate: _rate, ...rest } = v;
  return rest;
}

/** What a review must not change: the log, the quarantine, the read model's rows, checkpoints and history. */
async function footprint(s: TestServer): Promise<Record<string, number>> {
  s.app.cases.flush();
  const db = s.app.cases.db;
  const count = (sql: string) => db.prepare(sql).pluck().get(SPACE) as number;
  const store = openSqliteStore({ dataDir: s.dataDir });
  try {
    return {
      log: await store.count(SPACE),
      quarantine: (await store.quarantineCounts())[SPACE] ?? 0,
      cases: count('SELECT count(*) FROM cases WHERE space = ?'),
      caseStates: count('SELECT count(*) FROM case_states WHERE space = ?'),
      caseHistory: count('SELECT count(*) FROM case_history WHERE space = ?'),
      supervisions: count('SELECT count(*) FROM case_supervisions WHERE space = ?'),
      modelSeq: count('SELECT seq FROM read_model_meta WHERE space = ?'),
      checkpointSeq: count('SELECT seq FROM checkpoints WHERE space = ?'),
      history: count('SELECT count(*) FROM review_checkpoints WHERE space = ?'),
      projectionEvents: s.app.spaces.get(SPACE).projection.eventsApplied,
    };
  } finally {
    await store.close();
  }
}

/** The log's events before its first event dated after `at`. */
function upTo(events: readonly DomainEvent[], at: number): readonly DomainEvent[] {
  const i = events.findIndex((e) => e.ts > at);
  return i < 0 ? events : events.slice(0, i);
}

/** A plain fold of the log from its beginning up to the first event dated after `at`: no checkpoint, no archive. */
function plainView(events: readonly DomainEvent[], at: number): WallView {
  const p = createProjection(SPACE, projectionContext(DEFAULT_CONFIG));
  p.replaying = true;
  for (const e of upTo(events, at)) expect(applyEvent(p, e), e.eventId).toBeNull();
  return buildWallView(p, at, { spaceKind: 'drill', clockRate: 1 });
}

describe('when a district morning is ingested hour by hour and reviewed', () => {
  let server: TestServer;
  // The seeded morning, and an urgent case nobody signs for: a duty item, then an overdue clock.
  const events = [
    ...generateEvents({ seed: 7, from: FROM, to: FROM + HOURS * HOUR_MS, casesPerDay: 300 }),
    received('review-urgent', { ts: FROM + 2 * HOUR_MS + 7 * MINUTE_MS, urgency: 'urgent', street: 'luonan' }),
  ].sort((a, b) => a.ts - b.ts);
  /** T1: the last event of the first six hours. */
  const T1 = Math.max(...events.filter((e) => e.ts <= FROM + 6 * HOUR_MS).map((e) => e.ts));
  let live: WallView;

  /** Ingests the events of (from, to] and lets the monitor pass (alerts and items at the space clock, sweep, checkpoint). */
  async function ingestHours(from: number, to: number): Promise<void> {
    for (let h = from; h < to; h += HOUR_MS) {
      const batch = events.filter((e) => e.ts > h && e.ts <= Math.min(to, h + HOUR_MS));
      const r = await server.app.ingest.ingest(SPACE, batch);
      expect(r.rejected.length + r.quarantined.length).toBe(0);
      await server.app.monitor.pass();
    }
  }

  beforeAll(async () => {
    // The monitor passes by hand; a checkpoint after every 500 events; the history takes one an hour of space clock.
    server = await startTestServer(FROM, undefined, undefined, {
      monitorMs: 3_600_000,
      checkpointMs: 3_600_000,
      checkpointEvents: 500,
    });
    await ingestHours(FROM - 1, T1);
    const wall = await trackWall(server.url, SPACE);
    live = await wall.until((v) => v.now === T1);
    wall.close();
    await ingestHours(T1, FROM + HOURS * HOUR_MS);
  }, 120_000);

  afterAll(async () => {
    await server.dispose();
  });

  it('then the live wall at T1 had figures to compare: cases received, calls offered, alerts and duty items', () => {
    expect(live.caseFlow.received).toBeGreaterThan(30);
    expect(live.hotline.offered).toBeGreaterThan(10);
    expect(live.alerts.length).toBeGreaterThan(0);
    expect(live.duty.desk.open).toBeGreaterThan(0);
    expect(live.lastEventAt).toBe(T1);
  });

  it('then the review at T1 equals the live wall captured at T1, panel by panel', async () => {
    const r = await review(server, T1);
    expect(r.status).toBe(200);
    expect(r.body.at).toBe(T1);
    expect(r.body.view.now).toBe(T1);
    expect(r.body.view.clockRate).toBe(1);
    expect(comparable(r.body.view)).toEqual(comparable(live));
    // The space has moved on since: the live wall now shows more than the review.
    const now = server.app.spaces.get(SPACE).projection;
    expect(now.clock).toBeGreaterThan(T1);
    expect(r.body.span).toEqual({ first: events[0]!.ts, last: now.clock });
  });

  it('then a review writes nothing: the log, the quarantine, the read model, checkpoints and history stay as they were', async () => {
    const before = await footprint(server);
    expect(before.log).toBeGreaterThan(events.length);
    expect(before.history).toBeGreaterThan(3);
    for (const at of [FROM + HOUR_MS, T1, T1 + 30 * MINUTE_MS, server.app.spaces.get(SPACE).projection.clock!])
      expect((await review(server, at)).status).toBe(200);
    expect(await footprint(server)).toEqual(before);
  });

  it('then playing forward goes on from the previous fold: a minute later folds only that minute', async () => {
    const at = T1 + 17 * MINUTE_MS;
    const first = await review(server, at);
    const next = await review(server, at + MINUTE_MS);
    expect(next.body.from.continued).toBe(true);
    expect(next.body.from.folded).toBe(
      upTo(await logOf(server, SPACE), at + MINUTE_MS).length - upTo(await logOf(server, SPACE), at).length,
    );
    expect(next.body.from.folded).toBeGreaterThan(5);
    expect(first.body.from.folded).toBeGreaterThan(next.body.from.folded);
    // Going back does not reuse a later fold.
    const back = await review(server, at - MINUTE_MS);
    expect(back.body.from.continued).toBe(false);
    // Eight reviews of this space so far, at seven instants: two folds are kept.
    expect(server.app.review.keptCount).toBe(2);
  });

  it('then bad instants are refused with a 400 naming the field', async () => {
    const clock = server.app.spaces.get(SPACE).projection.clock!;
    const cases: [string | null, RegExp][] = [
      [null, /required/],
      ['yesterday', /not an ISO 8601 instant/],
      ['2026-11-24T09:00:00', /not an ISO 8601 instant with an offset/],
      ['2026-02-30T09:00:00+08:00', /does not exist/],
      ['2026-11-24T24:30:00+08:00', /does not exist/],
      [shanghaiIso(FROM - HOUR_MS), /before the log of drill-a begins/],
      [shanghaiIso(clock + 1_000), /after the clock of drill-a/],
    ];
    for (const [at, why] of cases) {
      const r = await review(server, at);
      expect(r.status, String(at)).toBe(400);
      expect(r.body.error?.code).toBe('bad_request');
      expect(r.body.error?.errors?.[0]?.path).toBe('at');
      expect(r.body.error?.errors?.[0]?.message).toMatch(why);
    }
    // A `+` sent unencoded arrives as a space: read as the offset it was.
    const plus = await fetch(`${server.url}/api/v1/spaces/${SPACE}/review?at=${shanghaiIso(T1)}`, {
      headers: { authorization: 'Bearer viewer-token' },
    });
    expect(plus.status).toBe(200);
    expect(((await plus.json()) as ReviewAnswer).at).toBe(T1);
  });

  it('then who may watch the wall may review it, and a token for another space may not', async () => {
    expect((await review(server, T1, 'duty-drill-a')).status).toBe(200);
    expect((await review(server, T1, 'supervisor-token')).status).toBe(200);
    const other = await review(server, T1, 'duty-live');
    expect(other.status).toBe(403);
    expect(other.body.error?.message).toMatch(/for space live, not drill-a/);
    expect((await review(server, T1, 'producer-drill-a')).status).toBe(403);
    expect((await review(server, T1, 'no-such-token')).status).toBe(401);
    // A space with no log here: nothing to review, and nothing created by asking.
    const none = await review(server, T1, 'viewer-token', 'drill-empty');
    expect(none.status).toBe(404);
    expect(server.app.spaces.find('drill-empty')).toBeUndefined();
  });

  it('then after a restart a review starts from a history checkpoint and equals a fold of the whole log', async () => {
    server = await server.restart();
    const history = server.app.cases.reviewHistory(SPACE, server.app.cases.version);
    expect(history.length).toBeGreaterThan(3);
    const at = T1 + 2 * HOUR_MS + 13 * MINUTE_MS;
    const newest = history.filter((h) => h.clock <= at).pop()!;
    const before = await footprint(server);
    const r = await review(server, at);
    expect(r.status).toBe(200);
    expect(r.body.from.checkpointSeq).toBe(newest.seq);
    expect(r.body.from.continued).toBe(false);
    const log = await logOf(server, SPACE);
    // Log seqs are 1, 2, 3…: the checkpoint at seq n holds the first n events.
    expect(r.body.from.folded).toBe(upTo(log, at).length - newest.seq);
    expect(r.body.view).toEqual(plainView(log, at));
    // Before the first history entry there is none to start from: the fold starts from the empty log.
    const early = await review(server, history[0]!.clock - MINUTE_MS);
    expect(early.body.from.checkpointSeq).toBeNull();
    expect(early.body.view).toEqual(plainView(log, history[0]!.clock - MINUTE_MS));
    expect(await footprint(server)).toEqual(before);
  });
});
