/**
 * A fixed-size Bloom filter over event ids: "certainly new" answers skip the store lookup; "maybe seen" asks the store.
 * 2^26 bits (8 MiB) and 7 hashes keep false positives near 1 in 10,000 at three million ids.
 */

import type { SharedSeen } from '../store/types';
import { addId, hashPairInto } from './bloomBits.mjs';

export { hashPairInto, setBits } from './bloomBits.mjs';

/** Size of the dedupe filter, log2 of its bits (2^26 bits, 8 MiB). */
export const SEEN_LOG2_BITS = 26;
/** Hashes per string of the dedupe filter. */
export const SEEN_HASHES = 7;

/** The hash pair of a filter's lookups (filled and read at once, never held). */
const pair = new Uint32Array(2);

/** Empty bits of a filter of the default size in shared memory, for a thread to fill (`BloomFilter.fromBytes` reads them). */
export function sharedSeen(): SharedSeen {
  return {
    words: new SharedArrayBuffer(2 ** (SEEN_LOG2_BITS - 3)),
    mask: 2 ** SEEN_LOG2_BITS - 1,
    hashes: SEEN_HASHES,
  };
}

/** A Bloom filter of strings. */
export class BloomFilter {
  private readonly bits: Uint32Array;
  private readonly mask: number;

  constructor(
    log2Bits = SEEN_LOG2_BITS,
    private readonly hashes = SEEN_HASHES,
    bits?: Uint32Array,
  ) {
    this.bits = bits ?? new Uint32Array(2 ** (log2Bits - 5));
    if (this.bits.length !== 2 ** (log2Bits - 5))
      throw new Error(
        `a Bloom filter of 2^${log2Bits} bits needs ${2 ** (log2Bits - 5)} words, not ${this.bits.length}`,
      );
    this.mask = 2 ** log2Bits - 1;
  }

  /** The filter's bits as bytes (for a checkpoint). */
  toBytes(): Uint8Array {
    return new Uint8Array(this.bits.buffer, this.bits.byteOffset, this.bits.byteLength);
  }

  /** A filter of the default size from the bytes `toBytes` gave, or those another thread filled (copied). */
  static fromBytes(bytes: Uint8Array): BloomFilter {
    const copy = new Uint32Array(bytes.byteLength / 4);
    new Uint8Array(copy.buffer).set(bytes);
    return new BloomFilter(SEEN_LOG2_BITS, SEEN_HASHES, copy);
  }

  /** Adds a string. */
  add(s: string): void {
    addId(this.bits, this.mask, this.hashes, s);
  }

  /** False when the string was certainly never added. */
  mightHave(s: string): boolean {
    hashPairInto(s, pair, 0);
    return hasBits(this.bits, this.mask, this.hashes, pair[0]!, pair[1]!);
  }
}

/** Whether every bit of one string, given its hash pair, is set (the same bits `setBits` sets). */
function hasBits(bits: Uint32Array, mask: number, hashes: number, h1: number, h2: number): boolean {
  for (let i = 0; i < hashes; i++) {
    const bit = (h1 + Math.imul(i, h2)) & mask;
    if ((bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
  }
  return true;
}
