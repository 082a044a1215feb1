/**
 * Drills: each runs the simulator's drill entry as a child process (`simulators/drill.ts --scenario …`) with a freshly
 * minted producer token scoped to a new `drill-*` space, so it sends through the public ingest API like any producer
 * and can never write another space. Progress comes from the child's JSON lines; at the end the drill's log is
 * summarised. A server that dies takes its simulators with it (they stop when their IPC channel closes). Records are kept in `DrillRecords` so drills are listed after a restart; a drill cut off by a stop of the
 * server is `interrupted`. The drill spaces' logs stay until deleted. The scenarios are read from their folder with the
 * shared loader (`shared/scenario.ts`): listing them starts no process.
 *
 * On a cluster the records are shared (PostgreSQL) and a drill runs once: on the node that started it, which holds
 * the drill's lease until the drill's end is written. A stop asked at another node is written in the drill's row and
 * carried out by the runner at its next pass; the asking node answers once the record says how the drill ended. Every
 * node tries, at each pass, the leases of the drills recorded as running elsewhere: one it can take has lost its
 * runner, and is marked `interrupted` (with why and when) and summarised from the log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { readProgressLine, type DrillRecord, type DrillSummary, type ScenarioInfo } from '@shared/drills';
import type { ProjectionContext } from '@shared/projection/state';
import { scenarioInfo, scenariosIn } from '@shared/scenario';
import type { DrillInfo } from '@shared/wall/view';
import type { TokenRegistry } from '../auth/tokens';
import { Failsafe } from '../failsafe';
import { logger, Outage, type Logger } from '../log';
import { PROJECT_ROOT } from '../root';
import type { SpaceRegistry } from '../spaces';
import type { EventStore } from '../store/types';
import type { DrillLease, SharedDrillRecords } from './pgRecords';
import { interrupted, isActive, type DrillRecords } from './records';
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

/** A drill request that cannot be carried out: the message says why. */
export class DrillError extends Error {
  constructor(
    readonly code: 'bad_request' | 'not_found' | 'conflict' | 'unavailable',
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
  /** Where drill records are kept: this node's own, or shared by a cluster's nodes. */
  readonly records: DrillRecords | SharedDrillRecords;
  /** Most drills running at once on this node (default 4). */
  readonly maxRunning?: number;
  /** Reports a failed progress line or kill timer instead of letting it throw into the event loop. */
  readonly failsafe?: Failsafe;
  readonly log?: Logger;
  /** On a cluster: between passes (stops asked of this node's drills, drills whose runner is gone), ms (default 1,000). */
  readonly passMs?: number;
  /** How long a stop asked at one node waits for the node running the drill to confirm it, ms (default 15,000). */
  readonly stopWaitMs?: number;
}

/** What a stop did. */
export interface StopOutcome {
  /** The drill as it is now. */
  readonly drill: DrillRecord;
  /** Whether a running simulator was stopped (false: the drill had ended, or nobody ran it any more). */
  readonly stopped: boolean;
  /** What happened, in a sentence. */
  readonly message: string;
}

/** Progress is written to the records at most this often, ms (status changes are written at once). */
const SAVE_PROGRESS_MS = 2_000;
/** A stopped simulator that has not exited after this long is killed, ms. */
const KILL_AFTER_MS = 10_000;

interface Running {
  child: ChildProcess;
  token: string;
  exited: Promise<number | null>;
  stopping: false | 'stopped' | 'interrupted';
  /** Why it was interrupted (the record's `error`). */
  reason: string | null;
  savedAt: number;
  /** The drill's lease, on a cluster. */
  lease: DrillLease | null;
}

/** Starts, lists, stops and summarises drills. */
export class DrillService {
  /** The records of the drills this node runs, until their end is written (fresher than the stored ones). */
  private readonly local = new Map<string, DrillRecord>();
  private readonly running = new Map<string, Running>();
  private scenarioList: Promise<ScenarioInfo[]> | null = null;
  private n = 0;
  private readonly failsafe: Failsafe;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private closing = false;

  constructor(private readonly deps: DrillDeps) {
    this.failsafe = deps.failsafe ?? new Failsafe();
    this.log = deps.log ?? logger;
    this.outage = new Outage(
      this.log,
      'drill records do not answer: drills are checked again when they do',
      'drill records answer again',
    );
  }

  private get shared(): SharedDrillRecords | null {
    const r = this.deps.records;
    return r.shared ? (r as SharedDrillRecords) : null;
  }

