/** Display formats for the wall: every formatter accepts null and answers "—" rather than throwing. */
import { percentText } from '@shared/percent';
import { shanghaiDateKey, type EpochMs } from '@shared/time';

/** Shown where a figure has no value (a rate without a denominator). */
export const NONE = '—';

/** A fraction 0–1 as a percentage with one decimal, cut toward zero (`percentText`): 0.9519 → "95.1%". */
export function pct(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? NONE : percentText(value);
}

/** An integer count with thousands separators. */
export function count(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? NONE
    : Math.round(value).toLocaleString('zh-CN');
}

/** A number with fixed decimals. */
export function fixed(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? NONE : value.toFixed(digits);
}

const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** Seconds as mm:ss (or h:mm:ss past an hour). */
export function duration(sec: number | null | undefined): string {
  if (sec === null || sec === undefined || !Number.isFinite(sec)) return NONE;
  const s = Math.max(0, Math.round(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/** Milliseconds as HH:MM:SS (countdowns). */
export function hms(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

const timeFmt = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});
const shortFmt = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
const dateFmt = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  weekday: 'short',
});

/** Asia/Shanghai time of day, HH:MM:SS. */
export function clock(ms: EpochMs | null | undefined): string {
  return ms === null || ms === undefined ? NONE : timeFmt.format(ms);
}

/** Asia/Shanghai time of day, HH:MM. */
export function clockShort(ms: EpochMs | null | undefined): string {
  return ms === null || ms === undefined ? NONE : shortFmt.format(ms);
}

/**
 * Asia/Shanghai time of day, HH:MM (`seconds`: HH:MM:SS), on the civil day of `now`; on another day with its date, as
 * the duty room writes it: "12-02 22:00", and in another year "2025-12-31 22:00". So yesterday's late entry never
 * reads as today's.
 */
export function clockOn(ms: EpochMs | null | undefined, now: EpochMs, seconds = false): string {
  if (ms === null || ms === undefined) return NONE;
  const day = shanghaiDateKey(ms);
  const today = shanghaiDateKey(now);
  if (day === today) return seconds ? clock(ms) : clockShort(ms);
  return `${day.slice(0, 4) === today.slice(0, 4) ? day.slice(5) : day} ${clockShort(ms)}`;
}

/** Asia/Shanghai date with weekday, e.g. "2025/03/14 周五". */
export function date(ms: EpochMs): string {
  return dateFmt.format(ms);
}

/** How long ago, in Chinese: "3 秒前", "2 分钟前". */
export function ago(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} 秒前`;
  if (s < 3600) return `${Math.floor(s / 60)} 分钟前`;
  return `${Math.floor(s / 3600)} 小时前`;
}
