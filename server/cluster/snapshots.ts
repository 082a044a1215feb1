/**
 * The case read model's snapshots in PostgreSQL: the durable copy a node joining a cluster starts from. The read model
 * (`cases.sqlite`: case rows, the projections' checkpoints, the review history) is each node's own file, folded from
 * the shared log; a node with an empty `DATA_DIR` would fold the whole log before it is ready. So every so often one
 * node copies its file (`CaseReadModel.backupTo`, one consistent state whose checkpoints are never ahead of its rows),
 * deflates it and stores it in chunks of a few MB, in one transaction, with the fold version that wrote it and the log
 * position of each space's checkpoint inside. A node starting with a missing, empty or older file downloads the newest
 * snapshot of its fold version, checks every chunk's checksum and the whole file's, and installs it before its read
 * model opens; the start then restores each space from the checkpoint inside and folds only the log after it.
 *
 * A snapshot of another fold version, of another read model schema, or corrupt is not used: the reason is logged and the
 * node folds the whole log, as without snapshots. The tables are part of the store's schema (`server/store/postgres.ts`).
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { deflateRaw, inflateRaw } from 'node:zlib';
import type pg from 'pg';
import { SCHEMA_VERSION, type CaseReadModel } from '../cases/readModel';
import type { Logger } from '../log';
import { whileFree } from './lease';

/** Each space's checkpoint position (log seq) in a read model file or a snapshot. */
export type Positions = Readonly<Record<string, number>>;

/** What a stored snapshot says of itself. */
export interface SnapshotInfo {
  readonly id: number;
  readonly version: string;
  /** The read model's schema (`SCHEMA_VERSION`) of the file. */
  readonly schema: number;
  readonly positions: Positions;
  readonly chunks: number;
  /** Size of the file, and as stored (deflated). */
  readonly bytes: number;
  readonly storedBytes: number;
  /** SHA-256 of the file (hex). */
  readonly sha256: string;
  /** The node that wrote it (host and process), for an operator. */
  readonly node: string;
  /** When it was written (wall clock, ms). */
  readonly writtenAt: number;
}

/** How a start went with the cluster's snapshots: installed, or why not (the read model then starts from its own file). */
export interface JoinReport {
  readonly used: boolean;
  /** Why the snapshot was not used (empty when it was). */
  readonly reason: string;
  /** The snapshot installed, or the one refused. */
  readonly snapshot: SnapshotInfo | null;
  /** Time taken, ms (download, checks, install). */
  readonly ms: number;
}

/** What an attempt to write a snapshot did. */
export interface SnapshotWriteReport {
  readonly written: boolean;
  /** Why none was written (empty when one was). */
  readonly reason: string;
  readonly snapshot: SnapshotInfo | null;
  readonly ms: number;
}

/** Options of the snapshots. */
export interface CaseSnapshotOptions {
  /** The event store's pool. */
  readonly pool: pg.Pool;
  readonly log: Logger;
  /** At most one snapshot per this many ms in the cluster (default 10 minutes). */
  readonly intervalMs?: number;
  /** Bytes of the file per stored chunk, each deflated on its own (default 16 MiB, some 4 MB stored). */
  readonly chunkBytes?: number;
  /** Snapshots kept per fold version (default 2: the newest, and the one before in case a join is reading it). */
  readonly keep?: number;
  /** Snapshots of other fold versions are dropped once this old, ms (default 7 days: a version no node runs any more). */
  readonly otherVersionsMs?: number;
  /** The wall clock (ms); snapshots are dated on real time. */
  readonly now?: () => number;
}

/** Chunks deflated at once while writing, and fetched and inflated at once while joining. */
const CHUNKS_AT_ONCE = 3;

const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);

/** The lease of the snapshot writer: one node writes at a time. */
const LEASE = 'case-snapshot';

