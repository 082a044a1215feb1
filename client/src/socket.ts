/**
 * The wall's one socket: `/wall` with `{ token, space }` auth, feeding snapshots and deltas to the store and
 * resyncing itself on a sequence gap. Reconnects with jittered backoff, also after the server refused for a
 * transient reason (socket.io does not retry a connection its middleware rejected).
 */
import { io, type Socket } from 'socket.io-client';
import type { RefusalCode, WallClientToServer, WallServerToClient } from '@shared/contract';
import { isWallDelta, type WallSnapshot } from '@shared/wall/delta';
import { WALL_REPORT_MS, type WallReport } from '@shared/wall/health';
import type { WallStore } from './stores/wall';

type WallSocket = Socket<WallServerToClient, WallClientToServer>;

const TOKEN_KEY = 'cityops-wall-token';
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 15_000;
const RESYNC_TIMEOUT_MS = 10_000;
/** A report not acked within this is taken as a dead connection (a half-open socket after the PC slept). */
const PROBE_TIMEOUT_MS = 2_500;
/** A 1 s timer that ran this late means the page was frozen or the PC slept. */
const STALL_MS = 5_000;

/** Where the wall points: the space from the address, the token from the address once, then from the session. */
export interface WallTarget {
  readonly space: string;
  readonly token: string | null;
}

/** Reads `?space=` and `?token=`; a token in the address is moved to sessionStorage and taken off the address bar. */
export function readTarget(): WallTarget {
  const url = new URL(window.location.href);
  const space = url.searchParams.get('space') ?? 'live';
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
  }
  return { space, token: fromUrl ?? sessionStorage.getItem(TOKEN_KEY) };
}

function isSnapshot(x: unknown): x is WallSnapshot {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as { seq?: unknown }).seq === 'number' &&
    typeof (x as { view?: unknown }).view === 'object' &&
    (x as { view?: unknown }).view !== null
  );
}

/** Each refusal the server may send (`err.data.code`): what the wall says, and whether retrying can cure it. */
const REFUSALS: Readonly<Record<RefusalCode, { readonly label: string; readonly final: boolean }>> = {
  unauthorized: { label: '令牌无效', final: true },
  forbidden: { label: '无权查看该空间', final: true },
  bad_request: { label: '连接参数有误', final: true },
  not_ready: { label: '服务器正在重建数据', final: false },
  rate_limited: { label: '认证失败过多，稍后重试', final: false },
};

/** The refusal code of a `connect_error`, or null when the server did not refuse (the transport failed). */
function refusalOf(err: Error): RefusalCode | null {
  const data: unknown = (err as Error & { data?: unknown }).data;
  const code = typeof data === 'object' && data !== null ? (data as { code?: unknown }).code : undefined;
  return typeof code === 'string' && Object.hasOwn(REFUSALS, code) ? (code as RefusalCode) : null;
}

function describeRefusal(code: RefusalCode | null, message: string): string {
  return code === null ? message : `${REFUSALS[code].label} · ${message}`;
}

/**
 * Connects the store to the server; returns the disposer that closes the socket. With `health`, the wall reports
 * itself every WALL_REPORT_MS, and after it was hidden, frozen or asleep it checks its connection at once: a report
 * not acked in PROBE_TIMEOUT_MS means a dead socket, replaced at once; an acked one is followed by a resync.
 */
