/**
 * `npm start`: the server on the embedded store, with the demo simulator feeding the `demo` space through the public
 * ingest API. The demo space is rebuilt at each start with a backlog of the previous days, so every panel has content.
 */
import { startServer } from '../server/index';
import { readEnv } from '../server/env';
import { startProducer } from '../simulators/producer';

const env = readEnv();
const speed = Number(process.env.DEMO_SPEED ?? 1);
const backlogDays = Number(process.env.DEMO_BACKLOG_DAYS ?? 2);
const seed = Number(process.env.DEMO_SEED ?? 20241);
const running = await startServer(env);
// One operation deletes the old demo space: its log, its case rows and checkpoint, its wall stream.
await running.app.spaces.delete('demo');

const producer = running.tokens.grants.find((g) => g.role === 'producer' && (g.space === 'demo' || g.space === null))
  ?? running.tokens.grants.find((g) => g.role === 'admin');
const viewer = running.tokens.first('viewer') ?? running.tokens.first('admin');
if (!producer) {
  console.log('no producer@demo or admin token configured: the demo feed is off');
} else {
  console.log(`demo feed: ${backlogDays} day(s) of backlog, then ${speed}× real time (DEMO_SPEED, DEMO_BACKLOG_DAYS)`);
  const feed = startProducer({ server: running.url, token: producer.token, space: 'demo', seed, speed, backlogDays });
  feed.done.catch((err: unknown) => console.error(`demo feed stopped: ${(err as Error).message}`));
  process.once('SIGINT', () => void feed.stop());
}
if (viewer) {
  // The token is printed on a terminal only: captured output (a service's journal, a CI log) travels further.
  const token = process.stdout.isTTY ? viewer.token : `<a viewer token: CITYOPS_TOKENS or ${env.dataDir}/tokens.json>`;
  console.log(`\n  Wall (demo):  ${running.url}/?space=demo&token=${token}\n  Wall (live):  ${running.url}/?space=live&token=${token}\n`);
  if (env.generatedTokens) console.log(`  tokens were generated and kept in ${env.dataDir}/tokens.json (set CITYOPS_TOKENS to choose your own)\n`);
}
