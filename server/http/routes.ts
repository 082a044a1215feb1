/** HTTP API: health, readiness, metrics, event ingest, quarantine, spaces. Handlers stay thin. */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { ingestBatchSchema, spaceName } from '@shared/contract';
import { bearer, type Action, type TokenRegistry } from '../auth/tokens';
import type { CityopsConfig } from '@shared/config';
import type { CalendarWatch } from '../calendar/watch';
import type { IngestService } from '../ingest/service';
import { ownActRefusal } from '../ingest/ownActs';
import type { Metrics } from '../metrics';
import type { SpaceRegistry, StartProgress } from '../spaces';
import type { EventStore } from '../store/types';
import { issuesOf, sendError } from './errors';

/** What the routes need. */
export interface RouteDeps {
  readonly tokens: TokenRegistry;
  readonly ingest: IngestService;
  readonly spaces: SpaceRegistry;
  readonly store: EventStore;
  readonly metrics: Metrics;
  /** Walls connected to every node (through the Socket.IO adapter). */
  readonly clusterWalls?: () => Promise<number>;
  readonly isReady: () => boolean;
  /** Largest accepted request body, e.g. '5mb'. */
  readonly bodyLimit: string;
  /** How far the start is (spaces and events folded of those to fold). */
  readonly progress: () => StartProgress;
  /** The working calendar's coverage (on /readyz and /metrics). */
  readonly calendar?: CalendarWatch;
  /** The configuration, whose categories, streets and units an import maps onto (`GET /api/v1/config/mapping`). */
  readonly config?: CityopsConfig;
}

