/**
 * `/api/v1/duty`: the duty desk — its items with their limits, webhook deliveries and duty figures, a change stream, the commands (acknowledge,
 * report, resolve), and the 交接班 records (the draft, submit, sign, list by date, one record); each command decided against the state and
 * written through ingest as an event; a refusal says why.
 */
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { z } from 'zod';
import { decideItemAction, itemActionSchema } from '@shared/duty/actions';
import { deskList } from '@shared/duty/desk';
import { draftHandover, handoverList, HANDOVER_KEPT_MS, type HandoverRecord } from '@shared/duty/handover';
import { stampOf } from '@shared/duty/items';
import { DAY_MS, isDateKey } from '@shared/time';
import {
  decideSign,
  decideSubmit,
  handoverSignSchema,
  handoverSubmitSchema,
  type HandoverDecision,
} from '@shared/duty/handoverActions';
import { validateEvent, type DomainEvent } from '@shared/events';
import { deskFigures } from '@shared/projection/duty';
import type { IngestService } from '../ingest/service';
import { authorise, type Caller } from '../auth/guard';
import type { Space } from '../spaces';
import type { WebhookOutbox } from '../duty/outbox';
import { querySpace, spaceNow, streamChanges, type SupervisorDeps } from './cases';
import { issuesOf, sendError } from './errors';

/** What the desk routes need: the supervisor routes' deps and the webhook outbox (each item's delivery log). */
export interface DutyDeps extends SupervisorDeps {
  readonly outbox: WebhookOutbox;
}

/** How many 交接班 records a list answers at most. */
const HANDOVER_LIST_LIMIT = 200;

