/**
 * The benchmarks' wall clients load Socket.IO's client packages as a browser's bundle does (`bench/browserBuilds.mjs`):
 * the production builds, not the debug builds the packages give Node — and nothing else changes.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BROWSER_BUILDS } from '../../bench/child';

const root = path.resolve(import.meta.dirname, '..', '..');
const PACKAGES = ['socket.io-client', 'engine.io-client', 'socket.io-parser', 'ws'];

/** Where each package resolves and which client build the client's own import of engine.io-client gets, in a child. */
function resolved(execArgv: readonly string[]): Record<string, string> {
  const script = `
    const out = {};
    for (const p of ${JSON.stringify(PACKAGES)}) out[p] = import.meta.resolve(p).replace(/^.*\\/node_modules\\//, '');
    const { io } = await import('socket.io-client');
    out.io = typeof io;
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, [...execArgv, '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Record<string, string>;
}

describe("when the benchmarks' walls load socket.io-client", () => {
  it('then they get the production builds browsers load', () => {
    expect(resolved(BROWSER_BUILDS)).toEqual({
      'socket.io-client': 'socket.io-client/build/esm/index.js',
      'engine.io-client': 'engine.io-client/build/esm/index.js',
      'socket.io-parser': 'socket.io-parser/build/esm/index.js',
      ws: 'ws/wrapper.mjs',
      io: 'function',
    });
  });

  it('then without the hook Node resolves the debug builds (what the hook changes)', () => {
    const plain = resolved([]);
    expect(plain['socket.io-client']).toBe('socket.io-client/build/esm-debug/index.js');
    expect(plain['engine.io-client']).toBe('engine.io-client/build/esm-debug/index.js');
    expect(plain['socket.io-parser']).toBe('socket.io-parser/build/esm-debug/index.js');
  });
});
