/**
 * Notifications out through the real app: a local HTTP receiver stands in for a chat robot and fails its first
 * attempts; the new urgent item and its escalation each reach it once, after retries with backoff, with the desk's
 * link; the desk lists each item's deliveries; a restart while a delivery is pending finishes it and sends nothing
 * twice; a drill space tells no endpoint configured for live only.
 */
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CityopsConfig } from '@shared/config';
import type { DeskAnswer } from '@shared/duty/desk';
import { MINUTE_MS, shanghaiInstant } from '@shared/time';
import { received } from '../fixtures/events';
import { pollUntil } from '../fixtures/wallClient';
import { robotConfig, WebhookReceiver } from '../fixtures/webhookReceiver';
import { post, removeData, startTestServer, type TestServer } from '../../harness/server';
import { SqliteOutboxStore, type OutboxStore } from '../../server/duty/outbox';
import { memoryLog } from '../fixtures/logs';

const NIGHT = shanghaiInstant('2026-11-24', '03:00');

describe('when an urgent item opens and escalates with a webhook that fails its first attempts', () => {
  const receiver = new WebhookReceiver(2);
  let server: TestServer;
  let config: CityopsConfig;

  beforeAll(async () => {
    config = robotConfig(
      await receiver.listen(),
      { baseSec: 0.1, maxSec: 0.4, attempts: 5 },
      'https://ops.example.gov.cn',
    );
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cityops-hooks-'));
    server = await startTestServer(NIGHT, dataDir, undefined, {
      config,
      monitorMs: 40,
      webhookMs: 30,
      outboxDbFile: path.join(dataDir, 'outbox.sqlite'),
    });
    expect(
      (
        await post(server.url, {
          space: 'live',
          events: [received('h1', { ts: NIGHT, urgency: 'urgent', title: '燃气泄漏' })],
        })
      ).json.accepted,
    ).toBe(1);
    expect(
      (
        await post(
          server.url,
          { space: 'drill-a', events: [received('d1', { ts: NIGHT, urgency: 'urgent', title: '演练件' })] },
          'producer-drill-a',
        )
      ).json.accepted,
    ).toBe(1);
  });

  afterAll(async () => {
    await server.stop();
    await receiver.close();
    removeData(server.dataDir);
  });

  it('then the new urgent item reaches the receiver once, after two failed attempts, in the robot body with the desk link', async () => {
    await pollUntil('the delivery', () => receiver.ok().length === 1);
    expect(receiver.got.map((g) => g.status)).toEqual([500, 500, 200]);
    expect(new Set(receiver.got.map((g) => g.headers['x-cityops-delivery']))).toEqual(
      new Set(['live|item|case|h1|robot']),
    );
    const [body] = receiver.ok();
    expect(body).toEqual({
      msgtype: 'text',
      text: {
        content: '【紧急事项】紧急 燃气泄漏，2026-11-24 03:00。值班台：https://ops.example.gov.cn/duty?space=live',
      },
      level: 'urgent',
      link: 'https://ops.example.gov.cn/duty?space=live',
      item: { id: 'case|h1', space: 'live', kind: 'case', since: NIGHT, escalation: null },
    });
    // The drill's item is not told to an endpoint configured for live.
    expect(server.app.spaces.get('drill-a').projection.items.has('case|d1')).toBe(true);
    expect(receiver.got.some((g) => g.body.item.space !== 'live')).toBe(false);
  });

  it('then the desk lists the delivery with its attempts', async () => {
    const res = await fetch(`${server.url}/api/v1/duty/items?space=live`, {
      headers: { authorization: 'Bearer duty-live' },
    });
    const json = (await res.json()) as DeskAnswer;
    expect(json.deliveries['case|h1']!.map((d) => [d.endpoint, d.level, d.status, d.attempts, d.lastError])).toEqual([
      ['robot', 'urgent', 'delivered', 3, null],
    ]);
  });

  it('then a restart while the escalation is still failing finishes it, and nothing is sent twice', async () => {
    server.now.value = NIGHT + 6 * MINUTE_MS;
    await pollUntil('the first failed attempt of the escalation', () =>
      receiver.got.some((g) => g.body.level === 'escalation'),
    );
    server = await server.restart();
    await pollUntil('the escalation delivered', () => receiver.ok().length === 2);
    // Past the retries of everything (attempts ≤ 5 at most 0.4 s apart) the receiver has each body once.
    await new Promise((r) => setTimeout(r, 1_500));
    const ok = receiver.ok();
    expect(ok.map((b) => [b.level, b.item.escalation])).toEqual([
      ['urgent', null],
      ['escalation', { level: 1, to: '值班长' }],
    ]);
    expect(ok[1]!.text.content).toBe(
      '【值班升级·值班长】紧急 燃气泄漏，2026-11-24 03:00 起未接报。值班台：https://ops.example.gov.cn/duty?space=live',
    );
    expect(receiver.got.filter((g) => g.body.level === 'escalation').map((g) => g.status)).toEqual([500, 500, 200]);
  });
});

