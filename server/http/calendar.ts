/**
 * `GET /api/v1/calendar?year=YYYY`: the working calendar's coverage (with the warning the pages show as a banner), its
 * sources, and the statutory days off and make-up working days it knows for a year (default: this year). Any viewer,
 * supervisor or admin — a bearer token or the pages' session — may read it: it is not tied to a space.
 */
import express, { type Router } from 'express';
import { authorise, sessionOf, type GuardDeps } from '../auth/guard';
import { bearer } from '../auth/tokens';
import type { CalendarWatch } from '../calendar/watch';
import { sendError } from './errors';

/** What the calendar route needs. */
export interface CalendarRouteDeps extends GuardDeps {
  readonly calendar: CalendarWatch;
}

const YEAR = /^\d{4}$/;

/** The calendar route. */
export function calendarRoutes(deps: CalendarRouteDeps): Router {
  const r = express.Router();
  r.get('/calendar', (req, res) => {
    // Not a space's data: check the caller's own space (a space-scoped viewer may read it too).
    const token = bearer(req.headers.authorization) ?? sessionOf(deps, req)?.token;
    const grant = token ? deps.tokens.grants.find((g) => g.token === token) : undefined;
    if (!authorise(deps, req, res, 'view', grant?.space ?? 'live')) return;
    const raw = req.query.year;
    const coverage = deps.calendar.coverage();
    let year = Number(coverage.today.slice(0, 4));
    if (raw !== undefined) {
      const s = typeof raw === 'string' ? raw : '';
      if (!YEAR.test(s) || Number(s) < 2000 || Number(s) > 2199)
        return sendError(res, 'bad_request', `query year: "${s.slice(0, 16)}" is not a year 2000–2199, e.g. year=2027`);
      year = Number(s);
    }
    res.json({ coverage, sources: deps.calendar.sources(), year: deps.calendar.year(year) });
  });
  return r;
}
