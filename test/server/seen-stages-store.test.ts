/**
 * The full stages of a space's dedupe filter are stored once beside its checkpoints (`seen_stages`), and a start from
 * the checkpoint reads them back; a stage that is missing makes the checkpoint unusable and the log is folded instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeenFilter } from '../../server/ingest/bloom';
import type { DomainEvent } from '@shared/events';
import { shanghaiMidnight } from '@shared/time';
import { startTestServer, type TestServer } from '../../harness/server';

const FROM = shanghaiMidnight('2026-11-02');
const SPACE = 'drill-stages';
const ticks = (n: number, prefix: string): DomainEvent[] =>
  Array.from({ length: n }, (_, i) => ({ type: 'clock.tick', eventId: `${prefix}-${i}`, ts: FROM + i * 1_000 }));

describe("when a space's dedupe filter has grown several stages and the server checkpoints and restarts", () => {
  let server: TestServer;
  const events = ticks(3_000, 'stage');
  let filter: SeenFilter;
  const rows = () =>
    server.app.cases.db
      .prepare('SELECT filter, idx, length(bits) AS bytes FROM seen_stages WHERE space = ? ORDER BY idx')
      .all(SPACE) as { filter: string; idx: number; bytes: number }[];

  beforeAll(async () => {
    server = await startTestServer(FROM + 3_600_000, undefined, undefined, { monitorMs: 3_600_000 });
    for (let i = 0; i < events.length; i += 1_000) await server.app.ingest.ingest(SPACE, events.slice(i, i + 1_000));
    // Stages of 2^12 bits (409 ids) stand for the 8 MiB ones: the same ids, eight stages.
    filter = new SeenFilter([], 0, 12);
    for (const e of events) filter.add(e.eventId);
    server.app.spaces.get(SPACE).seen = filter;
    await server.app.monitor.checkpointAll();
    server.app.cases.flush();
  }, 60_000);

  afterAll(async () => {
    await server.dispose();
  });

  it('then each full stage is stored once, under the filter, and known stored', async () => {
    expect(filter.shape().stages).toHaveLength(8);
    expect(rows()).toEqual(Array.from({ length: 7 }, (_, idx) => ({ filter: filter.id, idx, bytes: 512 })));
    expect(filter.unsavedStages()).toEqual([]);
    // A later checkpoint stores nothing again.
    await server.app.ingest.ingest(SPACE, ticks(10, 'later'));
    await server.app.monitor.checkpointAll();
    server.app.cases.flush();
    expect(rows()).toHaveLength(7);
  });

  it('then a restart from the checkpoint has the same filter: every id of the log is a duplicate', async () => {
    const shape = filter.shape();
    const bytes = Buffer.concat(filter.bytes());
    server = await server.restart();
    const [r] = await server.app.restored;
    expect(r?.from).toBe('checkpoint');
    const seen = server.app.spaces.get(SPACE).seen;
    expect(seen.shape()).toEqual(shape);
    expect(Buffer.concat(seen.bytes()).equals(bytes)).toBe(true);
    const again = await server.app.ingest.ingest(SPACE, [events[5]!, events[2_500]!, ...ticks(1, 'new')]);
    expect({ accepted: again.accepted, duplicate: again.duplicate }).toEqual({ accepted: 1, duplicate: 2 });
  });

  it("then a full stage gone from the file makes the start fold the log, saying which, and the old filter's rows go", async () => {
    server.app.cases.flush();
    server.app.cases.db.prepare('DELETE FROM seen_stages WHERE space = ? AND idx = 3').run(SPACE);
    server = await server.restart();
    const [r] = await server.app.restored;
    expect(r?.from).toBe('log');
    expect(r?.reason).toMatch(/full stage 3 is not stored/);
    const seen = server.app.spaces.get(SPACE).seen;
    expect(seen.id).not.toBe(filter.id);
    expect(events.every((e) => seen.mightHave(e.eventId))).toBe(true);
    await server.app.monitor.checkpointAll();
    server.app.cases.flush();
    expect(rows()).toEqual([]);
  });
});

describe('when a stored full stage is altered in the file', () => {
  it('then the start folds the log, saying the stage is corrupt, and no duplicate is let in', async () => {
    let server = await startTestServer(FROM + 3_600_000, undefined, undefined, { monitorMs: 3_600_000 });
    try {
      const events = ticks(2_000, 'alter');
      await server.app.ingest.ingest(SPACE, events);
      const filter = new SeenFilter([], 0, 12);
      for (const e of events) filter.add(e.eventId);
      server.app.spaces.get(SPACE).seen = filter;
      await server.app.monitor.checkpointAll();
      server.app.cases.flush();
      server.app.cases.db
        .prepare('UPDATE seen_stages SET bits = zeroblob(length(bits)) WHERE space = ? AND idx = 2')
        .run(SPACE);
      server = await server.restart();
      const [r] = await server.app.restored;
      expect(r?.from).toBe('log');
      expect(r?.reason).toMatch(/full stage 2 as stored is corrupt \(checksum mismatch\)/);
      const again = await server.app.ingest.ingest(SPACE, events.slice(900, 1_000));
      expect(again.duplicate).toBe(100);
    } finally {
      await server.dispose();
    }
  });
});
