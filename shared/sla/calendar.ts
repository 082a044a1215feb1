/** Working hours of a working day, e.g. 08:30–12:00 and 14:00–17:30 (the lunch break is not working time). */
import { parseHhmm } from '../time';

/** A span of working time within a day, in minutes after midnight (end exclusive). */
export interface WorkSpan {
  readonly start: number;
  readonly end: number;
}

/** A working day's spans, in order and not overlapping. */
export interface WorkingHours {
  readonly spans: readonly WorkSpan[];
  /** Working minutes in one working day. */
  readonly minutesPerDay: number;
}

/** Parses `["08:30-12:00", "14:00-17:30"]`; throws with the offending span when one is malformed, empty or overlapping. */
export function parseWorkingHours(spec: readonly string[]): WorkingHours {
  if (spec.length === 0) throw new Error('working hours: at least one span HH:MM-HH:MM is needed');
  const spans = spec
    .map((s) => {
      const m = /^(\d{2}:\d{2})-(\d{2}:\d{2})$/.exec(s);
      if (!m?.[1] || !m[2]) throw new Error(`working hours: "${s}" is not HH:MM-HH:MM`);
      const start = parseHhmm(m[1]);
      const end = parseHhmm(m[2]);
      if (end <= start) throw new Error(`working hours: "${s}" ends before it starts`);
      return { start, end };
    })
    .sort((a, b) => a.start - b.start);
  for (let i = 1; i < spans.length; i++) {
    const prev = spans[i - 1];
    const cur = spans[i];
    if (prev && cur && cur.start < prev.end) throw new Error(`working hours: spans ${spec.join(', ')} overlap`);
  }
  return { spans, minutesPerDay: spans.reduce((s, x) => s + x.end - x.start, 0) };
}

/** 08:30–12:00 and 14:00–17:30. */
export const DEFAULT_WORKING_HOURS: WorkingHours = parseWorkingHours(['08:30-12:00', '14:00-17:30']);
