/**
 * The case read model keeps in memory the cases not yet written and the open cases changed most recently, up to a
 * bound: with more cases open than that, the others are read back from their rows when an event touches them, and
 * every row is what a fold of all the events in memory gives.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { projectionContext } from '../../server/app';
import { CaseReadModel } from '../../server/cases/readModel';
import { applyCaseEvent } from '@shared/cases/lifecycle';
import type { CaseState } from '@shared/cases/state';
import { DEFAULT_CONFIG } from '@shared/config';
import { validateEvent, type DomainEvent, type DomainEventInput } from '@shared/events';
import type { CaseEvent } from '@shared/events/case';
import { MINUTE_MS } from '@shared/time';
import { caseEvent, received, T0 } from '../fixtures/events';

const ctx = projectionContext(DEFAULT_CONFIG);
const OPEN = 25_000;
const SPACE = 'live';

function parse(raw: DomainEventInput): DomainEvent {
  const v = validateEvent(raw);
  if (!v.ok) throw new Error(`bad fixture: ${JSON.stringify(v.errors)}`);
  return v.event;
}

describe(`when ${OPEN.toLocaleString('en')} cases are open in the case read model`, () => {
  const model = new CaseReadModel(':memory:', ctx, 'test');
  const reference = new Map<string, CaseState>();
  const seqsOf = new Map<string, number[]>();
  let seq = 0;

  /** Records a batch in the model and folds it into the reference, as the model should. */
  function record(raws: readonly DomainEventInput[]): void {
    const events = raws.map(parse);
    const seqs = events.map(() => ++seq);
    model.record(SPACE, events, seqs);
    events.forEach((e, i) => {
      const c = e as CaseEvent;
      const t = applyCaseEvent(reference.get(c.caseId), c, ctx.lifecycle);
      if (!t.ok) throw new Error(t.reason);
      reference.set(c.caseId, t.state);
      seqsOf.set(c.caseId, [...(seqsOf.get(c.caseId) ?? []), seqs[i]!]);
    });
  }

  function rows(): Map<string, CaseState> {
    const all = model.db.prepare('SELECT id, state FROM case_states WHERE space = ?').raw().all(SPACE) as [
      string,
      string,
    ][];
    return new Map(all.map(([id, st]) => [id, JSON.parse(st) as CaseState]));
  }

  afterAll(async () => {
    model.close();
  });

  it('then once written, only the bound of them stays in memory', () => {
    for (let i = 0; i < OPEN; i += 1_000) {
      const batch: DomainEventInput[] = [];
      for (let k = i; k < i + 1_000; k++) {
        batch.push(received(`C${k}`, { ts: T0 + k }));
        batch.push(caseEvent('case.dispatched', `C${k}`, T0 + k + MINUTE_MS, { unit: 'st-guanshan' }));
      }
      record(batch);
    }
    expect(model.heldInMemory(SPACE)).toBe(OPEN);
    model.flush();
    expect(model.heldInMemory(SPACE)).toBe(20_000);
    expect(rows().size).toBe(OPEN);
  });

  it('then an event of a case that left memory folds onto its row', () => {
    const at = T0 + 2 * OPEN + 10 * MINUTE_MS;
    // C0 … C99 changed first: they left memory; C24900 … C24999 changed last: they stayed.
    const touched = [...Array.from({ length: 100 }, (_, k) => `C${k}`), 'C24999'];
    record(touched.map((id) => caseEvent('case.signed', id, at)));
    model.flush();
    expect(model.heldInMemory(SPACE)).toBe(20_000);
    for (const id of touched) {
      const c = model.caseState(SPACE, id);
      expect(c?.stage, id).toBe('signed');
      expect(c?.signedAt, id).toBe(at);
      expect(c?.sign?.stoppedAt, id).toBe(at);
      expect(c, id).toEqual(reference.get(id));
    }
    // The history lists log seqs (the bodies stay in the log, which this test does not fill).
    const history = model.db
      .prepare("SELECT seqs FROM case_history WHERE space = ? AND case_id = 'C0'")
      .pluck()
      .get(SPACE) as string;
    expect(history.split(',').map(Number)).toEqual(seqsOf.get('C0'));
    expect(model.refused(SPACE)).toBe(0);
  });

  it('then every row equals a fold of all the events in memory', () => {
    const got = rows();
    expect(got.size).toBe(OPEN);
    for (const [id, c] of reference) expect(got.get(id), id).toEqual(c);
    const stages = model.db
      .prepare('SELECT stage, count(*) AS n FROM cases WHERE space = ? GROUP BY stage ORDER BY stage')
      .all(SPACE);
    expect(stages).toEqual([
      { stage: 'dispatched', n: OPEN - 101 },
      { stage: 'signed', n: 101 },
    ]);
  });
});
