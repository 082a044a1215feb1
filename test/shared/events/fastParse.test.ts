/**
 * The compiled fast path in front of the event schemas (`fastParse.ts`) against zod itself: whatever the fast path
 * accepts, zod accepts with the very same output (keys, their order, defaults); every event the simulators make takes
 * the fast path; what it declines is still judged (and explained) by zod.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { eventSchema, fastEvents, validateEvent, type DomainEventInput } from '@shared/events';
import { compileUnion } from '@shared/events/fastParse';
import { shanghaiInstant } from '@shared/time';
import { generateEvents } from '../../../simulators/day';
import { lifecycleEvents } from '../../../bench/events';

interface Def {
  readonly type: string;
  readonly checks?: readonly { readonly _zod: { readonly def: Record<string, unknown> } }[];
  readonly [k: string]: unknown;
}
type Schema = { readonly _zod: { readonly def: Def; readonly values?: ReadonlySet<unknown> } };
const defOf = (s: unknown): Def => (s as Schema)._zod.def;

/** Strings near a string schema's limits and patterns, valid or not: boundaries in units and in code points. */
function stringArb(def: Def): fc.Arbitrary<string> {
  let min = 0;
  let max = 200;
  for (const c of def.checks ?? []) {
    const d = c._zod.def;
    if (d.check === 'min_length') min = d.minimum as number;
    if (d.check === 'max_length') max = d.maximum as number;
  }
  const at = (n: number, unit: string) => unit.repeat(Math.max(0, n));
  return fc.oneof(
    fc.constantFrom(
      '',
      'a',
      'a b',
      ' ',
      '\u0000',
      '\ud800',
      '\udc00x',
      '😀',
      '12:30',
      '24:00',
      '24:61',
      '2026-12-03',
      '2026-1-3',
      'https://example.org/a.jpg',
      'http://x',
      'ftp://x',
      'https://a b',
      '受理编号HS2026',
      at(min, 'a'),
      at(min - 1, 'a'),
      at(max, 'a'),
      at(max + 1, 'a'),
      at(max, '😀'),
      at(Math.ceil(max / 2), '😀'),
      at(min, '😀'),
      at(min * 2 - 1, 'x') + '\ud83d',
      at(max, '字'),
    ),
    fc.string({ maxLength: Math.min(max + 2, 80) }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
  );
}

function numberArb(def: Def): fc.Arbitrary<number> {
  const bounds: number[] = [];
  for (const c of def.checks ?? []) {
    const v = c._zod.def.value;
    if (typeof v === 'number') bounds.push(v, v - 1, v + 1, v - 0.5, v + 0.5);
  }
  return fc.oneof(
    fc.constantFrom(0, -0, 1, 1.5, -1, NaN, Infinity, -Infinity, 2 ** 53, 2 ** 53 + 2, -(2 ** 53) - 2, ...bounds),
    fc.integer(),
    fc.double(),
    fc.integer({ min: 946_684_800_000, max: 4_102_444_800_000 }),
  );
}

/** Values of any other type, to put where a schema expects its own. */
const stray = fc.constantFrom<unknown>(null, undefined, 0, '', 'x', true, [], {}, [1], { a: 1 });

/** Values for a schema, mostly near valid, some of the wrong kind. */
function arbFor(schema: unknown, depth = 0): fc.Arbitrary<unknown> {
  const s = schema as Schema;
  const def = s._zod.def;
  const own = ((): fc.Arbitrary<unknown> => {
    switch (def.type) {
      case 'string':
        return stringArb(def);
      case 'number':
        return numberArb(def);
      case 'boolean':
        return fc.boolean();
      case 'literal':
      case 'enum':
        return fc.oneof(
          fc.constantFrom(...(s._zod.values ?? new Set(['?']))),
          fc.constantFrom('other', 'CASE.RECEIVED'),
        );
      case 'optional':
      case 'default':
        return fc.oneof(arbFor(def.innerType, depth), fc.constant(undefined));
      case 'nullable':
        return fc.oneof(arbFor(def.innerType, depth), fc.constant(null));
      case 'array':
        return fc.array(arbFor(def.element, depth + 1), { maxLength: depth > 1 ? 2 : 8 });
      case 'object':
        return objectArb(def, depth);
      default:
        return stray;
    }
  })();
  return fc.oneof({ arbitrary: own, weight: 12 }, { arbitrary: stray, weight: 1 });
}

/** Objects of a shape: each key present or absent, sometimes an unknown key, an own `__proto__` or an undefined value. */
function objectArb(def: Def, depth: number): fc.Arbitrary<unknown> {
  const shape = def.shape as Record<string, unknown>;
  const keys = Object.keys(shape);
  return fc
    .tuple(
      fc.tuple(...keys.map((k) => fc.tuple(fc.constant(k), arbFor(shape[k], depth + 1), fc.nat(20)))),
      fc.constantFrom('none', 'none', 'none', 'unknown', 'proto', 'undefined'),
    )
    .map(([fields, extra]) => {
      const o: Record<string, unknown> = {};
      // Keys in shuffled order now and then: zod's output keeps the schema's order whatever the input's.
      const order = fields[0] && fields[0][2] % 3 === 0 ? [...fields].reverse() : fields;
      for (const [k, v, roll] of order) {
        if (v === undefined && roll % 2 === 0) continue;
        if (roll === 0) continue;
        o[k] = v;
      }
      if (extra === 'unknown') o.extra = 1;
      // An own `__proto__` key, as JSON.parse makes it (an assignment would set the prototype instead).
      if (extra === 'proto')
        Object.defineProperty(o, '__proto__', {
          value: { x: 1 },
          enumerable: true,
          writable: true,
          configurable: true,
        });
      if (extra === 'undefined') o[keys[keys.length - 1] ?? 'x'] = undefined;
      return o;
    });
}

/** Values a schema accepts (leaves checked with the leaf's own schema), optional keys present or not. */
function validArb(schema: unknown): fc.Arbitrary<unknown> {
  const s = schema as Schema & { safeParse(v: unknown): { success: boolean } };
  const def = s._zod.def;
  const ok = (v: unknown) => s.safeParse(v).success;
  switch (def.type) {
    case 'string': {
      const pool = [
        'a',
        'x1',
        '受理',
        'guanshan',
        '12:30',
        '2026-12-03',
        'https://example.org/a.jpg',
        '😀',
        'A'.repeat(64),
      ];
      const valid = pool.filter(ok);
      if (valid.length === 0) throw new Error('no valid string in the pool for a schema');
      // Random strings where the schema takes them, else a valid one from the pool (a filter could loop for ever).
      return fc.oneof(
        fc.constantFrom(...valid),
        fc.string({ unit: 'grapheme', maxLength: 30 }).map((v) => (ok(v) ? v : valid[0])),
      );
    }
    case 'number': {
      const valid = [0, 1, 0.5, 1_764_547_200_000].filter(ok);
      if (valid.length === 0) throw new Error('no valid number for a schema');
      return fc
        .oneof(
          fc.integer({ min: 946_684_800_000, max: 4_102_444_800_000 }),
          fc.integer({ min: 0, max: 100 }),
          fc.double({ min: 0, max: 1, noNaN: true }),
        )
        .map((v) => (ok(v) ? v : valid[0]));
    }
    case 'boolean':
      return fc.boolean();
    case 'literal':
    case 'enum':
      return fc.constantFrom(...(s._zod.values ?? new Set(['?'])));
    case 'nullable':
      return fc.oneof(validArb(def.innerType), fc.constant(null));
    case 'array':
      return fc.array(validArb(def.element), { maxLength: 3 }).map((v) => (ok(v) ? v : []));
    case 'object': {
      const shape = def.shape as Record<string, Schema>;
      const entries = Object.keys(shape).map((k) => {
        const d = shape[k]!._zod.def;
        const optional = d.type === 'optional' || d.type === 'default';
        const inner = optional ? d.innerType : shape[k];
        return fc.tuple(
          fc.constant(k),
          validArb(inner),
          fc.boolean().map((b) => b || !optional),
        );
      });
      return fc.tuple(...entries).map((fields) => {
        const o: Record<string, unknown> = {};
        for (const [k, v, present] of fields) if (present) o[k] = v;
        return o;
      });
    }
    default:
      throw new Error(`no valid values made for a ${def.type} schema`);
  }
}

/** A valid event with one field changed to a stray or near value, removed, or an unknown key added. */
function mutatedArb(schema: unknown): fc.Arbitrary<unknown> {
  const shape = defOf(schema).shape as Record<string, unknown>;
  const keys = Object.keys(shape).filter((k) => k !== 'type');
  return fc
    .tuple(validArb(schema), fc.constantFrom(...keys), fc.constantFrom('set', 'set', 'delete', 'unknown', 'undefined'))
    .chain(([o, key, how]) =>
      arbFor(shape[key]).map((v) => {
        const out = { ...(o as Record<string, unknown>) };
        if (how === 'set') out[key] = v;
        else if (how === 'delete') delete out[key];
        else if (how === 'undefined') out[key] = undefined;
        else out.unknownKey = 'x';
        return out;
      }),
    );
}

/** The fast path's answer set against zod's: accepted only if zod accepts, with an equal output. */
function agrees(raw: unknown): 'fast' | 'zod-only' | 'refused' {
  const fast = fastEvents.parse(raw);
  const z = eventSchema.safeParse(raw);
  if (fast === undefined) return z.success ? 'zod-only' : 'refused';
  expect(z.success, `zod refuses what the fast path accepted: ${JSON.stringify(raw)}`).toBe(true);
  expect(fast).toStrictEqual(z.data);
  expect(Object.keys(fast as object)).toEqual(Object.keys(z.data as object));
  expect(JSON.stringify(fast)).toBe(JSON.stringify(z.data));
  return 'fast';
}

const options = (defOf(eventSchema).options as Schema[]).map((o) => ({
  type: [...((defOf(o).shape as Record<string, Schema>).type?._zod.values ?? [])][0] as string,
  schema: o,
}));

/** A valid case.received without its defaults (flags), for the tests that vary one field. */
const RECEIVED = {
  type: 'case.received',
  eventId: 'e1',
  ts: shanghaiInstant('2026-12-01', '09:00'),
  caseId: 'c1',
  channel: 'hotline',
  caseType: 'complaint',
  urgency: 'normal',
  category: '市容环卫',
  street: 'guanshan',
  title: '垃圾',
};

describe('the compiled event checks', () => {
  it('compile every event type of the contract', () => {
    expect(fastEvents.uncompiled).toEqual([]);
    expect([...fastEvents.compiled].sort()).toEqual(options.map((o) => o.type).sort());
  });

  it.each(options.map((o) => [o.type, o.schema] as const))(
    '%s: what the fast path accepts, zod accepts with the same output',
    (_type, schema) => {
      const seen = { fast: 0, 'zod-only': 0, refused: 0 };
      fc.assert(
        fc.property(fc.oneof(validArb(schema), mutatedArb(schema), arbFor(schema)), (raw) => {
          seen[agrees(raw)]++;
        }),
        { numRuns: 600, seed: 20261203 },
      );
      // Both answers came up, and the fast path took most of what zod accepted (it leaves only code points to zod).
      expect(seen.refused).toBeGreaterThan(0);
      expect(seen.fast).toBeGreaterThan(seen['zod-only']);
    },
  );

  it('accept every event the district simulator and the benchmarks make, as zod parses them', () => {
    const from = shanghaiInstant('2026-11-30', '00:00');
    const events: DomainEventInput[] = [
      ...generateEvents({ seed: 7, from, to: from + 2 * 86_400_000 }),
      ...lifecycleEvents(2_000, from, 'p'),
    ];
    const types = new Set<string>();
    for (const e of events) {
      const raw = JSON.parse(JSON.stringify(e)) as unknown;
      expect(agrees(raw)).toBe('fast');
      types.add(e.type);
    }
    expect(types.size).toBeGreaterThan(15);
  });

  /** A valid event with short strings of every kind: an id, a short text. */
  const dispatched = {
    type: 'case.dispatched',
    eventId: 'e1',
    ts: shanghaiInstant('2026-12-01', '09:00'),
    caseId: 'c1',
    unit: 'u',
  };

  it('leave to zod what needs code points counted, and zod accepts it', () => {
    const e = { ...dispatched, unit: '😀'.repeat(64) };
    expect(fastEvents.parse(e)).toBeUndefined();
    const v = validateEvent(e);
    expect(v.ok).toBe(true);
    expect(validateEvent({ ...e, unit: '😀'.repeat(65) })).toMatchObject({
      ok: false,
      errors: [{ path: 'unit' }],
    });
  });

  /** `event` with `field` set to `value` is refused on that field, its message saying `says`. */
  const refusesHalf = (event: object, field: string, value: string, says = 'unpaired UTF-16 surrogate') => {
    const v = validateEvent({ ...event, [field]: value });
    expect(v).toMatchObject({ ok: false, errors: [{ path: field }] });
    expect(JSON.stringify(v)).toContain(says);
  };

  it('refuse an identifier with an unpaired surrogate, naming the field, and take a paired one', () => {
    expect(validateEvent({ ...dispatched, eventId: 'e\u{1F600}1' }).ok).toBe(true);
    refusesHalf(dispatched, 'eventId', 'e\ud800', 'unpaired surrogate');
    refusesHalf(dispatched, 'eventId', 'e\udc00x', 'unpaired surrogate');
    refusesHalf(dispatched, 'caseId', 'c\ud83d', 'unpaired surrogate');
  });

  it('refuse text with half of a character (a title, a reply, a category), naming the field, and take emoji', () => {
    expect(validateEvent({ ...RECEIVED, title: '垃圾 \u{1F600}', category: '\u{1F6AE}' }).ok).toBe(true);
    refusesHalf(RECEIVED, 'title', 'pipe burst \ud83d');
    refusesHalf(RECEIVED, 'category', 'unit-\udc00');
    refusesHalf(RECEIVED, 'street', '\udbffx');
    refusesHalf({ type: 'case.replied', eventId: 'e2', ts: RECEIVED.ts, caseId: 'c1' }, 'reply', '已处理\ud800');
  });

  it('apply defaults as fresh values, never a shared one', () => {
    const e = { ...RECEIVED };
    const a = fastEvents.parse(e) as { flags: string[] };
    const b = fastEvents.parse(e) as { flags: string[] };
    expect(a.flags).toEqual([]);
    a.flags.push('urgent');
    expect(b.flags).toEqual([]);
  });

  it('declines an event whose type it does not know, and zod names the problem', () => {
    expect(fastEvents.parse({ type: 'case.unknown', eventId: 'x', ts: 1 })).toBeUndefined();
    const v = validateEvent({ type: 'case.unknown', eventId: 'x', ts: 1 });
    expect(v.ok).toBe(false);
  });

  it('compile nothing of a union that carries checks of its own, nor an option told apart by an enum', () => {
    const refined = z
      .discriminatedUnion('type', [z.strictObject({ type: z.literal('a'), n: z.number() })])
      .refine((e) => e.n > 0);
    expect(compileUnion(refined as unknown as Parameters<typeof compileUnion>[0]).compiled).toEqual([]);
    expect(compileUnion(refined as unknown as Parameters<typeof compileUnion>[0]).parse({ type: 'a', n: -1 })).toBe(
      undefined,
    );
    const byEnum = z.discriminatedUnion('type', [
      z.strictObject({ type: z.enum(['b', 'c']), n: z.number() }),
      z.strictObject({ type: z.literal('a'), n: z.number() }),
    ]);
    const fast = compileUnion(byEnum);
    expect(fast.compiled).toEqual(['a']);
    expect(fast.uncompiled).toEqual(['b', 'c']);
    expect(fast.parse({ type: 'b', n: 1 })).toBeUndefined();
  });

  it('leave a schema it cannot compile to zod', () => {
    const union = z.discriminatedUnion('type', [
      z.strictObject({ type: z.literal('a'), n: z.number().int() }),
      z.strictObject({ type: z.literal('b'), v: z.union([z.string(), z.number()]) }),
    ]);
    const fast = compileUnion(union);
    expect(fast.compiled).toEqual(['a']);
    expect(fast.uncompiled).toEqual(['b']);
    expect(fast.parse({ type: 'a', n: 3 })).toEqual({ type: 'a', n: 3 });
    expect(fast.parse({ type: 'a', n: 3.5 })).toBeUndefined();
    expect(fast.parse({ type: 'b', v: 'x' })).toBeUndefined();
    expect(union.safeParse({ type: 'b', v: 'x' }).success).toBe(true);
  });
});
