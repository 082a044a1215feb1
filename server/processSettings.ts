/**
 * The memory settings of the server's process. Both act before the process's code runs (V8 sizes its young generation
 * when the heap is set up; glibc reads `MALLOC_ARENA_MAX` at its first allocation), so they cannot be set from inside:
 * `npm start` puts them on its `node` command line (package.json; `test/scripts/start-memory.test.ts` keeps the two
 * equal), and the benches fork their server processes with them, so what they measure is what runs.
 *
 * Why: under sustained ingest the server's live JS heap stays near 60–150 MB, but with Node's defaults V8 let the heap
 * grow to 200+ MB between major collections (it multiplies the live size by up to 4 on a machine with much memory) and
 * kept 16 MB semi-spaces, and glibc kept freed memory in per-thread arenas; a replayed year peaked at 410–485 MB of RSS.
 * The measurements are in the README (Configuration, Measured).
 */

/**
 * Node flags of the server process: a 2 MB semi-space (young generation: more, shorter scavenges, a little more
 * promotion), and V8's old generation allowed to grow by 30 % of the live size before the next major collection
 * (instead of up to ×4), which keeps the heap near what it holds for a few more collections.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--heap-growing-percent=30'];

/** Environment of the server process: two glibc malloc arenas (main thread and one shared by the others), not 8 per core. */
export const SERVER_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
