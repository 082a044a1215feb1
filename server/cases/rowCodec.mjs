/**
 * The case read model's writes as bytes: what the main thread hands its writer thread (one transferable buffer instead
 * of millions of cloned values). Plain JavaScript, so the writer thread loads it as it is. A job is a run of ops, each
 * `[statement u8][value count u8]` then its values, each a tag byte and its bytes: 0 null; 1 a number (float64 LE);
 * 2 a string (u32 LE byte length, UTF-8); 3 bytes, sent beside the ops (u32 LE index into the job's `attachments`: a
 * checkpoint's body is not copied into the ops, and goes once when two statements write it).
 */

const encoder = new TextEncoder();

/** Builds a job's bytes. */
export class RowOps {
  constructor() {
    this.bytes8 = new Uint8Array(1 << 16);
    this.view = new DataView(this.bytes8.buffer);
    this.at = 0;
    /** Byte values of this job, by index (tag 3). */
    this.attachments = [];
  }

  get empty() {
    return this.at === 0;
  }

  /** Empties the job to build the next in the same memory. */
  reset() {
    this.at = 0;
    this.attachments = [];
  }

  /** Makes room for `n` more bytes. */
  room(n) {
    if (this.at + n <= this.bytes8.length) return;
    const next = new Uint8Array(Math.max(this.bytes8.length * 2, this.at + n, 1 << 16));
    next.set(this.bytes8.subarray(0, this.at));
    this.bytes8 = next;
    this.view = new DataView(next.buffer);
  }

  /** Adds statement `statement` (an index into the writer's list) with its values (at most 255). */
  add(statement, values) {
    // The most this op can take: 9 bytes a number, 5 + 3 per UTF-16 unit a string.
    let most = 2;
    for (const v of values) most += typeof v === 'string' ? 5 + v.length * 3 : 9;
    this.room(most);
    const b = this.bytes8;
    const view = this.view;
    let at = this.at;
    b[at++] = statement;
    b[at++] = values.length;
    for (const v of values) {
      if (v === null || v === undefined) b[at++] = 0;
      else if (typeof v === 'number') {
        b[at] = 1;
        view.setFloat64(at + 1, v, true);
        at += 9;
      } else if (typeof v === 'string') {
        b[at] = 2;
        const n = v.length;
        let written;
        // Short strings (ids, codes, names) are encoded here, byte by byte; long ones (a case's state) by the encoder.
        if (n <= 64) {
          let o = at + 5;
          for (let i = 0; i < n; i++) {
            let c = v.charCodeAt(i);
            if (c < 0x80) b[o++] = c;
            else if (c < 0x800) {
              b[o++] = 0xc0 | (c >> 6);
              b[o++] = 0x80 | (c & 0x3f);
            } else {
              const next = i + 1 < n ? v.charCodeAt(i + 1) : 0;
              if (c >= 0xd800 && c < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
                c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
                i++;
                b[o++] = 0xf0 | (c >> 18);
                b[o++] = 0x80 | ((c >> 12) & 0x3f);
              } else {
                // A lone surrogate is written as U+FFFD, as TextEncoder writes it.
                if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
                b[o++] = 0xe0 | (c >> 12);
              }
              b[o++] = 0x80 | ((c >> 6) & 0x3f);
              b[o++] = 0x80 | (c & 0x3f);
            }
          }
          written = o - at - 5;
        } else written = encoder.encodeInto(v, b.subarray(at + 5)).written;
        view.setUint32(at + 1, written, true);
        at += 5 + written;
      } else if (v instanceof Uint8Array) {
        b[at] = 3;
        let i = this.attachments.indexOf(v);
        if (i < 0) i = this.attachments.push(v) - 1;
        view.setUint32(at + 1, i, true);
        at += 5;
      } else throw new TypeError(`a row value must be null, a number, a string or bytes (got ${typeof v})`);
    }
    this.at = at;
  }

  /** The job's bytes, in this builder's memory (valid until the next `reset`). */
  bytes() {
    return { buffer: this.bytes8.buffer, byteOffset: 0, length: this.at, attachments: this.attachments };
  }

  /**
   * Hands the job's bytes over (to transfer to another thread, which sends the memory back): the builder has no memory
   * until `attach`.
   */
  detach() {
    const job = { buffer: this.bytes8.buffer, byteOffset: 0, length: this.at, attachments: this.attachments };
    this.attachments = [];
    this.bytes8 = new Uint8Array(0);
    this.view = new DataView(this.bytes8.buffer);
    this.at = 0;
    return job;
  }

  /** Takes memory back (a detached job's, returned), empty. */
  attach(buffer) {
    this.bytes8 = new Uint8Array(buffer);
    this.view = new DataView(buffer);
    this.at = 0;
  }
}

/** Runs a job's ops on prepared statements (inside the caller's transaction). */
export function runOps(prepared, job) {
  const buf = Buffer.from(job.buffer, job.byteOffset, job.length);
  const values = [];
  for (let at = 0; at < job.length;) {
    const statement = buf[at++];
    const n = buf[at++];
    values.length = 0;
    for (let i = 0; i < n; i++) {
      const tag = buf[at++];
      if (tag === 0) values.push(null);
      else if (tag === 1) {
        values.push(buf.readDoubleLE(at));
        at += 8;
      } else if (tag === 2) {
        const len = buf.readUInt32LE(at);
        at += 4;
        values.push(buf.toString('utf8', at, at + len));
        at += len;
      } else {
        const a = job.attachments[buf.readUInt32LE(at)];
        at += 4;
        values.push(Buffer.isBuffer(a) ? a : Buffer.from(a.buffer, a.byteOffset, a.byteLength));
      }
    }
    prepared[statement].run(values);
  }
}
