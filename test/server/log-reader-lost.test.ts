/**
 * A long read of a SQLite log on a file runs on a thread of its own. Should no thread start, or the thread end before
 * the end of the log, the read goes on on the main thread from the last page given — every event once, in order, the
 * dedupe filter filled all the same — and says so in the log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as WorkerThreads from 'node:worker_threads';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DomainEvent } from '@shared/events';
import { shanghaiMidnight } from '@shared/time';
import { openSqliteStore } from '../../server/store/sqlite';
import { memoryLog } from '../fixtures/logs';

/** How the next reading thread behaves: cannot start, or ends at once (an exit code, as a thread killed by its limits). */
const thread = vi.hoisted(() => ({ mode: 'no-start' as 'no-start' | 'exits', started: 0 }));

vi.mock('node:worker_threads', async (original) => {
  const real = await original<typeof WorkerThreads>();
  const { EventEmitter } = await import('node:events');
  // Only the log's reading thread is lost; the store's other threads (its WAL checkpointer) start as they do.
  function Worker(file: string | URL, options?: WorkerThreads.WorkerOptions): object {
    if (!String(file).includes('logReader')) return new real.Worker(file, options);
    if (thread.mode === 'no-start') throw new Error('ERR_WORKER_INIT_FAILED');
    thread.started++;
    const lost = Object.assign(new EventEmitter(), {
      ref: () => undefined,
      unref: () => undefined,
      postMessage: () => undefined,
      terminate: () => Promise.resolve(1),
    });
    setImmediate(() => lost.emit('exit', 1));
    return lost;
  }
  return { ...real, Worker };
});

const FROM = shanghaiMidnight('2026-03-02');
const ticks = (n: number): DomainEvent[] =>
  Array.from({ length: n }, (_, i) => ({ type: 'clock.tick', eventId: `tick-${i}`, ts: FROM + i * 1000 }));

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.each(['no-start', 'exits'] as const)('when the reading thread is lost (%s)', (mode) => {
  beforeEach(() => {
    thread.mode = mode;
    thread.started = 0;
  });

  it('then the read goes on on the main thread: every event once, in order, and a warning', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cityops-lost-'));
    dirs.push(dir);
    const { log, lines } = memoryLog();
    const store = openSqliteStore({ dataDir: dir, log });
    try {
      const events = ticks(500);
      const seqs = await store.append('drill-lost', events, []);
      const read: number[] = [];
      const ids: string[] = [];
      for await (const c of store.readWithSeqs('drill-lost', 10, seqs[99]!)) {
        read.push(...c.seqs);
        ids.push(...c.events.map((e) => e.eventId));
      }
      expect(read).toEqual(seqs.slice(100));
      expect(ids).toEqual(events.slice(100).map((e) => e.eventId));
      expect(thread.started).toBe(mode === 'exits' ? 1 : 0);
      const warned = lines.filter((l) => l.level === 'warn' || l.level === 40);
      expect(warned).toHaveLength(1);
      expect(warned[0]!.msg as string).toMatch(
        mode === 'no-start'
          ? /^reading log_drill_lost of .*events\.sqlite after seq 110: no thread could be started \(ERR_WORKER_INIT_FAILED\): the rest of the log is read on the main thread$/
          : /^reading log_drill_lost of .*events\.sqlite after seq 110: the thread ended \(exit code 1\) before the end of the log: the rest/,
      );
    } finally {
      await store.close();
    }
  });
});
