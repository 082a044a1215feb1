/** The simulator's side of the scenario files: the shipped folder read from disk, and a scenario by name or path. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScenarioText, ScenarioError, scenariosIn, type Scenario } from '@shared/scenario';

/** The directory of the shipped scenarios. */
export const SCENARIO_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'scenarios');

/** Reads and validates a scenario file. */
export function readScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(`${file}: ${(err as Error).message}`);
  }
  return parseScenarioText(text, file);
}

/** The shipped scenarios, in file-name order. */
export function shippedScenarios(): Scenario[] {
  return scenariosIn({
    names: readdirSync(SCENARIO_DIR),
    read: (f) => readFileSync(path.join(SCENARIO_DIR, f), 'utf8'),
    path: (f) => path.join(SCENARIO_DIR, f),
  });
}

/** A scenario by shipped name, or from a file path (anything with a `/` or ending in `.json`). */
export function loadScenario(nameOrFile: string): Scenario {
  if (nameOrFile.includes('/') || nameOrFile.endsWith('.json')) return readScenarioFile(nameOrFile);
  const all = shippedScenarios();
  const s = all.find((x) => x.name === nameOrFile);
  if (!s)
    throw new ScenarioError(
      `no scenario "${nameOrFile}"; shipped: ${all.map((x) => x.name).join(', ')} (or give a path to a .json file)`,
    );
  return s;
}
