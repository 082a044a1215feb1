/** Shared by the wall benchmarks: the built bundle's size, CDP metrics, and the longest main-thread task of a trace. */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, CDPSession, Page } from 'playwright-core';

/** JS of the build, raw and gzip bytes: what index.html loads up front (the wall), and every chunk (with lazy pages). */
export function bundleSize(dist = path.resolve('dist/client')): {
  raw: number;
  gzip: number;
  allRaw: number;
  allGzip: number;
} {
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  const upfront = new Set([...html.matchAll(/(?:src|href)="\/?(assets\/[^"]+\.js)"/g)].map((m) => m[1]));
  const out = { raw: 0, gzip: 0, allRaw: 0, allGzip: 0 };
  for (const f of readdirSync(path.join(dist, 'assets')).filter((n) => n.endsWith('.js'))) {
    const buf = readFileSync(path.join(dist, 'assets', f));
    const gz = gzipSync(buf, { level: 9 }).length;
    out.allRaw += buf.length;
    out.allGzip += gz;
    if (upfront.has(`assets/${f}`)) {
      out.raw += buf.length;
      out.gzip += gz;
    }
  }
  return out;
}

/** Chrome's page metrics by name (JSHeapUsedSize, Nodes, ScriptDuration s, TaskDuration s, …). */
export async function metrics(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(list.map((m) => [m.name, m.value]));
}

/** Counts `delta` frames the page receives on its socket. */
export function countDeltas(page: Page): { readonly n: number } {
  const counter = { n: 0 };
  page.on('websocket', (ws) =>
    ws.on('framereceived', (f) => {
      if (typeof f.payload === 'string' && f.payload.startsWith('42/wall,["delta"')) counter.n++;
    }),
  );
  return counter;
}

/** Runs `fn` under a devtools timeline trace; returns the longest task (ms) on the page's main thread and how many ran over 50 ms. */
export async function longestTask(
  browser: Browser,
  page: Page,
  fn: () => Promise<void>,
): Promise<{ longestMs: number; over50: number; tasks: number }> {
  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  await fn();
  const buf = await browser.stopTracing();
  const events = (
    JSON.parse(buf.toString('utf8')) as {
      traceEvents: { name: string; ph: string; dur?: number; pid: number; tid: number; args?: { name?: string } }[];
    }
  ).traceEvents;
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const tasks = events.filter(
    (e) => e.name === 'RunTask' && e.ph === 'X' && (!main || (e.pid === main.pid && e.tid === main.tid)),
  );
  const durations = tasks.map((e) => (e.dur ?? 0) / 1000);
  return {
    longestMs: Math.max(0, ...durations),
    over50: durations.filter((d) => d > 50).length,
    tasks: durations.length,
  };
}

/** Formats bytes as KB. */
export const kb = (b: number): string => `${(b / 1024).toFixed(1)} KB`;

/** A heap snapshot's self sizes (bytes) by kind: JS objects and closures, strings, compiled code, the rest. */
export interface HeapBreakdown {
  readonly objects: number;
  readonly strings: number;
  readonly code: number;
  readonly other: number;
  readonly total: number;
}

/**
 * Takes a heap snapshot (after a GC) and sums it by kind: separates app data from V8's compiled code. With `saveTo`,
 * the snapshot is also written there (open it in DevTools, or compare two with `bench/heapDiff.ts`).
 */
export async function heapBreakdown(cdp: CDPSession, saveTo?: string): Promise<HeapBreakdown> {
  const chunks: string[] = [];
  const on = (e: { chunk: string }): void => {
    chunks.push(e.chunk);
  };
  cdp.on('HeapProfiler.addHeapSnapshotChunk', on);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  cdp.off('HeapProfiler.addHeapSnapshotChunk', on);
  const text = chunks.join('');
  if (saveTo) writeFileSync(saveTo, text);
  const snap = JSON.parse(text) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const w = fields.length;
  const iType = fields.indexOf('type');
  const iSize = fields.indexOf('self_size');
  const out = { objects: 0, strings: 0, code: 0, other: 0, total: 0 };
  for (let i = 0; i < snap.nodes.length; i += w) {
    const type = types[snap.nodes[i + iType] ?? 0] ?? '';
    const size = snap.nodes[i + iSize] ?? 0;
    out.total += size;
    if (
      type === 'object' ||
      type === 'closure' ||
      type === 'array' ||
      type === 'regexp' ||
      type === 'number' ||
      type === 'bigint'
    )
      out.objects += size;
    else if (type === 'string' || type === 'concatenated string' || type === 'sliced string') out.strings += size;
    else if (type === 'code') out.code += size;
    else out.other += size;
  }
  return out;
}
