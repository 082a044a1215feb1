/**
 * The dedupe filter of a space folded from a long log is filled on a worker thread: it must be the very filter that
 * adding every event id on the folding thread gives, or a restart would let duplicates in (or ask the store more).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { projectionContext } from '../../server/app';
import { BloomFilter, sharedSeen } from '../../server/ingest/bloom';
import { SeenFilterBuilder } from '../../server/ingest/seenBuilder';
import { SpaceRegistry } from '../../server/spaces';
import { openSqliteStore } from '../../server/store/sqlite';
import type { EventStore } from '../../server/store/types';
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
    expect(filled.shape()).toMatchObject({ stages: [26], lastIds: 70_000 });
    expect(Buffer.from(filled.bytes()[0]!).equals(Buffer.from(plainFilter(events).toBytes()))).toBe(true);
    expect(filled.mightHave(events[123]!.eventId)).toBe(true);
  });
});

/** Logs `n` ticks into `drill-seen`, in batches of 5,000. */
async function logTicks(store: EventStore, n: number): Promise<DomainEvent[]> {
  const events = ticks(n);
  for (let i = 0; i < events.length; i += 5_000) await store.append('drill-seen', events.slice(i, i + 5_000), []);
  return events;
}

/** Restores every space of `store` from its whole log, as a start with no checkpoint does. */
async function startWithoutCheckpoint(store: EventStore) {
  const spaces = new SpaceRegistry(store, projectionContext(DEFAULT_CONFIG));
  const [report] = await spaces.restoreAll({
    checkpoint: () => ({ restored: null, reason: 'none' }),
    chunk: () => undefined,
    beforeFullFold: () => undefined,
    afterFold: () => undefined,
  });
  return { spaces, report };
}

describe('when a space with a long log and no checkpoint starts', () => {
  it('then its filter is the one of every event folded, and its projection counts them all', async () => {
    const store = openSqliteStore({ dataDir: ':memory:' });
    const events = await logTicks(store, 60_000);
    const { spaces, report } = await startWithoutCheckpoint(store);
    expect(report?.folded).toBe(60_000);
    const space = spaces.get('drill-seen');
    expect(space.projection.eventsApplied).toBe(60_000);
    // Filled after the fold (in memory: on this thread, a range of ids at a time).
    await spaces.filled();
    expect(space.seen.shape()).toMatchObject({ stages: [26], lastIds: 60_000 });
    expect(Buffer.from(space.seen.bytes()[0]!).equals(Buffer.from(plainFilter(events).toBytes()))).toBe(true);
    await store.close();
  });
});

describe("when a store fills a filter from a log's ids", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  function onFile() {
    const dir = mkdtempSync(path.join(tmpdir(), 'cityops-seen-'));
    dirs.push(dir);
    return openSqliteStore({ dataDir: dir });
  }
  const same = (a: BloomFilter, b: BloomFilter) => Buffer.from(a.toBytes()).equals(Buffer.from(b.toBytes()));

  it('then the filter holds every id of the log, whether a thread filled it (a file) or this one (in memory)', async () => {
    const events = ticks(3_000);
    for (const store of [onFile(), openSqliteStore({ dataDir: ':memory:' })]) {
      await store.append('drill-fill', events, []);
      const seen = sharedSeen();
      expect(await store.fillSeen!('drill-fill', seen)).toBe(3_000);
      expect(same(BloomFilter.fromBytes(new Uint8Array(seen.words)), plainFilter(events))).toBe(true);
      await store.close();
    }
  });

  it('then a start with no checkpoint has, once its filter is filled from the log, the filter of every event folded, with no id hashed on the folding thread', async () => {
    const store = onFile();
    const events = await logTicks(store, 60_000);
    const handed = vi.spyOn(SeenFilterBuilder.prototype, 'add');
    const added = vi.spyOn(BloomFilter.prototype, 'add');
    try {
      const { spaces, report } = await startWithoutCheckpoint(store);
      expect(report?.folded).toBe(60_000);
      expect(spaces.get('drill-seen').projection.eventsApplied).toBe(60_000);
      expect(handed).not.toHaveBeenCalled();
      expect(added).not.toHaveBeenCalled();
      const seen = spaces.get('drill-seen').seen;
      // Ready before the filter: a thread fills it from the log's index after the fold.
      expect(seen.isFilling).toBe(true);
      await spaces.filled();
      expect(seen.isFilling).toBe(false);
      expect(seen.shape()).toMatchObject({ stages: [26], lastIds: 60_000 });
      expect(Buffer.from(seen.bytes()[0]!).equals(Buffer.from(plainFilter(events).toBytes()))).toBe(true);
    } finally {
      handed.mockRestore();
      added.mockRestore();
      await store.close();
    }
  });
});
