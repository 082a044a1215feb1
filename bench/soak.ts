/**
 * `npm run bench:soak [-- --hours 24 --minutes 4]`: the wall against an accelerated demo covering `hours` of simulated
 * events in about `minutes` of wall time (crossing midnight), printing the page's JS heap (after a forced GC), DOM
 * nodes, event listeners and the server's RSS at intervals. Target: heap flat (≤ 5% growth after warm-up).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CDPSession } from 'playwright-core';
import { launchChromium } from '../harness/chromium';
import { startDemoWall } from '../harness/demoWall';
import { countDeltas, heapBreakdown, metrics, type HeapBreakdown } from './wallPage';

const { values } = parseArgs({
  options: {
    hours: { type: 'string', default: '24' },
    minutes: { type: 'string', default: '4' },
    samples: { type: 'string', default: '16' },
    /** Simulated hours taken as warm-up before the compared samples (default: a quarter of `hours`). */
    'warm-hours': { type: 'string' },
    /** A folder to write the page's heap snapshots in (after warm-up and at the end), for `bench/heapDiff.ts`. */
    snapshots: { type: 'string' },
  },
});
const hours = Number(values.hours);
const minutes = Number(values.minutes);
const samples = Math.max(6, Number(values.samples));
const speed = Math.round((hours * 3600) / (minutes * 60));
const snapshotDir = values.snapshots;
if (snapshotDir) mkdirSync(snapshotDir, { recursive: true });
const snapshotPath = (name: string): string | undefined =>
  snapshotDir ? path.join(snapshotDir, `${name}.heapsnapshot`) : undefined;

/**
 * The page's metrics after a forced GC, read three times back to back, keeping the read with the smallest JS heap. The
 * page keeps handling socket messages while it is measured, so a read may include garbage made after its GC (up to
 * 1.5 MB above its neighbours was seen with a single read); live data survives every GC, so the smallest read is the
 * closest to it and a leak still shows in full.
 */
async function heapAfterGc(cdp: CDPSession): Promise<Record<string, number>> {
  let best: Record<string, number> | null = null;
  for (let k = 0; k < 3; k++) {
    await cdp.send('HeapProfiler.collectGarbage');
    const m = await metrics(cdp);
    if (best === null || (m.JSHeapUsedSize ?? 0) < (best.JSHeapUsedSize ?? 0)) best = m;
  }
  return best ?? {};
}

const wall = await startDemoWall({ speed, seed: 20241, producer: { intervalMs: 250 } });
const browser = await launchChromium();
const mb = (b: number) => (b / 2 ** 20).toFixed(2);
try {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const deltas = countDeltas(page);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(wall.page('&kiosk=1'));
  await page.locator('[data-panel="map"]').waitFor({ timeout: 20_000 });
  const simStart = wall.app.spaces.all().find((s) => s.name === 'demo')?.projection.clock ?? 0;

  console.log(
    `\nbench:soak — ${hours} h of simulated events at ${speed}× (${minutes} min), ${samples} samples, JS heap the least of 3 reads after a forced GC\n`,
  );
  console.log('  wall s   sim h   deltas   JS heap MB   DOM nodes   listeners   server RSS MB   open cases');
  const heaps: number[] = [];
  const nodes: number[] = [];
  const t0 = Date.now();
  // Warm-up: the first quarter of the run unless --warm-hours says otherwise. A heap snapshot then and at the end separates the app's objects and
  // strings (a leak would show there) from V8's compiled code, which grows as more functions run often enough to be
  // compiled (most of it baseline code, bench/heapDiff.ts shows it by kind).
  const warmHours = values['warm-hours'] === undefined ? hours / 4 : Number(values['warm-hours']);
  const warm = Math.min(samples - 3, Math.max(1, Math.floor((samples * warmHours) / hours)));
  let atWarm: HeapBreakdown | null = null;
  for (let i = 0; i < samples; i++) {
    if (i > 0) await page.waitForTimeout((minutes * 60_000) / (samples - 1));
    // The warm-up snapshot is taken before this sample, so the samples compared (after warm-up and at the end) all
    // follow a heap snapshot: whatever taking one leaves in the heap is on both sides.
    if (i === warm) atWarm = await heapBreakdown(cdp, snapshotPath('warm'));
    const m = await heapAfterGc(cdp);
    const space = wall.app.spaces.all().find((s) => s.name === 'demo');
    const simH = ((space?.projection.clock ?? simStart) - simStart) / 3_600_000;
    heaps.push(m.JSHeapUsedSize ?? 0);
    nodes.push(m.Nodes ?? 0);
    console.log(
      `  ${String(Math.round((Date.now() - t0) / 1000)).padStart(6)}   ${simH.toFixed(1).padStart(5)}   ${String(deltas.n).padStart(6)}   ${mb(m.JSHeapUsedSize ?? 0).padStart(10)}   ${String(m.Nodes ?? 0).padStart(9)}   ${String(m.JSEventListeners ?? 0).padStart(9)}   ${mb(process.memoryUsage.rss()).padStart(13)}   ${String(space?.projection.open.size ?? 0).padStart(10)}`,
    );
  }
  const atEnd = await heapBreakdown(cdp, snapshotPath('end'));
  // Growth compares the last three samples with the three after warm-up.
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const base = avg(heaps.slice(warm, warm + 3));
  const end = avg(heaps.slice(-3));
  const growth = end / base - 1;
  const nodeGrowth = avg(nodes.slice(-3)) / avg(nodes.slice(warm, warm + 3)) - 1;
  console.log(
    `\n  JS heap after warm-up ${mb(base)} MB → ${mb(end)} MB: ${(growth * 100).toFixed(1)}% (target ≤ 5%); DOM nodes ${(nodeGrowth * 100).toFixed(1)}%; page errors ${errors.length}`,
  );
  const w0 = atWarm ?? atEnd;
  const data0 = w0.objects + w0.strings;
  const data1 = atEnd.objects + atEnd.strings;
  const dataGrowth = data1 / data0 - 1;
  console.log(
    `  heap snapshots, warm-up → end: objects + strings ${mb(data0)} → ${mb(data1)} MB (${(dataGrowth * 100).toFixed(1)}%), compiled code ${mb(w0.code)} → ${mb(atEnd.code)} MB, other ${mb(w0.other)} → ${mb(atEnd.other)} MB`,
  );
  console.log(
    `  target (app data ≤ 5% after warm-up, no page errors) ${dataGrowth <= 0.05 && errors.length === 0 ? 'met' : 'MISSED'}; whole JS heap ${growth <= 0.05 ? 'within' : 'over'} 5%\n`,
  );
} finally {
  await browser.close();
  await wall.stop();
}
