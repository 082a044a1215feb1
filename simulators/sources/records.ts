/**
 * Real service requests (Open311, CSV exports) as case lifecycles: each request becomes `case.received` at its open
 * time, a dispatch to its agency, and — when it is closed — a sign-for, a reply and the closure at its close time, both
 * times as given. Case and event ids derive from the request id (`caseIds.ts`), so replaying the same file twice into
 * one space adds nothing.
 */
import { createHash } from 'node:crypto';
import { DEFAULT_CONFIG, type CityopsConfig } from '@shared/config';
import type { CaseType, Channel, Urgency } from '@shared/domain';
import type { DomainEventInput } from '@shared/events';
import { MAX_EVENT_TS, MIN_EVENT_TS } from '@shared/events/common';
import { cutText, hasHalf, withoutHalves } from '@shared/text';
import { MINUTE_MS, type EpochMs } from '@shared/time';
import { caseIdOf, eventIdOf } from './caseIds';

/** One service request, normalised. */
export interface RequestRecord {
  readonly id: string;
  readonly openedAt: EpochMs;
  /** When it was closed (not before `openedAt`: the readers refuse such a request), or null while open. */
  readonly closedAt: EpochMs | null;
  readonly category: string;
  readonly street: string;
  readonly title: string;
  readonly description?: string;
  readonly address?: string;
  readonly lat?: number;
  readonly lng?: number;
  readonly unit?: string;
  readonly channel: Channel;
  readonly caseType: CaseType;
  readonly urgency: Urgency;
  readonly reply?: string;
}

/**
 * A record that could not be read: where (`record`: the data row or array element, 1-based; for CSV also the file
 * line it starts on and the column) and why.
 */
export interface RecordError {
  readonly record: number;
  readonly line?: number;
  readonly column?: string;
  readonly message: string;
}

/** A record error as one line: `row 17 (line 19), column "Opened": …`. */
export function describeRecordError(e: RecordError, noun = 'row'): string {
  return `${noun} ${e.record}${e.line !== undefined ? ` (line ${e.line})` : ''}${e.column !== undefined ? `, column "${e.column}"` : ''}: ${e.message}`;
}

/** A short text (1–64 characters). */
export function toShort(v: string): string {
  return cutText(v.trim(), 64) || '—';
}

/** What an event keeps of a record's texts, characters (the event contract's limits). */
export const TEXT_LIMITS = { unit: 64, title: 200, description: 4000, address: 300, reply: 4000 } as const;

/**
 * A unit (agency) name an event can carry: as given up to 64 characters, else its first characters, `~` and 16 hex
 * digits of the SHA-256 of the whole name, so two long names that begin alike stay two units.
 */
export function unitNameOf(name: string): string {
  if (name.length <= TEXT_LIMITS.unit) return name;
  const hash = createHash('sha256').update(name, 'utf16le').digest('hex').slice(0, 16);
  return `${cutText(name, TEXT_LIMITS.unit - hash.length - 1).trimEnd()}~${hash}`;
}

/** What of a record the events cannot keep as given: the field it is about and what becomes of it. */
export interface RecordNote {
  readonly field: 'unit' | 'title' | 'description' | 'address' | 'reply' | 'lat' | 'lng';
  readonly message: string;
}

/**
 * The record as its events carry it, and a note for each thing they cannot keep as given: a text longer than its
 * field (cut, at a whole character), a unit name longer than 64 characters (a short form, `unitNameOf`).
 */
export function fitRecord(r: RequestRecord): { readonly record: RequestRecord; readonly notes: readonly RecordNote[] } {
  const notes: RecordNote[] = [];
  const fitted: { -readonly [K in keyof RequestRecord]: RequestRecord[K] } = { ...r };
  for (const field of ['title', 'description', 'address', 'reply', 'unit'] as const) {
    const v = fitted[field];
    if (v === undefined || !hasHalf(v)) continue;
    fitted[field] = withoutHalves(v);
    notes.push({
      field,
      message: 'holds half of a character (an unpaired UTF-16 surrogate): the half is kept as U+FFFD (�)',
    });
  }
  for (const field of ['title', 'description', 'address', 'reply'] as const) {
    const v = fitted[field];
    const max = TEXT_LIMITS[field];
    if (v === undefined || v.length <= max) continue;
    fitted[field] = cutText(v, max);
    notes.push({ field, message: `${v.length} characters; the case keeps the first ${max}` });
  }
  if (fitted.unit !== undefined && fitted.unit.length > TEXT_LIMITS.unit) {
    const given = fitted.unit;
    fitted.unit = unitNameOf(given);
    notes.push({
      field: 'unit',
      message: `${JSON.stringify(given)} is ${given.length} characters (a unit name holds ${TEXT_LIMITS.unit}): imported as ${JSON.stringify(fitted.unit)}`,
    });
  }
  return { record: fitted, notes };
}

/**
 * A coordinate cell as a number, or why it is not one: a latitude is a decimal number from -90 to 90, a longitude
 * from -180 to 180 (degrees and minutes, `31°12'N`, are not read). Empty: neither.
 */
export function readCoordinate(
  cell: string | undefined,
  field: 'lat' | 'lng',
): { readonly value?: number; readonly note?: RecordNote } {
  if (cell === undefined || cell.trim() === '') return {};
  const limit = field === 'lat' ? 90 : 180;
  const v = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(cell.trim()) ? Number(cell) : Number.NaN;
  if (Number.isFinite(v) && Math.abs(v) <= limit) return { value: v };
  return {
    note: {
      field,
      message: `${JSON.stringify(cell)} is not a ${field === 'lat' ? 'latitude' : 'longitude'} (a decimal number from -${limit} to ${limit}): left out`,
    },
  };
}

