/**
 * CSV exports of a case system (any columns) as request records, through a column-mapping file:
 *
 *   { "columns": { "id": "Case ID", "openedAt": "Opened", "closedAt": "Closed", "category": "Category", ... },
 *     "values": { "category": { "Street Cleaning": "市容环卫" }, "channel": { "Phone": "hotline" } },
 *     "defaults": { "channel": "hotline", "category": "其他", "street": "unknown" },
 *     "time": { "format": "iso" | "us" | "epoch_ms" | "epoch_s", "zone": "Asia/Shanghai" } }
 *
 * Categories, streets and units are matched against the configuration (the server's `CITYOPS_CONFIG`); what does not
 * match falls back (a default category or street; a unit kept as given) and is listed in the mapping report.
 *
 * The CSV reader follows RFC 4180 (quoted fields, doubled quotes, CR LF or LF, a BOM).
 */
import { z } from 'zod';
import { DEFAULT_CONFIG, type CityopsConfig } from '@shared/config';
import { cutText } from '@shared/text';
import { CASE_TYPES, CHANNELS, URGENCIES } from '@shared/domain';
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
import type { RenamedId } from './caseIds';
import { EMPTY, MappingTally, type MappedField, type MappingReport, type TimesRead } from './report';
import { SameIdCheck, type SameIdRecord } from './sameId';
import { isIanaZone, isoInstant, validParts, zonedInstant, type ReadInstant } from '@shared/zone';

const FIELDS = [
  'id',
  'openedAt',
  'closedAt',
  'status',
  'category',
  'street',
  'title',
  'description',
  'address',
  'lat',
  'lng',
  'unit',
  'channel',
  'caseType',
  'urgency',
  'reply',
] as const;
type Field = (typeof FIELDS)[number];

const TIME_FORMATS = ['iso', 'us', 'epoch_ms', 'epoch_s'] as const;

/** Schema of a column-mapping file. */
export const csvMappingSchema = z.strictObject({
  columns: z
    .strictObject(
      Object.fromEntries(FIELDS.map((f) => [f, z.string().min(1).optional()])) as Record<
        Field,
        z.ZodOptional<z.ZodString>
      >,
    )
    .refine((c) => c.id !== undefined && c.openedAt !== undefined, 'columns.id and columns.openedAt are required'),
  values: z.record(z.string(), z.record(z.string(), z.string())).default({}),
  defaults: z
    .strictObject({
      channel: z.enum(CHANNELS).default('hotline'),
      caseType: z.enum(CASE_TYPES).default('help'),
      urgency: z.enum(URGENCIES).default('normal'),
      category: z.string().min(1).default('其他'),
      street: z.string().min(1).default('unknown'),
    })
    .prefault({}),
  /** Values of the status column that mean closed (case-insensitive); with no status column, a close time means closed. */
  closedStatuses: z.array(z.string()).default(['closed', '已结案', '已办结', '办结']),
  /** The time format, and the IANA zone of times that carry no offset (required unless the format is an epoch). */
  time: z
    .strictObject({
      format: z.enum(TIME_FORMATS).default('iso'),
      zone: z
        .string()
        .refine(isIanaZone, {
          error: (iss) =>
            `"${String(iss.input)}" is not an IANA time zone name such as Asia/Shanghai or America/New_York (a fixed offset cannot follow daylight saving)`,
        })
        .optional(),
    })
    .prefault({})
    .superRefine((t, ctx) => {
      if (t.zone === undefined && (t.format === 'iso' || t.format === 'us')) {
        ctx.addIssue({
          code: 'custom',
          path: ['zone'],
          message: `is required: the export's local times mean nothing without their zone; name it, e.g. "zone": "Asia/Shanghai" or "America/New_York" (daylight saving is followed)`,
        });
      }
    }),
});

/** A column mapping. */
export type CsvMapping = z.output<typeof csvMappingSchema>;

/** Validates a mapping file's content; the error lists every bad field. */
export function parseCsvMapping(raw: unknown, source: string): CsvMapping {
  const r = csvMappingSchema.safeParse(raw);
  if (!r.success)
    throw new Error(
      `${source} is not a valid column mapping:\n${r.error.issues.map((i) => `  ${i.path.map(String).join('.') || '(file)'}: ${i.message}`).join('\n')}`,
    );
  return r.data;
}

/** Splits CSV text into rows of fields (RFC 4180). */
export function parseCsv(text: string): string[][] {
  return parseCsvRows(text).map((r) => r.fields);
}

/**
 * A CSV row and the file line it starts on (1-based; a quoted field may span lines). `unclosed`: a quoted field opened
 * on line `from` is never closed, so the rest of the file, to line `to`, was read into it.
 */
export interface CsvRow {
  readonly fields: string[];
  readonly line: number;
  readonly unclosed?: { readonly from: number; readonly to: number };
}

