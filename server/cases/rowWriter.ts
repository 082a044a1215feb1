/**
 * Where the case read model's writes run. A job is a flat list of statements (indexes into a fixed list of SQL texts)
 * with their values, run in one transaction. On a file, a thread of its own runs the jobs on its own connection, so the
 * rows' B-tree work (tens of microseconds a case) is off the thread that ingests and streams; the main thread goes on
 * folding and is told when a job committed. On `:memory:` (tests), the jobs run at once on the model's connection.
 * Either way the caller can wait until every job asked is answered (`drain`), synchronously.
 *
 * A thread that stops (killed by its limits, a crash) takes no committed row with it: the jobs it held are answered as
 * written if they recorded their commit in the file, else as failed (the model asks for them again), and the next job
 * starts a new thread.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
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

/**
 * How long a drain waits for the thread before it gives up, ms: a thread that stopped cannot say so while this thread
 * blocks (its exit is an event of this thread's loop), and one that hangs never answers. A thread still silent as long
 * again after that is stopped; either way its jobs are answered when its exit comes.
 */
const DRAIN_LIMIT_MS = 120_000;

/** The writer thread's script, in the source tree (plain JavaScript: the bundle does not carry it). */
const WORKER_SCRIPT = path.join(PROJECT_ROOT, 'server', 'cases', 'rowWriter.worker.mjs');

/** A thread and the port its answers come on. */
interface Thread {
  readonly worker: Worker;
  readonly port: MessagePort;
  /** Why it failed, when it said (its `error` event comes before its exit). */
  failure: Error | null;
  /** A drain gave up on it: a later drain does not wait for it again. */
  silent: boolean;
}

/** Jobs run on a thread of its own, one connection to the file. */
export class ThreadRowWriter implements RowWriter {
  /** The running thread; null once it stopped, until the next job starts another. */
  private thread: Thread | null = null;
  /** The last job answered, published by the thread. */
  private readonly answered = new Int32Array(new SharedArrayBuffer(4));
  /** Names this writer's jobs in the file's `writer_jobs` (job ids start again at 1 in every process). */
  private readonly epoch = randomUUID();
  private readonly waiting = new Map<number, { readonly done: Answered; readonly job: RowOps }>();
  /** Builders whose memory came back: two suffice (one being written, one being built). */
  private readonly free: RowOps[] = [];
  private sent = 0;
  private closed = false;
  /** Threads started after the first stopped. */
  restarts = 0;

  constructor(
    private readonly file: string,
    private readonly statements: readonly string[],
    private readonly drainLimitMs = DRAIN_LIMIT_MS,
  ) {
    this.thread = this.start();
  }

