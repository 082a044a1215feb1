/** Starts the server from the environment: reads config, opens the store, wires the app, listens. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp, type App } from './app';
import { TokenRegistry } from './auth/tokens';
import { readEnv, type ServerEnv } from './env';
import { openSqliteStore } from './store/sqlite';

/** A running server. */
export interface Running { readonly app: App; readonly env: ServerEnv; readonly url: string; readonly tokens: TokenRegistry }

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Starts the server on the embedded store; resolves once it listens and its projections are rebuilt. */
export async function startServer(env: ServerEnv = readEnv()): Promise<Running> {
  const tokens = new TokenRegistry(env.tokens);
  const started = Date.now();
  const app = createApp({ store: openSqliteStore({ dataDir: env.dataDir }), config: env.config, tokens, staticDir: path.join(root, 'dist', 'client'), open311Space: env.open311Space, caseDbFile: inData(env.dataDir, 'cases.sqlite'), drillDbFile: inData(env.dataDir, 'drills.sqlite') });
  const address = await app.listen(env.port, env.host);
  await app.ready;
  const host = env.host === '0.0.0.0' || env.host === '::' ? '127.0.0.1' : env.host;
  const url = `http://${host}:${address.port}`;
  console.log(`cityops-wall listening on ${url} (data in ${env.dataDir}; projections rebuilt in ${Date.now() - started} ms)`);
  const stop = () => { void app.close().then(() => process.exit(0)); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return { app, env, url, tokens };
}

/** A file in DATA_DIR, or `:memory:` when the data dir is. */
function inData(dataDir: string, name: string): string {
  return dataDir === ':memory:' ? ':memory:' : path.join(dataDir, name);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  startServer().then(({ url, tokens }) => {
    const viewer = tokens.first('viewer');
    if (viewer) console.log(`wall: ${url}/?space=live&token=${viewer.token}`);
  }).catch((err: unknown) => {
    console.error(`cityops-wall failed to start: ${(err as Error).message}`);
    process.exit(1);
  });
}
