/**
 * `GET /api/v1/spaces/:space/review?at=<ISO 8601 instant>`: the wall of a space as it was at a past instant (复盘), for
 * whoever may watch that space's wall (a viewer token of the space, supervisor, duty, admin; bearer or session cookie).
 * Answers the view, the span that can be reviewed and how the fold started. Reading only: a review writes nothing.
 */
import express, { type Router } from 'express';
import { spaceName } from '@shared/contract';
import { reviewQuerySchema } from '@shared/wall/review';
import { authorise, type GuardDeps } from '../auth/guard';
import type { ReviewService } from '../review/service';
import { issuesOf, sendError } from './errors';

/** What the review route needs. */
export interface ReviewRouteDeps extends GuardDeps {
  readonly review: ReviewService;
  readonly isReady: () => boolean;
}

/** The review route. */
export function reviewRoutes(deps: ReviewRouteDeps): Router {
  const r = express.Router();
  r.get('/spaces/:space/review', async (req, res) => {
    const space = req.params.space;
    if (!spaceName.safeParse(space).success)
      return sendError(res, 'bad_request', `"${space.slice(0, 64)}" is not a space name (live, demo or drill-<name>)`);
    if (!authorise(deps, req, res, 'view', space)) return;
    const q = reviewQuerySchema.safeParse(req.query);
    if (!q.success)
      return sendError(
        res,
        'bad_request',
        'invalid review: ?at=<instant>, ISO 8601 with an offset, e.g. 2026-11-30T03:12:40+08:00',
        issuesOf(q.error),
      );
    if (!deps.isReady()) return sendError(res, 'not_ready', 'the server is rebuilding its projections; retry shortly');
    const out = await deps.review.review(space, q.data.at);
    if (!out.ok)
      return sendError(res, out.code, out.message, out.field ? [{ path: out.field, message: out.message }] : undefined);
    // A past view does not change, but the span's end (the space's clock) does: not cached.
    res.setHeader('cache-control', 'no-store');
    res.json(out.answer);
  });
  return r;
}
