/**
 * Records of an export that share a case id with an earlier record. Only the first record of an id is imported (its
 * events' ids derive from the case id, so a later one would be answered `duplicate` and silently lost); every later
 * one is listed: an exact repeat (every cell as given is the same: harmless), or a conflict (the cells that differ),
 * which the CLI refuses unless told to keep the first. Ids are compared by the case id they become (`caseIds.ts`), so
 * two ids given differently that became one case would be listed too; an imported record whose id is kept under a
 * short form is listed in `renamed`.
 */
import { caseIdOf, idProblem, type RenamedId } from './caseIds';

/** Where a record is: the data row or array element (1-based) and, for CSV, the file line it starts on. */
export interface RecordAt {
  readonly record: number;
  readonly line?: number;
}

/** A cell that differs between two records of one id: its column (or field), this record's value and the first's. */
export interface CellDifference {
  readonly column: string;
  readonly value: string;
  readonly first: string;
}

/** A record whose case id an earlier one has; `differences` empty: an exact repeat, else a conflict. */
export interface SameIdRecord extends RecordAt {
  /** The id as this record gives it. */
  readonly id: string;
  /** The case id it becomes (the first record's too). */
  readonly caseId: string;
  /** The first record of that case id, and its id as given. */
  readonly first: RecordAt & { readonly id: string };
  readonly differences: readonly CellDifference[];
}

/** A record's content as given: each column (or field) and its value, in order; a missing cell is absent. */
export type RecordCells = readonly (readonly [string, string])[];

/** Notes the first record of each case id and every later record that has one too. */
export class SameIdCheck {
  private readonly firsts = new Map<string, { at: RecordAt; id: string; cells: ReadonlyMap<string, string> }>();
  /** The later records, in file order. */
  readonly found: SameIdRecord[] = [];
  /** The first records whose id the wall cannot hold as given, with the case id each became, in file order. */
  readonly renamed: RenamedId[] = [];

  /** Whether the record is the first of its case id (import it); if not, it is noted in `found` and left out. */
  isFirst(at: RecordAt, id: string, cells: RecordCells): boolean {
    const caseId = caseIdOf(id);
    const first = this.firsts.get(caseId);
    const mine = new Map(cells);
    if (!first) {
      this.firsts.set(caseId, { at, id, cells: mine });
      const reason = idProblem(id);
      if (reason !== null) this.renamed.push({ ...at, id, caseId, reason });
      return true;
    }
    const differences: CellDifference[] = [];
    for (const column of new Set([...first.cells.keys(), ...mine.keys()])) {
      const value = mine.get(column) ?? '';
      const was = first.cells.get(column) ?? '';
      if (value !== was) differences.push({ column, value, first: was });
    }
    this.found.push({ ...at, id, caseId, first: { ...first.at, id: first.id }, differences });
    return false;
  }
}

/** Whether a later record of an id differs from the first. */
export function isConflict(r: SameIdRecord): boolean {
  return r.differences.length > 0;
}

/**
 * A later record as one line: `conflict: row 6 (line 8), CaseID "1001" is also on row 1 (line 2) with other content:
 * Title "Dup id" (row 1: "Light out"); left out, row 1 imported` (`kept`: whether the first is imported).
 */
export function describeSameId(r: SameIdRecord, noun: string, idColumn: string, kept: boolean, maxCells = 4): string {
  const where = (at: RecordAt) => `${noun} ${at.record}${at.line !== undefined ? ` (line ${at.line})` : ''}`;
  const q = (v: string) => JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  const also =
    r.id === r.first.id
      ? `is also on ${where(r.first)}`
      : `is also on ${where(r.first)} as ${q(r.first.id)} (both are case ${r.caseId})`;
  const head = `${where(r)}, ${idColumn} ${q(r.id)} ${also}`;
  if (!isConflict(r)) return `repeat: ${head}, exactly the same; left out`;
  const cells = r.differences
    .slice(0, maxCells)
    .map((d) => `${d.column} ${q(d.value)} (${noun} ${r.first.record}: ${q(d.first)})`);
  const more = r.differences.length > maxCells ? `, … ${r.differences.length - maxCells} more column(s)` : '';
  return `conflict: ${head} with other content: ${cells.join(', ')}${more}; left out${kept ? `, ${noun} ${r.first.record} imported` : ''}`;
}
