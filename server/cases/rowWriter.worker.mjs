/**
 * The case read model's writer thread (plain JavaScript, loaded as it is: never bundled). It opens its own connection to
 * the model's file and runs each job it is sent — statements with their values — in one transaction.
 * The job comes as bytes (`rowCodec.mjs`). It answers every job on `port` ({ id, error, buffer }: the job's memory
 * back) and then publishes the id in `answered[0]`, so the main thread can
 * wait for an answer without its event loop (Atomics.wait), and take it with receiveMessageOnPort. Each job also writes
 * its id, with this writer's `epoch`, into `writer_jobs` in its own transaction: should this thread stop between a
 * commit and its answer, the main thread reads there which jobs were written.
 */
import { workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { runOps } from './rowCodec.mjs';

const { file, statements, port, answered: shared, epoch } = workerData;
const answered = new Int32Array(shared);

/** The connection and the job runner, or why the file could not be opened (then every job is answered with it). */
function open() {
  try {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Half the main connection's page cache: together they hold what one connection did before.
    db.pragma('cache_size = -8192');
    // The main thread writes on its own connection only while this one is idle; a reader never blocks a WAL writer.
    db.pragma('busy_timeout = 10000');
    db.exec(
      'CREATE TABLE IF NOT EXISTS writer_jobs (k INTEGER PRIMARY KEY, epoch TEXT NOT NULL, job INTEGER NOT NULL)',
    );
    const mark = db.prepare('INSERT OR REPLACE INTO writer_jobs (k, epoch, job) VALUES (0, ?, ?)');
    const prepared = statements.map((sql) => db.prepare(sql));
    const run = db.transaction((job, id) => {
      runOps(prepared, job);
      mark.run(epoch, id);
    });
    return { db, run, failure: null };
  } catch (err) {
    return {
      db: null,
      run: null,
      failure: `could not open ${file}: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}
const { db, run, failure } = open();

function answer(id, error, job) {
  // The job's memory goes back (transferred, as it came): its bytes for the next job, its byte values for the main
  // thread to ask for again if the job rolled back, or to let go — there, where collections are frequent; here they
  // would wait for this thread's next full collection, tens of MB of checkpoint bodies later.
  if (!job) port.postMessage({ id, error });
  else {
    const moved = job.attachments.filter((a) => a.byteOffset === 0 && a.byteLength === a.buffer.byteLength);
    port.postMessage({ id, error, buffer: job.buffer, attachments: job.attachments }, [
      job.buffer,
      ...moved.map((a) => a.buffer),
    ]);
  }
  Atomics.store(answered, 0, id);
  Atomics.notify(answered, 0);
}

port.on('message', (m) => {
  if (m.close) {
    db?.close();
    answer(m.id, null);
    port.close();
    return;
  }
  let error = failure;
  try {
    if (run) run(m.job, m.id);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  answer(m.id, error, m.job);
});
