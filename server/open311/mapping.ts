/**
 * Open311 GeoReport v2 ↔ cases: services are the configured categories; a service request is a case (status open or
 * closed, expected_datetime from the running deadline, agency_responsible from the handling unit); a POSTed request
 * becomes a `case.received` event. Datetimes are ISO 8601 in Asia/Shanghai (+08:00).
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { CaseState } from '@shared/cases/state';
import type { CityopsConfig } from '@shared/config';
import { cutText } from '@shared/text';
import { STAGE_LABELS, type Channel } from '@shared/domain';
import type { DomainEventInput } from '@shared/events';
import { shanghaiDateKey, type EpochMs } from '@shared/time';

/** A GeoReport v2 service. */
export interface Open311Service {
  readonly service_code: string;
  readonly service_name: string;
  readonly description: string;
  readonly metadata: false;
  readonly type: 'realtime';
  readonly keywords: string;
  readonly group: string;
}

/** A GeoReport v2 service request. */
export interface Open311Request {
  readonly service_request_id: string;
  readonly status: 'open' | 'closed';
  readonly status_notes: string | null;
  readonly service_name: string;
  readonly service_code: string;
  readonly description: string;
  readonly agency_responsible: string | null;
  readonly service_notice: string;
  readonly requested_datetime: string;
  readonly updated_datetime: string;
  readonly expected_datetime: string | null;
  readonly address: string | null;
  readonly address_id: string | null;
  readonly zipcode: string | null;
  readonly lat: number | null;
  readonly long: number | null;
  readonly media_url: string | null;
}

/** What the log keeps of a request beyond its case state: the texts of its `case.received` event and its latest reply. */
export interface StoredRequest {
  readonly description: string | null;
  readonly address: string | null;
  readonly mediaUrl: string | null;
  readonly reply: string | null;
}

/** A GeoReport v2 service definition (`services/{code}`): no extra attributes are asked for. */
export interface Open311ServiceDefinition {
  readonly service_code: string;
  readonly attributes: readonly never[];
}

/** The definition of a configured service, or null. */
export function serviceDefinition(config: CityopsConfig, code: string): Open311ServiceDefinition | null {
  return config.categories.includes(code) ? { service_code: code, attributes: [] } : null;
}

/** An instant as ISO 8601 with the +08:00 offset, to the second. */
export function isoShanghai(ts: EpochMs): string {
  return new Date(ts + 8 * 3_600_000).toISOString().slice(0, 19) + '+08:00';
}

/** The services: one per configured category (the code is the category itself). */
export function services(config: CityopsConfig): Open311Service[] {
  return config.categories.map((c) => ({
    service_code: c,
    service_name: c,
    description: `${c}类诉求`,
    metadata: false,
    type: 'realtime',
    keywords: c,
    group: config.centre.name,
  }));
}

/** A case as a service request; `stored` adds the texts the log keeps (the citizen's address, description, media, the reply). */
export function toRequest(c: CaseState, config: CityopsConfig, stored: StoredRequest | null = null): Open311Request {
  const closed = c.stage === 'closed' || c.stage === 'merged';
  const running = [c.handle, c.sign].find((k) => k && k.stoppedAt === null);
  const street = config.streets.find((s) => s.id === c.street);
  const unit = c.unit ? (config.units.find((u) => u.id === c.unit)?.name ?? c.unit) : null;
  return {
    service_request_id: c.id,
    status: closed ? 'closed' : 'open',
    status_notes: c.stage === 'merged' ? `已合并至 ${c.masterId ?? ''}` : (stored?.reply ?? (closed ? '已办结' : null)),
    service_name: c.category,
    service_code: c.category,
    description: stored?.description ?? c.title,
    agency_responsible: unit,
    service_notice: STAGE_LABELS[c.stage],
    requested_datetime: isoShanghai(c.receivedAt),
    updated_datetime: isoShanghai(c.updatedAt),
    expected_datetime: !closed && running ? isoShanghai(running.deadline) : null,
    address: stored?.address ?? street?.name ?? null,
    address_id: street ? c.street : null,
    zipcode: null,
    lat: c.lat,
    long: c.lng,
    media_url: stored?.mediaUrl ?? null,
  };
}

const optText = (max: number) => z.string().trim().max(max).optional();
const coord = (min: number, max: number) =>
  z
    .union([
      z.number(),
      z
        .string()
        .trim()
        .regex(/^-?\d+(\.\d+)?$/)
        .transform(Number),
    ])
    .pipe(z.number().min(min).max(max))
    .optional();

/** Schema of a POSTed request (form or JSON fields of GeoReport v2). */
export const postRequestSchema = z
  .object({
    api_key: z.string().optional(),
    service_code: z.string().trim().min(1).max(64),
    lat: coord(-90, 90),
    long: coord(-180, 180),
    address_string: optText(300),
    address_id: optText(64),
    email: optText(200),
    device_id: optText(200),
    account_id: optText(200),
    first_name: optText(100),
    last_name: optText(100),
    phone: optText(50),
    description: optText(4000),
    media_url: z
      .string()
      .trim()
      .max(1000)
      .regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL')
      .optional(),
    jurisdiction_id: optText(64),
    'attribute[street]': optText(64),
  })
  .refine((b) => (b.lat !== undefined && b.long !== undefined) || b.address_string || b.address_id, {
    message: 'a location is required: lat and long, address_string or address_id',
    path: ['lat'],
  });

/** A validated POSTed request. */
export type PostRequest = z.output<typeof postRequestSchema>;

/** The configured street a request is in: an explicit street, the address id, or a street named in the address. */
export function streetOf(b: PostRequest, config: CityopsConfig): string | null {
  const ids = new Set(config.streets.map((s) => s.id));
  for (const v of [b['attribute[street]'], b.address_id]) if (v && ids.has(v)) return v;
  const text = `${b.address_string ?? ''} ${b.description ?? ''}`;
  for (const s of config.streets) {
    const short = s.name.replace(/(街道|乡)$/, '');
    if (text.includes(s.name) || (short.length >= 2 && text.includes(short))) return s.id;
  }
  return null;
}

/** Random bytes of an Open311 case id: 2^48 ids a day, so two requests of one day practically never draw the same. */
export const CASE_ID_RANDOM_BYTES = 6;

/** A new case id for an Open311 request: OP + the day + 12 random hex digits. */
export function newCaseId(now: EpochMs): string {
  return `OP${shanghaiDateKey(now).replaceAll('-', '')}${randomBytes(CASE_ID_RANDOM_BYTES).toString('hex').toUpperCase()}`;
}

/** The `case.received` event of a POSTed request. */
export function requestToEvent(
  b: PostRequest,
  config: CityopsConfig,
  caseId: string,
  now: EpochMs,
  channel: Channel,
): DomainEventInput {
  const description = b.description ?? '';
  const title = cutText(description.split(/[\n。！？!?]/)[0] ?? '', 60) || b.service_code;
  return {
    type: 'case.received',
    eventId: `open311-${caseId}`,
    ts: now,
    caseId,
    channel,
    caseType: 'help',
    urgency: 'normal',
    flags: [],
    category: b.service_code,
    street: streetOf(b, config) ?? 'unknown',
    title,
    actor: 'open311',
    ...(description ? { description } : {}),
    ...(b.address_string ? { address: b.address_string } : {}),
    ...(b.lat !== undefined ? { lat: b.lat } : {}),
    ...(b.long !== undefined ? { lng: b.long } : {}),
    ...(b.media_url ? { mediaUrl: b.media_url } : {}),
  };
}
