/** Text cut to a length the product's fields hold. */

/** `s` cut to at most `max` UTF-16 units, never between the two halves of a character (an emoji stays whole or goes). */
export function cutText(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = s.slice(0, max);
  return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
}
