/**
 * The supervisor decider, specified as given (the events a space has folded) / when (a command) / then (the one event
 * it becomes, or the refusal with its code and data): every command, and every refusal a command can meet.
 */
import { describe, expect, it } from 'vitest';
import { decide, type ActionEvent, type CaseCommand, type Decision } from '@shared/cases/decide';
import type { CaseRefusalData } from '@shared/cases/refusals';
import type { DomainEventInput } from '@shared/events';
import { MINUTE_MS } from '@shared/time';
import { T0, caseEvent, received } from '../../fixtures/events';
import { foldAll, newProjection } from '../../fixtures/projection';

const at = (m: number) => T0 + m * MINUTE_MS;
const NOW = at(60);
const EVENT_ID = 'action-1';
const by = { space: 'live', actor: '李督办' } as const;

/** A refusal as the spec states it: its code and data (its words are checked where they matter). */
type Refused = CaseRefusalData & { readonly why?: string };

/** Given the space folded `events`, when `command` is decided at `now`, then it is `expected`. */
function given(...events: DomainEventInput[]) {
  const p = newProjection();
  const refused = foldAll(p, events);
  if (refused.length > 0) throw new Error(`the given events do not fold: ${refused.join('; ')}`);
  return {
    when(command: CaseCommand, now = NOW) {
      const decision = decide(p.cases.get(command.caseId), command, {
        now,
        eventId: EVENT_ID,
        lifecycle: p.ctx.lifecycle,
        caseOf: (id) => p.cases.get(id),
      });
      return {
        then(expected: ActionEvent | Refused): Decision {
          if ('code' in expected)
            expect(decision).toEqual({ ok: false, refusal: { why: expect.any(String), ...expected } });
          else expect(decision).toEqual({ ok: true, event: expected });
          return decision;
        },
      };
    },
  };
}

/** A case received at 09:00 and dispatched at 09:02. */
const dispatched = (id: string) => [received(id), caseEvent('case.dispatched', id, at(2), { unit: 'cgzf' })];
/** A case replied, called back, rated satisfied and closed by 12:22. */
const closed = (id: string) => [
  ...dispatched(id),
  caseEvent('case.signed', id, at(30)),
  caseEvent('case.replied', id, at(120), { reply: '已处理' }),
  caseEvent('case.called_back', id, at(200)),
  caseEvent('case.evaluated', id, at(201), { rating: 'satisfied' }),
  caseEvent('case.closed', id, at(202)),
];
const base = (caseId: string) => ({ eventId: EVENT_ID, ts: NOW, caseId, actor: by.actor });

describe('when a supervisor urges an open case (督办)', () => {
  it('then it becomes case.supervised with the message and the new deadline, at the space clock, by the supervisor', () => {
    given(...dispatched('c1'))
      .when({ ...by, kind: 'supervise', caseId: 'c1', message: '请今日内办结', newDeadline: at(600) })
      .then({ ...base('c1'), type: 'case.supervised', message: '请今日内办结', newDeadline: at(600) });
  });

  it('then without a new deadline the event carries none', () => {
    given(...dispatched('c1'))
      .when({ ...by, kind: 'supervise', caseId: 'c1', message: '请尽快处理' })
      .then({ ...base('c1'), type: 'case.supervised', message: '请尽快处理' });
  });

  it('then a new deadline not after the action time is refused (deadline_not_after)', () => {
    given(...dispatched('c1'))
      .when({ ...by, kind: 'supervise', caseId: 'c1', message: '请尽快处理', newDeadline: NOW })
      .then({
        code: 'deadline_not_after',
        caseId: 'c1',
        type: 'case.supervised',
        stage: 'dispatched',
        deadline: NOW,
        ts: NOW,
      });
  });
});

