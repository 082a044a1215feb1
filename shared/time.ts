/**
 * Time in the domain: epoch milliseconds, and the Asia/Shanghai civil calendar (UTC+8, no daylight saving).
 * Nothing here reads the clock; callers pass `now` in.
 */

/** Milliseconds since the Unix epoch (UTC). */
export type EpochMs = number;

/** One minute, in ms. */
export const MINUTE_MS = 60_000;
/** One hour, in ms. */
export const HOUR_MS = 3_600_000;
/** One day, in ms. */
export const DAY_MS = 86_400_000;
/** Offset of Asia/Shanghai from UTC, in ms (China has kept no DST since 1991). */
export const SHANGHAI_OFFSET_MS = 8 * HOUR_MS;

// Date keys and midnights are asked for on every folded event and every deadline: memoised per civil day (bounded).
const MEMO_MAX = 20_000;
const keyByDay = new Map<number, string>();
const midnightByKey = new Map<string, EpochMs>();

/** The Asia/Shanghai civil date of an instant, as `YYYY-MM-DD`. */
export function shanghaiDateKey(ms: EpochMs): string {
  const dayNo = Math.floor((ms + SHANGHAI_OFFSET_MS) / DAY_MS);
  let key = keyByDay.get(dayNo);
  if (key === undefined) {
    const d = new Date(dayNo * DAY_MS);
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth() + 1;
    const day = d.getUTCDate();
    key = `${y}-${m < 10 ? '0' : ''}${m}-${day < 10 ? '0' : ''}${day}`;
    if (keyByDay.size >= MEMO_MAX) keyByDay.clear();
    keyByDay.set(dayNo, key);
  }
  return key;
}

/** The instant (ms) of 00:00 Asia/Shanghai on the civil day containing `ms`. */
export function startOfShanghaiDay(ms: EpochMs): EpochMs {
  return Math.floor((ms + SHANGHAI_OFFSET_MS) / DAY_MS) * DAY_MS - SHANGHAI_OFFSET_MS;
}

/** Minutes since 00:00 Asia/Shanghai of an instant (fractional, 0 ≤ m < 1440). */
export function shanghaiMinuteOfDay(ms: EpochMs): number {
  return (ms - startOfShanghaiDay(ms)) / MINUTE_MS;
}

/** Hour of day (0–23) in Asia/Shanghai of an instant. */
export function shanghaiHour(ms: EpochMs): number {
  return Math.floor(shanghaiMinuteOfDay(ms) / 60);
}

/** The instant (ms) of 00:00 Asia/Shanghai on a `YYYY-MM-DD` date. */
export function shanghaiMidnight(dateKey: string): EpochMs {
  let ms = midnightByKey.get(dateKey);
  if (ms === undefined) {
    const [y, m, d] = dateKey.split('-').map(Number);
    ms = Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1) - SHANGHAI_OFFSET_MS;
    if (midnightByKey.size >= MEMO_MAX) midnightByKey.clear();
    midnightByKey.set(dateKey, ms);
  }
  return ms;
}

/** The instant of a wall time (`HH:MM`) on a `YYYY-MM-DD` date in Asia/Shanghai. */
export function shanghaiInstant(dateKey: string, hhmm: string): EpochMs {
  return shanghaiMidnight(dateKey) + parseHhmm(hhmm) * MINUTE_MS;
}

/** Parses `HH:MM` (00:00–24:00) into minutes since midnight; throws on a malformed value. */
export function parseHhmm(hhmm: string): number {
  const match = /^(\d{1,2}):(\d{2})$/.exec(hhmm);
  if (!match) throw new Error(`time of day "${hhmm}" is not HH:MM`);
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  if (Number(match[2]) > 59 || minutes > 1440) throw new Error(`time of day "${hhmm}" is out of range`);
  return minutes;
}

/** Whether `s` is a `YYYY-MM-DD` day that exists (`2026-02-30` and `2026-13-01` do not; they would roll over). */
export function isDateKey(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && shanghaiDateKey(shanghaiMidnight(s)) === s;
}

/** The date key `days` civil days after `dateKey` (negative to go back). */
export function addDays(dateKey: string, days: number): string {
  return shanghaiDateKey(shanghaiMidnight(dateKey) + days * DAY_MS + HOUR_MS);
}
