/**
 * A Redis server of its own for a test or bench that starts node processes (`redis-server` on a free port, no
 * persistence): their Socket.IO adapters and wall lists then meet no other run's. A `redis-server` that cannot be
 * started fails loudly: the tests that need it never skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freePort } from './ports';

export { freePort };

/** A running Redis server. */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** Kills it (SIGKILL) and resolves when it has exited. */
  stop(): Promise<void>;
}

/** Starts `redis-server` on `port` (default: a free one); resolves once it accepts connections. */
export async function startRedis(port?: number): Promise<TestRedis> {
  const p = port ?? (await freePort());
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  let failed: Error | null = null;
  child.once('error', (err) => (failed = err));
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  for (let i = 0; i < 100 && !failed; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(p, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return { port: p, url: `redis://127.0.0.1:${p}`, stop };
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`redis-server did not start on port ${p}${failed ? ` (${(failed as Error).message})` : ''}`);
}
