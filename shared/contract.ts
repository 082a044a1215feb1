/**
 * The typed Socket.IO contract and the HTTP answer shapes. Types do not validate: every inbound message is checked
 * against its schema by the receiver.
 */
import { z } from 'zod';
import type { FieldError } from './events';
import type { WallDelta, WallSnapshot } from './wall/delta';

/** Error codes a client may see (closed list). */
export const ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'too_large',
  'not_ready',
  'conflict',
  'rate_limited',
  'internal',
  'unavailable',
] as const;
/** An error code. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * An error answer: a code, a human message, and field errors where they apply. A server fault (`internal`) carries the
 * request's id (the `x-request-id` header), which names the matching lines in the server's log.
 */
export interface ApiError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly errors?: readonly FieldError[];
  readonly requestId?: string;
}

/** A discriminated result for acks. */
export type Result<T> = { readonly ok: true; readonly data: T } | { readonly ok: false; readonly error: ApiError };

/** Roles a token can carry. */
export const ROLES = ['viewer', 'supervisor', 'producer', 'admin', 'duty'] as const;
/** A role. */
export type Role = (typeof ROLES)[number];

/** Schema of what a supervisor page learns about its login (`/api/v1/session`): role, space (null: all), name, CSRF token. */
export const sessionInfoSchema = z.object({
  role: z.enum(ROLES),
  space: z.string().nullable(),
  name: z.string().nullable(),
  csrfToken: z.string(),
});
/** What a supervisor page learns about its login. */
export type SessionInfo = z.infer<typeof sessionInfoSchema>;

/** A space name: `live`, `demo`, or `drill-<name>` (lower-case letters, digits, dashes). */
export const spaceName = z
  .string()
  .regex(/^(live|demo|drill-[a-z0-9][a-z0-9-]{0,40})$/, 'must be live, demo or drill-<name> (a–z, 0–9, -)');

/** Kind of a space name. */
export function spaceKindOf(space: string): 'live' | 'demo' | 'drill' {
  return space === 'live' ? 'live' : space === 'demo' ? 'demo' : 'drill';
}

/** One event the ingest refused for its shape, with where and why; `moreErrors` counts field errors left out of `errors`. */
export interface RejectedEvent {
  readonly index: number;
  readonly eventId: string | null;
  readonly errors: readonly FieldError[];
  readonly moreErrors?: number;
}
/** Most refused events an ingest answer lists (count). */
export const MAX_REJECTED_LISTED = 100;
/** Most field errors listed per refused event (count). */
export const MAX_FIELD_ERRORS = 10;
/** One event kept in quarantine because it does not fit its case's state. */
export interface QuarantinedEvent {
  readonly index: number;
  readonly eventId: string;
  readonly reason: string;
}

/** The ingest answer for a batch, sent once the accepted events are durable. */
export interface IngestResult {
  readonly space: string;
  readonly accepted: number;
  readonly duplicate: number;
  /** The first `MAX_REJECTED_LISTED` refused events, each with at most `MAX_FIELD_ERRORS` field errors… */
  readonly rejected: readonly RejectedEvent[];
  /** …and how many were refused in all (the answer stays bounded whatever the batch). */
  readonly rejectedCount: number;
  readonly quarantined: readonly QuarantinedEvent[];
}

/** Schema of an ingest batch (the events themselves are validated one by one for field-level errors). */
export const ingestBatchSchema = z.strictObject({ space: spaceName, events: z.array(z.unknown()).min(1).max(10_000) });

/** Why a Socket.IO namespace refused a connection (closed list, a subset of the error codes). */
export const REFUSAL_CODES = ['bad_request', 'unauthorized', 'forbidden', 'not_ready', 'rate_limited'] as const;
/** A refusal code. */
export type RefusalCode = (typeof REFUSAL_CODES)[number];
/** The `data` a refused connection's error carries (`connect_error`'s `err.data`); the message is for people. */
export interface RefusalData {
  readonly code: RefusalCode;
}

/** The refusal code a `connect_error` carries, or null for a transport failure (no code: not refused by the server). */
export function refusalCodeOf(err: unknown): RefusalCode | null {
  const data = typeof err === 'object' && err !== null && 'data' in err ? err.data : undefined;
  const code = typeof data === 'object' && data !== null && 'code' in data ? data.code : undefined;
  return (REFUSAL_CODES as readonly unknown[]).includes(code) ? (code as RefusalCode) : null;
}

/** Auth a wall sends on connect. */
export const wallAuthSchema = z.strictObject({ token: z.string().min(1).max(512), space: spaceName });

/** `/wall`: server → client. */
export interface WallServerToClient {
  snapshot: (snapshot: WallSnapshot) => void;
  delta: (delta: WallDelta) => void;
}
/**
 * `/wall`: client → server. `resync` answers with a fresh snapshot (also emitted as `snapshot`); `wall:health` is the
 * wall's own report (`shared/wall/health.ts`), acked so the wall also learns its socket still reaches the server.
 */
export interface WallClientToServer {
  resync: (ack: (result: Result<WallSnapshot>) => void) => void;
  'wall:health': (report: unknown, ack: (result: Result<null>) => void) => void;
}
/** `/ingest`: client → server. */
export interface IngestClientToServer {
  'events:batch': (batch: unknown, ack: (result: Result<IngestResult>) => void) => void;
}
/** `/ingest`: server → client (nothing pushed). */
export type IngestServerToClient = Record<string, never>;

/** Events the server emits (Socket.IO typed map for `/wall`). */
export type ServerToClientEvents = WallServerToClient;
/** Events clients emit (union of both namespaces' maps). */
export type ClientToServerEvents = WallClientToServer & IngestClientToServer;
/** Events between server nodes: none (the nodes share the event log, not socket events). */
export type InterServerEvents = Record<string, never>;
/** What the server keeps on each socket: the space a wall watches (a producer's token space, '' for every space). */
export interface SocketData {
  space: string;
}
