/**
 * Error answers: a code from the closed list, a message saying what, where and why; never a stack trace. A server fault
 * (`internal`) names the request id, which is in the `x-request-id` header and in the log line that explains it.
 */
import type { Response } from 'express';
import type { z } from 'zod';
import type { ApiError, ErrorCode } from '@shared/contract';
import type { FieldError } from '@shared/events';
import { requestIdOf } from './requestId';

/** HTTP status of each error code. */
export const STATUS: Readonly<Record<ErrorCode, number>> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  too_large: 413,
  not_ready: 503,
  conflict: 409,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

/** An API's own error shape: how it answers a status and a message (Open311's GeoReport errors). */
export type ErrorShape = (status: number, message: string) => void;

/**
 * Makes every error answer of this request take an API's own shape, the app's error handler's included (a fault, the
 * store away): a client of that API reads errors as its specification says.
 */
export function answerErrorsAs(res: Response, shape: ErrorShape): void {
  res.locals.errorShape = shape;
}

/** Sends an error answer (in the request's API's shape when it has one: `answerErrorsAs`). */
export function sendError(res: Response, code: ErrorCode, message: string, errors?: readonly FieldError[]): void {
  const requestId = code === 'internal' ? requestIdOf(res) : undefined;
  const shape = res.locals.errorShape as ErrorShape | undefined;
  if (shape) return shape(STATUS[code], requestId ? `${message} (request id ${requestId})` : message);
  const body: { error: ApiError } = {
    error: { code, message, ...(errors ? { errors } : {}), ...(requestId ? { requestId } : {}) },
  };
  res.status(STATUS[code]).json(body);
}

/** Field errors of a zod error. */
export function issuesOf(err: z.ZodError): FieldError[] {
  return err.issues.map((i) => ({ path: i.path.map(String).join('.') || '(body)', message: i.message }));
}
