/**
 * The wall's stage: 1080 CSS px high and 1920 wide, scaled uniformly to the screen. A screen wider than 16:9 (up to
 * a 48:9 three-panel video wall) widens the stage instead of letterboxing it, so panels stretch and nothing distorts.
 */
import { inject, onBeforeUnmount, onMounted, provide, ref, type InjectionKey, type Ref } from 'vue';

/** Design size of the stage, CSS px (the width is the narrowest; wide screens widen it up to STAGE_MAX_WIDTH). */
export const STAGE_WIDTH = 1920;
export const STAGE_HEIGHT = 1080;
/** Widest stage: a 5760×1080 video wall at scale 1. */
export const STAGE_MAX_WIDTH = 5760;

const SCALE: InjectionKey<Readonly<Ref<number>>> = Symbol('stage-scale');

/**
 * The stage's size and scale for a window of `w`×`h` CSS px; `below` design px under the stage are kept for a band
 * scaled with it (the review bar), so the stage and the band together fit the window.
 */
export function fitStage(w: number, h: number, below = 0): { width: number; scale: number } {
  h = (h * STAGE_HEIGHT) / (STAGE_HEIGHT + below);
  const aspect = w / Math.max(1, h);
  const width = Math.round(Math.min(STAGE_MAX_WIDTH, Math.max(STAGE_WIDTH, aspect * STAGE_HEIGHT)));
  return { width, scale: Math.min(w / width, h / STAGE_HEIGHT) };
}

/**
 * Tracks the stage that fits the window (with `below` design px kept under it) and provides its scale to descendants
 * (charts need it for sharpness).
 */
export function provideStage(below = 0): { scale: Readonly<Ref<number>>; width: Readonly<Ref<number>> } {
  const first = fitStage(window.innerWidth, window.innerHeight, below);
  const scale = ref(first.scale);
  const width = ref(first.width);
  let frame = 0;
  const onResize = (): void => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => {
      const next = fitStage(window.innerWidth, window.innerHeight, below);
      scale.value = next.scale;
      width.value = next.width;
    });
  };
  onMounted(() => window.addEventListener('resize', onResize));
  onBeforeUnmount(() => {
    window.removeEventListener('resize', onResize);
    cancelAnimationFrame(frame);
  });
  provide(SCALE, scale);
  return { scale, width };
}

/** The stage scale provided by the app (1 outside it). */
export function useStageScale(): Readonly<Ref<number>> {
  return inject(SCALE, ref(1));
}
