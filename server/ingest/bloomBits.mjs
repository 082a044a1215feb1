/**
 * The dedupe filter's bit arithmetic, in plain JavaScript: the main thread (`bloom.ts`) and the threads that fill a
 * filter (`seenBuilder.ts`, the SQLite log reader, `seenFill.worker.mjs`) run this very code, so every thread sets the same bits.
 */

/** Sets the bits of one string, given its hash pair, in a filter's words. */
export function setBits(bits, mask, hashes, h1, h2) {
  for (let i = 0; i < hashes; i++) {
    const bit = (h1 + Math.imul(i, h2)) & mask;
    bits[bit >>> 5] |= 1 << (bit & 31);
  }
}

/** Whether every bit of one string, given its hash pair, is set (the same bits `setBits` sets). */
export function hasBits(bits, mask, hashes, h1, h2) {
  for (let i = 0; i < hashes; i++) {
    const bit = (h1 + Math.imul(i, h2)) & mask;
    if ((bits[bit >>> 5] & (1 << (bit & 31))) === 0) return false;
  }
  return true;
}

/** The hash pair of the id `addId` is adding (filled and read at once, never held). */
const pair = new Uint32Array(2);

/** Adds one string to a filter's words: its hash pair, then its bits (every thread that fills a filter adds this way). */
export function addId(bits, mask, hashes, s) {
  hashPairInto(s, pair, 0);
  setBits(bits, mask, hashes, pair[0], pair[1]);
}

/**
 * Two independent 32-bit FNV-1a style hashes of a string (double hashing), written at `out[at]` and `out[at + 1]`: no
 * array is made per string (a start hashes every event id of the log, ingest every id it is sent).
 */
export function hashPairInto(s, out, at) {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  out[at] = a >>> 0;
  out[at + 1] = (b | 1) >>> 0;
}
