/**
 * Feeding a space of a running server from the simulator: the backlog at once, then live at a speed (a scenario's day
 * up to its drill start, then its drill window, then stop). Shared by `npm run sim -- run` and the drill entry.
 */
import type { Scenario } from '@shared/scenario';
import { drillWindow, placeEffects } from '@shared/scenario';
import { startProducer } from './producer';
import type { DeskPlay } from './desk';
import { Progress } from './progress';
import { controls } from './terminal';

/** What to feed, and how progress is shown. */
export interface FeedOptions {
  readonly servers: string[];
  readonly token: string;
  readonly space: string;
  readonly seed: number;
  /** Simulated seconds per wall second (Infinity: as fast as acknowledged). */
  readonly speed: number;
  /** Whole days of backlog before today, without a scenario. */
  readonly backlogDays: number;
  readonly batchSize: number;
  readonly scenario: Scenario | null;
  /** Progress as JSON lines on stderr (for a program), else a bar or plain lines. */
  readonly json: boolean;
}

/**
 * What the simulated desk does in a scenario's drill: the shifts before the window are worked by the simulator's
 * officers (handovers, items); in the window, what the scenario leaves to them — by default nothing, the drill measures
 * the people at the desk.
 */
export function drillDesk(scenario: Scenario, windowStart: number): DeskPlay {
  const until = (w: 'people' | 'simulated') => (w === 'simulated' ? Number.POSITIVE_INFINITY : windowStart);
  return { handoversUntil: until(scenario.drill.desk.handovers), itemsUntil: until(scenario.drill.desk.items) };
}

/** Feeds the space until the scenario's drill window ends (or until stopped); p/q and signals pause and stop. Resolves with the seconds it ran. */
export async function feedSpace(o: FeedOptions): Promise<number> {
  const { scenario, speed } = o;
  const win = scenario ? drillWindow(scenario) : null;
  const progress = new Progress(Progress.modeFor(o.json), process.stderr, 'p pause · q stop');
  progress.record({
    type: 'start',
    scenario: scenario ? { name: scenario.name, title: scenario.title } : null,
    seed: o.seed,
    speed: Number.isFinite(speed) ? speed : null,
    ...(win ?? {}),
  });
  const started = Date.now();
  let paused = false;
  const producer = startProducer({
    server: o.servers,
    token: o.token,
    space: o.space,
    seed: o.seed,
    speed,
    backlogDays: o.backlogDays,
    batchSize: o.batchSize,
    ...(scenario && win
      ? {
          effects: placeEffects(scenario),
          simStart: win.simStart,
          now: win.start,
          until: win.end,
          desk: drillDesk(scenario, win.start),
        }
      : {}),
    onProgress: (p) => {
      const live = p.phase === 'live';
      const from = live ? (win?.start ?? p.simTime) : (win?.simStart ?? p.simTime);
      const to = live ? (win?.end ?? null) : (win?.start ?? null);
      const fraction = to === null ? null : Math.max(0, Math.min(1, (p.simTime - from) / Math.max(1, to - from)));
      const etaSec = live && to !== null && Number.isFinite(speed) ? (to - p.simTime) / speed / 1000 : null;
      progress.update(
        { phase: p.phase, fraction, events: p.events, simTime: p.simTime, etaSec, paused },
        fraction === 1,
      );
    },
  });
  const dispose = controls(
    () => (paused = producer.togglePause()),
    () => void producer.stop(),
  );
  try {
    await producer.backlogDone.catch(() => undefined);
    await producer.done;
  } finally {
    dispose();
    progress.end();
  }
  const elapsedSec = (Date.now() - started) / 1000;
  progress.record({ type: 'done', elapsedSec });
  return elapsedSec;
}

/** The first line of a stream (a token passed through a pipe), trimmed. */
export async function firstLine(input: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of input) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return (text.split('\n')[0] ?? '').trim();
}