/** Health, readiness and metrics. */
export function opsRoutes(deps: RouteDeps): Router {
  const r = express.Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', (_req, res) => {
    if (!deps.isReady()) {
      const p = deps.progress();
      return void res.status(503).json({
        ready: false,
        message: 'rebuilding projections from the event log',
        progress: { ...p, fraction: p.events === 0 ? null : Math.round((p.eventsDone / p.events) * 1000) / 1000 },
      });
    }
    res.json({
      ready: true,
      // A space whose dedupe filter a thread still fills from its log (after a start that folded the whole log) takes
      // events as usual; each is looked up in the log's index until the filter is complete.
      spaces: deps.spaces.all().map((s) => ({
        space: s.name,
        events: s.projection.eventsApplied,
        ...(s.seen.isFilling ? { dedupeFilter: 'filling' } : {}),
      })),
      ...(deps.calendar ? { calendar: deps.calendar.coverage() } : {}),
    });
  });
  r.get('/metrics', async (_req, res) => {
    for (const s of deps.spaces.all()) deps.metrics.openCases.set({ space: s.name }, s.projection.open.size);
    for (const [space, n] of Object.entries(await deps.store.quarantineCounts()))
      deps.metrics.quarantineSize.set({ space }, n);
    if (deps.clusterWalls) deps.metrics.clusterWalls.set(await deps.clusterWalls().catch(() => Number.NaN));
    if (deps.calendar) {
      const c = deps.calendar.coverage();
      deps.metrics.calendarDaysLeft.set(c.daysLeft);
      deps.metrics.calendarWarning.set(c.warning ? 1 : 0);
    }
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return r;
}

/** Refuses a request early unless its token may do `action` somewhere (the space is checked once the body is read). */
function needsToken(tokens: TokenRegistry, action: Action) {
  return (req: Request, res: Response, next: NextFunction) => {
    const token = bearer(req.headers.authorization);
    const grant = token ? tokens.grants.find((g) => g.token === token) : undefined;
    const check = tokens.check(token, action, grant?.space ?? 'live');
    if (!check.ok) return sendError(res, check.status === 401 ? 'unauthorized' : 'forbidden', check.message);
    next();
  };
}

/** `/api/v1`: events in, quarantine and spaces out. */
export function apiRoutes(deps: RouteDeps): Router {
  const r = express.Router();
  // Any JSON value is read (`null` is JSON, and is then told what the body must be), and only a JSON body.
  const json = express.json({ limit: deps.bodyLimit, strict: false });
  r.post('/events', needsToken(deps.tokens, 'produce'), json, async (req, res) => {
    if (!deps.isReady()) return sendError(res, 'not_ready', 'the server is rebuilding its projections; retry shortly');
    if (!req.is('application/json'))
      return sendError(
        res,
        'bad_request',
        `the body must be JSON sent with Content-Type: application/json (this request's Content-Type is ${JSON.stringify((req.headers['content-type'] ?? 'none').slice(0, 80))})`,
      );
    const parsed = ingestBatchSchema.safeParse(req.body);
    if (!parsed.success)
      return sendError(
        res,
        'bad_request',
        'the body must be { "space": "...", "events": [ ... ] } with 1–10,000 events',
        issuesOf(parsed.error),
      );
    const check = deps.tokens.check(bearer(req.headers.authorization), 'produce', parsed.data.space);
    if (!check.ok) return sendError(res, check.status === 401 ? 'unauthorized' : 'forbidden', check.message);
    const result = await deps.ingest.ingest(
      parsed.data.space,
      parsed.data.events,
      ownActRefusal(check.grant.role, parsed.data.space),
    );
    deps.metrics.batches.inc({ transport: 'http' });
    const status =
      result.rejectedCount > 0 && result.accepted + result.duplicate + result.quarantined.length === 0 ? 400 : 200;
    res.status(status).json(result);
  });
  r.get('/quarantine', async (req, res) => {
    const space = typeof req.query.space === 'string' ? req.query.space : null;
    if (space !== null && !spaceName.safeParse(space).success)
      return sendError(res, 'bad_request', `query space: "${space}" is not a space name`);
    const token = bearer(req.headers.authorization);
    const grant = token ? deps.tokens.grants.find((g) => g.token === token) : undefined;
    const action: Action = grant?.role === 'producer' ? 'produce' : 'supervise';
    const check = deps.tokens.check(token, action, space ?? grant?.space ?? 'live');
    if (!check.ok) return sendError(res, check.status === 401 ? 'unauthorized' : 'forbidden', check.message);
    if (check.grant.space !== null && space === null)
      return sendError(res, 'bad_request', 'query space is required for a space-scoped token');
    const limit = queryInt(req.query.limit, 'limit', 50, 1, 500);
    const offset = queryInt(req.query.offset, 'offset', 0, 0, 1_000_000);
    if (typeof limit === 'string') return sendError(res, 'bad_request', limit);
    if (typeof offset === 'string') return sendError(res, 'bad_request', offset);
    res.json(await deps.store.listQuarantine(space, limit, offset));
  });
  // What an import maps onto, readable with every known token (the wall shows the same names).
  r.get('/config/mapping', (req, res) => {
    const token = bearer(req.headers.authorization);
    if (!token || !deps.tokens.grants.some((g) => g.token === token))
      return sendError(res, 'unauthorized', 'a token is required: Authorization: Bearer <token>');
    if (!deps.config) return sendError(res, 'not_found', 'this server does not publish its configuration');
    const { centre, categories, streets, units } = deps.config;
    res.json({ centre, categories, streets, units });
  });
  r.get('/spaces', needsToken(deps.tokens, 'view'), (req, res) => {
    // A space-scoped token sees its own space only.
    const scope = deps.tokens.grants.find((g) => g.token === bearer(req.headers.authorization))?.space ?? null;
    res.json(
      deps.spaces
        .all()
        .filter((s) => scope === null || s.name === scope)
        .map((s) => ({
          space: s.name,
          kind: s.kind,
          events: s.projection.eventsApplied,
          clock: s.projection.clock,
          openCases: s.projection.open.size,
        })),
    );
  });
  return r;
}

/** A whole-number query parameter from `min` to `max` (absent: `dflt`), or why it is not one (as `/cases` answers). */
function queryInt(v: unknown, name: string, dflt: number, min: number, max: number): number | string {
  if (v === undefined) return dflt;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : Number.NaN;
  if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
  return `query ${name}: ${JSON.stringify(typeof v === 'string' ? v.slice(0, 32) : v)} is not a whole number from ${min} to ${max}`;
}

/** Turns body-parser failures into clear JSON errors: malformed JSON → 400 with the position, too large → 413. */
export function bodyErrors(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  const e = err as { type?: string; message?: string; limit?: number } | undefined;
  if (e?.type === 'entity.too.large')
    return sendError(
      res,
      'too_large',
      `the request body is over the limit of ${e.limit ?? '?'} bytes; send smaller batches`,
    );
  if (e?.type === 'entity.parse.failed')
    return sendError(res, 'bad_request', `the body is not valid JSON: ${e.message ?? ''}`);
  if (e?.type === 'charset.unsupported' || e?.type === 'encoding.unsupported')
    return sendError(res, 'bad_request', e.message ?? 'unsupported encoding');
  next(err);
}
