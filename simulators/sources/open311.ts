/**
 * Open311 GeoReport v2 service requests (the JSON a city's `GET /requests.json` answers) as request records: the
 * request id, service name → category, agency → unit, requested / updated datetimes, status open or closed. The
 * datetimes are ISO 8601; one without an offset is read in the zone given (`--zone`), by default the centre's own,
 * Asia/Shanghai, as the server's Open311 API reads its start_date and end_date.
 */
import { DEFAULT_CONFIG, type CityopsConfig } from '@shared/config';
import { cutText } from '@shared/text';
import type { Channel } from '@shared/domain';
import type { ReadRecords } from './csv';
import {
  fitRecord,
  matchCategory,
  matchStreet,
  matchUnit,
  readCoordinate,
  timeOutOfRange,
  unitNameOf,
  type RecordError,
  type RecordNote,
  type RequestRecord,
} from './records';
import { MappingTally } from './report';
import { SameIdCheck } from './sameId';
import { CENTRE_ZONE, isoInstant } from '@shared/zone';

/** The zone of Open311 datetimes without an offset unless one is given: the centre's. */
export const OPEN311_DEFAULT_ZONE = CENTRE_ZONE;

/** Options: the channel the requests came in on, category names per service, the fallback category and street. */
export interface Open311Options {
  readonly channel?: Channel;
  readonly categories?: Readonly<Record<string, string>>;
  readonly config?: CityopsConfig;
  /** The IANA zone of datetimes without an offset (default `OPEN311_DEFAULT_ZONE`). */
  readonly zone?: string;
}

/**
 * Reads an Open311 requests array; returns the records, the requests that could not be read and the later requests of
 * an id already read.
 */