export function connectWall(
  store: WallStore,
  target: WallTarget = readTarget(),
  health?: () => WallReport,
): () => void {
  if (!target.token) {
    store.setStatus('refused', '缺少访问令牌：请以 ?space=<空间>&token=<令牌> 打开本页');
    return () => {};
  }
  const socket: WallSocket = io('/wall', {
    auth: { token: target.token, space: target.space },
    transports: ['websocket'],
    reconnection: true,
    reconnectionDelay: RETRY_MIN_MS,
    reconnectionDelayMax: RETRY_MAX_MS,
    randomizationFactor: 0.5,
  });

  let resyncing = false;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let retries = 0;

  const resync = (): void => {
    if (resyncing) return;
    resyncing = true;
    socket.timeout(RESYNC_TIMEOUT_MS).emit('resync', (err, result) => {
      resyncing = false;
      if (err) return; // the next delta shows the gap again and asks once more
      if (result.ok && isSnapshot(result.data)) store.receiveSnapshot(result.data);
      else if (!result.ok) store.setStatus(store.status, `重新同步失败 · ${result.error.message}`);
    });
  };

  // socket.io retries a lost transport itself, but not a connection the server closed or its middleware refused.
  const scheduleRetry = (): void => {
    if (socket.active || retryTimer !== null) return;
    const base = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** retries);
    retries += 1;
    retryTimer = setTimeout(
      () => {
        retryTimer = null;
        socket.connect();
      },
      base * (0.5 + Math.random()),
    );
  };

  socket.on('connect', () => {
    retries = 0;
  });
  socket.on('snapshot', (snapshot) => {
    if (!isSnapshot(snapshot)) return;
    store.receiveSnapshot(snapshot);
  });
  socket.on('delta', (delta) => {
    if (!isWallDelta(delta)) return;
    // A gap, or a delta of a stream that started over (its space was deleted and made again): a fresh snapshot.
    if (store.receiveDelta(delta) !== 'applied') resync();
  });
  socket.on('disconnect', (reason) => {
    resyncing = false;
    if (reason === 'io client disconnect') return;
    store.setStatus('reconnecting', `连接中断（${reason}）`);
    scheduleRetry();
  });
  socket.on('connect_error', (err) => {
    const code = refusalOf(err);
    if (code !== null && REFUSALS[code].final) {
      store.setStatus('refused', describeRefusal(code, err.message));
      socket.disconnect();
      return;
    }
    store.setStatus(store.view === null ? 'connecting' : 'reconnecting', describeRefusal(code, err.message));
    scheduleRetry();
  });

  /** Opens a new connection now, dropping any backoff under way. */
  const reconnectNow = (): void => {
    if (retryTimer !== null) {
      clearTimeout(retryTimer);
      retryTimer = null;
    }
    retries = 0;
    if (socket.active) socket.disconnect();
    socket.connect();
  };

  /** Sends the wall's report; `probe` also checks the socket answers, and replaces it when it does not. */
  const report = (probe: boolean): void => {
    if (!socket.connected) return;
    const body = health ? health() : null;
    socket.timeout(PROBE_TIMEOUT_MS).emit('wall:health', body, (err) => {
      if (!probe) return;
      if (err) {
        store.setStatus('reconnecting', '连接无响应，正在重连');
        reconnectNow();
        return;
      }
      resync();
    });
  };

  // A background tab's timers are throttled (to once a minute after a while) and a sleeping PC runs none: when the wall
  // is shown again, resumes or sees its timer stall, it reconnects at once if disconnected, else probes its socket
  // (a socket that slept may be dead without knowing it) and resyncs, instead of waiting out backoffs and ping timeouts.
  const recover = (): void => {
    if (document.visibilityState !== 'visible') return;
    // A connection being opened right now is left to finish (a slow first render also stalls the timer).
    if (!socket.connected) {
      if (socket.io.engine?.readyState !== 'opening') reconnectNow();
    } else report(true);
  };
  const onVisible = (): void => {
    recover();
  };
  document.addEventListener('visibilitychange', onVisible);
  window.addEventListener('pageshow', onVisible);
  document.addEventListener('resume', onVisible);
  window.addEventListener('online', onVisible);
  // A page closed or reloaded leaves on purpose, so the server does not wait for it and raise a silent-wall alert.
  const onLeave = (e: PageTransitionEvent): void => {
    if (!e.persisted) socket.disconnect();
  };
  window.addEventListener('pagehide', onLeave);
  let lastTick = Date.now();
  const watch = setInterval(() => {
    const t = Date.now();
    const stalled = t - lastTick > STALL_MS;
    lastTick = t;
    if (stalled) recover();
  }, 1000);
  const reporter = health ? setInterval(() => report(false), WALL_REPORT_MS) : null;
  // The first report of each connection follows its snapshot, so it carries the fresh data's age.
  let reportAfterSnapshot = false;
  socket.on('connect', () => {
    reportAfterSnapshot = health !== undefined;
  });
  socket.on('snapshot', () => {
    if (!reportAfterSnapshot) return;
    reportAfterSnapshot = false;
    report(false);
  });

  return () => {
    document.removeEventListener('visibilitychange', onVisible);
    window.removeEventListener('pageshow', onVisible);
    document.removeEventListener('resume', onVisible);
    window.removeEventListener('online', onVisible);
    window.removeEventListener('pagehide', onLeave);
    clearInterval(watch);
    if (reporter !== null) clearInterval(reporter);
    if (retryTimer !== null) clearTimeout(retryTimer);
    socket.removeAllListeners();
    socket.disconnect();
  };
}
