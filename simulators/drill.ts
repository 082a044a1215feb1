/**
 * The drill entry: what the server's drill service starts, one child process per drill (a drill's simulator runs apart
 * from the server). `tsx simulators/drill.ts --server URL --space drill-… --scenario NAME --speed X|max --seed N` feeds
 * the space with the shipped scenario's day — its backlog at once, then its drill window at the speed — through the
 * public ingest API. The producer token is the first line of stdin, never an argument (a command line is readable by
 * every user with ps). Progress is JSON lines on stderr; a failure is one `error: …` line and a non-zero exit. Started
 * by a server (with an IPC channel), it stops as soon as that server is gone, so a drill never outlives its runner.
 */
import { parse, scenarioOf, speedOf, target, UsageError, wholeNumber } from './args';
import { feedSpace, firstLine } from './feed';

const USAGE = `Usage: tsx simulators/drill.ts --server URL --space drill-NAME --scenario NAME --speed X|max --seed N < token

  the producer token for the space is read from the first line of stdin`;

async function main(argv: string[]): Promise<number> {
  const { values: v } = parse(
    argv,
    {
      server: { type: 'string' },
      space: { type: 'string' },
      scenario: { type: 'string' },
      speed: { type: 'string' },
      seed: { type: 'string' },
    },
    USAGE,
  );
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  // The server that started this drill is gone (its end closed the channel): nobody runs the drill any more.
  if (process.channel) {
    process.channel.unref();
    process.once('disconnect', () => {
      console.error('error: the server running this drill is gone; stopping');
      process.exit(3);
    });
  }
  const { servers, token, space } = target({ ...v, token: await firstLine(process.stdin) }, USAGE);
  if (typeof v.scenario !== 'string') throw new UsageError(`--scenario is required\n\n${USAGE}`);
  await feedSpace({
    servers,
    token,
    space,
    scenario: scenarioOf(v.scenario),
    speed: speedOf(v.speed, '1'),
    seed: wholeNumber(v.seed, 'seed', 1, 0, 2 ** 31),
    backlogDays: 1,
    batchSize: 5000,
    json: true,
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
