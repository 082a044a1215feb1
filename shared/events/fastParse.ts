/**
 * A fast path in front of the event schemas: each schema compiled once into a plain check that either returns exactly
 * what zod's parse returns (the same object shape, keys in the schema's order, defaults applied) or declines. zod stays
 * the authority: whatever the fast path declines (an invalid event, or one it cannot judge alone, such as a string
 * whose length must be counted in code points) is parsed by zod, which also gives the field errors. The fast path only
 * ever accepts what zod accepts; `test/shared/events/fastParse.test.ts` holds it to that on every event the simulators
 * make and on thousands of mutations of them.
 *
 * Why: validation was the largest single part of ingest's own work (1.5 µs of zod per event); the compiled checks do
 * the same judgement without zod's per-value payloads and issue lists.
 *
 * What it compiles (zod 4 definitions): strict and plain objects, literals, enums, strings with length and pattern
 * checks, finite numbers with bounds and the safe-integer check, booleans, arrays with length checks, optional,
 * nullable and defaulted values. A schema holding anything else is not compiled: its events always go to zod.
 */
import type { z } from 'zod';

/** Returned by a compiled check that declines: zod judges the value. */
const DECLINE: unique symbol = Symbol('decline');
type Check = (v: unknown) => unknown;

/** A schema the fast path does not compile (its events go to zod). */
class Unsupported extends Error {}

interface Def {
  readonly type: string;
  readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[];
  readonly [k: string]: unknown;
}
interface CheckDef {
  readonly check: string;
  readonly [k: string]: unknown;
}
interface Schema {
  readonly _zod: { readonly def: Def; readonly values?: ReadonlySet<unknown> };
}

function defOf(s: unknown): Def {
  return (s as Schema)._zod.def;
}

/** The length checks of a string or an array, as bounds (strings: code points, so only a clear answer is given). */
function lengthBounds(def: Def, kind: 'string' | 'array'): { min: number; max: number; patterns: RegExp[] } {
  let min = 0;
  let max = Infinity;
  const patterns: RegExp[] = [];
  for (const c of def.checks ?? []) {
    const d = c._zod.def;
    if (d.when !== undefined && d.check !== 'min_length' && d.check !== 'max_length') throw new Unsupported();
    if (d.check === 'min_length') min = Math.max(min, d.minimum as number);
    else if (d.check === 'max_length') max = Math.min(max, d.maximum as number);
    else if (kind === 'string' && d.check === 'string_format' && d.format === 'regex' && d.pattern instanceof RegExp)
      patterns.push(d.pattern);
    else throw new Unsupported();
  }
  return { min, max, patterns };
}

function compileString(def: Def): Check {
  const { min, max, patterns } = lengthBounds(def, 'string');
  return (v) => {
    if (typeof v !== 'string') return DECLINE;
    // zod counts code points, which are at most the UTF-16 units and at least half of them: a string of more units
    // than the maximum, or of fewer than twice the minimum holding a surrogate, is left to zod to count.
    const n = v.length;
    if (n > max || n < min || (n < min * 2 && hasSurrogate(v))) return DECLINE;
    for (const p of patterns) {
      p.lastIndex = 0;
      if (!p.test(v)) return DECLINE;
    }
    return v;
  };
}

function hasSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}

function compileNumber(def: Def): Check {
  let lo = -Infinity;
  let loIn = true;
  let hi = Infinity;
  let hiIn = true;
  let safeInt = false;
  for (const c of def.checks ?? []) {
    const d = c._zod.def;
    if (d.when !== undefined) throw new Unsupported();
    if (d.check === 'greater_than' && typeof d.value === 'number') {
      if (d.value > lo || (d.value === lo && !d.inclusive)) [lo, loIn] = [d.value, d.inclusive === true];
    } else if (d.check === 'less_than' && typeof d.value === 'number') {
      if (d.value < hi || (d.value === hi && !d.inclusive)) [hi, hiIn] = [d.value, d.inclusive === true];
    } else if (d.check === 'number_format' && d.format === 'safeint') safeInt = true;
    else throw new Unsupported();
  }
  return (v) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return DECLINE;
    if (safeInt && !Number.isSafeInteger(v)) return DECLINE;
    if (loIn ? v < lo : v <= lo) return DECLINE;
    if (hiIn ? v > hi : v >= hi) return DECLINE;
    return v;
  };
}

function compileArray(def: Def): Check {
  const { min, max } = lengthBounds(def, 'array');
  const element = compile(def.element);
  return (v) => {
    if (!Array.isArray(v) || v.length < min || v.length > max) return DECLINE;
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) {
      const r = element(v[i]);
      if (r === DECLINE) return DECLINE;
      out[i] = r;
    }
    return out;
  };
}

