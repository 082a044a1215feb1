/**
 * The dedupe filter of a space folded from a long log is filled on a worker thread: it must be the very filter that
 * adding every event id on the folding thread gives, or a restart would let duplicates in (or ask the store more).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { projectionContext } from '../../server/app';
import { BloomFilter } from '../../server/ingest/bloom';
import { SeenFilterBuilder } from '../../server/ingest/seenBuilder';
import { SpaceRegistry } from '../../server/spaces';
import { openSqliteStore } from '../../server/store/sqlite';
import { DEFAULT_CONFIG } from '@shared/config';
import type { DomainEvent } from '@shared/events';
import { shanghaiMidnight } from '@shared/time';

const FROM = shanghaiMidnight('2026-03-02');

function ticks(n: number): DomainEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    type: 'clock.tick',
    eventId: `tick-${i}-${(i * 7919) % 1000}`,
    ts: FROM + i * 1000,
  }));
}

function plainFilter(events: readonly DomainEvent[]): BloomFilter {
  const f = new BloomFilter();
  for (const e of events) f.add(e.eventId);
  return f;
}

describe('when a dedupe filter is filled on a worker thread', () => {
  it('then its bits equal those of every id added on this thread', async () => {
    // More ids than two hand-overs to the worker hold, so full batches and a last partial one are both seen.
    const events = ticks(70_000);
    const b = new SeenFilterBuilder();
    for (const e of events) b.add(e.eventId);
    const filled = await b.finish();
    expect(Buffer.from(filled.toBytes()).equals(Buffer.from(plainFilter(events).toBytes()))).toBe(true);
    expect(filled.mightHave(events[123]!.eventId)).toBe(true);
  });
});

describe('when a space with a long log and no checkpoint starts', () => {
  it('then its filter is the one of every event folded, and its projection counts them all', async () => {
    const store = openSqliteStore({ dataDir: ':memory:' });
    const events = ticks(60_000);
    for (let i = 0; i < events.length; i += 5_000) await store.append('drill-seen', events.slice(i, i + 5_000), []);
    const spaces = new SpaceRegistry(store, projectionContext(DEFAULT_CONFIG));
    const [report] = await spaces.restoreAll({
      checkpoint: () => ({ restored: null, reason: 'none' }),
      chunk: () => undefined,
      beforeFullFold: () => undefined,
      afterFold: () => undefined,
    });
    expect(report?.folded).toBe(60_000);
    const space = spaces.get('drill-seen');
    expect(space.projection.eventsApplied).toBe(60_000);
    expect(Buffer.from(space.seen.toBytes()).equals(Buffer.from(plainFilter(events).toBytes()))).toBe(true);
    await store.close();
  });
});

describe('when the filter of a log on a file is filled', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  function onFile() {
    const dir = mkdtempSync(path.join(tmpdir(), 'cityops-seen-'));
    dirs.push(dir);
    return openSqliteStore({ dataDir: dir });
  }

  it('then its thread reads every id of the log itself, and those logged after it began up to the seq it is given', async () => {
    const store = onFile();
    const events = ticks(12_000);
    await store.append('drill-file', events.slice(0, 10_000), []);
    const log = store.logTable!('drill-file');
    expect(log).not.toBeNull();
    const b = new SeenFilterBuilder(log);
    const later = await store.append('drill-file', events.slice(10_000), []);
    // Nothing was added here: every bit comes from the log, whether the thread's first scan saw the later batch or not.
    const filled = await b.finish(later[later.length - 1]!);
    expect(Buffer.from(filled.toBytes()).equals(Buffer.from(plainFilter(events).toBytes()))).toBe(true);
    await store.close();
  });

  it('then a start with no checkpoint has the filter of every event folded, with nothing hashed on the folding thread', async () => {
    const store = onFile();
    const events = ticks(60_000);
    for (let i = 0; i < events.length; i += 5_000) await store.append('drill-seen', events.slice(i, i + 5_000), []);
    const hashed = vi.spyOn(SeenFilterBuilder.prototype, 'add');
    try {
      const spaces = new SpaceRegistry(store, projectionContext(DEFAULT_CONFIG));
      const [report] = await spaces.restoreAll({
        checkpoint: () => ({ restored: null, reason: 'none' }),
        chunk: () => undefined,
        beforeFullFold: () => undefined,
        afterFold: () => undefined,
      });
      expect(report?.folded).toBe(60_000);
      expect(hashed).not.toHaveBeenCalled();
      expect(
        Buffer.from(spaces.get('drill-seen').seen.toBytes()).equals(Buffer.from(plainFilter(events).toBytes())),
      ).toBe(true);
    } finally {
      hashed.mockRestore();
      await store.close();
    }
  });

  it('then a log its thread cannot open fails the filter, naming the file', async () => {
    const b = new SeenFilterBuilder({
      file: path.join(tmpdir(), 'cityops-no-such-dir', 'events.sqlite'),
      table: 'log_live',
    });
    await expect(b.finish(10)).rejects.toThrow(/cityops-no-such-dir|unable to open|directory does not exist/i);
  });
});
