/**
 * The mapping report of an import: for each mapped field (category, street, unit, channel) every source value, what it
 * became and how many rows, and which values fell back (to a default, or kept as given though not configured) and why.
 * Printed before anything is sent; `--strict` refuses an import with any fallback.
 */

/** The fields an import maps onto the configuration. */
export const MAPPED_FIELDS = ['category', 'street', 'unit', 'channel'] as const;
/** One of `MAPPED_FIELDS`. */
export type MappedField = (typeof MAPPED_FIELDS)[number];

/** One source value of a field: what it became, in how many rows; `fallback` says why it is not a configured match. */
export interface MappingEntry {
  readonly source: string;
  readonly target: string;
  readonly rows: number;
  readonly fallback: string | null;
}

/** The report: rows read, each field's entries (most rows first) and where each field was read from. */
export interface MappingReport {
  readonly rows: number;
  readonly fields: Readonly<Record<MappedField, readonly MappingEntry[]>>;
  readonly sources: Readonly<Partial<Record<MappedField, string>>>;
}

/** Shown for an empty source cell. */
export const EMPTY = '(empty)';

/** Counts what each source value became, row by row. */
export class MappingTally {
  private readonly seen = new Map<
    MappedField,
    Map<string, { target: string; rows: number; fallback: string | null }>
  >();
  private rows = 0;
  constructor(private readonly sources: Partial<Record<MappedField, string>>) {}

  /** Counts one row (call once per record). */
  row(): void {
    this.rows++;
  }

  /** Notes that `source` (undefined: empty cell) became `target`; `fallback` null when it matched the configuration. */
  add(field: MappedField, source: string | undefined, target: string, fallback: string | null): void {
    let m = this.seen.get(field);
    if (!m) this.seen.set(field, (m = new Map()));
    const key = source ?? EMPTY;
    const e = m.get(key);
    if (e) e.rows++;
    else m.set(key, { target, rows: 1, fallback });
  }

  /** The report so far. */
  report(): MappingReport {
    const fields = Object.fromEntries(
      MAPPED_FIELDS.map((f) => [
        f,
        [...(this.seen.get(f) ?? new Map<string, { target: string; rows: number; fallback: string | null }>())]
          .map(([source, e]) => ({ source, ...e }))
          .sort((a, b) => b.rows - a.rows || a.source.localeCompare(b.source)),
      ]),
    ) as Record<MappedField, MappingEntry[]>;
    return { rows: this.rows, fields, sources: this.sources };
  }
}

/** Every entry that fell back, with its field. */
export function fallbacks(r: MappingReport): (MappingEntry & { readonly field: MappedField })[] {
  return MAPPED_FIELDS.flatMap((field) =>
    r.fields[field].filter((e) => e.fallback !== null).map((e) => ({ ...e, field })),
  );
}

/** The report as text: a block per field, then a summary of the fallbacks. */
export function formatReport(r: MappingReport, header: string, maxValues = 40): string {
  const out = [header];
  for (const field of MAPPED_FIELDS) {
    const entries = r.fields[field];
    out.push(`  ${field} (${r.sources[field] ?? 'not mapped'}): ${entries.length} value(s)`);
    const w = Math.min(40, Math.max(0, ...entries.map((e) => e.source.length)));
    for (const e of entries.slice(0, maxValues)) {
      out.push(
        `    ${e.source.padEnd(w)} → ${e.target}  ${e.rows} row(s)${e.fallback ? `  FALLBACK: ${e.fallback}` : ''}`,
      );
    }
    if (entries.length > maxValues) {
      const rest = entries.slice(maxValues);
      out.push(
        `    … ${rest.length} more value(s), ${rest.reduce((s, e) => s + e.rows, 0)} row(s), ${rest.filter((e) => e.fallback).length} of them falling back`,
      );
    }
  }
  const fb = fallbacks(r);
  if (fb.length === 0) out.push('  every value matched the configuration');
  else {
    out.push(`  ${fb.length} value(s) in ${fb.reduce((s, e) => s + e.rows, 0)} row(s) fall back:`);
    for (const field of MAPPED_FIELDS) {
      const f = fb.filter((e) => e.field === field);
      if (f.length > 0)
        out.push(
          `    ${field}: ${f
            .slice(0, 12)
            .map((e) => `"${e.source}" (${e.rows})`)
            .join(', ')}${f.length > 12 ? `, … ${f.length - 12} more` : ''}`,
        );
    }
  }
  return out.join('\n');
}

/** How an import read its times: the zone of times without an offset (null: epoch times, no zone) and how many were. */
export interface TimesRead {
  readonly zone: string | null;
  /** Where the zone comes from: `the mapping's time.zone`, `--zone`, `the default`. */
  readonly via: string;
  /** Times read (open and close times of the records imported), and how many of them carried no offset. */
  readonly total: number;
  readonly zoned: number;
}

/** The times line of the report: `times without an offset: 12 of 40, read as America/New_York time (--zone)`. */
export function describeTimes(t: TimesRead): string {
  if (t.zone === null) return `  times: ${t.total} epoch time(s), instants as given (no zone needed)`;
  return `  times without an offset: ${t.zoned} of ${t.total}, read as ${t.zone} time (${t.via})${t.zoned === t.total ? '' : '; the others keep their own offset'}`;
}
