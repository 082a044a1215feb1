/**
 * The dedupe filter of a space folded from its whole log, filled on a worker thread while the log is folded. Two ways:
 * - from the log itself (a SQLite file): the thread reads the event ids on a connection of its own — a scan of the
 *   event id index, no bodies — hashes them and sets the bits. The folding thread does nothing for the filter; hashing
 *   each id there cost a year's start about 3.5 s of its 26 s.
 * - from ids handed over (a log no thread can read: PostgreSQL, an in-memory database): this thread hashes each id and
 *   hands the hash pairs over in batches; the worker sets the bits — seven scattered writes into 8 MiB per id.
 * Bits are only ever set, so the filter is the same, bit for bit, as adding every id on this thread.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { LogTable } from '../store/types';
import { BloomFilter, hashPairInto, SEEN_HASHES, SEEN_LOG2_BITS, setBits } from './bloom';

/** Hash pairs handed to the worker at a time (512 KiB: a year's log is about 190 hand-overs, each costs about as much). */
const BATCH = 65_536;

/**
 * The worker. Reading the log: at its start it adds the ids of the log as it is then (up to its last seq), and at `end`
 * those logged after that up to the seq the fold ended at. Handed pairs: it sets the bits of each batch.
 * It answers `done` once every id is in.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const setBits = (${setBits.toString()});
const hashPairInto = (${hashPairInto.toString()});
const bits = new Uint32Array(workerData.words);
const { mask, hashes, log } = workerData;
const pair = new Uint32Array(2);
function addAll(ids) {
  for (const id of ids) {
    hashPairInto(id, pair, 0);
    setBits(bits, mask, hashes, pair[0], pair[1]);
  }
}
let db = null;
if (log) {
  const Database = require(log.driver);
  db = new Database(log.file, { fileMustExist: true });
  // The event id index holds every id and its seq: a scan of it reads no bodies (a quarter of the table's pages).
  let ids;
  try {
    ids = db.prepare('SELECT event_id FROM ' + log.table + ' INDEXED BY sqlite_autoindex_' + log.table + '_1 WHERE seq <= ?');
  } catch {
    ids = db.prepare('SELECT event_id FROM ' + log.table + ' WHERE seq <= ?');
  }
  log.upTo = db.prepare('SELECT max(seq) FROM ' + log.table).pluck().get() ?? 0;
  addAll(ids.pluck().iterate(log.upTo));
}
parentPort.on('message', (m) => {
  if (m.end) {
    if (db !== null && m.upTo > log.upTo) {
      addAll(db.prepare('SELECT event_id FROM ' + log.table + ' WHERE seq > ? AND seq <= ?').pluck().iterate(log.upTo, m.upTo));
    }
    if (db !== null) db.close();
    parentPort.postMessage('done');
    return;
  }
  const pairs = new Uint32Array(m.buffer, 0, m.length);
  for (let j = 0; j < pairs.length; j += 2) setBits(bits, mask, hashes, pairs[j], pairs[j + 1]);
});
`;

/** Where the worker loads the SQLite driver from (resolved here: an evaluated script has no folder of its own). */
const DRIVER = createRequire(import.meta.url).resolve('better-sqlite3');

/** Fills a dedupe filter of the default size from event ids, on a worker thread. */
export class SeenFilterBuilder {
  private readonly words = new SharedArrayBuffer(2 ** (SEEN_LOG2_BITS - 3));
  private readonly worker: Worker;
  private pairs = new Uint32Array(2 * BATCH);
  private n = 0;
  private failure: Error | null = null;
  private readonly finished: Promise<void>;

  /**
   * Starts the worker (throws when no thread can be started). With `log`, the worker reads the ids of that log itself,
   * and nothing needs to be added here.
   */
  constructor(log: LogTable | null = null) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        words: this.words,
        mask: 2 ** SEEN_LOG2_BITS - 1,
        hashes: SEEN_HASHES,
        log: log ? { file: log.file, table: log.table, driver: DRIVER } : null,
      },
    });
    this.finished = new Promise<void>((resolve, reject) => {
      this.worker.once('message', () => resolve());
      this.worker.once('error', (err) => {
        this.failure = err;
        reject(err);
      });
      this.worker.once('exit', (code) => reject(this.failure ?? new Error(`the filter's worker exited (${code})`)));
    });
    // Seen by `finish`; a failure before it must not be an unhandled rejection.
    this.finished.catch(() => undefined);
  }

  /** Adds an event id. */
  add(id: string): void {
    hashPairInto(id, this.pairs, this.n);
    this.n += 2;
    if (this.n === this.pairs.length) this.hand();
  }

  /**
   * The filter of every id added (reading a log: every id in it up to seq `upTo`, the last one folded, and perhaps a
   * few after it, which are in the log too): waits for the worker's last batch, then stops it. Rejects if the worker
   * failed.
   */
  async finish(upTo = 0): Promise<BloomFilter> {
    if (this.failure) throw this.failure;
    this.hand();
    this.worker.postMessage({ end: true, upTo });
    try {
      await this.finished;
    } finally {
      void this.worker.terminate();
    }
    // A copy in ordinary memory: the filter is written into checkpoints and lives as long as the space.
    return new BloomFilter(SEEN_LOG2_BITS, SEEN_HASHES, new Uint32Array(this.words).slice());
  }

  /** Stops the worker without a filter (the fold it served failed). */
  abort(): void {
    void this.worker.terminate();
  }

  private hand(): void {
    if (this.n === 0 || this.failure) return;
    this.worker.postMessage({ buffer: this.pairs.buffer, length: this.n }, [this.pairs.buffer]);
    this.pairs = new Uint32Array(2 * BATCH);
    this.n = 0;
  }
}
