/** Text as the product's fields hold it: whole characters (no half of a surrogate pair), cut to a length. */

/** `s` cut to at most `max` UTF-16 units, never between the two halves of a character (an emoji stays whole or goes). */
export function cutText(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = s.slice(0, max);
  return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** Half of a character outside the BMP without its other half (an unpaired UTF-16 surrogate). */
const UNPAIRED = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text whose surrogates all come in pairs (the pattern the event schemas check). An unpaired one is half of a
 * character: SQLite and the case rows keep it as U+FFFD, so what is read back is not what was sent.
 */
export const WELL_FORMED = /^(?:[^\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff])*$/;

/** Whether `s` holds half of a character. */
export function hasHalf(s: string): boolean {
  UNPAIRED.lastIndex = 0;
  return UNPAIRED.test(s);
}

/** `s` with each half of a character as `by`: U+FFFD by default, as a UTF-8 writer keeps it. */
export function withoutHalves(s: string, by = '\ufffd'): string {
  return s.replace(UNPAIRED, by);
}
