/**
 * The case read model's writer thread stops (killed by its limits, a crash) while it holds a job: the job is answered as
 * failed and nothing of it is in the file (or as written, when the thread had committed it); the next job starts a new
 * thread and is committed. Whether the loss is found by a drain (blocking) or by the thread's exit event (the event
 * loop), the writer is never left waiting for an answer that cannot come.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as WorkerThreads from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { projectionContext } from '../../server/app';
import { CaseReadModel } from '../../server/cases/readModel';
import { Failsafe } from '../../server/failsafe';
import { ThreadRowWriter } from '../../server/cases/rowWriter';
import { DEFAULT_CONFIG } from '@shared/config';
import { validateEvent, type DomainEvent } from '@shared/events';
import { received } from '../fixtures/events';
import { memoryLog } from '../fixtures/logs';
import { rowsFile, type RowsFile } from '../fixtures/rowsFile';

/**
 * How many of the next writer threads crash on their first job, and when: as it arrives, just after committing it
 * (never answered), or never (it hangs). The first two exit with code 1.
 */
const crash = vi.hoisted(() => ({
  next: 0,
  started: 0,
  when: 'on-arrival' as 'on-arrival' | 'after-commit' | 'hangs',
}));

/**
 * The real thread, whose first answer ends it instead (exit code 1): it commits its first job as in service — the rows
 * and the job's own record in the file, in one transaction — and stops before it can say so.
 */
const COMMITS_THEN_EXITS = `
const { workerData } = require('node:worker_threads');
workerData.port.postMessage = () => process.exit(1);
import(${JSON.stringify(pathToFileURL(path.resolve('server/cases/rowWriter.worker.mjs')).href)});`;

vi.mock('node:worker_threads', async (original) => {
  const real = await original<typeof WorkerThreads>();
  // Only the case read model's writer thread is replaced; a crashing one gets the same data and port as the real one.
  function Worker(file: string | URL, options?: WorkerThreads.WorkerOptions): WorkerThreads.Worker {
    if (!String(file).includes('rowWriter')) return new real.Worker(file, options);
    crash.started++;
    if (crash.next === 0) return new real.Worker(file, options);
    crash.next--;
    const script =
      crash.when === 'on-arrival'
        ? "require('node:worker_threads').workerData.port.on('message', () => process.exit(1));"
        : crash.when === 'hangs'
          ? "require('node:worker_threads').workerData.port.on('message', () => undefined);"
          : COMMITS_THEN_EXITS;
    return new real.Worker(script, { ...options, eval: true });
  }
  return { ...real, Worker };
});

