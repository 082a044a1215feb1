/**
 * `/api/v1/walls` (admin): every wall screen the cluster serves (this node's, and on a cluster the other nodes') — connected, or remembered after it stopped reporting —
 * with its space, address, last health report and flags (stale, slow, old build); forget a wall taken away for good.
 */
import express, { type Router } from 'express';
import { authorise, type GuardDeps } from '../auth/guard';
import type { WallLimits, WallsAnswer } from '@shared/wall/health';
import type { WallPeers, WallRegistry } from '../realtime/walls';
import { sendError } from './errors';

/** The wall routes. */
export function wallRoutes(
  deps: GuardDeps & {
    readonly walls: WallRegistry;
    /** On a cluster: the other nodes, told when a wall is forgotten. */
    readonly peers: WallPeers | null;
    readonly version: () => string | null;
    readonly limits: WallLimits;
  },
): Router {
  const r = express.Router();
  r.get('/walls', (req, res) => {
    if (authorise(deps, req, res, 'administer', 'live') === null) return;
    const answer: WallsAnswer = { version: deps.version(), limits: deps.limits, walls: deps.walls.list() };
    res.json(answer);
  });
  r.delete('/walls/:id', async (req, res) => {
    if (authorise(deps, req, res, 'administer', 'live', true) === null) return;
    const id = String(req.params.id);
    if (!deps.walls.known(id))
      return sendError(
        res,
        'not_found',
        `no wall "${id.slice(0, 80)}": it may have been forgotten already; GET /api/v1/walls lists them`,
      );
    deps.walls.forget(id);
    if (deps.peers) {
      try {
        await deps.peers.forget(id);
      } catch {
        return sendError(
          res,
          'unavailable',
          `wall "${id.slice(0, 80)}" is forgotten on this node, but the other nodes could not be told (Redis does not answer): try again`,
        );
      }
    }
    res.status(204).end();
  });
  return r;
}
