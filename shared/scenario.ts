/**
 * Drill scenarios as declarative files (`simulators/scenarios/*.json`): a day, a drill window, and effects on the
 * simulated district — surges, sensing alerts, a mass incident merged into a master case, a hotline trunk failure,
 * staff absence, a platform link down. One zod schema validates them (errors name the file and the field); the JSON
 * Schema beside the files is generated from it so users' editors can check their own scenarios. This is the one
 * loader of scenario files: the simulator and the server's drill service both read the folder through
 * `scenariosIn`, handing it the file names and texts (the I/O stays with them).
 */
import { z } from 'zod';
import { CASE_FLAGS, CASE_TYPES, CHANNELS, LINKS } from './domain';
import { shanghaiDateKey, shanghaiInstant, shanghaiMidnight, DAY_MS, MINUTE_MS, type EpochMs } from './time';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (00:00–23:59)');
const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
  .refine((d) => shanghaiDateKey(shanghaiMidnight(d)) === d, 'is not a calendar date');
/** Who works the duty desk in a drill's window: the people being drilled, or the simulator's officers. */
export const DESK_WORKERS = ['people', 'simulated'] as const;

/** When an effect starts: a day of the scenario (0 = its date) and a time of day, Asia/Shanghai. */
const when = { day: z.number().int().min(0).max(365).default(0), at: hhmm };
const channels = z.array(z.enum(CHANNELS)).min(1);
const text = z.string().min(1).max(64);

/** What cases of a topic look like (overrides the drawn category, title, street, unit, flags). */
const topic = z.strictObject({
  category: text,
  titles: z.array(z.string().min(1).max(200)).min(1),
  /** Streets to draw from (ids); omitted → any street, weighted by population. */
  streets: z.array(text).min(1).optional(),
  /** Draw only streets the config marks low-lying (内涝易发). */
  lowLyingOnly: z.boolean().default(false),
  unit: text.optional(),
  caseType: z.enum(CASE_TYPES).default('help'),
  flags: z.array(z.enum(CASE_FLAGS)).default([]),
  /** Share of these cases that are urgent. */
  urgent: z.number().min(0).max(1).default(0),
});

const surge = z.strictObject({
  kind: z.literal('surge'),
  ...when,
  minutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60),
  channels,
  /** Arrival rate multiplier during the window (calls for the hotline, cases otherwise). */
  factor: z.number().min(0).max(50),
  /** Optionally, a share of the window's new cases are about one topic. */
  topic: topic.extend({ share: z.number().min(0).max(1) }).optional(),
});

const alerts = z.strictObject({
  kind: z.literal('alerts'),
  ...when,
  minutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60),
  /** Extra cases spread evenly at random over the window. */
  count: z.number().int().min(1).max(10_000),
  channel: z.enum(CHANNELS).default('sensing'),
  topic,
});

const massIncident = z.strictObject({
  kind: z.literal('mass_incident'),
  ...when,
  minutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60),
  /** Extra hotline calls about the incident within the window; the first answered becomes the master case (群体), the others merge into it. */
  calls: z.number().int().min(1).max(10_000),
  topic,
});

const trunkFailure = z.strictObject({
  kind: z.literal('trunk_failure'),
  ...when,
  /** Minutes the call trunk carries no answers: calls queue and are abandoned, the call_trunk link reports a fault. */
  minutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60),
});

const absence = z.strictObject({
  kind: z.literal('absence'),
  ...when,
  minutes: z
    .number()
    .int()
    .min(1)
    .max(366 * 24 * 60),
  /** Share of the agents of each shift starting in the window who do not come in (the roster still counts them). */
  fraction: z.number().min(0).max(1),
});

const linkDown = z.strictObject({
  kind: z.literal('link_down'),
  ...when,
  minutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60),
  link: z.enum(LINKS),
  /** Channels whose cases come over this link: held during the outage and delivered in a burst when it returns. */
  holdChannels: z.array(z.enum(CHANNELS)).default([]),
});

/** One effect on the district. */
export const effectSchema = z.discriminatedUnion('kind', [
  surge,
  alerts,
  massIncident,
  trunkFailure,
  absence,
  linkDown,
]);

