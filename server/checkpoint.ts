/**
 * Checkpoints of a space's projection: the projection's state, its dedupe filter and its log seq, serialised into one
 * deflated buffer. A start loads the checkpoint and folds only the log after it. The fold version names the code and
 * the configuration that fold the log: a checkpoint written by another version is not used (the log is folded again).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { constants as zlibConstants, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { CityopsConfig } from '@shared/config';
import { packShare, unpackShare, type DayFigures, type UnitShare } from '@shared/projection/day';
import { chineseHolidayCalendar, datasetYears } from '@shared/sla/holidays';
import { addDays } from '@shared/time';
import type { ProjectionContext, SpaceProjection } from '@shared/projection/state';
import { BloomFilter, SeenFilter, type SeenShape } from './ingest/bloom';
import { PROJECT_ROOT } from './root';
import type { Restored } from './spaces';

/**
 * Bumped when the checkpoint's layout changes (2: a day's unit shares are packed, see `PackedShare`; 3: the dedupe
 * filter is in stages, their shape in `seen`, the last stage's bits in the body and the full ones stored beside).
 */
const FORMAT = 3;

const sharedDir = path.join(PROJECT_ROOT, 'shared');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

let codeHash: string | null = null;

/**
 * The packaged holiday dataset as the fold sees it: the years it covers and, day by day over them, whether each is a
 * working day. A release of the package that adds a year or moves a day changes it (its code is not under `shared/`).
 */
export function holidayDatasetDigest(): string {
  const { firstYear, lastYear } = datasetYears();
  const calendar = chineseHolidayCalendar();
  const h = createHash('sha256').update(`${firstYear}-${lastYear}|`);
  const last = `${lastYear}-12-31`;
  for (let d = `${firstYear}-01-01`; d <= last; d = addDays(d, 1)) h.update(calendar.isWorkday(d) ? '1' : '0');
  return h.digest('hex');
}

/**
 * The version of the fold: a hash of the shared domain code (the reducers, the calendar, the deadline rules), of the
 * holiday dataset the calendar reads (`holidayDatasetDigest`) and of the configuration (SLA limits, holidays,
 * thresholds). A change to any of them folds the log again at the next start.
 */
export function foldVersion(config: CityopsConfig): string {
  if (codeHash === null) {
    const h = createHash('sha256');
    for (const f of sources(sharedDir))
      h.update(path.relative(sharedDir, f)).update('\0').update(readFileSync(f)).update('\0');
    h.update(`holidays\0${holidayDatasetDigest()}`);
    codeHash = h.digest('hex');
  }
  return createHash('sha256').update(`${FORMAT}|${codeHash}|`).update(JSON.stringify(config)).digest('hex');
}

/** Fields of a projection that are not state: the context is the running configuration, the archive a live handle. */
const NOT_STATE = new Set(['ctx', 'archive', 'replaying']);

function replacer(this: unknown, key: string, value: unknown): unknown {
  if (value instanceof Map) return { $m: [...value] };
  if (value instanceof Set) return { $s: [...value] };
  return value;
}

/**
 * Turns the `{"$m": [...]}` and `{"$s": [...]}` of a parsed body back into Maps and Sets, in place, innermost first (as
 * a `JSON.parse` reviver would: one called for every value of a checkpoint took five times as long as the parse).
 */
function revive(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v !== null && typeof v === 'object') value[i] = revive(v);
    }
    return value;
  }
  const o = value as Record<string, unknown>;
  if (Array.isArray(o.$m)) return new Map(revive(o.$m) as [unknown, unknown][]);
  if (Array.isArray(o.$s)) return new Set(revive(o.$s) as unknown[]);
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v === null || typeof v !== 'object') continue;
    const r = revive(v);
    // Defined, not assigned: a key such as `__proto__` stays an own property, as JSON.parse made it.
    if (r !== v) Object.defineProperty(o, k, { value: r, writable: true, enumerable: true, configurable: true });
  }
  return o;
}

/**
 * The body's JSON text is deflated a piece at a time, each piece once it reaches about this many characters. The text of
 * a projection with 60,000 open cases is some 80 MB: held whole (a string, its UTF-8 bytes, those joined with the
 * filter) it raised the server's RSS by 180 MB at each checkpoint, and the allocator kept most of it afterwards.
 */
