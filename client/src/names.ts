/**
 * Names, colours and targets the wall shows for the ids in the view. They come from the server's configuration with
 * each snapshot (`view.setup`), so a configured district shows its own streets and units.
 */
import { reactive } from 'vue';
import type { WallSetup } from '../../shared/wall/view';

/** Colours with one meaning everywhere: good, warning, bad, neutral (replaced by the configured ones on snapshot). */
export const COLOURS = reactive({ good: '#2fd89a', warn: '#ffb547', bad: '#ff4d5e', neutral: '#5fb8ff' });

/** Targets as fractions (answer rate, 15 s service level, satisfaction, presence). */
export const TARGETS = reactive({ answerRate: 0.95, serviceLevel15: 0.95, satisfaction: 0.9, presence: 1 });

const streetNames = reactive(new Map<string, string>());
const unitNames = reactive(new Map<string, string>());

/** Streets in configuration order (ids). */
export const STREET_IDS = reactive<string[]>([]);

/** Takes the configuration a snapshot carries. */
export function applySetup(setup: WallSetup): void {
  Object.assign(COLOURS, setup.colours);
  Object.assign(TARGETS, setup.targets);
  streetNames.clear();
  for (const s of setup.streets) streetNames.set(s.id, s.name);
  unitNames.clear();
  for (const [id, name] of Object.entries(setup.units)) unitNames.set(id, name);
  STREET_IDS.splice(0, STREET_IDS.length, ...setup.streets.map((s) => s.id));
}

/** A street's name, or its id when the configuration does not know it. */
export function streetName(id: string): string {
  return streetNames.get(id) ?? id;
}

/** A handling unit's name, or its id when the configuration does not know it. */
export function unitName(id: string): string {
  return unitNames.get(id) ?? id;
}

/** Colour of a rate against its target: good at or above it, warn within 5 points, bad below. */
export function rateColour(value: number | null, target: number): string {
  if (value === null) return COLOURS.neutral;
  if (value >= target) return COLOURS.good;
  return value >= target - 0.05 ? COLOURS.warn : COLOURS.bad;
}
