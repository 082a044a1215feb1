/** A page's poll: `tick` every `ms` while the page is mounted. */
import { onBeforeUnmount, onMounted } from 'vue';

/**
 * Runs `tick` every `ms` from when the component mounts until it unmounts. The timer starts at once, not after the
 * page's first load: a page left while that load is still waiting must not start a poll nobody will stop.
 */
export function usePolling(tick: () => void, ms: number): void {
  let timer: ReturnType<typeof setInterval> | null = null;
  onMounted(() => {
    timer = setInterval(tick, ms);
  });
  onBeforeUnmount(() => {
    if (timer !== null) clearInterval(timer);
    timer = null;
  });
}
