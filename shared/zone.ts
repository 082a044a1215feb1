/**
 * Local wall times in an IANA time zone (`America/New_York`, `Asia/Shanghai`) as instants, daylight saving included:
 * an export's "03/10/2025 09:00" in New York is 13:00 UTC after the March change and 14:00 UTC before it.
 */

/** The centre's own zone: a time without an offset that the centre is given is read in it. */
export const CENTRE_ZONE = 'Asia/Shanghai';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Whether `zone` is an IANA time zone name this runtime knows (fixed offsets such as "+08:00" are not). */
export function isIanaZone(zone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's offset from UTC at instant `ms`, in ms (east positive). */
export function zoneOffsetMs(zone: string, ms: number): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(ms)))
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant of a local wall time in `zone` (month 1–12). A time skipped by a spring-forward change is read with the
 * offset before it (02:30 on a 02:00→03:00 night is 03:30); a repeated autumn hour is its first occurrence.
 */
export function zonedInstant(zone: string, y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number {
  const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const first = wall - zoneOffsetMs(zone, wall);
  const second = wall - zoneOffsetMs(zone, first);
  if (first === second) return first;
  // Two candidates: keep one whose own offset maps it back to the wall time, the earlier when both do.
  const ok = [first, second].filter((t) => t + zoneOffsetMs(zone, t) === wall).sort((a, b) => a - b);
  return ok[0] ?? Math.max(first, second);
}

/** Whether a calendar date and time of day exist (no 30 February, no 24:00). */
export function validParts(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d && h < 24 && mi < 60 && s < 60;
}

/** An ISO 8601 time as an instant, and whether it carried its own offset (if not, it was read in the zone). */
export interface ReadInstant {
  readonly ms: number;
  readonly offset: boolean;
}

/**
 * Reads `YYYY-MM-DD[ HH:MM[:SS[.fff…]]][Z|±HH[:MM]]` (also with `/` or `.` between date parts): a time with an offset
 * keeps it, one without is a wall time in `zone` (none: not readable). Null when it is not such a time or names a day
 * or time that does not exist; digits past the millisecond are dropped.
 */
export function isoInstant(v: string, zone: string | undefined): ReadInstant | null {
  const m =
    /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(
      v.trim(),
    );
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((x) => Number(x ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Number((m[7] ?? '0').slice(0, 3).padEnd(3, '0'));
  if (!validParts(y, mo, d, h, mi, s)) return null;
  const off = m[8];
  if (off === undefined)
    return zone === undefined ? null : { ms: zonedInstant(zone, y, mo, d, h, mi, s, ms), offset: false };
  if (off.toUpperCase() === 'Z') return { ms: Date.UTC(y, mo - 1, d, h, mi, s, ms), offset: true };
  const digits = off.replace(/[^0-9]/g, '');
  const [oh, om] = [Number(digits.slice(0, 2)), Number(digits.slice(2, 4) || '0')];
  if (oh > 23 || om > 59) return null;
  const sign = off.startsWith('-') ? -1 : 1;
  return { ms: Date.UTC(y, mo - 1, d, h, mi, s, ms) - sign * (oh * 60 + om) * 60_000, offset: true };
}
