/**
 * Progress on a terminal: a bar with the share done, events sent, the rate and the ETA, redrawn in place at most ten
 * times a second; on a pipe, one plain line every few seconds; with `--json-progress`, one JSON object per line for a
 * program (the server's drill runner) to read.
 */
import type { ProgressLine } from '@shared/drills';

/**
 * One progress report: phase, share done 0–1 (null: unknown), events acknowledged, simulated time reached (ms, or
 * null), seconds left (null: unknown), whether paused. The JSON line adds the rate and the elapsed time.
 */
export type ProgressState = Omit<Extract<ProgressLine, { type: 'progress' }>, 'type' | 'rate' | 'elapsedSec'>;

/** How progress is shown. */
export type ProgressMode = 'bar' | 'lines' | 'json' | 'off';

/** Draws progress to a stream. */
export class Progress {
  private lastDraw = 0;
  private readonly startedAt = performance.now();
  private drawn = false;

  constructor(
    private readonly mode: ProgressMode,
    private readonly out: NodeJS.WritableStream = process.stderr,
    private readonly hint = '',
  ) {}

  /** The mode for the process: a bar on a terminal, lines otherwise, JSON when asked. */
  static modeFor(json: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressMode {
    return json ? 'json' : stream.isTTY ? 'bar' : 'lines';
  }

  /** Reports progress; drawn when due (`force` draws now). */
  update(s: ProgressState, force = false): void {
    const t = performance.now();
    const every = this.mode === 'bar' ? 100 : this.mode === 'json' ? 500 : 2000;
    if (!force && t - this.lastDraw < every) return;
    this.lastDraw = t;
    const elapsed = (t - this.startedAt) / 1000;
    const rate = elapsed > 0 ? s.events / elapsed : 0;
    switch (this.mode) {
      case 'off':
        return;
      case 'json': {
        const line: ProgressLine = {
          type: 'progress',
          ...s,
          rate: Math.round(rate),
          elapsedSec: Math.round(elapsed * 10) / 10,
        };
        this.out.write(`${JSON.stringify(line)}\n`);
        return;
      }
      case 'lines':
        this.out.write(`${formatLine(s, rate)}\n`);
        return;
      case 'bar':
        this.out.write(`\r\x1b[2K${bar(s.fraction)} ${formatLine(s, rate)}${this.hint ? `  ${this.hint}` : ''}`);
        this.drawn = true;
        return;
    }
  }

  /** Ends the bar's line (so later output starts on a fresh line). */
  end(): void {
    if (this.mode === 'bar' && this.drawn) this.out.write('\n');
    this.drawn = false;
  }

  /** Writes the start or the end of a run as a JSON line, in json mode. */
  record(line: Exclude<ProgressLine, { type: 'progress' }>): void {
    if (this.mode === 'json') this.out.write(`${JSON.stringify(line)}\n`);
  }
}

const WIDTH = 28;

/** A text bar for a fraction (an empty one when unknown). */
export function bar(fraction: number | null): string {
  if (fraction === null) return `[${'·'.repeat(WIDTH)}]`;
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.floor(f * WIDTH);
  return `[${'█'.repeat(full)}${'░'.repeat(WIDTH - full)}] ${(f * 100).toFixed(1).padStart(5)}%`;
}

/** Seconds as h:mm:ss or m:ss. */
export function duration(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

function formatLine(s: ProgressState, rate: number): string {
  const sim =
    s.simTime === null
      ? ''
      : `  sim ${new Date(s.simTime + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ')}`;
  const eta = s.etaSec === null ? '' : `  ETA ${duration(s.etaSec)}`;
  return `${s.paused ? 'PAUSED ' : ''}${s.phase}: ${s.events.toLocaleString('en-US')} events  ${Math.round(rate).toLocaleString('en-US')} ev/s${eta}${sim}`;
}
