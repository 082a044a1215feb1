/** Starts the server from the environment: reads config, opens the store, wires the app, listens. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createApp, type App } from './app';
import { foldVersion } from './checkpoint';
import { PROJECT_ROOT } from './root';
import { TokenRegistry } from './auth/tokens';
import { readEnv, type ServerEnv } from './env';
import { logger, type Logger } from './log';
import { openSqliteStore } from './store/sqlite';
import { applyReadySettings } from './processSettings';
import type { RedisClientType } from 'redis';

/** A running server. */
export interface Running {
  readonly app: App;
  readonly env: ServerEnv;
  readonly url: string;
  readonly tokens: TokenRegistry;
}

/** Longest the app is given to close after an uncaught exception before the process exits anyway, ms. */
const CRASH_CLOSE_MS = 3_000;
/** Longest the app is given to close on SIGINT/SIGTERM (running drills get 10 s to stop), ms. */
const STOP_CLOSE_MS = 15_000;

/** Starts the server on the embedded store; resolves once it listens and its projections are rebuilt. */
export async function startServer(env: ServerEnv = readEnv()): Promise<Running> {
  const tokens = new TokenRegistry(env.tokens);
  const started = Date.now();
  // The cluster's modules (PostgreSQL, Redis) load only on a cluster: the embedded default starts without them.
  const shared = env.databaseUrl
    ? await (await import('./store/postgres')).openPostgresStore({ connectionString: env.databaseUrl })
    : null;
  const store = shared ?? openSqliteStore({ dataDir: env.dataDir });
  const sessionBackend = shared ? (await import('./auth/pgSessions')).pgSessionBackend(shared.pool) : null;
  const outboxStore = shared ? new (await import('./duty/pgOutbox')).PgOutboxStore(shared.pool) : null;
  const drillRecords =
    shared && env.databaseUrl
      ? new (await import('./drills/pgRecords')).PgDrillRecords(shared.pool, env.databaseUrl, logger)
      : null;
  if (sessionBackend) {
    const sweep = () =>
      void sessionBackend.sweep().catch((err: unknown) => logger.warn({ err }, 'could not remove expired sessions'));
    sweep();
    setInterval(sweep, 3_600_000).unref();
  }
  // A node joining a cluster starts from the newest snapshot of the case read model when its own file is missing or
  // older, so it folds only the log after it (installed before the read model opens).
  const caseDbFile = inData(env.dataDir, 'cases.sqlite');
  const caseSnapshots =
    shared && env.caseSnapshotMinutes > 0
      ? new (await import('./cluster/snapshots')).CaseSnapshots({
          pool: shared.pool,
          log: logger,
          intervalMs: env.caseSnapshotMinutes * 60_000,
        })
      : null;
  // While the snapshot downloads, the port already answers: /healthz 200 (alive), anything else 503 (starting).
  const holder = caseSnapshots ? await holdPort(env.port, env.host) : null;
  if (caseSnapshots) await caseSnapshots.join(caseDbFile, foldVersion(env.config));
  const redis = env.redisUrl ? await connectRedis(env.redisUrl, logger) : null;
  const adapter = redis ? (await import('@socket.io/redis-streams-adapter')).createAdapter(redis) : null;
  const wallPeers = redis ? new (await import('./cluster/sharedWalls')).RedisWallPeers(redis, logger) : null;
  const app = createApp({
    store,
    ...(sessionBackend ? { sessionBackend } : {}),
    ...(env.databaseUrl ? { follow: { connectionString: env.databaseUrl } } : {}),
    ...(adapter ? { adapter } : {}),
    ...(wallPeers ? { wallPeers } : {}),
    ...(outboxStore ? { outboxStore } : {}),
    ...(drillRecords ? { drillRecords } : {}),
    ...(caseSnapshots ? { caseSnapshots } : {}),
    ...(shared && env.databaseUrl
      ? {
          caseRows: (await import('./cluster/caseRows')).pgCaseRows({
            pool: shared.pool,
            connectionString: env.databaseUrl,
          }),
        }
      : {}),
    config: env.config,
    tokens,
    staticDir: path.join(PROJECT_ROOT, 'dist', 'client'),
    open311Space: env.open311Space,
    security: env.security,
    caseDbFile,
    drillDbFile: inData(env.dataDir, 'drills.sqlite'),
    outboxDbFile: inData(env.dataDir, 'outbox.sqlite'),
    logger,
  });
  const failures = processFailureHandlers(logger, (code) => closeAndExit(app, code, CRASH_CLOSE_MS));
  process.on('uncaughtException', failures.uncaughtException);
  process.on('unhandledRejection', failures.unhandledRejection);
  await holder?.close();
  const address = await app.listen(holder?.port ?? env.port, env.host);
  await app.ready;
  // The start folded its log on Node's defaults; from now on V8 keeps the heap near what it holds.
  const memory = applyReadySettings();
  if (memory.length > 0) logger.debug({ flags: memory }, 'memory settings applied');
  const host = env.host === '0.0.0.0' || env.host === '::' ? '127.0.0.1' : env.host;
  const url = `http://${host}:${address.port}`;
  logger.info({ url, dataDir: env.dataDir, rebuildMs: Date.now() - started }, `cityops-wall listening on ${url}`);
  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping: closing the app');
    void closeAndExit(app, 0, STOP_CLOSE_MS);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return { app, env, url, tokens };
}

