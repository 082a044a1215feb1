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
import type { SpaceRegistry } from '../spaces';
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
  const spaceClock = () => (deps.space === 'live' ? deps.now() : deps.spaces.get(deps.space).projection.clock ?? deps.now());

  r.get('/services.json', (_req, res) => { res.json(services(deps.config)); });

  r.get('/requests.json', (req, res) => {
    if (!allowed(req, res, 'view')) return;
    const q = req.query;
    const ids = typeof q.service_request_id === 'string' ? new Set(q.service_request_id.split(',').map((s) => s.trim()).filter(Boolean)) : null;
    const codes = typeof q.service_code === 'string' ? new Set(q.service_code.split(',').map((s) => s.trim())) : null;
    const status = typeof q.status === 'string' ? new Set(q.status.split(',').map((s) => s.trim())) : null;
    const end = typeof q.end_date === 'string' ? Date.parse(q.end_date) : spaceClock();
    const start = typeof q.start_date === 'string' ? Date.parse(q.start_date) : end - DEFAULT_DAYS * 86_400_000;
    if (!Number.isFinite(start) || !Number.isFinite(end)) return fail(res, 400, 'start_date and end_date must be ISO 8601 date-times');
    const out: CaseState[] = [];
    deps.cases.flush();
    const candidateIds = ids ? [...ids] : deps.cases.db.prepare('SELECT id FROM cases WHERE space = ? AND received_at >= ? AND received_at <= ?').pluck().all(deps.space, start, end) as string[];
    const candidates = candidateIds.map((id) => deps.cases.caseState(deps.space, id)).filter((c): c is CaseState => c !== undefined);
    for (const c of candidates) {
      if (!ids && (c.receivedAt < start || c.receivedAt > end)) continue;
      if (codes && !codes.has(c.category)) continue;
      if (status && !status.has(c.stage === 'closed' || c.stage === 'merged' ? 'closed' : 'open')) continue;
      out.push(c);
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
    const now = spaceClock();
    const caseId = newCaseId(now);
    const result = await deps.ingest.ingest(deps.space, [requestToEvent(b, deps.config, caseId, now, deps.channel ?? 'message_board')]);
    const problem = result.rejected[0]?.errors.map((e) => `${e.path}: ${e.message}`).join('; ') ?? result.quarantined[0]?.reason;
    if (result.accepted !== 1) return fail(res, 400, problem ?? 'the request was not accepted');
    res.status(201).json([{ service_request_id: caseId, service_notice: '已受理，将转派承办单位办理', account_id: null }]);
  });
  return r;
}