/** A snapshot that must not be used, and why. */
class Refused extends Error {}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** The spaces where `a` is ahead of `b` (a checkpoint later than `b`'s, or one `b` has not). */
export function aheadIn(a: Positions, b: Positions): string[] {
  return Object.keys(a).filter((s) => a[s]! > (b[s] ?? -1));
}

/** Whether an error is one of zlib's (the data could not be inflated). */
function isZlibError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/** The case read model's snapshots of a cluster. */
export class CaseSnapshots {
  readonly intervalMs: number;
  private readonly chunkBytes: number;
  private readonly keep: number;
  private readonly now: () => number;
  private files = 0;

  constructor(private readonly opts: CaseSnapshotOptions) {
    this.intervalMs = opts.intervalMs ?? 600_000;
    this.chunkBytes = opts.chunkBytes ?? 16 * 2 ** 20;
    this.keep = opts.keep ?? 2;
    this.now = opts.now ?? Date.now;
  }

  /** The newest snapshot of a fold version, or null. */
  async newest(version: string, client: pg.Pool | pg.PoolClient = this.opts.pool): Promise<SnapshotInfo | null> {
    const { rows } = await client.query<SnapshotRow>(
      `SELECT ${COLUMNS} FROM case_snapshots WHERE version = $1 ORDER BY id DESC LIMIT 1`,
      [version],
    );
    return rows[0] ? info(rows[0]) : null;
  }

  /** Every stored snapshot, newest first (for an operator and the tests). */
  async list(): Promise<SnapshotInfo[]> {
    const { rows } = await this.opts.pool.query<SnapshotRow>(`SELECT ${COLUMNS} FROM case_snapshots ORDER BY id DESC`);
    return rows.map(info);
  }

  /**
   * Before the read model opens: when `file` is missing, empty or behind the newest snapshot of `version` in some space,
   * downloads that snapshot, checks it and installs it as `file`. Never throws: a snapshot that cannot be used leaves the
   * file as it was, and the report says why.
   */
  async join(file: string, version: string): Promise<JoinReport> {
    const t0 = performance.now();
    const done = (used: boolean, reason: string, snapshot: SnapshotInfo | null): JoinReport => {
      const report = { used, reason, snapshot, ms: Math.round(performance.now() - t0) };
      this.logJoin(report);
      return report;
    };
    if (file === ':memory:') return done(false, 'the case read model is in memory', null);
    let snap: SnapshotInfo | null;
    try {
      snap = await this.newest(version);
      if (!snap) {
        const { rows } = await this.opts.pool.query<SnapshotRow>(
          `SELECT ${COLUMNS} FROM case_snapshots ORDER BY id DESC LIMIT 1`,
        );
        const other = rows[0] ? info(rows[0]) : null;
        return done(
          false,
          other
            ? `no snapshot of this fold version (${version.slice(0, 12)}): the newest, #${other.id} of ${new Date(other.writtenAt).toISOString()}, was written by another fold version (${other.version.slice(0, 12)})`
            : 'no snapshot in the cluster yet',
          other,
        );
      }
    } catch (err) {
      return done(false, `the snapshots could not be read (${(err as Error).message})`, null);
    }
    if (snap.schema !== SCHEMA_VERSION)
      return done(
        false,
        `snapshot #${snap.id} holds another read model schema (${snap.schema}, this is ${SCHEMA_VERSION})`,
        snap,
      );
    const local = localPositions(file, version);
    if (aheadIn(snap.positions, local).length === 0)
      return done(false, `this node's read model is as far as the newest snapshot (#${snap.id})`, snap);
    const tmp = `${file}.joining`;
    try {
      // A new node's DATA_DIR may not exist yet.
      mkdirSync(path.dirname(file), { recursive: true });
      rmSync(tmp, { force: true });
      await this.download(snap, tmp);
      checkFile(tmp, snap, version);
      for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) rmSync(f, { force: true });
      renameSync(tmp, file);
      return done(true, '', snap);
    } catch (err) {
      rmSync(tmp, { force: true });
      const reason =
        err instanceof Refused
          ? err.message
          : isZlibError(err)
            ? `snapshot #${snap.id} is corrupt: it could not be inflated (${(err as Error).message})`
            : `snapshot #${snap.id} could not be read (${(err as Error).message})`;
      return done(false, reason, snap);
    }
  }

  private logJoin(r: JoinReport): void {
    const s = r.snapshot;
    const fields = {
      used: r.used,
      ms: r.ms,
      ...(r.reason ? { reason: r.reason } : {}),
      ...(s ? { snapshot: s.id, positions: s.positions, writtenAt: new Date(s.writtenAt).toISOString() } : {}),
    };
    if (r.used && s)
      this.opts.log.info(
        fields,
        `installed the cluster's snapshot #${s.id} of the case read model (${mb(s.bytes)}, ${mb(s.storedBytes)} stored, written ${new Date(s.writtenAt).toISOString()} by ${s.node}) in ${r.ms} ms: the spaces start from its checkpoints`,
      );
    else this.opts.log.info(fields, `the cluster's snapshot of the case read model is not used: ${r.reason}`);
  }

  /**
   * Downloads a snapshot's chunks into `tmp`, checking each chunk's checksum, inflating it and checking the whole
   * file's. Chunks are deflated each on its own, so a few are fetched (on as many pooled connections) and inflated (on
   * libuv's threads) at once; they are written in order.
   */
  private async download(snap: SnapshotInfo, tmp: string): Promise<void> {
    const pool = this.opts.pool;
    const fetchChunk = async (n: number): Promise<Buffer> => {
      // Base64 on the wire: a third larger than the bytes, where bytea's hex text is twice their size.
      const { rows } = await pool.query<{ sha256: string; data: string }>(
        "SELECT sha256, encode(data, 'base64') AS data FROM case_snapshot_chunks WHERE snapshot = $1 AND n = $2",
        [snap.id, n],
      );
      const row = rows[0];
      if (!row) throw new Refused(`snapshot #${snap.id} lost chunk ${n + 1} of ${snap.chunks} while it was read`);
      const data = Buffer.from(row.data, 'base64');
      if (sha256(data) !== row.sha256)
        throw new Refused(
          `snapshot #${snap.id} is corrupt: chunk ${n + 1} of ${snap.chunks} does not match its checksum`,
        );
      return inflate(data);
    };
    const out = await open(tmp, 'w');
    const whole = createHash('sha256');
    let bytes = 0;
    const ahead: Promise<Buffer>[] = [];
    let next = 0;
    const more = () => {
      while (next < snap.chunks && ahead.length < CHUNKS_AT_ONCE) {
        const p = fetchChunk(next++);
        // Awaited in turn below; one left behind by an earlier failure must not be reported as unhandled.
        p.catch(() => undefined);
        ahead.push(p);
      }
    };
    try {
      more();
      while (ahead.length > 0) {
        const raw = await ahead.shift()!;
        more();
        whole.update(raw);
        bytes += raw.length;
        await out.write(raw);
      }
    } finally {
      await out.close();
    }
    if (bytes !== snap.bytes || whole.digest('hex') !== snap.sha256)
      throw new Refused(`snapshot #${snap.id} is corrupt: the file does not match its checksum`);
  }

  /**
   * Writes a snapshot of `model` when one is due: none of this fold version yet, or the newest older than the interval
   * and behind this node's checkpoints in some space. One node at a time (a lease); a node that finds the lease taken
   * skips. The copy is made in `tempDir` (beside the read model's file) and removed after.
   */
  async write(model: CaseReadModel, version: string, tempDir = tmpdir()): Promise<SnapshotWriteReport> {
    const t0 = performance.now();
    const skip = (reason: string, snapshot: SnapshotInfo | null = null): SnapshotWriteReport => ({
      written: false,
      reason,
      snapshot,
      ms: Math.round(performance.now() - t0),
    });
    const ours = model.checkpointPositions(version);
    if (Object.keys(ours).length === 0) return skip('no space is checkpointed yet');
    const notDue = (newest: SnapshotInfo | null, positions: Positions): string | null => {
      if (!newest) return null;
      const age = this.now() - newest.writtenAt;
      if (age < this.intervalMs)
        return `the newest snapshot (#${newest.id}) is ${Math.round(age / 1000)} s old (one per ${Math.round(this.intervalMs / 1000)} s)`;
      if (aheadIn(positions, newest.positions).length === 0)
        return `this node's checkpoints are not ahead of the newest snapshot (#${newest.id})`;
      return null;
    };
    const first = notDue(await this.newest(version), ours);
    if (first) return skip(first);
    const tmp = path.join(tempDir, `.cases-snapshot-${process.pid}-${++this.files}.sqlite`);
    try {
      const out = await whileFree(this.opts.pool, LEASE, async (client) => {
        const newest = await this.newest(version, client);
        if (notDue(newest, ours)) return skip(notDue(newest, ours)!, newest);
        await model.backupTo(tmp);
        const copy = new Database(tmp);
        let positions: Record<string, number>;
        try {
          // One self-contained file (no write-ahead log beside it).
          copy.pragma('journal_mode = DELETE');
          positions = Object.fromEntries(
            (
              copy.prepare('SELECT space, seq FROM checkpoints WHERE version = ?').all(version) as {
                space: string;
                seq: number;
              }[]
            ).map((r) => [r.space, r.seq]),
          );
        } finally {
          copy.close();
        }
        const id = await this.store(client, tmp, version, positions);
        this.opts.log.info(
          { snapshot: id.id, positions, bytes: id.bytes, storedBytes: id.storedBytes, chunks: id.chunks },
          `wrote snapshot #${id.id} of the case read model (${mb(id.bytes)}, ${mb(id.storedBytes)} stored in ${id.chunks} chunks) in ${Math.round(performance.now() - t0)} ms`,
        );
        return { written: true, reason: '', snapshot: id, ms: Math.round(performance.now() - t0) };
      });
      return out ?? skip('another node is writing a snapshot');
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /** Stores a copied file in one transaction (deflated, in chunks) and drops the snapshots no longer kept. */
  private async store(
    client: pg.PoolClient,
    file: string,
    version: string,
    positions: Positions,
  ): Promise<SnapshotInfo> {
    await client.query('BEGIN');
    try {
      const writtenAt = this.now();
      const node = `${hostname()} pid ${process.pid}`;
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO case_snapshots (version, schema, positions, chunks, bytes, stored_bytes, sha256, node, written_at)
         VALUES ($1, $2, $3, 0, 0, 0, '', $4, $5) RETURNING id`,
        [version, SCHEMA_VERSION, JSON.stringify(positions), node, writtenAt],
      );
      const id = Number(rows[0]!.id);
      const whole = createHash('sha256');
      let bytes = 0;
      let stored = 0;
      let n = 0;
      const put = async (data: Buffer) => {
        await client.query('INSERT INTO case_snapshot_chunks (snapshot, n, sha256, data) VALUES ($1, $2, $3, $4)', [
          id,
          n++,
          sha256(data),
          data,
        ]);
        stored += data.length;
      };
      // Pieces of the file deflated each on its own (a few at once, on libuv's threads), stored in order.
      const input = await open(file, 'r');
      try {
        const size = (await input.stat()).size;
        const pending: Promise<Buffer>[] = [];
        for (let at = 0; at < size; at += this.chunkBytes) {
          const piece = Buffer.alloc(Math.min(this.chunkBytes, size - at));
          await input.read(piece, 0, piece.length, at);
          whole.update(piece);
          bytes += piece.length;
          pending.push(deflate(piece, { level: 1 }));
          if (pending.length >= CHUNKS_AT_ONCE) await put(await pending.shift()!);
        }
        for (const p of pending) await put(await p);
      } finally {
        await input.close();
      }
      const sha = whole.digest('hex');
      await client.query(
        'UPDATE case_snapshots SET chunks = $2, bytes = $3, stored_bytes = $4, sha256 = $5 WHERE id = $1',
        [id, n, bytes, stored, sha],
      );
      // The newest few of this version stay; other versions' go once no node has written one for a week.
      await client.query(
        'DELETE FROM case_snapshots WHERE version = $1 AND id NOT IN (SELECT id FROM case_snapshots WHERE version = $1 ORDER BY id DESC LIMIT $2)',
        [version, this.keep],
      );
      await client.query('DELETE FROM case_snapshots WHERE version <> $1 AND written_at < $2', [
        version,
        writtenAt - (this.opts.otherVersionsMs ?? 7 * 86_400_000),
      ]);
      await client.query('COMMIT');
      return {
        id,
        version,
        schema: SCHEMA_VERSION,
        positions,
        chunks: n,
        bytes,
        storedBytes: stored,
        sha256: sha,
        node,
        writtenAt,
      };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}

const COLUMNS = 'id, version, schema, positions, chunks, bytes, stored_bytes, sha256, node, written_at';

interface SnapshotRow {
  id: string;
  version: string;
  schema: number;
  positions: Record<string, number>;
  chunks: number;
  bytes: string;
  stored_bytes: string;
  sha256: string;
  node: string;
  written_at: string;
}

function info(r: SnapshotRow): SnapshotInfo {
  return {
    id: Number(r.id),
    version: r.version,
    schema: r.schema,
    positions: r.positions,
    chunks: r.chunks,
    bytes: Number(r.bytes),
    storedBytes: Number(r.stored_bytes),
    sha256: r.sha256,
    node: r.node,
    writtenAt: Number(r.written_at),
  };
}

function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

/**
 * The checkpoint positions of fold version `version` in a read model file; none when it is missing, unreadable or of
 * another schema (the read model would empty it).
 */
export function localPositions(file: string, version: string): Positions {
  if (!existsSync(file)) return {};
  try {
    const db = new Database(file, { fileMustExist: true });
    try {
      if (db.pragma('user_version', { simple: true }) !== SCHEMA_VERSION) return {};
      const rows = db.prepare('SELECT space, seq FROM checkpoints WHERE version = ?').all(version) as {
        space: string;
        seq: number;
      }[];
      return Object.fromEntries(rows.map((r) => [r.space, r.seq]));
    } finally {
      db.close();
    }
  } catch {
    return {};
  }
}

/** Checks a downloaded file before it is installed: its schema, and checkpoints of this version where the snapshot says. */
function checkFile(file: string, snap: SnapshotInfo, version: string): void {
  const db = new Database(file, { fileMustExist: true });
  try {
    const schema = db.pragma('user_version', { simple: true });
    if (schema !== SCHEMA_VERSION)
      throw new Refused(
        `snapshot #${snap.id} holds another read model schema (${String(schema)}, this is ${SCHEMA_VERSION})`,
      );
    const inside = Object.fromEntries(
      (
        db.prepare('SELECT space, seq FROM checkpoints WHERE version = ?').all(version) as {
          space: string;
          seq: number;
        }[]
      ).map((r) => [r.space, r.seq]),
    );
    const differ = Object.keys(snap.positions).filter((s) => inside[s] !== snap.positions[s]);
    if (differ.length > 0)
      throw new Refused(
        `snapshot #${snap.id} does not hold the checkpoints it names (${differ.join(', ')}): not of this fold version`,
      );
  } finally {
    db.close();
  }
}
