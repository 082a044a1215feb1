/**
 * A checkpoint's body is deflated a piece at a time: the text inside is still exactly the JSON the checkpoint has always
 * held (so bodies written before read the same), and it decodes to the projection it was made from.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { projectionContext } from '../../server/app';
import { decodeCheckpoint, encodeCheckpoint } from '../../server/checkpoint';
import { SeenFilter } from '../../server/ingest/bloom';
import { DEFAULT_CONFIG } from '@shared/config';
import { emptyCaseCounts, type CaseCounts } from '@shared/kpi/rates';
import { packShare, unpackShare } from '@shared/projection/day';
import { validateEvent } from '@shared/events';
import { applyEvent } from '@shared/projection/apply';
import { createProjection, type SpaceProjection } from '@shared/projection/state';
import { buildWallView } from '@shared/projection/view';
import { DAY_MS, shanghaiMidnight } from '@shared/time';
import { generateEvents } from '../../simulators/day';

const ctx = projectionContext(DEFAULT_CONFIG);
const FROM = shanghaiMidnight('2026-10-20');
const END = FROM + 12 * DAY_MS;

/** Twelve days of a district folded in memory: thousands of cases, open and closed, days, calls, items. */
function folded(): { p: SpaceProjection; seen: SeenFilter; seq: number } {
  const p = createProjection('drill-enc', ctx);
  const seen = new SeenFilter();
  let seq = 0;
  for (const raw of generateEvents({ seed: 11, from: FROM, to: END, casesPerDay: 400 })) {
    const v = validateEvent(raw);
    if (!v.ok) throw new Error(`invalid generated event: ${JSON.stringify(v.errors)}`);
    if (applyEvent(p, v.event) === null) {
      seen.add(v.event.eventId);
      seq++;
    }
  }
  return { p, seen, seq };
}

/**
 * The JSON text of a checkpoint as written in one piece (the layout every checkpoint of format 3 has): the projection's
 * state with its collections as `$m` / `$s` lists, and each day's unit shares packed as `[unit, ...counts]` in the
 * order of `CaseCounts`' fields.
 */
function wholeJson(p: SpaceProjection, seen: SeenFilter, seq: number): string {
  const state: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (!['ctx', 'archive', 'replaying'].includes(k)) state[k] = v;
  const fields = Object.keys(emptyCaseCounts()) as (keyof CaseCounts)[];
  const days = new Map(
    [...p.days].map(([key, d]) => [
      key,
      {
        ...d,
        unitShares: new Map(
          [...d.unitShares].map(([id, list]) => [id, list.map((s) => [s.unit, ...fields.map((f) => s.counts[f])])]),
        ),
      },
    ]),
  );
  return JSON.stringify({ format: 3, seq, seen: seen.shape(), state: { ...state, days } }, (_k, v: unknown) =>
    v instanceof Map ? { $m: [...v] } : v instanceof Set ? { $s: [...v] } : v,
  );
}

describe('when a projection of thousands of cases is checkpointed', () => {
  const { p, seen, seq } = folded();
  const body = encodeCheckpoint(p, seen, seq);
  const raw = inflateRawSync(body);
  const len = raw.readUInt32LE(0);

  it('then the body holds the JSON written in one piece, then the dedupe filter', () => {
    const expected = wholeJson(p, seen, seq);
    // Several pieces of a million characters each, so the joins between pieces are exercised.
    expect(expected.length).toBeGreaterThan(3 * 2 ** 20);
    expect(len).toBe(Buffer.byteLength(expected, 'utf8'));
    expect(raw.subarray(4, 4 + len).toString('utf8')).toBe(expected);
    expect(seen.shape()).toMatchObject({ stages: [26], lastIds: seq });
    expect(Buffer.compare(raw.subarray(4 + len), Buffer.from(seen.bytes()[0]!))).toBe(0);
  });

  it('then it decodes to the same projection, wall view and filter', () => {
    const restored = decodeCheckpoint(body, ctx, () => undefined);
    expect(restored.seq).toBe(seq);
    expect(restored.projection.cases.size).toBeGreaterThan(3_000);
    expect(restored.projection.open.size).toBeGreaterThan(100);
    expect(restored.projection.cases).toEqual(p.cases);
    expect(restored.projection.days).toEqual(p.days);
    // The shares came back as what an exemption subtracts: thousands of them, with counts in them.
    const shares = [...p.days.values()].flatMap((d) => [...d.unitShares.values()].flat());
    expect(shares.length).toBeGreaterThan(1_000);
    expect(shares.some((s) => s.counts.signedOnTime > 0 && s.counts.closed > 0)).toBe(true);
    expect(restored.projection.calls).toEqual(p.calls);
    expect(restored.projection.items).toEqual(p.items);
    const meta = { spaceKind: 'drill' as const, clockRate: 1 };
    expect(JSON.stringify(buildWallView(restored.projection, END, meta))).toBe(
      JSON.stringify(buildWallView(p, END, meta)),
    );
    expect(restored.seen.shape()).toEqual(seen.shape());
    expect(Buffer.compare(Buffer.from(restored.seen.bytes()[0]!), Buffer.from(seen.bytes()[0]!))).toBe(0);
  });

  it('then the body is deflated about as small as in one piece', () => {
    // A piece starts without the previous one's window (32 KB of a million): the body grows by a few bytes a piece.
    const whole = deflateRawSync(
      Buffer.concat([Buffer.alloc(4), Buffer.from(wholeJson(p, seen, seq)), seen.bytes()[0]!]),
      {
        level: 1,
      },
    );
    expect(body.length).toBeLessThan(whole.length * 1.01);
  });
});

describe('when a unit share is packed for a checkpoint', () => {
  it('then it unpacks to the same counts, and anything else is refused with what a share is', () => {
    const counts = { ...emptyCaseCounts(), dispatched: 1, signed: 1, signedOnTime: 1, reopened: 2 };
    const packed = packShare({ unit: 'st-guanshan', counts });
    expect(packed).toHaveLength(Object.keys(counts).length + 1);
    expect(unpackShare(JSON.parse(JSON.stringify(packed)))).toEqual({ unit: 'st-guanshan', counts });
    expect(() => unpackShare(['st-guanshan', 1, 2])).toThrow(/a unit share is \[unit, 17 counts\]/);
    expect(() => unpackShare({ unit: 'st-guanshan', counts })).toThrow(/a unit share is/);
    expect(() => unpackShare([7, ...Object.values(counts)])).toThrow(/a unit share is/);
  });
});

describe('when a checkpoint holds collections inside plain values and a key named __proto__', () => {
  it('then they decode as they were, the key an own property and no prototype changed', () => {
    const p = createProjection('drill-keys', ctx);
    const odd = JSON.parse('{"__proto__": {"x": 1}, "list": [{"a": 1}]}') as Record<string, unknown>;
    Object.defineProperty(odd, '__proto__', {
      value: new Map([['k', new Set(['a', 'b'])]]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
    odd.list = [{ inner: new Map([[1, { deep: new Set([2]) }]]) }];
    const withOdd = Object.assign(p, { odd }) as SpaceProjection & { odd: Record<string, unknown> };
    const back = decodeCheckpoint(encodeCheckpoint(withOdd, new SeenFilter(), 3), ctx, () => undefined)
      .projection as SpaceProjection & {
      odd: Record<string, unknown>;
    };
    expect(Object.getPrototypeOf(back.odd)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(back.odd, '__proto__')?.value).toEqual(
      new Map([['k', new Set(['a', 'b'])]]),
    );
    expect(back.odd.list).toEqual([{ inner: new Map([[1, { deep: new Set([2]) }]]) }]);
  });
});