export function open311Records(raw: unknown, o: Open311Options = {}): ReadRecords {
  const config = o.config ?? DEFAULT_CONFIG;
  const list = Array.isArray(raw)
    ? raw
    : isObj(raw) && Array.isArray(raw.service_requests)
      ? raw.service_requests
      : null;
  if (!list) throw new Error('an Open311 file is a JSON array of service requests (GET /requests.json)');
  const records: RequestRecord[] = [];
  const errors: RecordError[] = [];
  const altered: RecordError[] = [];
  const same = new SameIdCheck();
  const zone = o.zone ?? OPEN311_DEFAULT_ZONE;
  const times = {
    zone,
    via: o.zone === undefined ? "the default: the centre's zone; --zone to change" : '--zone',
    total: 0,
    zoned: 0,
  };
  const hint = `ISO 8601, e.g. 2026-11-20T09:00:00+08:00; without an offset, ${zone} time`;
  const tally = new MappingTally({
    category: 'service_name (else service_code)',
    street: 'address (else description)',
    unit: 'agency_responsible',
    channel: `--channel ${o.channel ?? 'hotline'}`,
  });
  list.forEach((r: unknown, i: number) => {
    if (!isObj(r)) return void errors.push({ record: i + 1, message: 'not an object' });
    const id = str(r.service_request_id) ?? str(r.token);
    const requested = isoInstant(str(r.requested_datetime) ?? '', zone);
    if (!id) return void errors.push({ record: i + 1, column: 'service_request_id', message: 'missing' });
    if (!requested)
      return void errors.push({
        record: i + 1,
        column: 'requested_datetime',
        message: `"${str(r.requested_datetime) ?? ''}" is not a date-time (${hint})`,
      });
    const opened = requested.ms;
    // GeoReport v2 knows two statuses. Another (`in progress`, `resolved`) or none is refused, not taken for open: which
    // it means is not ours to guess. Case and spaces around it do not matter.
    const status = str(r.status)?.trim().toLowerCase();
    if (status !== 'open' && status !== 'closed')
      return void errors.push({
        record: i + 1,
        column: 'status',
        message:
          status === undefined
            ? 'missing: a request is open or closed'
            : `"${str(r.status) ?? ''}" is not a GeoReport v2 status (open or closed)`,
      });
    // A closed request closes at its update time as given, or it is refused: never at a time the file does not hold.
    const closed = status === 'closed';
    const updated = str(r.updated_datetime);
    const closedRead = closed ? isoInstant(updated ?? '', zone) : null;
    const closedAt = closedRead?.ms ?? Number.NaN;
    if (closed && !closedRead)
      return void errors.push({
        record: i + 1,
        column: 'updated_datetime',
        message:
          updated === undefined
            ? 'missing: a closed request needs the time it was closed'
            : `"${updated}" is not a date-time (${hint})`,
      });
    // A time the log does not take would leave the case half imported (its later steps refused): the request is refused.
    const outOfRange = timeOutOfRange(opened);
    if (outOfRange)
      return void errors.push({
        record: i + 1,
        column: 'requested_datetime',
        message: `"${str(r.requested_datetime) ?? ''}" ${outOfRange}`,
      });
    const closeOutOfRange = closedRead ? timeOutOfRange(closedAt) : null;
    if (closeOutOfRange)
      return void errors.push({
        record: i + 1,
        column: 'updated_datetime',
        message: `"${updated ?? ''}" ${closeOutOfRange}`,
      });
    if (closed && closedAt < opened)
      return void errors.push({
        record: i + 1,
        column: 'updated_datetime',
        message: `"${updated ?? ''}" is before requested_datetime "${str(r.requested_datetime) ?? ''}": a request cannot close before it is made`,
      });
    const cells = Object.entries(r).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)] as const);
    if (!same.isFirst({ record: i + 1 }, id, cells)) return;
    tally.row();
    times.total += closedRead ? 2 : 1;
    times.zoned += (requested.offset ? 0 : 1) + (closedRead && !closedRead.offset ? 1 : 0);
    const service = str(r.service_name) ?? str(r.service_code) ?? '其他';
    const description = str(r.description);
    const address = str(r.address);
    const lat = readCoordinate(str(r.lat), 'lat');
    const lng = readCoordinate(str(r.long), 'lng');
    const agency = str(r.agency_responsible);
    const unit = agency === undefined ? undefined : (matchUnit(agency, config) ?? agency);
    const reply = str(r.status_notes);
    const mapped = o.categories?.[service];
    const category = mapped ?? matchCategory(service, '其他', config);
    const street = matchStreet(address, config) ?? matchStreet(description, config);
    tally.add(
      'category',
      service,
      category,
      config.categories.includes(mapped ?? service) ? null : 'not a configured category: 其他',
    );
    tally.add(
      'street',
      address,
      street ?? 'unknown',
      street ? null : 'no configured street in the address or description: unknown',
    );
    tally.add(
      'unit',
      agency,
      unit === undefined ? '(none)' : unitNameOf(unit),
      agency && !matchUnit(agency, config)
        ? agency === unitNameOf(agency)
          ? 'not a configured unit: kept as given'
          : 'not a configured unit, longer than a unit name holds: kept as a short form'
        : null,
    );
    tally.add('channel', undefined, o.channel ?? 'hotline', null);
    const { record, notes } = fitRecord({
      id,
      openedAt: opened,
      closedAt: closed ? closedAt : null,
      category,
      street: street ?? 'unknown',
      title: (description ? cutText(description.split(/[\n。.!！?？]/)[0] ?? '', 60) : undefined) || service,
      channel: o.channel ?? 'hotline',
      caseType: 'help',
      urgency: 'normal',
      ...(description ? { description } : {}),
      ...(address ? { address } : {}),
      ...(lat.value !== undefined ? { lat: lat.value } : {}),
      ...(lng.value !== undefined ? { lng: lng.value } : {}),
      ...(unit ? { unit } : {}),
      ...(reply ? { reply } : {}),
    });
    records.push(record);
    for (const n of [lat.note, lng.note, ...notes])
      if (n) altered.push({ record: i + 1, column: OPEN311_FIELDS[n.field], message: n.message });
  });
  return {
    records,
    errors,
    warnings: [],
    altered,
    sameId: same.found,
    renamed: same.renamed,
    times,
    report: tally.report(),
  };
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  if (typeof v === 'number') return String(v);
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** The GeoReport v2 field a record's field is read from (a title is the description's first sentence). */
const OPEN311_FIELDS: Readonly<Record<RecordNote['field'], string>> = {
  unit: 'agency_responsible',
  title: 'description',
  description: 'description',
  address: 'address',
  reply: 'status_notes',
  lat: 'lat',
  lng: 'long',
};