function compileObject(def: Def): Check {
  const shape = def.shape as Record<string, unknown>;
  const catchall = def.catchall === undefined ? null : defOf(def.catchall).type;
  // Strict (unknown keys refused) or plain (unknown keys left out); any other catch-all is zod's.
  if (catchall !== null && catchall !== 'never') throw new Unsupported();
  if ((def.checks ?? []).length > 0) throw new Unsupported();
  const keys = Object.keys(shape);
  if (keys.includes('__proto__')) throw new Unsupported();
  const known = new Set(keys);
  const fields = keys.map((key) => {
    const s = shape[key] as Schema;
    const d = s._zod.def;
    // `optional` and `default` wrap the value's own schema: absent, the key is left out or takes the default.
    if (d.type === 'optional') {
      if (defOf(d.innerType).type === 'default') throw new Unsupported();
      return { key, check: compile(d.innerType), absent: 'omit' as const, def: d };
    }
    if (d.type === 'default') return { key, check: compile(d.innerType), absent: 'default' as const, def: d };
    return { key, check: compile(s), absent: 'required' as const, def: d };
  });
  return (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return DECLINE;
    const input = v as Record<string, unknown>;
    if (catchall === 'never') for (const k in input) if (!known.has(k)) return DECLINE;
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      const x = input[f.key];
      if (x === undefined) {
        // A key present with `undefined` (never in JSON) is left to zod.
        if (f.key in input || f.absent === 'required') return DECLINE;
        // zod's getter: a fresh copy of the default each time.
        if (f.absent === 'default') out[f.key] = f.def.defaultValue;
        continue;
      }
      const r = f.check(x);
      if (r === DECLINE) return DECLINE;
      out[f.key] = r;
    }
    return out;
  };
}

function compile(schema: unknown): Check {
  const s = schema as Schema;
  const def = s._zod.def;
  switch (def.type) {
    case 'string':
      return compileString(def);
    case 'number':
      return compileNumber(def);
    case 'boolean':
      if ((def.checks ?? []).length > 0) throw new Unsupported();
      return (v) => (typeof v === 'boolean' ? v : DECLINE);
    case 'literal':
    case 'enum': {
      if ((def.checks ?? []).length > 0) throw new Unsupported();
      const values = s._zod.values;
      if (!values) throw new Unsupported();
      return (v) => (values.has(v) ? v : DECLINE);
    }
    case 'nullable': {
      const inner = compile(def.innerType);
      return (v) => (v === null ? null : inner(v));
    }
    case 'array':
      return compileArray(def);
    case 'object':
      return compileObject(def);
    default:
      throw new Unsupported();
  }
}

/** A discriminated union compiled per option: each option's check found by its discriminator value. */
export interface FastParser {
  /** The parsed event, exactly as zod's parse gives it; undefined when zod must judge it. */
  parse(raw: unknown): unknown;
  /** The discriminator values whose schemas were compiled, and those left to zod. */
  readonly compiled: readonly string[];
  readonly uncompiled: readonly string[];
}

/** Compiles a `z.discriminatedUnion` of object schemas. */
export function compileUnion(union: z.ZodDiscriminatedUnion): FastParser {
  const def = defOf(union);
  const key = def.discriminator as string;
  const byValue = new Map<unknown, Check>();
  const compiled: string[] = [];
  const uncompiled: string[] = [];
  // Checks on the union itself (a refinement of every event) are zod's alone: nothing is compiled then.
  const unionChecks = (def.checks ?? []).length > 0;
  for (const option of def.options as Schema[]) {
    const tagSchema = (defOf(option).shape as Record<string, Schema> | undefined)?.[key];
    const values = [...(tagSchema?._zod.values ?? [])];
    // An option told apart by anything but one literal (an enum of types) is left to zod.
    if (unionChecks || tagSchema?._zod.def.type !== 'literal' || values.length !== 1) {
      uncompiled.push(...(values.length > 0 ? values.map(String) : ['?']));
      continue;
    }
    const [value] = values;
    try {
      byValue.set(value, compile(option));
      compiled.push(String(value));
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      uncompiled.push(String(value));
    }
  }
  return {
    parse(raw) {
      if (typeof raw !== 'object' || raw === null) return undefined;
      const check = byValue.get((raw as Record<string, unknown>)[key]);
      if (check === undefined) return undefined;
      const r = check(raw);
      return r === DECLINE ? undefined : r;
    },
    compiled,
    uncompiled,
  };
}
