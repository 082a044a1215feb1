/**
 * The configuration an import maps onto: the server's own `CITYOPS_CONFIG` file (or `--config`), merged over the
 * defaults exactly as the server merges it, so categories, streets and units match what the server knows.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_CONFIG, mergeConfig, type CityopsConfig } from '@shared/config';

/** A configuration and where it came from, for the report. */
export interface ImportConfig {
  readonly config: CityopsConfig;
  readonly source: string;
}

/**
 * Reads `--config FILE`, else `CITYOPS_CONFIG`, else asks the server (`GET /api/v1/config/mapping`) when one is given,
 * else the built-in defaults; a bad file throws naming file and field.
 */
export async function importConfig(
  flag: string | undefined,
  server: { url: string; token: string } | null,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ImportConfig> {
  const file = flag ?? (env.CITYOPS_CONFIG?.trim() || undefined);
  if (file === undefined && server) return serverConfig(server.url, server.token);
  if (file === undefined)
    return { config: DEFAULT_CONFIG, source: 'the built-in defaults (no --config, no CITYOPS_CONFIG, no --server)' };
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
    throw new Error(
      `${via} ${file}: ${issues ? issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`).join('; ') : (err as Error).message}`,
      { cause: err },
    );
  }
}

/** The server's categories, streets and units (`GET /api/v1/config/mapping`); a refusal or an unreachable server throws. */
export async function serverConfig(url: string, token: string): Promise<ImportConfig> {
  const at = `${url.replace(/\/+$/, '')}/api/v1/config/mapping`;
  let res: Response;
  try {
    res = await fetch(at, { headers: { authorization: `Bearer ${token}` } });
  } catch (err) {
    throw new Error(`cannot ask ${at} for the configuration: ${(err as Error).message}; give --config FILE instead`, {
      cause: err,
    });
  }
  if (!res.ok)
    throw new Error(
      `${at} answered HTTP ${res.status}: ${(await res.text()).slice(0, 200)}; give --config FILE instead`,
    );
  try {
    return { config: mergeConfig(DEFAULT_CONFIG, await res.json()), source: `the server's configuration (${at})` };
  } catch (err) {
    throw new Error(`${at} answered a configuration this client cannot read: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
