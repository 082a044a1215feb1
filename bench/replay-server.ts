/**
 * The server of `bench:replay`, in a process of its own (so the replaying client does not share its core), on files in
 * DATA_DIR as in production (event log, case read model with the checkpoints): prints its URL, then answers `stats` (peak RSS sampled every 200 ms, and the kernel's high-water mark)
 * and `filled` (when the dedupe filters a start fills from the log after it is ready were complete, and the peak RSS then).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { createApp } from '../server/app';
import { applyReadySettings } from '../server/processSettings';
import { createLogger } from '../server/log';
import { TokenRegistry } from '../server/auth/tokens';
import { openSqliteStore } from '../server/store/sqlite';
import { DEFAULT_CONFIG } from '@shared/config';

const dir = process.argv[2];
if (!dir) throw new Error('usage: replay-server.ts DATA_DIR');
const started = performance.now();
/** Time spent in V8's garbage collector since the process started, ms (the stats report it: how much of a fold is GC). */
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });
const app = createApp({
  logger: createLogger({ level: 'warn' }),
  store: openSqliteStore({ dataDir: dir }),
  config: DEFAULT_CONFIG,
  tokens: new TokenRegistry([{ role: 'admin', space: null, token: 'bench' }]),
  caseDbFile: path.join(dir, 'cases.sqlite'),
});
const addr = await app.listen(0, '127.0.0.1');
let peak = 0;
setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
}, 200).unref();
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${addr.port}` })}\n`);
await app.ready;
const readyMs = performance.now() - started;
const readyGcMs = gcMs;
const readyMainCpuMs = mainThreadCpuMs();
applyReadySettings();
// The parent learns it over IPC: polling /readyz through a long fold would take CPU from the fold it times.
process.send?.({ ready: readyMs });
/**
 * CPU time of this process's main thread so far, ms (Linux: /proc/self/task/PID/stat, 10 ms ticks), null elsewhere: a
 * figure of the fold's own work that other load on the machine does not inflate, unlike its wall time.
 */
function mainThreadCpuMs(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}
/** The kernel's high-water mark of this process's RSS (`VmHWM`, Linux only), in bytes; null where there is none. */
function highWaterMark(): number | null {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : null;
  } catch {
    return null;
  }
}
process.on('message', (m) => {
  // On `filled`: answers, once every dedupe filter being filled from its log after the start is complete, when that was
  // and the process's peak RSS then (the fill's thread and its bits included).
  if (m === 'filled') {
    void app.spaces.filled().then(() =>
      process.send?.({
        filledMs: performance.now() - started,
        peakRss: Math.max(peak, process.memoryUsage.rss()),
        hwm: highWaterMark(),
      }),
    );
    return;
  }
  // REPLAY_HEAPSNAPSHOT=DIR: on `heapsnapshot`, writes a V8 heap snapshot of the server to DIR and answers its path.
  if (m === 'heapsnapshot' && process.env.REPLAY_HEAPSNAPSHOT) {
    process.send?.({
      snapshot: writeHeapSnapshot(path.join(process.env.REPLAY_HEAPSNAPSHOT, 'replay-server.heapsnapshot')),
    });
    return;
  }
  if (m === 'stats') {
    const p = app.spaces.get('drill-bench').projection;
    const reports = app.spaces.all().length;
    const m = process.memoryUsage();
    process.send?.({
      events: p.eventsApplied,
      cases: p.cases.size,
      open: p.open.size,
      peakRss: Math.max(peak, m.rss),
      hwm: highWaterMark(),
      rss: m.rss,
      heap: m.heapUsed,
      heapTotal: m.heapTotal,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      readyMs,
      readyGcMs,
      readyMainCpuMs,
      spaces: reports,
    });
  }
});
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
