/**
 * Login sessions in PostgreSQL: every node of a cluster knows every session, and a restart logs nobody out. The row
 * keeps what the session store keeps (the token, so each request is still checked against the configured tokens);
 * expired rows are removed when a node starts and once an hour. The table is part of the store's schema (`server/store/postgres.ts`).
 */
import type pg from 'pg';
import type { TokenGrant } from './tokens';
import type { Session, SessionBackend } from './session';

/** A session backend on a pool (the event store's). */
export function pgSessionBackend(
  pool: pg.Pool,
  now: () => number = Date.now,
): SessionBackend & { sweep(): Promise<number> } {
  return {
    async save(s) {
      await pool.query(
        'INSERT INTO sessions (id, token, grant_role, grant_space, name, csrf, expires) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [s.id, s.token, s.grant.role, s.grant.space, s.name, s.csrf, s.expires],
      );
    },
    async load(id) {
      const { rows } = await pool.query<{
        token: string;
        grant_role: string;
        grant_space: string | null;
        name: string | null;
        csrf: string;
        expires: string;
      }>('SELECT token, grant_role, grant_space, name, csrf, expires FROM sessions WHERE id = $1 AND expires >= $2', [
        id,
        now(),
      ]);
      const r = rows[0];
      if (!r) return undefined;
      const grant = { role: r.grant_role, space: r.grant_space, token: r.token } as TokenGrant;
      const s: Session = { id, token: r.token, grant, name: r.name, csrf: r.csrf, expires: Number(r.expires) };
      return s;
    },
    async remove(id) {
      await pool.query('DELETE FROM sessions WHERE id = $1', [id]);
    },
    async touch(id, expires) {
      await pool.query('UPDATE sessions SET expires = GREATEST(expires, $2) WHERE id = $1', [id, expires]);
    },
    async sweep() {
      const r = await pool.query('DELETE FROM sessions WHERE expires < $1', [now()]);
      return r.rowCount ?? 0;
    },
  };
}
