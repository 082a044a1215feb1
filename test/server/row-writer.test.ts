/** The case read model's writes as bytes, and the thread that runs them on its own connection. */
import type Database from 'better-sqlite3';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RowOps, runOps, type SqlCell } from '../../server/cases/rowCodec.mjs';
import { ThreadRowWriter } from '../../server/cases/rowWriter';
import { rowsFile, type RowsFile } from '../fixtures/rowsFile';

/** Statements that record the values they are run with. */
function recorder(n: number): { statements: Database.Statement[]; runs: [number, SqlCell[]][] } {
  const runs: [number, SqlCell[]][] = [];
  const statements = Array.from(
    { length: n },
    (_, i) => ({ run: (values: SqlCell[]) => runs.push([i, [...values]]) }) as unknown as Database.Statement,
  );
  return { statements, runs };
}

/** A string as UTF-8 makes it (a lone surrogate becomes U+FFFD). */
const asUtf8 = (s: string) => new TextDecoder().decode(new TextEncoder().encode(s));

describe('when a job is encoded and run', () => {
  it('then every statement gets its values back, strings as UTF-8 makes them, whatever their script or length', () => {
    const strings = [
      '',
      'case-12345',
      '市容环卫',
      '某小区垃圾未清运 <script>x</script>',
      'é ß ñ',
      'emoji 😀 and 𠮷',
      'lone \ud800 high',
      'lone \udc00 low',
      'ends high \ud83d',
      'x'.repeat(64),
      'y'.repeat(65),
      `${'长'.repeat(70)}😀`,
      JSON.stringify({ title: '路灯不亮', n: [1, 2, 3], deep: { s: '"quoted"\\' } }),
    ];
    const numbers = [0, -1, 1.5, 1767542400000, Number.MAX_SAFE_INTEGER, -0.25];
    const ops = new RowOps();
    ops.add(0, strings);
    ops.add(1, numbers);
    ops.add(2, [null, 'a', 7, null]);
    ops.add(0, []);
    const { statements, runs } = recorder(3);
    runOps(statements, ops.bytes());
    expect(runs).toEqual([
      [0, strings.map(asUtf8)],
      [1, numbers],
      [2, [null, 'a', 7, null]],
      [0, []],
    ]);
    // The lone surrogates really were replaced (what SQLite would be given as UTF-8 anyway).
    expect(runs[0]![1][6]).toBe('lone \ufffd high');
  });

  it('then bytes go beside the ops, once however many statements write them', () => {
    const body = Buffer.from([1, 2, 3, 250]);
    const ops = new RowOps();
    ops.add(0, ['cp', body]);
    ops.add(1, ['review', body, Buffer.from('other')]);
    const job = ops.bytes();
    expect(job.attachments).toHaveLength(2);
    const { statements, runs } = recorder(2);
    runOps(statements, job);
    expect(runs[0]![1][1]).toEqual(body);
    expect(runs[1]![1]).toEqual(['review', body, Buffer.from('other')]);
  });

  it('then a value that is not a cell is refused by name', () => {
    expect(() => new RowOps().add(0, [true as unknown as SqlCell])).toThrow(
      'a row value must be null, a number, a string or bytes (got boolean)',
    );
  });

  it('then a builder reused after reset holds only the new job', () => {
    const ops = new RowOps();
    ops.add(0, ['first', Buffer.from('a')]);
    ops.reset();
    expect(ops.empty).toBe(true);
    ops.add(0, ['second']);
    const { statements, runs } = recorder(1);
    runOps(statements, ops.bytes());
    expect(runs).toEqual([[0, ['second']]]);
    expect(ops.bytes().attachments).toHaveLength(0);
  });
});

