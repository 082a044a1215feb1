/**
 * Checkpoints of a space's projection: the projection's state, its dedupe filter and its log seq, serialised into one
 * deflated buffer. A start loads the checkpoint and folds only the log after it. The fold version names the code and
 * the configuration that fold the log: a checkpoint written by another version is not used (the log is folded again).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { CityopsConfig } from '@shared/config';
import type { ProjectionContext, SpaceProjection } from '@shared/projection/state';
import { BloomFilter } from './ingest/bloom';
import { PROJECT_ROOT } from './root';
import type { Restored } from './spaces';

/** Bumped when the checkpoint's layout changes. */
const FORMAT = 1;

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
 * The version of the fold: a hash of the shared domain code (the reducers, the calendar, the deadline rules) and of
 * the configuration (SLA limits, holidays, thresholds). A change to either folds the log again at the next start.
 */
export function foldVersion(config: CityopsConfig): string {
  if (codeHash === null) {
    const h = createHash('sha256');
    for (const f of sources(sharedDir))
      h.update(path.relative(sharedDir, f)).update('\0').update(readFileSync(f)).update('\0');
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

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if ('$m' in o && Array.isArray(o.$m)) return new Map(o.$m as [unknown, unknown][]);
    if ('$s' in o && Array.isArray(o.$s)) return new Set(o.$s as unknown[]);
  }
  return value;
}

/** Serialises a projection, its dedupe filter and its log seq. */
export function encodeCheckpoint(p: SpaceProjection, seen: BloomFilter, seq: number): Buffer {
  const state: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (!NOT_STATE.has(k)) state[k] = v;
  const json = Buffer.from(JSON.stringify({ format: FORMAT, seq, state }, replacer), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32LE(json.length);
  return deflateRawSync(Buffer.concat([head, json, seen.toBytes()]), { level: 1 });
}

/** The projection, filter and seq of a checkpoint, with the running context; throws on a malformed body. */
export function decodeCheckpoint(body: Buffer, ctx: ProjectionContext): Restored {
  const raw = inflateRawSync(body);
  const len = raw.readUInt32LE(0);
  const parsed = JSON.parse(raw.subarray(4, 4 + len).toString('utf8'), reviver) as {
    format: number;
    seq: number;
    state: Record<string, unknown>;
  };
  if (parsed.format !== FORMAT) throw new Error(`checkpoint format ${parsed.format}, expected ${FORMAT}`);
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
  return { projection, seen: BloomFilter.fromBytes(bloom), seq: parsed.seq };
}