/** Splits CSV text into rows of fields with the line each starts on; blank lines are skipped. */
export function parseCsvRows(text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let quoteLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
        field += c;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
      quoteLine = line;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.length > 1 || row[0] !== '') rows.push({ fields: row, line: rowLine });
      row = [];
      rowLine = ++line;
    } else field += c;
  }
  if (quoted) {
    const to = /[\r\n]$/.test(text) ? line - 1 : line;
    rows.push({ fields: [...row, field], line: rowLine, unclosed: { from: quoteLine, to } });
  } else if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push({ fields: row, line: rowLine });
  }
  return rows;
}

/** Parses a time cell by the mapping's format; NaN when it is not one. A time without an offset is in `t.zone`. */
export function parseTime(v: string, t: CsvMapping['time']): number {
  return readTime(v, t)?.ms ?? Number.NaN;
}

/** A time cell as an instant and whether it carried its instant itself (an offset, or an epoch), or null. */
export function readTime(v: string, t: CsvMapping['time']): ReadInstant | null {
  const s = v.trim();
  if (s === '') return null;
  switch (t.format) {
    case 'epoch_ms':
      return /^\d+$/.test(s) ? { ms: Number(s), offset: true } : null;
    case 'epoch_s':
      return /^\d+(\.\d+)?$/.test(s) ? { ms: Math.round(Number(s) * 1000), offset: true } : null;
    case 'us': {
      const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?)?$/i.exec(s);
      if (!m) return null;
      let h = Number(m[4] ?? 0);
      const ampm = m[7]?.toUpperCase();
      if (ampm && (h < 1 || h > 12)) return null;
      if (ampm === 'PM' && h < 12) h += 12;
      if (ampm === 'AM' && h === 12) h = 0;
      const [y, mo, d, mi, sec] = [m[3], m[1], m[2], m[5], m[6]].map((x) => Number(x ?? 0)) as [
        number,
        number,
        number,
        number,
        number,
      ];
      if (t.zone === undefined || !validParts(y, mo, d, h, mi, sec)) return null;
      return { ms: zonedInstant(t.zone, y, mo, d, h, mi, sec, 0), offset: false };
    }
    case 'iso':
      return isoInstant(s, t.zone);
  }
}

/**
 * What reading an export gives: the records (the first of each case id), the rows that could not be read, the rows
 * read with a warning, the later rows of an id already read (left out), the records whose id became a short form, how
 * times were read and the mapping report of the records.
 */
export interface ReadRecords {
  readonly records: RequestRecord[];
  readonly errors: RecordError[];
  readonly warnings: RecordError[];
  /** What of the records read their cases cannot keep as given (a text cut, a long unit name's short form, a coordinate left out), at its column. */
  readonly altered: RecordError[];
  readonly sameId: SameIdRecord[];
  readonly renamed: RenamedId[];
  readonly times: TimesRead;
  readonly report: MappingReport;
}

