/** A benchmark's helper process: a sibling script run through tsx, asked one command at a time over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Node options of a child whose Socket.IO clients should run the production builds browsers load (`browserBuilds.mjs`)
 * rather than the debug builds the packages give Node.
 */
export const BROWSER_BUILDS: readonly string[] = [
  '--import',
  path.join(path.dirname(fileURLToPath(import.meta.url)), 'browserBuilds.mjs'),
];

/** A child process running `bench/<script>`, which answers each command with one message. */
export class BenchChild<Command, Reply> {
  readonly process: ChildProcess;
  constructor(script: string, execArgv: readonly string[] = []) {
    this.process = fork(path.join(path.dirname(fileURLToPath(import.meta.url)), script), [], {
      execArgv: [...execArgv, '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  }
  /** The child's next message. */
  next(): Promise<Reply> {
    return (once(this.process, 'message') as Promise<[Reply]>).then(([r]) => r);
  }
  /** Sends a command and resolves with the answer. */
  async ask(cmd: Command): Promise<Reply> {
    const answer = this.next();
    this.process.send(cmd as object);
    return answer;
  }
  stop(): void {
    this.process.disconnect();
  }
}
