/**
 * Structural patches between two JSON-like values (plain objects, arrays, strings, finite numbers, booleans, null):
 * `diffValue(a, b)` describes only what changed, `applyPatch(a, p)` rebuilds `b` from `a` without touching `a`
 * (unchanged parts are shared). Lists of records with an identity field (`id`, `caseId`, `unit`, …) are patched by
 * key — items dropped, items inserted at their new index, items kept in place patched field by field — so an item
 * added at the front of a bounded list costs that item, not the list. The encoding is meant for the wire: short keys.
 */

/** A JSON scalar. A scalar where a patch is expected means "set to this value". */
export type Scalar = string | number | boolean | null;

/** Replaces the value whole. */
export interface SetPatch {
  readonly $: unknown;
}

/** Patches an object: each changed or added field to a scalar or a nested patch (`o`); removed fields (`x`). */
export interface FieldsPatch {
  readonly o: Readonly<Record<string, Scalar | ValuePatch>>;
  readonly x?: readonly string[];
}

/** Identity of a list item: the value of the list's key field, or its index when the list has none. */
export type ListKey = string | number;

/**
 * Rebuilds a list from the old one. `k` names the items' identity field (null: the index is the identity). The old
 * items whose key is in `d` are dropped; the others keep their relative order and are patched by `u`; `i` inserts new
 * items at their index in the new list (ascending).
 */
export interface ListPatch {
  readonly k: string | null;
  readonly d?: readonly ListKey[];
  readonly u?: readonly (readonly [ListKey, Scalar | ValuePatch])[];
  readonly i?: readonly (readonly [number, unknown])[];
}

/** A change to one value. */
export type ValuePatch = SetPatch | FieldsPatch | ListPatch;

/** Identity fields tried, in order, on lists of records (the first one present and unique in both lists wins). */
export const LIST_KEY_FIELDS: readonly string[] = ['id', 'caseId', 'unit', 'channel', 'category', 'post', 'day'];

type Rec = Readonly<Record<string, unknown>>;

/** Sets a field as the object's own, also one named `__proto__` (a configured id could be; JSON.parse makes it own). */
function setOwn(o: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): v is Scalar => v === null || typeof v !== 'object';

/** What changed from `a` to `b`: undefined when they are equal, a scalar to set, or a patch. */
export function diffValue(a: unknown, b: unknown): Scalar | ValuePatch | undefined {
  if (a === b) return undefined;
  if (isScalar(b)) return b as Scalar;
  if (Array.isArray(b)) return Array.isArray(a) ? smaller(diffList(a, b), b) : { $: b };
  return isRecord(a) ? diffFields(a, b as Rec) : { $: b };
}

/** The fields patch from `a` to `b`, or undefined when equal. Fields set to `undefined` count as absent. */
export function diffFields(a: Rec, b: Rec): FieldsPatch | undefined {
  let o: Record<string, Scalar | ValuePatch> | undefined;
  for (const key of Object.keys(b)) {
    if (b[key] === undefined) continue;
    const p =
      a[key] === undefined ? (isScalar(b[key]) ? (b[key] as Scalar) : { $: b[key] }) : diffValue(a[key], b[key]);
    if (p !== undefined) setOwn((o ??= {}), key, p);
  }
  const x = Object.keys(a).filter((key) => a[key] !== undefined && b[key] === undefined);
  if (!o && x.length === 0) return undefined;
  return x.length > 0 ? { o: o ?? {}, x } : { o: o ?? {} };
}

/** The field that identifies the items of both lists (present, scalar and unique in each), or null. */
function keyField(a: readonly unknown[], b: readonly unknown[]): string | null {
  const sample = b[0] ?? a[0];
  if (!isRecord(sample)) return null;
  return LIST_KEY_FIELDS.find((f) => f in sample && uniqueKeys(a, f) && uniqueKeys(b, f)) ?? null;
}

function uniqueKeys(xs: readonly unknown[], field: string): boolean {
  const seen = new Set<unknown>();
  for (const x of xs) {
    const k = isRecord(x) ? x[field] : undefined;
    if ((typeof k !== 'string' && typeof k !== 'number') || seen.has(k)) return false;
    seen.add(k);
  }
  return true;
}

