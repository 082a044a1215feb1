/**
 * A space's dedupe filter grows with its log in stages, so "certainly new" stays the common answer after years of
 * events: a single filter of fixed size saturates (a year of a busy district's ids answered "maybe" for about one new
 * id in ten, each then a lookup in the log's index).
 */
import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { projectionContext } from '../../server/app';
import { decodeCheckpoint, encodeCheckpoint } from '../../server/checkpoint';
import {
  BloomFilter,
  SEEN_LOG2_BITS,
  SeenFilter,
  seenLog2Bits,
  sharedSeen,
  stageCapacity,
} from '../../server/ingest/bloom';
import { addId } from '../../server/ingest/bloomBits.mjs';
import { DEFAULT_CONFIG } from '@shared/config';
import { createProjection } from '@shared/projection/state';

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}-${(i * 7919) % 997}`);
const falsePositives = (f: { mightHave(s: string): boolean }, probes: readonly string[]) =>
  probes.filter((s) => f.mightHave(s)).length / probes.length;

describe('when ids keep coming past what one stage holds', () => {
  // Stages of 2^12 bits (409 ids each) stand for the 8 MiB ones, so years of ids fit in a test.
  const added = ids('seen', 3_000);
  const staged = new SeenFilter([], 0, 12);
  for (const id of added) staged.add(id);
  const single = new BloomFilter(12);
  for (const id of added) single.add(id);
  const probes = ids('never', 20_000);

  it('then new stages start as each fills, and every id added is still found', () => {
    expect(stageCapacity(12)).toBe(409);
    expect(staged.shape()).toMatchObject({ stages: Array(8).fill(12), lastIds: 3_000 - 7 * 409 });
    expect(added.every((id) => staged.mightHave(id))).toBe(true);
  });

  it('then new ids are still mostly "certainly new", where one filter of a stage\'s size says "maybe" to nearly all', () => {
    // Each full stage answers "maybe" to about 0.8% of new ids (10 bits an id, 7 hashes): eight stages, under 7%.
    expect(falsePositives(staged, probes)).toBeLessThan(0.07);
    expect(falsePositives(single, probes)).toBeGreaterThan(0.9);
  });
});

describe('when the first stage was sized for a whole log', () => {
  it('then the stages after it have the default size, not its size', () => {
    const f = new SeenFilter([new BloomFilter(13)], stageCapacity(13) - 1, 12);
    for (const id of ids('after', 2)) f.add(id);
    expect(f.shape()).toMatchObject({ stages: [13, 12], lastIds: 1 });
  });
});

describe('when a filter is sized for a whole log filled on a thread', () => {
  it('then it has bits enough for every id, and new ids fill it before a stage of the default size starts', () => {
    expect(seenLog2Bits(0)).toBe(SEEN_LOG2_BITS);
    expect(seenLog2Bits(stageCapacity(26))).toBe(26);
    expect(seenLog2Bits(stageCapacity(26) + 1)).toBe(27);
    // A replayed year: 12.2 million ids.
    expect(seenLog2Bits(12_209_818)).toBe(27);
    expect(sharedSeen(12_209_818).words.byteLength).toBe(2 ** 24);
    const shared = sharedSeen(1_000);
    const bits = new Uint32Array(shared.words);
    for (const id of ids('log', 1_000)) addId(bits, shared.mask, shared.hashes, id);
    const f = SeenFilter.fromShared(shared, 1_000);
    expect(f.shape()).toMatchObject({ stages: [26], lastIds: 1_000 });
    expect(ids('log', 1_000).every((id) => f.mightHave(id))).toBe(true);
    expect(f.mightHave('log-never')).toBe(false);
  });
});

describe('when a filter of several stages is checkpointed', () => {
  const ctx = projectionContext(DEFAULT_CONFIG);
  const seen = new SeenFilter([new BloomFilter(13), new BloomFilter(12)], 0, 12);
  const added = ids('cp', 900);
  for (const id of added) seen.add(id);
  /** The full stages stored beside the checkpoints, as the case read model keeps them. */
  const stored = new Map<number, Uint8Array>();
  const store = () => {
    const list = seen.unsavedStages();
    for (const st of list) stored.set(st.idx, st.bits);
    seen.stagesSaved(Math.max(0, ...list.map((st) => st.idx + 1)));
    return list.map((st) => st.idx);
  };
  const decode = (body: Buffer) =>
    decodeCheckpoint(body, ctx, (filter, idx) => (filter === seen.id ? stored.get(idx) : undefined)).seen;

  it('then the body carries the last stage only, and each full stage is stored once', () => {
    // The first stage came full; 409 ids fill each stage of 2^12 bits after it.
    expect(seen.shape()).toMatchObject({ id: seen.id, stages: [13, 12, 12, 12], lastIds: 900 - 2 * 409 });
    const body = encodeCheckpoint(createProjection('drill-seen', ctx), seen, 900);
    const raw = inflateRawSync(body);
    expect(raw.byteLength - 4 - raw.readUInt32LE(0)).toBe(512);
    // Each a copy in memory of its own (the writer's thread takes it): the filter's bits stay where they are.
    const copies = seen.unsavedStages();
    expect(copies.map((st) => st.bits.buffer === seen.bytes()[st.idx]!.buffer)).toEqual([false, false, false]);
    copies[0]!.bits.fill(0);
    expect(added.every((id) => seen.mightHave(id))).toBe(true);
    expect(store()).toEqual([0, 1, 2]);
    expect(store()).toEqual([]);
  });

  it('then it comes back with the same stages, bits and fill, the full ones read where they are stored', () => {
    const back = decode(encodeCheckpoint(createProjection('drill-seen', ctx), seen, 900));
    expect(back.shape()).toEqual(seen.shape());
    expect(back.bytes().map((b) => Buffer.from(b).toString('base64'))).toEqual(
      seen.bytes().map((b) => Buffer.from(b).toString('base64')),
    );
    expect(added.every((id) => back.mightHave(id))).toBe(true);
    // Restored, its full stages are known stored: the next checkpoint stores none again.
    expect(back.unsavedStages()).toEqual([]);
  });

  it('then a later checkpoint, with a new full stage since, stores that one alone and holds every id', () => {
    const more = ids('cp-more', 500);
    for (const id of more) seen.add(id);
    expect(seen.shape().stages).toEqual([13, 12, 12, 12, 12]);
    const body = encodeCheckpoint(createProjection('drill-seen', ctx), seen, 1_400);
    expect(store()).toEqual([3]);
    const after = decode(body);
    expect(Buffer.concat(after.bytes()).equals(Buffer.concat(seen.bytes()))).toBe(true);
    expect([...added, ...more].every((id) => after.mightHave(id))).toBe(true);
  });

  it('then a full stage that is not stored, or not of its size, makes the checkpoint unusable, saying which', () => {
    const body = encodeCheckpoint(createProjection('drill-seen', ctx), seen, 1_400);
    expect(() => decodeCheckpoint(body, ctx, () => undefined)).toThrow(/full stage 0 is not stored/);
    const flipped = (idx: number) => {
      const b = new Uint8Array(stored.get(idx)!);
      if (idx === 2) b[7] = b[7]! ^ 0x10;
      return b;
    };
    expect(() => decodeCheckpoint(body, ctx, (_f, idx) => flipped(idx))).toThrow(
      /full stage 2 as stored is corrupt \(checksum mismatch\)/,
    );
    expect(() => decodeCheckpoint(body, ctx, (_f, idx) => (idx === 0 ? new Uint8Array(512) : stored.get(idx)))).toThrow(
      /full stage 0 has 512 bytes, not the 1024 of 2\^13 bits/,
    );
    // A review leaves the filter out.
    expect(decodeCheckpoint(body, ctx, 'skip').seen.shape().stages).toEqual([9]);
  });

  it('then a shape that is not one is refused, with what is wrong', () => {
    const last = new Uint8Array(512);
    const full = () => new Uint8Array(512);
    expect(() => SeenFilter.restore({ id: 'x', stages: [12, 12], lastIds: 0, sums: [] }, last, full)).toThrow(
      /names 1 full stage\(s\) but gives the sums of 0/,
    );
    expect(() => SeenFilter.restore({ id: 'x', stages: [], lastIds: 0, sums: [] }, last, full)).toThrow(/no stage/);
    expect(() => SeenFilter.restore({ id: '', stages: [12], lastIds: 0, sums: [] }, last, full)).toThrow(/no id/);
    expect(() => SeenFilter.restore({ id: 'x', stages: [12], lastIds: -1, sums: [] }, last, full)).toThrow(
      /last filter stage holds -1 ids: not a count/,
    );
    expect(() =>
      SeenFilter.restore({ id: 'x', stages: ['12'] as unknown as number[], lastIds: 0, sums: [] }, last, full),
    ).toThrow(/a filter stage of 2\^"12" bits/);
    expect(() => SeenFilter.restore({ id: 'x', stages: [13], lastIds: 0, sums: [] }, last, full)).toThrow(
      /last stage 0 has 512 bytes, not the 1024/,
    );
    expect(() => SeenFilter.fromShared({ ...sharedSeen(), mask: 2 ** 20 - 1 }, 0)).toThrow(/not one sharedSeen made/);
  });
});
