import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../server/app';
import { TokenRegistry } from '../../server/auth/tokens';
import { openSqliteStore } from '../../server/store/sqlite';
import { DEFAULT_CONFIG } from '@shared/config';
import type { DomainEvent } from '@shared/events';
import { T0 } from '../fixtures/events';
import { removeData, TOKENS } from '../../harness/server';

const EVENTS = 150_000;

interface Progress {
  spaces: number;
  spacesDone: number;
  events: number;
  eventsDone: number;
  fraction: number | null;
}

describe('when the server starts on a log of 150,000 events with no checkpoint', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cityops-start-'));
  let app: App;
  beforeAll(async () => {
    const store = openSqliteStore({ dataDir });
    for (let i = 0; i < EVENTS; i += 10_000) {
      const batch: DomainEvent[] = [];
      for (let k = i; k < i + 10_000; k++)
        batch.push({ type: 'link.heartbeat', eventId: `hb-${k}`, ts: T0 + k * 1000, link: 'city_platform', ok: true });
      await store.append('live', batch, []);
    }
    await store.close();
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    removeData(dataDir);
  });

  it('then it listens at once: /healthz is 200 and /readyz 503 with progress while the log is folded, then /readyz 200', async () => {
    app = createApp({
      store: openSqliteStore({ dataDir }),
      config: DEFAULT_CONFIG,
      tokens: new TokenRegistry(TOKENS),
      caseDbFile: path.join(dataDir, 'cases.sqlite'),
      now: () => T0 + EVENTS * 1000,
    });
    let ready = false;
    void app.ready.then(() => {
      ready = true;
    });
    const addr = await app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${addr.port}`;
    const health = await fetch(`${url}/healthz`);
    const during = await fetch(`${url}/readyz`);
    const body = (await during.json()) as { ready: boolean; progress: Progress };
    expect(ready).toBe(false);
    expect(health.status).toBe(200);
    expect(during.status).toBe(503);
    expect(body.ready).toBe(false);
    expect(body.progress.spaces).toBe(1);
    expect(body.progress.events).toBe(EVENTS);
    expect(body.progress.eventsDone).toBeLessThan(EVENTS);
    await app.ready;
    // The dedupe filter is filled from the log after the start (`seen-fill.test.ts`): /readyz says so until it is done.
    await app.spaces.filled();
    const after = await fetch(`${url}/readyz`);
    expect(after.status).toBe(200);
    expect(((await after.json()) as { spaces: { space: string; events: number }[] }).spaces).toEqual([
      { space: 'live', events: EVENTS },
    ]);
  }, 60_000);
});
