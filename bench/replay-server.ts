/** The server of `bench:replay`, in a process of its own (so the replaying client does not share its core): prints its URL. */
import { createApp } from '../server/app';
import { TokenRegistry } from '../server/auth/tokens';
import { openSqliteStore } from '../server/store/sqlite';
import { DEFAULT_CONFIG } from '../shared/config';

const dir = process.argv[2];
if (!dir) throw new Error('usage: replay-server.ts DATA_DIR');
const app = createApp({ store: openSqliteStore({ dataDir: dir }), config: DEFAULT_CONFIG, tokens: new TokenRegistry([{ role: 'admin', space: null, token: 'bench' }]) });
const addr = await app.listen(0, '127.0.0.1');
await app.ready;
let peak = 0;
setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 200).unref();
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${addr.port}` })}\n`);
process.on('message', (m) => {
  if (m === 'stats') {
    const p = app.spaces.get('drill-bench').projection;
    process.send?.({ events: p.eventsApplied, cases: p.cases.size, peakRss: Math.max(peak, process.memoryUsage.rss()) });
  }
});
process.on('SIGTERM', () => { void app.close().then(() => process.exit(0)); });
