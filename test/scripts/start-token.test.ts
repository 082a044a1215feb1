/** `npm start` whose output is captured (not a terminal) prints the wall's address without the viewer token. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');
const dataDir = mkdtempSync(path.join(tmpdir(), 'cityops-start-token-'));
const VIEWER = 'viewer-token-abcdef0123456789';
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('when npm start runs with its output captured', () => {
  it('then the wall addresses it prints carry no token, and nothing it writes does', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      cwd: root,
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        PORT: '0',
        HOST: '127.0.0.1',
        CITYOPS_TOKENS: `admin:admin-token-abcdef0123456789,viewer:${VIEWER},producer@demo:producer-demo-abcdef0123456789`,
        DEMO_BACKLOG_DAYS: '0',
        LOG_LEVEL: 'debug',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    try {
      await new Promise<void>((resolve) => {
        const onLine = (line: string) => {
          lines.push(line);
          if (line.includes('Wall (live)')) resolve();
        };
        createInterface({ input: child.stdout }).on('line', onLine);
        createInterface({ input: child.stderr }).on('line', onLine);
        child.once('exit', () => resolve());
        setTimeout(() => resolve(), 60_000).unref();
      });
      const wall = lines.find((l) => l.includes('Wall (live)')) ?? '';
      expect(wall).toMatch(/\?space=live&token=<a viewer token: CITYOPS_TOKENS or .*tokens\.json>/);
      expect(lines.join('\n')).not.toContain(VIEWER);
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    }
  }, 90_000);
});
