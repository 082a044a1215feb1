import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEventInput } from '@shared/events';
import { MINUTE_MS, shanghaiInstant } from '@shared/time';
import { generateEvents } from '../../simulators/day';
import { startReplay } from '../../simulators/replay';
import { removeData, startTestServer, type TestServer } from '../../harness/server';

const FROM = shanghaiInstant('2026-11-25', '09:00');
const dir = mkdtempSync(path.join(tmpdir(), 'cityops-replay-'));
const exec = promisify(execFile);
afterAll(() => removeData(dir));

/** Runs the CLI asynchronously (the server it talks to runs in this process); resolves with its code and output. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, ['--import', 'tsx', 'simulators/cli.ts', ...args], { encoding: 'utf8' });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('when events are replayed into a real server', () => {
  let server: TestServer;
  let events: DomainEventInput[];
  beforeAll(async () => {
    // These tests count what the replay sent and held: the monitor passes an hour apart so it adds nothing meanwhile.
    server = await startTestServer(FROM, undefined, undefined, { monitorMs: 3_600_000 });
    events = generateEvents({ seed: 3, from: FROM, to: FROM + 10 * MINUTE_MS });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('then at 600× ten minutes of event time take about a second, in order', async () => {
    const t0 = Date.now();
    const r = await startReplay({ server: server.url, token: 'producer-drill-a', space: 'drill-a', speed: 600, events })
      .done;
    const secs = (Date.now() - t0) / 1000;
    expect(r.accepted).toBe(events.length);
    expect(secs).toBeGreaterThan(0.8);
    expect(secs).toBeLessThan(3);
    expect(server.app.spaces.get('drill-a').projection.clock).toBe(events[events.length - 1]?.ts);
  });

  it('then a pause holds the replay clock, and stop keeps exactly what was acknowledged', async () => {
    const r = startReplay({ server: server.url, token: 'admin-token', space: 'drill-p', speed: 60, events });
    await new Promise((res) => setTimeout(res, 1000));
    expect(r.togglePause()).toBe(true);
    await new Promise((res) => setTimeout(res, 300));
    const held = server.app.spaces.get('drill-p').projection.eventsApplied;
    await new Promise((res) => setTimeout(res, 1000));
    expect(server.app.spaces.get('drill-p').projection.eventsApplied).toBe(held);
    expect(r.togglePause()).toBe(false);
    await new Promise((res) => setTimeout(res, 1000));
    const stopped = await r.stop();
    expect(stopped.sent).toBeGreaterThan(held);
    expect(stopped.sent).toBeLessThan(events.length);
    expect(server.app.spaces.get('drill-p').projection.eventsApplied).toBe(stopped.accepted);
    expect(stopped.accepted).toBe(stopped.sent);
    const log = await (
      await fetch(`${server.url}/api/v1/spaces/drill-p/export.jsonl`, {
        headers: { authorization: 'Bearer admin-token' },
      })
    ).text();
    expect(
      log
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { eventId: string }).eventId),
    ).toEqual(events.slice(0, stopped.sent).map((e) => e.eventId));
  });

  it('then the CLI replays an Open311 file and a JSONL file, refusing live', async () => {
    const o311 = path.join(dir, 'requests.json');
    writeFileSync(
      o311,
      JSON.stringify([
        {
          service_request_id: 'A1',
          status: 'closed',
          service_name: '市容环卫',
          requested_datetime: '2026-11-20T09:00:00+08:00',
          updated_datetime: '2026-11-20T12:00:00+08:00',
          agency_responsible: '区城管执法局',
          address: '关山街道',
        },
        {
          service_request_id: 'A2',
          status: 'open',
          service_name: 'Pothole',
          requested_datetime: '2026-11-20T09:30:00+08:00',
          address: '梨园',
        },
      ]),
    );
    const r = await cli(
      'replay',
      o311,
      '--server',
      server.url,
      '--token',
      'admin-token',
      '--space',
      'drill-o',
      '--speed',
      'max',
    );
    expect(r.stderr).toContain('2 requests → 6 events');
    expect(r.stdout).toMatch(/replayed 6 events into drill-o .* 6 accepted, 0 duplicate, 0 rejected, 0 quarantined/);
    expect(r.code).toBe(0);
    expect(server.app.spaces.get('drill-o').projection.cases.get('A1')?.stage).toBe('closed');
    const jsonl = path.join(dir, 'ten.jsonl');
    writeFileSync(jsonl, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const j = await cli(
      'replay',
      jsonl,
      '--server',
      server.url,
      '--token',
      'admin-token',
      '--space',
      'drill-j',
      '--json-progress',
    );
    expect(j.code).toBe(0);
    const last = j.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; fraction: number; events: number })
      .pop();
    expect(last).toMatchObject({ type: 'progress', fraction: 1, events: events.length });
    const live = await cli('replay', jsonl, '--server', server.url, '--token', 'admin-token', '--space', 'live');
    expect(live.code).toBe(2);
    expect(live.stderr).toMatch(/--space live is refused/);
  });

  it('then generate can send a scenario day straight to the server', async () => {
    const r = await cli(
      'generate',
      '--scenario',
      'water-outage',
      '--seed',
      '3',
      '--server',
      server.url,
      '--token',
      'admin-token',
      '--space',
      'drill-g',
    );
    expect(r.code).toBe(0);
    const sent = Number(/sent (\d+) events \((\d+) accepted/.exec(r.stdout)?.[1] ?? -1);
    expect(sent).toBeGreaterThan(30_000);
    // Besides what was sent, the log holds what the monitor wrote as the drill's clock moved.
    expect(server.app.spaces.get('drill-g').projection.eventsApplied - server.app.monitor.writtenIn('drill-g')).toBe(
      sent,
    );
    // Merged cases leave the projection's memory; the case read model keeps every one.
    server.app.cases.flush();
    expect(
      server.app.cases.db
        .prepare("SELECT count(*) FROM cases WHERE space = 'drill-g' AND stage = 'merged'")
        .pluck()
        .get(),
    ).toBeGreaterThan(200);
  });

  it('then the CLI pauses on SIGUSR2 and stops cleanly on Ctrl-C (SIGINT), keeping what was acknowledged', async () => {
    const jsonl = path.join(dir, 'ten.jsonl');
    const child = execFile(
      process.execPath,
      [
        '--import',
        'tsx',
        'simulators/cli.ts',
        'replay',
        jsonl,
        '--server',
        server.url,
        '--token',
        'admin-token',
        '--space',
        'drill-c',
        '--speed',
        '60',
      ],
      { encoding: 'utf8' },
    );
    let stdout = '';
    child.stdout?.on('data', (d: string) => {
      stdout += d;
    });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    const applied = () => server.app.spaces.get('drill-c').projection.eventsApplied;
    const deadline = Date.now() + 15_000;
    while (applied() === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    child.kill('SIGUSR2');
    await new Promise((res) => setTimeout(res, 400));
    const held = applied();
    await new Promise((res) => setTimeout(res, 800));
    expect(applied()).toBe(held);
    child.kill('SIGUSR2');
    await new Promise((res) => setTimeout(res, 500));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const sent = Number(/replayed ([\d,]+) events/.exec(stdout)?.[1]?.replaceAll(',', '') ?? -1);
    expect(sent).toBeGreaterThan(held);
    expect(sent).toBeLessThan(events.length);
    expect(applied()).toBe(sent);
  });
});

describe('when the CLI is asked for help or given bad input', () => {
  it('then every command answers --help with its usage and exit 0', async () => {
    const commands = ['scenarios', 'generate', 'run', 'replay', 'export'];
    const answers = await Promise.all(commands.map((c) => cli(c, '--help')));
    answers.forEach((r, i) => {
      expect(r.code, commands[i]).toBe(0);
      expect(r.stdout, commands[i]).toMatch(new RegExp(`^Usage: npm run sim -- ${commands[i]}`));
    });
    const top = await cli('--help');
    expect(top.stdout).toMatch(/scenarios .*\n.*generate .*\n.*run .*\n.*replay .*\n.*export /);
  });

  it('then generate with the same seed writes byte-identical files, and an unknown scenario is a usage error', async () => {
    const a = path.join(dir, 'a.jsonl');
    const b = path.join(dir, 'b.jsonl');
    const [ra, rb] = await Promise.all(
      [a, b].map((out) => cli('generate', '--scenario', 'trunk-failure', '--seed', '7', '--out', out)),
    );
    expect([ra?.code, rb?.code]).toEqual([0, 0]);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    expect(readFileSync(a, 'utf8').split('\n').length).toBeGreaterThan(30_000);
    const bad = await cli('generate', '--scenario', 'meteor', '--out', a);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no scenario "meteor"/);
  });

  it('then scenarios lists each with a one-line description', async () => {
    const r = await cli('scenarios');
    expect(r.stdout.split('\n').filter((l) => /^[a-z-]+ {2,}\S/.test(l))).toHaveLength(7);
    expect(r.stdout).toMatch(/^rainstorm +暴雨内涝/m);
  });
});
