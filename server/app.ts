/**
 * createApp(deps): the whole server — HTTP API, Socket.IO namespaces, projections rebuilt from the log, the wall
 * stream — without listening. `index.ts` reads the environment, wires and listens; tests start it on port 0.
 */
import compression from 'compression';
import express from 'express';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { Server, type ServerOptions } from 'socket.io';
import type { CityopsConfig } from '@shared/config';
import type { Result } from '@shared/contract';
import type { DomainEvent } from '@shared/events';
import { projectionContext } from '@shared/projection/context';
import { wallSilenceOf } from '@shared/projection/monitor';
import type { TokenRegistry } from './auth/tokens';
import { SessionStore, type SessionBackend } from './auth/session';
import { recallSessions } from './auth/guard';
import { CalendarWatch } from './calendar/watch';
import { CaseFeed } from './cases/feed';
import { CaseReadModel } from './cases/readModel';
import { CaseQueries } from './cases/reads';
import type { CaseSql } from './cases/sql';
import { caseRoutes } from './http/cases';
import { dutyRoutes } from './http/duty';
import { SqliteOutboxStore, WebhookOutbox, type OutboxStore } from './duty/outbox';
import { sessionRoutes } from './http/session';
import { supervisionRoutes } from './http/supervision';
import { EXPORT_MAX_ROWS } from '@shared/cases/query';
import { bodyErrors, apiRoutes, opsRoutes } from './http/routes';
import { sendError } from './http/errors';
import { geojsonRoutes } from './http/geojson';
import { calendarRoutes } from './http/calendar';
import { SqliteDrillRecords, type DrillRecords } from './drills/records';
import { DrillService } from './drills/service';
import { drillRoutes } from './http/drills';
import { exportRoutes } from './http/export';
import { open311Routes } from './http/open311';
import { Failsafe } from './failsafe';
import { requestIdOf, requestIds } from './http/requestId';
import { IngestService } from './ingest/service';
import { logger, type Logger } from './log';
import { createMetrics, forgetSpaceMetrics } from './metrics';
import { BacklogGuard } from './realtime/backlog';
import { Broadcaster } from './realtime/broadcaster';
import { wireIngest, wireWall, type IoServer } from './realtime/namespaces';
import { addressOf, wallMetrics, WallRegistry, type WallPeers } from './realtime/walls';
import { wallRoutes } from './http/walls';
import { SpaceRegistry, spaceOwnClock, type RestoreReport, type Space } from './spaces';
import { DEFAULT_HISTORY_POLICY, type HistoryPolicy } from './review/history';
import { ReviewService } from './review/service';
import { reviewRoutes } from './http/review';
import { decodeCheckpoint, encodeCheckpoint, foldVersion } from './checkpoint';
import { SpaceMonitor } from './monitor';
import type { LogFollower } from './cluster/follower';
import type { CaseSnapshots, SnapshotWriteReport } from './cluster/snapshots';
import { StoreUnavailableError, type EventStore } from './store/types';
import { AuthLimiter } from './security/limiter';
import { httpSecurity } from './security/http';
import { DEFAULT_SECURITY, type SecuritySettings } from './security/settings';
import { secureSockets } from './security/sockets';

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
  /** Most cases one export holds (default `EXPORT_MAX_ROWS`); more matching is refused, never cut. */
  readonly exportMaxRows?: number;
  /** Coalescing interval of wall deltas, ms (default 500: two per second). */
  readonly deltaIntervalMs?: number;
  /** File of the case read model (default `:memory:`, rebuilt from the log at start); `index.ts` puts it in DATA_DIR. */
  readonly caseDbFile?: string;
  /** File of the drill records (default `:memory:`); `index.ts` puts it in DATA_DIR so drills are listed after a restart. */
  readonly drillDbFile?: string;
  /** The drill records when not a node's own file: on a cluster, PostgreSQL shared by the nodes (drills then run under a lease). */
  readonly drillRecords?: DrillRecords;
  /** On a cluster: wall-clock ms between the drill passes (stops asked at other nodes, drills whose node is gone; default 1,000). */
  readonly drillPassMs?: number;
  /** The space Open311 requests are read from and created in (default `live`). */
  readonly open311Space?: string;
  /** File of the duty desk's webhook outbox (default `:memory:`); `index.ts` puts it in DATA_DIR so no delivery is lost or repeated across restarts. */
  readonly outboxDbFile?: string;
  /** The outbox's store when not a node's own file: on a cluster, PostgreSQL shared by the nodes. */
  readonly outboxStore?: OutboxStore;
  /** Wall-clock ms between the webhook dispatcher's passes (default 1,000). */
  readonly webhookMs?: number;
  /** Wall-clock ms between monitor passes (default 1,000). */
  readonly monitorMs?: number;
  /** A space's projection is checkpointed at least this often while it changes (default 60,000 ms)… */
  readonly checkpointMs?: number;
  /** …or after this many events (default 250,000). */
  readonly checkpointEvents?: number;
  /**
   * The review history kept beside the checkpoints (default `DEFAULT_HISTORY_POLICY`: a checkpoint an hour of space
   * clock for 48 h, then one a day for 90 days, at most 200 per space).
   */
  readonly reviewHistory?: Partial<HistoryPolicy>;
  /** Between the working calendar's coverage checks (logged when a deadline could fall past it), ms (default a day). */
  readonly calendarCheckMs?: number;
  /** Where the app logs (default: the process logger, JSON lines on stdout at LOG_LEVEL); tests inject their own. */
  readonly logger?: Logger;
  /** WebSocket permessage-deflate of the Socket.IO server (default `WALL_DEFLATE`); `bench:fanout` compares settings. */
  readonly perMessageDeflate?: ServerOptions['perMessageDeflate'];
  /** On a cluster: the shared log's database, followed for what other nodes log (absent: this node is the only writer). */
  readonly follow?: { readonly connectionString: string; readonly intervalMs?: number };
  /**
   * On a cluster: the case read model's snapshots in PostgreSQL, written after a checkpoint at most once per their
   * interval (and once when the node is ready), for a joining node to start from (`CaseSnapshots.join`, before this).
   */
  readonly caseSnapshots?: CaseSnapshots;
  /**
   * On a cluster: the case read model's rows in PostgreSQL (`pgCaseRows`), made once this node's read model is open.
   * Every case list, history, scorecard and report of this node reads them; one node at a time writes them.
   */
  readonly caseRows?: (made: {
    readonly model: CaseReadModel;
    readonly version: string;
    readonly log: Logger;
    readonly failsafe: Failsafe;
  }) => SharedCaseRows;
  /** Where login sessions are kept beyond this process (on a cluster: PostgreSQL); absent: in memory only. */
  readonly sessionBackend?: SessionBackend;
  /** The Socket.IO adapter that connects this node's namespaces with the other nodes' (absent: in memory, one node). */
  readonly adapter?: ServerOptions['adapter'];
  /** The other nodes' wall screens (a cluster: Redis); none on a single node. */
  readonly wallPeers?: WallPeers;
  /** Proxies, allowed origins, exposure of /metrics and /readyz, authentication limits (default `DEFAULT_SECURITY`). */
  readonly security?: SecuritySettings;
  /** Most bytes queued on the server for one wall before it is cut as not reading (default `WALL_SEND_BUFFER_BYTES`). */
  readonly wallSendBufferBytes?: number;
}