const PIECE_CHARS = 1 << 20;

/**
 * Deflates the body `[JSON length, 4 bytes LE][JSON][filter bytes]` as one raw deflate stream without ever holding the
 * JSON whole. Each piece is compressed on its own and ended with a sync flush (a byte-aligned, non-final block), so the
 * pieces joined are one valid stream (deflate looks back 32 KB at most: starting afresh per piece costs nothing). The
 * length, known only at the end, sits in a stored block of its own at the start, written by hand (RFC 1951 §3.2.4).
 */
class DeflatedBody {
  private readonly parts: string[] = [];
  private chars = 0;
  private jsonBytes = 0;
  private readonly out: Buffer[] = [];

  write(text: string): void {
    this.parts.push(text);
    this.chars += text.length;
    if (this.chars >= PIECE_CHARS) this.deflatePiece();
  }

  private deflatePiece(): void {
    const bytes = Buffer.from(this.parts.join(''), 'utf8');
    this.parts.length = 0;
    this.chars = 0;
    this.jsonBytes += bytes.length;
    this.out.push(deflateRawSync(bytes, { level: 1, finishFlush: zlibConstants.Z_SYNC_FLUSH }));
  }

  /** The whole body: the length block, the JSON's pieces, and `tail` (the filter's last stage) ending the stream. */
  end(tail: Uint8Array): Buffer {
    if (this.chars > 0) this.deflatePiece();
    // BFINAL 0, BTYPE 00 (stored), then LEN = 4 and NLEN = ~4, then the four bytes of the JSON's length.
    const head = Buffer.from([0x00, 0x04, 0x00, 0xfb, 0xff, 0, 0, 0, 0]);
    head.writeUInt32LE(this.jsonBytes, 5);
    // The filter's bits: runs of zero bytes while it is young, then near-random bytes with nothing for LZ77 to find.
    // Run-length matching alone is smaller than level 1 at every fill measured, and faster (8 MiB: 2.38 against
    // 2.99 MB at 400,000 ids, 77 against 97 ms; 6.79 against 6.83 MB at three million, 62 against 172 ms; 8 against
    // 37 KB empty). Huffman codes alone are faster still but never under 1 MiB (1.05 MB empty): too much for the
    // checkpoints of a young space, kept every minute and in the review history.
    return Buffer.concat([head, ...this.out, deflateRawSync(tail, { level: 1, strategy: zlibConstants.Z_RLE })]);
  }
}

/** Whether a value is written member by member: a collection, or a plain object that holds one (a day's figures). */
function streamed(value: unknown): value is Map<unknown, unknown> | Set<unknown> | Record<string, unknown> {
  if (value instanceof Map || value instanceof Set) return true;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  for (const v of Object.values(value)) if (v instanceof Map || v instanceof Set) return true;
  return false;
}

/**
 * Writes `value` as `JSON.stringify(value, replacer)` writes it (the same text, so `decodeCheckpoint` reads it as it
 * always has), collections member by member so no text larger than one member is ever built.
 */
function writeJson(out: DeflatedBody, value: unknown): void {
  if (value instanceof Map || value instanceof Set) {
    out.write(value instanceof Map ? '{"$m":[' : '{"$s":[');
    let first = true;
    for (const member of value) {
      if (!first) out.write(',');
      first = false;
      if (value instanceof Map) {
        const [k, v] = member as [unknown, unknown];
        out.write('[');
        writeMember(out, k);
        out.write(',');
        writeMember(out, v);
        out.write(']');
      } else writeMember(out, member);
    }
    out.write(']}');
    return;
  }
  out.write('{');
  let first = true;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    // As in JSON.stringify, a property without JSON (undefined, a function) is left out.
    const text = streamed(v) ? null : (JSON.stringify(v, replacer) as string | undefined);
    if (text === undefined) continue;
    out.write(`${first ? '' : ','}${JSON.stringify(k)}:`);
    first = false;
    if (k === UNIT_SHARES && v instanceof Map) writeShares(out, v as DayFigures['unitShares']);
    else if (text === null) writeJson(out, v);
    else out.write(text);
  }
  out.write('}');
}

