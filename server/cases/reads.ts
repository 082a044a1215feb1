/**
 * What is read back from the case read model's rows, on whichever database holds them (`sql.ts`): case lists and
 * rows (`queries.ts`), one case's history (its log seqs from the rows, the bodies from the log), the duty desk's
 * history of a period, and the submitted 交接班 records. The model (`readModel.ts`) folds and writes the rows; this
 * reads them, each read after `ready`, so it sees everything the node has folded of the space.
 */
import type { CaseList, CaseQuery, CaseRow } from '@shared/cases/query';
import type { CaseState } from '@shared/cases/state';
import type { ClockId } from '@shared/domain';
import type { HandoverRecord } from '@shared/duty/handover';
import type { DutyItem } from '@shared/duty/items';
import type { CaseEvent, CaseEventType } from '@shared/events/case';
import type { HandoverDraft } from '@shared/events/handover';
import type { Shift } from '@shared/events/ops';
import type { Lateness } from '@shared/sla/lateness';
import { DAY_MS, shanghaiMidnight, type EpochMs } from '@shared/time';
import type { EventStore } from '../store/types';
import { allCases, clockLateness, listCases, rowsOf } from './queries';
import type { HandoverRow } from './readModel';
import type { CaseSql } from './sql';

/** One event of a case's history, as logged. */
export interface HistoryEntry {
  readonly seq: number;
  readonly ts: number;
  readonly type: CaseEventType;
  readonly actor: string | null;
  readonly event: CaseEvent;
}

/** What a period of a space's duty desk left: its items, the submitted records and the rosters of its days. */
export interface DutyHistory {
  /** Items whose condition began in the period. */
  readonly items: DutyItem[];
  /** Records of shifts that ended in the period. */
  readonly handovers: HandoverRow[];
  /** Rosters by date. */
  readonly rosters: Map<string, readonly Shift[]>;
  /** When the space's log begins, ms (null: no event yet): a shift change before it was never handed over in it. */
  readonly since: number | null;
}

/**
 * What the duty desk of a space left in [`from`, `to`) (ms): the items whose condition began in it, the records of
 * shifts that ended in it, and the rosters of the dates `fromDate` to `toDate` (YYYY-MM-DD, both included).
 */
export async function dutyHistory(
  sql: CaseSql,
  space: string,
  from: number,
  to: number,
  fromDate: string,
  toDate: string,
): Promise<DutyHistory> {
  await sql.ready(space);
  const range = { space, from, to };
  const [items, handovers, rosters, meta] = await Promise.all([
    sql.rows(
      'SELECT state FROM duty_items WHERE space = @space AND since >= @from AND since < @to ORDER BY since, id',
      range,
    ),
    sql.rows(
      'SELECT state FROM duty_handovers WHERE space = @space AND shift_end >= @from AND shift_end < @to ORDER BY shift_end, id',
      range,
    ),
    sql.rows(
      'SELECT date, shifts FROM duty_rosters WHERE space = @space AND date >= @fromDate AND date <= @toDate ORDER BY date',
      { space, fromDate, toDate },
    ),
    sql.rows('SELECT earliest FROM read_model_meta WHERE space = @space', { space }),
  ]);
  const earliest = meta[0]?.[0];
  return {
    items: items.map(([x]) => JSON.parse(String(x)) as DutyItem),
    handovers: handovers.map(([x]) => JSON.parse(String(x)) as HandoverRow),
    rosters: new Map(rosters.map(([d, x]) => [String(d), JSON.parse(String(x)) as Shift[]] as const)),
    since: earliest === null || earliest === undefined ? null : Number(earliest),
  };
}

/** The read model's reads over one database: what the routes, the bench and the tests ask. */
export class CaseQueries {
  constructor(
    readonly sql: CaseSql,
    private readonly log: EventStore,
  ) {}

  /** A page of cases and the total matching. */
  list(q: CaseQuery, now: EpochMs): Promise<CaseList> {
    return listCases(this.sql, q, now);
  }

  /** Every matching case (up to `max`), for exports. */
  all(q: CaseQuery, now: EpochMs, max: number): Promise<CaseRow[]> {
    return allCases(this.sql, q, now, max);
  }

  /** Rows of the given cases (merged duplicates of a master), judged at `now`. */
  rowsOf(space: string, ids: readonly string[], now: EpochMs): Promise<CaseRow[]> {
    return rowsOf(this.sql, space, ids, now);
  }

