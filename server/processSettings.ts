/**
 * The memory settings of the server's process.
 *
 * Why: under sustained ingest the server's live JS heap stays near 60–150 MB, but with Node's defaults V8 lets the heap
 * grow to 200+ MB between major collections (it multiplies the live size by up to 4 on a machine with much memory), and
 * glibc keeps freed memory in per-thread arenas; a replayed year peaked at 410–485 MB of RSS. The measurements are in
 * the README (Configuration, Measured).
 *
 * - `MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072` (`SERVER_ENV`) act before the process's code runs (glibc reads it at its first allocation):
 *   `npm start` puts it on its command line (package.json; `test/scripts/start-memory.test.ts` keeps the two equal), and
 *   the benches fork their servers with it.
 * - V8's heap growth (`READY_V8_FLAGS`) is set once the server is ready (`applyReadySettings`): V8 reads it at every
 *   major collection, so it takes effect then, and the start — folding a log, often a long one — runs on Node's
 *   defaults, which fold it some 2× faster than with the heap kept tight.
 *
 * `CITYOPS_MEMORY_DEFAULTS=1` leaves both at Node's and glibc's defaults (the benches' `--node-defaults`, to compare).
 */
import { setFlagsFromString } from 'node:v8';

/**
 * Environment of the server process: two glibc malloc arenas (main thread and one shared by the others), not 8 per
 * core; and a fixed mmap threshold of 128 KB — glibc otherwise raises it to the size of each large block freed, so the
 * case read model's write buffers (megabytes, handed to its writer thread and back) would come from the arenas and
 * stay there (a replayed year: 327 MB of RSS at the end with the threshold moving, 262 MB with it fixed).
 */
export const SERVER_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' };

/**
 * V8 flags set once the server is ready: the old generation may grow by 30 % of the live size before the next major
 * collection (instead of up to ×4), which keeps the heap near what it holds.
 */
export const READY_V8_FLAGS: readonly string[] = ['--heap-growing-percent=30'];

/** Whether the process was asked to keep Node's defaults (`CITYOPS_MEMORY_DEFAULTS=1`). */
export function memoryDefaults(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CITYOPS_MEMORY_DEFAULTS === '1';
}

/** Sets `READY_V8_FLAGS` (unless `CITYOPS_MEMORY_DEFAULTS=1`); returns the flags set. */
export function applyReadySettings(env: NodeJS.ProcessEnv = process.env): readonly string[] {
  if (memoryDefaults(env)) return [];
  for (const f of READY_V8_FLAGS) setFlagsFromString(f);
  return READY_V8_FLAGS;
}
