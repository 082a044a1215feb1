/**
 * Request ids: every HTTP request gets one — the caller's `x-request-id` when it is sane (a proxy's or a tool's id, so
 * its logs and ours line up), else a fresh UUID. It is echoed in the response header, named in the request's log lines
 * (`reqId`) and in the body of a 500, so a report from a user leads to the log line that explains it.
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log';

/** The header a request id travels in (both ways). */
export const REQUEST_ID_HEADER = 'x-request-id';

/** An incoming id is kept if it is 1–128 of letters, digits and `._:-`: it ends up in logs and headers verbatim. */
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The id for a request carrying `header` (the incoming one if sane, else a new UUID). */
export function requestIdFor(header: string | string[] | undefined): string {
  return typeof header === 'string' && SANE_ID.test(header) ? header : randomUUID();
}

/** The id of the request a response answers (set by `requestIds`), or undefined outside one. */
export function requestIdOf(res: Response): string | undefined {
  const id: unknown = res.locals.requestId;
  return typeof id === 'string' ? id : undefined;
}

/** Middleware: assigns the request id, echoes it, and at debug level logs each request's outcome (path only: queries may hold tokens). */
export function requestIds(log: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const reqId = requestIdFor(req.headers[REQUEST_ID_HEADER]);
    res.locals.requestId = reqId;
    res.setHeader(REQUEST_ID_HEADER, reqId);
    if (log.isLevelEnabled('debug')) {
      const started = performance.now();
      res.once('finish', () =>
        log.debug(
          {
            reqId,
            method: req.method,
            path: req.path,
            status: res.statusCode,
            ms: Math.round(performance.now() - started),
          },
          'request',
        ),
      );
    }
    next();
  };
}
