/**
 * `tsx bench/heapDiff.ts <before.heapsnapshot> <after.heapsnapshot> [--top 30]`: what grew between two V8 heap
 * snapshots (Chrome's or Node's `v8.writeHeapSnapshot`), grouped by node type and constructor name, by self size and
 * by count. Groups the same way as `heapBreakdown` (objects, strings, compiled code, other).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Group {
  count: number;
  size: number;
}

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size and count per `type:name` (strings and code grouped by type only: their names are their contents). */
export function groupSnapshot(text: string): Map<string, Group> {
  const snap = JSON.parse(text) as RawSnapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const w = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const out = new Map<string, Group>();
  for (let i = 0; i < snap.nodes.length; i += w) {
    const type = types[snap.nodes[i + iType] ?? 0] ?? '';
    const size = snap.nodes[i + iSize] ?? 0;
    const raw = snap.strings[snap.nodes[i + iName] ?? 0] ?? '';
    const name =
      type === 'string' || type === 'concatenated string' || type === 'sliced string' ? '' : raw.slice(0, 60);
    // Code nodes named after a function are that function's SharedFunctionInfo or compiled code: grouped as one.
    const system = name.startsWith('(') || name.startsWith('system /');
    const key = type === 'code' && !system ? 'code:(named function code)' : `${type}:${name}`;
    const g = out.get(key) ?? { count: 0, size: 0 };
    g.count += 1;
    g.size += size;
    out.set(key, g);
  }
  return out;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' } },
});
const [beforePath, afterPath] = positionals;
if (!beforePath || !afterPath) {
  console.error('usage: tsx bench/heapDiff.ts <before.heapsnapshot> <after.heapsnapshot> [--top 30]');
  process.exit(2);
}
const top = Number(values.top);
const a = groupSnapshot(readFileSync(beforePath, 'utf8'));
const b = groupSnapshot(readFileSync(afterPath, 'utf8'));
const keys = new Set([...a.keys(), ...b.keys()]);
const rows = [...keys].map((k) => {
  const x = a.get(k) ?? { count: 0, size: 0 };
  const y = b.get(k) ?? { count: 0, size: 0 };
  return { k, c0: x.count, c1: y.count, s0: x.size, s1: y.size, ds: y.size - x.size, dc: y.count - x.count };
});
const sum = (m: Map<string, Group>): number => [...m.values()].reduce((s, g) => s + g.size, 0);
const byType = (m: Map<string, Group>): Map<string, number> => {
  const t = new Map<string, number>();
  for (const [k, g] of m) t.set(k.split(':')[0] ?? '', (t.get(k.split(':')[0] ?? '') ?? 0) + g.size);
  return t;
};
const kb = (n: number): string => (n / 1024).toFixed(1);
console.log(`total self size ${kb(sum(a))} KB → ${kb(sum(b))} KB (${kb(sum(b) - sum(a))} KB)\n`);
console.log('by type (KB):');
const ta = byType(a);
const tb = byType(b);
for (const t of new Set([...ta.keys(), ...tb.keys()]))
  console.log(`  ${t.padEnd(22)} ${kb(ta.get(t) ?? 0).padStart(9)} → ${kb(tb.get(t) ?? 0).padStart(9)}`);
const print = (title: string, list: typeof rows): void => {
  console.log(`\n${title}`);
  console.log('      Δ KB     KB before → after     count before → after   group');
  for (const r of list)
    console.log(
      `  ${kb(r.ds).padStart(8)}   ${kb(r.s0).padStart(8)} → ${kb(r.s1).padEnd(8)}   ${String(r.c0).padStart(8)} → ${String(r.c1).padEnd(8)}   ${r.k}`,
    );
};
/** The rows where `key` moved in the direction `sign`, the largest move first, at most `n`. */
const ranked = (key: 'ds' | 'dc', sign: 1 | -1, n: number) =>
  rows
    .filter((r) => sign * r[key] > 0)
    .sort((x, y) => sign * (y[key] - x[key]))
    .slice(0, n);
print('grew most (self size):', ranked('ds', 1, top));
print('shrank most (self size):', ranked('ds', -1, Math.ceil(top / 3)));
print('count grew most:', ranked('dc', 1, top));
