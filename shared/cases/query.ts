/**
 * The supervisor's case query: one filter schema for `GET /api/v1/cases`, the exports and the `/cases` page (the wall
 * links with the same names), and the row a list returns. A row's lateness is judged by `sla/lateness.ts`, the rule
 * the wall's overdue panel uses too, so the wall's figure and the list's total agree.
 */
import { z } from 'zod';
import { CASE_FLAGS, CASE_TYPES, CHANNELS, CLOCKS, STAGES, URGENCIES, type CaseFlag, type ClockId } from '../domain';
import { spaceName } from '../contract';
import type { CaseEventType } from '../events/case';
import type { Lateness } from '../sla/lateness';
import { isDateKey, shanghaiMidnight, type EpochMs } from '../time';
import type { CaseState } from './state';

/** Which cases a list holds: late now (overdue, at risk, either), or by lifecycle (open, closed, all). */
export const CASE_STATUSES = ['late', 'overdue', 'at_risk', 'open', 'closed', 'all'] as const;
/** A list status filter. */
export type CaseStatusFilter = (typeof CASE_STATUSES)[number];

/** Sort orders: most overdue first (nearest running deadline first), newest or oldest received. */
export const CASE_SORTS = ['overdue', 'received_desc', 'received_asc'] as const;
/** A sort order. */
export type CaseSort = (typeof CASE_SORTS)[number];

/** Largest page a list returns. */
export const MAX_PAGE_SIZE = 200;
/** Most cases one export holds: more matching is refused (the page says so before), never cut short. */
export const EXPORT_MAX_ROWS = 100_000;

const text = z.string().trim().min(1).max(64);
/**
 * A date `YYYY-MM-DD` (a Shanghai civil day, which must exist: 2026-02-30 would roll over into March) or epoch
 * milliseconds, as the query string gives them; a refusal says which it expected.
 */
const instant = z.string().transform((v, ctx): number => {
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    if (isDateKey(v)) return shanghaiMidnight(v);
    ctx.addIssue({ code: 'custom', message: `"${v}" names a day that does not exist` });
    return z.NEVER;
  }
  const ms = /^\d{1,13}$/.test(v) ? Number(v) : Number.NaN;
  if (ms <= 4_102_444_800_000) return ms;
  ctx.addIssue({ code: 'custom', message: `"${v.slice(0, 32)}" is not a date YYYY-MM-DD or epoch ms` });
  return z.NEVER;
});

/** The filters of a case list (query-string names). `from`/`to` bound the received time: from inclusive, to exclusive. */
export const caseQuerySchema = z.strictObject({
  space: spaceName.default('live'),
  status: z.enum(CASE_STATUSES).default('late'),
  street: text.optional(),
  unit: text.optional(),
  channel: z.enum(CHANNELS).optional(),
  type: z.enum(CASE_TYPES).optional(),
  category: text.optional(),
  urgency: z.enum(URGENCIES).optional(),
  stage: z.enum(STAGES).optional(),
  /** Comma-separated flags; a case must carry all of them. */
  flags: z
    .string()
    .max(100)
    .optional()
    .transform((s, ctx) => {
      const list = (s ?? '')
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
      for (const f of list)
        if (!(CASE_FLAGS as readonly string[]).includes(f))
          ctx.addIssue({ code: 'custom', message: `unknown flag "${f}" (one of ${CASE_FLAGS.join(', ')})` });
      return list as CaseFlag[];
    }),
  clock: z.enum(CLOCKS).optional(),
  /** Overdue by more than this many minutes (implies overdue). */
  overdueBy: z.coerce.number().int().min(0).max(525_600).optional(),
  q: z.string().trim().max(64).optional(),
  from: instant.optional(),
  to: instant.optional(),
  sort: z.enum(CASE_SORTS).default('overdue'),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50),
});

/** A parsed case query. */
export type CaseQuery = z.output<typeof caseQuerySchema>;

/** Parses query-string values (repeated names take the first value; empty values are absent). */
export function parseCaseQuery(raw: Readonly<Record<string, unknown>>): ReturnType<typeof caseQuerySchema.safeParse> {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    const s = Array.isArray(v) ? v[0] : v;
    if (typeof s === 'string' && s !== '') flat[k] = s;
  }
  return caseQuerySchema.safeParse(flat);
}

/** The query-string of a query, defaults left out (what the page puts in its URL). */
export function caseQueryParams(q: Partial<CaseQuery>): Record<string, string> {
  const out: Record<string, string> = {};
  const defaults: Record<string, unknown> = { status: 'late', sort: 'overdue', page: 1, pageSize: 50 };
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '' || (k in defaults && String(defaults[k]) === String(v))) continue;
    if (Array.isArray(v)) {
      if (v.length > 0) out[k] = v.join(',');
      continue;
    }
    out[k] = String(v);
  }
  return out;
}

/** A case's lateness now (the rule is `sla/lateness.ts`). */
export type { Lateness } from '../sla/lateness';

/** One row of a case list. Text fields come from citizens: render as text. */
export interface CaseRow {
  readonly id: string;
  readonly channel: CaseState['channel'];
  readonly caseType: CaseState['caseType'];
  readonly urgency: CaseState['urgency'];
  readonly flags: readonly CaseFlag[];
  readonly category: string;
  readonly street: string;
  readonly unit: string | null;
  readonly stage: CaseState['stage'];
  readonly title: string;
  readonly receivedAt: EpochMs;
  readonly lateness: Lateness;
  /** The clock that is (most) late, or the nearest running one. */
  readonly clock: ClockId | null;
  /** Deadline of that clock (ms). */
  readonly deadline: EpochMs | null;
  /** Minutes past that deadline (0 when not overdue). */
  readonly overdueMinutes: number;
  readonly supervisedCount: number;
  readonly exempt: boolean;
}

/** A page of a case list. */
export interface CaseList {
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  /** The instant lateness was judged at (ms). */
  readonly at: EpochMs;
  readonly items: readonly CaseRow[];
}

/** One event of a case's history as the case page shows it. Text fields are untrusted: render as text. */
export interface CaseHistoryItem {
  readonly seq: number;
  readonly ts: EpochMs;
  readonly type: CaseEventType;
  readonly actor: string | null;
  readonly event: Readonly<Record<string, unknown>>;
}

/** `GET /api/v1/cases/:id`: the case, its clocks now, its whole history and its merged duplicates. */
export interface CaseDetail {
  readonly space: string;
  readonly at: EpochMs;
  readonly state: CaseState;
  readonly description: string | null;
  readonly address: string | null;
  readonly clocks: Partial<Record<ClockId, Lateness>>;
  readonly history: readonly CaseHistoryItem[];
  readonly duplicates: readonly CaseRow[];
}

/** `GET /api/v1/directory`: the configured names the supervisor pages show, and the space's clock now (ms). */
export interface Directory {
  readonly streets: readonly { readonly id: string; readonly name: string }[];
  readonly units: readonly { readonly id: string; readonly name: string }[];
  readonly categories: readonly string[];
  readonly scoring: readonly {
    readonly id: string;
    readonly label: string;
    readonly weight: number;
    readonly target: number;
    readonly kind: string;
  }[];
  readonly now: EpochMs;
}
