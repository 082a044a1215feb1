/**
 * The wall's state: the view of one space, kept in step with the server by the same pure reducer the server uses.
 * The store never opens a socket; `socket.ts` feeds it. A review (复盘) shows a past view instead: it stands still,
 * has no data age, and its space clock is the instant reviewed.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { applyWallDelta, followsDirectly, type WallDelta, type WallSnapshot } from '@shared/wall/delta';
import type { WallView } from '@shared/wall/view';

/** Where the connection stands; `review` when the wall shows a past instant and has no connection. */
export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting' | 'refused' | 'review';

/** What a delta did to the view. */
export type DeltaOutcome = 'applied' | 'stale' | 'gap';

/** Data older than this is shown amber, then red at twice it (wall-clock ms). */
export const STALE_MS = 5_000;

export const useWallStore = defineStore('wall', () => {
  // Replaced whole on every message: panels are immutable, so deep reactivity would only cost memory and time.
  const view = shallowRef<WallView | null>(null);
  const seq = ref(-1);
  const status = ref<ConnectionStatus>('connecting');
  const error = ref<string | null>(null);
  /** Wall-clock ms of the last snapshot or delta. */
  const lastMessageAt = ref<number | null>(null);
  /** Wall-clock ms, advanced once a second for clocks and data age. */
  const nowTick = ref(Date.now());

  function receiveSnapshot(snapshot: WallSnapshot): void {
    view.value = snapshot.view;
    seq.value = snapshot.seq;
    lastMessageAt.value = Date.now();
    status.value = 'live';
    error.value = null;
  }

  /**
   * Applies a delta that follows directly. A gap, and a stale delta (no newer than the view: the space's stream started
   * over, its space deleted and made again), are left to the caller, which resyncs.
   */
  function receiveDelta(delta: WallDelta): DeltaOutcome {
    const current = view.value;
    if (current === null || delta.seq <= seq.value) return current === null ? 'gap' : 'stale';
    if (!followsDirectly(seq.value, delta)) return 'gap';
    view.value = applyWallDelta(current, delta);
    seq.value = delta.seq;
    lastMessageAt.value = Date.now();
    return 'applied';
  }

  /** Shows a past view (review): no stream, no data age, the clock stands at the view's instant. */
  function showPast(past: WallView): void {
    view.value = past;
    seq.value = -1;
    lastMessageAt.value = null;
    status.value = 'review';
    error.value = null;
  }

  function setStatus(next: ConnectionStatus, reason: string | null = null): void {
    status.value = next;
    error.value = reason;
  }

  /** Starts the one 1 s tick of the app; returns its disposer. */
  function startTicking(): () => void {
    const tick = (): void => {
      nowTick.value = Date.now();
    };
    const timer = setInterval(tick, 1000);
    // Throttled while hidden: bring the clock and the data age up to date the moment the wall is shown again.
    document.addEventListener('visibilitychange', tick);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', tick);
    };
  }

  /** Wall-clock ms since the last message, or null before the first (and in a review, whose data has no age). */
  const dataAgeMs = computed(() =>
    lastMessageAt.value === null ? null : Math.max(0, nowTick.value - lastMessageAt.value),
  );

  /**
   * The space's clock now: the view's time advanced by the wall time since it arrived, at the space's rate; in a review,
   * the instant reviewed.
   */
  const spaceNow = computed(() => {
    const v = view.value;
    if (v === null) return null;
    if (status.value === 'review') return v.now;
    const elapsed = lastMessageAt.value === null ? 0 : Math.max(0, nowTick.value - lastMessageAt.value);
    return v.now + elapsed * v.clockRate;
  });

  return {
    view,
    seq,
    status,
    error,
    lastMessageAt,
    nowTick,
    dataAgeMs,
    spaceNow,
    receiveSnapshot,
    receiveDelta,
    showPast,
    setStatus,
    startTicking,
  };
});

/** The store's type, for `socket.ts`. */
export type WallStore = ReturnType<typeof useWallStore>;
