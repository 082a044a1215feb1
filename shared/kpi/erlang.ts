/**
 * Erlang C staffing: agents needed to answer a share of calls within a target wait, given the arrival rate and the
 * average handling time. Used by the staffing check (agents needed vs agents ready).
 */

/** Probability that a call waits (Erlang C) with `agents` servers and `erlangs` offered load; 1 when overloaded. */
export function erlangC(agents: number, erlangs: number): number {
  if (erlangs <= 0) return 0;
  if (agents <= erlangs) return 1;
  // Erlang B by the stable recurrence, then C from B.
  let b = 1;
  for (let k = 1; k <= agents; k++) b = (erlangs * b) / (k + erlangs * b);
  const rho = erlangs / agents;
  return b / (1 - rho + rho * b);
}

/** Share of calls answered within `targetSec` with `agents` agents. */
export function serviceLevel(agents: number, callsPerHour: number, ahtSec: number, targetSec: number): number {
  const erlangs = (callsPerHour * ahtSec) / 3600;
  if (erlangs <= 0) return 1;
  if (agents <= erlangs) return 0;
  const pw = erlangC(agents, erlangs);
  return 1 - pw * Math.exp(-((agents - erlangs) * targetSec) / ahtSec);
}

/** Fewest agents that reach `level` (e.g. 0.95) within `targetSec`; 0 with no traffic. Bounded at 10,000. */
export function agentsNeeded(callsPerHour: number, ahtSec: number, targetSec: number, level: number): number {
  const erlangs = (callsPerHour * ahtSec) / 3600;
  if (erlangs <= 0) return 0;
  for (let n = Math.max(1, Math.ceil(erlangs)); n <= 10_000; n++) {
    if (serviceLevel(n, callsPerHour, ahtSec, targetSec) >= level) return n;
  }
  return 10_000;
}
