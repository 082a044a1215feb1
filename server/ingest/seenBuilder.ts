/**
 * The dedupe filter of a space folded from its whole log, filled on a worker thread while the log is folded: this
 * thread hashes each event id (cheap) and hands the hash pairs over in batches; the worker sets the bits — seven
 * scattered writes into 8 MiB per id, cache misses that cost a quarter of a full fold when done between the reducers.
 * Bits are only ever set, so the filter is the same, bit for bit, as adding every id on this thread.
 */
import { Worker } from 'node:worker_threads';
import type { SharedSeen } from '../store/types';
import { hashPairInto, SeenFilter, setBits, sharedSeen } from './bloom';

/** Hash pairs handed to the worker at a time (512 KiB: a year's log is about 190 hand-overs, each costs about as much). */
const BATCH = 65_536;

/** The worker: sets the bits of each batch of pairs in the shared words, answers `done` after the last. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const setBits = (${setBits.toString()});
const bits = new Uint32Array(workerData.words);
const { mask, hashes } = workerData;
parentPort.on('message', (m) => {
  if (m === 'end') {
    parentPort.postMessage('done');
    return;
  }
  const pairs = new Uint32Array(m.buffer, 0, m.length);
  for (let j = 0; j < pairs.length; j += 2) setBits(bits, mask, hashes, pairs[j], pairs[j + 1]);
});
`;

/** Fills a dedupe filter from event ids, on a worker thread. */
export class SeenFilterBuilder {
  private readonly shared: SharedSeen;
  /** Ids added. */
  private ids = 0;
  private readonly worker: Worker;
  private pairs = new Uint32Array(2 * BATCH);
  private n = 0;
  private failure: Error | null = null;
  private readonly finished: Promise<void>;

  /** Starts the worker, for a filter sized for `expected` ids (throws when no thread can be started). */
  constructor(expected = 0) {
    this.shared = sharedSeen(expected);
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: this.shared,
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
    this.ids++;
    if (this.n === this.pairs.length) this.hand();
  }

  /** The filter of every id added: waits for the worker's last batch, then stops it. Rejects if the worker failed. */
  async finish(): Promise<SeenFilter> {
    if (this.failure) throw this.failure;
    this.hand();
    this.worker.postMessage('end');
    try {
      await this.finished;
    } finally {
      void this.worker.terminate();
    }
    // A copy in ordinary memory: the filter is written into checkpoints and lives as long as the space.
    return SeenFilter.fromShared(this.shared, this.ids);
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
