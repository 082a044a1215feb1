/**
 * Open311 GeoReport v2 under `/open311/v2`: services, requests (list, one, create). Errors use the spec's shape
 * `[{ "code": 400, "description": "…" }]`. Reading requests needs a token that may view the configured space
 * (`api_key` or `Authorization: Bearer`); creating one needs a producer (or admin) token for it. A created request is
 * ingested like any event, so it is durable before the answer and reaches the walls at once.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { CaseState } from '../../shared/cases/state';
import type { CityopsConfig } from '../../shared/config';
import type { Channel } from '../../shared/domain';
import { bearer, type Action, type TokenRegistry } from '../auth/tokens';
import type { IngestService } from '../ingest/service';
import { newCaseId, postRequestSchema, requestToEvent, services, toRequest } from '../open311/mapping';
import { spaceClock, type SpaceRegistry } from '../spaces';
import type { CaseReadModel } from '../cases/readModel';

/** What the Open311 routes need. */
export interface Open311Deps {
  readonly tokens: TokenRegistry;
  readonly spaces: SpaceRegistry;
  readonly ingest: IngestService;
  /** Where requests are read from: every case, open or closed (closed ones leave the projection's memory). */
  readonly cases: CaseReadModel;
  readonly config: CityopsConfig;
  /** The space requests are read from and created in (default `live`). */
  readonly space: string;
  /** Channel of created requests (default `message_board`: online submissions). */
  readonly channel?: Channel;
  readonly now: () => number;
  readonly isReady: () => boolean;
}

const MAX_RESULTS = 1000;
const DEFAULT_DAYS = 90;

function fail(res: Response, status: number, description: string): void {
  res.status(status).json([{ code: status, description }]);
}

/** The `/open311/v2` router. */
export function open311Routes(deps: Open311Deps): Router {
  const r = express.Router();
  const allowed = (req: Request, res: Response, action: Action): boolean => {
    const key = typeof req.query.api_key === 'string' ? req.query.api_key : typeof req.body?.api_key === 'string' ? (req.body.api_key as string) : bearer(req.headers.authorization);
    const check = deps.tokens.check(key, action, deps.space);
    if (!check.ok) fail(res, check.status, check.status === 401 ? `api_key: ${check.message}` : check.message);
    return check.ok;
  };
  const clock = () => spaceClock(deps.spaces.get(deps.space), deps.now());

  r.get('/services.json', (_req, res) => { res.json(services(deps.config)); });

  r.get('/requests.json', (req, res) => {
    if (!allowed(req, res, 'view')) return;
    const q = req.query;
    const ids = typeof q.service_request_id === 'string' ? new Set(q.service_request_id.split(',').map((s) => s.trim()).filter(Boolean)) : null;
    const codes = typeof q.service_code === 'string' ? new Set(q.service_code.split(',').map((s) => s.trim())) : null;
    const status = typeof q.status === 'string' ? new Set(q.status.split(',').map((s) => s.trim())) : null;
    const end = typeof q.end_date === 'string' ? Date.parse(q.end_date) : clock();
    const start = typeof q.start_date === 'string' ? Date.parse(q.start_date) : end - DEFAULT_DAYS * 86_400_000;
    if (!Number.isFinite(start) || !Number.isFinite(end)) return fail(res, 400, 'start_date and end_date must be ISO 8601 date-times');
    const out: CaseState[] = [];
    if (ids) {
      for (const id of ids) {
        const c = deps.cases.caseState(deps.space, id);
        if (c && (!codes || codes.has(c.category)) && (!status || status.has(c.stage === 'closed' || c.stage === 'merged' ? 'closed' : 'open'))) out.push(c);
      }
    } else {
      // Filtered, ordered and cut in SQL: only the page's case states are read and parsed.
      deps.cases.flush();
      const where = ['space = ?', 'received_at >= ?', 'received_at <= ?'];
      const args: (string | number)[] = [deps.space, start, end];
      if (codes) { where.push(`category IN (${[...codes].map(() => '?').join(',')})`); args.push(...codes); }
      if (status) { where.push(`open IN (${[...status].map((x) => (x === 'open' ? 1 : x === 'closed' ? 0 : -1)).join(',')})`); }
      const page = deps.cases.db.prepare(`SELECT id FROM cases WHERE ${where.join(' AND ')} ORDER BY received_at DESC, id LIMIT ${MAX_RESULTS}`).pluck().all(...args) as string[];
      for (const id of page) { const c = deps.cases.caseState(deps.space, id); if (c) out.push(c); }
    }
    out.sort((a, b) => b.receivedAt - a.receivedAt || a.id.localeCompare(b.id));
    res.json(out.slice(0, MAX_RESULTS).map((c) => toRequest(c, deps.config)));
  });

  r.get('/requests/:id.json', (req, res) => {
    if (!allowed(req, res, 'view')) return;
    const c = deps.cases.caseState(deps.space, req.params.id);
    if (!c) return fail(res, 404, `no service request ${req.params.id}`);
    res.json([toRequest(c, deps.config)]);
  });

  r.post('/requests.json', express.urlencoded({ extended: false, limit: '64kb' }), express.json({ limit: '64kb' }), async (req, res) => {
    if (!allowed(req, res, 'produce')) return;
    if (!deps.isReady()) return fail(res, 503, 'the server is rebuilding its projections; retry shortly');
    const parsed = postRequestSchema.safeParse(req.body ?? {});
    if (!parsed.success) return fail(res, 400, parsed.error.issues.map((i) => `${i.path.map(String).join('.') || 'request'}: ${i.message}`).join('; '));
    const b = parsed.data;
    if (!deps.config.categories.includes(b.service_code)) return fail(res, 404, `service_code ${b.service_code} is not a service (GET services.json)`);
    const now = clock();
    const caseId = newCaseId(now);
    const result = await deps.ingest.ingest(deps.space, [requestToEvent(b, deps.config, caseId, now, deps.channel ?? 'message_board')]);
    const problem = result.rejected[0]?.errors.map((e) => `${e.path}: ${e.message}`).join('; ') ?? result.quarantined[0]?.reason;
    if (result.accepted !== 1) return fail(res, 400, problem ?? 'the request was not accepted');
    res.status(201).json([{ service_request_id: caseId, service_notice: '已受理，将转派承办单位办理', account_id: null }]);
  });
  return r;
}
