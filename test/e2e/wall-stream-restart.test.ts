/**
 * A wall left open on a space that is deleted and made again (a drill space emptied while its simulator feeds on) sees
 * the new space at once: the new stream's first delta is older than the wall's view, and the wall asks for a fresh
 * snapshot instead of dropping deltas until their numbers catch up and then patching the deleted space's view.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { browserAvailable, launchChromium } from '../../harness/chromium';
import { received, T0 } from '../fixtures/events';
import { post, startTestServer, type TestServer } from '../../harness/server';

const run = browserAvailable('wall stream restart browser test');
const SPACE = 'drill-a';

describe.runIf(run)('when the space an open wall shows is deleted and made again', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer(T0, undefined, undefined, { staticDir: path.resolve('dist/client') });
    const events = ['a-1', 'a-2', 'a-3'].map((id) => received(id, { street: 'guanshan' }));
    expect((await post(server.url, { space: SPACE, events }, 'producer-drill-a')).json.accepted).toBe(3);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it('then the wall shows the new space within seconds, as a freshly opened page does', async () => {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await page.goto(`${server.url}/?space=${SPACE}&token=viewer-token`);
    const open = page.locator('[data-street=guanshan] .open');
    await expect.poll(async () => (await open.textContent())?.trim(), { timeout: 20_000 }).toBe('3');
    // The stream sends a delta a second (the heartbeat, on the server's clock): after a while its numbers are well
    // ahead of a new stream's.
    const tick = async (n: number) => {
      for (let i = 0; i < n; i++) {
        server.now.value += 1_000;
        await page.waitForTimeout(100);
      }
    };
    await tick(30);

    const deleted = await fetch(`${server.url}/api/v1/spaces/${SPACE}`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer admin-token' },
    });
    expect(deleted.status).toBe(200);
    const again = [received('b-1', { street: 'guanshan', eventId: 'b-1-r' })];
    expect((await post(server.url, { space: SPACE, events: again }, 'producer-drill-a')).json.accepted).toBe(1);

    // Within a few heartbeats (well before the old stream's numbers are reached), the wall shows the new space.
    await tick(5);
    expect((await open.textContent())?.trim()).toBe('1');
    const fresh = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await fresh.goto(`${server.url}/?space=${SPACE}&token=viewer-token`);
    await expect
      .poll(async () => (await fresh.locator('[data-street=guanshan] .open').textContent())?.trim(), {
        timeout: 20_000,
      })
      .toBe('1');
    const panel = (p: typeof page) => p.locator('[data-panel="overdue"]').innerText();
    expect(await panel(page)).toBe(await panel(fresh));
    await fresh.close();
    await page.close();
  }, 90_000);
});
