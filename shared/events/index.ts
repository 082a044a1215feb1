/** The event contract: one schema per event kind, the union, and validation with field-level errors. */
import { z } from 'zod';
import { caseEventSchemas } from './case';
import { opsEventSchemas } from './ops';
import { alertEventSchemas } from './alert';
import { itemEventSchemas } from './item';
import { handoverEventSchemas } from './handover';
import { compileUnion } from './fastParse';

export * from './case';
export * from './ops';
export * from './alert';
export * from './item';
export * from './handover';
export { MAX_EVENT_TS, MIN_EVENT_TS } from './common';

/** Schema of any event, discriminated on `type`. */
export const eventSchema = z.discriminatedUnion('type', [
  ...caseEventSchemas,
  ...opsEventSchemas,
  ...alertEventSchemas,
  ...itemEventSchemas,
  ...handoverEventSchemas,
]);

/** The union compiled into plain checks (`fastParse.ts`), tried before zod. */
export const fastEvents = compileUnion(eventSchema);

/** Any event (parsed, defaults applied). */
export type DomainEvent = z.output<typeof eventSchema>;
/** Any event as a producer sends it (defaults optional). */
export type DomainEventInput = z.input<typeof eventSchema>;
/** The `type` of an event. */
export type EventType = DomainEvent['type'];

/** A field-level validation error: where (dotted path), and why. */
export interface FieldError {
  readonly path: string;
  readonly message: string;
}

/** The outcome of validating one raw event. */
export type EventValidation =
  { readonly ok: true; readonly event: DomainEvent } | { readonly ok: false; readonly errors: FieldError[] };

/** Validates one raw event against the contract, returning field-level errors (paths like `events.3.channel` are composed by callers). */
export function validateEvent(raw: unknown): EventValidation {
  // The compiled checks accept what zod accepts, giving what zod gives; what they decline, zod judges and explains.
  const fast = fastEvents.parse(raw);
  if (fast !== undefined) return { ok: true, event: fast as DomainEvent };
  const parsed = eventSchema.safeParse(raw);
  if (parsed.success) return { ok: true, event: parsed.data };
  return { ok: false, errors: parsed.error.issues.map(toFieldError) };
}

function toFieldError(issue: z.core.$ZodIssue): FieldError {
  return { path: issue.path.map(String).join('.') || '(event)', message: issue.message };
}
