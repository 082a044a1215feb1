/**
 * `GET /api/v1/spaces/:space/export.jsonl` (admin, bearer or session cookie): a space's whole event log, one event per
 * line, streamed in order.
 */
import express, { type Router } from 'express';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { spaceName } from '@shared/contract';
import { authorise, type GuardDeps } from '../auth/guard';
import type { EventStore } from '../store/types';
import { sendError } from './errors';

/** Resolves when `res` drains or closes, whichever comes first. */
async function drainedOrClosed(res: Writable): Promise<void> {
  const ac = new AbortController();
  try {
    await Promise.race([once(res, 'drain', { signal: ac.signal }), once(res, 'close', { signal: ac.signal })]);
  } finally {
    ac.abort();
  }
}

/** The export route. */
export function exportRoutes(deps: GuardDeps & { readonly store: EventStore }): Router {
  const r = express.Router();
  r.get('/spaces/:space/export.jsonl', async (req, res) => {
    const space = req.params.space;
    if (!spaceName.safeParse(space).success) return sendError(res, 'bad_request', `"${space}" is not a space name`);
    if (!authorise(deps, req, res, 'administer', space)) return;
    if (!(await deps.store.spaces()).includes(space)) return sendError(res, 'not_found', `space ${space} has no log`);
    res.status(200).type('application/x-ndjson');
    res.setHeader('content-disposition', `attachment; filename="${space}.jsonl"`);
    res.setHeader('x-event-count', String(await deps.store.count(space)));
    for await (const chunk of deps.store.read(space, 5_000)) {
      if (res.destroyed) return;
      // A client gone while the buffer is full never drains: its close ends the wait (and the read, and its thread).
      if (!res.write(chunk.map((e) => JSON.stringify(e)).join('\n') + '\n')) await drainedOrClosed(res);
    }
    res.end();
  });
  return r;
}