/** Reads CSV rows (the first is the header) into records through a mapping; row numbers count data rows from 1. */
export function csvRecords(text: string, mapping: CsvMapping, config: CityopsConfig = DEFAULT_CONFIG): ReadRecords {
  const [header, ...rows] = parseCsvRows(text);
  const col = (f: MappedField) =>
    mapping.columns[f]
      ? `column "${mapping.columns[f]}"`
      : `not mapped: default "${String(mapping.defaults[f === 'unit' ? 'street' : f] ?? '')}"`;
  const tally = new MappingTally({
    category: col('category'),
    street: `${col('street')}${mapping.columns.address ? `, else column "${mapping.columns.address}"` : ''}`,
    unit: mapping.columns.unit ? `column "${mapping.columns.unit}"` : 'not mapped: no unit',
    channel: col('channel'),
  });
  const zone = mapping.time.zone;
  const times = { zone: zone ?? null, via: "the mapping's time.zone", total: 0, zoned: 0 };
  if (!header)
    return {
      records: [],
      errors: [],
      warnings: [],
      altered: [],
      sameId: [],
      renamed: [],
      times,
      report: tally.report(),
    };
  if (header.unclosed)
    throw new Error(
      `the CSV header's quoted cell opened on line ${header.unclosed.from} is never closed: the whole file was read into it`,
    );
  const index = new Map(header.fields.map((h, i) => [h.trim(), i]));
  // A row's cells as given, by column (a header named twice by its position).
  const names = header.fields.map((h) => h.trim());
  const label = (i: number) =>
    names[i] && names.indexOf(names[i]) === names.lastIndexOf(names[i]) ? names[i] : `column ${i + 1}`;
  const same = new SameIdCheck();
  for (const [field, c] of Object.entries(mapping.columns)) {
    if (c !== undefined && !index.has(c))
      throw new Error(
        `the mapping's columns.${field} names column "${c}", which the CSV header does not have (it has: ${header.fields.join(', ')})`,
      );
  }
  const mapped = new Set(Object.values(mapping.columns).map((c) => index.get(c ?? '') ?? -1));
  const records: RequestRecord[] = [];
  const errors: RecordError[] = [];
  const warnings: RecordError[] = [];
  const altered: RecordError[] = [];
  rows.forEach(({ fields: row, line, unclosed }, i) => {
    const at = { record: i + 1, line };
    if (unclosed)
      return void errors.push({
        ...at,
        message: `a quoted cell opened on line ${unclosed.from} is never closed: lines ${unclosed.from}–${unclosed.to}, the rest of the file, were read into it`,
      });
    const width = widthProblem(row.length, names, mapped);
    if (width?.refused) return void errors.push({ ...at, message: width.message });
    if (width) warnings.push({ ...at, message: width.message });
    const raw = (f: Field): string | undefined => {
      const c = mapping.columns[f];
      const v = c === undefined ? undefined : row[index.get(c) ?? -1]?.trim();
      return v === undefined || v === '' ? undefined : v;
    };
    const cell = (f: Field): string | undefined => {
      const v = raw(f);
      return v === undefined ? undefined : (mapping.values[f]?.[v] ?? v);
    };
    const id = cell('id');
    if (!id) return void errors.push({ ...at, column: mapping.columns.id, message: 'no id: the cell is empty' });
    const openedAt = readTime(cell('openedAt') ?? '', mapping.time);
    const opened = openedAt?.ms ?? Number.NaN;
    if (!openedAt)
      return void errors.push({
        ...at,
        column: mapping.columns.openedAt,
        message: `"${cell('openedAt') ?? ''}" is not a time (${timeFormatHint(mapping.time.format)})`,
      });
    const closedCell = cell('closedAt');
    const closedAt = readTime(closedCell ?? '', mapping.time);
    const closedTs = closedAt?.ms ?? Number.NaN;
    if (closedCell !== undefined && !closedAt)
      return void errors.push({
        ...at,
        column: mapping.columns.closedAt,
        message: `"${closedCell}" is not a time (${timeFormatHint(mapping.time.format)})`,
      });
    // A time the log does not take would leave the case half imported (its later steps refused): the row is refused.
    for (const [read, field] of [
      [openedAt, 'openedAt'],
      [closedAt, 'closedAt'],
    ] as const) {
      const out = read ? timeOutOfRange(read.ms) : null;
      if (out)
        return void errors.push({ ...at, column: mapping.columns[field], message: `"${cell(field) ?? ''}" ${out}` });
    }
    // A status says open or closed; with no status (no column, or an empty cell) the close time does.
    const status = cell('status')?.toLowerCase();
    const closed =
      status !== undefined ? mapping.closedStatuses.some((s) => s.toLowerCase() === status) : closedAt !== null;
    // Times are kept as given or the row is refused: a close before the open, a closed status without a close time,
    // or a close time beside a status that is not closed, is never turned into what the export does not say.
    if (closed && Number.isFinite(closedTs) && closedTs < opened)
      return void errors.push({
        ...at,
        column: mapping.columns.closedAt,
        message: `"${closedCell ?? ''}" is before the open time "${cell('openedAt') ?? ''}" (column "${mapping.columns.openedAt ?? ''}"): a case cannot close before it is received`,
      });
    if (closed && !Number.isFinite(closedTs))
      return void errors.push({
        ...at,
        column: mapping.columns.closedAt ?? mapping.columns.status,
        message: `the status "${raw('status') ?? ''}" means closed, but there is no close time (${mapping.columns.closedAt ? 'the cell is empty' : 'columns.closedAt is not mapped'})`,
      });
    if (!closed && closedAt)
      return void errors.push({
        ...at,
        column: mapping.columns.closedAt,
        message: `"${closedCell ?? ''}" is a close time, but the status "${raw('status') ?? ''}" (column "${mapping.columns.status ?? ''}") is not one of closedStatuses (${mapping.closedStatuses.map((s) => JSON.stringify(s)).join(', ')}): the row says both open and closed`,
      });
    const cells = row.map((v, c) => [label(c), v] as const);
    if (!same.isFirst(at, id, cells)) return;
    tally.row();
    times.total += closed ? 2 : 1;
    times.zoned += (openedAt.offset ? 0 : 1) + (closed && closedAt && !closedAt.offset ? 1 : 0);
    const channelCell = cell('channel');
    const channel = oneOf(channelCell, CHANNELS);
    tally.add(
      'channel',
      raw('channel'),
      channel ?? mapping.defaults.channel,
      channel ? null : channelCell === undefined ? 'empty: the default channel' : 'not a channel: the default',
    );
    const lat = readCoordinate(cell('lat'), 'lat');
    const lng = readCoordinate(cell('lng'), 'lng');
    const description = cell('description');
    const address = cell('address');
    const unitCell = cell('unit');
    const unit = matchUnit(unitCell, config);
    if (mapping.columns.unit)
      tally.add(
        'unit',
        raw('unit'),
        unit ?? (unitCell === undefined ? '(none: closed directly or left open)' : unitNameOf(unitCell)),
        unit || !unitCell
          ? null
          : unitCell === unitNameOf(unitCell)
            ? 'not a configured unit: kept as given'
            : 'not a configured unit, longer than a unit name holds: kept as a short form',
      );
    const reply = cell('reply');
    const categoryCell = cell('category');
    const category = matchCategory(categoryCell, mapping.defaults.category, config);
    tally.add(
      'category',
      raw('category'),
      category,
      categoryCell !== undefined && config.categories.includes(categoryCell)
        ? null
        : categoryCell === undefined
          ? 'empty: the default category'
          : 'not a configured category: the default',
    );
    const street = matchStreet(cell('street'), config) ?? matchStreet(address, config);
    tally.add(
      'street',
      raw('street') ?? (address ? `${EMPTY} address: ${address.slice(0, 40)}` : undefined),
      street ?? mapping.defaults.street,
      street ? null : `not a configured street${address ? ' (nor in the address)' : ''}: the default`,
    );
    const { record, notes } = fitRecord({
      id,
      openedAt: opened,
      closedAt: closed ? closedTs : null,
      category,
      street: street ?? mapping.defaults.street,
      title: cell('title') ?? (description === undefined ? undefined : cutText(description, 60)) ?? category,
      channel: channel ?? mapping.defaults.channel,
      caseType: oneOf(cell('caseType'), CASE_TYPES) ?? mapping.defaults.caseType,
      urgency: oneOf(cell('urgency'), URGENCIES) ?? mapping.defaults.urgency,
      ...(description ? { description } : {}),
      ...(address ? { address } : {}),
      ...(lat.value !== undefined ? { lat: lat.value } : {}),
      ...(lng.value !== undefined ? { lng: lng.value } : {}),
      ...(unitCell ? { unit: unit ?? unitCell } : {}),
      ...(reply ? { reply } : {}),
    });
    records.push(record);
    const column = (n: RecordNote): string | undefined =>
      n.field === 'title' && mapping.columns.title === undefined
        ? mapping.columns.description
        : mapping.columns[n.field];
    for (const n of [lat.note, lng.note, ...notes])
      if (n) altered.push({ ...at, column: column(n), message: n.message });
  });
  return {
    records,
    errors,
    warnings,
    altered,
    sameId: same.found,
    renamed: same.renamed,
    times,
    report: tally.report(),
  };
}

