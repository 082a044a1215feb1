/** Command-line arguments of the simulator CLI: parsing with usage errors, numbers, speeds, targets, scenarios. */
import { parseArgs } from 'node:util';
import { spaceName } from '@shared/contract';
import { ScenarioError, type Scenario } from '@shared/scenario';
import { loadScenario } from './scenario';

/** A mistake on the command line: printed with the usage, exit code 2. */
export class UsageError extends Error {}

/** Option declarations for parseArgs. */
export type Opts = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** Parses a command's arguments (`--help` always allowed); a mistake is a UsageError with the usage. */
export function parse<T extends Opts>(args: string[], options: T, usage: string, positionals = false) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: positionals,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage}`);
  }
}

/** A required string option. */
export function required(value: string | boolean | undefined, name: string, usage: string): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required\n\n${usage}`);
  return value;
}

/** A whole-number option within [min, max]. */
export function wholeNumber(
  value: string | boolean | undefined,
  name: string,
  dflt: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (typeof value !== 'string' || !/^-?\d+$/.test(value) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${String(value)}"`);
  return n;
}

/** A speed: a positive number (`60` or `60x`) or `max` (Infinity). */
export function speedOf(value: string | boolean | undefined, dflt: string): number {
  const arg = typeof value === 'string' ? value : dflt;
  const speed = arg === 'max' ? Number.POSITIVE_INFINITY : Number(arg.replace(/x$/i, ''));
  if (!(speed > 0) || (!Number.isFinite(speed) && arg !== 'max'))
    throw new UsageError(`--speed must be a positive number (1, 10, 60 …) or "max", got "${arg}"`);
  return speed;
}

/** Server, token and a space a simulator may write (never live). */
export function target(
  v: Record<string, string | boolean | undefined>,
  usage: string,
): { server: string; servers: string[]; token: string; space: string } {
  // Several nodes of a cluster: --server URL,URL,… (the producer moves to the next when one is lost).
  const servers = required(v.server, 'server', usage)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const s of servers)
    if (!/^https?:\/\/[^\s]+$/.test(s))
      throw new UsageError(`--server must be an http(s) URL (or several, comma-separated), got "${s}"`);
  const server = servers[0] ?? '';
  const token = required(v.token, 'token', usage);
  const space = required(v.space, 'space', usage);
  if (space === 'live')
    throw new UsageError('--space live is refused: simulators feed demo or drill-<name> spaces only');
  if (!spaceName.safeParse(space).success) throw new UsageError(`--space must be demo or drill-<name>, got "${space}"`);
  return { server, servers, token, space };
}

/** The scenario named by `--scenario`, or null. */
export function scenarioOf(v: string | boolean | undefined): Scenario | null {
  if (typeof v !== 'string') return null;
  try {
    return loadScenario(v);
  } catch (err) {
    if (err instanceof ScenarioError) throw new UsageError(err.message);
    throw err;
  }
}
