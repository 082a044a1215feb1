/** The duty figures on pure inputs: 接报及时率, median time to acknowledge, 信息报送及时率 per shift and per month. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '@shared/config';
import { dutyFigures, monthWindow, periodFigures } from '@shared/duty/figures';
import type { DutyItem } from '@shared/duty/items';
import { handoverFigures } from '@shared/duty/report';
import { MINUTE_MS, shanghaiInstant } from '@shared/time';
import { newProjection, NO_DUTY_FIGURES } from '../../fixtures/projection';

const M = MINUTE_MS;
const env = newProjection().ctx.lifecycle.env;
const duty = DEFAULT_CONFIG.duty;
const T = shanghaiInstant('2026-11-23', '09:00');

/** A case item that began at `since`, acknowledged `ack` minutes later, reported by phone / in writing after `phone` / `written` minutes. */
function caseItem(
  id: string,
  since: number,
  ack: number | null,
  phone: number | null = null,
  written: number | null = null,
): DutyItem {
  const s = (m: number | null) => (m === null ? null : { at: since + m * M, by: '李娜' });
  return {
    id,
    kind: 'case',
    level: 'bad',
    text: id,
    caseId: id,
    alertId: null,
    link: null,
    post: null,
    since,
    openedAt: since,
    escalations: [],
    ack: s(ack),
    reports: { phone: s(phone), written: s(written) },
    resolved: null,
  };
}

describe('when a shift has items acknowledged on time, late and not at all', () => {
  // Limits of a case: acknowledge 5 min, first report 30, written 60.
  const items = [
    caseItem('a', T, 2, 10, 50), // all met
    caseItem('b', T + 10 * M, 4, 40), // ack met; first report late; written past due at 12:00
    caseItem('c', T + 20 * M, 9), // ack late; both reports past due
    caseItem('d', T + 170 * M, null), // 11:50, still within its 5 minutes at 11:52: not judged yet
    caseItem('e', T - 60 * M, 1, 2, 3), // before the shift
  ];

  it('then 接报及时率 counts only settled limits, the median is over the acknowledged, and 信息报送及时率 over each report limit', () => {
    const f = dutyFigures(items, duty, env, T, T + 9 * 60 * M, T + 172 * M);
    expect(f).toEqual({
      items: 4,
      ackJudged: 3,
      ackOnTime: 2,
      ackTimely: 2 / 3,
      medianAckMin: 4,
      reportJudged: 6,
      reportOnTime: 2,
      reportTimely: 2 / 6,
    });
  });

  it("then once the last item's limit runs out unacknowledged it counts as late (a desk nobody answers scores 0)", () => {
    const f = dutyFigures([caseItem('d', T, null)], duty, env, T, T + 60 * M, T + 61 * M);
    expect(f).toEqual({
      items: 1,
      ackJudged: 1,
      ackOnTime: 0,
      ackTimely: 0,
      medianAckMin: null,
      reportJudged: 2,
      reportOnTime: 0,
      reportTimely: 0,
    });
  });

  it('then with no items nothing is judged: the shares and the median are null', () => {
    expect(dutyFigures([], duty, env, T, T + M, T + M)).toEqual(NO_DUTY_FIGURES);
  });
});

describe('when the figures are asked per shift and per month', () => {
  it('then the month runs from its first midnight in Shanghai and takes every item of the month, the shift only its own', () => {
    expect(monthWindow(shanghaiInstant('2026-12-31', '23:59'))).toEqual({
      month: '2026-12',
      from: shanghaiInstant('2026-12-01', '00:00'),
      to: shanghaiInstant('2027-01-01', '00:00'),
    });
    const items = [
      caseItem('x', shanghaiInstant('2026-11-01', '00:10'), 7),
      caseItem('y', T, 1),
      caseItem('z', shanghaiInstant('2026-10-31', '23:50'), 1),
    ];
    const f = periodFigures(
      items,
      duty,
      env,
      { name: '白班', start: shanghaiInstant('2026-11-23', '08:30'), end: shanghaiInstant('2026-11-23', '17:30') },
      T + 60 * M,
    );
    expect(f.shift).toMatchObject({ name: '白班', items: 1, ackTimely: 1, medianAckMin: 1 });
    expect(f.month).toMatchObject({
      month: '2026-11',
      items: 2,
      ackJudged: 2,
      ackOnTime: 1,
      ackTimely: 0.5,
      medianAckMin: 4,
    });
  });
});

describe("when a month's handovers are judged while shift changes are recent", () => {
  // Signing is due 30 minutes after the change.
  const end = T;
  const changes = [
    { end: end - 120 * M, times: { submittedAt: end - 115 * M, signedAt: end - 100 * M } }, // in time
    { end: end - 60 * M, times: { submittedAt: end - 55 * M, signedAt: end - 20 * M } }, // 40 minutes: late
    { end: end - 50 * M, times: undefined }, // never submitted, limit past
    { end: end - 10 * M, times: { submittedAt: end - 5 * M, signedAt: null } }, // unsigned, within the limit
    { end: end - 5 * M, times: undefined }, // not submitted yet, within the limit
    { end: end + 60 * M, times: undefined }, // not yet happened
  ];

  it('then a record signed past the limit is late, an unsigned one only once the limit is past, a change to come not counted', () => {
    expect(handoverFigures(changes, duty, end)).toEqual({
      changes: 5,
      submitted: 3,
      signed: 2,
      signedLate: 1,
      unsignedLate: 1,
    });
    // 26 minutes on, both recent changes are past their limit unsigned (the last one since a minute).
    expect(handoverFigures(changes, duty, end + 26 * M)).toMatchObject({ changes: 5, unsignedLate: 3 });
  });
});