/**
 * The field of a day's figures that holds, per case, what it added to unit counts: most of a projection's text when
 * written as objects (17 named counts per case and day), so it is written packed.
 */
const UNIT_SHARES = 'unitShares' satisfies keyof DayFigures;

/** A day's unit shares as a map of packed shares (`{"$m":[[caseId,[[unit,…counts]]],…]}`). */
function writeShares(out: DeflatedBody, shares: ReadonlyMap<string, readonly UnitShare[]>): void {
  out.write('{"$m":[');
  let first = true;
  for (const [caseId, list] of shares) {
    out.write(`${first ? '' : ','}[${JSON.stringify(caseId)},${JSON.stringify(list.map(packShare))}]`);
    first = false;
  }
  out.write(']}');
}

/** An element of an array (a collection's member, a map entry's key or value): `null` when it has no JSON. */
function writeMember(out: DeflatedBody, v: unknown): void {
  if (streamed(v)) writeJson(out, v);
  else out.write((JSON.stringify(v, replacer) as string | undefined) ?? 'null');
}

/**
 * Serialises a projection, its dedupe filter (its shape, then its last stage's bits after the JSON: the full stages are
 * stored once beside the checkpoints, `SeenFilter.unsavedStages`) and its log seq.
 */
export function encodeCheckpoint(p: SpaceProjection, seen: SeenFilter, seq: number): Buffer {
  const state: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (!NOT_STATE.has(k)) state[k] = v;
  const body = new DeflatedBody();
  body.write(`{"format":${FORMAT},"seq":${JSON.stringify(seq)},"seen":${JSON.stringify(seen.shape())},"state":`);
  writeJson(body, state);
  body.write('}');
  return body.end(seen.lastBytes());
}

/**
 * Where a checkpoint's dedupe filter finds its full stages (by the filter's id and the stage's index: the bytes, or
 * undefined when not stored); `'skip'` leaves the filter out (a review folds the log and looks nothing up): the
 * restored filter is then an empty one of 512 bits.
 */
export type StageSource = ((filter: string, idx: number) => Uint8Array | undefined) | 'skip';

/** The projection, filter and seq of a checkpoint, with the running context; throws on a malformed body. */
export function decodeCheckpoint(body: Buffer, ctx: ProjectionContext, stages: StageSource): Restored {
  const raw = inflateRawSync(body);
  const len = raw.readUInt32LE(0);
  const parsed = revive(JSON.parse(raw.subarray(4, 4 + len).toString('utf8'))) as {
    format: number;
    seq: number;
    seen: SeenShape;
    state: Record<string, unknown>;
  };
  if (parsed.format !== FORMAT) throw new Error(`checkpoint format ${parsed.format}, expected ${FORMAT}`);
  if (typeof parsed.seen !== 'object' || parsed.seen === null) throw new Error('checkpoint has no dedupe filter shape');
  const bloom = raw.subarray(4 + len);
  const projection = { ...parsed.state, ctx, archive: null, replaying: false } as unknown as SpaceProjection;
  for (const k of [
    'cases',
    'open',
    'days',
    'calls',
    'agents',
    'rosters',
    'checkIns',
    'handovers',
    'links',
    'active',
    'items',
    'handoverRecords',
  ] as const) {
    if (!(projection[k] instanceof Map || projection[k] instanceof Set))
      throw new Error(`checkpoint field ${k} is not a collection`);
  }
  for (const day of projection.days.values()) {
    const shares = (day as Partial<DayFigures>).unitShares;
    if (!(shares instanceof Map)) throw new Error(`checkpoint day ${String(day.day)} has no unit shares`);
    for (const [caseId, packed] of shares as Map<string, unknown>) {
      if (!Array.isArray(packed)) throw new Error(`checkpoint day ${day.day}: the shares of ${caseId} are not a list`);
      shares.set(caseId, packed.map(unpackShare));
    }
  }
  const seen =
    stages === 'skip'
      ? new SeenFilter([new BloomFilter(9)])
      : SeenFilter.restore(parsed.seen, bloom, (idx) => stages(parsed.seen.id, idx));
  return { projection, seen, seq: parsed.seq };
}
