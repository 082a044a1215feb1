/**
 * Open311 GeoReport v2 under `/open311`: `v2/discovery`, `v2/services`, `v2/services/{code}`, `v2/requests` (list,
 * create), `v2/requests/{id}`, each as `.json` or `.xml`. Errors, bad bodies and unknown paths under `/open311` all
 * answer in the spec's error shape (`[{ "code": 400, "description": "…" }]`, `<errors><error>…`) in the format asked
 * for. Reading requests needs a token that may view the configured space (`api_key` or `Authorization: Bearer`);
 * creating one needs a producer (or admin) token for it. A created request is ingested like any event, so it is
 * durable before the answer and reaches the walls at once.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { CaseState } from '@shared/cases/state';
import type { CityopsConfig } from '@shared/config';
import type { IngestResult } from '@shared/contract';
import type { Channel } from '@shared/domain';
import { CENTRE_ZONE, isoInstant } from '@shared/zone';
import { bearer, type Action, type TokenRegistry } from '../auth/tokens';
import type { IngestService } from '../ingest/service';
import {
  isoShanghai,
  newCaseId,
  postRequestSchema,
  requestToEvent,
  serviceDefinition,
  services,
  toRequest,
  type StoredRequest,
} from '../open311/mapping';
import { toXml, type XmlItem } from '../open311/xml';
import { answerErrorsAs } from './errors';
import { spaceClock, type SpaceRegistry } from '../spaces';
import type { CaseReadModel } from '../cases/readModel';
import type { CaseQueries } from '../cases/reads';

/** What the Open311 routes need. */
export interface Open311Deps {
  readonly tokens: TokenRegistry;
  readonly spaces: SpaceRegistry;
  readonly ingest: IngestService;
  /** Where requests are read from: every case, open or closed (closed ones leave the projection's memory). */
  readonly cases: CaseReadModel;
  /** The requests' histories and lists (the read model's rows, on this node's file or the cluster's database). */
  readonly queries: CaseQueries;
  readonly config: CityopsConfig;
  /** The space requests are read from and created in (default `live`). */
  readonly space: string;
  /** Channel of created requests (default `message_board`: online submissions). */
  readonly channel?: Channel;
  readonly now: () => number;
  readonly isReady: () => boolean;
}

/** Most requests one answer holds; older ones are reached by moving `end_date` back (the spec's paging by date). */
export const MAX_RESULTS = 1000;
/** The window a list covers without `start_date`, days before `end_date` (the spec's default: 90). */
export const DEFAULT_DAYS = 90;
const DAY_MS = 86_400_000;
/** Case ids a POSTed request may draw before it gives up (each after one another request had drawn). */
const ID_DRAWS = 3;
const STATUSES = new Set(['open', 'closed']);
const REQUEST_PARAMS = new Set([
  'api_key',
  'jurisdiction_id',
  'service_request_id',
  'service_code',
  'start_date',
  'end_date',
  'status',
]);

type Format = 'json' | 'xml';

/** The format a path asks for (`….xml` → xml); json otherwise. */
function formatOf(req: Request): Format {
  return /\.xml$/i.test(req.path) ? 'xml' : 'json';
}

function fail(res: Response, format: Format, status: number, description: string): void {
  if (format === 'xml')
    res
      .status(status)
      .type('text/xml')
      .send(toXml('errors', [{ code: status, description }], 'error'));
  else res.status(status).json([{ code: status, description }]);
}

function send(
  res: Response,
  format: Format,
  status: number,
  json: unknown,
  root: string,
  items: readonly XmlItem[] | XmlItem,
  itemName?: string,
): void {
  if (format === 'xml')
    res
      .status(status)
      .type('text/xml')
      .send(toXml(root, items, itemName));
  else res.status(status).json(json);
}

/**
 * An ISO 8601 date-time; one without an offset, or a date alone, is the centre's own time (Asia/Shanghai), not the
 * server's zone — read as the importer reads Open311 times. NaN when it is not one, or names a day that does not exist.
 */
function isoTime(v: string): number {
  return isoInstant(v, CENTRE_ZONE)?.ms ?? Number.NaN;
}

