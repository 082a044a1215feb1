/**
 * The supervisor pages' HTTP client: same-origin requests carrying the session cookie, the CSRF token echoed on writes,
 * and a 401 sending the browser to the login page (back here afterwards). Errors carry the server's message.
 */
import { reactive } from 'vue';
import type { Directory } from '@shared/cases/query';
import { sessionInfoSchema, type ApiError, type SessionInfo } from '@shared/contract';
import type { CalendarCoverage } from '@shared/sla/coverage';

/** An API failure with the server's code and message. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: readonly { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** The session, once known. */
export const session = reactive<{ info: SessionInfo | null }>({ info: null });

/**
 * Sends the browser to the login page, back here afterwards; `expired` when this page was logged in (its session known)
 * and the server no longer knows it, so the login page can say so.
 */
function toLogin(): void {
  const next = `${window.location.pathname}${window.location.search}`;
  const expired = session.info !== null ? '&reason=expired' : '';
  if (window.location.pathname !== '/login')
    window.location.assign(`/login?next=${encodeURIComponent(next)}${expired}`);
}

async function fail(res: Response): Promise<never> {
  let err: ApiError | null = null;
  try {
    err = ((await res.json()) as { error?: ApiError }).error ?? null;
  } catch {
    /* not JSON */
  }
  if (res.status === 401) toLogin();
  throw new ApiFailure(res.status, err?.code ?? 'internal', err?.message ?? `HTTP ${res.status}`, err?.errors ?? []);
}

/** GETs JSON from the API. */
export async function getJson<T>(path: string, params?: Record<string, string>): Promise<T> {
  const qs = params && Object.keys(params).length > 0 ? `?${new URLSearchParams(params)}` : '';
  const res = await fetch(`${path}${qs}`, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (!res.ok) return fail(res);
  return (await res.json()) as T;
}

/** Loads the session (and its CSRF token); null when not logged in. */
export async function loadSession(): Promise<SessionInfo | null> {
  const res = await fetch('/api/v1/session', { credentials: 'same-origin' });
  session.info = res.ok ? sessionInfoSchema.parse(await res.json()) : null;
  return session.info;
}

/** Sends a write with the CSRF token. */
export async function send<T>(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const info = session.info ?? (await loadSession());
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-csrf-token': info?.csrfToken ?? '' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) return fail(res);
  return res.status === 204 ? (undefined as T) : ((await res.json()) as T);
}

/** Logs in with a token; resolves with the session or throws the server's reason. */
export async function login(token: string, name: string): Promise<SessionInfo> {
  const res = await fetch('/api/v1/session', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, ...(name ? { name } : {}) }),
  });
  if (!res.ok) {
    const err = ((await res.json().catch(() => ({}))) as { error?: ApiError }).error;
    throw new ApiFailure(res.status, err?.code ?? 'internal', err?.message ?? `HTTP ${res.status}`);
  }
  session.info = sessionInfoSchema.parse(await res.json());
  return session.info;
}

/** Logs out. */
export async function logout(): Promise<void> {
  await send('DELETE', '/api/v1/session');
  session.info = null;
}

const directories = new Map<string, Promise<Directory>>();

/** The configured names of a space (cached per page load). */
export function directory(space: string): Promise<Directory> {
  let d = directories.get(space);
  if (!d) {
    d = getJson<Directory>('/api/v1/directory', { space });
    d.catch(() => directories.delete(space));
    directories.set(space, d);
  }
  return d;
}

/** Subscribes to a space's case changes (server-sent events); returns the disposer. */
export function watchCases(space: string, onChange: () => void): () => void {
  const es = new EventSource(`/api/v1/cases/stream?space=${encodeURIComponent(space)}`, { withCredentials: true });
  es.addEventListener('change', onChange);
  return () => es.close();
}

const CALENDAR_KEEP_MS = 10 * 60_000;
let calendarCache: { readonly at: number; readonly coverage: Promise<CalendarCoverage | null> } | null = null;

async function fetchCalendarCoverage(): Promise<CalendarCoverage | null> {
  try {
    const res = await fetch('/api/v1/calendar', {
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
    });
    if (!res.ok) return null;
    return ((await res.json()) as { coverage?: CalendarCoverage }).coverage ?? null;
  } catch {
    return null;
  }
}

/**
 * The working calendar's coverage for the pages' banner, kept ten minutes across page changes; null when it cannot be
 * had (not logged in yet, server away — the page reports those itself), and then asked again next time.
 */
export function calendarCoverage(): Promise<CalendarCoverage | null> {
  const now = Date.now();
  if (!calendarCache || now - calendarCache.at > CALENDAR_KEEP_MS) {
    const coverage = fetchCalendarCoverage();
    calendarCache = { at: now, coverage };
    void coverage.then((c) => {
      if (c === null && calendarCache?.coverage === coverage) calendarCache = null;
    });
  }
  return calendarCache.coverage;
}
