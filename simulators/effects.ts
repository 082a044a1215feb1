/**
 * A scenario's effects as the district simulation reads them: which are on at an instant, arrival multipliers, who is
 * absent, whose arrivals a link outage holds, and what a topic's cases look like. Draws come from a stream of their own,
 * so a scenario never moves a normal day's events.
 */
import type { Channel } from '@shared/domain';
import type { EpochMs } from '@shared/time';
import type { CaseDraw, District } from './district';
import { Rng } from './random';
import type { PlacedEffect } from '@shared/scenario';

/** What a topic effect makes a case look like. */
export type Topic = Extract<PlacedEffect, { kind: 'alerts' }>['topic'];

/** The effects of one run. */
export class ScenarioEffects {
  /** The scenario's draws. */
  readonly rng: Rng;
  constructor(
    readonly list: readonly PlacedEffect[],
    seed: number | string,
    private readonly district: District,
  ) {
    this.rng = Rng.derive(seed, 'scenario');
  }

  /** Whether an effect is on at `ts`. */
  active<K extends PlacedEffect['kind']>(kind: K, ts: EpochMs): Extract<PlacedEffect, { kind: K }>[] {
    return this.list.filter(
      (e): e is Extract<PlacedEffect, { kind: K }> => e.kind === kind && e.from <= ts && ts < e.to,
    );
  }

  /** The arrival rate multiplier of a channel at `ts` (surges multiply). */
  surgeFactor(channel: Channel, ts: EpochMs): number {
    let f = 1;
    for (const e of this.active('surge', ts)) if (e.channels.includes(channel)) f *= e.factor;
    return f;
  }

  /** An upper bound of the multiplier over the whole run, for thinning. */
  maxSurge(channel: Channel): number {
    let f = 1;
    for (const e of this.list) if (e.kind === 'surge' && e.channels.includes(channel)) f *= Math.max(1, e.factor);
    return f;
  }

  /** Agents of a shift who do not come in: `fraction` of them, chosen by the scenario stream. */
  absentees(shiftId: string, start: EpochMs): Set<string> {
    const fraction = Math.max(0, ...this.active('absence', start).map((e) => e.fraction));
    if (fraction === 0) return new Set();
    const ids = this.district.agents.filter((a) => a.shift === shiftId).map((a) => a.id);
    for (let i = ids.length - 1; i > 0; i--) {
      const j = this.rng.int(0, i);
      [ids[i], ids[j]] = [ids[j] as string, ids[i] as string];
    }
    return new Set(ids.slice(0, Math.round(fraction * ids.length)));
  }

  /** Draws a case about a topic: its category, a title, a street (low-lying ones if asked), the unit, flags. */
  topicDraw(channel: Channel, topic: Topic): CaseDraw {
    const rng = this.rng;
    const base = this.district.drawCase(rng, channel);
    const lowLying = this.district.config.streets.filter((s) => s.lowLying).map((s) => s.id);
    const pool = topic.streets ?? (topic.lowLyingOnly && lowLying.length > 0 ? lowLying : null);
    const street = pool ? rng.pick(pool) : base.street;
    return {
      caseType: topic.caseType,
      urgency: rng.chance(topic.urgent) ? 'urgent' : 'normal',
      flags: [...topic.flags],
      category: topic.category,
      street,
      unit: topic.unit ?? this.district.unitFor(rng, topic.category, street),
      title: rng.pick(topic.titles),
    };
  }

  /** A topic for a new case when a surge with a topic is on (drawn with its share). */
  surgeTopic(channel: Channel, ts: EpochMs): Topic | undefined {
    if (this.list.length === 0) return undefined;
    for (const e of this.active('surge', ts))
      if (e.topic && e.channels.includes(channel) && this.rng.chance(e.topic.share)) return e.topic;
    return undefined;
  }

  /** When a link outage holding the channel's arrivals at `ts` ends, or null. */
  heldUntil(channel: Channel, ts: EpochMs): EpochMs | null {
    if (this.list.length === 0) return null;
    return this.active('link_down', ts).find((e) => e.holdChannels.includes(channel))?.to ?? null;
  }
}