  private start(): Thread {
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(WORKER_SCRIPT, {
      workerData: {
        file: this.file,
        statements: this.statements,
        port: port2,
        answered: this.answered.buffer,
        epoch: this.epoch,
      },
      transferList: [port2],
      // What the thread allocates dies with each statement (the values it binds): a small young generation keeps the
      // process's memory down (V8's default semi-space would hold tens of MB of the last job's strings).
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    const thread: Thread = { worker, port: port1, failure: null, silent: false };
    worker.on('error', (err) => {
      thread.failure = err;
    });
    worker.on('exit', (code) => {
      // Answers it posted before it stopped are taken first.
      for (let m = receiveMessageOnPort(port1); m; m = receiveMessageOnPort(port1)) this.answer(m.message as Answer);
      if (this.thread === thread) this.stopped(thread, `it ended with exit code ${code}`);
    });
    port1.on('message', (m: Answer) => this.answer(m));
    // Neither keeps the process alive: a job's answer matters only to a model still open, and close() drains.
    worker.unref();
    port1.unref();
    return thread;
  }

  /**
   * The thread stopped: of the jobs it held, those it committed before it stopped (each job records its id in the file
   * in its own transaction) are answered as written, the others as failed (SQLite rolled them back); the next job
   * starts another at once (a thread that stops at every job costs one start per job, the model asking again on its
   * timer).
   */
  private stopped(thread: Thread, why: string): void {
    this.thread = null;
    thread.port.close();
    const err = new Error(
      `the case read model's writer thread stopped (${thread.failure?.message ?? why}): its writes were not committed and are asked for again`,
    );
    const committed = this.lastCommitted();
    const held = [...this.waiting];
    this.waiting.clear();
    for (const [id, w] of held) w.done(id <= committed ? null : err);
  }

  /** The last of this writer's jobs the file holds (each job records itself in its own transaction); 0 when none. */
  private lastCommitted(): number {
    try {
      const db = new Database(this.file, { readonly: true, fileMustExist: true });
      try {
        const row = db.prepare('SELECT epoch, job FROM writer_jobs WHERE k = 0').get() as
          { epoch: string; job: number } | undefined;
        return row?.epoch === this.epoch ? row.job : 0;
      } finally {
        db.close();
      }
    } catch {
      // No file or no table: the thread never committed a job.
      return 0;
    }
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
    if (this.closed) {
      done(new Error("the case read model's writer is closed"));
      return;
    }
    if (!this.thread) {
      try {
        this.thread = this.start();
        this.restarts++;
      } catch (err) {
        done(new Error(`the case read model's writer thread could not be started again: ${(err as Error).message}`));
        return;
      }
    }
    const thread = this.thread;
    const id = ++this.sent;
    // The bytes move to the thread (transferred, not copied); the thread sends the memory back with its answer, and
    // the byte values that own their memory (a checkpoint's body, megabytes) with it.
    const bytes = job.detach();
    const moved = bytes.attachments
      .filter((a) => a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.byteLength >= 65_536)
      .map((a) => a.buffer as ArrayBuffer);
    try {
      thread.port.postMessage({ id, job: bytes }, [bytes.buffer as ArrayBuffer, ...moved]);
    } catch (err) {
      // Nothing was sent (a value that cannot be sent): the job is answered as failed at once, its memory kept.
      job.attach(bytes.buffer);
      done(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.waiting.set(id, { done, job });
  }

  private answer(m: Answer): void {
    // A thread a drain gave up on that answers after all is waited for again.
    if (this.thread) this.thread.silent = false;
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
    const deadline = Date.now() + this.drainLimitMs;
    while (this.waiting.size > 0) {
      const thread = this.thread!;
      const m = receiveMessageOnPort(thread.port) as { message: Answer } | undefined;
      if (m) {
        this.answer(m.message);
        continue;
      }
      const last = Atomics.load(this.answered, 0);
      // Answered already: the answer is on the port (it is posted before the id is published).
      if (last >= Math.min(...this.waiting.keys())) continue;
      if (thread.silent)
        throw new Error(
          "the case read model's writer thread did not answer a drain before: its jobs wait for its exit",
        );
      if (Date.now() > deadline) {
        // A thread that stopped says so only on the event loop: its exit answers the jobs. It is not stopped here (one
        // merely slow may still answer), but once it has been silent as long again: one that hangs for good would
        // otherwise hold its jobs for ever.
        thread.silent = true;
        setTimeout(() => {
          if (thread.silent && this.thread === thread) void thread.worker.terminate();
        }, this.drainLimitMs).unref();
        throw new Error(
          `the case read model's writer thread did not answer in ${this.drainLimitMs / 1000} s: its jobs are answered when it ends`,
        );
      }
      Atomics.wait(this.answered, 0, last, 100);
    }
  }

  close(): void {
    this.closed = true;
    const thread = this.thread;
    if (!thread || thread.worker.threadId === -1) return;
    // Closing, a silent thread is stopped: its jobs are answered when its exit comes, and nothing asks for them again.
    if (thread.silent) {
      void thread.worker.terminate();
      return;
    }
    this.drain();
    if (this.thread !== thread) return;
    const id = ++this.sent;
    this.waiting.set(id, { done: () => undefined, job: new RowOps() });
    thread.port.postMessage({ id, close: true });
    this.drain();
    thread.port.close();
    this.thread = null;
  }
}
