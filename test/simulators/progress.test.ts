import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readProgressLine } from '@shared/drills';
import { Progress } from '../../simulators/progress';

/** The lines a json-mode Progress wrote, parsed. */
function written(out: PassThrough): unknown[] {
  const text = (out.read() as Buffer | null)?.toString() ?? '';
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);
}

describe('when the simulator writes its progress as JSON lines', () => {
  it('then the start, progress and done lines it writes are read back by the drill runner field for field', () => {
    const out = new PassThrough();
    const p = new Progress('json', out);
    p.record({
      type: 'start',
      scenario: { name: 'rainstorm', title: '暴雨' },
      seed: 7,
      speed: 60,
      simStart: 1_000,
      start: 2_000,
      end: 3_000,
    });
    p.update({ phase: 'live', fraction: 0.25, events: 1200, simTime: 2_250, etaSec: 12.5, paused: false }, true);
    p.record({ type: 'done', elapsedSec: 4.2 });
    const read = written(out).map(readProgressLine);
    expect(read.map((r) => r.ok)).toEqual([true, true, true]);
    const [start, progress, done] = read.map((r) => (r.ok ? r.line : null));
    expect(start).toEqual({
      type: 'start',
      scenario: { name: 'rainstorm', title: '暴雨' },
      seed: 7,
      speed: 60,
      simStart: 1_000,
      start: 2_000,
      end: 3_000,
    });
    expect(progress).toMatchObject({
      type: 'progress',
      phase: 'live',
      fraction: 0.25,
      events: 1200,
      simTime: 2_250,
      etaSec: 12.5,
      paused: false,
    });
    expect(progress?.type === 'progress' && Number.isInteger(progress.rate)).toBe(true);
    expect(done).toEqual({ type: 'done', elapsedSec: 4.2 });
  });

  it('then a line that does not fit is refused naming each field that is wrong and why', () => {
    const r = readProgressLine({
      type: 'progress',
      phase: 'live',
      fraction: '0.5',
      events: 10,
      simTime: null,
      etaSec: null,
      paused: false,
      elapsedSec: 1,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.path)).toEqual(['fraction', 'rate']);
    expect(r.errors[0]?.message).toMatch(/number/);
  });

  it('then a line of an unknown type is refused at its type', () => {
    const r = readProgressLine({ type: 'paused' });
    expect(r.ok ? [] : r.errors.map((e) => e.path)).toEqual(['type']);
  });
});
