/**
 * A drill summary's moments: the acknowledgement figure points at the first item not acknowledged in time, and the
 * worst moment is the first figure that missed its target — the instants the summary page links the review to.
 */
import { describe, expect, it } from 'vitest';
import { projectionContext } from '../../server/app';
import { summariseDrill } from '../../server/drills/summary';
import { DEFAULT_CONFIG } from '@shared/config';
import { worstMoment } from '@shared/drills';
import { validateEvent, type DomainEvent, type DomainEventInput } from '@shared/events';
import { shanghaiInstant } from '@shared/time';

const at = (hhmm: string) => shanghaiInstant('2026-12-09', hhmm);

function parse(raw: Record<string, unknown>): DomainEvent {
  const v = validateEvent(raw as DomainEventInput);
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.event;
}

const opened = (id: string, ts: number, since: number) =>
  parse({ type: 'item.opened', eventId: `o-${id}`, ts, itemId: id, kind: 'case', level: 'bad', text: id, since });
const acked = (id: string, ts: number) =>
  parse({ type: 'item.acknowledged', eventId: `a-${id}`, ts, itemId: id, by: '李娜' });

async function* chunks(events: readonly DomainEvent[]): AsyncIterable<DomainEvent[]> {
  yield [...events];
}

describe('when a drill desk answers one item in time, misses one and answers one late', () => {
  // Items counted from `since`; a case item must be acknowledged within 5 minutes.
  const log = [
    opened('A', at('10:00'), at('10:00')),
    acked('A', at('10:03')),
    opened('B', at('10:21'), at('10:20')),
    opened('C', at('10:41'), at('10:40')),
    acked('C', at('10:55')),
    parse({ type: 'clock.tick', eventId: 'tick', ts: at('12:00') }),
  ];

  it('then the acknowledgement figure is 1 of 3 with its moment at the missed item, the worst moment', async () => {
    const s = await summariseDrill('drill-x', chunks(log), projectionContext(DEFAULT_CONFIG), at('10:00'), at('12:00'));
    const ack = s.figures.find((f) => f.key === 'ackTimely')!;
    expect(ack.value).toBeCloseTo(1 / 3);
    expect(ack.met).toBe(false);
    // B was raised (written) at 10:21; C, also not in time, came later.
    expect(ack.at).toBe(at('10:21'));
    expect(worstMoment(s)).toEqual({ at: at('10:21'), figure: ack });
  });

  it('then with every item answered in time there is no worst moment', async () => {
    const s = await summariseDrill(
      'drill-x',
      chunks([...log.slice(0, 2), parse({ type: 'clock.tick', eventId: 'tick', ts: at('12:00') })]),
      projectionContext(DEFAULT_CONFIG),
      at('10:00'),
      at('12:00'),
    );
    expect(s.figures.find((f) => f.key === 'ackTimely')).toMatchObject({ value: 1, met: true, at: null });
    expect(worstMoment(s)).toBeNull();
  });
});
