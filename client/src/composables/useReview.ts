/**
 * Review (复盘) on the wall: the view of a space at a past instant, fetched from `GET /api/v1/spaces/:space/review`,
 * never from the live stream. One request is in flight at a time (a newer instant asked meanwhile waits, older ones
 * are dropped); playing at ×1/×10/×60 advances the instant by the speed times the real time elapsed and stops at the
 * span's end. The address's `at` follows the instant shown (replaceState), so the link can be shared.
 */
import { onScopeDispose, ref, shallowRef } from 'vue';
import type { ApiError } from '@shared/contract';
import { shanghaiIso, type ReviewAnswer } from '@shared/wall/review';

/** Play speeds: space seconds per real second. */
export const REVIEW_SPEEDS = [1, 10, 60] as const;
/** A play speed. */
export type ReviewSpeed = (typeof REVIEW_SPEEDS)[number];

/** How often a playing review asks for its next instant, real ms (at most one request in flight). */
const PLAY_TICK_MS = 250;

/** The review of `space` starting at `start` (ms); `show` receives each past view. */
export function useReview(opts: {
  readonly space: string;
  readonly token: string | null;
  readonly start: number;
  readonly show: (answer: ReviewAnswer) => void;
}) {
  /** The instant of the view shown (null before the first answer). */
  const at = ref<number | null>(null);
  /** The instant last asked for. */
  const wanted = ref(opts.start);
  /** What can be reviewed, from the last answer. */
  const span = shallowRef<ReviewAnswer['span'] | null>(null);
  const error = ref<string | null>(null);
  const loading = ref(false);
  /** The speed playing, or null when paused. */
  const playing = ref<ReviewSpeed | null>(null);

  let pending: number | null = null;
  let bearer = opts.token;
  let anchor: { readonly real: number; readonly at: number } | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  let disposed = false;

  async function fetchAt(t: number): Promise<ReviewAnswer> {
    const url = `/api/v1/spaces/${encodeURIComponent(opts.space)}/review?at=${encodeURIComponent(shanghaiIso(t))}`;
    const get = (token: string | null) =>
      fetch(url, {
        credentials: 'same-origin',
        headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      });
    let res = await get(bearer);
    // The wall's token may be for another space than the link's: the desk's login (its cookie) is tried next.
    if ((res.status === 401 || res.status === 403) && bearer !== null) {
      bearer = null;
      res = await get(null);
    }
    if (res.status === 401) {
      window.location.assign(
        `/login?next=${encodeURIComponent(`${window.location.pathname}${window.location.search}`)}`,
      );
    }
    if (!res.ok) {
      let e: ApiError | null = null;
      try {
        e = ((await res.json()) as { error?: ApiError }).error ?? null;
      } catch {
        /* not JSON */
      }
      throw new Error(e?.errors?.[0]?.message ?? e?.message ?? `HTTP ${res.status}`);
    }
    return (await res.json()) as ReviewAnswer;
  }

  /** Asks for the view at `t` (ms), clamped to the span once known. */
  function seek(t: number): void {
    const s = span.value;
    const target = s ? Math.min(s.last, Math.max(s.first, t)) : t;
    wanted.value = target;
    if (loading.value) {
      pending = target;
      return;
    }
    void load(target);
  }

  async function load(t: number): Promise<void> {
    loading.value = true;
    try {
      const answer = await fetchAt(t);
      if (disposed) return;
      at.value = answer.at;
      span.value = answer.span;
      error.value = null;
      opts.show(answer);
      const url = new URL(window.location.href);
      url.searchParams.set('at', shanghaiIso(answer.at));
      window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
    } catch (e) {
      if (disposed) return;
      error.value = e instanceof Error ? e.message : String(e);
      pause();
    } finally {
      loading.value = false;
    }
    const next = pending;
    pending = null;
    if (next !== null && !disposed) void load(next);
  }

  /** Moves the instant by `ms` (negative: back), pausing play. */
  function step(ms: number): void {
    pause();
    seek((at.value ?? wanted.value) + ms);
  }

  /** Plays forward at `speed` from the instant shown; at the span's end it stops. */
  function play(speed: ReviewSpeed): void {
    const s = span.value;
    const from = at.value ?? wanted.value;
    // Played to the end already: start again from the beginning of the span.
    const startAt = s !== null && from >= s.last ? s.first : from;
    anchor = { real: performance.now(), at: startAt };
    playing.value = speed;
    timer ??= setInterval(tick, PLAY_TICK_MS);
    tick();
  }

  function tick(): void {
    if (playing.value === null || anchor === null || loading.value) return;
    const s = span.value;
    // Whole seconds while playing: the shared address stays readable.
    let t = Math.floor((anchor.at + playing.value * (performance.now() - anchor.real)) / 1000) * 1000;
    if (s !== null && t >= s.last) {
      t = s.last;
      pause();
    }
    if (t !== at.value) seek(t);
  }

  function pause(): void {
    playing.value = null;
    anchor = null;
    if (timer !== null) clearInterval(timer);
    timer = null;
  }

  /** Plays at `speed`, or pauses when it is already playing at it. */
  function toggle(speed: ReviewSpeed = playing.value ?? 1): void {
    if (playing.value === speed) pause();
    else play(speed);
  }

  seek(opts.start);
  onScopeDispose(() => {
    disposed = true;
    pause();
  });

  return { at, wanted, span, error, loading, playing, seek, step, play, pause, toggle };
}
