/** Types of `bloomBits.mjs` (the dedupe filter's bit arithmetic). */

/** Sets the bits of one string, given its hash pair, in a filter's words. */
export function setBits(bits: Uint32Array, mask: number, hashes: number, h1: number, h2: number): void;

/** Whether every bit of one string, given its hash pair, is set. */
export function hasBits(bits: Uint32Array, mask: number, hashes: number, h1: number, h2: number): boolean;

/** Adds one string to a filter's words (its hash pair, then its bits). */
export function addId(bits: Uint32Array, mask: number, hashes: number, s: string): void;

/** Two independent 32-bit hashes of a string, written at `out[at]` and `out[at + 1]`. */
export function hashPairInto(s: string, out: Uint32Array, at: number): void;
