/**
 * The drill contract: the scenarios a drill can start from, a drill's record, status and summary as the drill API
 * answers them, and the JSON lines a simulator writes to report its progress to the drill runner. One schema per shape;
 * the types are inferred from them.
 */
import { z } from 'zod';
import type { FieldError } from './events';

/** A scenario name: 1–31 characters a–z, 0–9, `-`, not starting with `-`. */
export const scenarioName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,30}$/, 'must be a scenario name (a–z, 0–9, -)');

/** Schema of a scenario as the drill API lists it; `simStart`, `start`, `end` are space times, ms. */
export const scenarioInfoSchema = z.object({
  name: z.string(),
  title: z.string(),
  description: z.string(),
  date: z.string(),
  simStart: z.number(),
  start: z.number(),
  end: z.number(),
});
/** A scenario as the drill API lists it. */
export type ScenarioInfo = z.infer<typeof scenarioInfoSchema>;
/** Schema of the drill API's scenario list. */
export const scenarioListSchema = z.array(scenarioInfoSchema);

/** Where a drill is: `stopped` by an operator, `interrupted` by a stop or loss of the server running it (its `error` says which). */
export const DRILL_STATUSES = ['starting', 'running', 'finished', 'stopped', 'interrupted', 'failed'] as const;
/** A drill status. */
export type DrillStatus = (typeof DRILL_STATUSES)[number];

/** Chinese labels of the drill statuses, for the drill pages. */
export const DRILL_STATUS_LABELS: Readonly<Record<DrillStatus, string>> = {
  starting: '启动中',
  running: '进行中',
  finished: '已完成',
  stopped: '已停止',
  interrupted: '已中断',
  failed: '失败',
};

/** Keys of the figures of a drill summary. */
export const DRILL_FIGURE_KEYS = [
  'peakQueue',
  'worstAnswerRate',
  'highestAgentLoad',
  'overduePeak',
  'backlogClearMinutes',
  'ackTimely',
  'medianAckMinutes',
  'reportTimely',
] as const;

/** Schema of one figure of a drill summary: a value against its target; `at` is the space time it was reached, ms. */
export const drillFigureSchema = z.object({
  key: z.enum(DRILL_FIGURE_KEYS),
  label: z.string(),
  /** The value (null when nothing to measure, or the backlog never cleared). */
  value: z.number().nullable(),
  unit: z.enum(['calls', 'fraction', 'cases', 'minutes']),
  target: z.number(),
  /** Whether the value must stay at or below (max) or at or above (min) the target. */
  targetKind: z.enum(['max', 'min']),
  /** null when there is no value. */
  met: z.boolean().nullable(),
  at: z.number().nullable(),
});
/** One figure of a drill summary. */
export type DrillFigure = z.infer<typeof drillFigureSchema>;

/** Schema of a drill's summary: the window read and the newest event folded (space time, ms), counts and figures. */
export const drillSummarySchema = z.object({
  space: z.string(),
  /** The drill window read, space time, ms. */
  from: z.number(),
  to: z.number(),
  /** Space time of the newest event folded. */
  reached: z.number().nullable(),
  events: z.number(),
  /** Minute samples taken in the window. */
  samples: z.number(),
  /** Calls offered and answered, cases received in the window. */
  totals: z.object({
    offered: z.number(),
    answered: z.number(),
    answerRate: z.number().nullable(),
    casesReceived: z.number(),
  }),
  figures: z.array(drillFigureSchema),
});
/** A drill's summary. */
export type DrillSummary = z.infer<typeof drillSummarySchema>;

/**
 * A drill's worst moment, to review: the moment of the first figure (in the summary's order: queue, answer rate, agent
 * load, overdue, backlog, then the desk's first item not acknowledged in time) that missed its target; null when every
 * figure with a moment met it.
 */
export function worstMoment(summary: DrillSummary): { readonly at: number; readonly figure: DrillFigure } | null {
  for (const f of summary.figures) if (f.met === false && f.at !== null) return { at: f.at, figure: f };
  return null;
}

/** Schema of a drill's progress: phase, share done 0–1, events sent, space time reached (ms), seconds left, events/s. */
export const drillProgressSchema = z.object({
  phase: z.string(),
  fraction: z.number().nullable(),
  events: z.number(),
  simTime: z.number().nullable(),
  etaSec: z.number().nullable(),
  rate: z.number(),
});

/** Schema of a drill window: when the backlog starts, the drill starts and ends, space time, ms. */
export const drillWindowSchema = z.object({ simStart: z.number(), start: z.number(), end: z.number() });

/** Schema of a drill as the drill API answers it; `createdAt`/`endedAt` are wall times, ms. */
export const drillRecordSchema = z.object({
  id: z.string(),
  space: z.string(),
  scenario: z.string(),
  title: z.string(),
  speed: z.number().nullable(),
  seed: z.number(),
  status: z.enum(DRILL_STATUSES),
  createdAt: z.number(),
  endedAt: z.number().nullable(),
  /** The drill window (null until the simulator reported it). */
  window: drillWindowSchema.nullable(),
  progress: drillProgressSchema,
  error: z.string().nullable(),
  summary: drillSummarySchema.nullable(),
});
/** A drill as the drill API answers it. */
export type DrillRecord = z.infer<typeof drillRecordSchema>;
/** Schema of the drill API's drill list (newest first). */
export const drillListSchema = z.array(drillRecordSchema);

/** Schema of the simulator's first progress line: the scenario, seed, speed (null: max) and, for a scenario, its window. */
export const progressStartLineSchema = z.object({
  type: z.literal('start'),
  scenario: z.object({ name: z.string(), title: z.string() }).nullable(),
  seed: z.number(),
  speed: z.number().nullable(),
  simStart: z.number().optional(),
  start: z.number().optional(),
  end: z.number().optional(),
});
/** Schema of a simulator progress report: the drill's progress, whether paused, seconds since the start. */
export const progressReportLineSchema = drillProgressSchema.extend({
  type: z.literal('progress'),
  paused: z.boolean(),
  elapsedSec: z.number(),
});
/** Schema of the simulator's last progress line, after its last batch: seconds since the start. */
export const progressDoneLineSchema = z.object({ type: z.literal('done'), elapsedSec: z.number() });

/** Schema of one JSON line a simulator writes with `--json-progress`, discriminated on `type`. */
export const progressLineSchema = z.discriminatedUnion('type', [
  progressStartLineSchema,
  progressReportLineSchema,
  progressDoneLineSchema,
]);
/** One JSON progress line of a simulator. */
export type ProgressLine = z.infer<typeof progressLineSchema>;

/** The outcome of reading one progress line: the line, or what was wrong with it (field by field). */
export type ProgressLineReading =
  { readonly ok: true; readonly line: ProgressLine } | { readonly ok: false; readonly errors: FieldError[] };

/** Reads one parsed JSON progress line against the schema, naming each field that does not fit. */
export function readProgressLine(raw: unknown): ProgressLineReading {
  const parsed = progressLineSchema.safeParse(raw);
  if (parsed.success) return { ok: true, line: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(line)', message: i.message })),
  };
}
