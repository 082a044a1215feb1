/**
 * A log reader thread (plain JavaScript, loaded as it is: never bundled). It reads one space's log after a seq on its own
 * connection, page by page, and posts each page as its seqs (a transferred Float64Array) and its bodies (the JSON texts,
 * which the main thread parses one by one). It keeps at most `ahead` pages untaken: the main thread sends a message for
 * each page it takes, so a slow fold never piles pages up in memory.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, table, after, pageSize, ahead } = workerData;

let db = null;
let page = null;
let from = after;
let credits = ahead;
let ended = false;

function end(message) {
  ended = true;
  parentPort.postMessage(message);
  if (db?.open) db.close();
}

function pump() {
  try {
    if (db === null) {
      db = new Database(file, { fileMustExist: true });
      // A reader never blocks the WAL writer; it waits for it only while a checkpoint resets the WAL.
      db.pragma('busy_timeout = 10000');
      page = db.prepare(`SELECT seq, body FROM ${table} WHERE seq > ? ORDER BY seq LIMIT ?`).raw();
    }
    while (credits > 0 && !ended) {
      const rows = page.all(from, pageSize);
      if (rows.length === 0) {
        end({ end: true });
        return;
      }
      const seqs = new Float64Array(rows.length);
      const bodies = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i];
        seqs[i] = row[0];
        bodies[i] = row[1];
      }
      from = seqs[rows.length - 1];
      credits--;
      parentPort.postMessage({ seqs, bodies }, [seqs.buffer]);
    }
  } catch (err) {
    end({ error: err instanceof Error ? err.message : String(err) });
  }
}

parentPort.on('message', () => {
  credits++;
  pump();
});
pump();
