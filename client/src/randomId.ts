/** Random ids made in the browser. */

/**
 * 32 random hex digits. `crypto.getRandomValues` works on any page; `crypto.randomUUID` only on HTTPS or localhost,
 * and a centre may open its screens over plain HTTP on its own network.
 */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