describe('when the writer thread runs jobs on a file', () => {
  let f: RowsFile;
  let writer: ThreadRowWriter | null = null;
  const statements = ['INSERT INTO t (k, v) VALUES (?, ?)', 'INSERT INTO t (k, v) VALUES (?, NULL)'];

  beforeEach(() => {
    f = rowsFile('cityops-writer-');
  });
  afterEach(() => {
    writer?.close();
    writer = null;
    f.remove();
  });

  const rows = () => f.rows();

  it('then a job is committed whole, told when, and another connection reads it after a drain', () => {
    writer = new ThreadRowWriter(f.file, statements);
    const answers: (string | null)[] = [];
    const job = writer.job();
    job.add(0, ['a', '甲']);
    job.add(0, ['b', 'two']);
    writer.write(job, (err) => answers.push(err?.message ?? null));
    expect(writer.busy).toBe(true);
    writer.drain();
    expect(writer.busy).toBe(false);
    expect(answers).toEqual([null]);
    expect(rows()).toEqual([
      ['a', '甲'],
      ['b', 'two'],
    ]);
  });

  it('then a job that fails is rolled back whole and told why, and the next job is written', () => {
    writer = new ThreadRowWriter(f.file, statements);
    const answers: (string | null)[] = [];
    const bad = writer.job();
    bad.add(0, ['c', 'kept only if all are']);
    bad.add(1, ['d']);
    writer.write(bad, (err) => answers.push(err?.message ?? null));
    writer.drain();
    expect(answers).toEqual(['NOT NULL constraint failed: t.v']);
    expect(rows()).toEqual([]);
    const good = writer.job();
    good.add(0, ['e', 'five']);
    writer.write(good, (err) => answers.push(err?.message ?? null));
    writer.drain();
    expect(answers[1]).toBeNull();
    expect(rows()).toEqual([['e', 'five']]);
  });

  it('then answers come without a drain too, on the event loop, in order', async () => {
    writer = new ThreadRowWriter(f.file, statements);
    const answered = new Promise<string[]>((resolve) => {
      const seen: string[] = [];
      for (const k of ['x', 'y']) {
        const job = writer!.job();
        job.add(0, [k, k]);
        writer!.write(job, () => {
          seen.push(k);
          if (seen.length === 2) resolve(seen);
        });
      }
    });
    expect(await answered).toEqual(['x', 'y']);
    expect(rows()).toHaveLength(2);
  });

  it('then a large byte value moves to the thread, and comes back whole when the job rolls back', () => {
    writer = new ThreadRowWriter(f.file, statements);
    const body = Buffer.alloc(200_000, 7);
    const answers: [string | null, readonly Buffer[] | undefined][] = [];
    const job = writer.job();
    job.add(0, ['big', 'v']);
    job.add(0, ['big', body]);
    writer.write(job, (err, back) => answers.push([err?.message ?? null, back]));
    // Moved, not copied: the caller's view of it is empty until it comes back.
    expect(body.byteLength).toBe(0);
    writer.drain();
    expect(answers[0]![0]).toBe('UNIQUE constraint failed: t.k');
    expect(answers[0]![1]).toHaveLength(1);
    expect(answers[0]![1]![0]).toEqual(Buffer.alloc(200_000, 7));
    expect(rows()).toEqual([]);
  });

  it('then a job that cannot be sent is answered as failed at once, and the writer is not left waiting', () => {
    writer = new ThreadRowWriter(f.file, statements);
    const gone = new Uint8Array(100_000);
    structuredClone(gone.buffer, { transfer: [gone.buffer] });
    const answers: string[] = [];
    const bad = writer.job();
    bad.add(0, ['k', gone]);
    writer.write(bad, (err) => answers.push(err?.name ?? 'none'));
    expect(answers).toEqual(['DataCloneError']);
    expect(writer.busy).toBe(false);
    const good = writer.job();
    good.add(0, ['k', 'v']);
    writer.write(good, (err) => answers.push(err?.name ?? 'none'));
    writer.drain();
    expect(answers).toEqual(['DataCloneError', 'none']);
    expect(rows()).toEqual([['k', 'v']]);
  });

  it('then a file it cannot open is named in the answer to every job, and a drain does not wait for more', () => {
    writer = new ThreadRowWriter(path.join(f.dir, 'no-such-dir', 'rows.sqlite'), statements);
    const answers: (string | null)[] = [];
    for (let i = 0; i < 2; i++) {
      const job = writer.job();
      job.add(0, ['a', 'b']);
      writer.write(job, (err) => answers.push(err?.message ?? null));
      writer.drain();
    }
    expect(answers).toEqual([
      `could not open ${path.join(f.dir, 'no-such-dir', 'rows.sqlite')}: Cannot open database because the directory does not exist`,
      `could not open ${path.join(f.dir, 'no-such-dir', 'rows.sqlite')}: Cannot open database because the directory does not exist`,
    ]);
  });
});