  /**
   * Shows the recorded drills on their spaces' walls again (after the spaces are rebuilt at start); on a cluster, starts
   * the passes.
   */
  async restore(): Promise<void> {
    for (const r of await this.deps.records.list()) {
      const space = this.deps.spaces.find(r.space);
      if (space && !space.drill) space.drill = this.info(r);
    }
    if (this.shared && !this.closing) {
      this.timer = setInterval(
        this.failsafe.guarded('drills.pass', () => this.tick()),
        this.deps.passMs ?? 1_000,
      );
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

  /** Every drill, newest first (on a cluster: every node's). */
  async list(): Promise<DrillRecord[]> {
    const stored = await this.deps.records.list();
    return stored.map((r) => this.local.get(r.id) ?? r).sort((a, b) => b.createdAt - a.createdAt);
  }

  /** A drill by id. */
  async get(id: string): Promise<DrillRecord | undefined> {
    return this.local.get(id) ?? (await this.deps.records.get(id));
  }

  /** Starts a drill in a new space; resolves once its simulator is started. */
  async start(req: DrillRequest): Promise<DrillRecord> {
    const scenario = (await this.scenarios()).find((s) => s.name === req.scenario);
    if (!scenario)
      throw new DrillError(
        'bad_request',
        `no scenario "${req.scenario}"; one of ${(await this.scenarios()).map((s) => s.name).join(', ')}`,
      );
    const max = this.deps.maxRunning ?? 4;
    if (this.running.size >= max)
      throw new DrillError('conflict', `${max} drills are running on this server already; stop one first`);
    // Unique across a cluster's nodes: the time and random bits, not only this node's counter.
    const id = `drill-${scenario.name.slice(0, 24)}-${Date.now().toString(36).slice(-5)}${randomBytes(2).toString('hex')}${(++this.n).toString(36)}`;
    if (this.deps.spaces.find(id)) throw new DrillError('conflict', `space ${id} exists already`);
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
    // On a cluster the lease comes first: a record that says starting is always one whose lease is held.
    let lost = false;
    const lease = this.shared ? await this.shared.hold(id, () => void this.leaseLost(id, () => (lost = true))) : null;
    if (this.shared && !lease) throw new DrillError('conflict', `drill ${id} runs on another node already`);
    try {
      if (!(await this.deps.records.create(record))) throw new DrillError('conflict', `drill ${id} exists already`);
    } catch (err) {
      await lease?.release();
      throw err;
    }
    this.local.set(id, record);
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
    // The IPC channel is how the simulator knows this process is alive: it stops when the channel closes, which the
    // system does when this process dies, however it dies.
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['pipe', 'ignore', 'pipe', 'ipc'] });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(`${grant.token}\n`);
    const exited = new Promise<number | null>((resolve) => {
      child.on('error', (e) => {
        record.error = `cannot start the simulator: ${e.message}`;
        resolve(-1);
      });
      child.on('close', (code) => resolve(code));
    });
    const run: Running = {
      child,
      token: grant.token,
      exited,
      stopping: false,
      reason: null,
      savedAt: Date.now(),
      lease,
    };
    this.running.set(id, run);
    const lines = createInterface({ input: child.stderr as NodeJS.ReadableStream });
    lines.on(
      'line',
      this.failsafe.listener('drills.progress', (line: string) => this.onLine(record, run, line)),
    );
    void exited.then(this.failsafe.listener('drills.ended', (code: number | null) => this.ended(record, run, code)));
    if (lost) void this.leaseLost(id, () => undefined);
    return record;
  }

  /**
   * Stops a drill (the simulator finishes its batch in flight) and, if asked, deletes its space's data. `why` is what
   * the record says afterwards: stopped by an operator, or interrupted by the server closing. On a cluster, a drill
   * another node runs is stopped by that node: this resolves once its record says it has ended, and rejects
   * (`unavailable`) if that takes longer than `stopWaitMs` — the stop stays asked. Null when there is no such drill.
   */
  async stop(id: string, deleteData: boolean, why: 'stopped' | 'interrupted' = 'stopped'): Promise<StopOutcome | null> {
    const run = this.running.get(id);
    let outcome: StopOutcome;
    if (run) {
      await this.stopHere(id, run, why, why === 'interrupted' ? 'the server running it was stopped' : null);
      const drill = await this.get(id);
      // Only a space a drill created is stopped or deleted here: a drill-named space with no drill record is not a drill's.
      if (!drill) return null;
      outcome = {
        drill,
        stopped: drill.status === why,
        message:
          drill.status === why
            ? `drill ${id} was ${why} by this server, which ran it`
            : `drill ${id} ended as ${drill.status} before this server could stop it${drill.error ? `: ${drill.error}` : ''}`,
      };
    } else {
      await this.settled(id);
      const found = await this.get(id);
      if (!found) return null;
      outcome = isActive(found.status)
        ? await this.stopElsewhere(found)
        : { drill: found, stopped: false, message: `drill ${id} had ended already (${found.status})` };
    }
    if (deleteData) {
      await this.deps.spaces.delete(id);
      this.local.delete(id);
      await this.deps.records.delete(id);
    }
    return outcome;
  }

