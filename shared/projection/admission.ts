/**
 * Which event times a space admits. `live` runs on the server's clock: an event dated further in the future than the
 * allowed skew is a producer's wrong clock (or worse), and accepting it would show it as having happened. A drill runs
 * on its own clock inside its scenario's window: an event dated past the window's end (plus the skew) would move the
 * drill's clock there for good. Demo spaces and drill spaces without a window run on whatever their producer sends.
 */
import type { FieldError } from '../events';
import type { EpochMs } from '../time';

/** The latest event time a space admits, ms, or null when it has no bound. */
export function latestAdmitted(
  kind: 'live' | 'demo' | 'drill',
  now: EpochMs,
  drillEndsAt: EpochMs | null,
  futureSkewMs: number,
): EpochMs | null {
  if (kind === 'live') return now + futureSkewMs;
  if (kind === 'drill' && drillEndsAt !== null) return drillEndsAt + futureSkewMs;
  return null;
}

/** Why an event dated `ts` (ms) is not admitted under `latest` (from `latestAdmitted`), as a field error on `ts`; null when it is. */
export function futureRefusal(
  ts: EpochMs,
  latest: EpochMs | null,
  kind: 'live' | 'demo' | 'drill',
  futureSkewMs: number,
): FieldError | null {
  if (latest === null || ts <= latest) return null;
  const bound = kind === 'live' ? "the server's clock" : "the drill scenario's end";
  return {
    path: 'ts',
    message: `${iso(ts)} is ${Math.round((ts - latest + futureSkewMs) / 1000)} s after ${bound} (${iso(latest - futureSkewMs)}); at most ${futureSkewMs / 1000} s of clock skew is allowed`,
  };
}

function iso(ts: EpochMs): string {
  return new Date(ts).toISOString();
}