describe('when the writer thread stops while it holds a job', () => {
  let f: RowsFile;
  let writer: ThreadRowWriter | null = null;
  const statements = ['INSERT INTO t (k, v) VALUES (?, ?)'];

  beforeEach(() => {
    crash.next = 1;
    crash.started = 0;
    crash.when = 'on-arrival';
    f = rowsFile('cityops-writer-lost-');
  });
  afterEach(() => {
    writer?.close();
    writer = null;
    f.remove();
  });

  const rows = () => f.rows();

  /** Writes one row's job; resolves with the answer's message (null: committed). */
  const write = (w: ThreadRowWriter, k: string) =>
    new Promise<string | null>((resolve) => {
      const job = w.job();
      job.add(0, [k, `value of ${k}`]);
      w.write(job, (err) => resolve(err?.message ?? null));
    });

  it('then a drain gives up on it once, its exit answers the job as failed, and the next job is written by a new thread', async () => {
    writer = new ThreadRowWriter(f.file, statements, 1_500);
    const answered = write(writer, 'a');
    const t0 = Date.now();
    expect(() => writer!.drain()).toThrow(
      "the case read model's writer thread did not answer in 1.5 s: its jobs are answered when it ends",
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_500);
    // A second drain before its exit comes does not wait for it again.
    const t1 = Date.now();
    expect(() => writer!.drain()).toThrow(
      "the case read model's writer thread did not answer a drain before: its jobs wait for its exit",
    );
    expect(Date.now() - t1).toBeLessThan(500);
    expect(await answered).toMatch(
      /^the case read model's writer thread stopped \(.+\): its writes were not committed/,
    );
    expect(writer.busy).toBe(false);
    expect(rows()).toEqual([]);
    expect(await write(writer, 'c')).toBeNull();
    expect(writer.restarts).toBe(1);
    expect(crash.started).toBe(2);
    expect(rows()).toEqual([['c', 'value of c']]);
  });

  it('then, with nobody draining, the exit answers the job as failed, and the next job is written by a new thread', async () => {
    writer = new ThreadRowWriter(f.file, statements);
    expect(await write(writer, 'a')).toBe(
      "the case read model's writer thread stopped (it ended with exit code 1): its writes were not committed and are asked for again",
    );
    expect(writer.busy).toBe(false);
    expect(await write(writer, 'b')).toBeNull();
    writer.drain();
    expect(writer.restarts).toBe(1);
    expect(rows()).toEqual([['b', 'value of b']]);
  });

  it('then a job it committed before it stopped is answered as written, and its rows are not written twice', async () => {
    crash.when = 'after-commit';
    writer = new ThreadRowWriter(f.file, statements);
    expect(await write(writer, 'a')).toBeNull();
    expect(rows()).toEqual([['a', 'value of a']]);
    expect(await write(writer, 'b')).toBeNull();
    expect(writer.restarts).toBe(1);
    expect(rows()).toEqual([
      ['a', 'value of a'],
      ['b', 'value of b'],
    ]);
  });

  it("then a record of another writer's jobs in the file (an earlier process's) does not count as this one's", async () => {
    crash.next = 0;
    const earlier = new ThreadRowWriter(f.file, statements);
    for (const k of ['a', 'b', 'c']) expect(await write(earlier, k)).toBeNull();
    earlier.close();
    crash.next = 1;
    writer = new ThreadRowWriter(f.file, statements);
    // Its job 1 is lost with its thread, though the file records job 3 (of the earlier writer) as written.
    expect(await write(writer, 'd')).toMatch(/^the case read model's writer thread stopped/);
    expect(rows().map((r) => (r as string[])[0])).toEqual(['a', 'b', 'c']);
  });

  it('then a thread that hangs for good is stopped once silent as long again, and the next job is written by a new thread', async () => {
    crash.when = 'hangs';
    writer = new ThreadRowWriter(f.file, statements, 500);
    const answered = write(writer, 'a');
    expect(() => writer!.drain()).toThrow(/did not answer in 0.5 s/);
    expect(await answered).toMatch(/^the case read model's writer thread stopped \(it ended with exit code 1\)/);
    expect(await write(writer, 'b')).toBeNull();
    expect(writer.restarts).toBe(1);
    expect(rows()).toEqual([['b', 'value of b']]);
  });

  it('then a close while its job is unanswered does not wait for it, and the closed writer takes no more jobs', async () => {
    writer = new ThreadRowWriter(f.file, statements, 1_000);
    const answered = write(writer, 'a');
    expect(() => writer!.drain()).toThrow(/did not answer in 1 s/);
    const t0 = Date.now();
    writer.close();
    expect(Date.now() - t0).toBeLessThan(500);
    expect(await answered).toMatch(/^the case read model's writer thread stopped/);
    expect(await write(writer, 'b')).toBe("the case read model's writer is closed");
    expect(writer.restarts).toBe(0);
    expect(rows()).toEqual([]);
  });
});

describe("when the case read model's writer thread stops with a checkpoint in its job", () => {
  it('then the rows are written by a new thread, and the lost checkpoint is told of so that it is made again', async () => {
    crash.next = 1;
    crash.when = 'on-arrival';
    const f = rowsFile('cityops-model-lost-');
    const { log, lines } = memoryLog();
    const model = new CaseReadModel(
      path.join(f.dir, 'cases.sqlite'),
      projectionContext(DEFAULT_CONFIG),
      'test',
      new Failsafe(log),
    );
    try {
      const lost: string[] = [];
      model.onCheckpointLost((space) => lost.push(space));
      const v = validateEvent(received('K1'));
      if (!v.ok) throw new Error('bad fixture');
      model.record('live', [v.event as DomainEvent], [1]);
      // Large enough to be moved to the thread (and so to go with it) rather than copied.
      model.checkpoint('live', 1, 'test', Buffer.alloc(300_000, 7), 0);
      const until = Date.now() + 10_000;
      while (lost.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(lost).toEqual(['live']);
      expect(
        lines.filter((l) => l.timer === 'case-read-model.flush').map((l) => (l.err as { message: string }).message),
      ).toEqual([
        "the case read model's writer thread stopped (it ended with exit code 1): its writes were not committed and are asked for again",
      ]);
      // Nothing of the lost job was kept: no checkpoint, and the rows are written by the next thread.
      expect(model.loadCheckpoint('live', 'test').ok).toBe(false);
      model.flush();
      expect(model.caseState('live', 'K1')?.stage).toBe('received');
      expect(model.db.prepare("SELECT count(*) FROM cases WHERE space = 'live'").pluck().get()).toBe(1);
      expect(model.loadCheckpoint('live', 'test').ok).toBe(false);
    } finally {
      model.close();
      f.remove();
    }
  });
});
