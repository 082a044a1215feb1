/** JSONL event logs (one event per line, as `generate` and the export API write them), read as a stream. */
import { createReadStream, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { DomainEventInput } from '@shared/events';

/** A JSONL file read line by line; `bytesRead` tells how far it is (for progress). */
export class JsonlReader implements AsyncIterable<DomainEventInput> {
  bytesRead = 0;
  lines = 0;
  constructor(readonly file: string) {}

  async *[Symbol.asyncIterator](): AsyncIterator<DomainEventInput> {
    // Chunks of 1 MiB split by hand: several times cheaper than readline per line.
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for await (const chunk of createReadStream(this.file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      this.bytesRead += chunk.length;
      const lines = (rest + decoder.write(chunk)).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const e = this.parse(line);
        if (e) yield e;
      }
    }
    const e = this.parse(rest + decoder.end());
    if (e) yield e;
  }

  private parse(line: string): DomainEventInput | null {
    this.lines++;
    if (line.trim() === '') return null;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch (err) {
      throw new Error(`${this.file} line ${this.lines}: not JSON (${(err as Error).message})`, { cause: err });
    }
    if (typeof e !== 'object' || e === null || typeof (e as { ts?: unknown }).ts !== 'number')
      throw new Error(`${this.file} line ${this.lines}: not an event (an object with a numeric ts)`);
    return e as DomainEventInput;
  }
}

/** The event time of a JSONL file's last event (read from its tail), or null. */
export function lastEventTs(file: string): number | null {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    for (let i = lines.length - 1; i >= 0; i--) {
      try {
        const ts = (JSON.parse(lines[i] ?? '') as { ts?: unknown }).ts;
        if (typeof ts === 'number') return ts;
      } catch {
        /* a partial first line of the tail */
      }
    }
    return null;
  } finally {
    closeSync(fd);
  }
}