describe('when a supervisor reminds (催办)', () => {
  it('then it becomes case.reminded with the message', () => {
    given(...dispatched('c1'))
      .when({ ...by, kind: 'remind', caseId: 'c1', message: '再次催办' })
      .then({ ...base('c1'), type: 'case.reminded', message: '再次催办' });
  });

  it('then an empty message is left out of the event', () => {
    given(received('c1'))
      .when({ ...by, kind: 'remind', caseId: 'c1', message: '' })
      .then({ ...base('c1'), type: 'case.reminded' });
  });

  it('then a closed case refuses it (wrong_stage), naming the stages it fits', () => {
    given(...closed('c1'))
      .when({ ...by, kind: 'remind', caseId: 'c1' })
      .then({
        code: 'wrong_stage',
        caseId: 'c1',
        type: 'case.reminded',
        stage: 'closed',
        allowed: [
          'received',
          'registered',
          'dispatched',
          'signed',
          'processing',
          'replied',
          'checked',
          'called_back',
          'evaluated',
        ],
        why: 'case c1 is closed: case.reminded does not fit (allowed from received/registered/dispatched/signed/processing/replied/checked/called_back/evaluated)',
      });
  });
});

describe('when a supervisor escalates to a leader (领导批示)', () => {
  it('then it becomes case.escalated with the note and the leader', () => {
    given(...dispatched('c1'))
      .when({ ...by, kind: 'escalate', caseId: 'c1', note: '请分管领导关注', leader: '张副区长' })
      .then({ ...base('c1'), type: 'case.escalated', note: '请分管领导关注', leader: '张副区长' });
  });

  it('then without a leader the event names none', () => {
    given(...dispatched('c1'))
      .when({ ...by, kind: 'escalate', caseId: 'c1', note: '请分管领导关注' })
      .then({ ...base('c1'), type: 'case.escalated', note: '请分管领导关注' });
  });
});

describe('when a supervisor approves an extension (批准延期)', () => {
  it('then a dispatched case gets case.extension_approved until the new deadline', () => {
    given(...dispatched('c1'))
      .when({ ...by, kind: 'approve_extension', caseId: 'c1', until: at(3000) })
      .then({ ...base('c1'), type: 'case.extension_approved', until: at(3000) });
  });

  it('then a case not yet dispatched refuses it (wrong_stage)', () => {
    given(received('c1'))
      .when({ ...by, kind: 'approve_extension', caseId: 'c1', until: at(3000) })
      .then({
        code: 'wrong_stage',
        caseId: 'c1',
        type: 'case.extension_approved',
        stage: 'received',
        allowed: ['dispatched', 'signed', 'processing'],
      });
  });

  it('then a deadline before the action time is refused (deadline_not_after)', () => {
    given(...dispatched('c1'))
      .when({ ...by, kind: 'approve_extension', caseId: 'c1', until: at(30) })
      .then({
        code: 'deadline_not_after',
        caseId: 'c1',
        type: 'case.extension_approved',
        stage: 'dispatched',
        deadline: at(30),
        ts: NOW,
      });
  });
});

describe('when a supervisor exempts a case from scoring (不计考核)', () => {
  it('then an open case gets case.exempted with the reason', () => {
    given(...dispatched('c1'))
      .when({ ...by, kind: 'exempt', caseId: 'c1', reason: '恶劣天气' })
      .then({ ...base('c1'), type: 'case.exempted', reason: '恶劣天气' });
  });

  it('then a closed case can still be exempted', () => {
    given(...closed('c1'))
      .when({ ...by, kind: 'exempt', caseId: 'c1', reason: '系统故障' })
      .then({ ...base('c1'), ts: at(202), type: 'case.exempted', reason: '系统故障' });
  });

  it('then a case already exempt refuses a second one (already_exempt)', () => {
    given(...dispatched('c1'), caseEvent('case.exempted', 'c1', at(10), { reason: '恶劣天气' }))
      .when({ ...by, kind: 'exempt', caseId: 'c1', reason: '再次' })
      .then({
        code: 'already_exempt',
        caseId: 'c1',
        type: 'case.exempted',
        stage: 'dispatched',
        why: 'case c1 is dispatched: case.exempted does not fit (the case is already exempt)',
      });
  });
});

