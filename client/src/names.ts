/**
 * Names, colours and targets the wall shows for the ids in the view. They come from the server's configuration with
 * each snapshot (`view.setup`), so a configured district shows its own streets and units.
 */
import { reactive } from 'vue';
import type { WallSetup } from '../../shared/wall/view';
import type { Channel } from '../../shared/domain';

/** Colours with one meaning everywhere: good, warning, bad, neutral (replaced by the configured ones on snapshot). */
export const COLOURS = reactive({ good: '#2fd89a', warn: '#ffb547', bad: '#ff4d5e', neutral: '#5fb8ff' });

/** Targets as fractions (answer rate, 15 s service level, satisfaction, presence). */
export const TARGETS = reactive({ answerRate: 0.95, serviceLevel15: 0.95, satisfaction: 0.9, presence: 1 });

/** Colour thresholds (fractions): amber band below a rate's target; share of the maximum score for green and amber. */
export const THRESHOLDS = reactive({ rateWarnBand: 0.05, scoreGood: 0.9, scoreWarn: 0.8, overdueWarnMax: 2 });

const unitNames = reactive(new Map<string, string>());

/** Streets in configuration order (ids). */
export const STREET_IDS = reactive<string[]>([]);

/** Takes the configuration a snapshot carries. */
export function applySetup(setup: WallSetup): void {
  Object.assign(COLOURS, setup.colours);
  Object.assign(TARGETS, setup.targets);
  Object.assign(THRESHOLDS, setup.thresholds);
  unitNames.clear();
  for (const [id, name] of Object.entries(setup.units)) unitNames.set(id, name);
  STREET_IDS.splice(0, STREET_IDS.length, ...setup.streets.map((s) => s.id));
}

/** A handling unit's name, or its id when the configuration does not know it. */
export function unitName(id: string): string {
  return unitNames.get(id) ?? id;
}

/** Colour of a rate against its target: good at or above it, warn within the configured band, bad below. */
export function rateColour(value: number | null, target: number): string {
  if (value === null) return COLOURS.neutral;
  if (value >= target) return COLOURS.good;
  return value >= target - THRESHOLDS.rateWarnBand ? COLOURS.warn : COLOURS.bad;
}

/** Colour of a score against its maximum with the configured shares. */
export function scoreColour(score: number, max: number): string {
  if (max <= 0) return COLOURS.neutral;
  const share = score / max;
  return share >= THRESHOLDS.scoreGood ? COLOURS.good : share >= THRESHOLDS.scoreWarn ? COLOURS.warn : COLOURS.bad;
}

/** Colour of an overdue count: good at 0, warn up to the configured most, bad above. */
export function overdueColour(n: number): string {
  return n <= 0 ? COLOURS.good : n <= THRESHOLDS.overdueWarnMax ? COLOURS.warn : COLOURS.bad;
}

/** Colours of the channels (charts and the channel mix). */
export const CHANNEL_COLOURS: Readonly<Record<Channel, string>> = {
  hotline: '#00b4ff', district_line: '#ff6b8b', message_board: '#9b7bff', city_mgmt: '#2fd89a', grid_patrol: '#ffd166', sensing: '#3de0e0', referral: '#ff9f43',
};
