/**
 * createApp(deps): the whole server — HTTP API, Socket.IO namespaces, projections rebuilt from the log, the wall
 * stream — without listening. `index.ts` reads the environment, wires and listens; tests start it on port 0.
 */
import compression from 'compression';
import express from 'express';
import { existsSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Server, type ServerOptions } from 'socket.io';
import type { CityopsConfig } from '../shared/config';
import { chineseHolidayCalendar } from '../shared/sla/holidays';
import { parseWorkingHours } from '../shared/sla/calendar';
import type { ProjectionContext } from '../shared/projection/state';
import type { TokenRegistry } from './auth/tokens';
import { SessionStore } from './auth/session';
import { CaseFeed } from './cases/feed';
import { CaseReadModel } from './cases/readModel';
import { caseRoutes } from './http/cases';
import { sessionRoutes } from './http/session';
import { supervisionRoutes } from './http/supervision';
import { bodyErrors, apiRoutes, opsRoutes } from './http/routes';
import { sendError } from './http/errors';
import { geojsonRoutes } from './http/geojson';
import { DrillRecords } from './drills/records';
import { DrillService } from './drills/service';
import { drillRoutes } from './http/drills';
import { exportRoutes } from './http/export';
import { open311Routes } from './http/open311';
import { IngestService } from './ingest/service';
import { createMetrics } from './metrics';
import { Broadcaster } from './realtime/broadcaster';
import { wireIngest, wireWall, type IoServer } from './realtime/namespaces';
import { SpaceRegistry } from './spaces';
import type { EventStore } from './store/types';

/** What the app is built from. */
export interface AppDeps {
  readonly store: EventStore;
  readonly config: CityopsConfig;
  readonly tokens: TokenRegistry;
  /** The wall clock (ms); tests inject their own. */
  readonly now?: () => number;
  /** Directory of the built wall (index.html); omitted → no static files. */
  readonly staticDir?: string;
  /** Largest request body (default '5mb'). */
  readonly bodyLimit?: string;
  /** Coalescing interval of wall deltas, ms (default 500: two per second). */
  readonly deltaIntervalMs?: number;
  /** File of the case read model (default `:memory:`, rebuilt from the log at start); `index.ts` puts it in DATA_DIR. */
  readonly caseDbFile?: string;
  /** File of the drill records (default `:memory:`); `index.ts` puts it in DATA_DIR so drills are listed after a restart. */
  readonly drillDbFile?: string;
  /** The space Open311 requests are read from and created in (default `live`). */
  readonly open311Space?: string;
  /** WebSocket permessage-deflate of the Socket.IO server (default `WALL_DEFLATE`); `bench:fanout` compares settings. */
  readonly perMessageDeflate?: ServerOptions['perMessageDeflate'];
}

