import { describe, expect, it } from 'vitest';
import { Rng } from '../../simulators/random';

const draws = (rng: Rng, n: number, f: (r: Rng) => number) => Array.from({ length: n }, () => f(rng));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('when two streams share a seed', () => {
  it('then they draw the same numbers, and another seed draws others', () => {
    expect(draws(new Rng(42), 50, (r) => r.next())).toEqual(draws(new Rng(42), 50, (r) => r.next()));
    expect(draws(new Rng(42), 50, (r) => r.next())).not.toEqual(draws(new Rng(43), 50, (r) => r.next()));
    expect(draws(Rng.derive(42, 'calls'), 5, (r) => r.next())).not.toEqual(
      draws(Rng.derive(42, 'cases'), 5, (r) => r.next()),
    );
  });
});

describe('when drawing from the distributions', () => {
  const rng = new Rng('dist');
  it('then uniform values stay in [0, 1) and integers in their inclusive range', () => {
    const u = draws(rng, 10_000, (r) => r.next());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(mean(u)).toBeCloseTo(0.5, 1);
    const ints = new Set(draws(rng, 2_000, (r) => r.int(3, 6)));
    expect([...ints].sort()).toEqual([3, 4, 5, 6]);
  });

  it('then the means match: normal, lognormal, exponential, poisson, beta', () => {
    expect(mean(draws(rng, 20_000, (r) => r.normal(10, 2)))).toBeCloseTo(10, 1);
    expect(mean(draws(rng, 20_000, (r) => r.lognormal(240, 0.6)))).toBeGreaterThan(230);
    expect(mean(draws(rng, 20_000, (r) => r.lognormal(240, 0.6)))).toBeLessThan(250);
    expect(mean(draws(rng, 20_000, (r) => r.exponential(5)))).toBeCloseTo(5, 0);
    expect(mean(draws(rng, 20_000, (r) => r.poisson(3.5)))).toBeCloseTo(3.5, 1);
    expect(mean(draws(rng, 20_000, (r) => r.poisson(200)))).toBeCloseTo(200, 0);
    expect(mean(draws(rng, 20_000, (r) => r.beta(2, 3)))).toBeCloseTo(0.4, 1);
  });

  it('then a weighted pick follows the weights and never picks a zero weight', () => {
    const picks = draws(rng, 10_000, (r) =>
      r.weighted([
        [0, 1],
        [1, 3],
        [2, 0],
      ] as const),
    );
    expect(picks.filter((x) => x === 2)).toHaveLength(0);
    expect(picks.filter((x) => x === 1).length / picks.length).toBeCloseTo(0.75, 1);
  });
});