/** Why a record's time cannot be logged (outside the years the log takes), or null. */
export function timeOutOfRange(ms: EpochMs): string | null {
  if (ms >= MIN_EVENT_TS && ms <= MAX_EVENT_TS) return null;
  return `is outside the times the event log takes (${new Date(MIN_EVENT_TS).toISOString()} to ${new Date(MAX_EVENT_TS).toISOString()})`;
}

/** Finds a configured street whose id is the text or whose name occurs in it (with or without 街道/乡; case-insensitive). */
export function matchStreet(text: string | undefined, config: CityopsConfig = DEFAULT_CONFIG): string | null {
  if (!text) return null;
  const t = text.trim().toLowerCase();
  for (const s of config.streets) {
    const name = s.name.toLowerCase();
    const short = name.replace(/(街道|乡)$/, '');
    if (t === s.id.toLowerCase() || t.includes(name) || (short.length >= 2 && t.includes(short))) return s.id;
  }
  return null;
}

/** Maps a category name to a configured one (exact), else the fallback. */
export function matchCategory(
  name: string | undefined,
  fallback: string,
  config: CityopsConfig = DEFAULT_CONFIG,
): string {
  return name && config.categories.includes(name) ? name : fallback;
}

/** Finds a configured unit whose id or name is the text (case-insensitive), or null. */
export function matchUnit(text: string | undefined, config: CityopsConfig = DEFAULT_CONFIG): string | null {
  if (!text) return null;
  const t = text.trim().toLowerCase();
  return config.units.find((u) => u.id.toLowerCase() === t || u.name.toLowerCase() === t)?.id ?? null;
}

/**
 * The lifecycle events of one request; `prefix` keeps ids of different sources apart. The steps the export does not
 * date (dispatch, sign-for) come a minute apart after the open time, never after the close time, which is kept.
 */
export function recordEvents(r: RequestRecord, prefix: string): DomainEventInput[] {
  if (r.closedAt !== null && r.closedAt < r.openedAt)
    throw new Error(`request ${r.id} is closed before it was opened: the readers refuse such a request`);
  const caseId = caseIdOf(r.id);
  const id = (step: string) => eventIdOf(prefix, caseId, step);
  const out: DomainEventInput[] = [
    {
      type: 'case.received',
      eventId: id('r'),
      ts: r.openedAt,
      caseId,
      channel: r.channel,
      caseType: r.caseType,
      urgency: r.urgency,
      flags: [],
      category: toShort(r.category),
      street: toShort(r.street),
      // The readers fit the texts (`fitRecord`) and say what they cut: these cuts only keep a record made elsewhere valid.
      title: cutText(r.title, TEXT_LIMITS.title) || r.category,
      ...(r.description ? { description: cutText(r.description, TEXT_LIMITS.description) } : {}),
      ...(r.address ? { address: cutText(r.address, TEXT_LIMITS.address) } : {}),
      ...(r.lat !== undefined && Number.isFinite(r.lat) && Math.abs(r.lat) <= 90 ? { lat: r.lat } : {}),
      ...(r.lng !== undefined && Number.isFinite(r.lng) && Math.abs(r.lng) <= 180 ? { lng: r.lng } : {}),
    },
  ];
  const closedAt = r.closedAt;
  if (!r.unit) {
    if (closedAt !== null)
      out.push({
        type: 'case.closed_directly',
        eventId: id('cd'),
        ts: closedAt,
        caseId,
        ...(r.reply ? { reply: cutText(r.reply, TEXT_LIMITS.reply) } : {}),
      });
    return out;
  }
  const step = (n: number) => Math.min(r.openedAt + n * MINUTE_MS, closedAt ?? Number.POSITIVE_INFINITY);
  out.push({ type: 'case.dispatched', eventId: id('d'), ts: step(1), caseId, unit: toShort(unitNameOf(r.unit)) });
  if (closedAt === null) return out;
  out.push({ type: 'case.signed', eventId: id('s'), ts: step(2), caseId });
  out.push({
    type: 'case.replied',
    eventId: id('p'),
    ts: closedAt,
    caseId,
    ...(r.reply ? { reply: cutText(r.reply, TEXT_LIMITS.reply) } : {}),
  });
  out.push({ type: 'case.closed', eventId: id('x'), ts: closedAt, caseId });
  return out;
}

/**
 * Every record's events in time order (stable: a case's own steps keep their order). Records are one per case id (the
 * readers leave later records of an id out); two events with one id would be answered `duplicate` and one lost, so
 * that throws naming both requests.
 */
export function recordsToEvents(records: readonly RequestRecord[], prefix: string): DomainEventInput[] {
  const seen = new Map<string, string>();
  const out: DomainEventInput[] = [];
  for (const r of records) {
    for (const e of recordEvents(r, prefix)) {
      const other = seen.get(e.eventId);
      if (other !== undefined)
        throw new Error(
          `requests ${JSON.stringify(other)} and ${JSON.stringify(r.id)} both give event id ${JSON.stringify(e.eventId)}: one would be lost`,
        );
      seen.set(e.eventId, r.id);
      out.push(e);
    }
  }
  return out.sort((a, b) => a.ts - b.ts);
}
