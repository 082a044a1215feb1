/** `npm run calendar`: coverage and a year's days from the config; a clear message and a non-zero exit on a bad config. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(path.join(tmpdir(), 'cityops-calendar-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (!('CITYOPS_CONFIG' in env)) delete childEnv.CITYOPS_CONFIG;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/calendar.ts', ...args],
      { encoding: 'utf8', env: childEnv },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      },
    );
  });
}

function configFile(name: string, body: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(body));
  return file;
}

describe('when the calendar command reads a bad config from CITYOPS_CONFIG', () => {
  it('then it exits 1 and says which field is wrong and why', async () => {
    const bad = configFile('bad.json', {
      holidays: { years: { 2027: { holidays: ['2027-10-01'], workdays: ['2027-10-08'] } } },
    });
    const r = await run(['--year', '2027'], { CITYOPS_CONFIG: bad });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      `calendar: the config is not valid — CITYOPS_CONFIG ${bad}: holidays.years.2027.workdays.0: 2027-10-08 is a Friday: a make-up working day (调休上班) falls on a Saturday or Sunday`,
    );
  });
});

describe('when the calendar command is given a config with the 2027 schedule', () => {
  it('then it prints coverage to 2027-12-31 and the 2027 days off and make-up days, and exits 0', async () => {
    const good = configFile('good.json', {
      holidays: { years: { 2027: { holidays: ['2027-01-01', '2027-10-01', '2027-10-07'], workdays: ['2027-10-09'] } } },
    });
    const r = await run(['--year', '2027', '--config', good, '--today', '2026-12-02']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'covered     through 2027-12-31: 394 days left on 2026-12-02; first uncovered day 2028-01-01',
    );
    expect(r.stdout).toContain(
      '2027: covered by the config (holidays.years."2027") — 3 statutory day(s) off, 1 make-up working day(s)',
    );
    expect(r.stdout).toContain('    2027-10-01 周五  (config year)');
    expect(r.stdout).toContain('    2027-10-09 周六  (config year)');
  });
});

describe('when the calendar command checks the defaults on 2 December 2026', () => {
  it('then --check exits 3 with the warning naming 1 January 2027', async () => {
    const r = await run(['--check', '--today', '2026-12-02', '--year', '2027']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(
      'covered     through 2026-12-31: 29 days left on 2026-12-02; first uncovered day 2027-01-01',
    );
    expect(r.stdout).toContain('WARNING     工作日历只覆盖到 2026-12-31（还剩 29 天）');
    expect(r.stdout).toContain('2027: NOT COVERED');
  });
});
