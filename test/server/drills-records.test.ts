import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DrillRecord } from '@shared/drills';
import { DrillRecords } from '../../server/drills/records';
import { removeData } from '../../harness/server';

const dir = mkdtempSync(path.join(tmpdir(), 'cityops-drills-'));
const file = path.join(dir, 'drills.sqlite');

function drill(id: string, status: DrillRecord['status'], createdAt: number): DrillRecord {
  return {
    id,
    space: id,
    scenario: 'rainstorm',
    title: '暴雨',
    speed: 60,
    seed: 7,
    status,
    createdAt,
    endedAt: null,
    window: { simStart: 1, start: 2, end: 3 },
    progress: { phase: 'live', fraction: 0.5, events: 1234, simTime: 2, etaSec: 30, rate: 100 },
    error: null,
    summary: null,
  };
}

describe('when the server died while a drill ran (no orderly close)', () => {
  afterAll(() => removeData(dir));

  it('then reopening the file lists the drill as interrupted at the reopening time, and keeps it so', () => {
    const first = new DrillRecords(file);
    first.save(drill('drill-rainstorm-a', 'running', 1_000));
    first.save({ ...drill('drill-rainstorm-b', 'finished', 2_000), endedAt: 2_500 });
    first.close();

    const second = new DrillRecords(file);
    const loaded = second.load(9_000);
    second.close();
    expect(loaded.map((d) => [d.id, d.status, d.endedAt])).toEqual([
      ['drill-rainstorm-a', 'interrupted', 9_000],
      ['drill-rainstorm-b', 'finished', 2_500],
    ]);
    expect(loaded[0]?.progress).toMatchObject({ events: 1234, fraction: 0.5, etaSec: null, rate: 0 });

    const third = new DrillRecords(file);
    expect(third.load(20_000).map((d) => [d.status, d.endedAt])).toEqual([
      ['interrupted', 9_000],
      ['finished', 2_500],
    ]);
    third.delete('drill-rainstorm-a');
    expect(third.load(20_000).map((d) => d.id)).toEqual(['drill-rainstorm-b']);
    third.close();
  });

  it('then an in-memory file starts empty', () => {
    const mem = new DrillRecords(':memory:');
    expect(mem.load(0)).toEqual([]);
    mem.close();
  });
});
