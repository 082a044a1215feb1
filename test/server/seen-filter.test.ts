/**
 * The dedupe filter of a space folded from a long log is filled on a worker thread: it must be the very filter that
 * adding every event id on the folding thread gives, or a restart would let duplicates in (or ask the store more).
 */
import { describe, expect, it } from 'vitest';
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
