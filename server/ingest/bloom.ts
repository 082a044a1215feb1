/**
 * Bloom filters over event ids: "certainly new" answers skip the store lookup; "maybe seen" asks the store. The dedupe
 * filter of a space (`SeenFilter`) grows with its log in stages, so it stays useful for years: one filter of 2^26 bits
 * (8 MiB) and 7 hashes, filled with a year's 12.2 million ids, answered "maybe" for 10.5–15.2% of new ids in runs on a
 * replayed year (each a lookup in the log's index; 9.5% in theory), and would for more than half after two years.
 */

import { createHash, randomUUID } from 'node:crypto';
import type { SharedSeen } from '../store/types';
import { addId, hasBits, hashPairInto } from './bloomBits.mjs';

export { hashPairInto, setBits } from './bloomBits.mjs';

/** Size of a dedupe filter's stage, log2 of its bits (2^26 bits, 8 MiB). */
export const SEEN_LOG2_BITS = 26;
/** Hashes per string of the dedupe filter. */
export const SEEN_HASHES = 7;
/**
 * Bits per id a stage is filled to before the next one starts: with 7 hashes, about 0.8% false positives when full (a
 * stage of 2^26 bits takes 6.7 million ids; a year of a busy district's log, some 12 million, two stages, or one of
 * 2^27 bits when a start fills it from the whole log).
 */
export const SEEN_BITS_PER_ID = 10;

/** The hash pair of a filter's lookups (filled and read at once, never held). */
const pair = new Uint32Array(2);

/** log2 of the bits of a filter made to hold `ids` ids at `SEEN_BITS_PER_ID` (never less than a default stage). */
export function seenLog2Bits(ids: number): number {
  let log2 = SEEN_LOG2_BITS;
  // 2^32 bits (512 MiB, 429 million ids) at most: a bit's index is a 32-bit integer.
  while (log2 < 32 && 2 ** log2 < ids * SEEN_BITS_PER_ID) log2++;
  return log2;
}

/**
 * Empty bits in shared memory of a filter for `ids` ids (at least a default stage), for a thread to fill
 * (`SeenFilter.fromShared` takes them once filled, `SeenFilter.filling` while they are).
 */
export function sharedSeen(ids = 0): SharedSeen {
  const log2 = seenLog2Bits(ids);
  return { words: new SharedArrayBuffer(2 ** (log2 - 3)), mask: 2 ** log2 - 1, hashes: SEEN_HASHES };
}

/** A Bloom filter of strings. */
export class BloomFilter {
  private readonly bits: Uint32Array;
  private readonly mask: number;
  /** log2 of the filter's bits. */
  readonly log2Bits: number;

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
    this.log2Bits = log2Bits;
  }

  /** The filter's bits as bytes (for a checkpoint). */
  toBytes(): Uint8Array {
    return new Uint8Array(this.bits.buffer, this.bits.byteOffset, this.bits.byteLength);
  }

  /**
   * A filter of `SEEN_HASHES` hashes from the bytes `toBytes` gave, or those another thread filled (copied); its size
   * is theirs (a power of two of at least 64 bytes).
   */
  static fromBytes(bytes: Uint8Array): BloomFilter {
    const log2 = Math.log2(bytes.byteLength * 8);
    if (!Number.isInteger(log2) || log2 < 9)
      throw new Error(`a Bloom filter's bytes are a power of two of at least 64, not ${bytes.byteLength}`);
    const copy = new Uint32Array(bytes.byteLength / 4);
    new Uint8Array(copy.buffer).set(bytes);
    return new BloomFilter(log2, SEEN_HASHES, copy);
  }

  /** Sets every bit set in `words` (another filter's bits of the same size: the two then hold both's strings). */
  orWith(words: Uint32Array): void {
    if (words.length !== this.bits.length)
      throw new Error(`a filter of ${this.bits.length} words cannot take the bits of one of ${words.length}`);
    for (let i = 0; i < words.length; i++) this.bits[i]! |= words[i]!;
  }

  /** Whether every bit of a hash pair is set (a lookup that hashed the string already). */
  hasPair(h1: number, h2: number): boolean {
    return hasBits(this.bits, this.mask, this.hashes, h1, h2);
  }

  /** Adds a string. */
  add(s: string): void {
    addId(this.bits, this.mask, this.hashes, s);
  }

  /** False when the string was certainly never added. */
  mightHave(s: string): boolean {
    hashPairInto(s, pair, 0);
    return this.hasPair(pair[0]!, pair[1]!);
  }
}

