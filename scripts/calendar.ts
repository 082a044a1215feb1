/**
 * `npm run calendar -- [--year 2027] [--config file] [--today YYYY-MM-DD] [--check]`: prints the working calendar's
 * coverage (the last day whose statutory holidays are known, days left, the first uncovered day, the warning) and the
 * days off and make-up working days it knows for a year — from the packaged dataset and the config (`--config`, else
 * CITYOPS_CONFIG, else the defaults). Exit codes: 0 done; 1 bad config; 2 bad arguments; 3 `--check` and the warning
 * is on (for a cron job or a deployment check).
 */
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG, type CityopsConfig } from '@shared/config';
import { parseWorkingHours } from '@shared/sla/calendar';
import { calendarCoverage, slaHorizonDays, type CalendarCoverage } from '@shared/sla/coverage';
import { datasetYears, lastCoveredDayOf, yearListing, type KnownDay, type YearListing } from '@shared/sla/holidays';
import { isDateKey, weekdayOf } from '@shared/sla/schedule';
import { shanghaiInstant } from '@shared/time';
import { loadConfig } from '../server/env';

const USAGE = `usage: npm run calendar -- [--year YYYY] [--config file.json] [--today YYYY-MM-DD] [--check]
  --year    the year whose days off and make-up working days to list (default: this year)
  --config  the config file (default: CITYOPS_CONFIG, else the built-in defaults)
  --today   judge coverage on this day instead of today (Asia/Shanghai)
  --check   exit 3 when a deadline set today could fall past the calendar's coverage`;

const WEEKDAY = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];
const SOURCE: Readonly<Record<KnownDay['source'], string>> = {
  dataset: 'dataset',
  config_year: 'config year',
  config_override: 'config override',
};

/** A command-line mistake: printed with the usage, exit code 2. */
class UsageError extends Error {}

function options(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        year: { type: 'string' },
        config: { type: 'string' },
        today: { type: 'string' },
        check: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.year !== undefined && (!/^\d{4}$/.test(v.year) || Number(v.year) < 2000 || Number(v.year) > 2199))
    throw new UsageError(`--year must be a year 2000–2199, got "${v.year}"`);
  if (v.today !== undefined && !isDateKey(v.today))
    throw new UsageError(`--today must be a date YYYY-MM-DD, got "${v.today}"`);
  return {
    help: v.help === true,
    year: v.year === undefined ? null : Number(v.year),
    config: v.config ?? process.env.CITYOPS_CONFIG ?? null,
    today: v.today ?? null,
    check: v.check === true,
  };
}

function coverageLines(c: CalendarCoverage, config: CityopsConfig, source: string): string[] {
  const d = datasetYears();
  const years = Object.keys(config.holidays.years).sort();
  const left = c.daysLeft >= 0 ? `${c.daysLeft} days left` : `${-c.daysLeft} days past it`;
  return [
    `Working calendar 工作日历 (config: ${source})`,
    `  dataset     chinese-days, ${d.firstYear}–${d.lastYear}`,
    `  config      ${years.length ? `holidays.years ${years.join(', ')}` : 'no year entered (holidays.years)'}; ${config.holidays.holidays.length} extra day(s) off, ${config.holidays.workdays.length} extra working day(s)`,
    `  covered     through ${c.lastCoveredDay}: ${left} on ${c.today}; first uncovered day ${c.firstUncoveredDay}`,
    `  horizon     ${c.horizonDays} days (the longest SLA limit at worst): a deadline set on ${c.today} falls by ${c.horizonEnd}`,
    c.warning ? `  WARNING     ${c.warning}` : '  ok          every deadline set today falls within the covered days',
  ];
}

function dayLine(d: KnownDay): string {
  return `    ${d.date} ${WEEKDAY[weekdayOf(d.date)] ?? ''}  ${d.name ?? ''}${d.source === 'dataset' ? '' : `${d.name ? ' ' : ''}(${SOURCE[d.source]})`}`;
}

function yearLines(y: YearListing): string[] {
  if (!y.covered) {
    const extra = [...y.holidays, ...y.workdays].length;
    return [
      `${y.year}: NOT COVERED — no official schedule is known for ${y.year}: its statutory holidays count as working days${extra ? ` (only ${extra} single config day(s) below)` : ''}.`,
      `  Enter the State Council's ${y.year} 放假调休 schedule under holidays.years."${y.year}" in the config (README "Working calendar").`,
      ...(y.holidays.length ? ['  days off', ...y.holidays.map(dayLine)] : []),
      ...(y.workdays.length ? ['  make-up working days 调休上班', ...y.workdays.map(dayLine)] : []),
    ];
  }
  return [
    `${y.year}: covered by the ${y.source === 'dataset' ? 'dataset (chinese-days)' : `config (holidays.years."${y.year}")`} — ${y.holidays.length} statutory day(s) off, ${y.workdays.length} make-up working day(s)`,
    '  days off 放假',
    ...y.holidays.map(dayLine),
    '  make-up working days 调休上班',
    ...(y.workdays.length ? y.workdays.map(dayLine) : ['    (none)']),
  ];
}

function main(argv: string[]): number {
  let opts;
  try {
    opts = options(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`calendar: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  let config: CityopsConfig;
  try {
    config = opts.config ? loadConfig(opts.config) : DEFAULT_CONFIG;
  } catch (err) {
    console.error(`calendar: the config is not valid — ${(err as Error).message}`);
    return 1;
  }
  const now = opts.today ? shanghaiInstant(opts.today, '12:00') : Date.now();
  const c = calendarCoverage(
    lastCoveredDayOf(config.holidays),
    slaHorizonDays(config.sla, parseWorkingHours(config.workingHours)),
    now,
  );
  const year = opts.year ?? Number(c.today.slice(0, 4));
  console.log(
    [...coverageLines(c, config, opts.config ?? 'defaults'), '', ...yearLines(yearListing(config.holidays, year))].join(
      '\n',
    ),
  );
  return opts.check && c.warning ? 3 : 0;
}

process.exitCode = main(process.argv.slice(2));