describe('when a supervisor merges a duplicate into its master (合并)', () => {
  it('then it becomes case.merged naming the master', () => {
    given(received('d1'), received('m1'))
      .when({ ...by, kind: 'merge', caseId: 'd1', masterCaseId: 'm1' })
      .then({ ...base('d1'), type: 'case.merged', masterCaseId: 'm1' });
  });

  it('then a case cannot be merged into itself (self_merge)', () => {
    given(received('d1'))
      .when({ ...by, kind: 'merge', caseId: 'd1', masterCaseId: 'd1' })
      .then({ code: 'self_merge', caseId: 'd1', type: 'case.merged', stage: 'received' });
  });

  it('then a master that does not exist is refused (no_master)', () => {
    given(received('d1'))
      .when({ ...by, kind: 'merge', caseId: 'd1', masterCaseId: 'm9' })
      .then({
        code: 'no_master',
        caseId: 'd1',
        masterCaseId: 'm9',
        why: 'case d1: case.merged needs an existing master case; m9 does not exist',
      });
  });

  it('then a master that is itself merged is refused (master_merged)', () => {
    given(received('d1'), received('m1'), received('m2'), caseEvent('case.merged', 'm1', at(5), { masterCaseId: 'm2' }))
      .when({ ...by, kind: 'merge', caseId: 'd1', masterCaseId: 'm1' })
      .then({
        code: 'master_merged',
        caseId: 'd1',
        masterCaseId: 'm1',
        why: 'case d1: case.merged needs an existing master case; m1 is itself merged',
      });
  });

  it('then a duplicate already merged refuses before its master is looked at (wrong_stage)', () => {
    given(received('d1'), received('m1'), caseEvent('case.merged', 'd1', at(5), { masterCaseId: 'm1' }))
      .when({ ...by, kind: 'merge', caseId: 'd1', masterCaseId: 'm9' })
      .then({
        code: 'wrong_stage',
        caseId: 'd1',
        type: 'case.merged',
        stage: 'merged',
        allowed: [
          'received',
          'registered',
          'dispatched',
          'signed',
          'processing',
          'replied',
          'checked',
          'called_back',
          'evaluated',
        ],
      });
  });
});

describe('when a command names a case the space does not have', () => {
  it('then it is refused (no_case) whatever the command', () => {
    given(received('c1'))
      .when({ ...by, kind: 'remind', caseId: 'c9' })
      .then({
        code: 'no_case',
        caseId: 'c9',
        type: 'case.reminded',
        why: 'case c9 does not exist; case.reminded needs a case.received first',
      });
    given()
      .when({ ...by, kind: 'merge', caseId: 'c9', masterCaseId: 'c1' })
      .then({ code: 'no_case', caseId: 'c9', type: 'case.merged' });
  });
});

describe('when the space clock is behind the case’s last event', () => {
  it('then the event is dated at the case’s last event, never before it', () => {
    given(...dispatched('c1'), caseEvent('case.signed', 'c1', at(90)))
      .when({ ...by, kind: 'remind', caseId: 'c1', message: '请尽快处理' }, at(70))
      .then({ ...base('c1'), ts: at(90), type: 'case.reminded', message: '请尽快处理' });
  });
});

describe('when a producer sends the merge the decider would refuse', () => {
  it('then the fold quarantines it with the same merge-master refusal', () => {
    const p = newProjection();
    expect(
      foldAll(p, [
        received('d1'),
        received('m1'),
        received('m2'),
        caseEvent('case.merged', 'm1', at(5), { masterCaseId: 'm2' }),
      ]),
    ).toEqual([]);
    expect(
      foldAll(p, [
        caseEvent('case.merged', 'd1', at(6), { masterCaseId: 'm9' }),
        caseEvent('case.merged', 'd1', at(7), { masterCaseId: 'm1' }),
      ]),
    ).toEqual([
      'case d1: case.merged needs an existing master case; m9 does not exist',
      'case d1: case.merged needs an existing master case; m1 is itself merged',
    ]);
    expect(p.cases.get('d1')?.stage).toBe('received');
  });
});
