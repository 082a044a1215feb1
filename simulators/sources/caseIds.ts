/**
 * Case and event ids of imported requests. An id the wall can hold (1–128 printable characters without spaces) is the
 * case id as given. Any other id (too long, spaces, control characters, half of a character) becomes a short form
 * that stays distinct: its readable part (white space, control characters and halves as `_`, cut to fit) and `~` with
 * 16 hex digits of the SHA-256 of the id as given (of its UTF-16 units when it holds a half), so two ids never become
 * one case by being cut or having their spaces replaced. The readers list every id kept under a short form. Event ids
 * are `<source>-<case id>-<step>`, shortened the same way when they would pass 128 characters, so each step of each
 * case keeps an id of its own.
 */
import { createHash } from 'node:crypto';
import { ident } from '@shared/events/common';
import { cutText, hasHalf, withoutHalves } from '@shared/text';

/** The longest id an event can carry. */
export const MAX_ID = 128;
const HASH_CHARS = 16;

/** Why an id cannot be kept as given, or null when it can. */
export function idProblem(id: string): string | null {
  if (ident.safeParse(id).success) return null;
  const why: string[] = [];
  if (id.length > MAX_ID) why.push(`is ${id.length} characters long (an id holds at most ${MAX_ID})`);
  if (/\s/.test(id)) why.push('has white space');
  if (/[^\s\x21-\x7e\u00a0-\uffff]/.test(id)) why.push('has control characters');
  if (hasHalf(id)) why.push('has half of a character (an unpaired UTF-16 surrogate)');
  return why.length > 0 ? why.join(' and ') : 'is empty';
}

/** The case id of an id as given: the id itself when the wall can hold it, else its short form. */
export function caseIdOf(id: string): string {
  return idProblem(id) === null ? id : shortForm(id, MAX_ID);
}

/** The id of one step of a case imported from `source`: `csv-SR-1-r`, shortened when it would be too long. */
export function eventIdOf(source: string, caseId: string, step: string): string {
  const id = `${source}-${caseId}-${step}`;
  if (id.length <= MAX_ID) return id;
  return `${source}-${shortForm(caseId, MAX_ID - source.length - step.length - 2)}-${step}`;
}

/** At most `max` characters: the readable part of `v` and `~` with a hash of `v` as given. */
function shortForm(v: string, max: number): string {
  // As UTF-8, unless the id holds half of a character: UTF-8 would make every such half one U+FFFD (two ids, one
  // hash), so its UTF-16 units are hashed as they are.
  const hash = createHash('sha256')
    .update(v, hasHalf(v) ? 'utf16le' : 'utf8')
    .digest('hex')
    .slice(0, HASH_CHARS);
  const readable = withoutHalves(v.replace(/\s+/g, '_').replace(/[^\x21-\x7e\u00a0-\uffff]/g, '_'), '_');
  const part = cutText(readable, Math.max(0, max - HASH_CHARS - 1));
  return part === '' ? hash : `${part}~${hash}`;
}

/** An imported record whose id the wall cannot hold as given: where it is, its id, why, and the case id it became. */
export interface RenamedId {
  readonly record: number;
  readonly line?: number;
  readonly id: string;
  readonly caseId: string;
  readonly reason: string;
}

/** A renamed id as one line: `id: row 3 (line 4), Case ID "SR 4" has white space: imported as case "SR_4~…"`. */
export function describeRenamed(r: RenamedId, noun: string, idColumn: string): string {
  const id = r.id.length > 80 ? `${r.id.slice(0, 80)}…` : r.id;
  return `id: ${noun} ${r.record}${r.line !== undefined ? ` (line ${r.line})` : ''}, ${idColumn} ${JSON.stringify(id)} ${r.reason}: imported as case ${JSON.stringify(r.caseId)}`;
}
