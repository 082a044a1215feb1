import { describe, expect, it } from 'vitest';
import { applyPatch, diffValue } from '@shared/wall/patch';

const roundTrip = (a: unknown, b: unknown) => {
  const p = diffValue(a, b);
  return { p, out: p === undefined ? a : applyPatch(a, JSON.parse(JSON.stringify(p)) as NonNullable<typeof p>) };
};

describe('when a record in a sorted list changes and moves up', () => {
  const before = [
    { id: 'A1', cases: 9 },
    { id: 'A2', cases: 8 },
    { id: 'A3', cases: 7 },
    { id: 'A4', cases: 6 },
  ];
  const after = [
    { id: 'A1', cases: 9 },
    { id: 'A4', cases: 9 },
    { id: 'A2', cases: 8 },
    { id: 'A3', cases: 7 },
  ];

  it('then only that record is removed by id and inserted at its new index', () => {
    const { p, out } = roundTrip(before, after);
    expect(p).toEqual({ k: 'id', d: ['A4'], i: [[1, { id: 'A4', cases: 9 }]] });
    expect(out).toEqual(after);
  });

  it('then a record that changes in place is patched field by field', () => {
    const { p } = roundTrip(
      before,
      before.map((r) => (r.id === 'A3' ? { ...r, cases: 8 } : r)),
    );
    expect(p).toEqual({ k: 'id', u: [['A3', { o: { cases: 8 } }]] });
  });
});

describe('when a list has no identity field', () => {
  it('then numbers change by index, and a longer list appends', () => {
    expect(roundTrip([0, 1, 2], [0, 5, 2])).toEqual({ p: { k: null, u: [[1, 5]] }, out: [0, 5, 2] });
    expect(roundTrip([0, 1], [0, 1, 7]).p).toEqual({ k: null, i: [[2, 7]] });
    expect(roundTrip([0, 1, 2], [0]).p).toEqual({ k: null, d: [1, 2] });
  });

  it('then records with a repeated id fall back to positions and still round-trip', () => {
    const a = [
      { id: 'x', n: 1 },
      { id: 'x', n: 2 },
    ];
    const b = [
      { id: 'x', n: 2 },
      { id: 'x', n: 2 },
      { id: 'y', n: 0 },
    ];
    const { p, out } = roundTrip(a, b);
    expect(p).toMatchObject({ k: null });
    expect(out).toEqual(b);
  });
});

describe('when nothing of the old value is kept', () => {
  it('then the new value is sent whole', () => {
    expect(roundTrip([{ id: 'a' }], [{ id: 'b' }]).p).toEqual({ $: [{ id: 'b' }] });
    expect(roundTrip([1, 2], []).p).toEqual({ $: [] });
    expect(roundTrip(null, { shift: 'day' }).p).toEqual({ $: { shift: 'day' } });
    expect(roundTrip({ a: 1 }, { a: 1 }).p).toBeUndefined();
  });
});

describe('when a record has a field named __proto__ (a configured id could be)', () => {
  it('then it is patched as a plain field and no prototype changes', () => {
    const a = JSON.parse('{"byStreet":{"__proto__":{"open":1}}}') as Record<string, unknown>;
    const b = JSON.parse('{"byStreet":{"__proto__":{"open":2},"x":{"open":0}}}') as Record<string, unknown>;
    const { out } = roundTrip(a, b);
    expect(out).toEqual(b);
    const street = (out as { byStreet: object }).byStreet;
    expect(Object.getPrototypeOf(street)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(street, '__proto__')?.value).toEqual({ open: 2 });
  });
});
