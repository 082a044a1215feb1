/**
 * Thirty days of log, folded by a server that evicts closed cases and checkpoints as it goes, then restarted from its
 * checkpoint, from no checkpoint, from a corrupt one and from one another version wrote: every time the wall view and
 * every case equal a plain fold of the same log that keeps everything in memory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectionContext } from '../../server/app';
import { DEFAULT_CONFIG } from '@shared/config';
import type { CaseState } from '@shared/cases/state';
import type { DomainEvent } from '@shared/events';
import { applyEvent } from '@shared/projection/apply';
import { createProjection, type SpaceProjection } from '@shared/projection/state';
import { buildWallView } from '@shared/projection/view';
import { DAY_MS, shanghaiMidnight } from '@shared/time';
import { generateEvents } from '../../simulators/day';
import { logOf, startTestServer, type TestServer } from '../../harness/server';

const FROM = shanghaiMidnight('2026-10-20');
const END = FROM + 30 * DAY_MS;
const meta = { spaceKind: 'drill' as const, clockRate: 1 };
const SPACE = 'drill-month';

/** A plain fold of the whole log: no archive, no eviction, no checkpoint. */
function plainFold(events: readonly DomainEvent[]): SpaceProjection {
  const p = createProjection(SPACE, projectionContext(DEFAULT_CONFIG));
  for (const e of events) expect(applyEvent(p, e), e.eventId).toBeNull();
  return p;
}

function view(p: SpaceProjection): string {
  return JSON.stringify(buildWallView(p, END, meta));
}

function states(s: TestServer): Map<string, CaseState> {
  s.app.cases.flush();
  const rows = s.app.cases.db.prepare('SELECT id, state FROM case_states WHERE space = ?').raw().all(SPACE) as [
    string,
    string,
  ][];
  return new Map(rows.map(([id, st]) => [id, JSON.parse(st) as CaseState]));
}

describe('when a month of log is folded with checkpoints and eviction, and the server restarts', () => {
  let server: TestServer;
  let reference: SpaceProjection;

  beforeAll(async () => {
    // Checkpoints every 5,000 events; the monitor (alerts, sweep, checkpoint) passes by hand every few days of log.
    server = await startTestServer(END, undefined, undefined, {
      monitorMs: 3_600_000,
      checkpointEvents: 5_000,
      checkpointMs: 3_600_000,
    });
    const events = generateEvents({ seed: 5, from: FROM, to: END, casesPerDay: 120 }).filter(
      (e) => e.type !== 'link.heartbeat' && e.type !== 'clock.tick',
    );
    for (let i = 0; i < events.length; i += 4_000) {
      const r = await server.app.ingest.ingest(SPACE, events.slice(i, i + 4_000));
      expect(r.rejected.length + r.quarantined.length).toBe(0);
      if ((i / 4_000) % 3 === 2) await server.app.monitor.pass();
    }
    await server.app.monitor.pass();
    reference = plainFold(await logOf(server, SPACE));
  }, 120_000);

  afterAll(async () => {
    await server.dispose();
  });

  it('then closed cases left memory while the wall view equals a plain fold', () => {
    const p = server.app.spaces.get(SPACE).projection;
    expect(reference.cases.size).toBeGreaterThan(3_000);
    expect(p.cases.size).toBeLessThan(reference.cases.size / 5);
    expect(p.open.size).toBe(reference.open.size);
    expect(view(p)).toBe(view(reference));
  });

  it('then every case in the read model equals the plain fold, closed ones included', () => {
    const got = states(server);
    expect(got.size).toBe(reference.cases.size);
    for (const [id, c] of reference.cases) expect(got.get(id), id).toEqual(c);
  });

  it('then a restart starts from the checkpoint and folds only the tail', async () => {
    server = await server.restart();
    const [r] = await server.app.restored;
    expect(r?.from).toBe('checkpoint');
    expect(r?.folded).toBe(0);
    expect(view(server.app.spaces.get(SPACE).projection)).toBe(view(reference));
  });

  it('then without a checkpoint the whole log is folded to the same figures', async () => {
    server.app.cases.flush();
    server.app.cases.db.prepare('DELETE FROM checkpoints').run();
    server = await server.restart();
    const [r] = await server.app.restored;
    expect(r?.from).toBe('log');
    expect(r?.reason).toBe('no checkpoint');
    expect(view(server.app.spaces.get(SPACE).projection)).toBe(view(reference));
  });

  it('then a corrupt checkpoint is detected and the log folded instead', async () => {
    // The start before folded the whole log: its dedupe filter is filled afterwards, and checkpointed once complete.
    await server.app.spaces.filled();
    await server.app.monitor.checkpointAll();
    // Written by the model's writer thread: this test's own connection reads it once the write is answered.
    server.app.cases.flush();
    const before = server.app.cases.db.prepare('SELECT count(*) FROM checkpoints').pluck().get();
    expect(before).toBe(1);
    server.app.cases.db
      .prepare("UPDATE checkpoints SET body = substr(body, 1, length(body) - 7) || x'00000000000000'")
      .run();
    server = await server.restart();
    const [r] = await server.app.restored;
    expect(r?.from).toBe('log');
    expect(r?.reason).toMatch(/corrupt/);
    expect(view(server.app.spaces.get(SPACE).projection)).toBe(view(reference));
  });

  it('then a checkpoint another version wrote is not used', async () => {
    // The start before folded the whole log: its dedupe filter is filled afterwards, and checkpointed once complete.
    await server.app.spaces.filled();
    await server.app.monitor.checkpointAll();
    server.app.cases.flush();
    server.app.cases.db.prepare("UPDATE checkpoints SET version = 'an-older-build'").run();
    server = await server.restart();
    const [r] = await server.app.restored;
    expect(r?.from).toBe('log');
    expect(r?.reason).toMatch(/another version/);
    expect(view(server.app.spaces.get(SPACE).projection)).toBe(view(reference));
    const got = states(server);
    for (const [id, c] of reference.cases) expect(got.get(id), id).toEqual(c);
  });
});
