/**
 * The satisfaction panel's target line sits where a bar at the target reaches, in real Chromium: a day exactly at the
 * target (9 of 10 satisfied against 90%) has its bar's top on the line, so a bar coloured as a met target is never
 * drawn under it.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { MINUTE_MS } from '@shared/time';
import type { DomainEventInput } from '@shared/events';
import { browserAvailable, launchChromium } from '../../harness/chromium';
import { caseEvent, received, T0 } from '../fixtures/events';
import { post, startTestServer, type TestServer } from '../../harness/server';

const run = browserAvailable('wall satisfaction browser test');

/** A case received at T0 and evaluated by 10:00 with `rating`. */
function evaluated(id: string, rating: 'satisfied' | 'unsatisfied'): DomainEventInput[] {
  const at = (m: number) => T0 + m * MINUTE_MS;
  return [
    received(id, { ts: at(0) }),
    caseEvent('case.dispatched', id, at(5), { unit: 'hongshan-urban' }),
    caseEvent('case.signed', id, at(10)),
    caseEvent('case.replied', id, at(30), { reply: '已处理' }),
    caseEvent('case.called_back', id, at(40)),
    caseEvent('case.evaluated', id, at(41), { rating }),
  ];
}

describe.runIf(run)('when a day of satisfaction sits exactly on the target', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer(T0 + 60 * MINUTE_MS, undefined, undefined, {
      staticDir: path.resolve('dist/client'),
    });
    const events = Array.from({ length: 10 }, (_, i) => evaluated(`s-${i}`, i === 0 ? 'unsatisfied' : 'satisfied'));
    const r = await post(server.url, { space: 'live', events: events.flat() });
    expect(r.json).toMatchObject({ accepted: 60, rejectedCount: 0 });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  for (const [width, height] of [
    [1920, 1080],
    [3840, 2160],
  ] as const)
    it(`then at ${width}×${height} the bar of that day reaches the target line, within a pixel`, async () => {
      const page = await browser.newPage({ viewport: { width, height } });
      await page.goto(`${server.url}/?space=live&token=viewer-token`);
      const panel = page.locator('[data-panel="satisfaction"]');
      await expect.poll(async () => panel.innerText(), { timeout: 20_000 }).toContain('90.0%');
      const { line, bar } = await panel.evaluate((el) => {
        const bars = [...el.querySelectorAll<HTMLElement>('.bar')];
        const today = bars[bars.length - 1]!;
        return {
          line: el.querySelector<HTMLElement>('.target')!.getBoundingClientRect().top,
          bar: today.getBoundingClientRect().top,
        };
      });
      // Within a pixel of the 1920×1080 layout (the wall is scaled up whole on a larger screen).
      expect(Math.abs(line - bar)).toBeLessThan(1.5 * (width / 1920));
      await page.close();
    });
});
