/**
 * `/api/v1/duty`: the duty desk — its items with their limits and webhook deliveries, a change stream, and the commands (acknowledge, report,
 * resolve), each decided against the item's state and written through ingest as an event; a refusal says why.
 */
import { randomUUID } from 'node:crypto';
import express, { type Router } from 'express';
import { decideItemAction, itemActionSchema } from '../../shared/duty/actions';
import { deskList } from '../../shared/duty/desk';
import { validateEvent } from '../../shared/events';
import { authorise } from '../auth/guard';
import type { WebhookOutbox } from '../duty/outbox';
import { querySpace, spaceNow, type SupervisorDeps } from './cases';
import { issuesOf, sendError } from './errors';

/** What the desk routes need: the supervisor routes' deps and the webhook outbox (each item's delivery log). */
export interface DutyDeps extends SupervisorDeps { readonly outbox: WebhookOutbox }

/** The duty desk routes. */
export function dutyRoutes(deps: DutyDeps): Router {
  const r = express.Router();
  const json = express.json({ limit: '8kb', strict: true });

  r.get('/duty/items', (req, res) => {
    const space = querySpace(req, res);
    if (space === null || !authorise(deps, req, res, 'duty', space)) return;
    const s = deps.spaces.find(space);
    if (!s) return sendError(res, 'not_found', `no space ${space} on this server`);
    const list = deskList(s.projection, spaceNow(deps, space));
    const deliveries = deps.outbox.deliveries(space, [...list.open, ...list.resolved].map((x) => x.id));
    res.json({ ...list, deliveries });
  });

  r.get('/duty/stream', (req, res) => {
    const space = querySpace(req, res);
    if (space === null || !authorise(deps, req, res, 'duty', space)) return;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const send = (chunk: string) => { res.write(chunk); (res as typeof res & { flush?: () => void }).flush?.(); };
    send('retry: 5000\n\n');
    const dispose = deps.feed.subscribe(space, () => send(`event: change\ndata: ${JSON.stringify({ at: spaceNow(deps, space) })}\n\n`), () => res.end());
    const beat = setInterval(deps.failsafe.guarded('duty-stream.keepalive', () => send(': keep-alive\n\n')), 25_000);
    req.on('close', () => { clearInterval(beat); dispose(); });
  });

  r.post('/duty/items/:id/actions', json, async (req, res) => {
    const parsed = itemActionSchema.safeParse(req.body);
    if (!parsed.success) return sendError(res, 'bad_request', 'invalid duty action: { "kind": "acknowledge"|"report"|"resolve", "space": "...", "mode"?: "phone"|"written", "note"?: "..." }', issuesOf(parsed.error));
    const a = parsed.data;
    const caller = authorise(deps, req, res, 'duty', a.space, true);
    if (!caller) return;
    if (!deps.isReady()) return sendError(res, 'not_ready', 'the server is rebuilding its projections; retry shortly');
    const space = deps.spaces.find(a.space);
    if (!space) return sendError(res, 'not_found', `no space ${a.space} on this server`);
    const id = String(req.params.id);
    const d = decideItemAction(space.projection.items.get(id), id, a, `desk-${randomUUID()}`, spaceNow(deps, a.space), caller.actor.slice(0, 64));
    if (!d.ok) return sendError(res, d.notFound ? 'not_found' : 'conflict', d.reason);
    const v = validateEvent(d.event);
    if (!v.ok) return sendError(res, 'bad_request', 'the action does not make a valid event', v.errors);
    const result = await deps.ingest.ingest(a.space, [v.event]);
    if (result.accepted !== 1) {
      // Another desk got there first: the fold judged it again and says why.
      const why = result.quarantined[0]?.reason ?? result.rejected[0]?.errors.map((e) => e.message).join('; ') ?? 'not accepted';
      return sendError(res, 'conflict', why);
    }
    res.status(201).json({ event: v.event });
  });
  return r;
}