/** A built, not yet listening, app. */
export interface App {
  readonly http: HttpServer;
  readonly io: IoServer;
  readonly spaces: SpaceRegistry;
  readonly ingest: IngestService;
  readonly broadcaster: Broadcaster;
  /** The case read model (lists, history, scorecards). */
  readonly cases: CaseReadModel;
  /** Resolves once every projection is rebuilt from the log (then /readyz answers 200). */
  readonly ready: Promise<void>;
  listen(port: number, host?: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

/**
 * WebSocket compression of the Socket.IO server: off. Measured with `bench:fanout` (README, Measured): every browser
 * offers permessage-deflate, and with it on, ws compresses each message once per socket — with context takeover (what
 * browsers negotiate) its `threshold` is ignored, so even a 100-byte heartbeat is deflated 1,000 times — and engine.io
 * drops the frame Socket.IO encodes once per room. Off, one delta is one frame written to every wall. Deltas are about
 * 1 KB and snapshots about 20 KB, on the centre's LAN. If a slow link ever needs compressed snapshots, use
 * `{ threshold: 16384, serverNoContextTakeover: true }` (the threshold only works without context takeover), at the cost
 * of framing each delta per socket again.
 */
export const WALL_DEFLATE: ServerOptions['perMessageDeflate'] = false;

/** The deadline and projection context of a configuration. */
export function projectionContext(config: CityopsConfig): ProjectionContext {
  const env = { calendar: chineseHolidayCalendar(config.holidays), hours: parseWorkingHours(config.workingHours) };
  return { config, lifecycle: { env, rules: config.sla }, thresholds: { warn: config.clock.warn, atRisk: config.clock.atRisk } };
}

/** Builds the app. */
export function createApp(deps: AppDeps): App {
  const now = deps.now ?? Date.now;
  const metrics = createMetrics();
  const spaces = new SpaceRegistry(deps.store, projectionContext(deps.config));
  const ingest = new IngestService(deps.store, spaces, now);
  let isReady = false;
  const app = express();
  app.disable('x-powered-by');
  app.use(compression());
  const ctx = projectionContext(deps.config);
  const caseModel = new CaseReadModel(deps.caseDbFile ?? ':memory:', (name) => spaces.find(name)?.projection, ctx, deps.store);
  const caseFeed = new CaseFeed();
  const sessions = new SessionStore({ now });
  const routeDeps = { tokens: deps.tokens, ingest, spaces, store: deps.store, metrics, isReady: () => isReady, bodyLimit: deps.bodyLimit ?? '5mb' };
  app.use(opsRoutes(routeDeps));
  app.use(geojsonRoutes(deps.config.geojson));
  app.use('/api/v1', apiRoutes(routeDeps));
  const supervisorDeps = { tokens: deps.tokens, sessions, model: caseModel, feed: caseFeed, spaces, ingest, config: deps.config, now, isReady: () => isReady };
  app.use('/api/v1', sessionRoutes(supervisorDeps), caseRoutes(supervisorDeps), supervisionRoutes(supervisorDeps));
  const drills = new DrillService({ tokens: deps.tokens, spaces, store: deps.store, ctx, records: new DrillRecords(deps.drillDbFile ?? ':memory:'), baseUrl: () => baseUrlOf(http), forget: (s) => { broadcaster?.forget(s); caseModel.dropSpace(s); } });
  app.use('/api/v1', drillRoutes({ tokens: deps.tokens, sessions, drills }), exportRoutes({ tokens: deps.tokens, sessions, store: deps.store }));
  app.use('/open311/v2', open311Routes({ tokens: deps.tokens, spaces, ingest, config: deps.config, space: deps.open311Space ?? 'live', now, isReady: () => isReady }));
  app.use('/api', (_req, res) => sendError(res, 'not_found', 'no such API endpoint'));
  app.use(bodyErrors);
  if (deps.staticDir && existsSync(path.join(deps.staticDir, 'index.html'))) {
    const dir = deps.staticDir;
    app.use(express.static(dir, { index: 'index.html', maxAge: '1h' }));
    app.get('/{*path}', (_req, res) => res.sendFile(path.join(dir, 'index.html')));
  }
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    console.error('request failed:', err);
    sendError(res, 'internal', 'the request failed on the server');
  });

  const http = createServer(app);
  const io: IoServer = new Server(http, { serveClient: false, maxHttpBufferSize: 5e6, perMessageDeflate: deps.perMessageDeflate ?? WALL_DEFLATE });
  let broadcaster: Broadcaster | null = null;
  const wall = wireWall(io, { tokens: deps.tokens, spaces, broadcaster: () => broadcaster!, isReady: () => isReady });
  broadcaster = new Broadcaster(wall, spaces, { intervalMs: deps.deltaIntervalMs ?? 500, now });
  const b = broadcaster;
  wireIngest(io, { tokens: deps.tokens, ingest, isReady: () => isReady });
  wall.on('connection', (socket) => {
    metrics.walls.inc();
    socket.on('disconnect', () => metrics.walls.dec());
  });
  ingest.onBatch((space, r, accepted, seqs) => {
    caseModel.record(space.name, accepted, seqs);
    if (r.accepted > 0) caseFeed.changed(space.name);
    const label = { space: space.name };
    metrics.accepted.inc(label, r.accepted);
    metrics.duplicate.inc(label, r.duplicate);
    metrics.rejected.inc(label, r.rejected.length);
    metrics.quarantined.inc(label, r.quarantined.length);
    metrics.deltas.set(b.deltasSent);
    if (r.accepted > 0) b.changed(space);
  });

  const ready = (async () => {
    // The read model's stale spaces rebuild from the same pass over the log that folds their projections.
    const logged = await deps.store.spaces();
    const behind = await caseModel.behind(deps.store, logged);
    await spaces.rebuildAll((name) => (behind.has(name) ? caseModel.rebuilding(name) : undefined));
    await caseModel.catchUp(deps.store, spaces.all().map((s) => s.name).filter((name) => !logged.includes(name)));
    drills.restore();
    isReady = true;
    b.start();
  })();

  return {
    http, io, spaces, ingest, broadcaster: b, cases: caseModel, ready,
    listen: (port, host) => new Promise((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, host, () => resolve(http.address() as AddressInfo));
    }),
    async close() {
      await drills.close();
      b.stop();
      caseFeed.close();
      await new Promise<void>((resolve) => { void io.close(() => resolve()); });
      caseModel.close();
      await deps.store.close();
    },
  };
}

/** The base URL a child process on this machine reaches the server at. */
function baseUrlOf(http: HttpServer): string {
  const a = http.address();
  if (a === null || typeof a === 'string') throw new Error('the server is not listening yet');
  const host = a.address === '0.0.0.0' || a.address === '::' ? '127.0.0.1' : a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return `http://${host}:${a.port}`;
}
