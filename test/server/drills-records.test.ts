import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DrillRecord } from '@shared/drills';
import { SqliteDrillRecords } from '../../server/drills/records';
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

  it('then reopening the file lists the drill as interrupted at the reopening time, and keeps it so', async () => {
    const first = new SqliteDrillRecords(file, 500);
    expect(await first.create(drill('drill-rainstorm-a', 'running', 1_000))).toBe(true);
    await first.create(drill('drill-rainstorm-b', 'starting', 2_000));
    await first.save({ ...drill('drill-rainstorm-b', 'finished', 2_000), endedAt: 2_500 });
    await first.close();

    const second = new SqliteDrillRecords(file, 9_000);
    const loaded = await second.list();
    await second.close();
    expect(loaded.map((d) => [d.id, d.status, d.endedAt])).toEqual([
      ['drill-rainstorm-a', 'interrupted', 9_000],
      ['drill-rainstorm-b', 'finished', 2_500],
    ]);
    expect(loaded[0]?.progress).toMatchObject({ events: 1234, fraction: 0.5, etaSec: null, rate: 0 });

    const third = new SqliteDrillRecords(file, 20_000);
    expect((await third.list()).map((d) => [d.status, d.endedAt])).toEqual([
      ['interrupted', 9_000],
      ['finished', 2_500],
    ]);
    await third.delete('drill-rainstorm-a');
    expect((await third.list()).map((d) => d.id)).toEqual(['drill-rainstorm-b']);
    await third.close();
  });

  it('then a record that has ended or is gone is not written over, and an id is created once', async () => {
    const records = new SqliteDrillRecords(':memory:', 0);
    await records.create(drill('drill-rainstorm-c', 'running', 1_000));
    expect(await records.create(drill('drill-rainstorm-c', 'starting', 1_500))).toBe(false);
    await records.save({ ...drill('drill-rainstorm-c', 'stopped', 1_000), endedAt: 3_000 });
    // A late progress write of the same drill (it had ended) leaves the end as written.
    await records.save(drill('drill-rainstorm-c', 'running', 1_000));
    expect((await records.get('drill-rainstorm-c'))?.status).toBe('stopped');
    await records.delete('drill-rainstorm-c');
    await records.save(drill('drill-rainstorm-c', 'running', 1_000));
    expect(await records.get('drill-rainstorm-c')).toBeUndefined();
    await records.close();
  });

  it('then an in-memory file starts empty', async () => {
    const mem = new SqliteDrillRecords(':memory:');
    expect(await mem.list()).toEqual([]);
    await mem.close();
  });
});
