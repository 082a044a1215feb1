/**
 * `/api/v1/cases`: the late-case list (filters, sort, pages, total), one case with its history, supervisor actions
 * (each an event through ingest: validated, logged, folded, on the wall), and a server-sent change stream.
 */
import { createHash, randomUUID } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { caseActionSchema } from '@shared/cases/actions';
import { decide } from '@shared/cases/decide';
import { parseCaseQuery, type CaseDetail } from '@shared/cases/query';
import type { CityopsConfig } from '@shared/config';
import { spaceName } from '@shared/contract';
import { authorise, type GuardDeps } from '../auth/guard';
import type { CaseFeed } from '../cases/feed';
import type { CaseReadModel } from '../cases/readModel';
import type { CaseQueries } from '../cases/reads';
import type { Failsafe } from '../failsafe';
import type { IngestService } from '../ingest/service';
import { spaceClock, type SpaceRegistry } from '../spaces';
import { issuesOf, sendError } from './errors';

/** What the supervisor routes need. */
export interface SupervisorDeps extends GuardDeps {
  /** Case states (what a command is decided against). */
  readonly model: CaseReadModel;
  /** Lists, histories, reports: the read model's rows, on this node's file or the cluster's database. */
  readonly queries: CaseQueries;
  readonly feed: CaseFeed;
  readonly spaces: SpaceRegistry;
  readonly ingest: IngestService;
  readonly config: CityopsConfig;
  readonly now: () => number;
  readonly isReady: () => boolean;
  /** Reports a failed stream callback (a change notice, a keep-alive) instead of letting it throw into the event loop. */
  readonly failsafe: Failsafe;
  /** Most cases one export holds. */
  readonly exportMaxRows: number;
}

/** The instant a space judges lateness at: its space clock (`spaceClock`), as its walls read it. */
export function spaceNow(deps: Pick<SupervisorDeps, 'spaces' | 'now'>, space: string): number {
  return spaceClock(deps.spaces.find(space), deps.now());
}

/** The `space` query parameter (default live), or null after answering 400. */
export function querySpace(req: Request, res: Response): string | null {
  const given = req.query.space;
  // `?space=demo&space=live` (or `space[x]=…`) names no one space: refused, never read as live.
  if (given !== undefined && typeof given !== 'string') {
    sendError(res, 'bad_request', 'query space: given more than once, or not as a name; give one space');
    return null;
  }
  const raw = given !== undefined && given !== '' ? given : 'live';
  if (!spaceName.safeParse(raw).success) {
    sendError(
      res,
      'bad_request',
      `query space: "${raw.slice(0, 64)}" is not a space name (live, demo or drill-<name>)`,
    );
    return null;
  }
  return raw;
}

