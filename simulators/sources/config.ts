/**
 * The configuration an import maps onto: the server's own `CITYOPS_CONFIG` file (or `--config`), merged over the
 * defaults exactly as the server merges it, so categories, streets and units match what the server knows.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_CONFIG, mergeConfig, type CityopsConfig } from '../../shared/config';

/** A configuration and where it came from, for the report. */
export interface ImportConfig { readonly config: CityopsConfig; readonly source: string }

/** Reads `--config FILE`, else `CITYOPS_CONFIG`, else the built-in defaults; a bad file throws naming file and field. */
export function importConfig(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): ImportConfig {
  const file = flag ?? (env.CITYOPS_CONFIG?.trim() || undefined);
  if (file === undefined) return { config: DEFAULT_CONFIG, source: 'the built-in defaults (no --config, no CITYOPS_CONFIG)' };
  const via = flag !== undefined ? '--config' : 'CITYOPS_CONFIG';
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${via} ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return { config: mergeConfig(DEFAULT_CONFIG, raw), source: `${via} ${file}` };
  } catch (err) {
    const issues = (err as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
    throw new Error(`${via} ${file}: ${issues ? issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`).join('; ') : (err as Error).message}`, { cause: err });
  }
}