/** The `/open311` router (mount at `/open311`). */
export function open311Routes(deps: Open311Deps): Router {
  const r = express.Router();
  // Whatever fails under /open311 (the app's error handler included) is answered in the GeoReport shape.
  r.use((req, res, next) => {
    answerErrorsAs(res, (status, description) => fail(res, formatOf(req), status, description));
    next();
  });
  const base = (req: Request) => `${req.protocol}://${req.get('host') ?? 'localhost'}/open311/v2`;
  const param = (req: Request, name: string): string | undefined => {
    const q = req.query[name];
    if (typeof q === 'string') return q;
    const b = (req.body as Record<string, unknown> | undefined)?.[name];
    return typeof b === 'string' ? b : undefined;
  };
  const allowed = (req: Request, res: Response, action: Action): boolean => {
    const key = param(req, 'api_key') ?? bearer(req.headers.authorization);
    const check = deps.tokens.check(key, action, deps.space);
    if (!check.ok)
      fail(res, formatOf(req), check.status, check.status === 401 ? `api_key: ${check.message}` : check.message);
    return check.ok;
  };
  /** Refuses a request for another jurisdiction than the configured one. */
  const jurisdiction = (req: Request, res: Response): boolean => {
    const j = param(req, 'jurisdiction_id');
    const mine = deps.config.open311Jurisdiction;
    if (j === undefined || mine === undefined || j === mine) return true;
    fail(
      res,
      formatOf(req),
      404,
      `jurisdiction_id: "${j.slice(0, 64)}" is not served here; this endpoint serves "${mine}"`,
    );
    return false;
  };
  const clock = () => spaceClock(deps.spaces.find(deps.space), deps.now());
  /** The texts the log keeps of a case: its received event's and its latest reply. */
  const stored = async (c: CaseState): Promise<StoredRequest> => {
    const history = await deps.queries.history(deps.space, c.id);
    const rec = history.find((h) => h.event.type === 'case.received' && h.event.caseId === c.id)?.event;
    const reply = [...history]
      .reverse()
      .find(
        (h) => (h.event.type === 'case.replied' || h.event.type === 'case.closed_directly') && h.event.caseId === c.id,
      )?.event;
    const received = rec?.type === 'case.received' ? rec : null;
    return {
      description: received?.description ?? null,
      address: received?.address ?? null,
      mediaUrl: received?.mediaUrl ?? null,
      reply:
        reply && (reply.type === 'case.replied' || reply.type === 'case.closed_directly')
          ? (reply.reply ?? null)
          : null,
    };
  };
  const requests = async (list: readonly CaseState[]) =>
    Promise.all(list.map(async (c) => toRequest(c, deps.config, await stored(c))));

  r.get(['/v2/discovery.json', '/v2/discovery.xml'], (req, res) => {
    const changeset = isoShanghai(clock());
    const d = {
      changeset,
      contact: deps.config.centre.name,
      key_service: 'api_key: a viewer token reads requests, a producer token for the Open311 space creates them',
      endpoints: [
        {
          specification: 'http://wiki.open311.org/GeoReport_v2',
          url: base(req),
          changeset,
          type: 'production',
          formats: ['application/json', 'text/xml'],
        },
      ],
    };
    send(res, formatOf(req), 200, d, 'discovery', d as unknown as XmlItem);
  });

  r.get(['/v2/services.json', '/v2/services.xml'], (req, res) => {
    if (!jurisdiction(req, res)) return;
    const list = services(deps.config);
    send(res, formatOf(req), 200, list, 'services', list as unknown as XmlItem[], 'service');
  });

  r.get('/v2/services/:file', (req, res, next) => {
    const m = /^(.+)\.(json|xml)$/i.exec(req.params.file);
    if (!m) return next();
    if (!jurisdiction(req, res)) return;
    const def = serviceDefinition(deps.config, m[1] ?? '');
    if (!def)
      return fail(
        res,
        formatOf(req),
        404,
        `service_code: "${(m[1] ?? '').slice(0, 64)}" is not a service (GET services.${formatOf(req)})`,
      );
    send(res, formatOf(req), 200, def, 'service_definition', def as unknown as XmlItem);
  });

  r.get(['/v2/requests.json', '/v2/requests.xml'], async (req, res) => {
    const format = formatOf(req);
    if (!allowed(req, res, 'view') || !jurisdiction(req, res)) return;
    const q = req.query;
    for (const [k, v] of Object.entries(q)) {
      if (!REQUEST_PARAMS.has(k))
        return fail(
          res,
          format,
          400,
          `${k.slice(0, 40)}: not a parameter of GET requests (${[...REQUEST_PARAMS].join(', ')})`,
        );
      if (typeof v !== 'string') return fail(res, format, 400, `${k}: give it once, as text`);
    }
    const list = (v: unknown) =>
      typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : null;
    const ids = list(q.service_request_id);
    // The spec: service_request_id overrides every other parameter.
    if (ids) {
      if (ids.length > MAX_RESULTS) return fail(res, format, 400, `service_request_id: at most ${MAX_RESULTS} ids`);
      const found = ids
        .map((id) => deps.cases.caseState(deps.space, id))
        .filter((c): c is CaseState => c !== undefined);
      const out = await requests(found);
      return send(res, format, 200, out, 'service_requests', out as unknown as XmlItem[], 'request');
    }
    const codes = list(q.service_code);
    const unknown = codes?.find((c) => !deps.config.categories.includes(c));
    if (unknown !== undefined)
      return fail(
        res,
        format,
        400,
        `service_code: "${unknown.slice(0, 64)}" is not a service (GET services.${format})`,
      );
    const status = list(q.status);
    const badStatus = status?.find((s) => !STATUSES.has(s));
    if (badStatus !== undefined)
      return fail(
        res,
        format,
        400,
        `status: "${badStatus.slice(0, 40)}" is not a status; open, closed or both comma-separated`,
      );
    const end = typeof q.end_date === 'string' ? isoTime(q.end_date) : clock();
    if (!Number.isFinite(end))
      return fail(
        res,
        format,
        400,
        `end_date: "${String(q.end_date).slice(0, 40)}" is not an ISO 8601 date-time (e.g. 2026-11-23T09:00:00+08:00)`,
      );
    const start = typeof q.start_date === 'string' ? isoTime(q.start_date) : end - DEFAULT_DAYS * DAY_MS;
    if (!Number.isFinite(start))
      return fail(
        res,
        format,
        400,
        `start_date: "${String(q.start_date).slice(0, 40)}" is not an ISO 8601 date-time (e.g. 2026-11-23T09:00:00+08:00)`,
      );
    if (start > end) return fail(res, format, 400, 'start_date: after end_date');
    // Filtered, ordered and cut in SQL: only the page's case states are read and parsed.
    const open = status && status.length === 1 ? status[0] === 'open' : null;
    const page = await deps.queries.requestIds(deps.space, { from: start, to: end }, codes, open, MAX_RESULTS);
    const found = page.map((id) => deps.cases.caseState(deps.space, id)).filter((c): c is CaseState => c !== undefined);
    found.sort((a, b) => b.receivedAt - a.receivedAt || a.id.localeCompare(b.id));
    const out = await requests(found);
    send(res, format, 200, out, 'service_requests', out as unknown as XmlItem[], 'request');
  });

  r.get('/v2/requests/:file', async (req, res, next) => {
    const m = /^(.+)\.(json|xml)$/i.exec(req.params.file);
    if (!m) return next();
    const format = formatOf(req);
    if (!allowed(req, res, 'view') || !jurisdiction(req, res)) return;
    const c = deps.cases.caseState(deps.space, m[1] ?? '');
    if (!c) return fail(res, format, 404, `service_request_id: no service request "${(m[1] ?? '').slice(0, 128)}"`);
    const out = await requests([c]);
    send(res, format, 200, out, 'service_requests', out as unknown as XmlItem[], 'request');
  });

  r.post(
    ['/v2/requests.json', '/v2/requests.xml'],
    express.urlencoded({ extended: false, limit: '64kb' }),
    express.json({ limit: '64kb' }),
    async (req, res) => {
      const format = formatOf(req);
      if (!allowed(req, res, 'produce') || !jurisdiction(req, res)) return;
      if (!deps.isReady()) return fail(res, format, 503, 'the server is rebuilding its projections; retry shortly');
      const parsed = postRequestSchema.safeParse(req.body ?? {});
      if (!parsed.success)
        return fail(
          res,
          format,
          400,
          parsed.error.issues.map((i) => `${i.path.map(String).join('.') || 'request'}: ${i.message}`).join('; '),
        );
      const b = parsed.data;
      if (!deps.config.categories.includes(b.service_code))
        return fail(res, format, 404, `service_code: "${b.service_code}" is not a service (GET services.${format})`);
      const now = clock();
      // An id drawn before (by another citizen's request) answers "duplicate": this request is new, so it draws again.
      let caseId = '';
      let result: IngestResult | null = null;
      for (let draw = 0; draw < ID_DRAWS && (result === null || result.duplicate > 0); draw++) {
        caseId = newCaseId(now);
        result = await deps.ingest.ingest(deps.space, [
          requestToEvent(b, deps.config, caseId, now, deps.channel ?? 'message_board'),
        ]);
      }
      if (result === null || result.duplicate > 0)
        return fail(
          res,
          format,
          500,
          `could not draw a case id not used before in ${ID_DRAWS} tries; nothing was kept`,
        );
      const problem =
        result.rejected[0]?.errors.map((e) => `${e.path}: ${e.message}`).join('; ') ?? result.quarantined[0]?.reason;
      if (result.accepted !== 1) return fail(res, format, 400, problem ?? 'the request was not accepted');
      const created = [{ service_request_id: caseId, service_notice: '已受理，将转派承办单位办理', account_id: null }];
      send(res, format, 201, created, 'service_requests', created, 'request');
    },
  );

  // Anything else under /open311 is not a GeoReport v2 resource: a 404 in the spec's shape, never the wall's page.
  r.use((req, res) =>
    fail(
      res,
      formatOf(req),
      req.method === 'GET' || req.method === 'POST' ? 404 : 405,
      `${req.method} /open311${req.path.slice(0, 200)}: not a GeoReport v2 resource; see GET /open311/v2/discovery.json`,
    ),
  );
  // Bodies that cannot be read (malformed JSON, too large, bad encoding) answer in the same shape.
  r.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    const e = err as { type?: string; message?: string; limit?: number; status?: number } | undefined;
    if (!e?.type) return next(err);
    const status = e.type === 'entity.too.large' ? 413 : 400;
    fail(
      res,
      formatOf(req),
      status,
      e.type === 'entity.too.large'
        ? `request: the body is over the limit of ${e.limit ?? '?'} bytes`
        : e.type === 'entity.parse.failed'
          ? `request: the body is not valid JSON (${(e.message ?? '').slice(0, 200)})`
          : `request: ${(e.message ?? 'unreadable body').slice(0, 200)}`,
    );
  });
  return r;
}
