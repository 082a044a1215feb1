/** `GET /api/v1/spaces/:space/export.jsonl` (admin): a space's whole event log, one event per line, streamed in order. */
import express, { type Router } from 'express';
import { once } from 'node:events';
import { spaceName } from '../../shared/contract';
import { bearer, type TokenRegistry } from '../auth/tokens';
import type { EventStore } from '../store/types';
import { sendError } from './errors';

/** The export route. */
export function exportRoutes(deps: { tokens: TokenRegistry; store: EventStore }): Router {
  const r = express.Router();
  r.get('/spaces/:space/export.jsonl', async (req, res) => {
    const space = req.params.space;
    if (!spaceName.safeParse(space).success) return sendError(res, 'bad_request', `"${space}" is not a space name`);
    const check = deps.tokens.check(bearer(req.headers.authorization), 'administer', space);
    if (!check.ok) return sendError(res, check.status === 401 ? 'unauthorized' : 'forbidden', check.message);
    if (!(await deps.store.spaces()).includes(space)) return sendError(res, 'not_found', `space ${space} has no log`);
    res.status(200).type('application/x-ndjson');
    res.setHeader('content-disposition', `attachment; filename="${space}.jsonl"`);
    res.setHeader('x-event-count', String(await deps.store.count(space)));
    for await (const chunk of deps.store.read(space, 5_000)) {
      if (res.destroyed) return;
      if (!res.write(chunk.map((e) => JSON.stringify(e)).join('\n') + '\n')) await once(res, 'drain');
    }
    res.end();
  });
  return r;
}
