/**
 * Where the case read model's writes run. A job is a flat list of statements (indexes into a fixed list of SQL texts)
 * with their values, run in one transaction. On a file, a thread of its own runs the jobs on its own connection, so the
 * rows' B-tree work (tens of microseconds a case) is off the thread that ingests and streams; the main thread goes on
 * folding and is told when a job committed. On `:memory:` (tests), the jobs run at once on the model's connection.
 * Either way the caller can wait until every job asked is answered (`drain`), synchronously.
 */
import type Database from 'better-sqlite3';
import path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { PROJECT_ROOT } from '../root';
import { RowOps, runOps, type RowJob } from './rowCodec.mjs';

export type { RowOps, SqlCell } from './rowCodec.mjs';

/**
 * Told once a job is answered: null when it committed, else why it was rolled back — and then, when the job's byte
 * values were moved to the thread, those values back (in the job's order; the ones the caller holds are emptied).
 */
export type Answered = (error: Error | null, attachments?: readonly Buffer[]) => void;

export interface RowWriter {
  /** An empty job to build (its memory is reused once the job is answered). */
  job(): RowOps;
  /** Runs a job in one transaction; `done` is told when it committed or rolled back. The job is the writer's now. */
  write(job: RowOps, done: Answered): void;
  /** Whether a job is still unanswered. */
  readonly busy: boolean;
  /** Waits, blocking, until every job asked is answered (and its `done` told). */
  drain(): void;
  /** Drains, then lets the file go. */
  close(): void;
}

/** Jobs run at once on the model's own connection (`:memory:`). */
export class InlineRowWriter implements RowWriter {
  readonly busy = false;
  private readonly run: (job: RowJob) => void;
  private readonly builder = new RowOps();
  constructor(db: Database.Database, statements: readonly string[]) {
    const prepared = statements.map((sql) => db.prepare(sql));
    this.run = db.transaction((job: RowJob) => runOps(prepared, job));
  }
  job(): RowOps {
    this.builder.reset();
    return this.builder;
  }
  write(job: RowOps, done: Answered): void {
    let error: Error | null = null;
    try {
      this.run(job.bytes());
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err));
    }
    done(error);
  }
  drain(): void {}
  close(): void {}
}

/** The thread's answer to a job: its id, why it rolled back (null: committed), and the job's memory back. */
interface Answer {
  readonly id: number;
  readonly error: string | null;
  readonly buffer?: ArrayBuffer;
  /** A rolled-back job's byte values, back. */
  readonly attachments?: readonly Uint8Array[];
}

/** A job's memory kept for the next job when it is at most this large, bytes. */
const KEEP_BYTES = 16 * 2 ** 20;

/** How long a drain waits for the thread before it gives up, ms. */
const DRAIN_LIMIT_MS = 120_000;

/** The writer thread's script, in the source tree (plain JavaScript: the bundle does not carry it). */
const WORKER_SCRIPT = path.join(PROJECT_ROOT, 'server', 'cases', 'rowWriter.worker.mjs');

/** Jobs run on a thread of its own, one connection to the file. */
export class ThreadRowWriter implements RowWriter {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly answered = new Int32Array(new SharedArrayBuffer(4));
  private readonly waiting = new Map<number, { readonly done: Answered; readonly job: RowOps }>();
  /** Builders whose memory came back: two suffice (one being written, one being built). */
  private readonly free: RowOps[] = [];
  private sent = 0;
  private failure: Error | null = null;

  constructor(file: string, statements: readonly string[]) {
    const { port1, port2 } = new MessageChannel();
    this.worker = new Worker(WORKER_SCRIPT, {
      workerData: { file, statements, port: port2, answered: this.answered.buffer },
      transferList: [port2],
      // What the thread allocates dies with each statement (the values it binds): a small young generation keeps the
      // process's memory down (V8's default semi-space would hold tens of MB of the last job's strings).
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    this.worker.on('error', (err) => {
      this.failure = err;
    });
    this.port = port1;
    this.port.on('message', (m: Answer) => this.answer(m));
    // Neither keeps the process alive: a job's answer matters only to a model still open, and close() drains.
    this.worker.unref();
    this.port.unref();
  }

  get busy(): boolean {
    return this.waiting.size > 0;
  }

  job(): RowOps {
    const job = this.free.pop() ?? new RowOps();
    job.reset();
    return job;
  }

  write(job: RowOps, done: Answered): void {
    const id = ++this.sent;
    // The bytes move to the thread (transferred, not copied); the thread sends the memory back with its answer, and
    // the byte values that own their memory (a checkpoint's body, megabytes) with it.
    const bytes = job.detach();
    const moved = bytes.attachments
      .filter((a) => a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.byteLength >= 65_536)
      .map((a) => a.buffer as ArrayBuffer);
    try {
      this.port.postMessage({ id, job: bytes }, [bytes.buffer as ArrayBuffer, ...moved]);
    } catch (err) {
      // Nothing was sent (a value that cannot be sent): the job is answered as failed at once, its memory kept.
      job.attach(bytes.buffer);
      done(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.waiting.set(id, { done, job });
  }

  private answer(m: Answer): void {
    const w = this.waiting.get(m.id);
    this.waiting.delete(m.id);
    if (!w) return;
    // Memory a large job grew to is let go: the next job starts small again.
    if (m.buffer && m.buffer.byteLength <= KEEP_BYTES) {
      w.job.attach(m.buffer);
      this.free.push(w.job);
    }
    if (m.error === null) w.done(null);
    else
      w.done(
        new Error(m.error),
        m.attachments?.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)),
      );
  }

  drain(): void {
    const deadline = Date.now() + DRAIN_LIMIT_MS;
    while (this.waiting.size > 0) {
      const m = receiveMessageOnPort(this.port) as { message: Answer } | undefined;
      if (m) {
        this.answer(m.message);
        continue;
      }
      const last = Atomics.load(this.answered, 0);
      // Answered already: the answer is on the port (it is posted before the id is published).
      if (last >= Math.min(...this.waiting.keys())) continue;
      if (this.worker.threadId === -1 || Date.now() > deadline) {
        const why = this.failure?.message ?? (this.worker.threadId === -1 ? 'it has stopped' : 'it does not answer');
        throw new Error(`the case read model's writer thread failed: ${why}`);
      }
      Atomics.wait(this.answered, 0, last, 100);
    }
  }

  close(): void {
    if (this.worker.threadId === -1) return;
    this.drain();
    const id = ++this.sent;
    this.waiting.set(id, { done: () => undefined, job: new RowOps() });
    this.port.postMessage({ id, close: true });
    this.drain();
    this.port.close();
  }
}
