import { describe, expect, it } from 'vitest';
import { spaceClockAt } from '@shared/projection/clock';
import { shanghaiInstant } from '@shared/time';

const WALL = shanghaiInstant('2026-11-24', '10:00');
const NEWEST = shanghaiInstant('2026-11-20', '15:30');

describe('when a space reads its clock', () => {
  it('then the live space reads the wall clock, whatever its newest event', () => {
    expect(spaceClockAt('live', NEWEST, WALL)).toBe(WALL);
    expect(spaceClockAt('live', null, WALL)).toBe(WALL);
  });

  it('then demo and drill spaces read their newest event time, and have no time before their first event', () => {
    expect(spaceClockAt('demo', NEWEST, WALL)).toBe(NEWEST);
    expect(spaceClockAt('drill', NEWEST, WALL)).toBe(NEWEST);
    expect(spaceClockAt('drill', null, WALL)).toBeNull();
  });
});
