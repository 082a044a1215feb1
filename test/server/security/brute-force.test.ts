/**
 * Failed authentication is limited per address and per token on every path — page logins, bearer and Open311 api_key
 * requests, wall handshakes — with 429 and Retry-After; configured tokens are long, generated ones random enough.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnv } from '../../../server/env';
import type { TokenGrant } from '../../../server/auth/tokens';
import { DEFAULT_SECURITY } from '../../../server/security/settings';
import { refusalCodeOf } from '@shared/contract';
import { HOUR_MS } from '@shared/time';
import { T0 } from '../../fixtures/events';
import { startTestServer, type TestServer } from '../../../harness/server';

const LIMIT = DEFAULT_SECURITY.authLimits.failuresPerAddress.max;
let server: TestServer;
// Behind one trusted proxy, each case below comes from its own client address.
beforeAll(async () => {
  server = await startTestServer(T0 + HOUR_MS, undefined, undefined, {
    security: { ...DEFAULT_SECURITY, trustProxy: 1 },
  });
});
afterAll(async () => {
  await server.dispose();
});

function login(from: string, token: string): Promise<Response> {
  return fetch(`${server.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
    body: JSON.stringify({ token }),
  });
}

describe('when one address tries wrong tokens at the login', () => {
  it('then past the limit it gets 429 with Retry-After, even for a right token, until the window ends', async () => {
    const from = '203.0.113.1';
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 3; i++) statuses.push((await login(from, `guess-${i}-0123456789`)).status);
    expect(statuses.slice(0, LIMIT).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(LIMIT)).toEqual([429, 429, 429]);
    const right = await login(from, 'supervisor-token');
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(right.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(((await right.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'rate_limited',
      message: expect.stringMatching(/retry in \d+ s/),
    });
    // Another address is not held back by this one.
    expect((await login('203.0.113.2', 'supervisor-token')).status).toBe(200);
    server.now.value += 61_000;
    expect((await login(from, 'supervisor-token')).status).toBe(200);
  }, 60_000);
});

describe('when one wrong token is tried from many addresses', () => {
  it('then past the limit that token is refused with 429 from any address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 2; i++) {
      const res = await fetch(`${server.url}/api/v1/spaces`, {
        headers: { authorization: 'Bearer stolen-guess-0123456789', 'x-forwarded-for': `198.51.100.${i + 1}` },
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, LIMIT).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(LIMIT)).toEqual([429, 429]);
  }, 60_000);
});

describe('when one address tries Open311 api keys', () => {
  it('then past the limit it gets the Open311 error shape with 429 and Retry-After', async () => {
    const from = '203.0.113.3';
    let last: Response | null = null;
    for (let i = 0; i < LIMIT + 1; i++)
      last = await fetch(`${server.url}/open311/v2/requests.json?api_key=key-${i}-0123456789abcdef`, {
        headers: { 'x-forwarded-for': from },
      });
    expect(last?.status).toBe(429);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await last?.json()) as { code: number; description: string }[];
    expect(body[0]?.code).toBe(429);
  }, 60_000);
});

describe('when one address opens wall sockets with wrong tokens', () => {
  function handshake(token: string, from: string): Promise<string> {
    return new Promise((resolve) => {
      const s = io(`${server.url}/wall`, {
        auth: { token, space: 'live' },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        extraHeaders: { 'x-forwarded-for': from },
      });
      s.once('connect', () => {
        s.close();
        resolve('connected');
      });
      s.once('connect_error', (err) => {
        s.close();
        resolve(refusalCodeOf(err) ?? err.message);
      });
    });
  }

  it('then past the limit the handshake is refused as rate_limited, a right token included', async () => {
    const from = '203.0.113.4';
    const codes: string[] = [];
    for (let i = 0; i < LIMIT + 1; i++) codes.push(await handshake(`wall-guess-${i}-0123456789`, from));
    expect(codes.slice(0, LIMIT).every((c) => c === 'unauthorized')).toBe(true);
    expect(codes[LIMIT]).toBe('rate_limited');
    expect(await handshake('viewer-token', from)).toBe('rate_limited');
    expect(await handshake('viewer-token', '203.0.113.5')).toBe('connected');
  }, 60_000);
});

describe('when tokens are configured or generated', () => {
  it('then a configured token under 16 characters stops the start, naming its role and never its value', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cityops-tokens-'));
    try {
      let message = '';
      try {
        readEnv({ DATA_DIR: dir, CITYOPS_TOKENS: 'admin:adm1n-0123456789abcdef,supervisor@live:sup3r-short' });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toContain('CITYOPS_TOKENS entry 2 (supervisor@live)');
      expect(message).toContain('shorter than 16 characters');
      expect(message).not.toContain('sup3r-short');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('then generated tokens carry at least 128 random bits', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cityops-tokens-'));
    try {
      readEnv({ DATA_DIR: dir });
      const stored = JSON.parse(readFileSync(path.join(dir, 'tokens.json'), 'utf8')) as TokenGrant[];
      expect(stored).toHaveLength(4);
      for (const g of stored) expect(Buffer.from(g.token, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
      expect(new Set(stored.map((g) => g.token)).size).toBe(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
