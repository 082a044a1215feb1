/** Case lifecycle events and supervisor actions: every step of a case is an event; its state is their fold. */
import { z } from 'zod';
import { CASE_FLAGS, CASE_TYPES, CHANNELS, RATINGS, URGENCIES } from '../domain';
import { envelope, epochMs, freeText, ident, shortText } from './common';

const caseBase = { ...envelope, caseId: ident };
const ev = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.strictObject({ type: z.literal(type), ...caseBase, ...shape });

/** 受理: a case is received on a channel. */
export const caseReceived = ev('case.received', {
  channel: z.enum(CHANNELS),
  caseType: z.enum(CASE_TYPES),
  urgency: z.enum(URGENCIES),
  flags: z.array(z.enum(CASE_FLAGS)).max(CASE_FLAGS.length).default([]),
  category: shortText,
  street: shortText,
  community: shortText.optional(),
  lat: z.number().min(-90).max(90).optional(),
  lng: z.number().min(-180).max(180).optional(),
  title: freeText(200),
  description: freeText(4000).optional(),
  address: freeText(300).optional(),
  /** A photo or document the citizen attached (Open311 `media_url`): an http(s) URL, shown as a link, never embedded. */
  mediaUrl: z
    .string()
    .max(1000)
    .regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL')
    .optional(),
  agentId: ident.optional(),
  callId: ident.optional(),
});
/** 立案: registered for handling. */
export const caseRegistered = ev('case.registered', {});
/** 派单: dispatched to a handling unit (starts the sign-for and handling clocks). */
export const caseDispatched = ev('case.dispatched', { unit: shortText });
/** 退单: the unit returns the case to the centre. */
export const caseReturned = ev('case.returned', { reason: freeText(500) });
/** 签收: the unit signs for the case. */
export const caseSigned = ev('case.signed', {});
/** 办理: the unit starts handling. */
export const caseProcessing = ev('case.processing', {});
/** 办结回复: the unit replies (stops the handling clock, starts the callback clock). */
export const caseReplied = ev('case.replied', { reply: freeText(4000).optional() });
/** 直接办结: answered on the call, no dispatch. */
export const caseClosedDirectly = ev('case.closed_directly', { reply: freeText(4000).optional() });
/** 质检: quality check of a reply; a failed check sends it back (驳回重办). */
export const caseQualityChecked = ev('case.quality_checked', { passed: z.boolean(), reason: freeText(500).optional() });
/** 回访: the citizen is called back. */
export const caseCalledBack = ev('case.called_back', { reached: z.boolean().default(true) });
/** 评价: the citizen's rating at callback. */
export const caseEvaluated = ev('case.evaluated', { rating: z.enum(RATINGS) });
/** 二次重办: an unsatisfied case goes back to the unit, which must sign again. */
export const caseReopened = ev('case.reopened', { reason: freeText(500).optional() });
/** 结案. */
export const caseClosed = ev('case.closed', {});
/** 督办: a supervisor urges the unit, optionally with a new deadline. */
export const caseSupervised = ev('case.supervised', { message: freeText(1000), newDeadline: epochMs.optional() });
/** 催办: a reminder. */
export const caseReminded = ev('case.reminded', { message: freeText(1000).optional() });
/** 延期申请: the unit asks for more time. */
export const caseExtensionRequested = ev('case.extension_requested', { until: epochMs, reason: freeText(500) });
/** 延期批准: the handling deadline moves to `until`. */
export const caseExtensionApproved = ev('case.extension_approved', { until: epochMs });
/** 不计考核: the case is left out of unit scoring. */
export const caseExempted = ev('case.exempted', { reason: freeText(500).min(1) });
/** 合并: this case (a duplicate) joins a master case. */
export const caseMerged = ev('case.merged', { masterCaseId: ident });
/** 领导批示: escalated to a leader. */
export const caseEscalated = ev('case.escalated', { leader: shortText.optional(), note: freeText(1000) });

/** Every case event schema. */
export const caseEventSchemas = [
  caseReceived,
  caseRegistered,
  caseDispatched,
  caseReturned,
  caseSigned,
  caseProcessing,
  caseReplied,
  caseClosedDirectly,
  caseQualityChecked,
  caseCalledBack,
  caseEvaluated,
  caseReopened,
  caseClosed,
  caseSupervised,
  caseReminded,
  caseExtensionRequested,
  caseExtensionApproved,
  caseExempted,
  caseMerged,
  caseEscalated,
] as const;

/** A case event (parsed). */
export type CaseEvent = z.output<(typeof caseEventSchemas)[number]>;
/** The `type` of a case event. */
export type CaseEventType = CaseEvent['type'];

/** Chinese labels of the case events, as a case's timeline names them. */
export const CASE_EVENT_LABELS: Readonly<Record<CaseEventType, string>> = {
  'case.received': '受理',
  'case.registered': '立案',
  'case.dispatched': '派单',
  'case.returned': '退单',
  'case.signed': '签收',
  'case.processing': '办理',
  'case.replied': '办结回复',
  'case.closed_directly': '直接办结',
  'case.quality_checked': '质检',
  'case.called_back': '回访',
  'case.evaluated': '评价',
  'case.reopened': '二次重办',
  'case.closed': '结案',
  'case.supervised': '督办',
  'case.reminded': '催办',
  'case.extension_requested': '延期申请',
  'case.extension_approved': '延期批准',
  'case.exempted': '不计考核',
  'case.merged': '合并',
  'case.escalated': '领导批示',
};
/** The `case.received` event (parsed). */
export type CaseReceived = z.output<typeof caseReceived>;