describe('when the node stops between an urgent item and its outbox row', () => {
  const receiver = new WebhookReceiver(0);
  afterAll(async () => {
    await receiver.close();
  });

  it("then the next start writes the row from the log's events after the checkpoint, and the notification goes out once", async () => {
    const config = robotConfig(await receiver.listen(), { baseSec: 0.1, maxSec: 0.4, attempts: 5 });
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cityops-hooks-'));
    const outboxDbFile = path.join(dataDir, 'outbox.sqlite');
    const real = new SqliteOutboxStore(outboxDbFile);
    let lost = false;
    // The row of the item never reaches the outbox, as when the node stops right after the event's commit.
    const store: OutboxStore = Object.assign(Object.create(real) as OutboxStore, {
      insert: (rows: Parameters<OutboxStore['insert']>[0]) =>
        lost ? Promise.reject(new Error('the node stopped')) : real.insert(rows),
    });
    const quiet = { config, monitorMs: 3_600_000, webhookMs: 30 };
    const first = await startTestServer(NIGHT, dataDir, undefined, {
      ...quiet,
      outboxStore: store,
      logger: memoryLog().log,
    });
    expect((await post(first.url, { space: 'live', events: [received('n1', { ts: NIGHT })] })).json.accepted).toBe(1);
    await first.app.monitor.pass();
    // The read model's file as it stood at that checkpoint: a node stopped hard keeps no later checkpoint.
    const atCheckpoint = path.join(dataDir, 'cases-at-checkpoint.sqlite');
    await first.app.cases.backupTo(atCheckpoint);
    lost = true;
    const urgent = received('u1', { ts: NIGHT + MINUTE_MS, urgency: 'urgent', title: '燃气泄漏' });
    expect((await post(first.url, { space: 'live', events: [urgent] })).json.accepted).toBe(1);
    first.now.value = NIGHT + 2 * MINUTE_MS;
    await first.app.monitor.pass();
    expect(first.app.spaces.get('live').projection.items.has('case|u1')).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.got).toEqual([]);
    await first.app.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(path.join(dataDir, `cases.sqlite${suffix}`), { force: true });
    renameSync(atCheckpoint, path.join(dataDir, 'cases.sqlite'));

    const again = await startTestServer(NIGHT + 2 * MINUTE_MS, dataDir, undefined, { ...quiet, outboxDbFile });
    try {
      const report = (await again.app.restored).find((r) => r.space === 'live');
      expect(report).toMatchObject({ from: 'checkpoint' });
      await pollUntil('the urgent notification', () => receiver.ok().length === 1);
      await new Promise((r) => setTimeout(r, 500));
      expect(receiver.ok().map((b) => [b.level, b.item.id])).toEqual([['urgent', 'case|u1']]);
    } finally {
      await again.dispose();
    }
  });
});