/** The duty desk routes. */
export function dutyRoutes(deps: DutyDeps): Router {
  const r = express.Router();
  const json = express.json({ limit: '8kb', strict: true });

  /**
   * A desk command's preamble: its body parsed by `schema` (400 naming the fields, with `usage`), the caller allowed to
   * act on the body's space, the server ready, the space here. Null when it has already answered.
   */
  function deskCommand<T extends { readonly space: string }>(
    req: Request,
    res: Response,
    schema: z.ZodType<T>,
    usage: string,
  ): { readonly body: T; readonly caller: Caller; readonly space: Space } | null {
    const parsed = schema.safeParse(req.body);
    if (!parsed.success) {
      sendError(res, 'bad_request', usage, issuesOf(parsed.error));
      return null;
    }
    const body = parsed.data;
    const caller = authorise(deps, req, res, 'duty', body.space, true);
    if (!caller) return null;
    if (!deps.isReady()) {
      sendError(res, 'not_ready', 'the server is rebuilding its projections; retry shortly');
      return null;
    }
    const space = deps.spaces.find(body.space);
    if (!space) {
      sendError(res, 'not_found', `no space ${body.space} on this server`);
      return null;
    }
    return { body, caller, space };
  }

  r.get('/duty/items', async (req, res) => {
    const space = querySpace(req, res);
    if (space === null || !authorise(deps, req, res, 'duty', space)) return;
    const s = deps.spaces.find(space);
    if (!s) return sendError(res, 'not_found', `no space ${space} on this server`);
    const list = deskList(s.projection, spaceNow(deps, space));
    const deliveries = await deps.outbox.deliveries(
      space,
      [...list.open, ...list.resolved].map((x) => x.id),
    );
    res.json({ ...list, deliveries, figures: deskFigures(s.projection, list.at) });
  });

  r.get('/duty/handovers/draft', (req, res) => {
    const space = querySpace(req, res);
    if (space === null || !authorise(deps, req, res, 'duty', space)) return;
    const s = deps.spaces.find(space);
    if (!s) return sendError(res, 'not_found', `no space ${space} on this server`);
    res.json({ draft: draftHandover(s.projection, spaceNow(deps, space)) });
  });

  r.get('/duty/handovers', async (req, res) => {
    const space = querySpace(req, res);
    if (space === null || !authorise(deps, req, res, 'duty', space)) return;
    const date = typeof req.query.date === 'string' && req.query.date !== '' ? req.query.date : undefined;
    if (date !== undefined && !isDateKey(date))
      return sendError(res, 'bad_request', `query date: "${date.slice(0, 32)}" is not a date (YYYY-MM-DD)`);
    const s = deps.spaces.find(space);
    if (!s) return sendError(res, 'not_found', `no space ${space} on this server`);
    res.json({ space, date: date ?? null, records: await handoversOf(s, date) });
  });

  r.get('/duty/handovers/:id', async (req, res) => {
    const space = querySpace(req, res);
    if (space === null || !authorise(deps, req, res, 'duty', space)) return;
    const s = deps.spaces.find(space);
    const id = String(req.params.id);
    // The projection holds the last days' records; the read model every one written.
    const rec = s
      ? (s.projection.handoverRecords.get(id) ?? (await deps.queries.handoverRecord(space, id)))
      : undefined;
    if (!rec)
      return sendError(res, 'not_found', `no submitted handover ${String(req.params.id).slice(0, 128)} in ${space}`);
    res.json({ space, ...rec });
  });

  /**
   * The records the desk lists (at most `HANDOVER_LIST_LIMIT`, newest shift first): the projection's (the last days',
   * as the fold left them) and the read model's older ones.
   */
  const handoversOf = async (s: Space, date: string | undefined): Promise<HandoverRecord[]> => {
    const recent = handoverList(s.projection, date);
    const ids = new Set(recent.map((r) => r.id));
    const older = (await deps.queries.handoverRecords(s.name, date, HANDOVER_LIST_LIMIT)).filter((r) => !ids.has(r.id));
    return [...recent, ...older].sort((a, b) => b.record.start - a.record.start).slice(0, HANDOVER_LIST_LIMIT);
  };

  /** Writes a decided handover event through ingest, or answers why not. */
  const write = async (res: Response, space: string, d: HandoverDecision): Promise<void> => {
    if (!d.ok) return sendError(res, d.notFound ? 'not_found' : 'conflict', d.reason);
    const v = validateEvent(d.event);
    if (!v.ok) return sendError(res, 'bad_request', 'the handover does not make a valid event', v.errors);
    await ingestOne(deps.ingest, res, space, v.event);
  };

  r.post('/duty/handovers', json, async (req, res) => {
    const cmd = deskCommand(
      req,
      res,
      handoverSubmitSchema,
      'invalid handover: { "space": "...", "handoverId": "...", "note": "..." }',
    );
    if (!cmd) return;
    const { body: a, caller, space } = cmd;
    await write(
      res,
      a.space,
      decideSubmit(space.projection, a, `desk-${randomUUID()}`, spaceNow(deps, a.space), caller.actor.slice(0, 64)),
    );
  });

  r.post('/duty/handovers/:id/sign', json, async (req, res) => {
    const cmd = deskCommand(req, res, handoverSignSchema, 'invalid signature: { "space": "...", "note"?: "..." }');
    if (!cmd) return;
    const { body: a, caller, space } = cmd;
    const id = String(req.params.id);
    // A record that has left the space's memory (its shift ended more than HANDOVER_KEPT_MS ago) is only read back.
    const archived = space.projection.handoverRecords.has(id)
      ? undefined
      : await deps.queries.handoverRecord(a.space, id);
    if (archived)
      return write(res, a.space, {
        ok: false,
        notFound: false,
        reason: archived.signed
          ? `handover ${id} was already signed by ${archived.signed.by} at ${stampOf(archived.signed.at)}`
          : `handover ${id} was submitted by ${archived.submitted.by} at ${stampOf(archived.submitted.at)} and its shift ended more than ${HANDOVER_KEPT_MS / DAY_MS} days ago: it can no longer be signed (it stays listed and readable)`,
      });
    await write(
      res,
      a.space,
      decideSign(space.projection, id, a, `desk-${randomUUID()}`, spaceNow(deps, a.space), caller.actor.slice(0, 64)),
    );
  });

  r.get('/duty/stream', (req, res) => {
    const space = querySpace(req, res);
    if (space === null || !authorise(deps, req, res, 'duty', space)) return;
    streamChanges(deps, req, res, space, 'duty-stream');
  });

  r.post('/duty/items/:id/actions', json, async (req, res) => {
    const cmd = deskCommand(
      req,
      res,
      itemActionSchema,
      'invalid duty action: { "kind": "acknowledge"|"report"|"resolve", "space": "...", "mode"?: "phone"|"written", "note"?: "..." }',
    );
    if (!cmd) return;
    const { body: a, caller, space } = cmd;
    const id = String(req.params.id);
    const d = decideItemAction(
      space.projection.items.get(id),
      id,
      a,
      `desk-${randomUUID()}`,
      spaceNow(deps, a.space),
      caller.actor.slice(0, 64),
    );
    if (!d.ok) return sendError(res, d.notFound ? 'not_found' : 'conflict', d.reason);
    const v = validateEvent(d.event);
    if (!v.ok) return sendError(res, 'bad_request', 'the action does not make a valid event', v.errors);
    await ingestOne(deps.ingest, res, a.space, v.event);
  });
  return r;
}

/** Writes one desk event; 201 with it, or 409 with the fold's reason when another desk got there first. */
async function ingestOne(ingest: IngestService, res: Response, space: string, event: DomainEvent): Promise<void> {
  const result = await ingest.ingest(space, [event]);
  if (result.accepted !== 1) {
    // Another desk got there first: the fold judged it again and says why.
    const why =
      result.quarantined[0]?.reason ?? result.rejected[0]?.errors.map((e) => e.message).join('; ') ?? 'not accepted';
    return sendError(res, 'conflict', why);
  }
  res.status(201).json({ event });
}
