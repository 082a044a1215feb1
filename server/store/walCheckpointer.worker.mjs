/**
 * The event log's WAL checkpointer thread (plain JavaScript, loaded as it is: never bundled). On a connection of its
 * own it copies what the WAL holds into the database file (`PRAGMA wal_checkpoint(PASSIVE)`: it never waits for nor
 * blocks the writer), every `busyMs` while there is something to copy and every `idleMs` when there was not. The
 * writer then starts the WAL over at its next write, and never stops to checkpoint itself (its automatic checkpoint
 * stays only as a backstop, should this thread fall behind). It reports a failure once per kind, and goes on.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, synchronous, busyMs, idleMs } = workerData;
let db = null;
let reported = '';
let last = '';

function pass() {
  let next = idleMs;
  try {
    if (db === null) {
      db = new Database(file, { fileMustExist: true });
      db.pragma(`synchronous = ${synchronous}`);
    }
    // The WAL keeps its frames (all copied) until the writer starts it over: it is idle when a pass finds what the
    // last one left, all of it copied.
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    const seen = result ? `${result.log}/${result.checkpointed}` : '';
    if (result && (result.log > result.checkpointed || seen !== last)) next = busyMs;
    last = seen;
    reported = '';
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (message !== reported) parentPort.postMessage({ error: message });
    reported = message;
  }
  setTimeout(pass, next);
}
pass();
