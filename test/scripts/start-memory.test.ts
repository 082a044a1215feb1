/**
 * `npm start` runs the server with its memory settings (`server/processSettings.ts`): the allocator's on its command
 * line, V8's heap growth once the server is ready — and V8 takes that flag at run time.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyReadySettings, READY_V8_FLAGS, SERVER_ENV } from '../../server/processSettings';

const root = path.resolve(import.meta.dirname, '..', '..');
const start = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } })
  .scripts.start;

describe('when npm start starts the server', () => {
  it('then its environment carries every allocator setting', () => {
    expect(start, start).toMatch(/\bexec node .*dist\/node\/scripts\/start\.js$/);
    const assignments = start.slice(0, start.indexOf(' exec node ')).split(' && ').at(-1)!.split(' ');
    for (const [k, v] of Object.entries(SERVER_ENV)) expect(assignments).toContain(`${k}=${v}`);
  });

  it('then the heap growth set at run time keeps the heap tighter than Node leaves it', () => {
    // A live set of some 15 MB turned over while garbage is made: the largest heap V8 reserves meanwhile.
    const script = (setting: string) => `const v8 = require('node:v8'); ${setting}
      const keep = []; let peak = 0;
      for (let i = 0; i < 4000; i++) {
        const a = []; for (let j = 0; j < 2000; j++) a.push({ x: j, s: 'v' + j });
        if (i % 10 === 0) keep.push(a); if (keep.length > 60) keep.shift();
        peak = Math.max(peak, process.memoryUsage().heapTotal);
      }
      console.log(peak);`;
    const run = (setting: string) => spawnSync(process.execPath, ['-e', script(setting)], { encoding: 'utf8' });
    const set = run(READY_V8_FLAGS.map((f) => `v8.setFlagsFromString(${JSON.stringify(f)});`).join(' '));
    expect(set.stderr).toBe('');
    const node = run('');
    expect(Number(set.stdout)).toBeLessThan(0.9 * Number(node.stdout));
  });

  it('then CITYOPS_MEMORY_DEFAULTS=1 leaves the defaults', () => {
    expect(applyReadySettings({ CITYOPS_MEMORY_DEFAULTS: '1' })).toEqual([]);
  });
});
