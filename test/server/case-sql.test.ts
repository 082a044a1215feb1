/** The case queries' SQL over both databases: named parameters as PostgreSQL's `$n`, and the SQLite side. */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { positional, scalar, sqliteSql } from '../../server/cases/sql';
import { shanghaiInstant } from '@shared/time';

describe('when named parameters become positional ones', () => {
  it('then each name gets the number of its first use, and a repeated name reuses it', () => {
    const { text, values } = positional(
      'SELECT * FROM cases WHERE space = @space AND (flags & @flags) = @flags AND id = @id',
      {
        id: 'c1',
        flags: 6,
        space: 'live',
      },
    );
    expect(text).toBe('SELECT * FROM cases WHERE space = $1 AND (flags & $2) = $2 AND id = $3');
    expect(values).toEqual(['live', 6, 'c1']);
  });

  it('then a name sharing a prefix with another is its own parameter', () => {
    const { text, values } = positional('WHERE id = @id OR id = @id0 OR id = @id1', { id: 'a', id0: 'b', id1: 'c' });
    expect(text).toBe('WHERE id = $1 OR id = $2 OR id = $3');
    expect(values).toEqual(['a', 'b', 'c']);
  });

  it('then a null value is passed as null, not taken as missing', () => {
    expect(positional('WHERE unit = @unit', { unit: null }).values).toEqual([null]);
  });

  it('then a parameter with no value throws, naming it', () => {
    expect(() => positional('WHERE space = @space AND received_at >= @from', { space: 'live' })).toThrow(
      'query parameter @from has no value',
    );
  });
});

describe('when the queries run on a SQLite file', () => {
  it('then ready writes what is pending, rows come back as arrays, and the Asia/Shanghai date is the local one', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE cases (space TEXT, id TEXT, received_at INTEGER)');
    let flushes = 0;
    const sql = sqliteSql(db, () => {
      flushes++;
      db.prepare('INSERT INTO cases VALUES (?, ?, ?)').run('live', 'c1', shanghaiInstant('2026-11-23', '07:59'));
    });
    await sql.ready('live');
    expect(flushes).toBe(1);
    // 07:59 in Shanghai is 23:59 UTC the day before.
    expect(
      await sql.rows(`SELECT id, ${sql.dialect.shanghaiDate('received_at')} FROM cases WHERE space = @space`, {
        space: 'live',
      }),
    ).toEqual([['c1', '2026-11-23']]);
    expect(await scalar(sql, 'SELECT count(*) FROM cases WHERE space = @space', { space: 'demo' })).toBe(0);
    db.close();
  });
});
