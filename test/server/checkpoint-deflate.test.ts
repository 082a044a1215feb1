/**
 * A checkpoint's body is deflated on zlib's thread pool while folding goes on, and queued to be written when done: it
 * is written as the synchronous encoding would have written it, none is lost to the next one (nor its review history
 * entry), a flush writes one still being deflated at once, and a deleted space's is never written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { projectionContext } from '../../server/app';
import { CaseReadModel } from '../../server/cases/readModel';
import { checkpointBody, encodeCheckpoint } from '../../server/checkpoint';
import { BloomFilter } from '../../server/ingest/bloom';
import { DEFAULT_CONFIG } from '@shared/config';
import { validateEvent } from '@shared/events';
import { applyEvent } from '@shared/projection/apply';
import { createProjection, type SpaceProjection } from '@shared/projection/state';
import { DAY_MS, HOUR_MS, shanghaiMidnight } from '@shared/time';
import { generateEvents } from '../../simulators/day';

const ctx = projectionContext(DEFAULT_CONFIG);
const VERSION = 'v-test';
const SPACE = 'live';
const FROM = shanghaiMidnight('2026-11-20');
const policy = { intervalMs: HOUR_MS, recentMs: 48 * HOUR_MS, daysKept: 10, maxEntries: 50 };

function folded(): { p: SpaceProjection; seen: BloomFilter; seq: number } {
  const p = createProjection(SPACE, ctx);
  const seen = new BloomFilter();
  let seq = 0;
  for (const raw of generateEvents({ seed: 5, from: FROM, to: FROM + DAY_MS, casesPerDay: 300 })) {
    const v = validateEvent(raw);
    if (v.ok && applyEvent(p, v.event) === null) {
      seen.add(v.event.eventId);
      seq++;
    }
  }
  return { p, seen, seq };
}

let dir: string;
let model: CaseReadModel;
const { p, seen, seq } = folded();

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cityops-ckpt-deflate-'));
  model = new CaseReadModel(path.join(dir, 'cases.sqlite'), ctx, VERSION);
});
afterEach(() => {
  model.close();
  rmSync(dir, { recursive: true, force: true });
});

const storedBody = (): Buffer | undefined =>
  (model.db.prepare('SELECT body FROM checkpoints WHERE space = ?').get(SPACE) as { body: Buffer } | undefined)?.body;

describe('when a checkpoint is deflated off the folding thread', () => {
  it('then it is written once deflated, as the synchronous encoding writes it', async () => {
    const queued = model.checkpoint(SPACE, seq, VERSION, checkpointBody(p, seen, seq), Date.now());
    // Nothing is written yet: the body is still being deflated (positions read what the writer wrote).
    expect(model.checkpointPositions(VERSION)).toEqual({});
    await queued;
    expect(model.checkpointPositions(VERSION)).toEqual({ [SPACE]: seq });
    expect(Buffer.compare(storedBody()!, encodeCheckpoint(p, seen, seq))).toBe(0);
  });

  it('then one asked while the one before is still being deflated does not lose it, nor its review history entry', async () => {
    const first = model.checkpoint(SPACE, seq - 10, VERSION, checkpointBody(p, seen, seq - 10), Date.now(), {
      clock: FROM + 10 * HOUR_MS,
      policy,
    });
    const second = model.checkpoint(SPACE, seq, VERSION, checkpointBody(p, seen, seq), Date.now(), {
      clock: FROM + 11 * HOUR_MS,
      policy,
    });
    await Promise.all([first, second]);
    model.flush();
    expect(model.reviewHistory(SPACE, VERSION)).toEqual([
      { seq: seq - 10, clock: FROM + 10 * HOUR_MS },
      { seq, clock: FROM + 11 * HOUR_MS },
    ]);
    expect(model.checkpointPositions(VERSION)).toEqual({ [SPACE]: seq });
  });

  it('then a flush writes one still being deflated at once, and its late deflate writes nothing more', async () => {
    const queued = model.checkpoint(SPACE, seq, VERSION, checkpointBody(p, seen, seq), Date.now());
    model.flush();
    expect(model.checkpointPositions(VERSION)).toEqual({ [SPACE]: seq });
    const written = storedBody()!;
    await queued;
    // A newer checkpoint written meanwhile stays: the late deflate of the one flushed does not replace it.
    model.checkpoint(SPACE, seq + 1, VERSION, encodeCheckpoint(p, seen, seq + 1), Date.now());
    model.flush();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(model.checkpointPositions(VERSION)).toEqual({ [SPACE]: seq + 1 });
    expect(Buffer.compare(written, encodeCheckpoint(p, seen, seq))).toBe(0);
  });

  it('then a space deleted while its checkpoint is deflated gets none written', async () => {
    const queued = model.checkpoint(SPACE, seq, VERSION, checkpointBody(p, seen, seq), Date.now());
    model.dropSpace(SPACE);
    await queued;
    await new Promise((resolve) => setTimeout(resolve, 100));
    model.flush();
    expect(model.checkpointPositions(VERSION)).toEqual({});
  });

  it('then one whose deflate fails is told of as lost, and the promise still settles', async () => {
    const lost: string[] = [];
    model.onCheckpointLost((space) => lost.push(space));
    const failing = {
      rawBytes: 1_000,
      deflate: () => Promise.reject(new Error('zlib failed')),
      deflateSync: () => {
        throw new Error('zlib failed');
      },
    };
    await model.checkpoint(SPACE, seq, VERSION, failing, Date.now());
    expect(lost).toEqual([SPACE]);
    model.flush();
    expect(model.checkpointPositions(VERSION)).toEqual({});
  });

  it('then one that would hold too much undeflated is deflated at once', async () => {
    const deflated = encodeCheckpoint(p, seen, seq);
    const huge = {
      rawBytes: 200 * 2 ** 20,
      deflate: () => new Promise<Buffer>(() => undefined),
      deflateSync: () => deflated,
    };
    await model.checkpoint(SPACE, seq, VERSION, huge, Date.now());
    model.flush(false);
    expect(model.checkpointPositions(VERSION)).toEqual({ [SPACE]: seq });
  });
});
