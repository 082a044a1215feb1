/**
 * The webhook outbox of a cluster in the real PostgreSQL: both nodes write the rows of every batch they fold and both
 * dispatch, yet a new urgent item reaches the chat robot once; a delivery still failing when the node that logged its
 * event stops is posted by the other node, whose desk lists it delivered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../../server/store/postgres';
import { PgOutboxStore } from '../../../server/duty/pgOutbox';
import type { CityopsConfig } from '@shared/config';
import type { DeskAnswer } from '@shared/duty/desk';
import { HOUR_MS } from '@shared/time';
import { T0, received } from '../../fixtures/events';
import { pollUntil } from '../../fixtures/wallClient';
import { robotConfig, WebhookReceiver } from '../../fixtures/webhookReceiver';
import { createTestDatabase, type TestDatabase } from '../../../harness/postgres';
import { post, removeData, startTestServer, type TestServer } from '../../../harness/server';

const NOW = T0 + HOUR_MS;

describe('when two nodes share the webhook outbox in PostgreSQL', () => {
  const receiver = new WebhookReceiver(0);
  let db: TestDatabase;
  let config: CityopsConfig;
  const stores: Awaited<ReturnType<typeof openPostgresStore>>[] = [];
  let a: TestServer;
  let b: TestServer;
  let aStopped = false;

  const node = async (monitorMs: number): Promise<TestServer> => {
    const store = await openPostgresStore({ connectionString: db.url });
    stores.push(store);
    return startTestServer(
      NOW,
      undefined,
      { value: NOW },
      {
        store,
        config,
        follow: { connectionString: db.url, intervalMs: 100 },
        outboxStore: new PgOutboxStore(store.pool, 2_000),
        webhookMs: 30,
        monitorMs,
      },
    );
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    config = robotConfig(await receiver.listen(), { baseSec: 0.05, maxSec: 0.2, attempts: 100 });
    // Only A's monitor runs: A logs every item's events, B only folds them (so B could post nothing of its own).
    a = await node(50);
    b = await node(3_600_000);
  });

  afterAll(async () => {
    if (!aStopped) await a?.stop();
    await b?.stop();
    for (const s of [a, b]) if (s) removeData(s.dataDir);
    await receiver.close();
    await db.drop();
  });

  it('then a new urgent item reaches the robot once, though both nodes write its row and both dispatch', async () => {
    const res = await post(a.url, {
      space: 'live',
      events: [received('u1', { ts: NOW, urgency: 'urgent', title: '燃气泄漏' })],
    });
    expect(res.json).toMatchObject({ accepted: 1 });
    await pollUntil('the delivery', () => receiver.ok().length === 1);
    await pollUntil('node B folded the batch', () => b.app.spaces.get('live').projection.items.has('case|u1'));
    // Several dispatch passes of both nodes later, still one request.
    await new Promise((r) => setTimeout(r, 600));
    expect(receiver.got.map((g) => [g.headers['x-cityops-delivery'], g.status])).toEqual([
      ['live|item|case|u1|robot', 200],
    ]);
    const { rows } = await stores[0]!.pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox');
    expect(Number(rows[0]!.n)).toBe(1);
  });

  it('then a delivery still failing when the node that logged it stops is posted by the other node, once', async () => {
    receiver.failFirst = 1_000_000;
    const res = await post(a.url, {
      space: 'live',
      events: [received('u2', { ts: NOW + 1, urgency: 'urgent', title: '路面塌陷' })],
    });
    expect(res.json).toMatchObject({ accepted: 1 });
    const key = 'live|item|case|u2|robot';
    await pollUntil(
      'failed attempts',
      () => receiver.got.filter((g) => g.headers['x-cityops-delivery'] === key).length >= 2,
    );
    await a.stop();
    aStopped = true;
    receiver.failFirst = 0;
    await pollUntil('the delivery from node B', () => receiver.ok().some((body) => body.item.id === 'case|u2'));
    await new Promise((r) => setTimeout(r, 600));
    expect(receiver.ok().filter((body) => body.item.id === 'case|u2')).toHaveLength(1);
    const desk = await fetch(`${b.url}/api/v1/duty/items?space=live`, {
      headers: { authorization: 'Bearer duty-live' },
    });
    const answer = (await desk.json()) as DeskAnswer;
    const [delivery] = answer.deliveries['case|u2']!;
    expect(delivery).toMatchObject({ endpoint: 'robot', level: 'urgent', status: 'delivered', lastError: null });
    expect(delivery!.attempts).toBe(receiver.got.filter((g) => g.headers['x-cityops-delivery'] === key).length);
  });
});
