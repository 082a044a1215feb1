/**
 * The case list's filters as the query string gives them: a received-date bound names a day that exists, or the list
 * is refused with the field named — a typo such as 2026-13-45 must not roll over into another day and filter silently.
 */
import { describe, expect, it } from 'vitest';
import { parseCaseQuery } from '@shared/cases/query';
import { isDateKey, shanghaiMidnight } from '@shared/time';

describe('when a case list is bounded by received date', () => {
  it('then a day that exists is its Asia/Shanghai midnight', () => {
    const q = parseCaseQuery({ space: 'live', from: '2026-02-28', to: '2026-03-01' });
    expect(q.success && [q.data.from, q.data.to]).toEqual([
      shanghaiMidnight('2026-02-28'),
      shanghaiMidnight('2026-03-01'),
    ]);
    expect(shanghaiMidnight('2026-03-01') - shanghaiMidnight('2026-02-28')).toBe(86_400_000);
  });

  it('then a day that does not exist is refused, naming the field', () => {
    for (const [field, day] of [
      ['from', '2026-13-45'],
      ['to', '2026-02-30'],
      ['from', '2026-00-10'],
    ] as const) {
      const q = parseCaseQuery({ space: 'live', [field]: day });
      expect(q.success, `${field}=${day}`).toBe(false);
      expect(q.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
        [field, `"${day}" names a day that does not exist`],
      ]);
    }
  });

  it('then epoch milliseconds still pass as they are, and anything else is refused saying what was expected', () => {
    const q = parseCaseQuery({ space: 'live', from: '1796300000000' });
    expect(q.success && q.data.from).toBe(1_796_300_000_000);
    for (const bad of ['garbage', '-5', '1.5', '99999999999999']) {
      const r = parseCaseQuery({ space: 'live', to: bad });
      expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
        ['to', `"${bad}" is not a date YYYY-MM-DD or epoch ms`],
      ]);
    }
  });
});

describe('when a string is checked as a day', () => {
  it('then only real YYYY-MM-DD days pass', () => {
    expect(['2024-02-29', '2026-12-31', '2026-01-01'].map(isDateKey)).toEqual([true, true, true]);
    expect(['2026-02-29', '2026-02-30', '2026-13-01', '2026-12-32', '2026-1-01', 'abc', ''].map(isDateKey)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
