import { describe, expect, it } from 'vitest';
import { percentText } from '@shared/percent';

describe('when a rate is written as a percentage', () => {
  it('then it is cut toward zero, so no figure shows a target or 100% the rate does not reach', () => {
    expect(percentText(0.9496)).toBe('94.9%');
    expect(percentText(299 / 300)).toBe('99.6%');
    expect(percentText(299 / 300, 0)).toBe('99%');
    expect(percentText(0.99999)).toBe('99.9%');
  });

  it('then a rate on a step stays on it, whatever its binary form', () => {
    expect(percentText(0.95)).toBe('95.0%');
    expect(percentText(0.951)).toBe('95.1%');
    expect(percentText(186 / 198)).toBe('93.9%');
    expect(percentText(0.07)).toBe('7.0%');
    expect(percentText(1)).toBe('100.0%');
    expect(percentText(0)).toBe('0.0%');
    expect(percentText(0.123456, 2)).toBe('12.34%');
    expect(percentText(0.29, 2)).toBe('29.00%');
  });

  it('then a fall is cut toward zero too', () => {
    expect(percentText(-0.0512)).toBe('-5.1%');
  });
});
