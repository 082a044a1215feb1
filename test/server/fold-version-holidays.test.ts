import { describe, expect, it, vi } from 'vitest';
import type chineseDays from 'chinese-days';
import { DEFAULT_CONFIG } from '@shared/config';

/** A day the packaged dataset is made to answer the other way (a release that moved it), or none. */
const moved = vi.hoisted(() => ({ date: null as string | null }));

vi.mock('chinese-days', async (importOriginal) => {
  const actual = (await importOriginal<{ default: typeof chineseDays }>()).default;
  return {
    default: {
      ...actual,
      isWorkday: (d: string) => (d === moved.date ? !actual.isWorkday(d) : actual.isWorkday(d)),
    },
  };
});

async function freshCheckpointModule() {
  vi.resetModules();
  return import('../../server/checkpoint');
}

describe('when the packaged holiday dataset changes under the same code and configuration', () => {
  it('then the fold version changes (the log is folded again on the new data), and the same data gives the same version', async () => {
    const before = await freshCheckpointModule();
    const version = before.foldVersion(DEFAULT_CONFIG);
    const digest = before.holidayDatasetDigest();
    expect(before.holidayDatasetDigest()).toBe(digest);

    // 2026-10-07 is a statutory day off (国庆节) in the package; a release that made it a working day is another dataset.
    moved.date = '2026-10-07';
    const after = await freshCheckpointModule();
    expect(after.holidayDatasetDigest()).not.toBe(digest);
    expect(after.foldVersion(DEFAULT_CONFIG)).not.toBe(version);

    moved.date = null;
    const again = await freshCheckpointModule();
    expect(again.holidayDatasetDigest()).toBe(digest);
    expect(again.foldVersion(DEFAULT_CONFIG)).toBe(version);
  });
});