const keyOf = (item: unknown, index: number, k: string | null): ListKey =>
  k === null ? index : ((item as Rec)[k] as ListKey);

/** The list patch from `a` to `b`, or undefined when equal: always list operations. */
export function diffList(a: readonly unknown[], b: readonly unknown[]): ListPatch | undefined {
  const k = keyField(a, b);
  const oldIndex = new Map<ListKey, number>();
  a.forEach((item, i) => oldIndex.set(keyOf(item, i, k), i));
  // Pairs (old index, new index) of items in both lists; the longest run in the same order stays, the rest move.
  const pairs: [number, number][] = [];
  b.forEach((item, j) => {
    const i = oldIndex.get(keyOf(item, j, k));
    if (i !== undefined) pairs.push([i, j]);
  });
  const kept = longestIncreasing(pairs);
  const keptOld = new Set(kept.map(([i]) => i));
  const keptNew = new Set(kept.map(([, j]) => j));
  const d = a.flatMap((item, i) => (keptOld.has(i) ? [] : [keyOf(item, i, k)]));
  const u: [ListKey, Scalar | ValuePatch][] = [];
  for (const [i, j] of kept) {
    const p = diffValue(a[i], b[j]);
    if (p !== undefined) u.push([keyOf(a[i], i, k), p]);
  }
  const ins = b.flatMap((item, j): [number, unknown][] => (keptNew.has(j) ? [] : [[j, item]]));
  if (d.length === 0 && u.length === 0 && ins.length === 0) return undefined;
  return { k, ...(d.length ? { d } : {}), ...(u.length ? { u } : {}), ...(ins.length ? { i: ins } : {}) };
}

/** A list patch that keeps none of the old items (or empties the list) is sent as the new list instead. */
function smaller(p: ListPatch | undefined, b: readonly unknown[]): ListPatch | SetPatch | undefined {
  return p && (p.i?.length ?? 0) === b.length ? { $: b } : p;
}

/** The longest subsequence of pairs (ascending by new index) whose old indices also ascend (patience sorting). */
function longestIncreasing(pairs: readonly [number, number][]): [number, number][] {
  const tails: number[] = [];
  const prev = new Array<number>(pairs.length).fill(-1);
  pairs.forEach(([i], n) => {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pairs[tails[mid]!]![0] < i) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[n] = tails[lo - 1]!;
    tails[lo] = n;
  });
  const out: [number, number][] = [];
  for (let n = tails.length ? tails[tails.length - 1]! : -1; n >= 0; n = prev[n]!) out.push(pairs[n]!);
  return out.reverse();
}

/** `a` with a change applied (a scalar sets it); `a` itself is left as it was. */
export function applyPatch(a: unknown, p: Scalar | ValuePatch): unknown {
  if (isScalar(p)) return p;
  if ('$' in p) return p.$;
  if ('o' in p) return applyFields(isRecord(a) ? a : {}, p);
  return applyList(Array.isArray(a) ? a : [], p);
}

/** An object with a fields patch applied. */
export function applyFields<T extends object>(a: T, p: FieldsPatch): T {
  const out = { ...a } as Record<string, unknown>;
  for (const [key, v] of Object.entries(p.o)) setOwn(out, key, applyPatch(out[key], v));
  for (const key of p.x ?? []) delete out[key];
  return out as T;
}

/** A list with a list patch applied. */
export function applyList<T>(a: readonly T[], p: ListPatch): T[] {
  const dropped = new Set(p.d ?? []);
  const updates = new Map(p.u ?? []);
  const kept: T[] = [];
  a.forEach((item, i) => {
    const key = keyOf(item, i, p.k);
    if (dropped.has(key)) return;
    const u = updates.get(key);
    kept.push(u === undefined ? item : (applyPatch(item, u) as T));
  });
  const inserts = p.i ?? [];
  const out: T[] = [];
  let next = 0;
  for (const item of kept) {
    while (next < inserts.length && inserts[next]![0] === out.length) out.push(inserts[next++]![1] as T);
    out.push(item);
  }
  while (next < inserts.length) out.push(inserts[next++]![1] as T);
  return out;
}