/**
 * A row with another number of cells than the header (`names`): fewer is refused unless every missing cell is of a
 * column the mapping does not read (`mapped`: indexes), then read with a warning; more is refused, as the cells after
 * an unquoted comma are shifted and which cell belongs to which column cannot be told. Null when the widths agree.
 */
function widthProblem(
  cells: number,
  names: readonly string[],
  mapped: ReadonlySet<number>,
): { refused: boolean; message: string } | null {
  const n = names.length;
  const counts = `${cells} cell(s) where the header has ${n}`;
  if (cells > n)
    return {
      refused: true,
      message: `${counts}: which cell belongs to which column cannot be told (a comma in a cell that is not quoted, or a trailing comma the header does not have)`,
    };
  if (cells === n) return null;
  const missing = names.map((name, i) => ({ name, i })).slice(cells);
  const read = missing.filter((c) => mapped.has(c.i));
  const list = (cs: typeof missing) => cs.map((c) => JSON.stringify(c.name || `column ${c.i + 1}`)).join(', ');
  return read.length > 0
    ? { refused: true, message: `${counts}: no cell for ${list(read)}, which the mapping reads` }
    : { refused: false, message: `${counts}: no cell for ${list(missing)}, which the mapping does not read; read` };
}

function timeFormatHint(f: CsvMapping['time']['format']): string {
  switch (f) {
    case 'iso':
      return 'iso: YYYY-MM-DD[ HH:MM[:SS]][offset]';
    case 'us':
      return 'us: MM/DD/YYYY[ hh:mm[:ss] [AM|PM]]';
    case 'epoch_ms':
      return 'epoch_ms: milliseconds since 1970';
    case 'epoch_s':
      return 'epoch_s: seconds since 1970';
  }
}

function oneOf<T extends string>(v: string | undefined, list: readonly T[]): T | undefined {
  return v !== undefined && (list as readonly string[]).includes(v) ? (v as T) : undefined;
}
