/** Reads the environment, a public interface kept stable (tools and tests set it): PORT, HOST, DATA_DIR, CITYOPS_CONFIG, CITYOPS_TOKENS. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_CONFIG, mergeConfig, type CityopsConfig } from '@shared/config';
import { spaceName } from '@shared/contract';
import { generateTokens, parseTokens, type TokenGrant } from './auth/tokens';
import { readSecuritySettings, type SecuritySettings } from './security/settings';

/** The server's settings. */
export interface ServerEnv {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly config: CityopsConfig;
  readonly tokens: TokenGrant[];
  /** True when tokens were generated (none configured). */
  readonly generatedTokens: boolean;
  /** The space that requests posted through Open311 become cases in (OPEN311_SPACE, default live). */
  readonly open311Space: string;
  /** DATABASE_URL (`postgres://…`): the shared log of a cluster; absent → the embedded SQLite store in DATA_DIR. */
  readonly databaseUrl: string | null;
  /** REDIS_URL (`redis://…`): connects the nodes' Socket.IO servers; absent → one node, in memory. */
  readonly redisUrl: string | null;
  /**
   * CASE_SNAPSHOT_MINUTES (default 10): with DATABASE_URL, at most one snapshot of the case read model per this many
   * minutes in the cluster, which a joining node starts from; 0: none written, none used.
   */
  readonly caseSnapshotMinutes: number;
  /** TRUST_PROXY, CITYOPS_ALLOWED_ORIGINS, METRICS_ACCESS, READYZ_ACCESS. */
  readonly security: SecuritySettings;
}

/** Reads and checks the environment; throws with a clear message on a bad value. */
export function readEnv(env: NodeJS.ProcessEnv = process.env): ServerEnv {
  const port = Number(env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT "${env.PORT}" is not a port number`);
  const dataDir = path.resolve(env.DATA_DIR ?? './data');
  const config = env.CITYOPS_CONFIG ? loadConfig(env.CITYOPS_CONFIG) : DEFAULT_CONFIG;
  const configured = env.CITYOPS_TOKENS?.trim();
  const tokens = configured ? parseTokens(configured) : storedTokens(dataDir);
  const open311Space = env.OPEN311_SPACE ?? 'live';
  if (!spaceName.safeParse(open311Space).success)
    throw new Error(`OPEN311_SPACE "${open311Space}" must be live, demo or drill-<name>`);
  const databaseUrl = env.DATABASE_URL?.trim() || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl))
    throw new Error('DATABASE_URL must be a postgres:// URL (leave it unset for the embedded store)');
  const redisUrl = env.REDIS_URL?.trim() || null;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) throw new Error('REDIS_URL must be a redis:// or rediss:// URL');
  const snapshotRaw = env.CASE_SNAPSHOT_MINUTES?.trim() || '10';
  const caseSnapshotMinutes = Number(snapshotRaw);
  if (!Number.isFinite(caseSnapshotMinutes) || caseSnapshotMinutes < 0)
    throw new Error(
      `CASE_SNAPSHOT_MINUTES "${env.CASE_SNAPSHOT_MINUTES}" must be a number of minutes ≥ 0 (0: no snapshots of the case read model)`,
    );
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    dataDir,
    config,
    tokens,
    generatedTokens: !configured,
    open311Space,
    databaseUrl,
    redisUrl,
    caseSnapshotMinutes,
    security: readSecuritySettings(env),
  };
}

/** Loads a JSON config file and merges it over the defaults; the error names the file and the field. */
export function loadConfig(file: string): CityopsConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`CITYOPS_CONFIG ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return mergeConfig(DEFAULT_CONFIG, raw);
  } catch (err) {
    const issues = (err as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
    const detail = issues
      ? issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`).join('; ')
      : (err as Error).message;
    throw new Error(`CITYOPS_CONFIG ${file}: ${detail}`, { cause: err });
  }
}

/** Tokens generated at the first start without CITYOPS_TOKENS, kept in DATA_DIR/tokens.json so links survive restarts. */
export function storedTokens(dataDir: string): TokenGrant[] {
  const file = path.join(dataDir, 'tokens.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as TokenGrant[];
  mkdirSync(dataDir, { recursive: true });
  const tokens = generateTokens();
  writeFileSync(file, JSON.stringify(tokens, null, 2), { mode: 0o600 });
  return tokens;
}
