/**
 * `/api/v1/drills` (admin): start a drill from a scenario, list drills with progress, stop and delete, read summaries;
 * `DELETE /api/v1/spaces/:space` deletes a drill space that no drill created (a simulator's or an import's).
 * The admin is a bearer token (tools) or a session cookie (the drill pages; writes then echo the CSRF token). On a
 * cluster any node answers for every drill: a stop sent to a node that does not run the drill is carried out by the
 * node that does, and the answer says what happened (`stopped`, `message`, the drill as it ended).
 */
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { spaceKindOf, spaceName } from '@shared/contract';
import { scenarioName } from '@shared/drills';
import { authorise, type GuardDeps } from '../auth/guard';
import { DrillError, type DrillService, type StopOutcome } from '../drills/service';
import { issuesOf, sendError } from './errors';

const startSchema = z.strictObject({
  scenario: scenarioName,
  speed: z.union([z.literal('max'), z.number().positive().max(100_000)]).default(60),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31)
    .optional(),
});

/** The drill routes. */
export function drillRoutes(deps: GuardDeps & { readonly drills: DrillService }): Router {
  const r = express.Router();
  /** Drills are administered from live's side: an admin for every space or for live. */
  const admin = (req: Request, res: Response, write = false): boolean =>
    authorise(deps, req, res, 'administer', 'live', write) !== null;
  r.get('/drills/scenarios', async (req, res) => {
    if (!admin(req, res)) return;
    res.json(await deps.drills.scenarios());
  });
  r.get('/drills', async (req, res) => {
    if (!admin(req, res)) return;
    res.json(await deps.drills.list());
  });
  r.post('/drills', express.json({ limit: '16kb' }), async (req, res) => {
    if (!admin(req, res, true)) return;
    const parsed = startSchema.safeParse(req.body);
    if (!parsed.success)
      return sendError(
        res,
        'bad_request',
        'the body must be { "scenario": "...", "speed": 60 | "max", "seed"?: N }',
        issuesOf(parsed.error),
      );
    try {
      const d = parsed.data;
      const drill = await deps.drills.start({
        scenario: d.scenario,
        speed: d.speed === 'max' ? null : d.speed,
        ...(d.seed !== undefined ? { seed: d.seed } : {}),
      });
      res.status(201).location(`/api/v1/drills/${drill.id}`).json(drill);
    } catch (err) {
      if (err instanceof DrillError) return sendError(res, err.code, err.message);
      throw err;
    }
  });
  r.get('/drills/:id', async (req, res) => {
    if (!admin(req, res)) return;
    const d = await deps.drills.get(req.params.id);
    if (!d) return sendError(res, 'not_found', `no drill ${req.params.id}`);
    res.json(d);
  });
  r.get('/drills/:id/summary', async (req, res) => {
    if (!admin(req, res)) return;
    const s = await deps.drills.summary(req.params.id);
    if (!s) return sendError(res, 'not_found', `no drill ${req.params.id}`);
    res.json(s);
  });
  r.delete('/drills/:id', async (req, res) => {
    if (!admin(req, res, true)) return;
    const id = req.params.id;
    if (!spaceName.safeParse(id).success || spaceKindOf(id) !== 'drill')
      return sendError(res, 'bad_request', `${id} is not a drill space`);
    const deleteData = req.query.deleteData === 'true' || req.query.deleteData === '1';
    let outcome: StopOutcome | null;
    try {
      outcome = await deps.drills.stop(id, deleteData);
    } catch (err) {
      if (err instanceof DrillError) return sendError(res, err.code, err.message);
      throw err;
    }
    if (!outcome)
      return sendError(res, 'not_found', `no drill ${id}: only a space a drill created can be stopped or deleted here`);
    const { drill, stopped, message } = outcome;
    res.json({
      id,
      stopped,
      deleted: deleteData,
      message: deleteData ? `${message}; its data is deleted` : message,
      drill,
    });
  });
  // A drill space that no drill created (a simulator's run or an import into drill-…): its log, rows and walls go.
  r.delete('/spaces/:space', async (req, res) => {
    if (!admin(req, res, true)) return;
    const space = req.params.space;
    if (!spaceName.safeParse(space).success || spaceKindOf(space) !== 'drill')
      return sendError(
        res,
        'bad_request',
        `${space.slice(0, 64)} is not a drill space: only drill-… spaces are deleted here (live is never deleted; demo is rebuilt by npm start)`,
      );
    const outcome = await deps.drills.deleteUnrecorded(space);
    if (outcome === 'drill')
      return sendError(
        res,
        'conflict',
        `${space} is a drill's space: stop and delete the drill with DELETE /api/v1/drills/${space}?deleteData=true`,
      );
    if (outcome === 'unknown') return sendError(res, 'not_found', `no space ${space} on this server`);
    res.json({ space, deleted: true });
  });
  return r;
}
