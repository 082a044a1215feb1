/**
 * `npm run bench:wall`: the wall in headless Chromium (1920×1080) on the demo feed during live updates — first full
 * render, JS bundle size (gzip), the longest main-thread task and scripting time per update. Targets:
 * first render ≤ 2 s, JS ≤ 600 KB gzip, no long task > 50 ms during updates.
 */
import { parseArgs } from 'node:util';
import { launchChromium } from '../harness/chromium';
import { startDemoWall } from '../harness/demoWall';
import { WALL_PANELS } from '../harness/wallPanels';
import { bundleSize, countDeltas, kb, longestTask, metrics } from './wallPage';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    speed: { type: 'string', default: '60' },
    'reduced-motion': { type: 'boolean', default: false },
  },
});
const reducedMotion = values['reduced-motion'];
const seconds = Number(values.seconds);

const bundle = bundleSize();
const wall = await startDemoWall({ speed: Number(values.speed), seed: 7 });
const browser = await launchChromium();
try {
  // Warm the server's view and the browser's HTTP cache the way a wall that reloads would find them.
  const warm = await browser.newPage();
  await warm.goto(wall.page());
  await warm.locator('[data-panel="map"]').waitFor({ timeout: 20_000 });
  await warm.close();

  const page = await browser.newPage({
    viewport: { width: 1920, height: 1080 },
    reducedMotion: reducedMotion ? 'reduce' : 'no-preference',
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const deltas = countDeltas(page);
  await page.goto(wall.page());
  // First full render: every panel in the DOM and every chart canvas drawn, measured from navigation start.
  await page.waitForFunction(
    (names) =>
      names.every((n) => document.querySelector(`[data-panel="${n}"]`)) &&
      document.querySelectorAll('[data-panel] canvas').length >= 2,
    [...WALL_PANELS],
    { timeout: 20_000 },
  );
  const firstRender = await page.evaluate(
    () =>
      new Promise<number>((resolve) =>
        requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now()))),
      ),
  );

  await page.waitForTimeout(2000);
  const before = await metrics(cdp);
  const d0 = deltas.n;
  const tasks = await longestTask(browser, page, () => page.waitForTimeout(seconds * 1000));
  const after = await metrics(cdp);
  const updates = deltas.n - d0;
  const scriptMs = ((after.ScriptDuration ?? 0) - (before.ScriptDuration ?? 0)) * 1000;
  const taskMs = ((after.TaskDuration ?? 0) - (before.TaskDuration ?? 0)) * 1000;

  const rows: [string, string, string][] = [
    ['first full render', `${firstRender.toFixed(0)} ms`, '≤ 2000 ms'],
    [
      'JS the wall loads',
      `${kb(bundle.gzip)} gzip (${kb(bundle.raw)} raw); all chunks ${kb(bundle.allGzip)} gzip`,
      '≤ 600 KB gzip',
    ],
    ['updates received', `${updates} deltas in ${seconds} s`, '≤ 2 per second'],
    [
      'longest task during updates',
      `${tasks.longestMs.toFixed(1)} ms (${tasks.over50} over 50 ms of ${tasks.tasks})`,
      '≤ 50 ms',
    ],
    [
      'scripting per update',
      `${updates > 0 ? (scriptMs / updates).toFixed(2) : '—'} ms (script ${scriptMs.toFixed(0)} ms, all tasks ${taskMs.toFixed(0)} ms)`,
      '',
    ],
    ['JS heap, DOM nodes', `${((after.JSHeapUsedSize ?? 0) / 2 ** 20).toFixed(1)} MB, ${after.Nodes ?? 0}`, ''],
  ];
  console.log(
    `\nbench:wall — headless Chromium 1920×1080${reducedMotion ? ', reduced motion' : ''}, demo feed at ${values.speed}× during live updates\n`,
  );
  for (const [k, v, t] of rows) console.log(`  ${k.padEnd(30)} ${v.padEnd(58)} ${t}`);
  const ok = firstRender <= 2000 && bundle.gzip <= 600 * 1024 && tasks.over50 === 0;
  console.log(`\n  targets ${ok ? 'met' : 'MISSED'}\n`);
} finally {
  await browser.close();
  await wall.stop();
}
