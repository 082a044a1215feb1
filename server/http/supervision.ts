/** `/api/v1/units` (scorecards), `/api/v1/reports/monthly`, and `/api/v1/exports/*` (CSV, XLSX). */
import express, { type Request, type Response, type Router } from 'express';
import { parseCaseQuery, type Directory } from '@shared/cases/query';
import { authorise } from '../auth/guard';
import { caseTable, scorecardTable, toCsv, toXlsx, type Table } from '../cases/exports';
import { monthOf, monthPeriod, monthlyReport, scorecards } from '../cases/scorecards';
import { issuesOf, sendError } from './errors';
import { querySpace, spaceNow, type SupervisorDeps } from './cases';

/** The `month` query (YYYY-MM, default the space's current month), or null after answering 400. */
function queryMonth(req: Request, res: Response, now: number): string | null {
  const m = typeof req.query.month === 'string' && req.query.month !== '' ? req.query.month : monthOf(now);
  if (!/^(20\d{2})-(0[1-9]|1[0-2])$/.test(m)) {
    sendError(res, 'bad_request', `query month: "${m.slice(0, 16)}" is not YYYY-MM`);
    return null;
  }
  return m;
}

async function sendTable(res: Response, t: Table, format: string, file: string): Promise<void> {
  const name = encodeURIComponent(`${file}.${format}`);
  if (format === 'csv') {
    res
      .type('text/csv; charset=utf-8')
      .set('content-disposition', `attachment; filename="export.csv"; filename*=UTF-8''${name}`)
      .send(toCsv(t));
    return;
  }
  const buf = await toXlsx(t);
  res
    .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    .set('content-disposition', `attachment; filename="export.xlsx"; filename*=UTF-8''${name}`)
    .send(buf);
}

/** Scorecards, the monthly report and exports. */
export function supervisionRoutes(deps: SupervisorDeps): Router {
  const r = express.Router();
  r.get('/directory', (req, res) => {
    const space = querySpace(req, res);
    if (space === null || !authorise(deps, req, res, 'supervise', space)) return;
    const c = deps.config;
    const dir: Directory = {
      streets: c.streets.map((s) => ({ id: s.id, name: s.name })),
      units: c.units.map((u) => ({ id: u.id, name: u.name })),
      categories: c.categories,
      scoring: c.scoring,
      now: spaceNow(deps, space),
    };
    res.json(dir);
  });
  /** A supervisor's read of one month of a space (`?space=&month=YYYY-MM`, the space's current month by default). */
  const monthly =
    (answer: (space: string, month: string, now: number) => Promise<unknown>) =>
    async (req: Request, res: Response): Promise<void> => {
      const space = querySpace(req, res);
      if (space === null || !authorise(deps, req, res, 'supervise', space)) return;
      const now = spaceNow(deps, space);
      const month = queryMonth(req, res, now);
      if (month === null) return;
      res.json(await answer(space, month, now));
    };
  r.get(
    '/units',
    monthly((space, month, now) => scorecards(deps.queries.sql, deps.config, space, monthPeriod(month), now)),
  );
  r.get(
    '/reports/monthly',
    monthly((space, month, now) => monthlyReport(deps.queries.sql, deps.model.ctx, deps.config, space, month, now)),
  );
  r.get('/exports/cases.:format', async (req, res) => {
    const format = String(req.params.format);
    if (format !== 'csv' && format !== 'xlsx') return sendError(res, 'not_found', 'exports are .csv or .xlsx');
    const parsed = parseCaseQuery(req.query as Record<string, unknown>);
    if (!parsed.success) return sendError(res, 'bad_request', 'invalid case filters', issuesOf(parsed.error));
    if (!authorise(deps, req, res, 'supervise', parsed.data.space)) return;
    const now = spaceNow(deps, parsed.data.space);
    // One row more than an export holds tells that more match: refused with how to narrow, never a file cut short.
    const max = deps.exportMaxRows;
    const rows = await deps.queries.all(parsed.data, now, max + 1);
    if (rows.length > max)
      return sendError(
        res,
        'bad_request',
        `more than ${max.toLocaleString('en-US')} cases match these filters, and an export holds at most ${max.toLocaleString('en-US')}: narrow them (a shorter period, a status, a unit, a street or a channel) and export each part`,
      );
    await sendTable(res, caseTable(rows, deps.config), format, `cases-${parsed.data.space}-${parsed.data.status}`);
  });
  r.get('/exports/units.:format', async (req, res) => {
    const format = String(req.params.format);
    if (format !== 'csv' && format !== 'xlsx') return sendError(res, 'not_found', 'exports are .csv or .xlsx');
    const space = querySpace(req, res);
    if (space === null || !authorise(deps, req, res, 'supervise', space)) return;
    const now = spaceNow(deps, space);
    const month = queryMonth(req, res, now);
    if (month === null) return;
    await sendTable(
      res,
      scorecardTable(await scorecards(deps.queries.sql, deps.config, space, monthPeriod(month), now)),
      format,
      `units-${space}-${month}`,
    );
  });
  return r;
}
