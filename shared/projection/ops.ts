/** Folds call, agent, duty and link events into a space's projection. */
import type { CallEvent, DutyEvent, LinkEvent } from '../events/ops';
import { DAY_MS, shanghaiMinuteOfDay, type EpochMs } from '../time';
import { dayOf } from './cases';
import type { CallState, LinkBeat, SpaceProjection } from './state';

const SEC = 1000;

/**
 * How long a call id names one call after its offer, ms: ACDs reuse ids, so an event over a day after the offer is about
 * another call. The fold decides it from event times alone — never from whether a sweep has dropped the old call yet —
 * so a live fold, a restart and a rebuild agree.
 */
export const CALL_ID_SPAN_MS = DAY_MS;

/** The call an event at `ts` is about: the one held under its id if offered within `CALL_ID_SPAN_MS` before. */
export function callAt(p: SpaceProjection, callId: string, ts: EpochMs): CallState | undefined {
  const call = p.calls.get(callId);
  return call && ts - call.offeredAt <= CALL_ID_SPAN_MS ? call : undefined;
}

/** Applies a call or agent event; returns null when applied, or the reason it was refused. */
export function foldCallEvent(p: SpaceProjection, e: CallEvent): string | null {
  if (e.type === 'agent.state') {
    const prev = p.agents.get(e.agentId);
    p.agents.set(e.agentId, { name: e.name ?? prev?.name ?? e.agentId, state: e.state, since: e.ts });
    return null;
  }
  const call = callAt(p, e.callId, e.ts);
  const calls = dayOf(p, e.ts).calls;
  switch (e.type) {
    case 'call.offered':
      if (call) return `call ${e.callId} was already offered`;
      p.calls.set(e.callId, { offeredAt: e.ts, answeredAt: null, agentId: null, endedAt: null });
      calls.offered++;
      perMinute(p, e.ts, 'offeredPerMinute');
      return null;
    case 'call.answered': {
      if (!call || call.answeredAt !== null)
        return `call ${e.callId} is ${call ? 'already answered' : 'not offered'}: call.answered needs a waiting call`;
      if (e.ts < call.offeredAt) return `call ${e.callId}: answered before it was offered`;
      const waitSec = (e.ts - call.offeredAt) / SEC;
      call.answeredAt = e.ts;
      call.agentId = e.agentId;
      calls.answered++;
      calls.waitSecTotal += waitSec;
      if (waitSec <= 15) calls.answeredWithin15s++;
      perMinute(p, e.ts, 'answeredPerMinute');
      return null;
    }
    case 'call.abandoned':
      if (!call || call.answeredAt !== null)
        return `call ${e.callId} is ${call ? 'answered' : 'not offered'}: call.abandoned needs a waiting call`;
      p.calls.delete(e.callId);
      calls.abandoned++;
      return null;
    case 'call.ended':
      if (!call || call.answeredAt === null || call.endedAt !== null)
        return `call ${e.callId} is ${!call ? 'not offered' : call.endedAt !== null ? 'already ended' : 'not answered'}: call.ended needs a call in talk`;
      call.endedAt = e.ts;
      calls.talkSecTotal += (e.ts - call.answeredAt) / SEC;
      return null;
    case 'call.wrapup_done':
      if (!call || call.endedAt === null)
        return `call ${e.callId} is ${call ? 'not ended' : 'unknown'}: call.wrapup_done needs an ended call`;
      calls.wrapSecTotal += (e.ts - call.endedAt) / SEC;
      calls.handled++;
      p.calls.delete(e.callId);
      return null;
  }
}

/** Applies a duty event; returns null when applied, or the reason it was refused. */
export function foldDutyEvent(p: SpaceProjection, e: DutyEvent): string | null {
  switch (e.type) {
    case 'duty.roster':
      // Kept until the space's clock leaves the date behind (`sweep`): rosters published weeks ahead are all kept.
      p.rosters.set(e.date, e.shifts);
      return null;
    case 'duty.checked_in': {
      if (!shiftOf(p, e.date, e.shiftId)) return `duty.checked_in: no shift ${e.shiftId} on the ${e.date} roster`;
      p.checkIns.set(`${e.date}|${e.shiftId}|${e.post}`, { personId: e.personId, name: e.name, at: e.ts, out: null });
      return null;
    }
    case 'duty.checked_out': {
      const c = p.checkIns.get(`${e.date}|${e.shiftId}|${e.post}`);
      if (!c || c.personId !== e.personId)
        return `duty.checked_out: ${e.personId} is not checked in to ${e.post} of ${e.date} ${e.shiftId}`;
      c.out = e.ts;
      return null;
    }
    case 'duty.handover':
      if (!shiftOf(p, e.date, e.toShiftId)) return `duty.handover: no shift ${e.toShiftId} on the ${e.date} roster`;
      p.handovers.set(`${e.date}|${e.toShiftId}`, { at: e.ts, note: e.note, by: e.by, fromShiftId: e.fromShiftId });
      return null;
  }
}

/** Applies a link heartbeat (one older than the last one known changes nothing). */
export function foldLinkEvent(p: SpaceProjection, e: LinkEvent): null {
  const prev = p.links.get(e.link);
  if (prev && prev.at > e.ts) return null;
  let outage: LinkBeat['outage'] = null;
  if (!e.ok) {
    const timeoutMs = p.ctx.config.linkTimeoutSec * 1000;
    // A fault after a fault goes on with the same outage; after a good heartbeat it starts one (which began when that
    // heartbeat's timeout ran out, if the link had gone silent before it reported the fault).
    outage =
      prev && !prev.ok && prev.outage
        ? prev.outage
        : {
            key: prev?.at ?? e.ts,
            since: prev && e.ts - prev.at > timeoutMs ? prev.at + timeoutMs : e.ts,
          };
  }
  p.links.set(e.link, { at: e.ts, ok: e.ok, outage });
  return null;
}

function perMinute(p: SpaceProjection, ts: number, which: 'offeredPerMinute' | 'answeredPerMinute'): void {
  const m = dayOf(p, ts)[which];
  const i = Math.floor(shanghaiMinuteOfDay(ts));
  m[i] = (m[i] ?? 0) + 1;
}

function shiftOf(p: SpaceProjection, date: string, shiftId: string) {
  return p.rosters.get(date)?.find((s) => s.id === shiftId);
}
