/**
 * Where the case read model's queries run: the node's own SQLite file, or (on a cluster) the rows in PostgreSQL that
 * every node reads. The queries (`queries.ts`, `scorecards.ts`) are written once, with named parameters (`@name`), and
 * run on either; the few places the two SQL dialects differ are the functions of `SqlDialect`.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';

export type SqlValue = string | number | null;
export type SqlParams = Readonly<Record<string, SqlValue>>;

/** What differs between the two databases' SQL. */
export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres';
  /**
   * A column compared where the planner must not start from its index (lists of open cases start from the partial
   * indexes over open cases). SQLite: the unary `+`; PostgreSQL plans that by its statistics.
   */
  unindexed(col: string): string;
  /** A case-insensitive LIKE for ASCII letters (SQLite's LIKE is; PostgreSQL's is not, its ILIKE is). */
  readonly like: string;
  /** The Asia/Shanghai date (YYYY-MM-DD) of an epoch-ms column. */
  shanghaiDate(col: string): string;
}

/** A database the read model's queries run on. */
export interface CaseSql {
  readonly dialect: SqlDialect;
  /**
   * Brings the rows of `space` up to everything this node has folded of it, before a read (SQLite: writes what is
   * pending; PostgreSQL: waits until the cluster's writer has written that far).
   */
  ready(space: string): Promise<void>;
  /** The result rows as arrays of column values; counts and sums as numbers. */
  rows(sql: string, params?: SqlParams): Promise<SqlValue[][]>;
}

/** The first row's first value as a number (a count or a sum; 0 for none). */
export async function scalar(db: CaseSql, sql: string, params?: SqlParams): Promise<number> {
  const rows = await db.rows(sql, params);
  return Number(rows[0]?.[0] ?? 0);
}

export const SQLITE: SqlDialect = {
  name: 'sqlite',
  unindexed: (col) => `+${col}`,
  like: 'LIKE',
  shanghaiDate: (col) => `strftime('%Y-%m-%d', (${col} + 28800000) / 1000, 'unixepoch')`,
};

export const POSTGRES: SqlDialect = {
  name: 'postgres',
  unindexed: (col) => col,
  like: 'ILIKE',
  shanghaiDate: (col) => `to_char(to_timestamp((${col} + 28800000) / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
};

/** Queries on a SQLite file; `ready` is the read model's flush. */
export function sqliteSql(db: Database.Database, flush: () => void): CaseSql {
  return {
    dialect: SQLITE,
    ready: async () => flush(),
    rows: async (sql, params = {}) => db.prepare(sql).raw().all(params) as SqlValue[][],
  };
}

/** `@name` parameters as PostgreSQL's `$n`, and the values in order. */
export function positional(sql: string, params: SqlParams): { text: string; values: SqlValue[] } {
  const index = new Map<string, number>();
  const values: SqlValue[] = [];
  const text = sql.replace(/@([A-Za-z_]\w*)/g, (_, name: string) => {
    let i = index.get(name);
    if (i === undefined) {
      if (!(name in params)) throw new Error(`query parameter @${name} has no value`);
      values.push(params[name]!);
      i = values.length;
      index.set(name, i);
    }
    return `$${i}`;
  });
  return { text, values };
}

/** Queries on PostgreSQL; `ready` waits for the cluster's writer (`PgCaseRows.ready`). */
export function postgresSql(pool: pg.Pool, types: typeof pg.types, ready: (space: string) => Promise<void>): CaseSql {
  // int8 (counts) and numeric (sums of int8) read as numbers: every value the read model counts or sums fits.
  const numbers: pg.CustomTypesConfig = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === 20 || oid === 1700 ? Number : types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
  };
  return {
    dialect: POSTGRES,
    ready,
    rows: async (sql, params = {}) => {
      const { text, values } = positional(sql, params);
      const res = await pool.query({ text, values, rowMode: 'array', types: numbers });
      return res.rows as SqlValue[][];
    },
  };
}
