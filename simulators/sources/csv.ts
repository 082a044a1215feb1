/**
 * CSV exports of a case system (any columns) as request records, through a column-mapping file:
 *
 *   { "columns": { "id": "Case ID", "openedAt": "Opened", "closedAt": "Closed", "category": "Category", ... },
 *     "values": { "category": { "Street Cleaning": "市容环卫" }, "channel": { "Phone": "hotline" } },
 *     "defaults": { "channel": "hotline", "category": "其他", "street": "unknown" },
 *     "time": { "format": "iso" | "us" | "epoch_ms" | "epoch_s", "zone": "+08:00" } }
 *
 * The CSV reader follows RFC 4180 (quoted fields, doubled quotes, CR LF or LF, a BOM).
 */
import { z } from 'zod';
import { DEFAULT_CONFIG, type CityopsConfig } from '../../shared/config';
import { CASE_TYPES, CHANNELS, URGENCIES } from '../../shared/domain';
import { matchCategory, matchStreet, type RecordError, type RequestRecord } from './records';

const FIELDS = ['id', 'openedAt', 'closedAt', 'status', 'category', 'street', 'title', 'description', 'address', 'lat', 'lng', 'unit', 'channel', 'caseType', 'urgency', 'reply'] as const;
type Field = (typeof FIELDS)[number];

/** Schema of a column-mapping file. */
export const csvMappingSchema = z.strictObject({
  columns: z.strictObject(Object.fromEntries(FIELDS.map((f) => [f, z.string().min(1).optional()])) as Record<Field, z.ZodOptional<z.ZodString>>)
    .refine((c) => c.id !== undefined && c.openedAt !== undefined, 'columns.id and columns.openedAt are required'),
  values: z.record(z.string(), z.record(z.string(), z.string())).default({}),
  defaults: z.strictObject({
    channel: z.enum(CHANNELS).default('hotline'), caseType: z.enum(CASE_TYPES).default('help'), urgency: z.enum(URGENCIES).default('normal'),
    category: z.string().min(1).default('其他'), street: z.string().min(1).default('unknown'),
  }).prefault({}),
  /** Values of the status column that mean closed (case-insensitive); with no status column, a close time means closed. */
  closedStatuses: z.array(z.string()).default(['closed', '已结案', '已办结', '办结']),
  time: z.strictObject({ format: z.enum(['iso', 'us', 'epoch_ms', 'epoch_s']).default('iso'), zone: z.string().regex(/^(Z|[+-]\d{2}:\d{2})$/).default('+08:00') }).prefault({}),
});

/** A column mapping. */
export type CsvMapping = z.output<typeof csvMappingSchema>;

/** Validates a mapping file's content; the error lists every bad field. */
export function parseCsvMapping(raw: unknown, source: string): CsvMapping {
  const r = csvMappingSchema.safeParse(raw);
  if (!r.success) throw new Error(`${source} is not a valid column mapping:\n${r.error.issues.map((i) => `  ${i.path.map(String).join('.') || '(file)'}: ${i.message}`).join('\n')}`);
  return r.data;
}

/** Splits CSV text into rows of fields (RFC 4180). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); field = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else field += c;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}

/** Parses a time cell by the mapping's format; NaN when it is not one. */
export function parseTime(v: string, t: CsvMapping['time']): number {
  const s = v.trim();
  if (s === '') return Number.NaN;
  switch (t.format) {
    case 'epoch_ms': return /^\d+$/.test(s) ? Number(s) : Number.NaN;
    case 'epoch_s': return /^\d+(\.\d+)?$/.test(s) ? Math.round(Number(s) * 1000) : Number.NaN;
    case 'us': {
      const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?)?$/i.exec(s);
      if (!m) return Number.NaN;
      let h = Number(m[4] ?? 0);
      const ampm = m[7]?.toUpperCase();
      if (ampm === 'PM' && h < 12) h += 12;
      if (ampm === 'AM' && h === 12) h = 0;
      const p2 = (n: number | string) => String(n).padStart(2, '0');
      return Date.parse(`${m[3]}-${p2(m[1] ?? 1)}-${p2(m[2] ?? 1)}T${p2(h)}:${m[5] ?? '00'}:${m[6] ?? '00'}${t.zone}`);
    }
    case 'iso': {
      const iso = s.replace(/^(\d{4})[/.](\d{1,2})[/.](\d{1,2})/, (_, y: string, mo: string, d: string) => `${y}-${mo.padStart(2, '0')}-${d.padStart(2, '0')}`).replace(' ', 'T');
      const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : /T/.test(iso) ? `${iso}${t.zone}` : `${iso}T00:00:00${t.zone}`;
      return Date.parse(zoned);
    }
  }
}

