/**
 * Drills: each runs the simulator's drill entry as a child process (`simulators/drill.ts --scenario …`) with a freshly
 * minted producer token scoped to a new `drill-*` space, so it sends through the public ingest API like any producer
 * and can never write another space. Progress comes from the child's JSON lines; at the end the drill's log is
 * summarised. Records are kept in `DrillRecords` (SQLite in DATA_DIR) so drills are listed after a restart; a drill
 * cut off by a stop of the server is `interrupted`. The drill spaces' logs stay until deleted. The scenarios are read
 * from their folder with the shared loader (`shared/scenario.ts`): listing them starts no process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { readProgressLine, type DrillRecord, type DrillSummary, type ScenarioInfo } from '@shared/drills';
import type { ProjectionContext } from '@shared/projection/state';
import { scenarioInfo, scenariosIn } from '@shared/scenario';
import type { DrillInfo } from '@shared/wall/view';
import type { TokenRegistry } from '../auth/tokens';
import { Failsafe } from '../failsafe';
import { PROJECT_ROOT } from '../root';
import type { SpaceRegistry } from '../spaces';
import type { EventStore } from '../store/types';
import type { DrillRecords } from './records';
import { summariseDrill } from './summary';

const ROOT = PROJECT_ROOT;
const DRILL_ENTRY = path.join(ROOT, 'simulators', 'drill.ts');
const SCENARIO_DIR = path.join(ROOT, 'simulators', 'scenarios');

/** What to start. */
export interface DrillRequest {
  readonly scenario: string;
  readonly speed: number | null;
  readonly seed?: number;
}

/** A drill request that cannot be started: the message says why. */
export class DrillError extends Error {
  constructor(
    readonly code: 'bad_request' | 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
  }
}

/** What the drill runner needs. */
export interface DrillDeps {
  readonly tokens: TokenRegistry;
  readonly spaces: SpaceRegistry;
  readonly store: EventStore;
  readonly ctx: ProjectionContext;
  /** The server's own base URL (known once it listens). */
  readonly baseUrl: () => string;
  /** Where drill records are kept (read at construction). */
  readonly records: DrillRecords;
  /** Most drills running at once (default 4). */
  readonly maxRunning?: number;
  /** Reports a failed progress line or kill timer instead of letting it throw into the event loop. */
  readonly failsafe?: Failsafe;
}

/** Progress is written to the records at most this often, ms (status changes are written at once). */
const SAVE_PROGRESS_MS = 2_000;

interface Running {
  child: ChildProcess;
  token: string;
  exited: Promise<number | null>;
  stopping: false | 'stopped' | 'interrupted';
  savedAt: number;
}

/** Starts, lists, stops and summarises drills. */
export class DrillService {
  private readonly drills = new Map<string, DrillRecord>();
  private readonly running = new Map<string, Running>();
  private scenarioList: Promise<ScenarioInfo[]> | null = null;
  private n = 0;
  private readonly failsafe: Failsafe;

  constructor(private readonly deps: DrillDeps) {
    this.failsafe = deps.failsafe ?? new Failsafe();
    for (const r of deps.records.load(Date.now())) this.drills.set(r.id, r);
  }

  /** Shows the recorded drills on their spaces' walls again (after the spaces are rebuilt at start). */
  restore(): void {
    for (const r of this.drills.values()) {
      const space = this.deps.spaces.find(r.space);
      if (space && !space.drill) space.drill = this.info(r);
    }
  }

  /** The shipped scenarios (read from their folder once). */
  scenarios(): Promise<ScenarioInfo[]> {
    const at = (f: string) => path.join(SCENARIO_DIR, f);
    const read = () =>
      scenariosIn({ names: readdirSync(SCENARIO_DIR), read: (f) => readFileSync(at(f), 'utf8'), path: at });
    this.scenarioList ??= Promise.resolve().then(() => read().map(scenarioInfo));
    this.scenarioList.catch(() => {
      this.scenarioList = null;
    });
    return this.scenarioList;
  }

  /** Every drill, newest first. */
  list(): DrillRecord[] {
    return [...this.drills.values()].sort((a, b) => b.createdAt - a.createdAt);
  }

