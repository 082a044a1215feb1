/** The terminal side of a replay: pause and stop from the keyboard and signals, and a replay drawn with a progress bar. */
import type { DomainEventInput } from '@shared/events';
import { Progress } from './progress';
import { startReplay, type ReplayProgress } from './replay';

/** Pause and stop from the keyboard (on a terminal) and from signals; returns the disposer. */
export function controls(
  onPause: () => boolean,
  onStop: () => void,
  progressOut: NodeJS.WritableStream = process.stderr,
): () => void {
  const stdin = process.stdin;
  const stop = () => {
    progressOut.write('\nstopping after the batches in flight are acknowledged…\n');
    onStop();
  };
  const onKey = (buf: Buffer) => {
    const k = buf.toString('utf8');
    if (k === '\u0003' || k === 'q') stop();
    else if (k === 'p' || k === ' ') progressOut.write(onPause() ? '\npaused (p resumes)\n' : '\nresumed\n');
  };
  const raw = stdin.isTTY === true;
  if (raw) {
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onKey);
  }
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGUSR2', onPause);
  return () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.off('SIGUSR2', onPause);
    if (raw) {
      stdin.off('data', onKey);
      stdin.setRawMode(false);
      stdin.pause();
    }
  };
}

/** Replays with a progress bar, pause and clean stop; resolves with the final figures. */
export async function replayWithProgress(o: {
  server: string;
  token: string;
  space: string;
  speed: number;
  events: AsyncIterable<DomainEventInput> | Iterable<DomainEventInput>;
  json: boolean;
  total: ((p: ReplayProgress) => { fraction: number | null; etaSec: number | null }) | null;
  batchSize: number;
}): Promise<ReplayProgress> {
  const progress = new Progress(Progress.modeFor(o.json), process.stderr, 'p pause · q stop');
  const r = startReplay({
    server: o.server,
    token: o.token,
    space: o.space,
    speed: o.speed,
    events: o.events,
    batchSize: o.batchSize,
    onProgress: (p) => {
      const t = o.total?.(p) ?? { fraction: null, etaSec: null };
      progress.update({
        phase: 'replay',
        fraction: t.fraction,
        events: p.sent,
        simTime: p.simTime,
        etaSec: t.etaSec,
        paused: p.paused,
      });
    },
  });
  const dispose = controls(
    () => r.togglePause(),
    () => void r.stop(),
  );
  try {
    const res = await r.done;
    progress.update(
      { phase: 'replay', fraction: 1, events: res.sent, simTime: res.simTime, etaSec: 0, paused: false },
      true,
    );
    return res;
  } finally {
    dispose();
    progress.end();
  }
}