/** The case routes. */
export function caseRoutes(deps: SupervisorDeps): Router {
  const r = express.Router();
  const json = express.json({ limit: '16kb', strict: true });

  r.get('/cases', async (req, res) => {
    const parsed = parseCaseQuery(req.query as Record<string, unknown>);
    if (!parsed.success) return sendError(res, 'bad_request', 'invalid case filters', issuesOf(parsed.error));
    if (!authorise(deps, req, res, 'supervise', parsed.data.space)) return;
    res.json(await deps.queries.list(parsed.data, spaceNow(deps, parsed.data.space)));
  });

  r.get('/cases/stream', (req, res) => {
    const space = querySpace(req, res);
    if (space === null || !authorise(deps, req, res, 'supervise', space)) return;
    streamChanges(deps, req, res, space, 'cases-stream');
  });

  r.get('/cases/:id', async (req, res) => {
    const space = querySpace(req, res);
    if (space === null || !authorise(deps, req, res, 'supervise', space)) return;
    const id = String(req.params.id);
    const state = deps.model.caseState(space, id);
    if (!state) return sendError(res, 'not_found', `no case ${id.slice(0, 128)} in space ${space}`);
    const now = spaceNow(deps, space);
    // Its clocks' lateness, its merged duplicates and its history, read side by side.
    const [clocks, duplicates, history] = await Promise.all([
      deps.queries.clockLateness(space, state, now),
      deps.queries.rowsOf(space, state.duplicates, now),
      deps.queries.history(space, id),
    ]);
    const receivedEvent = history.find((h) => h.type === 'case.received' && h.event.caseId === id)?.event;
    const rec = receivedEvent?.type === 'case.received' ? receivedEvent : null;
    const detail: CaseDetail = {
      space,
      at: now,
      state,
      description: rec?.description ?? null,
      address: rec?.address ?? null,
      clocks,
      history: history.map((h) => ({
        seq: h.seq,
        ts: h.ts,
        type: h.type,
        actor: h.actor,
        event: h.event as unknown as Record<string, unknown>,
      })),
      duplicates,
    };
    res.json(detail);
  });

  // Validate (the body's schema), authorise (role, space), decide (shared/cases/decide.ts), ingest.
  r.post('/cases/:id/actions', json, async (req, res) => {
    const parsed = caseActionSchema.safeParse(req.body);
    if (!parsed.success)
      return sendError(
        res,
        'bad_request',
        'invalid action: { "kind": "supervise"|"remind"|"escalate"|"approve_extension"|"exempt"|"merge", "space": "...", ... }',
        issuesOf(parsed.error),
      );
    const a = parsed.data;
    const caller = authorise(deps, req, res, 'supervise', a.space, true);
    if (!caller) return;
    if (!deps.isReady()) return sendError(res, 'not_ready', 'the server is rebuilding its projections; retry shortly');
    const id = String(req.params.id);
    const space = deps.spaces.find(a.space);
    const noCase = () => sendError(res, 'not_found', `no case ${id.slice(0, 128)} in space ${a.space}`);
    if (!space) return noCase();
    // A retry of one request (its id again, for this case and kind) gives the same event id. Once logged, it is
    // answered as done before it is judged again: the case has moved on (exempted, merged) since the first try.
    const eventId = a.requestId === undefined ? `action-${randomUUID()}` : actionEventId(a.kind, a.requestId, id);
    if (a.requestId !== undefined && (await deps.ingest.logged(a.space, eventId)))
      return res.status(200).json({ eventId, repeated: true });
    const d = decide(
      deps.model.caseState(a.space, id),
      { ...a, caseId: id, actor: caller.actor.slice(0, 64) },
      {
        now: spaceNow(deps, a.space),
        eventId,
        lifecycle: space.projection.ctx.lifecycle,
        caseOf: (other) => deps.model.caseState(a.space, other),
      },
    );
    if (!d.ok) return d.refusal.code === 'no_case' ? noCase() : sendError(res, 'conflict', d.refusal.why);
    const result = await deps.ingest.ingest(a.space, [d.event]);
    // The same request again (its answer was lost): recorded the first time, so answered as done, not counted again.
    if (a.requestId !== undefined && result.duplicate === 1) return res.status(200).json({ eventId, repeated: true });
    if (result.accepted !== 1) {
      // The fold judges the event again as it is written (another request may have moved the case since) and says why.
      const why =
        result.quarantined[0]?.reason ?? result.rejected[0]?.errors.map((e) => e.message).join('; ') ?? 'not accepted';
      return sendError(res, 'conflict', why);
    }
    res.status(201).json({ event: d.event, result });
  });
  return r;
}

/** The event id of an action request: its kind, the page's request id and a hash of the case id (≤ 128 characters). */
function actionEventId(kind: string, requestId: string, caseId: string): string {
  const hash = createHash('sha256').update(caseId).digest('hex').slice(0, 16);
  return `action-${kind}-${requestId}-${hash}`;
}

/**
 * A space's change stream (server-sent events): `change` with the space's time whenever a batch lands, a keep-alive
 * comment every 25 s, and the end of the stream when the app closes. The page refetches what it shows on each change.
 */
export function streamChanges(deps: SupervisorDeps, req: Request, res: Response, space: string, name: string): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  const send = (chunk: string) => {
    res.write(chunk);
    (res as Response & { flush?: () => void }).flush?.();
  };
  send('retry: 5000\n\n');
  const dispose = deps.feed.subscribe(
    space,
    () => send(`event: change\ndata: ${JSON.stringify({ at: spaceNow(deps, space) })}\n\n`),
    () => res.end(),
  );
  const beat = setInterval(
    deps.failsafe.guarded(`${name}.keepalive`, () => send(': keep-alive\n\n')),
    25_000,
  );
  req.on('close', () => {
    clearInterval(beat);
    dispose();
  });
}
