/**
 * Deleting a space while work arrives for it: the work waits for the delete and lands in the fresh space, acknowledged
 * and kept (never appended beside the delete and then erased by it); a monitor pass scheduled before the delete never
 * makes the deleted space again.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOUR_MS } from '@shared/time';
import { openSqliteStore } from '../../server/store/sqlite';
import type { EventStore } from '../../server/store/types';
import { received, T0 } from '../fixtures/events';
import { post, startTestServer } from '../../harness/server';

const SPACE = 'drill-a';

describe('when a space is deleted while a producer sends to it', () => {
  it('then the batch sent during the delete is kept in the fresh space, a second delete erases nothing of it, and the monitor does not make the old one again', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cityops-'));
    const real = openSqliteStore({ dataDir });
    let release: (() => void) | null = null;
    let deleting: (() => void) | null = null;
    const deleteStarted = new Promise<void>((resolve) => (deleting = resolve));
    const store: EventStore = {
      ...real,
      // The log's delete takes its time (a database busy elsewhere): the batch arrives meanwhile.
      deleteSpace: async (space) => {
        deleting?.();
        await new Promise<void>((resolve) => (release = resolve));
        return real.deleteSpace(space);
      },
    };
    const server = await startTestServer(T0 + HOUR_MS, dataDir, undefined, { store });
    try {
      const send = (id: string) => post(server.url, { space: SPACE, events: [received(id)] }, 'producer-drill-a');
      expect((await send('old-1')).json.accepted).toBe(1);
      const old = server.app.spaces.get(SPACE);
      const deleted = server.app.spaces.delete(SPACE);
      await deleteStarted;
      const during = send('new-1');
      await new Promise((r) => setTimeout(r, 200));
      // A second delete of the same space (a double click), asked after the batch: it finds the space gone and
      // erases nothing of the fresh one.
      const twice = server.app.spaces.delete(SPACE);
      release!();
      await deleted;
      await twice;
      expect((await during).json.accepted).toBe(1);
      const fresh = server.app.spaces.get(SPACE);
      expect(fresh).not.toBe(old);
      expect([...fresh.projection.cases.keys()]).toEqual(['new-1']);
      expect(await real.count(SPACE)).toBe(1);

      // A pass over the old space, scheduled before the delete, writes nothing and makes no space.
      await server.app.monitor.passSpace(old);
      expect(server.app.spaces.get(SPACE)).toBe(fresh);
      expect(await real.count(SPACE)).toBe(1);
    } finally {
      await server.dispose();
    }
  });
});
