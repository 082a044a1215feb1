/**
 * A dedupe filter's fill thread (plain JavaScript, loaded as it is: never bundled). On a connection of its own it reads
 * every event id of one space's log — from the unique index of the ids, which holds nothing else (a scan of it reads a
 * fifth of the pages the log's rows take; should the index not be found by its name, from the rows) — and sets each
 * id's bits in the shared words (`seen`) with the same arithmetic as every other filler (`bloomBits.mjs`). It answers
 * `{ ids, indexed }` once done (`indexed`: read through the index), or `{ error }`. The read is one snapshot: ids logged after it are the writer's to add.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { addId } from '../ingest/bloomBits.mjs';

const { file, table, seen } = workerData;

/** The ids' query: through the unique index by its name, or else through the rows; and which it is. */
function ids(db) {
  try {
    return {
      query: db.prepare(`SELECT event_id FROM ${table} INDEXED BY sqlite_autoindex_${table}_1`).pluck(),
      indexed: true,
    };
  } catch {
    return { query: db.prepare(`SELECT event_id FROM ${table}`).pluck(), indexed: false };
  }
}

let db = null;
try {
  db = new Database(file, { fileMustExist: true });
  // A reader never blocks the WAL writer; it waits for it only while a checkpoint resets the WAL.
  db.pragma('busy_timeout = 10000');
  const bits = new Uint32Array(seen.words);
  const { query, indexed } = ids(db);
  let n = 0;
  for (const id of query.iterate()) {
    addId(bits, seen.mask, seen.hashes, id);
    n++;
  }
  parentPort.postMessage({ ids: n, indexed });
} catch (err) {
  parentPort.postMessage({ error: err instanceof Error ? err.message : String(err) });
} finally {
  if (db?.open) db.close();
}
