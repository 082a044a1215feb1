/**
 * The wall's audible alarm (`&sound=1`): a two-tone chime generated with Web Audio (no asset), repeated every
 * `periodMs` while any duty item waits unacknowledged, silent once none does. Without the flag nothing is created: no
 * AudioContext, no timer. A browser that blocks audio until a gesture plays from the first click or key on the wall
 * (a kiosk can start Chromium with `--autoplay-policy=no-user-gesture-required`).
 */
import { onScopeDispose, watch } from 'vue';

/** Sounds while `pending()` is above zero, when `enabled`. */
export function useAlarm(enabled: boolean, pending: () => number, periodMs = 4_000): void {
  if (!enabled) return;
  let ctx: AudioContext | null = null;
  const chime = (): void => {
    if (pending() <= 0) return;
    ctx ??= new AudioContext();
    if (ctx.state === 'suspended') void ctx.resume();
    const t = ctx.currentTime;
    for (const [i, hz] of [880, 660].entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'triangle';
      osc.frequency.value = hz;
      gain.gain.setValueAtTime(0.0001, t + i * 0.35);
      gain.gain.exponentialRampToValueAtTime(0.4, t + i * 0.35 + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.35 + 0.33);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t + i * 0.35);
      osc.stop(t + i * 0.35 + 0.34);
    }
  };
  const unlock = (): void => {
    if (ctx?.state === 'suspended') void ctx.resume();
  };
  const timer = setInterval(chime, periodMs);
  // A new item sounds at once, not at the next period.
  const stop = watch(
    pending,
    (n, before) => {
      if (n > (before ?? 0)) chime();
    },
    { immediate: true },
  );
  window.addEventListener('pointerdown', unlock);
  window.addEventListener('keydown', unlock);
  onScopeDispose(() => {
    clearInterval(timer);
    stop();
    window.removeEventListener('pointerdown', unlock);
    window.removeEventListener('keydown', unlock);
    void ctx?.close();
  });
}
