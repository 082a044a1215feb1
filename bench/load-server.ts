/**
 * The server of `bench:load`, in a process of its own: the real app on SQLite files in `DATA_DIR`, the wall clock as
 * its clock. It tells the parent its port over IPC once listening, and its RSS every 100 ms; on `gc` it collects
 * (run with --expose-gc) and answers its RSS; on `stop` it closes.
 */
import { createApp, WALL_DEFLATE } from '../server/app';
import { applyReadySettings } from '../server/processSettings';
import { TokenRegistry } from '../server/auth/tokens';
import { createLogger } from '../server/log';
import { openSqliteStore } from '../server/store/sqlite';
import { DEFAULT_CONFIG } from '@shared/config';

/** What the server process says. */
export type LoadServerReply =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'rss'; readonly rss: number }
  | { readonly type: 'gc'; readonly rss: number; readonly heap: number };

const dataDir = process.env.DATA_DIR ?? '';
const deflate = process.env.LOAD_DEFLATE === 'on' ? { threshold: 1024 } : WALL_DEFLATE;
const tokens = new TokenRegistry([
  { role: 'producer', space: 'live', token: 'bench-producer-token' },
  { role: 'viewer', space: null, token: 'bench-viewer-token-0' },
]);
const app = createApp({
  store: openSqliteStore({ dataDir }),
  config: DEFAULT_CONFIG,
  tokens,
  caseDbFile: `${dataDir}/cases.sqlite`,
  perMessageDeflate: deflate,
  logger: createLogger({ level: 'error' }),
});
const send = (m: LoadServerReply) => {
  process.send?.(m);
};
void app.listen(0, '127.0.0.1').then(async (a) => {
  await app.ready;
  applyReadySettings();
  send({ type: 'listening', port: a.port });
});
setInterval(() => send({ type: 'rss', rss: process.memoryUsage().rss }), 100).unref();
// LOAD_MEMORY_LOG=1: where the server's memory is, each second on stderr (RSS, JS heap by space, off-heap).
if (process.env.LOAD_MEMORY_LOG) {
  const { getHeapSpaceStatistics } = await import('node:v8');
  const t0 = Date.now();
  const mib = (b: number) => (b / 1048576).toFixed(0);
  setInterval(() => {
    const m = process.memoryUsage();
    const spaces = getHeapSpaceStatistics()
      .filter((s) => s.space_size > 4 * 1048576)
      .map((s) => `${s.space_name.replace('_space', '')} ${mib(s.space_used_size)}/${mib(s.space_size)}`)
      .join(', ');
    process.stderr.write(
      `[mem ${((Date.now() - t0) / 1000).toFixed(0)}s] rss ${mib(m.rss)} heap ${mib(m.heapUsed)}/${mib(m.heapTotal)} external ${mib(m.external)} arrayBuffers ${mib(m.arrayBuffers)}; ${spaces}\n`,
    );
  }, 1000).unref();
}
process.on('message', (m: { type: string }) => {
  if (m.type === 'gc') {
    (globalThis as { gc?: () => void }).gc?.();
    send({ type: 'gc', rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed });
  } else if (m.type === 'stop') {
    void app.close().then(() => process.exit(0));
  }
});