/** The case rows a cluster's nodes share: where this node's queries run, and the writer's passes. */
export interface SharedCaseRows {
  readonly sql: CaseSql;
  /** Starts once the node is ready: asks to be the writer. */
  start(): void;
  close(): Promise<void>;
}

/** Default bound of a wall's send backlog: 4 MB, some 150 snapshots or thousands of deltas — a reading wall never nears it. */
export const WALL_SEND_BUFFER_BYTES = 4 * 1024 * 1024;

/** A built, not yet listening, app. */
export interface App {
  readonly http: HttpServer;
  readonly io: IoServer;
  readonly spaces: SpaceRegistry;
  readonly ingest: IngestService;
  readonly broadcaster: Broadcaster;
  /** The case read model (case states, checkpoints; it folds and writes the rows). */
  readonly cases: CaseReadModel;
  /** Reads of the case read model's rows: lists, histories, handover records (`AppDeps.caseRows` on a cluster, else the model's file). */
  readonly queries: CaseQueries;
  /** Writes what time reveals, sweeps and checkpoints every space. */
  readonly monitor: SpaceMonitor;
  /** Folds a space's log to a past instant for review (复盘), writing nothing. */
  readonly review: ReviewService;
  /** The wall screens connected (and those that stopped reporting). */
  readonly walls: WallRegistry;
  /** How each space started (from a checkpoint or the whole log), once ready. */
  readonly restored: Promise<RestoreReport[]>;
  /** The working calendar's coverage watch. */
  readonly calendar: CalendarWatch;
  /** Resolves once every projection is rebuilt from the log (then /readyz answers 200). */
  readonly ready: Promise<void>;
  /**
   * Writes a snapshot of the case read model to the cluster's store when one is due (after the writes before it);
   * null without snapshots (one node, or `caseSnapshots` not given).
   */
  snapshot(): Promise<SnapshotWriteReport | null>;
  listen(port: number, host?: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

/** How long a graceful stop waits for dedupe filters still being filled from their logs before its checkpoints, ms. */
const FILL_WAIT_MS = 15_000;

/** How long a closing server waits for its connections to end by themselves before it ends them, ms. */
const CLOSE_GRACE_MS = 1_000;

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

/** The projection context of a configuration (defined in shared, where the simulator's projection builds it too). */
export { projectionContext };

/** Builds the app. */
export function createApp(deps: AppDeps): App {
  const now = deps.now ?? Date.now;
  const log = deps.logger ?? logger;
  const metrics = createMetrics();
  // The calendar's warnings go to the app's structured log like every other line.
  const calendarLog = {
    info: (msg: string) => log.info(msg),
    warn: (msg: string) => log.warn(msg),
    error: (msg: string, err: unknown) => log.error({ err }, msg),
  };
  const calendar = new CalendarWatch({
    config: deps.config,
    now,
    log: calendarLog,
    intervalMs: deps.calendarCheckMs,
    onUncoveredCounted: () => metrics.calendarUncoveredDays.inc(),
  });
  calendar.start();
  // Every isolated listener and timer of this app reports through one failsafe: logged, counted in this app's registry.
  const failsafe = new Failsafe(log, { listenerErrors: metrics.listenerErrors, timerErrors: metrics.timerErrors });
  const ctx = projectionContext(deps.config, { onUncovered: calendar.onUncovered });
  const version = foldVersion(deps.config);
  const caseModel = new CaseReadModel(deps.caseDbFile ?? ':memory:', ctx, version, failsafe);
  const caseRows = deps.caseRows?.({ model: caseModel, version, log, failsafe }) ?? null;
  // On a cluster the queries read the shared rows; on one node, the model's own file.
  const caseQueries = new CaseQueries(caseRows?.sql ?? caseModel.sql(), deps.store);
  const spaces = new SpaceRegistry(deps.store, ctx, (name) => caseModel.archive(name), log);
  const ingest = new IngestService(deps.store, spaces, now, failsafe, {
    futureSkewMs: deps.config.timeSkew.futureSec * 1000,
    onStepSkew: (space, e, skewMs) => {
      metrics.stepSkew.inc({ space: space.name });
      log.warn(
        { space: space.name, eventId: e.eventId, type: e.type, skewMs },
        `${e.type} ${e.eventId} is dated ${skewMs} ms before its case's last event: accepted within the allowed clock skew`,
      );
    },
  });
  let isReady = false;
  const app = express();
  app.disable('x-powered-by');
  const security = deps.security ?? DEFAULT_SECURITY;
  const limiter = new AuthLimiter(security.authLimits, now);
  app.set('trust proxy', security.trustProxy);
  app.use(requestIds(log));
  app.use(httpSecurity(security, deps.tokens, limiter));
  app.use(compression());
  const caseFeed = new CaseFeed(failsafe);
  const sessions = new SessionStore({ now, ...(deps.sessionBackend ? { backend: deps.sessionBackend } : {}) });
  app.use(recallSessions(sessions));
  const clusterWalls = async (): Promise<number> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the other nodes did not answer')), 2_000);
    });
    try {
      return (await Promise.race([io.of('/wall').fetchSockets(), late])).length;
    } finally {
      clearTimeout(timer);
    }
  };
  const routeDeps = {
    clusterWalls,
    tokens: deps.tokens,
    ingest,
    spaces,
    store: deps.store,
    metrics,
    isReady: () => isReady,
    progress: () => spaces.progress,
    bodyLimit: deps.bodyLimit ?? '5mb',
    calendar,
    config: deps.config,
  };
  app.use(opsRoutes(routeDeps));
  app.use(geojsonRoutes(deps.config.geojson, log));
  app.use('/api/v1', apiRoutes(routeDeps));
  // Deliveries and their retries run on real time, whatever clock the spaces (and the tests) run on.
  const outbox = new WebhookOutbox(deps.outboxStore ?? new SqliteOutboxStore(deps.outboxDbFile ?? ':memory:'), {
    config: deps.config.duty,
    now: Date.now,
    failsafe,
    intervalMs: deps.webhookMs,
  });
  const supervisorDeps = {
    tokens: deps.tokens,
    sessions,
    limiter,
    model: caseModel,
    queries: caseQueries,
    feed: caseFeed,
    spaces,
    ingest,
    config: deps.config,
    now,
    isReady: () => isReady,
    failsafe,
    exportMaxRows: deps.exportMaxRows ?? EXPORT_MAX_ROWS,
  };
  app.use(
    '/api/v1',
    sessionRoutes(supervisorDeps),
    caseRoutes(supervisorDeps),
    supervisionRoutes(supervisorDeps),
    dutyRoutes({ ...supervisorDeps, outbox }),
  );
  app.use('/api/v1', calendarRoutes({ tokens: deps.tokens, sessions, calendar }));
  // The build the wall pages run (written by the client build), to flag a wall still running an older one.
  const buildFile = deps.staticDir ? path.join(deps.staticDir, 'build.json') : null;
  const wallVersion = buildFile && existsSync(buildFile) ? readBuildVersion(buildFile) : null;
  const wallPeers = deps.wallPeers ?? null;
  const walls = new WallRegistry({
    now,
    limits: () => deps.config.walls,
    currentVersion: () => wallVersion,
    ...(wallPeers ? { peers: () => wallPeers.peers(), peerStaleMs: wallPeers.staleMs } : {}),
  });
  wallPeers?.start(walls);
  wallMetrics(metrics.registry, walls);
  app.use(
    '/api/v1',
    wallRoutes({
      tokens: deps.tokens,
      sessions,
      walls,
      peers: wallPeers,
      version: () => wallVersion,
      limits: deps.config.walls,
    }),
  );
  const drills = new DrillService({
    tokens: deps.tokens,
    spaces,
    store: deps.store,
    ctx,
    records: deps.drillRecords ?? new SqliteDrillRecords(deps.drillDbFile ?? ':memory:'),
    failsafe,
    log,
    ...(deps.drillPassMs !== undefined ? { passMs: deps.drillPassMs } : {}),
    baseUrl: () => baseUrlOf(http),
  });
  app.use(
    '/api/v1',
    drillRoutes({ tokens: deps.tokens, sessions, drills }),
    exportRoutes({ tokens: deps.tokens, sessions, store: deps.store }),
  );
  const review = new ReviewService({
    store: deps.store,
    spaces,
    ctx,
    version,
    history: (name, v, at) => caseModel.reviewCheckpoints(name, v, at),
    archiveOf: (name) => caseModel.archive(name),
    now,
  });
  // Review reads the log and the history beside the checkpoints; it writes nothing.
  app.use('/api/v1', reviewRoutes({ tokens: deps.tokens, sessions, review, isReady: () => isReady }));
  app.use(
    '/open311',
    open311Routes({
      tokens: deps.tokens,
      spaces,
      ingest,
      cases: caseModel,
      queries: caseQueries,
      config: deps.config,
      space: deps.open311Space ?? 'live',
      now,
      isReady: () => isReady,
    }),
  );
  app.use('/api', (_req, res) => sendError(res, 'not_found', 'no such API endpoint'));
  app.use(bodyErrors);
  if (deps.staticDir && existsSync(path.join(deps.staticDir, 'index.html'))) {
    const dir = deps.staticDir;
    app.use(express.static(dir, { index: 'index.html', maxAge: '1h' }));
    app.get('/{*path}', (_req, res) => res.sendFile(path.join(dir, 'index.html')));
  }
  app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    if (err instanceof StoreUnavailableError && !res.headersSent) {
      log.warn(
        { reqId: requestIdOf(res), method: req.method, path: req.path, err: err.message },
        'the store does not answer: asked the client to retry',
      );
      res.setHeader('Retry-After', String(err.retryAfterS));
      const message = `${err.message}; nothing of this request was kept: send it again after ${err.retryAfterS} s`;
      return sendError(res, 'unavailable', message);
    }
    log.error({ err, reqId: requestIdOf(res), method: req.method, path: req.path }, 'request failed');
    // Part of the answer is out (a stream, an export): it cannot become an error answer, so it is cut off.
    if (res.headersSent) return void res.destroy();
    sendError(res, 'internal', 'the request failed on the server');
  });

  const http = createServer(app);
  // Every TCP connection, so a close can end those that would hold it open (see close()).
  const connections = new Set<Socket>();
  http.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  const io: IoServer = new Server(http, {
    serveClient: false,
    maxHttpBufferSize: 5e6,
    perMessageDeflate: deps.perMessageDeflate ?? WALL_DEFLATE,
    ...(deps.adapter ? { adapter: deps.adapter } : {}),
  });
  secureSockets(io, { tokens: deps.tokens, limiter, settings: security, failsafe });
  let broadcaster: Broadcaster | null = null;
  const wall = wireWall(io, {
    tokens: deps.tokens,
    spaces,
    broadcaster: () => broadcaster!,
    isReady: () => isReady,
    failsafe,
  });
  const backlog = new BacklogGuard(deps.wallSendBufferBytes ?? WALL_SEND_BUFFER_BYTES, (socket, bytes) => {
    metrics.wallsDropped.inc({ space: String(socket.data.space) });
    log.warn(
      { space: socket.data.space, socket: socket.id, bytes },
      `a wall on ${String(socket.data.space)} stopped reading (${bytes} bytes queued): cut; its reconnect gets a fresh snapshot`,
    );
  });
  broadcaster = new Broadcaster(wall, spaces, {
    intervalMs: deps.deltaIntervalMs ?? 500,
    now,
    failsafe,
    fresh: () => follower?.healthy ?? true,
    onSent: (space) => metrics.deltas.inc({ space }),
    backlog,
  });
  const b = broadcaster;
  wireIngest(io, { tokens: deps.tokens, ingest, isReady: () => isReady, metrics, failsafe, log });
  wall.on('connection', (socket) => {
    metrics.walls.inc();
    walls.connected(socket.id, socket.data.space, addressOf(socket.handshake));
    socket.on(
      'wall:health',
      failsafe.listener('wall.health', (report: unknown, ack: (result: Result<null>) => void) => {
        const r = walls.report(socket.id, report);
        if (typeof ack === 'function')
          ack(
            r.ok
              ? { ok: true, data: null }
              : { ok: false, error: { code: 'bad_request', message: `the wall report is not valid: ${r.message}` } },
          );
      }),
    );
    socket.on('disconnect', (reason) => {
      metrics.walls.dec();
      walls.disconnected(socket.id, reason === 'client namespace disconnect');
    });
  });
  // Each reader of a committed batch is its own listener: one that fails does not keep the others (or the ack) from it.
  // The case read model folds each committed batch first: the projection looks closed cases up in it.
  ingest.onBatch((space, _r, accepted, seqs) => caseModel.record(space.name, accepted, seqs), 'case-read-model');
  ingest.onBatch((space, r, _accepted, _seqs, origin) => {
    // Counted by the node that ingested the batch (the cluster's sum is the sum of its nodes).
    if (origin !== 'local') return;
    const label = { space: space.name };
    metrics.accepted.inc(label, r.accepted);
    metrics.duplicate.inc(label, r.duplicate);
    metrics.rejected.inc(label, r.rejectedCount);
    metrics.quarantined.inc(label, r.quarantined.length);
  }, 'metrics');
  ingest.onBatch((space, r) => {
    if (r.accepted > 0) b.changed(space);
  }, 'broadcaster');
  ingest.onBatch((space, r) => {
    if (r.accepted > 0) caseFeed.changed(space.name);
  }, 'case-feed');
  // On a cluster every node folds every batch. With the node's own outbox the node that logged an item's event
  // delivers it, so it goes out once; with the cluster's outbox every node writes the row (the first write keeps it), so
  // it is not lost with the node that logged it, and one node posts it.
  ingest.onBatch((space, r, accepted, _seqs, origin) => {
    if (r.accepted === 0 || (origin !== 'local' && !outbox.shared)) return;
    void outbox
      .enqueue(space.name, accepted, (id) => space.projection.items.get(id))
      .catch((err: unknown) =>
        log.error({ err, space: space.name }, 'could not write webhook notifications to the outbox'),
      );
  }, 'webhook-outbox');
  const historyPolicy: HistoryPolicy = { ...DEFAULT_HISTORY_POLICY, ...deps.reviewHistory };
  // Snapshots of the case read model (a cluster): one at a time, tried once ready and after a checkpoint at most once a
  // minute (the store says whether one is due); copied beside the read model's file.
  const snapshots = deps.caseSnapshots ?? null;
  const snapshotDir = deps.caseDbFile && deps.caseDbFile !== ':memory:' ? path.dirname(deps.caseDbFile) : tmpdir();
  let snapshotRun: Promise<unknown> = Promise.resolve();
  let snapshotTryAt = 0;
  let closing = false;
  const snapshot = (): Promise<SnapshotWriteReport | null> => {
    if (!snapshots) return Promise.resolve(null);
    const run = snapshotRun.then(() => (closing ? null : snapshots.write(caseModel, version, snapshotDir)));
    snapshotRun = run.catch(() => undefined);
    return run;
  };
  const snapshotSoon = (): void => {
    if (!snapshots || closing || Date.now() < snapshotTryAt) return;
    // Nothing to offer before the first checkpoint (a node that folded the whole log: its monitor's first pass).
    if (Object.keys(caseModel.checkpointPositions(version)).length === 0) return;
    snapshotTryAt = Date.now() + 60_000;
    snapshot().catch((err: unknown) =>
      log.warn({ err }, "could not write the case read model's snapshot: a later checkpoint tries again"),
    );
  };
  const monitor = new SpaceMonitor({
    spaces,
    ingest,
    now,
    intervalMs: deps.monitorMs,
    checkpointMs: deps.checkpointMs,
    checkpointEvents: deps.checkpointEvents,
    silentWalls: (space, at) => walls.silent(space, at),
    checkpoint: (space) => {
      const clock = historyClock(space, now());
      caseModel.checkpoint(
        space.name,
        space.position,
        version,
        encodeCheckpoint(space.projection, space.seen, space.position),
        now(),
        clock === null ? undefined : { clock, policy: historyPolicy },
        space.seen,
      );
      snapshotSoon();
    },
    failsafe,
  });
  caseModel.onCheckpointLost((name) => monitor.checkpointLost(name), 'monitor.checkpoint-lost');
  spaces.onDelete((name) => {
    b.forget(name);
    caseModel.dropSpace(name);
    // Supervisor pages on the space reload and find it empty.
    caseFeed.changed(name);
    review.forget(name);
    void outbox
      .dropSpace(name)
      .catch((err: unknown) => log.error({ err, space: name }, "could not drop a deleted space's webhook rows"));
    monitor.forget(name);
    walls.forgetSpace(name);
    forgetSpaceMetrics(metrics, name);
  });

  // On a cluster only (its module loads PostgreSQL's driver): made once the log is restored, before the app is ready.
  let follower: LogFollower | null = null;
  /**
   * The duty items' events folded after each space's checkpoint, whose webhook rows the start writes again (each is
   * kept once): a stop between an event's commit and its row must not lose the notification. The events after a
   * checkpoint are the only ones a stop can have left without a row: the checkpoint came after every earlier row.
   */
  const itemTails = new Map<string, DomainEvent[]>();
  const restored = (async () => {
    // Rows of spaces whose log is gone (a deleted space from an older version) would show in lists: drop them.
    const logged = await deps.store.spaces();
    for (const orphan of caseModel.spacesWithRows()) if (!logged.includes(orphan)) caseModel.dropSpace(orphan);
    const reports = await spaces.restoreAll({
      checkpoint: (name) => {
        const stored = caseModel.loadCheckpoint(name, version);
        if (!stored.ok) return { restored: null, reason: stored.reason };
        try {
          const stage = (filter: string, idx: number) => caseModel.seenStage(name, filter, idx);
          const restoredCheckpoint = decodeCheckpoint(stored.checkpoint.body, ctx, stage);
          itemTails.set(name, []);
          return { restored: restoredCheckpoint, reason: '' };
        } catch (err) {
          return { restored: null, reason: `the checkpoint could not be read (${(err as Error).message})` };
        }
      },
      chunk: (name, c) => {
        caseModel.record(name, c.events, c.seqs);
        const tail = itemTails.get(name);
        if (tail) for (const e of c.events) if (e.type === 'item.opened' || e.type === 'item.escalated') tail.push(e);
      },
      beforeFullFold: (name, logEvents) => {
        const pos = caseModel.position(name);
        // Rows of this version stay (the read model folds on from its own position); others start over.
        if (!pos || pos.version !== version) caseModel.beginRebuild(name, logEvents);
      },
      afterFold: () => caseModel.endRebuild(),
      rowsAt: (name) => caseModel.position(name)?.seq ?? null,
      stale: (name, reason) => {
        itemTails.delete(name);
        log.warn({ space: name, reason }, `space ${name}: ${reason}`);
        caseModel.dropSpace(name);
      },
    });
    for (const r of reports) {
      const how =
        r.from === 'checkpoint'
          ? `from its checkpoint at seq ${r.seq} and ${r.folded} events after it`
          : `from the whole log, ${r.folded} events (${r.reason})`;
      log.info(
        {
          space: r.space,
          from: r.from,
          seq: r.seq,
          folded: r.folded,
          ms: r.ms,
          ...(r.reason ? { reason: r.reason } : {}),
        },
        `space ${r.space} restored ${how} in ${r.ms} ms`,
      );
      const space = spaces.find(r.space);
      if (space && r.from === 'checkpoint' && r.folded === 0) monitor.restoredAt(space);
      const items = itemTails.get(r.space);
      if (space && r.from === 'checkpoint' && items && items.length > 0) {
        const written = await outbox
          .enqueue(r.space, items, (id) => space.projection.items.get(id))
          .catch((err: unknown) => {
            log.error({ err, space: r.space }, 'could not write webhook notifications to the outbox again');
            return 0;
          });
        if (written > 0)
          log.warn(
            { space: r.space, rows: written },
            `space ${r.space}: ${written} webhook notification(s) of events after the checkpoint had no outbox row (the node stopped between the event and its row): written now`,
          );
      }
      // Walls still silent when the node stopped are remembered, so the first pass does not clear their alerts.
      for (const { raised } of space?.projection.active.values() ?? []) {
        const silence = wallSilenceOf(raised);
        if (silence)
          walls.remember({
            id: silence.wallId,
            space: r.space,
            address: silence.address,
            lastReportAt: silence.lastReportAt,
          });
      }
    }
    itemTails.clear();
    return reports;
  })();
  const ready = (async () => {
    await restored;
    await drills.restore();
    // On a cluster: what other nodes logged while this one folded, then everything they log from now on.
    if (deps.follow) {
      const { LogFollower } = await import('./cluster/follower');
      follower = new LogFollower({
        connectionString: deps.follow.connectionString,
        intervalMs: deps.follow.intervalMs,
        store: deps.store,
        spaces,
        ingest,
        failsafe,
        log,
      });
      await follower.pass();
      follower.start();
    }
    isReady = true;
    caseRows?.start();
    b.start();
    monitor.start();
    outbox.start();
    // Once ready, a node offers its checkpoints to the next joiner if the cluster's snapshot is missing or old; a node
    // that folded the whole log does at its monitor's first pass, which checkpoints every space.
    snapshotSoon();
  })();

  return {
    http,
    io,
    spaces,
    ingest,
    broadcaster: b,
    cases: caseModel,
    queries: caseQueries,
    monitor,
    review,
    walls,
    restored,
    calendar,
    ready,
    snapshot,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(port, host, () => resolve(http.address() as AddressInfo));
      }),
    async close() {
      calendar.close();
      await drills.close();
      await monitor.stop();
      await follower?.stop();
      await caseRows?.close();
      await outbox.close();
      await wallPeers?.close();
      closing = true;
      await snapshotRun;
      // A graceful stop leaves a checkpoint at the log's end: the next start folds nothing. A dedupe filter still being
      // filled from its log (a start that folded the whole log, moments ago) is waited for a while first: a space whose
      // filter is not complete by then keeps the checkpoint it had, if any.
      if (isReady) {
        let waited: NodeJS.Timeout | undefined;
        await Promise.race([
          spaces.filled(),
          new Promise<void>((resolve) => (waited = setTimeout(resolve, FILL_WAIT_MS))),
        ]);
        clearTimeout(waited);
        await monitor.checkpointAll();
      }
      review.close();
      b.stop();
      caseFeed.close();
      await new Promise<void>((resolve) => {
        // A wall that reconnects while the server closes can slip in between the engine's close and the listener's (a
        // socket upgraded after the one and before the other is closed by neither), and it would hold the close open
        // for good: once everything above is done, connections still open after a short grace are ended.
        const sweep = setInterval(() => {
          for (const socket of connections) socket.destroy();
        }, CLOSE_GRACE_MS);
        void io.close(() => {
          clearInterval(sweep);
          resolve();
        });
      });
      caseModel.close();
      await deps.store.close();
    },
  };
}

/**
 * The space clock a checkpoint stands for in the review history: the later of the newest event folded and the space's
 * own clock (the wall clock for live, which the projection was swept at), so a review at or after it may start from it.
 */
function historyClock(space: Space, wallNow: number): number | null {
  const folded = space.projection.clock;
  const own = spaceOwnClock(space, wallNow);
  if (folded === null) return own;
  return own === null ? folded : Math.max(folded, own);
}

/** The build id in the client build's `build.json`, or null when it cannot be read. */
function readBuildVersion(file: string): string | null {
  try {
    const v: unknown = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}

/** The base URL a child process on this machine reaches the server at. */
function baseUrlOf(http: HttpServer): string {
  const a = http.address();
  if (a === null || typeof a === 'string') throw new Error('the server is not listening yet');
  const host =
    a.address === '0.0.0.0' || a.address === '::' ? '127.0.0.1' : a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return `http://${host}:${a.port}`;
}
