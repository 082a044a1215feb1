/**
 * What the wall tells the server about itself (`shared/wall/health.ts`): frames drawn per second (counted with
 * requestAnimationFrame, which stops while hidden), its data's age, its heap, the window and the kiosk flags.
 */
import { onBeforeUnmount, onMounted, type Ref } from 'vue';
import type { WakeLockState, WallReport } from '@shared/wall/health';
import { randomId } from '../randomId';

const WALL_ID_KEY = 'cityops-wall-id';

/** The build this page runs ('dev' outside a Vite build). */
export const CLIENT_BUILD = typeof __CITYOPS_BUILD__ === 'string' ? __CITYOPS_BUILD__ : 'dev';

/** This browser's wall id, made once and kept in localStorage (a new one when storage is unavailable). */
export function wallId(): string {
  const fresh = (): string => randomId();
  try {
    const kept = localStorage.getItem(WALL_ID_KEY);
    if (kept && /^[A-Za-z0-9_-]{6,64}$/.test(kept)) return kept;
    const id = fresh();
    localStorage.setItem(WALL_ID_KEY, id);
    return id;
  } catch {
    return fresh();
  }
}

const ageOf = (ms: number | null): number | null => (ms === null ? null : Math.max(0, Math.round(ms)));

/** Builds the wall's report on demand; counts frames while mounted. */
export function useWallHealth(opts: {
  readonly dataAgeMs: () => number | null;
  readonly kiosk: boolean;
  readonly grid: string | null;
  readonly wakeLock: Readonly<Ref<WakeLockState>>;
}): () => WallReport {
  const id = wallId();
  let frames = 0;
  let since = performance.now();
  let raf = 0;
  const count = (): void => {
    frames += 1;
    raf = requestAnimationFrame(count);
  };
  onMounted(() => {
    raf = requestAnimationFrame(count);
  });
  onBeforeUnmount(() => cancelAnimationFrame(raf));

  return () => {
    const t = performance.now();
    const fps = t - since >= 500 ? Math.round((frames * 1000 * 10) / (t - since)) / 10 : null;
    frames = 0;
    since = t;
    const memory = (performance as Performance & { memory?: { usedJSHeapSize?: number } }).memory;
    return {
      wallId: id,
      version: CLIENT_BUILD,
      fps,
      dataAgeMs: ageOf(opts.dataAgeMs()),
      heapBytes: typeof memory?.usedJSHeapSize === 'number' ? memory.usedJSHeapSize : null,
      screen: {
        width: Math.round(window.innerWidth),
        height: Math.round(window.innerHeight),
        dpr: window.devicePixelRatio,
      },
      kiosk: {
        kiosk: opts.kiosk,
        grid: opts.grid,
        fullscreen: document.fullscreenElement !== null,
        wakeLock: opts.wakeLock.value,
        hidden: document.visibilityState !== 'visible',
      },
    };
  };
}
