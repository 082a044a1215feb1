/** A drill's simulator gets its producer token through a pipe: the command line (visible to every user in ps) has none. */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillRecord } from '@shared/drills';
import { shanghaiInstant } from '@shared/time';
import { startTestServer, type TestServer } from '../../../harness/server';

const admin = { authorization: 'Bearer admin-token', 'content-type': 'application/json' };

/** Command lines (argv joined by spaces) of this machine's processes that mention `needle`. */
function commandLines(needle: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (argv.includes(needle)) out.push(argv);
    } catch {
      // The process ended while being read.
    }
  }
  return out;
}

describe('when a drill runs', () => {
  let server: TestServer;
  let drill: DrillRecord;
  beforeAll(async () => {
    server = await startTestServer(shanghaiInstant('2026-11-25', '10:00'));
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('then its simulator runs without the token on its command line, and still feeds the drill space', async () => {
    const res = await fetch(`${server.url}/api/v1/drills`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ scenario: 'trunk-failure', speed: 60, seed: 3 }),
    });
    expect(res.status).toBe(201);
    drill = (await res.json()) as DrillRecord;
    let seen: string[] = [];
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      seen = commandLines(`--space ${drill.space}`);
      if (seen.length > 0 && (server.app.spaces.find(drill.space)?.projection.eventsApplied ?? 0) > 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(seen.length).toBeGreaterThan(0);
    for (const argv of seen) {
      expect(argv).toContain('simulators/drill.ts');
      expect(argv).not.toMatch(/--token\s/);
      expect(argv).not.toMatch(/producer-[A-Za-z0-9_-]{16,}/);
    }
    expect(server.app.spaces.find(drill.space)?.projection.eventsApplied).toBeGreaterThan(0);
    const stop = await fetch(`${server.url}/api/v1/drills/${drill.id}?deleteData=true`, {
      method: 'DELETE',
      headers: admin,
    });
    expect(stop.status).toBe(200);
  }, 90_000);
});
