/** The wall's fixed 1920×1080 stage, scaled uniformly (letterboxed) to whatever screen or video wall shows it. */
import { inject, onBeforeUnmount, onMounted, provide, ref, type InjectionKey, type Ref } from 'vue';

/** Design size of the stage, CSS px. */
export const STAGE_WIDTH = 1920;
export const STAGE_HEIGHT = 1080;

const SCALE: InjectionKey<Readonly<Ref<number>>> = Symbol('stage-scale');

function fit(): number {
  return Math.min(window.innerWidth / STAGE_WIDTH, window.innerHeight / STAGE_HEIGHT);
}

/** Tracks the scale that fits the stage to the window and provides it to descendants (charts need it for sharpness). */
export function provideStageScale(): Readonly<Ref<number>> {
  const scale = ref(fit());
  let frame = 0;
  const onResize = (): void => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => { scale.value = fit(); });
  };
  onMounted(() => window.addEventListener('resize', onResize));
  onBeforeUnmount(() => {
    window.removeEventListener('resize', onResize);
    cancelAnimationFrame(frame);
  });
  provide(SCALE, scale);
  return scale;
}

/** The stage scale provided by the app (1 outside it). */
export function useStageScale(): Readonly<Ref<number>> {
  return inject(SCALE, ref(1));
}