  /** Lateness of each running clock of a case. */
  clockLateness(space: string, c: CaseState, now: EpochMs): Promise<Partial<Record<ClockId, Lateness>>> {
    return clockLateness(this.sql, space, c, now);
  }

  /** The duty desk's history of a period (`dutyHistory`). */
  dutyHistory(space: string, from: number, to: number, fromDate: string, toDate: string): Promise<DutyHistory> {
    return dutyHistory(this.sql, space, from, to, fromDate, toDate);
  }

  /** A case's events in log order (bodies read from the log by seq). */
  async history(space: string, id: string): Promise<HistoryEntry[]> {
    await this.sql.ready(space);
    const [row] = await this.sql.rows('SELECT seqs FROM case_history WHERE space = @space AND case_id = @id', {
      space,
      id,
    });
    if (!row) return [];
    const seqs = String(row[0])
      .split(',')
      .map(Number)
      .sort((a, b) => a - b);
    const logged = await this.log.readSeqs(space, seqs);
    return logged.map(({ seq, event }) => {
      const e = event as CaseEvent;
      return { seq, ts: e.ts, type: e.type, actor: e.actor ?? null, event: e };
    });
  }

  /**
   * Submitted 交接班 records of a space as the desk reads them, newest shift first: those of the roster date `date`
   * (YYYY-MM-DD), or the newest `limit` of all.
   */
  async handoverRecords(space: string, date: string | undefined, limit: number): Promise<HandoverRecord[]> {
    await this.sql.ready(space);
    const rows =
      date === undefined
        ? await this.sql.rows(
            'SELECT state, record FROM duty_handovers WHERE space = @space AND record IS NOT NULL ORDER BY shift_end DESC, id DESC LIMIT @limit',
            { space, limit },
          )
        : // A date's shifts end on it or within the two days after it (a night shift ends the next morning).
          await this.sql.rows(
            'SELECT state, record FROM duty_handovers WHERE space = @space AND shift_end >= @from AND shift_end < @to AND record IS NOT NULL ORDER BY shift_end DESC, id DESC',
            { space, from: shanghaiMidnight(date), to: shanghaiMidnight(date) + 3 * DAY_MS },
          );
    return rows
      .map(([state, record]) => handoverRecordOf(state, record))
      .filter((r) => date === undefined || r.record.date === date)
      .sort((a, b) => b.record.start - a.record.start)
      .slice(0, limit);
  }

  /** One submitted 交接班 record of a space by its handover id, or undefined. */
  async handoverRecord(space: string, id: string): Promise<HandoverRecord | undefined> {
    await this.sql.ready(space);
    const [row] = await this.sql.rows(
      'SELECT state, record FROM duty_handovers WHERE space = @space AND id = @id AND record IS NOT NULL',
      { space, id },
    );
    return row ? handoverRecordOf(row[0], row[1]) : undefined;
  }

  /**
   * Ids of the cases of a space received in [`from`, `to`] (ms, both included), newest first, at most `max`: of the
   * given categories (all when null), open or closed only when `open` says so (Open311's request lists).
   */
  async requestIds(
    space: string,
    range: { readonly from: number; readonly to: number },
    categories: readonly string[] | null,
    open: boolean | null,
    max: number,
  ): Promise<string[]> {
    await this.sql.ready(space);
    const where = ['space = @space', 'received_at >= @from', 'received_at <= @to'];
    const params: Record<string, string | number> = { space, from: range.from, to: range.to, max };
    // No category at all matches nothing (PostgreSQL has no empty IN list).
    if (categories?.length === 0) where.push('1 = 0');
    else if (categories) {
      where.push(`category IN (${categories.map((_, i) => `@category${i}`).join(', ')})`);
      categories.forEach((c, i) => {
        params[`category${i}`] = c;
      });
    }
    if (open !== null) where.push(`open = ${open ? 1 : 0}`);
    const rows = await this.sql.rows(
      `SELECT id FROM cases WHERE ${where.join(' AND ')} ORDER BY received_at DESC, id LIMIT @max`,
      params,
    );
    return rows.map(([id]) => String(id));
  }
}

/** A record as the desk reads it, from its row's JSON and its draft's. */
function handoverRecordOf(state: unknown, record: unknown): HandoverRecord {
  const row = JSON.parse(String(state)) as HandoverRow;
  return {
    id: row.id,
    record: JSON.parse(String(record)) as HandoverDraft,
    submitted: row.submitted,
    signed: row.signed,
  };
}
