/** Types of `logIds.mjs` (a log's event ids a range at a time). */
import type { Database } from 'better-sqlite3';

/** Ids a range holds (both fills read this many at a time). */
export const ID_RANGE: number;

/** Yields the event ids of `table`, `size` at a time (the last range shorter), on the connection `db`. */
export function idRanges(db: Database, table: string, size: number): Generator<string[], void, undefined>;
