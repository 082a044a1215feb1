/**
 * A space's dedupe filter grows with its log in stages, so "certainly new" stays the common answer after years of
 * events: a single filter of fixed size saturates (a year of a busy district's ids answered "maybe" for about one new
 * id in ten, each then a lookup in the log's index).
 */
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
    expect(staged.shape()).toEqual({ stages: Array(8).fill(12), lastIds: 3_000 - 7 * 409 });
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
    expect(f.shape()).toEqual({ stages: [13, 12], lastIds: 1 });
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
    expect(f.shape()).toEqual({ stages: [26], lastIds: 1_000 });
    expect(ids('log', 1_000).every((id) => f.mightHave(id))).toBe(true);
    expect(f.mightHave('log-never')).toBe(false);
  });
});

describe('when a filter of several stages is checkpointed', () => {
  const ctx = projectionContext(DEFAULT_CONFIG);
  const seen = new SeenFilter([new BloomFilter(13), new BloomFilter(12)], 0, 12);
  const added = ids('cp', 900);
  for (const id of added) seen.add(id);

  it('then it comes back with the same stages, bits and fill', () => {
    expect(seen.shape().stages).toEqual([13, 12, 12, 12]);
    const back = decodeCheckpoint(encodeCheckpoint(createProjection('drill-seen', ctx), seen, 900), ctx).seen;
    expect(back.shape()).toEqual(seen.shape());
    expect(back.bytes().map((b) => Buffer.from(b).toString('base64'))).toEqual(
      seen.bytes().map((b) => Buffer.from(b).toString('base64')),
    );
    expect(added.every((id) => back.mightHave(id))).toBe(true);
  });

  it('then a later checkpoint, the full stages reused and more ids since, holds every id', () => {
    const before = encodeCheckpoint(createProjection('drill-seen', ctx), seen, 900);
    const more = ids('cp-more', 500);
    for (const id of more) seen.add(id);
    expect(seen.shape().stages).toEqual([13, 12, 12, 12, 12]);
    const after = decodeCheckpoint(encodeCheckpoint(createProjection('drill-seen', ctx), seen, 1_400), ctx).seen;
    expect(after.shape()).toEqual(seen.shape());
    expect(Buffer.concat(after.bytes()).equals(Buffer.concat(seen.bytes()))).toBe(true);
    expect([...added, ...more].every((id) => after.mightHave(id))).toBe(true);
    // The earlier body still decodes to the filter as it was then.
    expect(decodeCheckpoint(before, ctx).seen.shape().stages).toEqual([13, 12, 12, 12]);
  });

  it('then stage bytes that do not match the shape are refused, with what was expected', () => {
    const bytes = Buffer.concat(seen.bytes().slice(0, 4));
    expect(bytes.byteLength).toBe(2560);
    expect(() => SeenFilter.fromBytes({ stages: [13, 12, 12], lastIds: 0 }, bytes)).toThrow(
      /take 2048 bytes, the checkpoint has 2560/,
    );
    expect(() => SeenFilter.fromBytes({ stages: [13, 12, 12, 12, 12], lastIds: 0 }, bytes)).toThrow(
      /need 3072 bytes, the checkpoint has 2560/,
    );
    expect(() => SeenFilter.fromBytes({ stages: [], lastIds: 0 }, bytes)).toThrow(/no stage/);
    expect(() => SeenFilter.fromBytes({ stages: [13, 12, 12, 12], lastIds: -1 }, bytes)).toThrow(
      /last filter stage holds -1 ids: not a count/,
    );
    expect(() =>
      SeenFilter.fromBytes({ stages: ['13', 12, 12, 12] as unknown as number[], lastIds: 0 }, bytes),
    ).toThrow(/a filter stage of 2\^"13" bits/);
    expect(() => SeenFilter.fromShared({ ...sharedSeen(), mask: 2 ** 20 - 1 }, 0)).toThrow(/not one sharedSeen made/);
  });
});
