/** Listeners and timers that cannot break their caller: isolated, logged and counted by name; the next tick runs. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectionContext } from '../../server/app';
import { CaseFeed } from '../../server/cases/feed';
import { CaseReadModel } from '../../server/cases/readModel';
import { Failsafe, Subscribers } from '../../server/failsafe';
import { processFailureHandlers } from '../../server/index';
import { createMetrics, type Metrics } from '../../server/metrics';
import { DEFAULT_CONFIG } from '@shared/config';
import { validateEvent, type DomainEvent } from '@shared/events';
import { received } from '../fixtures/events';
import { memoryLog, type MemoryLog } from '../fixtures/logs';

interface Rig {
  metrics: Metrics;
  logs: MemoryLog;
  failsafe: Failsafe;
}

function rig(): Rig {
  const metrics = createMetrics();
  const logs = memoryLog();
  return {
    metrics,
    logs,
    failsafe: new Failsafe(logs.log, { listenerErrors: metrics.listenerErrors, timerErrors: metrics.timerErrors }),
  };
}

async function count(
  counter: Metrics['listenerErrors'] | Metrics['timerErrors'],
  label: 'listener' | 'timer',
  name: string,
): Promise<number | undefined> {
  return (await counter.get()).values.find((v) => (v.labels as Record<string, unknown>)[label] === name)?.value;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A case read model on a file of its own (written by its writer thread), and one received case's event to fold. */
function fileModel(failsafe: Failsafe, caseId: string): { model: CaseReadModel; dir: string; event: DomainEvent } {
  const v = validateEvent(received(caseId));
  if (!v.ok) throw new Error('bad fixture');
  const dir = mkdtempSync(path.join(tmpdir(), 'cityops-model-'));
  const model = new CaseReadModel(path.join(dir, 'cases.sqlite'), projectionContext(DEFAULT_CONFIG), 'test', failsafe);
  return { model, dir, event: v.event as DomainEvent };
}

describe('when one of several subscribers throws', () => {
  it('then the others are still told with the same arguments, and the failure is logged and counted under its name', async () => {
    const { metrics, logs, failsafe } = rig();
    const subs = new Subscribers<[string, number]>(failsafe);
    const heard: string[] = [];
    subs.add('first', (s, n) => {
      heard.push(`first ${s} ${n}`);
    });
    subs.add('broken', () => {
      throw new TypeError('cannot read x of undefined');
    });
    subs.add('last', (s, n) => {
      heard.push(`last ${s} ${n}`);
    });
    expect(subs.notify('live', 3)).toBe(1);
    expect(heard).toEqual(['first live 3', 'last live 3']);
    expect(await count(metrics.listenerErrors, 'listener', 'broken')).toBe(1);
    expect(await count(metrics.listenerErrors, 'listener', 'first')).toBe(0);
    expect(logs.lines).toHaveLength(1);
    expect(logs.lines[0]).toMatchObject({
      level: 'error',
      listener: 'broken',
      err: { type: 'TypeError', message: 'cannot read x of undefined' },
    });
    expect(String((logs.lines[0]?.err as { stack?: string }).stack)).toContain('failsafe.test.ts');
  });

  it('then a subscriber that disposes itself while being told does not make the next one skipped', () => {
    const { failsafe } = rig();
    const subs = new Subscribers<[]>(failsafe);
    const heard: string[] = [];
    const dispose = subs.add('once', () => {
      heard.push('once');
      dispose();
    });
    subs.add('next', () => {
      heard.push('next');
    });
    subs.notify();
    subs.notify();
    expect(heard).toEqual(['once', 'next', 'next']);
    expect(subs.size).toBe(1);
  });
});

describe('when a guarded interval callback throws on its first tick', () => {
  let timer: ReturnType<typeof setInterval> | undefined;
  afterEach(() => clearInterval(timer));

  it('then the failure is logged with the timer name and counted, and the following ticks run', async () => {
    const { metrics, logs, failsafe } = rig();
    let ticks = 0;
    timer = setInterval(
      failsafe.guarded('test.tick', () => {
        ticks++;
        if (ticks === 1) throw new Error('first tick fails');
      }),
      5,
    );
    expect(await count(metrics.timerErrors, 'timer', 'test.tick')).toBe(0);
    const end = Date.now() + 2_000;
    while (ticks < 4 && Date.now() < end) await sleep(5);
    expect(ticks).toBeGreaterThanOrEqual(4);
    expect(await count(metrics.timerErrors, 'timer', 'test.tick')).toBe(1);
    expect(logs.lines.filter((l) => l.timer === 'test.tick')).toEqual([
      expect.objectContaining({ level: 'error', err: expect.objectContaining({ message: 'first tick fails' }) }),
    ]);
  });

  it('then a callback whose promise rejects is counted too, not left as an unhandled rejection', async () => {
    const { metrics, failsafe } = rig();
    setImmediate(
      failsafe.guarded('test.async', async () => {
        await sleep(1);
        throw new Error('later');
      }),
    );
    const end = Date.now() + 2_000;
    while ((await count(metrics.timerErrors, 'timer', 'test.async')) !== 1 && Date.now() < end) await sleep(5);
    expect(await count(metrics.timerErrors, 'timer', 'test.async')).toBe(1);
  });
});

