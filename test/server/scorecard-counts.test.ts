/**
 * What the units' scorecards add up, case by case: every evaluation of a case evaluated again after a reopen, a reply
 * judged when it was made (rework on a restarted clock is not lateness), no on-time sign-for without a sign-for, and
 * merged duplicates left out (their master counts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINUTE_MS } from '@shared/time';
import { unitCounts } from '../../server/cases/scorecards';
import { caseEvent, received, T0 } from '../fixtures/events';
import { post, startTestServer, type TestServer } from '../../harness/server';

const at = (m: number) => T0 + m * MINUTE_MS;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(at(600), undefined, undefined, { monitorMs: 3_600_000 });
  const dispatched = (id: string, m: number) => caseEvent('case.dispatched', id, at(m), { unit: 'cgzf' });
  const events = [
    // A: answered, called back, evaluated unsatisfied, reopened, answered again, evaluated satisfied, closed.
    received('A', { ts: at(0) }),
    dispatched('A', 1),
    caseEvent('case.signed', 'A', at(2)),
    caseEvent('case.replied', 'A', at(30), { reply: '已处理' }),
    caseEvent('case.called_back', 'A', at(40)),
    caseEvent('case.evaluated', 'A', at(41), { rating: 'unsatisfied' }),
    caseEvent('case.reopened', 'A', at(42), { reason: '不满意' }),
    caseEvent('case.signed', 'A', at(43)),
    caseEvent('case.replied', 'A', at(60), { reply: '已重办' }),
    caseEvent('case.called_back', 'A', at(70)),
    caseEvent('case.evaluated', 'A', at(71), { rating: 'satisfied' }),
    caseEvent('case.closed', 'A', at(72)),
    // B: answered in time, then sent back by the quality check: being reworked, on a new clock.
    received('B', { ts: at(0) }),
    dispatched('B', 1),
    caseEvent('case.signed', 'B', at(2)),
    caseEvent('case.replied', 'B', at(30), { reply: '已处理' }),
    caseEvent('case.quality_checked', 'B', at(31), { passed: false, reason: '答复不完整' }),
    // C: a duplicate of A, merged after its dispatch and before any sign-for.
    received('C', { ts: at(0) }),
    dispatched('C', 1),
    caseEvent('case.merged', 'C', at(3), { masterCaseId: 'A' }),
    // D: dispatched, not signed for yet.
    received('D', { ts: at(0) }),
    dispatched('D', 1),
  ];
  const r = await post(server.url, { space: 'live', events }, 'admin-token');
  expect(r.json).toMatchObject({ accepted: events.length, rejectedCount: 0, quarantined: [] });
});

afterAll(async () => {
  await server.dispose();
});

describe('when the units are counted over cases that were reopened, reworked, merged or not yet signed for', () => {
  it('then each count is what those cases did', async () => {
    const counts = await unitCounts(server.app.cases.sql(), 'live', {
      from: at(-60),
      to: at(24 * 60),
      label: '2026-11',
    });
    expect(counts.get('cgzf')).toMatchObject({
      // A, B and D: C is A's duplicate.
      received: 3,
      dispatched: 3,
      signed: 2,
      signedOnTime: 2,
      replied: 2,
      // B's reply was in time; its rework runs on a new clock and is not late.
      repliedOnTime: 2,
      // Both of A's evaluations, one of them satisfied (the wall counts them so too).
      evaluated: 2,
      satisfied: 1,
      reopened: 1,
    });
  });
});