/** Reads CSV rows (the first is the header) into records through a mapping. */
export function csvRecords(text: string, mapping: CsvMapping, config: CityopsConfig = DEFAULT_CONFIG): { records: RequestRecord[]; errors: RecordError[] } {
  const [header, ...rows] = parseCsv(text);
  if (!header) return { records: [], errors: [] };
  const index = new Map(header.map((h, i) => [h.trim(), i]));
  for (const [field, col] of Object.entries(mapping.columns)) {
    if (col !== undefined && !index.has(col)) throw new Error(`the mapping's columns.${field} names column "${col}", which the CSV header does not have (it has: ${header.join(', ')})`);
  }
  const records: RequestRecord[] = [];
  const errors: RecordError[] = [];
  rows.forEach((row, i) => {
    const cell = (f: Field): string | undefined => {
      const col = mapping.columns[f];
      const v = col === undefined ? undefined : row[index.get(col) ?? -1]?.trim();
      if (v === undefined || v === '') return undefined;
      return mapping.values[f]?.[v] ?? v;
    };
    const line = i + 2;
    const id = cell('id');
    const opened = parseTime(cell('openedAt') ?? '', mapping.time);
    if (!id) return void errors.push({ record: line, message: `no ${mapping.columns.id} value` });
    if (!Number.isFinite(opened)) return void errors.push({ record: line, message: `${mapping.columns.openedAt} "${cell('openedAt') ?? ''}" is not a time (${mapping.time.format})` });
    const closedTs = parseTime(cell('closedAt') ?? '', mapping.time);
    const status = cell('status')?.toLowerCase();
    const closed = mapping.columns.status ? mapping.closedStatuses.some((s) => s.toLowerCase() === status) : Number.isFinite(closedTs);
    const channel = oneOf(cell('channel'), CHANNELS) ?? mapping.defaults.channel;
    const lat = Number(cell('lat'));
    const lng = Number(cell('lng'));
    const description = cell('description');
    const address = cell('address');
    const unit = cell('unit');
    const reply = cell('reply');
    const category = matchCategory(cell('category'), mapping.defaults.category, config);
    records.push({
      id, openedAt: opened, closedAt: closed ? (Number.isFinite(closedTs) ? Math.max(closedTs, opened) : opened) : null, category,
      street: matchStreet(cell('street'), config) ?? matchStreet(address, config) ?? mapping.defaults.street,
      title: cell('title') ?? description?.slice(0, 60) ?? category, channel,
      caseType: oneOf(cell('caseType'), CASE_TYPES) ?? mapping.defaults.caseType, urgency: oneOf(cell('urgency'), URGENCIES) ?? mapping.defaults.urgency,
      ...(description ? { description } : {}), ...(address ? { address } : {}), ...(Number.isFinite(lat) && cell('lat') ? { lat } : {}),
      ...(Number.isFinite(lng) && cell('lng') ? { lng } : {}), ...(unit ? { unit } : {}), ...(reply ? { reply } : {}),
    });
  });
  return { records, errors };
}

function oneOf<T extends string>(v: string | undefined, list: readonly T[]): T | undefined {
  return v !== undefined && (list as readonly string[]).includes(v) ? (v as T) : undefined;
}