/**
 * Holds the port while a joining node installs the cluster's snapshot, before the app exists: `/healthz` answers 200
 * (the process is alive) and every other request 503 with `Retry-After`, so a load balancer or a liveness probe tells
 * "starting" from "dead" from the first second. Closed just before the app listens on the same port.
 */
async function holdPort(port: number, host: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    res.setHeader('connection', 'close');
    if (req.url === '/healthz')
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    res
      .writeHead(503, { 'content-type': 'application/json', 'retry-after': '2' })
      .end(
        JSON.stringify({ ready: false, message: "starting: installing the cluster's snapshot of the case read model" }),
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * What a failure that nothing caught does to the process. Listeners, timers and socket handlers are isolated by the
 * app's failsafe, and HTTP handlers by Express, so reaching here is a bug outside those — decided per kind:
 *
 * - `uncaughtException` ends the process (exit 1, after up to `CRASH_CLOSE_MS` to close). A throw unwound a stack at a
 *   point nobody planned for, so a projection may hold half of a batch (Node: "not safe to resume normal operation").
 *   Ending loses nothing acknowledged — a batch is acked only once durable in the log — and the supervisor's restart
 *   rebuilds every projection from the log in seconds; running on could show wrong figures on the wall for hours.
 * - `unhandledRejection` is logged and the process runs on. Every promise that changes shared state (an ingest, a
 *   commit) is awaited by its caller, which answers the error; one nobody awaited is a fire-and-forget step (closing a
 *   socket, writing a drill's summary) whose failure leaves the figures as they were, and ending the process for it
 *   would blank every wall for the restart.
 */
export function processFailureHandlers(log: Logger, exit: (code: number) => unknown) {
  let ending = false;
  return {
    uncaughtException(err: unknown): void {
      log.fatal(
        { err },
        'uncaught exception: ending the process (acknowledged events are in the log; a restart rebuilds from it)',
      );
      if (ending) return;
      ending = true;
      exit(1);
    },
    unhandledRejection(reason: unknown): void {
      log.error({ err: reason }, 'unhandled promise rejection: logged, the process runs on');
    },
  };
}

/** Closes the app, then exits with `code`; exits anyway after `graceMs` (a close that hangs must not keep a broken process). */
async function closeAndExit(app: App, code: number, graceMs: number): Promise<void> {
  setTimeout(() => process.exit(code), graceMs).unref();
  try {
    await app.close();
  } catch (err) {
    logger.error({ err }, 'the app did not close cleanly');
  }
  process.exit(code);
}

/**
 * The Redis client of the Socket.IO adapter. It reconnects by itself (with backoff) when Redis restarts, and the
 * streams adapter resumes reading its stream from where it was, so nothing sent while Redis was away is lost.
 */
async function connectRedis(url: string, log: Logger): Promise<RedisClientType> {
  let down = false;
  const { createClient } = await import('redis');
  const client: RedisClientType = createClient({
    url,
    socket: { reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2_000) },
  });
  client.on('error', (err: unknown) => {
    if (!down)
      log.warn({ err }, 'Redis does not answer: walls on this node go on; cross-node messages wait until it is back');
    down = true;
  });
  client.on('ready', () => {
    if (down) log.info('Redis answers again');
    down = false;
  });
  await client.connect();
  return client;
}

/** A file in DATA_DIR, or `:memory:` when the data dir is. */
function inData(dataDir: string, name: string): string {
  return dataDir === ':memory:' ? ':memory:' : path.join(dataDir, name);
}
