/** `npm start` runs the server with its memory settings (`server/processSettings.ts`), and this Node takes them. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVER_ENV, SERVER_NODE_FLAGS } from '../../server/processSettings';

const root = path.resolve(import.meta.dirname, '..', '..');
const start = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } })
  .scripts.start;

describe('when npm start starts the server', () => {
  it('then its node command line carries every memory flag, and the environment every setting', () => {
    const command = /\bexec node (.*) dist\/node\/scripts\/start\.js$/.exec(start);
    expect(command, start).not.toBeNull();
    const args = command![1]!.split(' ');
    for (const flag of SERVER_NODE_FLAGS) expect(args).toContain(flag);
    const assignments = start.slice(0, start.indexOf(' exec node ')).split(' && ').at(-1)!.split(' ');
    for (const [k, v] of Object.entries(SERVER_ENV)) expect(assignments).toContain(`${k}=${v}`);
  });

  it('then this Node accepts the flags, and the young generation stays within the semi-spaces they ask for', () => {
    // Two million small objects kept alive: the scavenges promote them, and V8 grows the young generation as far as it may.
    const script = `const v8 = require('node:v8'); let max = 0; const keep = [];
      for (let i = 0; i < 2e6; i++) {
        keep.push({ i });
        if (i % 1e4 === 0) max = Math.max(max, v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);
      }
      console.log(max);`;
    const run = (flags: readonly string[]) =>
      spawnSync(process.execPath, [...flags, '-e', script], {
        encoding: 'utf8',
        env: { ...process.env, ...SERVER_ENV },
      });
    const set = run(SERVER_NODE_FLAGS);
    expect(set.stderr).toBe('');
    expect(set.status).toBe(0);
    expect(Number(set.stdout)).toBeLessThanOrEqual(4 * 2 ** 20);
    // Node's default lets it grow to 32 MB here: the bound above comes from the flag.
    expect(Number(run([]).stdout)).toBeGreaterThan(4 * 2 ** 20);
  });
});
