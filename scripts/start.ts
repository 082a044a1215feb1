/**
 * `npm start`: the server with the demo simulator feeding the `demo` space through the public ingest API.
 *
 * On the embedded store the demo space is rebuilt at each start with a backlog of the previous days, so every panel
 * has content. On a cluster (DATABASE_URL) the demo space is shared: a node never drops it, and the feed runs on one
 * node only — the one that holds the `demo-feed` lease; when that node is lost, another takes the lease and the feed
 * goes on (its events are seeded, so what the first feed already sent is found a duplicate).
 */
import { startServer } from '../server/index';
import { readEnv } from '../server/env';
import { logger } from '../server/log';
import type { Producer } from '../simulators/producer';

const env = readEnv();
const speed = Number(process.env.DEMO_SPEED ?? 1);
const backlogDays = Number(process.env.DEMO_BACKLOG_DAYS ?? 2);
const seed = Number(process.env.DEMO_SEED ?? 20241);
const running = await startServer(env);
// The feed's modules (the simulator, the Socket.IO client) load once the server listens: they do not delay its start.
const { startProducer } = await import('../simulators/producer');
// One operation deletes the old demo space: its log, its case rows and checkpoint, its wall stream.
if (!env.databaseUrl) await running.app.spaces.delete('demo');

const producer =
  running.tokens.grants.find((g) => g.role === 'producer' && (g.space === 'demo' || g.space === null)) ??
  running.tokens.grants.find((g) => g.role === 'admin');
const viewer = running.tokens.first('viewer') ?? running.tokens.first('admin');
if (!producer) {
  console.log('no producer@demo or admin token configured: the demo feed is off');
} else if (process.env.DEMO_FEED === 'off') {
  console.log('the demo feed is off on this node (DEMO_FEED=off)');
} else {
  const token = producer.token;
  let feed: Producer | null = null;
  const begin = () => {
    console.log(
      `demo feed: ${backlogDays} day(s) of backlog, then ${speed}× real time (DEMO_SPEED, DEMO_BACKLOG_DAYS)`,
    );
    feed = startProducer({ server: running.url, token, space: 'demo', seed, speed, backlogDays });
    feed.done.catch((err: unknown) => console.error(`demo feed stopped: ${(err as Error).message}`));
  };
  if (env.databaseUrl) {
    const { Lease } = await import('../server/cluster/lease');
    const lease = new Lease(env.databaseUrl, 'demo-feed', logger);
    lease.hold(begin, () => {
      void feed?.stop();
      feed = null;
    });
    process.once('SIGINT', () => void lease.close());
    process.once('SIGTERM', () => void lease.close());
  } else {
    begin();
  }
  process.once('SIGINT', () => void (feed as Producer | null)?.stop());
}
if (viewer) {
  // The token is printed on a terminal only: captured output (a service's journal, a CI log) travels further.
  const token = process.stdout.isTTY ? viewer.token : `<a viewer token: CITYOPS_TOKENS or ${env.dataDir}/tokens.json>`;
  console.log(
    `\n  Wall (demo):  ${running.url}/?space=demo&token=${token}\n  Wall (live):  ${running.url}/?space=live&token=${token}\n`,
  );
  if (env.generatedTokens)
    console.log(
      `  tokens were generated and kept in ${env.dataDir}/tokens.json (set CITYOPS_TOKENS to choose your own)\n`,
    );
}
