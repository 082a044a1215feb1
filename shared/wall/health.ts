/**
 * A wall's own health, reported by the wall on its socket every WALL_REPORT_MS: how fast it renders, how old its data
 * is, its heap, its screen and kiosk flags, the build it runs. The server keeps the last report of each wall and judges
 * it with `wallFlags`: stale (no report lately, or old data), slow (few frames a second), or an old build.
 */
import { z } from 'zod';

/** How often a wall reports, wall-clock ms. */
export const WALL_REPORT_MS = 10_000;

/** Whether the wall asked the browser to keep the screen on, and what it said. */
export const WAKE_LOCK_STATES = ['held', 'released', 'unsupported', 'denied'] as const;
/** A wake lock state. */
export type WakeLockState = (typeof WAKE_LOCK_STATES)[number];

const count = z.number().int().min(0).max(1e12);

/** Schema of a wall's report (sent as `wall:health`; every field bounded, so a broken wall cannot flood the list). */
export const wallReportSchema = z.strictObject({
  /** A wall's own id, kept in its browser's storage across reloads (letters, digits, `-`, `_`). */
  wallId: z.string().regex(/^[A-Za-z0-9_-]{6,64}$/, 'must be 6–64 letters, digits, - or _'),
  /** The build the wall runs. */
  version: z.string().min(1).max(64),
  /** Frames drawn per second over the last interval (0 while hidden), or null when not measured. */
  fps: z.number().min(0).max(1000).nullable(),
  /** Wall-clock ms since the last snapshot or delta arrived, or null before the first. */
  dataAgeMs: count.nullable(),
  /** Used JS heap, bytes, where the browser tells (Chromium), else null. */
  heapBytes: count.nullable(),
  /** The window in CSS px and the device pixel ratio. */
  screen: z.strictObject({
    width: z.number().int().min(0).max(100_000),
    height: z.number().int().min(0).max(100_000),
    dpr: z.number().min(0).max(16),
  }),
  /** Kiosk mode, the spliced-wall grid (`3x1`) or null, fullscreen, the wake lock, and whether the page is hidden. */
  kiosk: z.strictObject({
    kiosk: z.boolean(),
    grid: z
      .string()
      .regex(/^[1-8]x[1-8]$/)
      .nullable(),
    fullscreen: z.boolean(),
    wakeLock: z.enum(WAKE_LOCK_STATES),
    hidden: z.boolean(),
  }),
});
/** A wall's report. */
export type WallReport = z.output<typeof wallReportSchema>;

/** Limits the server judges walls by (config `walls`). */
export interface WallLimits {
  /** No report for this long: the wall is stale, and raises an alert in its space, seconds. */
  readonly silentSec: number;
  /** Fewer frames a second than this (while shown): slow. */
  readonly slowFps: number;
  /** Data older than this on the wall: stale, seconds. */
  readonly staleDataSec: number;
}

/** What is wrong with a wall. */
export interface WallFlags {
  readonly stale: boolean;
  readonly slow: boolean;
  readonly oldVersion: boolean;
}

/**
 * Judges a wall at `now` (wall-clock ms): stale when it has not reported for `silentSec` (or never, that long after it
 * connected) or its data is older than `staleDataSec`; slow when shown and drawing fewer than `slowFps` frames a
 * second; an old version when the server knows its current build and the wall runs another.
 */
export function wallFlags(
  report: WallReport | null,
  lastReportAt: number,
  now: number,
  limits: WallLimits,
  currentVersion: string | null,
): WallFlags {
  const silent = now - lastReportAt > limits.silentSec * 1000;
  const oldData = report !== null && (report.dataAgeMs === null || report.dataAgeMs > limits.staleDataSec * 1000);
  return {
    stale: silent || oldData,
    slow: report !== null && !report.kiosk.hidden && report.fps !== null && report.fps < limits.slowFps,
    oldVersion: report !== null && currentVersion !== null && report.version !== currentVersion,
  };
}

/** One wall as listed by `GET /api/v1/walls`. */
export interface WallRow {
  /** The wall's own id, or `socket:<id>` before its first report. */
  readonly id: string;
  readonly space: string;
  /** The address its socket came from (behind a proxy: the forwarded client, then the proxy). */
  readonly address: string;
  readonly connected: boolean;
  /** Wall-clock ms. */
  readonly connectedAt: number;
  /** Wall-clock ms of the last report, or null before the first. */
  readonly lastReportAt: number | null;
  /** Wall-clock ms since the last report (or since it connected, before the first report). */
  readonly silentMs: number;
  readonly report: WallReport | null;
  readonly flags: WallFlags;
}

/** What `GET /api/v1/walls` answers. */
export interface WallsAnswer {
  /** The build the server serves (a wall running another is flagged), or null when it serves no built wall. */
  readonly version: string | null;
  /** The limits walls are judged by. */
  readonly limits: WallLimits;
  readonly walls: readonly WallRow[];
}
