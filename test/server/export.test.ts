import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWallView } from '@shared/projection/view';
import { DAY_MS, HOUR_MS, shanghaiMidnight } from '@shared/time';
import { generateEvents } from '../../simulators/day';
import { startReplay } from '../../simulators/replay';
import { JsonlReader } from '../../simulators/sources/jsonl';
import { removeData, startTestServer, type TestServer } from '../../harness/server';

const DAY = shanghaiMidnight('2026-11-25');
const END = DAY + DAY_MS + 2 * HOUR_MS;
const dir = mkdtempSync(path.join(tmpdir(), 'cityops-export-'));

function figures(s: TestServer, space: string): string {
  const view = buildWallView(s.app.spaces.get(space).projection, END, { spaceKind: 'drill', clockRate: 1 });
  return JSON.stringify({ ...view, space: 'x' });
}

describe('when a space is exported as JSONL and replayed into a new space', () => {
  let server: TestServer;
  let exported = '';

  beforeAll(async () => {
    // The monitor passes once, by hand, after the feed: its alerts are then in the log that is exported.
    server = await startTestServer(END, undefined, undefined, { monitorMs: 3_600_000 });
    const events = generateEvents({ seed: 8, from: DAY, to: END });
    for (let i = 0; i < events.length; i += 5000) {
      const r = await server.app.ingest.ingest('drill-a', events.slice(i, i + 5000));
      expect(r.rejected.length + r.quarantined.length).toBe(0);
    }
    await server.app.monitor.pass();
    expect(server.app.monitor.writtenIn('drill-a')).toBeGreaterThan(0);
    const res = await fetch(`${server.url}/api/v1/spaces/drill-a/export.jsonl`, {
      headers: { authorization: 'Bearer admin-token' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/ndjson/);
    expect(Number(res.headers.get('x-event-count'))).toBe(events.length + server.app.monitor.writtenIn('drill-a'));
    exported = await res.text();
    writeFileSync(path.join(dir, 'a.jsonl'), exported);
  });

  afterAll(async () => {
    await server?.dispose();
    removeData(dir);
  });

  it('then the file has one event per line in log order', () => {
    const lines = exported.trimEnd().split('\n');
    expect(lines.length).toBe(server.app.spaces.get('drill-a').projection.eventsApplied);
    expect(JSON.parse(lines[0] ?? '{}').ts).toBe(DAY);
  });

  it('then the replayed space has identical figures, and its own export is byte-identical', async () => {
    const r = startReplay({
      server: server.url,
      token: 'admin-token',
      space: 'drill-b',
      speed: Number.POSITIVE_INFINITY,
      events: new JsonlReader(path.join(dir, 'a.jsonl')),
      batchSize: 3000,
    });
    const done = await r.done;
    expect(done.accepted).toBe(done.sent);
    expect(done.rejected + done.quarantined + done.duplicate).toBe(0);
    expect(figures(server, 'drill-b')).toBe(figures(server, 'drill-a'));
    expect(server.app.spaces.get('drill-b').projection.alerts.some((a) => a.kind === 'overdue')).toBe(true);
    const again = await (
      await fetch(`${server.url}/api/v1/spaces/drill-b/export.jsonl`, {
        headers: { authorization: 'Bearer admin-token' },
      })
    ).text();
    expect(again).toBe(exported);
  });

  it('then the CLI export command writes the same file, and a viewer may not export', async () => {
    const out = path.join(dir, 'cli.jsonl');
    // Asynchronously: the server answering the CLI runs in this process.
    const cli = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        'simulators/cli.ts',
        'export',
        '--server',
        server.url,
        '--token',
        'admin-token',
        '--space',
        'drill-a',
        '--out',
        out,
      ],
      { encoding: 'utf8' },
    );
    expect(cli.stderr).toBe('');
    expect(cli.stdout).toMatch(/exported drill-a \(\d+ events/);
    expect(readFileSync(out, 'utf8')).toBe(exported);
    const refused = await fetch(`${server.url}/api/v1/spaces/drill-a/export.jsonl`, {
      headers: { authorization: 'Bearer viewer-token' },
    });
    expect(refused.status).toBe(403);
  });
});
