/**
 * A long read of a SQLite log on a thread of its own: the thread steps through the table and copies each page's rows
 * out of SQLite while this thread parses and folds the page before. Reading a year's log here was 60 % SQLite (its
 * stepping and the rows' text decoded into strings) and 40 % JSON parsing; the strings come over in one structured
 * clone per page, at a third of what reading them here cost. (Joining a page's bodies into one JSON array text to
 * parse with one call was measured too: that parse took 2.6× as long as the rows parsed one by one.)
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DomainEvent } from '@shared/events';
import { PROJECT_ROOT } from '../root';
import type { LogChunk } from './types';

/** The reader thread's script, in the source tree (plain JavaScript: the bundle does not carry it). */
const WORKER_SCRIPT = path.join(PROJECT_ROOT, 'server', 'store', 'logReader.worker.mjs');

/** Pages the thread reads before this thread has taken them: enough never to wait, few enough to hold little memory. */
const AHEAD = 4;

/** The reading thread could not start, or ended before the end of the log: the read can go on without it. */
export class ReaderThreadLost extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReaderThreadLost';
  }
}

type Message =
  | { readonly seqs: Float64Array; readonly bodies: readonly string[] }
  | { readonly end: true }
  | { readonly error: string };

/** What to read: the log of `table` in `file` after seq `after`, in pages of `pageSize`. */
export interface ThreadRead {
  readonly file: string;
  readonly table: string;
  readonly after: number;
  readonly pageSize: number;
}

/**
 * A log read by a thread, page by page. Stopping early (a `break` in the loop) ends the thread. What SQLite refuses fails the read, naming the file and the table; a
 * thread that cannot start or ends early fails it with `ReaderThreadLost`, after the pages it gave.
 */
export async function* readOnThread(read: ThreadRead): AsyncGenerator<LogChunk> {
  const { file, table, after } = read;
  const where = `reading ${table} of ${file} after seq ${after}`;
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SCRIPT, { workerData: { ...read, ahead: AHEAD } });
  } catch (err) {
    throw new ReaderThreadLost(`${where}: no thread could be started (${(err as Error).message})`, { cause: err });
  }
  const queue: Message[] = [];
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const woken = () => {
    wake?.();
    wake = null;
  };
  worker.on('message', (m: Message) => {
    queue.push(m);
    woken();
  });
  worker.on('error', (err) => {
    failure ??= err;
    woken();
  });
  worker.on('exit', (code) => {
    failure ??= new Error(`the thread ended (exit code ${code}) before the end of the log`);
    woken();
  });
  // After the listeners (adding a message listener refs the thread again): only a wait for a page holds the process.
  worker.unref();
  try {
    for (;;) {
      // Waited for, the thread keeps the process alive; a read left suspended between pages does not.
      if (queue.length === 0 && failure === null) {
        worker.ref();
        while (queue.length === 0 && failure === null) await new Promise<void>((resolve) => (wake = resolve));
        worker.unref();
      }
      const m = queue.shift();
      if (m === undefined) throw new ReaderThreadLost(`${where}: ${failure!.message}`, { cause: failure });
      if ('end' in m) return;
      if ('error' in m) throw new Error(`${where}: ${m.error}`);
      worker.postMessage(1);
      const n = m.bodies.length;
      const seqs = new Array<number>(n);
      const events = new Array<DomainEvent>(n);
      for (let i = 0; i < n; i++) {
        seqs[i] = m.seqs[i]!;
        events[i] = JSON.parse(m.bodies[i]!) as DomainEvent;
      }
      yield { seqs, events };
    }
  } finally {
    await worker.terminate();
  }
}
