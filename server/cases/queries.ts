/**
 * Case lists from the read model: the filters of `shared/cases/query.ts` as one WHERE clause, lateness as the range
 * tests of `shared/sla/lateness.ts` on each running clock's marks (partial indexes over open cases answer them), a
 * total and a page; each row's lateness judged from the same marks by the same rule. Written once for both databases
 * the rows may be in (`sql.ts`): every order ends with the case id, so both give the same page.
 */
import type { CaseQuery, CaseList, CaseRow } from '@shared/cases/query';
import type { CaseState } from '@shared/cases/state';
import { CLOCKS, type ClockId } from '@shared/domain';
import { latenessAt, overdueMinutes, worstLateness, type ClockMarks, type Lateness } from '@shared/sla/lateness';
import { MINUTE_MS, type EpochMs } from '@shared/time';
import { flagMask, flagsOf, latenessSql, marksColumns } from './rows';
import type { CaseSql, SqlDialect, SqlValue } from './sql';

type Params = Record<string, string | number>;

/** The WHERE clause and parameters of a query at `now`, in `dialect`'s SQL. */
export function whereOf(q: CaseQuery, now: EpochMs, dialect: SqlDialect): { sql: string; params: Params } {
  const w: string[] = ['space = @space'];
  const params: Params = { space: q.space, now };
  const d = marksColumns(q.clock).deadline;
  switch (q.status) {
    case 'overdue':
    case 'at_risk':
    case 'late':
      w.push('open = 1', ...latenessSql(q.status, q.clock, '@now'));
      break;
    case 'open':
      w.push('open = 1');
      break;
    case 'closed':
      w.push('open = 0');
      break;
    case 'all':
      break;
  }
  if (q.overdueBy !== undefined) {
    // Overdue by more than N minutes: already overdue N minutes ago.
    w.push('open = 1', ...latenessSql('overdue', q.clock, '@overdueBefore'));
    params.overdueBefore = now - q.overdueBy * MINUTE_MS;
  }
  // Lists of open cases start from the partial indexes over open cases (a few thousand rows): `unindexed` keeps the
  // planner from walking a whole unit's or street's history through the indexes meant for lifecycle lists (SQLite: the
  // unary +).
  const onlyOpen =
    q.status === 'late' ||
    q.status === 'overdue' ||
    q.status === 'at_risk' ||
    q.status === 'open' ||
    q.overdueBy !== undefined;
  const eq = (col: string, name: string, v: string | undefined) => {
    if (v !== undefined) {
      w.push(`${onlyOpen ? dialect.unindexed(col) : col} = @${name}`);
      params[name] = v;
    }
  };
  eq('street', 'street', q.street);
  eq('unit', 'unit', q.unit);
  eq('channel', 'channel', q.channel);
  eq('case_type', 'type', q.type);
  eq('category', 'category', q.category);
  eq('urgency', 'urgency', q.urgency);
  eq('stage', 'stage', q.stage);
  if (q.flags.length > 0) {
    w.push('(flags & @flags) = @flags');
    params.flags = flagMask(q.flags);
  }
  if (q.clock && (q.status === 'open' || q.status === 'closed' || q.status === 'all')) w.push(`${d} IS NOT NULL`);
  if (q.from !== undefined) {
    w.push('received_at >= @from');
    params.from = q.from;
  }
  if (q.to !== undefined) {
    w.push('received_at < @to');
    params.to = q.to;
  }
  if (q.q) {
    w.push(`(title ${dialect.like} @like ESCAPE '\\' OR id = @qid)`);
    params.like = `%${q.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    params.qid = q.q;
  }
  return { sql: w.join(' AND '), params };
}

function orderOf(q: CaseQuery): string {
  const d = marksColumns(q.clock).deadline;
  switch (q.sort) {
    case 'overdue':
      return `${d} IS NULL, ${d} ASC, received_at ASC, id ASC`;
    case 'received_desc':
      return 'received_at DESC, id DESC';
    case 'received_asc':
      return 'received_at ASC, id ASC';
  }
}

const SELECT =
  'id, channel, case_type, urgency, flags, category, street, unit, stage, title, received_at, open, supervised, exempt, next_clock, sign_deadline, sign_risk, handle_deadline, handle_risk, callback_deadline, callback_risk';
type Raw = [
  string,
  CaseRow['channel'],
  CaseRow['caseType'],
  CaseRow['urgency'],
  number,
  string,
  string,
  string | null,
  CaseRow['stage'],
  string,
  number,
  number,
  number,
  number,
  ClockId | null,
  ...(number | null)[],
];
const MARKS_AT = 15;

/** The stored marks of the running clocks in a raw result from `MARKS_AT` (sign, handle, callback deadline/risk pairs). */
function* storedMarks(
  raw: readonly (number | string | null)[],
  at: number,
  only?: ClockId,
): Generator<{ id: ClockId; marks: ClockMarks }> {
  for (const [i, id] of CLOCKS.entries()) {
    if (only && id !== only) continue;
    const deadline = raw[at + 2 * i];
    const riskAt = raw[at + 2 * i + 1];
    if (typeof deadline === 'number' && typeof riskAt === 'number') yield { id, marks: { deadline, riskAt } };
  }
}

/** A row of the list from a raw result, its lateness judged over the query's clock (or its worst running clock). */
function toRow(raw: Raw, now: EpochMs, clock: ClockId | undefined): CaseRow {
  const [
    id,
    channel,
    caseType,
    urgency,
    flags,
    category,
    street,
    unit,
    stage,
    title,
    receivedAt,
    open,
    supervisedCount,
    exempt,
  ] = raw;
  const worst = open
    ? worstLateness(storedMarks(raw, MARKS_AT, clock), now)
    : { lateness: 'closed' as const, clock: null, deadline: null };
  return {
    id,
    channel,
    caseType,
    urgency,
    flags: flagsOf(flags),
    category,
    street,
    unit,
    stage,
    title,
    receivedAt,
    lateness: worst.lateness,
    clock: worst.clock,
    deadline: worst.deadline,
    overdueMinutes: overdueMinutes(worst.deadline, now),
    supervisedCount,
    exempt: exempt === 1,
  };
}

/** A page of cases and the total matching. */
export async function listCases(sql: CaseSql, q: CaseQuery, now: EpochMs): Promise<CaseList> {
  await sql.ready(q.space);
  const where = whereOf(q, now, sql.dialect);
  // Both at once: on SQLite both read the same written rows; on PostgreSQL they run side by side.
  const [count, rows] = await Promise.all([
    sql.rows(`SELECT count(*) FROM cases WHERE ${where.sql}`, where.params),
    sql.rows(`SELECT ${SELECT} FROM cases WHERE ${where.sql} ORDER BY ${orderOf(q)} LIMIT @limit OFFSET @offset`, {
      ...where.params,
      limit: q.pageSize,
      offset: (q.page - 1) * q.pageSize,
    }),
  ]);
  return {
    total: Number(count[0]?.[0] ?? 0),
    page: q.page,
    pageSize: q.pageSize,
    at: now,
    items: (rows as Raw[]).map((r) => toRow(r, now, q.clock)),
  };
}

/** Every matching case (up to `max`), for exports. */
export async function allCases(sql: CaseSql, q: CaseQuery, now: EpochMs, max: number): Promise<CaseRow[]> {
  await sql.ready(q.space);
  const where = whereOf(q, now, sql.dialect);
  const rows = await sql.rows(`SELECT ${SELECT} FROM cases WHERE ${where.sql} ORDER BY ${orderOf(q)} LIMIT @limit`, {
    ...where.params,
    limit: max,
  });
  return (rows as Raw[]).map((r) => toRow(r, now, q.clock));
}

/** Rows of the given cases (merged duplicates of a master), in the order of `ids`, judged at `now`. */
export async function rowsOf(sql: CaseSql, space: string, ids: readonly string[], now: EpochMs): Promise<CaseRow[]> {
  if (ids.length === 0) return [];
  await sql.ready(space);
  const params: Record<string, SqlValue> = { space };
  ids.forEach((id, i) => {
    params[`id${i}`] = id;
  });
  const rows = (await sql.rows(
    `SELECT ${SELECT} FROM cases WHERE space = @space AND id IN (${ids.map((_, i) => `@id${i}`).join(', ')})`,
    params,
  )) as Raw[];
  const byId = new Map(rows.map((r) => [r[0], r]));
  return ids
    .map((id) => byId.get(id))
    .filter((r): r is Raw => r !== undefined)
    .map((r) => toRow(r, now, undefined));
}

/** Lateness of each running clock of a case. */
export async function clockLateness(
  sql: CaseSql,
  space: string,
  c: CaseState,
  now: EpochMs,
): Promise<Partial<Record<ClockId, Lateness>>> {
  await sql.ready(space);
  const out: Partial<Record<ClockId, Lateness>> = {};
  const [raw] = await sql.rows(
    'SELECT sign_deadline, sign_risk, handle_deadline, handle_risk, callback_deadline, callback_risk FROM cases WHERE space = @space AND id = @id',
    { space, id: c.id },
  );
  if (!raw) return out;
  for (const { id, marks } of storedMarks(raw, 0)) out[id] = latenessAt(marks, now);
  return out;
}
