/**
 * Structured logs: JSON lines (pino) on stdout, one object per line with `level` as a word, an ISO `time` and `msg`;
 * errors under `err` (type, message, stack). Components log through children that name them (`component`); an HTTP
 * request's lines carry its `reqId`. The level comes from `LOG_LEVEL` (default `info`); tests inject their own logger.
 */
import { pino, stdSerializers, stdTimeFunctions, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** The levels `LOG_LEVEL` may name. */
export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The level a `LOG_LEVEL` value names; an unknown value is null (the caller says so and keeps the default). */
export function logLevelOf(value: string | undefined): LevelWithSilent | null {
  if (value === undefined || value.trim() === '') return 'info';
  const v = value.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(v) ? (v as LevelWithSilent) : null;
}

/** Options of a logger: its level and where its lines go (stdout unless given; tests pass a collecting stream). */
export interface LoggerOptions {
  readonly level?: LevelWithSilent;
  readonly destination?: NodeJS.WritableStream;
}

/** A logger writing JSON lines. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const options = {
    level: opts.level ?? 'info',
    base: { service: 'cityops-wall' },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    serializers: { err: stdSerializers.err },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

const envLevel = logLevelOf(process.env.LOG_LEVEL);

/** The process's logger, at `LOG_LEVEL` (default info). What the app logs when no logger is injected. */
export const logger: Logger = createLogger({ level: envLevel ?? 'info' });
if (envLevel === null)
  logger.warn(
    { LOG_LEVEL: process.env.LOG_LEVEL },
    `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; logging at info`,
  );

/**
 * Logs a dependency that fails and recovers (the shared log, a Redis hash, a table) once per outage: the first failure
 * as a warning with its error, the first success after it as info; nothing while it stays up or stays down.
 */
export class Outage {
  private down = false;
  constructor(
    private readonly log: Logger,
    private readonly failedMsg: string,
    private readonly recoveredMsg: string,
  ) {}

  /** Whether the last try failed. */
  get failing(): boolean {
    return this.down;
  }

  /** A try succeeded. */
  ok(): void {
    if (this.down) this.log.info(this.recoveredMsg);
    this.down = false;
  }

  /** A try failed with `err`. */
  failed(err: unknown): void {
    if (!this.down) this.log.warn({ err }, this.failedMsg);
    this.down = true;
  }
}
