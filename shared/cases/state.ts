/** The state of one case: the fold of its events. */
import type { CaseFlag, CaseType, Channel, Rating, Stage, Urgency } from '../domain';
import type { SlaLimit } from '../sla/rules';
import type { EpochMs } from '../time';

/** A deadline clock: when it started, its limit, its (possibly moved) deadline, and when it stopped. */
export interface ClockState {
  readonly start: EpochMs;
  readonly limit: SlaLimit;
  readonly deadline: EpochMs;
  readonly stoppedAt: EpochMs | null;
}

/** A case as the projections keep it. Text fields come from citizens: untrusted, render as text. */
export interface CaseState {
  readonly id: string;
  readonly channel: Channel;
  readonly caseType: CaseType;
  readonly urgency: Urgency;
  readonly flags: readonly CaseFlag[];
  readonly category: string;
  readonly street: string;
  readonly community: string | null;
  readonly lat: number | null;
  readonly lng: number | null;
  readonly title: string;
  readonly agentId: string | null;
  readonly receivedAt: EpochMs;
  readonly stage: Stage;
  readonly unit: string | null;
  readonly sign: ClockState | null;
  readonly handle: ClockState | null;
  readonly callback: ClockState | null;
  /** First dispatch, first sign-for, latest reply, first callback. */
  readonly dispatchedAt: EpochMs | null;
  readonly signedAt: EpochMs | null;
  readonly repliedAt: EpochMs | null;
  readonly calledBackAt: EpochMs | null;
  readonly closedAt: EpochMs | null;
  readonly rating: Rating | null;
  /**
   * Evaluations received (a case reopened after an unsatisfied one is evaluated again), and how many of them were
   * satisfied or basically satisfied: the satisfaction rate counts every evaluation, as the wall does.
   */
  readonly evaluations: number;
  readonly satisfiedEvaluations: number;
  /**
   * Whether the latest sign-for and the latest reply met their clocks, judged when each happened (null before the
   * first). A clock restarted for rework (a failed quality check, a reopen) does not make a past reply late.
   */
  readonly signedOnTime: boolean | null;
  readonly repliedOnTime: boolean | null;
  /** Quality-check rejections (驳回重办). */
  readonly redoCount: number;
  /** Reopens after an unsatisfied evaluation (二次重办). */
  readonly reopenCount: number;
  /** Whether the case is waiting to be signed again after a reopen. */
  readonly awaitingResign: boolean;
  readonly supervisedCount: number;
  readonly remindedCount: number;
  readonly escalated: boolean;
  readonly extensionRequestedUntil: EpochMs | null;
  /** 不计考核. */
  readonly exempt: boolean;
  /** Set when this case was merged into a master case. */
  readonly masterId: string | null;
  readonly duplicates: readonly string[];
  readonly updatedAt: EpochMs;
}

/** Stages after which nothing more happens to a case. */
export function isTerminal(stage: Stage): boolean {
  return stage === 'closed' || stage === 'merged';
}

/** Whether a clock is running: started and not stopped. */
function running(clock: ClockState | null): clock is ClockState {
  return clock !== null && clock.stoppedAt === null;
}

/** The clocks of a case that are running (started, not stopped). */
export function runningClocks(
  c: CaseState,
): { readonly id: 'sign' | 'handle' | 'callback'; readonly clock: ClockState }[] {
  const out: { id: 'sign' | 'handle' | 'callback'; clock: ClockState }[] = [];
  forEachRunningClock(c, (id, clock) => out.push({ id, clock }));
  return out;
}

/** Calls `fn` with each running clock of a case, in sign, handle, callback order (no allocation: scans over every open case use it). */
export function forEachRunningClock(
  c: CaseState,
  fn: (id: 'sign' | 'handle' | 'callback', clock: ClockState) => void,
): void {
  if (running(c.sign)) fn('sign', c.sign);
  if (running(c.handle)) fn('handle', c.handle);
  if (running(c.callback)) fn('callback', c.callback);
}
