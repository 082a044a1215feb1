/**
 * The wall's setup: the names, colours, targets and thresholds of the server's configuration, as the view of the
 * space carries them (`view.setup`, so a configured district shows its own streets and units). Before the first
 * snapshot, names are ids and every judged colour is neutral.
 */
import { defineStore } from 'pinia';
import { computed } from 'vue';
import { THEME, type StatusColours } from '../theme';
import { useWallStore } from './wall';

const THEME_STATUS: StatusColours = { good: THEME.good, warn: THEME.warn, bad: THEME.bad, neutral: THEME.neutral };

export const useWallSetupStore = defineStore('wallSetup', () => {
  const wall = useWallStore();
  /** The setup of the view shown, or null before the first snapshot. */
  const setup = computed(() => wall.view?.setup ?? null);
  /** Colours with one meaning everywhere: good, warning, bad, neutral (the configured ones). */
  const colours = computed<StatusColours>(() => setup.value?.colours ?? THEME_STATUS);
  /** Targets as fractions (answer rate, 15 s service level, satisfaction, presence). */
  const targets = computed(() => setup.value?.targets ?? null);
  /** Each panel's own thresholds (the hotline's wait and queue, the staffing shortfall). */
  const panels = computed(() => setup.value?.panels ?? null);

  /** A handling unit's name, or its id when the configuration does not know it. */
  function unitName(id: string): string {
    const units = setup.value?.units;
    return units && Object.hasOwn(units, id) ? units[id]! : id;
  }

  /** Colour of a rate against its target: good at or above it, warn within the configured band, bad below. */
  function rateColour(value: number | null, target: number | undefined): string {
    const t = setup.value?.thresholds;
    if (value === null || target === undefined || !t) return colours.value.neutral;
    if (value >= target) return colours.value.good;
    return value >= target - t.rateWarnBand ? colours.value.warn : colours.value.bad;
  }

  /** Colour of a score against its maximum with the configured shares. */
  function scoreColour(score: number, max: number): string {
    const t = setup.value?.thresholds;
    if (max <= 0 || !t) return colours.value.neutral;
    const share = score / max;
    return share >= t.scoreGood ? colours.value.good : share >= t.scoreWarn ? colours.value.warn : colours.value.bad;
  }

  /** Colour of an overdue count: good at 0, warn up to the configured most, bad above. */
  function overdueColour(n: number): string {
    const t = setup.value?.thresholds;
    if (!t) return colours.value.neutral;
    return n <= 0 ? colours.value.good : n <= t.overdueWarnMax ? colours.value.warn : colours.value.bad;
  }

  return { setup, colours, targets, panels, unitName, rateColour, scoreColour, overdueColour };
});
