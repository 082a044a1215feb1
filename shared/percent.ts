/** How every page, wall and export of the product writes a rate as a percentage. */

/**
 * A rate (a fraction, 0–1) as a percentage with `digits` decimals, cut toward zero rather than rounded: a figure shown
 * never reaches a target or 100% the rate does not reach (0.9496 is "94.9%" beside a 95% target, in the target's
 * colour for a miss; 299 acknowledged in time of 300 is "99.6%", not "100%").
 */
export function percentText(rate: number, digits = 1): string {
  return `${percentValue(rate, digits).toFixed(digits)}%`;
}

/** The number `percentText` writes (a chart's bar beside a table's figure shows the same). */
export function percentValue(rate: number, digits = 1): number {
  const scale = 10 ** digits;
  // The nudge keeps a rate that sits on a step (0.951, stored as 0.95099…) on that step.
  return Math.trunc(rate * 100 * scale + (rate >= 0 ? 1e-6 : -1e-6)) / scale;
}