/** Schema of a scenario file. */
export const scenarioSchema = z.strictObject({
  $schema: z.string().optional(),
  /** Short name used on the command line (a–z, 0–9, -). */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,30}$/, 'must be 1–31 characters a–z, 0–9, -'),
  title: z.string().min(1).max(40),
  description: z.string().min(1).max(300),
  /** Day 0 of the scenario (Asia/Shanghai). */
  date: date,
  /** Cases on a normal working day (default 1,000). */
  casesPerDay: z.number().int().min(10).max(100_000).optional(),
  /** A drill of this scenario: the day's events up to `startAt` are sent at once, then `hours` run at the chosen speed. */
  drill: z.strictObject({
    startAt: hhmm,
    hours: z.number().min(0.25).max(72),
    backlogDays: z.number().int().min(0).max(7).default(1),
    /**
     * Who works the duty desk in the drill window: `people` (the default — the drill measures them) or the simulator's
     * officers (`simulated`), for the 交接班 handovers and for the duty items apart. Before the window the simulator
     * works the desk of the shifts that came before.
     */
    desk: z
      .strictObject({
        handovers: z.enum(DESK_WORKERS).default('people'),
        items: z.enum(DESK_WORKERS).default('people'),
      })
      .default({ handovers: 'people', items: 'people' }),
  }),
  effects: z.array(effectSchema).max(50).default([]),
});

/** A scenario as written in its file (defaults optional). */
export type ScenarioInput = z.input<typeof scenarioSchema>;
/** A validated scenario. */
export type Scenario = z.output<typeof scenarioSchema>;
/** A validated effect. */
export type Effect = z.output<typeof effectSchema>;

/** A scenario file or name that does not validate: the message names the file and every bad field. */
export class ScenarioError extends Error {}

/** Validates a parsed scenario; `source` names it in errors. */
export function parseScenario(raw: unknown, source: string): Scenario {
  const r = scenarioSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.map(String).join('.') || '(file)'}: ${i.message}`);
    throw new ScenarioError(`${source} is not a valid scenario:\n${lines.join('\n')}`);
  }
  return r.data;
}

/** Parses and validates a scenario file's text; `source` (its path) names it in errors. */
export function parseScenarioText(text: string, source: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ScenarioError(`${source}: ${(err as Error).message}`);
  }
  return parseScenario(raw, source);
}

/** A folder of scenario files as its reader sees it: the names in it, and each file's text and path. */
export interface ScenarioFolder {
  readonly names: readonly string[];
  read(name: string): string;
  /** The file's path, as errors name it. */
  path(name: string): string;
}

/** Whether a file of a scenario folder is a scenario (a `.json` file other than the JSON Schema beside them). */
export function isScenarioFile(name: string): boolean {
  return name.endsWith('.json') && !name.endsWith('.schema.json');
}

/** The scenarios of a folder, in file-name order; a bad file throws a ScenarioError naming it and its fields. */
export function scenariosIn(folder: ScenarioFolder): Scenario[] {
  return folder.names
    .filter(isScenarioFile)
    .sort()
    .map((f) => parseScenarioText(folder.read(f), folder.path(f)));
}

/** The JSON Schema of scenario files (written to `simulators/scenarios/scenario.schema.json`). */
export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(scenarioSchema, { io: 'input' });
}

/** An effect placed in time: its window in epoch ms. */
export type PlacedEffect = Effect & { readonly from: EpochMs; readonly to: EpochMs };

/** Places a scenario's effects in time (from its date, or from `date` when given). */
export function placeEffects(s: Scenario, dateOverride?: string): PlacedEffect[] {
  const base = dateOverride ?? s.date;
  return s.effects.map((e) => {
    const from = shanghaiInstant(base, e.at) + e.day * DAY_MS;
    const minutes = 'minutes' in e ? e.minutes : 0;
    return { ...e, from, to: from + minutes * MINUTE_MS };
  });
}

/** The drill window of a scenario: the simulation starts at midnight `backlogDays` before, the drill at `startAt` and ends `hours` later. */
export function drillWindow(s: Scenario, dateOverride?: string): { simStart: EpochMs; start: EpochMs; end: EpochMs } {
  const base = dateOverride ?? s.date;
  const start = shanghaiInstant(base, s.drill.startAt);
  return {
    simStart: shanghaiMidnight(base) - s.drill.backlogDays * DAY_MS,
    start,
    end: start + Math.round(s.drill.hours * 60) * MINUTE_MS,
  };
}

/** A scenario as lists show it (the drill page, `sim scenarios --json`): name, texts, date, drill settings and window. */
export function scenarioInfo(s: Scenario) {
  return { name: s.name, title: s.title, description: s.description, date: s.date, drill: s.drill, ...drillWindow(s) };
}