/** log2 of the bits of shared words `sharedSeen` made (throws for any others). */
function checkShared(shared: SharedSeen): number {
  if (shared.hashes !== SEEN_HASHES || shared.mask !== shared.words.byteLength * 8 - 1)
    throw new Error(
      `a shared filter of ${shared.words.byteLength} bytes with mask ${shared.mask} and ${shared.hashes} hashes is not one sharedSeen made`,
    );
  return Math.log2(shared.words.byteLength * 8);
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Ids a stage of `log2` bits takes before the next stage starts. */
export function stageCapacity(log2: number): number {
  return Math.floor(2 ** log2 / SEEN_BITS_PER_ID);
}

/**
 * A dedupe filter's shape in a checkpoint: which filter it is (`id`: full stages are stored once, beside the
 * checkpoints, under it), its stages' sizes (log2 of bits, oldest first) and the ids in the last.
 */
export interface SeenShape {
  readonly id: string;
  readonly stages: readonly number[];
  readonly lastIds: number;
  /** The SHA-256 of each full stage's bits (hex), oldest first: the stored stages are checked against them. */
  readonly sums: readonly string[];
}

/** A full stage of a filter, to store beside the checkpoints: its index and a copy of its bits. */
export interface FullStage {
  readonly idx: number;
  readonly bits: Uint8Array;
}

/**
 * A space's dedupe filter: Bloom filters in stages, oldest first. Ids go into the last stage until it holds its
 * capacity (`SEEN_BITS_PER_ID`), then a new stage of the default size starts: 8 MiB more every 6.7 million ids, and
 * about 0.8% more false positives per full stage (a start with no checkpoint sizes one stage for the whole log). A
 * lookup hashes once and asks each stage, newest first. A full stage never changes again: a checkpoint carries the last
 * stage only, and each full one is stored once beside it (`unsavedStages`, `stagesSaved`).
 */
export class SeenFilter {
  private readonly stages: BloomFilter[];
  private lastIds: number;
  /** Ids the last stage takes. */
  private capacity: number;
  /** Leading full stages known stored beside the checkpoints. */
  private saved: number;
  /** The SHA-256 of each full stage's bits, computed once it is full (a full stage never changes). */
  private readonly sums: string[];
  /**
   * While a thread fills the first stage's ids from the log (`filling`): the words it sets, merged in by
   * `completeFill`. Until then every lookup answers "maybe", so every id is asked of the log's index.
   */
  private fill: SharedSeen | null = null;

  /**
   * A filter of the given stages (oldest first), `lastIds` ids in the last; an empty stage if none. New stages have
   * 2^`stageLog2` bits. `id` names it (a new one by default); `saved` full stages are stored already.
   */
  constructor(
    stages: readonly BloomFilter[] = [],
    lastIds = 0,
    private readonly stageLog2 = SEEN_LOG2_BITS,
    readonly id: string = randomUUID(),
    saved = 0,
    sums: readonly string[] = [],
  ) {
    this.stages = stages.length > 0 ? [...stages] : [new BloomFilter(stageLog2)];
    this.lastIds = stages.length > 0 ? lastIds : 0;
    this.capacity = stageCapacity(this.stages[this.stages.length - 1]!.log2Bits);
    this.saved = Math.min(saved, this.stages.length - 1);
    this.sums = sums.slice(0, this.stages.length - 1);
  }

  /** The filter a thread filled in `shared`, holding `ids` ids (copied into ordinary memory). */
  static fromShared(shared: SharedSeen, ids: number): SeenFilter {
    checkShared(shared);
    return new SeenFilter([BloomFilter.fromBytes(new Uint8Array(shared.words))], ids);
  }

  /**
   * A filter whose first stage (the size of `shared`) is to hold `ids` ids a thread is adding to `shared` meanwhile:
   * until `completeFill`, it answers "maybe" to every lookup, and it has no shape for a checkpoint. Ids added to it
   * meanwhile go into its stages as usual.
   */
  static filling(shared: SharedSeen, ids: number): SeenFilter {
    const f = new SeenFilter([new BloomFilter(checkShared(shared))], ids);
    f.fill = shared;
    return f;
  }

  /** Whether a thread is still filling it from the log (see `filling`). */
  get isFilling(): boolean {
    return this.fill !== null;
  }

  /** The thread filled the shared words: its ids join the first stage, and lookups answer from the bits again. */
  completeFill(): void {
    if (!this.fill) return;
    this.stages[0]!.orWith(new Uint32Array(this.fill.words));
    this.fill = null;
  }

  /**
   * The filter of a checkpoint: its shape, its last stage's bytes, and its full stages as stored (`full` gives a
   * stage's bytes, or undefined when it is not stored).
   */
  static restore(shape: SeenShape, last: Uint8Array, full: (idx: number) => Uint8Array | undefined): SeenFilter {
    if (typeof shape.id !== 'string' || shape.id === '') throw new Error('a filter with no id');
    if (!Array.isArray(shape.stages) || shape.stages.length === 0) throw new Error('a filter of no stage');
    if (!Number.isSafeInteger(shape.lastIds) || shape.lastIds < 0)
      throw new Error(`the last filter stage holds ${JSON.stringify(shape.lastIds)} ids: not a count`);
    if (!Array.isArray(shape.sums) || shape.sums.length !== shape.stages.length - 1)
      throw new Error(
        `the filter names ${shape.stages.length - 1} full stage(s) but gives the sums of ${String(shape.sums?.length)}`,
      );
    const stages = shape.stages.map((log2, idx) => {
      if (!Number.isInteger(log2) || log2 < 9 || log2 > 32)
        throw new Error(`a filter stage of 2^${JSON.stringify(log2)} bits: not a whole power from 2^9 to 2^32`);
      const isLast = idx === shape.stages.length - 1;
      const bytes = isLast ? last : full(idx);
      if (bytes === undefined) throw new Error(`the dedupe filter's full stage ${idx} is not stored`);
      if (bytes.byteLength !== 2 ** (log2 - 3))
        throw new Error(
          `the dedupe filter's ${isLast ? 'last' : `full`} stage ${idx} has ${bytes.byteLength} bytes, not the ${2 ** (log2 - 3)} of 2^${log2} bits`,
        );
      if (!isLast && sha256(bytes) !== shape.sums[idx])
        throw new Error(`the dedupe filter's full stage ${idx} as stored is corrupt (checksum mismatch)`);
      return BloomFilter.fromBytes(bytes);
    });
    return new SeenFilter(stages, shape.lastIds, SEEN_LOG2_BITS, shape.id, stages.length - 1, shape.sums);
  }

  /** Its shape, for a checkpoint (`lastBytes` gives its last stage's bits); none while it is filling. */
  shape(): SeenShape {
    if (this.fill)
      throw new Error('the dedupe filter is still being filled from the log: it cannot be checkpointed yet');
    for (let idx = this.sums.length; idx < this.stages.length - 1; idx++)
      this.sums.push(sha256(this.stages[idx]!.toBytes()));
    return { id: this.id, stages: this.stages.map((f) => f.log2Bits), lastIds: this.lastIds, sums: [...this.sums] };
  }

  /** The last stage's bits (for a checkpoint). */
  lastBytes(): Uint8Array {
    return this.stages[this.stages.length - 1]!.toBytes();
  }

  /** Each stage's bits, oldest first. */
  bytes(): Uint8Array[] {
    return this.stages.map((f) => f.toBytes());
  }

  /** The full stages not known stored yet, each with a copy of its bits (its own memory, free to hand to a thread). */
  unsavedStages(): FullStage[] {
    const out: FullStage[] = [];
    for (let idx = this.saved; idx < this.stages.length - 1; idx++)
      out.push({ idx, bits: new Uint8Array(this.stages[idx]!.toBytes()) });
    return out;
  }

  /** The full stages before `count` are stored (a write that carried them committed). */
  stagesSaved(count: number): void {
    this.saved = Math.max(this.saved, Math.min(count, this.stages.length - 1));
  }

  /** Adds an id (to the last stage; a new one first when it is full). */
  add(s: string): void {
    let last = this.stages[this.stages.length - 1]!;
    if (this.lastIds >= this.capacity) {
      last = new BloomFilter(this.stageLog2);
      this.stages.push(last);
      this.lastIds = 0;
      this.capacity = stageCapacity(last.log2Bits);
    }
    last.add(s);
    this.lastIds++;
  }

  /** False when the id was certainly never added (never while it is filling). */
  mightHave(s: string): boolean {
    if (this.fill) return true;
    hashPairInto(s, pair, 0);
    const h1 = pair[0]!;
    const h2 = pair[1]!;
    for (let i = this.stages.length - 1; i >= 0; i--) if (this.stages[i]!.hasPair(h1, h2)) return true;
    return false;
  }
}
