/**
 * Supervisor actions on a case (督办, 催办, 领导批示, 延期批准, 不计考核, 合并): the request the page sends. `decide.ts`
 * judges each against the case and makes it the event the log records. Times are epoch ms.
 */
import { z } from 'zod';
import { spaceName } from '../contract';
import { epochMs, ident } from '../events/common';

/**
 * What every action request carries: its space, and optionally the page's id for this request — sent again with a
 * retry of the same action (an answer lost to a proxy's timeout), so the action is recorded once, never twice.
 */
const base = {
  space: spaceName,
  requestId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be 8–64 letters, digits, - or _')
    .optional(),
};

/** One action request (`POST /api/v1/cases/:id/actions`). */
export const caseActionSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('supervise'),
    ...base,
    message: z.string().trim().min(1, 'a 督办 needs a message').max(1000),
    newDeadline: epochMs.optional(),
  }),
  z.strictObject({ kind: z.literal('remind'), ...base, message: z.string().trim().max(1000).optional() }),
  z.strictObject({
    kind: z.literal('escalate'),
    ...base,
    note: z.string().trim().min(1, 'an escalation needs a note').max(1000),
    leader: z.string().trim().min(1).max(64).optional(),
  }),
  z.strictObject({ kind: z.literal('approve_extension'), ...base, until: epochMs }),
  z.strictObject({
    kind: z.literal('exempt'),
    ...base,
    reason: z.string().trim().min(1, 'an exemption needs a reason').max(500),
  }),
  z.strictObject({ kind: z.literal('merge'), ...base, masterCaseId: ident }),
]);

/** A parsed action request. */
export type CaseAction = z.output<typeof caseActionSchema>;
/** The kinds of action. */
export type CaseActionKind = CaseAction['kind'];

/** Chinese labels of the actions. */
export const ACTION_LABELS: Readonly<Record<CaseActionKind, string>> = {
  supervise: '督办',
  remind: '催办',
  escalate: '领导批示',
  approve_extension: '批准延期',
  exempt: '不计考核',
  merge: '合并重复件',
};