  /** A drill by id. */
  get(id: string): DrillRecord | undefined {
    return this.drills.get(id);
  }

  /** Starts a drill in a new space; resolves once the simulator has reported the drill window. */
  async start(req: DrillRequest): Promise<DrillRecord> {
    const scenario = (await this.scenarios()).find((s) => s.name === req.scenario);
    if (!scenario)
      throw new DrillError(
        'bad_request',
        `no scenario "${req.scenario}"; one of ${(await this.scenarios()).map((s) => s.name).join(', ')}`,
      );
    if ([...this.running.keys()].length >= (this.deps.maxRunning ?? 4))
      throw new DrillError('conflict', `${this.deps.maxRunning ?? 4} drills are running already; stop one first`);
    const id = `drill-${scenario.name.slice(0, 24)}-${Date.now().toString(36).slice(-5)}${(++this.n).toString(36)}`;
    if (this.deps.spaces.find(id) || this.drills.has(id))
      throw new DrillError('conflict', `space ${id} exists already`);
    const seed = req.seed ?? Math.floor(Math.random() * 1_000_000);
    const record: DrillRecord = {
      id,
      space: id,
      scenario: scenario.name,
      title: scenario.title,
      speed: req.speed,
      seed,
      status: 'starting',
      createdAt: Date.now(),
      endedAt: null,
      window: { simStart: scenario.simStart, start: scenario.start, end: scenario.end },
      progress: { phase: 'starting', fraction: 0, events: 0, simTime: null, etaSec: null, rate: 0 },
      error: null,
      summary: null,
    };
    this.drills.set(id, record);
    this.deps.records.save(record);
    const space = this.deps.spaces.get(id);
    space.drill = this.info(record);
    const grant = this.deps.tokens.mint('producer', id);
    // The token goes through a pipe (the child's stdin), never argv: a command line is readable by every user (ps).
    const args = [
      '--import',
      'tsx',
      DRILL_ENTRY,
      '--server',
      this.deps.baseUrl(),
      '--space',
      id,
      '--scenario',
      scenario.name,
      '--speed',
      req.speed === null ? 'max' : String(req.speed),
      '--seed',
      String(seed),
    ];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['pipe', 'ignore', 'pipe'] });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(`${grant.token}\n`);
    const exited = new Promise<number | null>((resolve) => {
      child.on('error', (e) => {
        record.error = `cannot start the simulator: ${e.message}`;
        resolve(-1);
      });
      child.on('close', (code) => resolve(code));
    });
    const run: Running = { child, token: grant.token, exited, stopping: false, savedAt: Date.now() };
    this.running.set(id, run);
    const lines = createInterface({ input: child.stderr as NodeJS.ReadableStream });
    lines.on(
      'line',
      this.failsafe.listener('drills.progress', (line: string) => this.onLine(record, run, line)),
    );
    void exited.then(this.failsafe.listener('drills.ended', (code: number | null) => this.ended(record, run, code)));
    return record;
  }

  /**
   * Stops a drill (the simulator finishes its batch in flight) and, if asked, deletes its space's data. `why` is what
   * the record says afterwards: stopped by an operator, or interrupted by the server closing.
   */
  async stop(id: string, deleteData: boolean, why: 'stopped' | 'interrupted' = 'stopped'): Promise<DrillRecord | null> {
    const record = this.drills.get(id);
    const run = this.running.get(id);
    // Only a space a drill created is stopped or deleted here: a drill-named space with no drill record is not a drill's.
    if (!record) return null;
    if (run) {
      run.stopping = why;
      run.child.kill('SIGINT');
      const killer = setTimeout(
        this.failsafe.guarded('drills.kill', () => run.child.kill('SIGKILL')),
        10_000,
      );
      await run.exited;
      clearTimeout(killer);
      await this.settled(id);
    }
    if (deleteData) {
      await this.deps.spaces.delete(id);
      this.drills.delete(id);
      this.deps.records.delete(id);
    }
    return record ?? null;
  }

  /** The drill's summary: the final one once it has ended, otherwise computed up to where it is (once per change). */
  async summary(id: string): Promise<DrillSummary | null> {
    const record = this.drills.get(id);
    if (!record) return null;
    if (record.summary) return record.summary;
    const applied = this.deps.spaces.find(record.space)?.projection.eventsApplied ?? 0;
    const cached = this.interim.get(id);
    if (cached && cached.applied === applied) return cached.summary;
    const summary = this.summarise(record);
    this.interim.set(id, { applied, summary });
    summary.catch(() => this.interim.delete(id));
    return summary;
  }

  /** Summaries of running drills, by the number of events they were computed from (a page polling them folds once per change). */
  private readonly interim = new Map<string, { applied: number; summary: Promise<DrillSummary> }>();

  /** Stops every running drill as interrupted (the server is closing) and closes the records. */
  async close(): Promise<void> {
    await Promise.all([...this.running.keys()].map((id) => this.stop(id, false, 'interrupted')));
    // Drills that ended on their own may still be writing their summary.
    await Promise.all(this.settling.values());
    this.deps.records.close();
  }

  private info(r: DrillRecord): DrillInfo {
    return {
      scenario: r.scenario,
      title: r.title,
      speed: r.speed,
      startedAt: r.window?.start ?? 0,
      endsAt: r.window?.end ?? 0,
    };
  }

  private onLine(r: DrillRecord, run: Running, text: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      // Not JSON: the simulator's own error message (it writes `error: …` before it exits).
      if (text.trim()) {
        r.error = text.replace(/^error:\s*/, '').slice(0, 500);
        this.save(r, run);
      }
      return;
    }
    const read = readProgressLine(raw);
    if (!read.ok)
      throw new Error(
        `drill ${r.id}: the simulator wrote a progress line that does not fit its schema (${read.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}): ${text.slice(0, 300)}`,
      );
    const msg = read.line;
    if (msg.type === 'start') {
      if (msg.start === undefined || msg.end === undefined || msg.simStart === undefined) return;
      r.window = { simStart: msg.simStart, start: msg.start, end: msg.end };
      r.status = 'running';
      const space = this.deps.spaces.find(r.space);
      if (space) space.drill = this.info(r);
      this.save(r, run);
    } else if (msg.type === 'progress') {
      const changed = r.status !== 'running';
      r.status = 'running';
      r.progress = {
        phase: msg.phase,
        fraction: msg.fraction,
        events: msg.events,
        simTime: msg.simTime,
        etaSec: msg.etaSec,
        rate: msg.rate,
      };
      if (changed || Date.now() - run.savedAt >= SAVE_PROGRESS_MS) this.save(r, run);
    }
  }

  private save(r: DrillRecord, run?: Running): void {
    if (run) run.savedAt = Date.now();
    // A drill deleted while its simulator was still exiting stays deleted.
    if (this.drills.get(r.id) === r) this.deps.records.save(r);
  }

  private readonly settling = new Map<string, Promise<void>>();

  private settled(id: string): Promise<void> {
    return this.settling.get(id) ?? Promise.resolve();
  }

  private ended(r: DrillRecord, run: Running, code: number | null): Promise<void> {
    const work = (async () => {
      this.deps.tokens.revoke(run.token);
      this.running.delete(r.id);
      r.endedAt = Date.now();
      if (run.stopping) r.status = run.stopping;
      else if (code === 0) {
        r.status = 'finished';
        r.progress = { ...r.progress, fraction: 1, etaSec: 0 };
      } else {
        r.status = 'failed';
        r.error ??= `the simulator exited with ${code}`;
      }
      this.interim.delete(r.id);
      const space = this.deps.spaces.find(r.space);
      if (space) {
        try {
          r.summary = await this.summarise(r);
        } catch (e) {
          r.error ??= `summary failed: ${(e as Error).message}`;
        }
      }
      this.save(r);
    })();
    // Settled either way (a failure is reported by the caller's failsafe): closing the server waits for it, not on it.
    this.settling.set(
      r.id,
      work.catch(() => undefined),
    );
    return work;
  }

  private async summarise(r: DrillRecord): Promise<DrillSummary> {
    const w = r.window;
    const from = w?.start ?? 0;
    const to = w?.end ?? Number.MAX_SAFE_INTEGER;
    return summariseDrill(r.space, this.deps.store.read(r.space), this.deps.ctx, from, to);
  }
}
