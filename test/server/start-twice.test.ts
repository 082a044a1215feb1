/**
 * `npm start` twice on one data directory: each start deletes the demo space (log, case rows, checkpoint, stream) in
 * one operation and feeds it again with the same simulated days, so every case id comes back. Histories must hold only
 * their own case's events, once each, and the late-case list must still equal the wall's figure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseList } from '@shared/cases/query';
import type { CaseEvent } from '@shared/events';
import { connectWall, removeData, TOKENS } from '../../harness/server';
import { createApp, type App } from '../../server/app';
import { TokenRegistry } from '../../server/auth/tokens';
import { openSqliteStore } from '../../server/store/sqlite';
import { DEFAULT_CONFIG } from '@shared/config';
import type { WallSnapshot } from '@shared/wall/delta';

const root = path.resolve(import.meta.dirname, '..', '..');
const dataDir = mkdtempSync(path.join(tmpdir(), 'cityops-start-'));
const tokens =
  'admin:admin-token-0123456789,supervisor:supervisor-token-0123,viewer:viewer-token-0123456,producer@demo:demo-producer-012345';

/** Runs `scripts/start.ts` until the demo backlog is in, then stops it gracefully; returns the demo events accepted. */
async function startOnce(): Promise<number> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      CITYOPS_TOKENS: tokens,
      DEMO_BACKLOG_DAYS: '1',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    // The address is in the server's log line "listening on …"; the rest of stdout is read and dropped so the child
    // never blocks on a full pipe.
    const url = await new Promise<string>((resolve) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = /listening on (http:\/\/[\d.:]+)/.exec(line);
        if (m) resolve(m[1]!);
      });
      child.once('exit', () => resolve(''));
      // Never wait past the hook's own limit: the finally below must get to stop the child.
      setTimeout(() => resolve(''), 60_000).unref();
    });
    expect(url).not.toBe('');
    let last = -1;
    for (let i = 0; i < 120; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const metrics = await (await fetch(`${url}/metrics`)).text();
      const n = Number(/cityops_events_accepted_total\{space="demo"\} (\d+)/.exec(metrics)?.[1] ?? 0);
      // The backlog is in once the count stops jumping (then the feed runs at real time).
      if (n > 20_000 && n - last < 500) return n;
      last = n;
    }
    throw new Error('the demo backlog did not finish in 2 minutes');
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
  }
}

describe('when npm start runs twice on one data directory', () => {
  let app: App;
  let accepted = 0;

  beforeAll(async () => {
    await startOnce();
    accepted = await startOnce();
    app = createApp({
      store: openSqliteStore({ dataDir }),
      config: DEFAULT_CONFIG,
      tokens: new TokenRegistry(TOKENS),
      caseDbFile: path.join(dataDir, 'cases.sqlite'),
      monitorMs: 3_600_000,
    });
    await app.listen(0, '127.0.0.1');
    await app.ready;
  }, 300_000);

  afterAll(async () => {
    await app?.close();
    removeData(dataDir);
  });

  it('then the demo log holds one feed, not two', async () => {
    const logged = app.spaces.get('demo').position;
    expect(logged).toBeGreaterThan(20_000);
    // The second start's own feed, plus what its monitor wrote: nothing of the first start's log is left.
    expect(await app.spaces.get('demo').projection.eventsApplied).toBeLessThan(accepted * 1.2);
  });

  it("then every case's history holds only its own events, each once", async () => {
    app.cases.flush();
    const ids = app.cases.db.prepare("SELECT id FROM cases WHERE space = 'demo' ORDER BY id").pluck().all() as string[];
    expect(ids.length).toBeGreaterThan(500);
    let checked = 0;
    for (const id of ids.filter((_, i) => i % 7 === 0)) {
      const h = await app.queries.history('demo', id);
      expect(h.length, id).toBeGreaterThan(0);
      expect(h[0]?.type, id).toBe('case.received');
      expect(
        h.filter((x) => x.type === 'case.received'),
        id,
      ).toHaveLength(1);
      for (const x of h) {
        const e = x.event as CaseEvent;
        expect(
          e.caseId === id || (e.type === 'case.merged' && e.masterCaseId === id),
          `${id}: ${e.type} of ${e.caseId}`,
        ).toBe(true);
      }
      expect(new Set(h.map((x) => x.seq)).size, id).toBe(h.length);
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
  });

  it("then the late-case list's total equals the wall's overdue figure", async () => {
    const addr = app.http.address() as { port: number };
    const url = `http://127.0.0.1:${addr.port}`;
    const wall = await connectWall(url, 'demo');
    const snap = await new Promise<WallSnapshot>((resolve) =>
      wall.emit('resync', (r) => {
        if (r.ok) resolve(r.data);
      }),
    );
    wall.close();
    const res = await fetch(`${url}/api/v1/cases?space=demo&status=overdue&pageSize=1`, {
      headers: { authorization: 'Bearer supervisor-token' },
    });
    const list = (await res.json()) as CaseList;
    expect(snap.view.overdue.overdue.total).toBeGreaterThan(0);
    expect(list.total).toBe(snap.view.overdue.overdue.total);
  });
});
