/**
 * `npm run sim -- <command>`: list scenarios, generate days of events (same seed → byte-identical file), feed a space
 * from the simulator, replay JSONL / Open311 / CSV files into a space, export a space's log.
 */
import { createWriteStream, readFileSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { CHANNELS, type Channel } from '@shared/domain';
import type { DomainEventInput } from '@shared/events';
import { DAY_MS, HOUR_MS, shanghaiDateKey, shanghaiMidnight } from '@shared/time';
import { DistrictSim } from './day';
import { duration } from './progress';
import type { ReplayProgress } from './replay';
import { parse, required, scenarioOf, speedOf, target, UsageError, wholeNumber } from './args';
import { replayWithProgress } from './terminal';
import { placeEffects, scenarioInfo, type Scenario } from '@shared/scenario';
import { feedSpace, firstLine } from './feed';
import { shippedScenarios } from './scenario';
import { csvRecords, parseCsvMapping } from './sources/csv';
import { JsonlReader, lastEventTs } from './sources/jsonl';
import { importConfig } from './sources/config';
import { describeRenamed } from './sources/caseIds';
import { OPEN311_DEFAULT_ZONE, open311Records } from './sources/open311';
import { describeRecordError, recordsToEvents } from './sources/records';
import { describeTimes, fallbacks, formatReport } from './sources/report';
import { describeSameId, isConflict } from './sources/sameId';
import { isIanaZone } from '@shared/zone';

const USAGE = `Usage: npm run sim -- <command> [options]

Commands:
  scenarios  list the drill scenarios with one-line descriptions
  generate   write days of simulated events (a scenario or a normal day) to a JSONL file or a server
  run        feed a space of a running server from the simulator (backlog, then live at a speed)
  replay     replay a JSONL event log, an Open311 GeoReport v2 requests file or a CSV export into a space
  export     download a space's event log as JSONL

Run "npm run sim -- <command> --help" for a command's options.`;

const SCENARIOS_USAGE = `Usage: npm run sim -- scenarios [--json]

  --json               machine-readable: name, title, description, date and drill window of each
  -h, --help           this help`;

const SERVER_OPTS = `  --server URL         server base URL, e.g. http://127.0.0.1:8080; on a cluster several, comma-separated
                       (run moves to the next node when one is lost)
  --token TOKEN        a producer (or admin) token for the space
  --space SPACE        demo or drill-<name> (live is refused)`;

const KEYS = `While it runs: p or space pauses and resumes, q or Ctrl-C stops cleanly (everything acknowledged stays).`;

const RUN_USAGE = `Usage: npm run sim -- run --server URL --token TOKEN --space SPACE [options]

${SERVER_OPTS}
  --scenario NAME|FILE a scenario: its day up to the drill start at once, then its drill window at --speed, then stop
  --seed N             random seed (default 1)
  --speed X|max        simulated seconds per wall second (default 1; "max" = as fast as acked)
  --backlog-days D     whole days of backlog before today, without --scenario (default 1)
  --batch-size N       events per batch, 1–10000 (default 5000)
  --json-progress      progress as JSON lines on stderr (for programs)
  --token-stdin        read the token from the first line of stdin instead of --token (keeps it off the command line)
  -h, --help           this help

${KEYS}`;

const GENERATE_USAGE = `Usage: npm run sim -- generate (--scenario NAME | --from YYYY-MM-DD) (--out FILE.jsonl | --server URL ...) [options]

  --scenario NAME|FILE a scenario (its effects, and its date unless --from is given); default a normal district
  --seed N             random seed (default 1); the same seed gives a byte-identical file
  --from YYYY-MM-DD    first day, Asia/Shanghai (default: the scenario's date)
  --days D             number of days (default 1)
  --out FILE           output file, one event per line
  --server, --token, --space   instead of --out: send the events to a server at max speed
  -h, --help           this help`;

const REPLAY_USAGE = `Usage: npm run sim -- replay FILE --server URL --token TOKEN --space SPACE [options]

  FILE                 .jsonl event log, .json Open311 GeoReport v2 requests, or .csv with --mapping
${SERVER_OPTS}
  --speed X|max        event-time seconds per wall second: 1, 10, 60, … or max (default max)
  --format F           jsonl, open311 or csv (default: from the file's extension)
  --mapping FILE       CSV column mapping (JSON; see simulators/sources/csv.ts); time.zone is an IANA name
  --channel C          channel of Open311 / CSV requests without one (default hotline)
  --zone ZONE          Open311: the IANA zone of datetimes without an offset (default ${OPEN311_DEFAULT_ZONE}, the
                       centre's); a CSV's zone is its mapping's time.zone
  --batch-size N       events per batch, 1–10000 (default 2000)
  --json-progress      progress as JSON lines on stderr
  -h, --help           this help

Open311 and CSV imports (a mapping report is printed before anything is sent):
  --config FILE        the configuration (categories, streets, units) to map onto; default CITYOPS_CONFIG, else
                       the server's own (asked with --server and --token), else the built-in defaults
  --dry-run            print the mapping report and the unreadable rows; send nothing (no --server needed)
  --strict             refuse to send if any category, street, unit or channel would fall back, any id be
                       imported under a short form, or any value not be kept as given (a text cut to its
                       field, a unit name shortened, a coordinate left out: each is listed either way)
  --max-skipped N      rows that may be unreadable and skipped (default 0); more and nothing is sent
  --keep-first         when rows share an id but differ, import the first and leave the others out (listed);
                       without it such a file sends nothing. Exact repeats are always left out (listed)

Exit codes: 0 sent and accepted; 1 rows unreadable beyond --max-skipped, rows of one id that differ (without
--keep-first), events rejected or quarantined, or the server refused; 2 a bad command line, mapping or config;
3 refused by --strict.

${KEYS}`;

const EXPORT_USAGE = `Usage: npm run sim -- export --server URL --token TOKEN --space SPACE --out FILE.jsonl

  --server URL         server base URL
  --token TOKEN        an admin token
  --space SPACE        any space: live, demo or drill-<name>
  --out FILE           where to write the log, one event per line
  -h, --help           this help`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  switch (command) {
    case 'scenarios':
      return scenarios(rest);
    case 'run':
      return run(rest);
    case 'generate':
      return generate(rest);
    case 'replay':
      return replay(rest);
    case 'export':
      return exportLog(rest);
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

function scenarios(args: string[]): number {
  const { values: v } = parse(args, { json: { type: 'boolean' } }, SCENARIOS_USAGE);
  if (v.help) {
    console.log(SCENARIOS_USAGE);
    return 0;
  }
  const all = shippedScenarios();
  if (v.json) {
    console.log(JSON.stringify(all.map(scenarioInfo)));
    return 0;
  }
  const w = Math.max(...all.map((s) => s.name.length));
  for (const s of all) console.log(`${s.name.padEnd(w)}  ${s.title} — ${s.description}`);
  console.log(
    '\nA scenario is a JSON file (schema: simulators/scenarios/scenario.schema.json); pass a path to use your own.',
  );
  return 0;
}

async function run(args: string[]): Promise<number> {
  const { values: v } = parse(
    args,
    {
      server: { type: 'string' },
      token: { type: 'string' },
      space: { type: 'string' },
      seed: { type: 'string' },
      scenario: { type: 'string' },
      speed: { type: 'string' },
      'backlog-days': { type: 'string' },
      'batch-size': { type: 'string' },
      'json-progress': { type: 'boolean' },
      'token-stdin': { type: 'boolean' },
    },
    RUN_USAGE,
  );
  if (v.help) {
    console.log(RUN_USAGE);
    return 0;
  }
  if (v['token-stdin'] === true) v.token = await firstLine(process.stdin);
  const { servers, token, space } = target(v, RUN_USAGE);
  const speed = speedOf(v.speed, '1');
  const seed = wholeNumber(v.seed, 'seed', 1, 0, 2 ** 31);
  const backlogDays = wholeNumber(v['backlog-days'], 'backlog-days', 1, 0, 60);
  const batchSize = wholeNumber(v['batch-size'], 'batch-size', 5000, 1, 10_000);
  const json = v['json-progress'] === true;
  const elapsedSec = await feedSpace({
    servers,
    token,
    space,
    seed,
    speed,
    backlogDays,
    batchSize,
    scenario: scenarioOf(v.scenario),
    json,
  });
  if (!json) console.log(`done in ${duration(elapsedSec)}`);
  return 0;
}

/** The events of whole days from a seed (and a scenario's effects), an hour at a time. */
function* simulatedDays(
  seed: number,
  start: number,
  days: number,
  scenario: Scenario | null,
  from: string,
): Generator<DomainEventInput[]> {
  const end = start + days * DAY_MS - 1;
  const sim = new DistrictSim({
    seed,
    start,
    ...(scenario
      ? {
          effects: placeEffects(scenario, from),
          ...(scenario.casesPerDay ? { casesPerDay: scenario.casesPerDay } : {}),
        }
      : {}),
  });
  for (let t = start; t < end;) {
    t = Math.min(end, t + HOUR_MS);
    const chunk = sim.advanceTo(t);
    if (chunk.length > 0) yield chunk;
  }
}

async function generate(args: string[]): Promise<number> {
  const { values: v } = parse(
    args,
    {
      seed: { type: 'string' },
      from: { type: 'string' },
      days: { type: 'string' },
      out: { type: 'string' },
      scenario: { type: 'string' },
      server: { type: 'string' },
      token: { type: 'string' },
      space: { type: 'string' },
    },
    GENERATE_USAGE,
  );
  if (v.help) {
    console.log(GENERATE_USAGE);
    return 0;
  }
  const scenario = scenarioOf(v.scenario);
  const from = typeof v.from === 'string' ? v.from : scenario?.date;
  if (from === undefined) throw new UsageError(`--from or --scenario is required\n\n${GENERATE_USAGE}`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || shanghaiDateKey(shanghaiMidnight(from)) !== from)
    throw new UsageError(`--from must be a date YYYY-MM-DD, got "${from}"`);
  const seed = wholeNumber(v.seed, 'seed', 1, 0, 2 ** 31);
  const days = wholeNumber(v.days, 'days', 1, 1, 3660);
  const start = shanghaiMidnight(from);
  const began = performance.now();
  if (typeof v.out !== 'string') {
    if (v.server === undefined) throw new UsageError(`--out FILE or --server URL is required\n\n${GENERATE_USAGE}`);
    const t = target(v, GENERATE_USAGE);
    const events = (function* () {
      for (const chunk of simulatedDays(seed, start, days, scenario, from)) yield* chunk;
    })();
    const r = await replayWithProgress({
      ...t,
      speed: Number.POSITIVE_INFINITY,
      events,
      json: false,
      batchSize: 5000,
      total: (p) => {
        const fraction = p.simTime === null ? null : Math.min(1, (p.simTime - start) / (days * DAY_MS));
        const elapsed = (performance.now() - began) / 1000;
        return { fraction, etaSec: fraction ? (elapsed / fraction) * (1 - fraction) : null };
      },
    });
    console.log(
      `sent ${r.sent} events (${r.accepted} accepted, ${r.duplicate} duplicate) to ${t.space} in ${((performance.now() - began) / 1000).toFixed(2)} s`,
    );
    return r.rejected + r.quarantined > 0 ? 1 : 0;
  }
  const out = v.out;
  const file = createWriteStream(out, { encoding: 'utf8' });
  let count = 0;
  for (const chunk of simulatedDays(seed, start, days, scenario, from)) {
    count += chunk.length;
    if (!file.write(chunk.map((e) => JSON.stringify(e)).join('\n') + '\n')) await once(file, 'drain');
  }
  file.end();
  await once(file, 'finish');
  const secs = (performance.now() - began) / 1000;
  console.log(
    `wrote ${count} events (${days} day(s) from ${from}${scenario ? `, scenario ${scenario.name}` : ''}, seed ${seed}) to ${out} in ${secs.toFixed(2)} s`,
  );
  return 0;
}

async function replay(args: string[]): Promise<number> {
  const { values: v, positionals } = parse(
    args,
    {
      server: { type: 'string' },
      token: { type: 'string' },
      space: { type: 'string' },
      speed: { type: 'string' },
      format: { type: 'string' },
      mapping: { type: 'string' },
      channel: { type: 'string' },
      'batch-size': { type: 'string' },
      'json-progress': { type: 'boolean' },
      config: { type: 'string' },
      'dry-run': { type: 'boolean' },
      strict: { type: 'boolean' },
      'max-skipped': { type: 'string' },
      'keep-first': { type: 'boolean' },
      zone: { type: 'string' },
    },
    REPLAY_USAGE,
    true,
  );
  if (v.help) {
    console.log(REPLAY_USAGE);
    return 0;
  }
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError(`give exactly one FILE to replay\n\n${REPLAY_USAGE}`);
  const dryRun = v['dry-run'] === true;
  const t = dryRun ? null : target(v, REPLAY_USAGE);
  const maxSkipped = wholeNumber(v['max-skipped'], 'max-skipped', 0, 0, 1e9);
  const speed = speedOf(v.speed, 'max');
  const batchSize = wholeNumber(v['batch-size'], 'batch-size', 2000, 1, 10_000);
  const format =
    typeof v.format === 'string'
      ? v.format
      : file.endsWith('.csv')
        ? 'csv'
        : /\.(jsonl|ndjson)$/.test(file)
          ? 'jsonl'
          : file.endsWith('.json')
            ? 'open311'
            : '';
  const channel = typeof v.channel === 'string' ? v.channel : 'hotline';
  if (!(CHANNELS as readonly string[]).includes(channel))
    throw new UsageError(`--channel must be one of ${CHANNELS.join(', ')}, got "${channel}"`);
  const zone = typeof v.zone === 'string' ? v.zone : undefined;
  if (zone !== undefined && format !== 'open311')
    throw new UsageError(`--zone is for Open311 files; a CSV's zone is its mapping's time.zone`);
  if (zone !== undefined && !isIanaZone(zone))
    throw new UsageError(
      `--zone must be an IANA time zone name such as Asia/Shanghai or America/Chicago, got "${zone}" (a fixed offset cannot follow daylight saving)`,
    );
  const began = performance.now();
  let events: AsyncIterable<DomainEventInput> | DomainEventInput[];
  let total: (p: ReplayProgress) => { fraction: number | null; etaSec: number | null };
  if (format === 'jsonl') {
    let size: number;
    try {
      size = statSync(file).size;
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
    }
    const reader = new JsonlReader(file);
    const last = lastEventTs(file);
    const started = Date.now();
    events = reader;
    total = (p) => {
      const fraction = size > 0 ? Math.min(1, reader.bytesRead / size) : null;
      if (Number.isFinite(speed))
        return { fraction, etaSec: last !== null && p.simTime !== null ? (last - p.simTime) / speed / 1000 : null };
      const elapsed = (Date.now() - started) / 1000;
      return { fraction, etaSec: fraction ? (elapsed / fraction) * (1 - fraction) : null };
    };
  } else if (format === 'open311' || format === 'csv') {
    let cfg;
    const ask = typeof v.server === 'string' && typeof v.token === 'string' ? { url: v.server, token: v.token } : null;
    try {
      cfg = await importConfig(typeof v.config === 'string' ? v.config : undefined, ask);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    let parsed;
    let idColumn = 'service_request_id';
    if (format === 'open311') {
      parsed = open311Records(readJson(file, 'the Open311 file'), {
        channel: channel as Channel,
        config: cfg.config,
        ...(zone !== undefined ? { zone } : {}),
      });
    } else {
      if (typeof v.mapping !== 'string') throw new UsageError(`a CSV file needs --mapping FILE\n\n${REPLAY_USAGE}`);
      let mapping;
      try {
        mapping = parseCsvMapping(readJson(v.mapping, 'the mapping'), v.mapping);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      idColumn = mapping.columns.id ?? 'id';
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
      }
      try {
        parsed = csvRecords(
          text,
          {
            ...mapping,
            defaults: {
              ...mapping.defaults,
              ...(typeof v.channel === 'string' ? { channel: channel as Channel } : {}),
            },
          },
          cfg.config,
        );
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    }
    const noun = format === 'csv' ? 'row' : 'request';
    for (const e of parsed.errors.slice(0, 20)) console.error(`skipped ${describeRecordError(e, noun)}`);
    if (parsed.errors.length > 20) console.error(`… and ${parsed.errors.length - 20} more ${noun}s skipped`);
    for (const e of parsed.warnings.slice(0, 20)) console.error(`warning: ${describeRecordError(e, noun)}`);
    if (parsed.warnings.length > 20) console.error(`… and ${parsed.warnings.length - 20} more warnings`);
    // Every change is named (as every renamed id is): what the case will hold is never a surprise.
    for (const e of parsed.altered) console.error(`not kept as given: ${describeRecordError(e, noun)}`);
    // Every id imported under a short form is named: the list is how a case is found from the source's id.
    for (const r of parsed.renamed) console.error(describeRenamed(r, noun, idColumn));
    // Every conflict is named; exact repeats (harmless) up to 20.
    const keepFirst = v['keep-first'] === true;
    const conflicts = parsed.sameId.filter(isConflict);
    const repeats = parsed.sameId.filter((r) => !isConflict(r));
    for (const r of conflicts) console.error(describeSameId(r, noun, idColumn, keepFirst));
    for (const r of repeats.slice(0, 20)) console.error(describeSameId(r, noun, idColumn, keepFirst));
    if (repeats.length > 20) console.error(`… and ${repeats.length - 20} more exact repeats left out`);
    const sameIdNote =
      parsed.sameId.length === 0
        ? ''
        : `, ${parsed.sameId.length} with the id of an earlier ${noun} left out (${repeats.length} exact repeat(s), ${conflicts.length} conflicting)`;
    const warned = parsed.warnings.length === 0 ? '' : `, ${parsed.warnings.length} with a warning`;
    const renamed =
      parsed.renamed.length === 0 ? '' : `, ${parsed.renamed.length} id(s) imported under a short form (listed)`;
    const alteredNote =
      parsed.altered.length === 0 ? '' : `, ${parsed.altered.length} value(s) not kept as given (listed)`;
    console.log(
      formatReport(
        parsed.report,
        `Mapping report: ${parsed.report.rows} ${noun}(s) read, ${parsed.errors.length} skipped${warned}${sameIdNote}${renamed}${alteredNote}; mapped onto ${cfg.source}`,
      ),
    );
    console.log(describeTimes(parsed.times));
    const fb = fallbacks(parsed.report);
    if (v.strict === true && (fb.length > 0 || parsed.renamed.length > 0 || parsed.altered.length > 0)) {
      if (fb.length > 0)
        console.error(
          `refused (--strict): ${fb.length} value(s) in ${fb.reduce((s, e) => s + e.rows, 0)} ${noun}(s) would fall back; add them to the mapping's values or the configuration. Nothing was sent.`,
        );
      if (parsed.renamed.length > 0)
        console.error(
          `refused (--strict): ${parsed.renamed.length} id(s) cannot be kept as given and would be imported under a short form (listed above). Nothing was sent.`,
        );
      if (parsed.altered.length > 0)
        console.error(
          `refused (--strict): ${parsed.altered.length} value(s) cannot be kept as given (cut, shortened or left out: listed above). Nothing was sent.`,
        );
      return 3;
    }
    const refused = [
      ...(parsed.records.length === 0
        ? [`no ${noun} could be read`]
        : parsed.errors.length > maxSkipped
          ? [`${parsed.errors.length} ${noun}(s) could not be read (allowed: --max-skipped ${maxSkipped})`]
          : []),
      ...(conflicts.length > 0 && !keepFirst
        ? [
            `${conflicts.length} ${noun}(s) have the id of an earlier ${noun} and other content (listed above): correct the file, or give --keep-first to import the first ${noun} of each id and leave the others out`,
          ]
        : []),
    ];
    if (refused.length > 0) {
      for (const r of refused) console.error(`${r}; nothing was sent`);
      return 1;
    }
    // Built before a dry run too: ids that would collide stop it as they would stop the import.
    const list = recordsToEvents(parsed.records, format);
    if (dryRun) {
      console.log(`dry run: ${parsed.records.length} ${noun}(s) would be sent; nothing was sent`);
      return 0;
    }
    console.error(`${parsed.records.length} requests → ${list.length} events`);
    events = list;
    const t1 = list[list.length - 1]?.ts ?? 0;
    const started = Date.now();
    total = (p) => {
      const fraction = list.length ? p.sent / list.length : null;
      if (Number.isFinite(speed))
        return { fraction, etaSec: p.simTime === null ? null : (t1 - p.simTime) / speed / 1000 };
      const elapsed = (Date.now() - started) / 1000;
      return { fraction, etaSec: fraction ? (elapsed / fraction) * (1 - fraction) : null };
    };
  } else throw new UsageError(`--format must be jsonl, open311 or csv (cannot tell from "${file}")`);
  if (t === null)
    throw new UsageError('--dry-run reports how an Open311 or CSV file maps; a JSONL event log has nothing to map');
  const r = await replayWithProgress({ ...t, speed, events, json: v['json-progress'] === true, total, batchSize });
  const secs = (performance.now() - began) / 1000;
  console.log(
    `replayed ${r.sent.toLocaleString('en-US')} events into ${t.space} in ${secs.toFixed(2)} s (${Math.round(r.sent / secs).toLocaleString('en-US')} events/s): ${r.accepted} accepted, ${r.duplicate} duplicate, ${r.rejected} rejected, ${r.quarantined} quarantined`,
  );
  for (const p of r.problems) console.log(`  ${p}`);
  const unlisted = r.rejected + r.quarantined - r.problems.length;
  if (unlisted > 0)
    console.log(
      `  … and ${unlisted} more rejected or quarantined not listed here (the quarantined, with their reasons: GET /api/v1/quarantine?space=${t.space})`,
    );
  return r.rejected + r.quarantined > 0 ? 1 : 0;
}

/** A JSON file's content; a missing or malformed file is a usage error naming it. */
function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${what} ${file}: ${(err as Error).message}`);
  }
}

async function exportLog(args: string[]): Promise<number> {
  const { values: v } = parse(
    args,
    { server: { type: 'string' }, token: { type: 'string' }, space: { type: 'string' }, out: { type: 'string' } },
    EXPORT_USAGE,
  );
  if (v.help) {
    console.log(EXPORT_USAGE);
    return 0;
  }
  const server = required(v.server, 'server', EXPORT_USAGE).replace(/\/+$/, '');
  const token = required(v.token, 'token', EXPORT_USAGE);
  const space = required(v.space, 'space', EXPORT_USAGE);
  const out = required(v.out, 'out', EXPORT_USAGE);
  const res = await fetch(`${server}/api/v1/spaces/${encodeURIComponent(space)}/export.jsonl`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!res.ok || !res.body) throw new Error(`export refused: HTTP ${res.status} ${await res.text()}`);
  const file = createWriteStream(out);
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    if (!file.write(chunk)) await once(file, 'drain');
  }
  file.end();
  await once(file, 'finish');
  console.log(
    `exported ${space} (${res.headers.get('x-event-count') ?? '?'} events, ${bytes.toLocaleString('en-US')} bytes) to ${out}`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(
      err instanceof UsageError ? `error: ${err.message}` : `error: ${(err as Error).message ?? String(err)}`,
    );
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