  /**
   * Deletes a drill space no drill created (fed by a simulator or an import with a producer token): `deleted`, or why
   * not — the space belongs to a drill (deleted with it, `stop`), or there is no such space on this server.
   */
  async deleteUnrecorded(space: string): Promise<'deleted' | 'drill' | 'unknown'> {
    if (await this.get(space)) return 'drill';
    if (!this.deps.spaces.find(space)) return 'unknown';
    await this.deps.spaces.delete(space);
    return 'deleted';
  }

  /** The drill's summary: the final one once it has ended, otherwise computed up to where it is (once per change). */
  async summary(id: string): Promise<DrillSummary | null> {
    const record = await this.get(id);
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
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    await this.passing;
    await Promise.all([...this.running.keys()].map((id) => this.stop(id, false, 'interrupted')));
    // Drills that ended on their own may still be writing their summary.
    await Promise.all(this.settling.values());
    await this.deps.records.close();
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

  /** Stops a simulator this node runs and waits until its end is written. */
  private async stopHere(id: string, run: Running, why: 'stopped' | 'interrupted', reason: string | null) {
    if (!run.stopping) {
      run.stopping = why;
      run.reason = reason;
      run.child.kill('SIGINT');
    }
    const killer = setTimeout(
      this.failsafe.guarded('drills.kill', () => run.child.kill('SIGKILL')),
      KILL_AFTER_MS,
    );
    await run.exited;
    clearTimeout(killer);
    await this.settled(id);
  }

  /** A stop of a drill recorded as running that this node does not run: its runner stops it, or nobody runs it. */
  private async stopElsewhere(found: DrillRecord): Promise<StopOutcome> {
    const shared = this.shared;
    const id = found.id;
    if (!shared) {
      // A single node: only a record this node failed to write as ended can say so; it is not running.
      return { drill: found, stopped: false, message: `drill ${id} was not running on this server` };
    }
    const orphan = await this.endIfUnattended(id);
    if (orphan)
      return {
        drill: orphan,
        stopped: false,
        message: `drill ${id} was not running any more: the node that ran it is gone, so it is now marked interrupted`,
      };
    if (!(await shared.askToStop(id))) {
      const now = await this.get(id);
      if (!now) throw new DrillError('not_found', `drill ${id} was deleted meanwhile`);
      return { drill: now, stopped: false, message: `drill ${id} had ended already (${now.status})` };
    }
    const waitMs = this.deps.stopWaitMs ?? 15_000;
    const end = Date.now() + waitMs;
    for (;;) {
      const now = await this.get(id);
      if (!now) throw new DrillError('not_found', `drill ${id} was deleted meanwhile`);
      if (!isActive(now.status))
        return {
          drill: now,
          stopped: now.status === 'stopped',
          message:
            now.status === 'stopped'
              ? `drill ${id} was stopped by the node that ran it`
              : `drill ${id} ended as ${now.status} before its node could stop it${now.error ? `: ${now.error}` : ''}`,
        };
      if (Date.now() > end)
        throw new DrillError(
          'unavailable',
          `the node running drill ${id} did not confirm the stop within ${waitMs / 1000} s; the stop stays asked and is carried out at that node's next pass (nothing was deleted)`,
        );
      // A runner lost while this waits is found here too.
      if (await this.endIfUnattended(id)) continue;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Marks a drill recorded as running `interrupted` if nobody holds its lease (its runner is gone), with why and when,
   * and summarises what its log holds. Resolves with the record written, or null (its runner is there, or it ended).
   */
  private async endIfUnattended(id: string): Promise<DrillRecord | null> {
    const shared = this.shared;
    if (!shared || this.running.has(id) || this.local.has(id)) return null;
    const ended = await shared.endIfUnattended(id, async (r) => {
      const at = Date.now();
      const out = interrupted(
        r,
        at,
        `the node running it was lost (it stopped, or lost the database): its lease was found free at ${new Date(at).toISOString()}`,
      );
      try {
        out.summary = await this.summarise(out);
      } catch (e) {
        out.error = `${out.error ?? ''}; summary failed: ${(e as Error).message}`;
      }
      return out;
    });
    if (ended) {
      this.interim.delete(id);
      this.log.warn(
        { drill: id, events: ended.progress.events },
        `drill ${id} lost the node running it: marked interrupted`,
      );
    }
    return ended;
  }

  /** The drill's lease was lost while this node ran it: the simulator stops at once (another node marks it interrupted). */
  private async leaseLost(id: string, early: () => void): Promise<void> {
    const run = this.running.get(id);
    if (!run) return early();
    if (run.stopping) return;
    run.stopping = 'interrupted';
    run.reason = `this node lost its connection to the database (the drill's lease) at ${new Date().toISOString()}`;
    run.child.kill('SIGKILL');
    await run.exited;
  }

  private passing: Promise<void> = Promise.resolve();
  private inPass = false;
  private readonly outage: Outage;

  /** One pass on a cluster, unless one still runs; a database that does not answer is logged once per outage. */
  private async tick(): Promise<void> {
    if (this.inPass || this.closing) return;
    this.inPass = true;
    this.passing = this.pass()
      .then(() => this.outage.ok())
      .catch((err: unknown) => this.outage.failed(err))
      .finally(() => {
        this.inPass = false;
      });
    await this.passing;
  }

  /** Carries out the stops asked of this node's drills, ends the drills nobody runs, shows followed drill spaces as drills. */
  private async pass(): Promise<void> {
    const shared = this.shared!;
    // A lease whose connection does not answer is let go here (and the simulator killed), before the database, which
    // only drops a vanished peer's connection after its keepalives fail, frees it for another node to mark the drill.
    await Promise.all([...this.running.values()].map((run) => (run.stopping ? true : run.lease?.check())));
    const mine = [...this.running].filter(([, run]) => !run.stopping).map(([id]) => id);
    for (const id of await shared.stopsAsked(mine)) {
      const run = this.running.get(id);
      if (!run || run.stopping) continue;
      this.log.info({ drill: id }, `drill ${id}: stopping it, as asked at another node`);
      void this.stopHere(id, run, 'stopped', null).catch((err: unknown) =>
        this.log.error({ err, drill: id }, 'a drill asked to stop did not stop cleanly'),
      );
    }
    for (const id of await shared.active()) {
      if (this.closing) return;
      await this.endIfUnattended(id);
    }
    for (const space of this.deps.spaces.all()) {
      if (space.kind !== 'drill' || space.drill) continue;
      const r = await this.deps.records.get(space.name);
      if (r) space.drill = this.info(r);
    }
  }

  private onLine(r: DrillRecord, run: Running, text: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      // Not JSON: the simulator's own error message (it writes `error: …` before it exits).
      if (text.trim()) {
        r.error = text.replace(/^error:\s*/, '').slice(0, 500);
        void this.save(r, run);
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
      void this.save(r, run);
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
      if (changed || Date.now() - run.savedAt >= SAVE_PROGRESS_MS) void this.save(r, run);
    }
  }

  /** Writes of each drill's record, one after the other (a progress write never lands after the end's). */
  private readonly writes = new Map<string, Promise<void>>();

  /** Writes the record as it is now, after the drill's earlier writes; a failure is logged (the next write tries again). */
  private save(r: DrillRecord, run?: Running): Promise<void> {
    if (run) run.savedAt = Date.now();
    const copy = structuredClone(r);
    const prev = this.writes.get(r.id) ?? Promise.resolve();
    const next = prev.then(() =>
      this.deps.records.save(copy).catch((err: unknown) => {
        this.log.warn({ err, drill: r.id, status: r.status }, `could not write the record of drill ${r.id}`);
      }),
    );
    this.writes.set(r.id, next);
    void next.then(() => {
      if (this.writes.get(r.id) === next) this.writes.delete(r.id);
    });
    return next;
  }

  private readonly settling = new Map<string, Promise<void>>();

  private settled(id: string): Promise<void> {
    return this.settling.get(id) ?? Promise.resolve();
  }

  private ended(r: DrillRecord, run: Running, code: number | null): Promise<void> {
    const work = (async () => {
      this.deps.tokens.revoke(run.token);
      this.running.delete(r.id);
      try {
        // The end is made on a copy and shown whole: nobody reads a drill ended but without its summary.
        const end: DrillRecord = { ...r, endedAt: Date.now() };
        if (run.stopping) {
          end.status = run.stopping;
          if (run.stopping === 'interrupted') end.error ??= run.reason;
        } else if (code === 0) {
          end.status = 'finished';
          end.progress = { ...end.progress, fraction: 1, etaSec: 0 };
        } else {
          end.status = 'failed';
          end.error ??= `the simulator exited with ${code}`;
        }
        const space = this.deps.spaces.find(r.space);
        if (space) {
          try {
            end.summary = await this.summarise(end);
          } catch (e) {
            end.error ??= `summary failed: ${(e as Error).message}`;
          }
        }
        Object.assign(r, end);
        this.interim.delete(r.id);
        await this.save(r);
      } finally {
        // The end is written (or could not be): the lease goes, and a node that finds the record still running marks it.
        await run.lease?.release();
        if (this.local.get(r.id) === r) this.local.delete(r.id);
        this.settling.delete(r.id);
      }
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
