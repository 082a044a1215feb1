/**
 * A dedupe filter's fill thread (plain JavaScript, loaded as it is: never bundled). On a connection of its own it reads
 * every event id of one space's log, a range at a time from the ids' unique index (`logIds.mjs`), and sets each id's
 * bits in the shared words (`seen`) with the same arithmetic as every other filler (`bloomBits.mjs`). It answers
 * `{ ids }` once done, or `{ error }`. Ids logged while it reads are the writer's to add (some of them it may read too).
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { addId } from '../ingest/bloomBits.mjs';
import { ID_RANGE, idRanges } from './logIds.mjs';

const { file, table, seen } = workerData;

let db = null;
try {
  db = new Database(file, { fileMustExist: true });
  // A reader never blocks the WAL writer; it waits for it only while a checkpoint resets the WAL.
  db.pragma('busy_timeout = 10000');
  const bits = new Uint32Array(seen.words);
  let n = 0;
  for (const ids of idRanges(db, table, ID_RANGE)) {
    for (const id of ids) addId(bits, seen.mask, seen.hashes, id);
    n += ids.length;
  }
  parentPort.postMessage({ ids: n });
} catch (err) {
  parentPort.postMessage({ error: err instanceof Error ? err.message : String(err) });
} finally {
  if (db?.open) db.close();
}
