/** Types of `rowCodec.mjs` (the case read model's writes as bytes). */
import type Database from 'better-sqlite3';

export type SqlCell = string | number | Uint8Array | null;

/** A job's bytes, to transfer (`buffer`) and read (`byteOffset`, `length`). */
export interface RowJob {
  readonly buffer: ArrayBufferLike;
  readonly byteOffset: number;
  readonly length: number;
  /** Byte values, referred to by index from the ops. */
  readonly attachments: readonly Uint8Array[];
}

/** Builds a job's bytes. */
export class RowOps {
  readonly empty: boolean;
  /** Adds statement `statement` (an index into the writer's list) with its values (at most 255). */
  add(statement: number, values: readonly SqlCell[]): void;
  /** Empties the job to build the next in the same memory. */
  reset(): void;
  /** The job's bytes, in this builder's memory (valid until the next `reset`). */
  bytes(): RowJob;
  /**
   * Hands the job's bytes over (to transfer to another thread, which sends the memory back): the builder has no memory
   * until `attach`.
   */
  detach(): RowJob;
  /** Takes memory back (a detached job's, returned), empty. */
  attach(buffer: ArrayBufferLike): void;
}

/** Runs a job's ops on prepared statements (inside the caller's transaction). */
export function runOps(prepared: readonly Database.Statement[], job: RowJob): void;
