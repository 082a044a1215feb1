/**
 * `npm run cluster`: three nodes of cityops-wall on this machine against the local PostgreSQL and Redis, behind HAProxy
 * on one port — the shape of a production cluster, for drills and tests. Each node is `scripts/start.ts` (the demo feed
 * runs on whichever node holds its lease) with its own DATA_DIR for node-local files; everything shared is in
 * PostgreSQL (DATABASE_URL, created if missing) and Redis (REDIS_URL).
 *
 * Settings: CLUSTER_NODES (3), PORT (the balancer's, 8080), CLUSTER_BASE_PORT (nodes on base+1…, default PORT+1),
 * DATABASE_URL (postgres://postgres@127.0.0.1:5432/cityops), REDIS_URL (redis://127.0.0.1:6379), DATA_DIR (./data/cluster).
 */
import { SERVER_ENV } from '../server/processSettings';
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parseTokens, type TokenGrant } from '../server/auth/tokens';
import { storedTokens } from '../server/env';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** How to start a cluster. */
export interface ClusterOptions {
  readonly nodes?: number;
  /** The balancer's port (HAProxy needs a fixed port, not 0). */
  readonly port: number;
  /** Node i listens on basePort + i (i from 1). */
  readonly basePort: number;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly dataDir: string;
  readonly tokens: readonly TokenGrant[];
  /** `start`: scripts/start.ts (with the demo feed); `server`: the server alone. */
  readonly entry?: 'start' | 'server';
  /** More environment for every node. */
  readonly env?: Readonly<Record<string, string>>;
  /** Where node and balancer output goes: inherited (default), or files `node-<i>.log` and `haproxy.log` in `dataDir`. */
  readonly stdio?: 'inherit' | 'files';
}

/** One node of a running cluster. */
export interface ClusterNode {
  readonly index: number;
  readonly port: number;
  readonly url: string;
  process: ChildProcess;
  /** Kills the node's process with `signal` (SIGKILL: a crash) and resolves when it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the node again (after a kill); resolves when it answers /readyz. */
  start(): Promise<void>;
}

/** A running cluster. */
export interface Cluster {
  /** The balancer's URL: what walls, pages and producers use. */
  readonly url: string;
  readonly nodes: ClusterNode[];
  readonly haproxy: ChildProcess;
  stop(): Promise<void>;
}

/** Renders the HAProxy configuration for the nodes. */
export function haproxyConfig(bind: string, nodes: readonly { index: number; port: number }[]): string {
  const template = readFileSync(path.join(root, 'deploy', 'haproxy.cfg.template'), 'utf8');
  return template
    .replace('{{BIND}}', bind)
    .replace('{{SERVERS}}', nodes.map((n) => `  server node${n.index} 127.0.0.1:${n.port} check`).join('\n'));
}

/** Creates the database of a `postgres://…/name` URL if it does not exist. */
export async function ensureDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!/^[a-z_][a-z0-9_]*$/.test(name))
    throw new Error(`DATABASE_URL names the database "${name}": use lower-case letters, digits and _`);
  u.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: u.toString() });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
}

/** Waits until `url` answers 200, or throws after `ms`. */
export async function waitFor(url: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1_000) })).status === 200) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > end) throw new Error(`${url} did not answer 200 within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts the nodes and the balancer; resolves when every node is ready and the balancer answers. */
export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  await ensureDatabase(o.databaseUrl);
  const count = o.nodes ?? 3;
  const entry = path.join(root, o.entry === 'server' ? 'server/main.ts' : 'scripts/start.ts');
  const nodes: ClusterNode[] = [];
  for (let i = 1; i <= count; i++) {
    const port = o.basePort + i;
    const dataDir = path.join(o.dataDir, `node-${i}`);
    mkdirSync(dataDir, { recursive: true });
    const env = {
      ...process.env,
      // The allocator's settings `npm start` gives a node (the heap's, the node sets itself once ready).
      ...SERVER_ENV,
      ...o.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: o.databaseUrl,
      REDIS_URL: o.redisUrl,
      TRUST_PROXY: '1',
      CITYOPS_TOKENS: o.tokens.map((t) => `${t.role}${t.space ? `@${t.space}` : ''}:${t.token}`).join(','),
      CITYOPS_NODE: `node${i}`,
    };
    const node: ClusterNode = {
      index: i,
      port,
      url: `http://127.0.0.1:${port}`,
      process: null as unknown as ChildProcess,
      kill: (signal = 'SIGTERM') =>
        new Promise<void>((resolve) => {
          const p = node.process;
          if (p.exitCode !== null || p.signalCode !== null) return resolve();
          p.once('exit', () => resolve());
          p.kill(signal);
        }),
      start: async () => {
        node.process = spawn(process.execPath, ['--import', 'tsx', entry], {
          cwd: root,
          env,
          stdio: outputs(o, `node-${i}.log`),
        });
        await waitFor(`${node.url}/readyz`, 120_000);
      },
    };
    nodes.push(node);
  }
  await Promise.all(nodes.map((n) => n.start()));
  const cfgFile = path.join(o.dataDir, 'haproxy.cfg');
  writeFileSync(cfgFile, haproxyConfig(`127.0.0.1:${o.port}`, nodes));
  const haproxy = spawn('haproxy', ['-f', cfgFile, '-db'], { stdio: outputs(o, 'haproxy.log') });
  const url = `http://127.0.0.1:${o.port}`;
  await waitFor(`${url}/readyz`, 15_000);
  return {
    url,
    nodes,
    haproxy,
    async stop() {
      haproxy.kill('SIGTERM');
      await Promise.all(nodes.map((n) => n.kill('SIGTERM')));
    },
  };
}

/** The stdio of a child: inherited, or appended to a file in the cluster's data dir. */
function outputs(o: ClusterOptions, file: string): StdioOptions {
  if (o.stdio !== 'files') return 'inherit';
  const fd = openSync(path.join(o.dataDir, file), 'a');
  return ['ignore', fd, fd];
}

/** Tokens shared by every node: CITYOPS_TOKENS, or generated once and kept in the cluster's data dir. */
function clusterTokens(dataDir: string): TokenGrant[] {
  return process.env.CITYOPS_TOKENS?.trim() ? parseTokens(process.env.CITYOPS_TOKENS) : storedTokens(dataDir);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT ?? 8080);
  const dataDir = path.resolve(process.env.DATA_DIR ?? './data/cluster');
  const tokens = clusterTokens(dataDir);
  const cluster = await startCluster({
    nodes: Number(process.env.CLUSTER_NODES ?? 3),
    port,
    basePort: Number(process.env.CLUSTER_BASE_PORT ?? port),
    databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/cityops',
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    dataDir,
    tokens,
  });
  const viewer = tokens.find((t) => t.role === 'viewer') ?? tokens.find((t) => t.role === 'admin');
  console.log(`\n  cluster of ${cluster.nodes.length} nodes behind HAProxy: ${cluster.url}`);
  for (const n of cluster.nodes) console.log(`    node${n.index}: ${n.url}`);
  // The token only to a terminal: captured output travels further (as npm start does).
  const token = process.stdout.isTTY ? viewer?.token : `<a viewer token: CITYOPS_TOKENS or ${dataDir}/tokens.json>`;
  if (viewer) console.log(`  Wall (demo): ${cluster.url}/?space=demo&token=${token}\n`);
  const stop = () => void cluster.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
