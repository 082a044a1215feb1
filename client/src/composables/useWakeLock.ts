/**
 * Keeps the wall's screen on: asks for a screen wake lock (Wake Lock API) while the wall is shown, and again each time
 * it is shown after being hidden (the browser releases the lock when the page is hidden). Where the API is missing or
 * refused, the state says so (it is in the wall's health report) and the wall runs on.
 */
import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue';
import type { WakeLockState } from '@shared/wall/health';

/** The wake lock's state, kept while the component is mounted. */
export function useWakeLock(): Readonly<Ref<WakeLockState>> {
  const state = ref<WakeLockState>('navigator' in globalThis && 'wakeLock' in navigator ? 'released' : 'unsupported');
  let sentinel: WakeLockSentinel | null = null;
  let disposed = false;

  async function acquire(): Promise<void> {
    if (
      state.value === 'unsupported' ||
      disposed ||
      document.visibilityState !== 'visible' ||
      (sentinel !== null && !sentinel.released)
    )
      return;
    try {
      const lock = await navigator.wakeLock.request('screen');
      if (disposed) {
        void lock.release();
        return;
      }
      sentinel = lock;
      state.value = 'held';
      lock.addEventListener('release', () => {
        if (sentinel === lock) state.value = 'released';
      });
    } catch {
      // Refused (no user activation yet, a battery saver, a permissions policy): asked again when shown again.
      state.value = 'denied';
    }
  }
  const onVisible = (): void => {
    void acquire();
  };

  onMounted(() => {
    document.addEventListener('visibilitychange', onVisible);
    void acquire();
  });
  onBeforeUnmount(() => {
    disposed = true;
    document.removeEventListener('visibilitychange', onVisible);
    if (sentinel !== null) void sentinel.release();
  });
  return state;
}