describe('when a supervisor page stream of the case feed throws', () => {
  it('then the other streams of the space are still told, and the failure is counted under case-feed.stream', async () => {
    const { metrics, failsafe } = rig();
    const feed = new CaseFeed(failsafe, 5);
    let told = 0;
    feed.subscribe(
      'live',
      () => {
        throw new Error('socket gone');
      },
      () => undefined,
    );
    feed.subscribe(
      'live',
      () => {
        told++;
      },
      () => undefined,
    );
    feed.changed('live');
    const end = Date.now() + 2_000;
    while (told === 0 && Date.now() < end) await sleep(5);
    expect(told).toBe(1);
    expect(await count(metrics.listenerErrors, 'listener', 'case-feed.stream')).toBe(1);
    feed.changed('live');
    while (told === 1 && Date.now() < end) await sleep(5);
    expect(told).toBe(2);
    expect(await count(metrics.listenerErrors, 'listener', 'case-feed.stream')).toBe(2);
    feed.close();
  });
});

describe.each([
  ['in memory (written on its own connection)', false],
  ['on a file (written by its writer thread)', true],
])('when the case read model %s fails one timed flush', (_where, onFile) => {
  it('then the rows stay pending and are written on the next tick, and the failure is counted under case-read-model.flush', async () => {
    const { metrics, logs, failsafe } = rig();
    const raw = [received('R1'), received('R2')];
    const events = raw.map((r) => {
      const v = validateEvent(r);
      if (!v.ok) throw new Error('bad fixture');
      return v.event;
    }) as DomainEvent[];
    const dir = onFile ? mkdtempSync(path.join(tmpdir(), 'cityops-model-')) : null;
    const file = dir ? path.join(dir, 'cases.sqlite') : ':memory:';
    const model = new CaseReadModel(file, projectionContext(DEFAULT_CONFIG), 'test', failsafe);
    // The first write fails inside its transaction (as a full disk would); the trigger is gone by the next tick. It is
    // in the file's schema, so the writer thread's connection meets it too.
    model.db.exec(
      "CREATE TRIGGER fail_once BEFORE INSERT ON cases BEGIN SELECT RAISE(ABORT, 'projection unavailable'); END",
    );
    try {
      model.record('live', events, [1, 2]);
      const rows = () => model.db.prepare("SELECT count(*) FROM cases WHERE space = 'live'").pluck().get();
      const end = Date.now() + 5_000;
      while ((await count(metrics.timerErrors, 'timer', 'case-read-model.flush')) !== 1 && Date.now() < end)
        await sleep(20);
      expect(await count(metrics.timerErrors, 'timer', 'case-read-model.flush')).toBe(1);
      expect(rows()).toBe(0);
      expect(logs.lines.find((l) => l.timer === 'case-read-model.flush')).toMatchObject({
        err: { message: 'projection unavailable' },
      });
      // What the failed write held is still there to read.
      expect(model.caseState('live', 'R2')?.stage).toBe('received');
      model.db.exec('DROP TRIGGER fail_once');
      while (rows() !== 2 && Date.now() < end) await sleep(20);
      expect(rows()).toBe(2);
      expect(model.db.prepare("SELECT seq FROM read_model_meta WHERE space = 'live'").pluck().get()).toBe(2);
      expect(
        model.db.prepare("SELECT seqs FROM case_history WHERE space = 'live' ORDER BY case_id").pluck().all(),
      ).toEqual(['1', '2']);
      expect(await count(metrics.timerErrors, 'timer', 'case-read-model.flush')).toBe(1);
    } finally {
      model.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('when the case read model is closed and its last write fails', () => {
  it('then the close says why, and nothing is written or tried again after it', async () => {
    const { metrics, failsafe } = rig();
    const { model, dir, event } = fileModel(failsafe, 'Z1');
    try {
      model.db.exec(
        "CREATE TRIGGER fail_always BEFORE INSERT ON cases BEGIN SELECT RAISE(ABORT, 'disk unavailable'); END",
      );
      model.record('live', [event], [1]);
      expect(() => model.close()).toThrow('disk unavailable');
      const after = await count(metrics.timerErrors, 'timer', 'case-read-model.flush');
      expect(after).toBeGreaterThanOrEqual(1);
      // Past several of the flush timer's ticks: no write was asked for again.
      await sleep(1_500);
      expect(await count(metrics.timerErrors, 'timer', 'case-read-model.flush')).toBe(after);
      // A read after the close (a request still under way) is refused, not left to wait for a write.
      expect(() => model.flush()).toThrow('the case read model is closed: what it holds was not written');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('when a checkpoint the writer thread writes rolls back', () => {
  it('then it is written on a later tick with the same body, and loads', async () => {
    const { metrics, failsafe } = rig();
    const { model, dir, event } = fileModel(failsafe, 'C1');
    model.db.exec(
      "CREATE TRIGGER fail_once BEFORE INSERT ON checkpoints BEGIN SELECT RAISE(ABORT, 'checkpoint unavailable'); END",
    );
    try {
      model.record('live', [event], [1]);
      // Large enough to be moved to the thread rather than copied.
      const body = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 251));
      const expected = Buffer.from(body);
      model.checkpoint('live', 1, 'test', body, 0);
      const end = Date.now() + 5_000;
      while ((await count(metrics.timerErrors, 'timer', 'case-read-model.flush')) !== 1 && Date.now() < end)
        await sleep(20);
      expect(await count(metrics.timerErrors, 'timer', 'case-read-model.flush')).toBe(1);
      model.db.exec('DROP TRIGGER fail_once');
      const stored = () => model.db.prepare("SELECT count(*) FROM checkpoints WHERE space = 'live'").pluck().get();
      while (stored() !== 1 && Date.now() < end) await sleep(20);
      const loaded = model.loadCheckpoint('live', 'test');
      expect(loaded.ok && loaded.checkpoint.body.equals(expected)).toBe(true);
    } finally {
      model.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('when a checkpoint cannot be made into a row', () => {
  it('then it is left out, logged and counted, and the rows and the other checkpoints are written', async () => {
    const { metrics, logs, failsafe } = rig();
    const v = validateEvent(received('B1'));
    if (!v.ok) throw new Error('bad fixture');
    const model = new CaseReadModel(':memory:', projectionContext(DEFAULT_CONFIG), 'test', failsafe);
    try {
      model.record('live', [v.event as DomainEvent], [1]);
      // A time that is not a number (a caller's bug) cannot be written; it must not hold back every later write.
      model.checkpoint('live', 1, 'test', Buffer.from('bad'), true as unknown as number);
      model.checkpoint('other', 0, 'test', Buffer.from('good'), 5);
      model.flush();
      expect(model.db.prepare('SELECT space FROM checkpoints').pluck().all()).toEqual(['other']);
      expect(model.db.prepare("SELECT count(*) FROM cases WHERE space = 'live'").pluck().get()).toBe(1);
      expect(logs.lines.find((l) => l.timer === 'case-read-model.flush')).toMatchObject({
        err: { message: 'a row value must be null, a number, a string or bytes (got boolean)' },
      });
      expect(await count(metrics.timerErrors, 'timer', 'case-read-model.flush')).toBe(1);
    } finally {
      model.close();
    }
  });
});

describe('when a failure reaches the process', () => {
  it('then an uncaught exception is logged as fatal and ends the process once with code 1', () => {
    const logs = memoryLog();
    const exits: number[] = [];
    const h = processFailureHandlers(logs.log, (code) => exits.push(code));
    h.uncaughtException(new RangeError('invalid array length'));
    h.uncaughtException(new Error('while closing'));
    expect(exits).toEqual([1]);
    expect(logs.lines[0]).toMatchObject({
      level: 'fatal',
      err: { type: 'RangeError', message: 'invalid array length' },
    });
    expect(logs.lines).toHaveLength(2);
  });

  it('then an unhandled rejection is logged as an error and the process runs on', () => {
    const logs = memoryLog();
    const exits: number[] = [];
    const h = processFailureHandlers(logs.log, (code) => exits.push(code));
    h.unhandledRejection(new Error('summary write failed'));
    expect(exits).toEqual([]);
    expect(logs.lines).toEqual([
      expect.objectContaining({ level: 'error', err: expect.objectContaining({ message: 'summary write failed' }) }),
    ]);
  });
});
