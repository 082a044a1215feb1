/**
 * `npm run bench:soak [-- --hours 24 --minutes 12 --samples 24]`: the wall against an accelerated demo covering `hours` of simulated
 * events in about `minutes` of wall time (crossing midnight), printing the page's JS heap (after a forced GC), DOM
 * nodes, event listeners and the server's RSS at intervals. Target: heap flat (≤ 5% growth after warm-up).
 *
 * Growth is the mean of the last three samples over the mean of the three from the end of a warm-up, printed for two
 * definitions of warm-up:
 * - by simulated hours: the first `--warm-hours` (default a quarter of `--hours`), as this bench always measured;
 * - by deltas: the first sample at which the page has received at least `--warm-deltas` deltas (default 1,000) and the
 *   demo clock has passed its first midnight, if three samples from then still end before the last three.
 * The server sends a delta every 0.5–1 s of wall time whatever the simulation speed, so a 24 h run in 4 min gives the
 * page about 500 deltas where a real day gives it tens of thousands; the default (12 min, 120×) gives about 1,500, the
 * slowest run that still takes a reasonable time (4 min, 360×, was the default before: its page was still tiering up when
 * it ended, +6%). V8 compiles a function to baseline and then
 * optimised code once it has run often enough, and the wall's functions run about once per delta, so in a short run
 * they are still tiering up when the run ends: the page's compiled code keeps growing while its objects and strings stay
 * flat. The figure by deltas starts once the wall's functions have run about as often as in the first 10–20 minutes of
 * a real day. It covers less of the run than the figure by hours (the rest of the simulated day after the warm-up, a
 * third of it in a 24 h run of `--minutes 12 --samples 24`, which gives about 1,500 deltas), so it is not the same
 * measure with a better number: a smaller window sees less growth of any kind. Read it with the heap column and the
 * snapshots (`--snapshots`, `bench/heapDiff.ts`): objects and strings flat and only compiled code growing is tier-up;
 * a run too short to reach the warm-up by deltas says so. Both figures use the same samples; only the baseline differs.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CDPSession } from 'playwright-core';
import { launchChromium } from '../harness/chromium';
import { startDemoWall } from '../harness/demoWall';
import { shanghaiDateKey } from '@shared/time';
import { countDeltas, heapBreakdown, metrics, type HeapBreakdown } from './wallPage';

const { values } = parseArgs({
  options: {
    hours: { type: 'string', default: '24' },
    minutes: { type: 'string', default: '12' },
    samples: { type: 'string', default: '24' },
    /** Simulated hours taken as warm-up before the compared samples (default: a quarter of `hours`). */
    'warm-hours': { type: 'string' },
    /** Deltas the page must have received (and a simulated midnight passed) before the warm-up by deltas ends. */
    'warm-deltas': { type: 'string', default: '1000' },
    /** A folder to write the page's heap snapshots in (after warm-up and at the end), for `bench/heapDiff.ts`. */
    snapshots: { type: 'string' },
  },
});
const hours = Number(values.hours);
const minutes = Number(values.minutes);
const samples = Math.max(6, Number(values.samples));
const warmDeltas = Number(values['warm-deltas']);
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
  // Warm-up by simulated hours: the first quarter of the run unless --warm-hours says otherwise. A heap snapshot then
  // and at the end separates the app's objects and strings (a leak would show there) from V8's compiled code, which
  // grows as more functions run often enough to be compiled to baseline and then optimised code (bench/heapDiff.ts
  // shows it by kind: a `system / ProtectedFixedArray` is one optimised function's deoptimisation data).
  const warmHours = values['warm-hours'] === undefined ? hours / 4 : Number(values['warm-hours']);
  const warm = Math.min(samples - 3, Math.max(1, Math.floor((samples * warmHours) / hours)));
  let atWarm: HeapBreakdown | null = null;
  /** The sample ending the warm-up by deltas, once reached. */
  let warmByDeltas: number | null = null;
  const deltasAt: number[] = [];
  const simHAt: number[] = [];
  for (let i = 0; i < samples; i++) {
    if (i > 0) await page.waitForTimeout((minutes * 60_000) / (samples - 1));
    // The warm-up snapshot is taken before this sample, so the samples compared (after warm-up and at the end) all
    // follow a heap snapshot: whatever taking one leaves in the heap is on both sides.
    if (i === warm) atWarm = await heapBreakdown(cdp, snapshotPath('warm'));
    const m = await heapAfterGc(cdp);
    const space = wall.app.spaces.all().find((s) => s.name === 'demo');
    const clock = space?.projection.clock ?? simStart;
    const simH = (clock - simStart) / 3_600_000;
    // No snapshot here: the samples are the same for both warm-ups, only which three are the baseline differs. The
    // warm-up by deltas ends no earlier than the one by hours, so its baseline samples also follow the heap snapshot.
    if (
      warmByDeltas === null &&
      i >= warm &&
      i + 3 <= samples - 3 &&
      deltas.n >= warmDeltas &&
      shanghaiDateKey(clock) !== shanghaiDateKey(simStart)
    )
      warmByDeltas = i;
    heaps.push(m.JSHeapUsedSize ?? 0);
    deltasAt.push(deltas.n);
    simHAt.push(simH);
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
    `\n  JS heap after warm-up by simulated hours (first ${warmHours} h, sample ${warm + 1}: ${simHAt[warm]?.toFixed(1)} h, ${deltasAt[warm]} deltas) ${mb(base)} MB → ${mb(end)} MB: ${(growth * 100).toFixed(1)}% (target ≤ 5%); DOM nodes ${(nodeGrowth * 100).toFixed(1)}%; page errors ${errors.length}`,
  );
  const baseD = warmByDeltas === null ? null : avg(heaps.slice(warmByDeltas, warmByDeltas + 3));
  const growthD = baseD === null ? null : end / baseD - 1;
  console.log(
    warmByDeltas === null || baseD === null || growthD === null
      ? `  JS heap after warm-up by deltas (≥ ${warmDeltas} deltas and past midnight): not reached with three samples to spare (${deltas.n} deltas in all); run longer, e.g. --minutes ${Math.ceil((minutes * warmDeltas * 1.6) / Math.max(1, deltas.n))} --samples 24`
      : `  JS heap after warm-up by deltas (≥ ${warmDeltas} deltas and past midnight, sample ${warmByDeltas + 1}: ${simHAt[warmByDeltas]?.toFixed(1)} h, ${deltasAt[warmByDeltas]} deltas) ${mb(baseD)} MB → ${mb(end)} MB: ${(growthD * 100).toFixed(1)}% (target ≤ 5%)`,
  );
  const w0 = atWarm ?? atEnd;
  const data0 = w0.objects + w0.strings;
  const data1 = atEnd.objects + atEnd.strings;
  const dataGrowth = data1 / data0 - 1;
  console.log(
    `  heap snapshots, warm-up by simulated hours → end: objects + strings ${mb(data0)} → ${mb(data1)} MB (${(dataGrowth * 100).toFixed(1)}%), compiled code ${mb(w0.code)} → ${mb(atEnd.code)} MB, other ${mb(w0.other)} → ${mb(atEnd.other)} MB`,
  );
  const within = (g: number | null): string => (g === null ? 'not measured' : g <= 0.05 ? 'within 5%' : 'over 5%');
  console.log(
    `  target (app data ≤ 5% after warm-up, no page errors) ${dataGrowth <= 0.05 && errors.length === 0 ? 'met' : 'MISSED'}; whole JS heap after the warm-up by simulated hours ${within(growth)}, after the warm-up by deltas ${within(growthD)}\n`,
  );
} finally {
  await browser.close();
  await wall.stop();
}
