/**
 * `npm run bench:cases [-- --cases N]`: the supervisor's queries with N cases (default 500,000, about a year of the
 * district) in the case read model. Cases are folded by the real lifecycle reducer with a seeded mix of channels,
 * streets, units, types and flags; recent ones are left open at every stage, some old ones stuck (long overdue).
 * Then filtered pages of 50 are fetched over HTTP from the real app (and in process), and p50/p95 printed per query.
 * Target: p95 ≤ 100 ms for a filtered page of 50.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createApp, projectionContext } from '../server/app';
import { TokenRegistry } from '../server/auth/tokens';
import { CaseReadModel } from '../server/cases/readModel';
import { monthOf } from '../server/cases/scorecards';
import { openSqliteStore } from '../server/store/sqlite';
import { applyCaseEvent } from '@shared/cases/lifecycle';
import { parseCaseQuery } from '@shared/cases/query';
import type { CaseState } from '@shared/cases/state';
import { DEFAULT_CONFIG } from '@shared/config';
import { foldVersion } from '../server/checkpoint';
import { CASE_FLAGS, CASE_TYPES, CHANNELS, URGENCIES } from '@shared/domain';
import type { CaseEvent } from '@shared/events/case';
import { DAY_MS, HOUR_MS, MINUTE_MS, shanghaiInstant } from '@shared/time';
import { Rng } from '../simulators/random';

const { values } = parseArgs({
  options: { cases: { type: 'string', default: '500000' }, runs: { type: 'string', default: '60' } },
});
const N = Number(values.cases);
const RUNS = Number(values.runs);
const NOW = shanghaiInstant('2026-11-23', '15:00');
const SPAN_MS = (N / 1_370) * DAY_MS;
const ctx = projectionContext(DEFAULT_CONFIG);
const rng = new Rng('bench-cases');
const streets = DEFAULT_CONFIG.streets.map((s) => s.id);
const units = DEFAULT_CONFIG.units.map((u) => u.id);

/** One case's events up to now: older cases mostly closed, recent ones stopped at some stage. */
function* caseEvents(i: number): Generator<CaseEvent> {
  const id = `c${i}`;
  const t0 = NOW - SPAN_MS + Math.floor((i / N) * SPAN_MS);
  const age = NOW - t0;
  const base = { eventId: '', caseId: id, actor: 'bench' };
  let t = t0;
  let k = 0;
  const ev = <T extends CaseEvent['type']>(type: T, extra: object): CaseEvent =>
    ({ ...base, eventId: `${id}-${k++}`, type, ts: t, ...extra }) as CaseEvent;
  const urgency = rng.chance(0.05) ? URGENCIES[0] : URGENCIES[1];
  const flags = CASE_FLAGS.filter(() => rng.chance(0.04));
  yield ev('case.received', {
    channel: rng.pick(CHANNELS),
    caseType: rng.pick(CASE_TYPES),
    urgency,
    flags,
    category: rng.pick(DEFAULT_CONFIG.categories),
    street: rng.pick(streets),
    title: `案件 ${i}`,
  });
  // How far the case gets: recent cases are still moving; 0.3% of old ones are stuck somewhere.
  const stuck = rng.chance(age < 20 * DAY_MS ? Math.max(0.05, 1 - age / (20 * DAY_MS)) : 0.003);
  const stop = stuck ? rng.int(1, 5) : 99;
  const step = (h: number) => {
    t = Math.min(NOW - MINUTE_MS, t + Math.round(rng.exponential(h * HOUR_MS)));
  };
  step(0.3);
  yield ev('case.dispatched', { unit: rng.pick(units) });
  if (stop <= 1) return;
  step(1);
  yield ev('case.signed', {});
  if (stop <= 2) return;
  step(30);
  yield ev('case.replied', { reply: '已处理' });
  if (stop <= 3) return;
  step(10);
  yield ev('case.called_back', {});
  step(0.05);
  yield ev('case.evaluated', { rating: rng.chance(0.95) ? 'satisfied' : 'unsatisfied' });
  if (stop <= 4) return;
  step(0.1);
  yield ev('case.closed', {});
}

function fold(i: number, history: CaseEvent[]): CaseState | null {
  let s: CaseState | undefined;
  for (const e of caseEvents(i)) {
    const r = applyCaseEvent(s, e, ctx.lifecycle);
    if (!r.ok) break;
    s = r.state;
    history.push(e);
  }
  return s ?? null;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cityops-bench-cases-'));
  const file = path.join(dir, 'cases.sqlite');
  try {
    // History bodies live in the log (the model keeps seqs): the events go to a real log the app then opens.
    const log = openSqliteStore({ dataDir: path.join(dir, 'log') });
    const model = new CaseReadModel(file, ctx, foldVersion(DEFAULT_CONFIG));
    let t = performance.now();
    const CHUNK = 20_000;
    let open = 0;
    let events = 0;
    for (let from = 0; from < N; from += CHUNK) {
      const states: CaseState[] = [];
      const history: CaseEvent[] = [];
      for (let i = from; i < Math.min(N, from + CHUNK); i++) {
        const s = fold(i, history);
        if (s) {
          states.push(s);
          if (s.stage !== 'closed') open++;
        }
      }
      model.writeCases('live', states);
      model.writeEvents('live', history, await log.append('live', history, []));
      events += history.length;
    }
    model.markCaughtUp('live', events);
    await log.close();
    model.db.exec('ANALYZE');
    model.close();
    console.log(
      `filled ${N.toLocaleString()} cases (${open.toLocaleString()} open), ${events.toLocaleString()} history events in ${((performance.now() - t) / 1000).toFixed(1)} s; cases.sqlite ${(statSync(file).size / 2 ** 20).toFixed(0)} MB`,
    );

    const app = createApp({
      store: openSqliteStore({ dataDir: path.join(dir, 'log') }),
      config: DEFAULT_CONFIG,
      tokens: new TokenRegistry([{ role: 'supervisor', space: null, token: 'bench-supervisor' }]),
      now: () => NOW,
      caseDbFile: file,
    });
    const addr = await app.listen(0, '127.0.0.1');
    // The in-process runs between HTTP rounds outlast the default 5 s keep-alive: keep sockets open across them.
    app.http.keepAliveTimeout = 120_000;
    await app.ready;
    const url = `http://127.0.0.1:${addr.port}`;
    const month = monthOf(NOW - 40 * DAY_MS);
    const QUERIES: Record<string, string> = {
      'late (default)': '',
      'overdue · street': 'status=overdue&street=guanshan',
      'late · unit · handle clock': 'unit=cgzf&clock=handle',
      'at risk · channel': 'status=at_risk&channel=hotline',
      'overdue > 1 day · urgent': 'overdueBy=1440&urgency=normal&type=complaint',
      'late · flags · page 3': 'flags=repeat&page=3',
      'all · unit · month, newest': `status=all&unit=st-guanshan&from=${month}-01&to=${month}-28&sort=received_desc`,
      'closed · street · page 100': 'status=closed&street=luonan&sort=received_desc&page=100',
    };
    console.log(`\nfiltered pages of 50 over HTTP (${RUNS} runs each after 5 warm-up), ms:`);
    console.log(
      `${'query'.padEnd(34)} ${'total'.padStart(8)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'in-proc p50'.padStart(12)} ${'in-proc p95'.padStart(12)}`,
    );
    const allHttp: number[] = [];
    for (const [name, qs] of Object.entries(QUERIES)) {
      const times: number[] = [];
      let total = 0;
      for (let r = 0; r < RUNS + 5; r++) {
        const s = performance.now();
        const res = await fetch(`${url}/api/v1/cases?space=live&pageSize=50&${qs}`, {
          headers: { authorization: 'Bearer bench-supervisor' },
        });
        const body = (await res.json()) as { total: number };
        if (res.status !== 200) throw new Error(`${name}: ${res.status} ${JSON.stringify(body)}`);
        total = body.total;
        if (r >= 5) times.push(performance.now() - s);
      }
      const q = parseCaseQuery(Object.fromEntries(new URLSearchParams(`space=live&pageSize=50&${qs}`)));
      if (!q.success) throw new Error(name);
      const inproc: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        const s = performance.now();
        await app.queries.list(q.data, NOW);
        inproc.push(performance.now() - s);
      }
      allHttp.push(...times);
      console.log(
        `${name.padEnd(34)} ${String(total).padStart(8)} ${pct(times, 50).toFixed(1).padStart(7)} ${pct(times, 95).toFixed(1).padStart(7)} ${pct(inproc, 50).toFixed(1).padStart(12)} ${pct(inproc, 95).toFixed(1).padStart(12)}`,
      );
    }
    console.log(
      `${'ALL QUERIES'.padEnd(34)} ${''.padStart(8)} ${pct(allHttp, 50).toFixed(1).padStart(7)} ${pct(allHttp, 95).toFixed(1).padStart(7)}   target p95 ≤ 100 ms: ${pct(allHttp, 95) <= 100 ? 'MET' : 'MISSED'}`,
    );

    const other: Record<string, () => Promise<unknown>> = {
      'title search (LIKE, not indexed)': () =>
        fetch(
          `${url}/api/v1/cases?space=live&status=all&category=%E5%B8%82%E5%AE%B9%E7%8E%AF%E5%8D%AB&q=%E6%A1%88%E4%BB%B6%2012345`,
          { headers: { authorization: 'Bearer bench-supervisor' } },
        ),
      'one case + history': () =>
        fetch(`${url}/api/v1/cases/c${N - 10}?space=live`, { headers: { authorization: 'Bearer bench-supervisor' } }),
      'scorecards, one month (+5 trend)': () =>
        fetch(`${url}/api/v1/units?space=live&month=${month}`, {
          headers: { authorization: 'Bearer bench-supervisor' },
        }),
      'monthly report': () =>
        fetch(`${url}/api/v1/reports/monthly?space=live&month=${month}`, {
          headers: { authorization: 'Bearer bench-supervisor' },
        }),
    };
    console.log('\nother reads over HTTP, ms:');
    for (const [name, fn] of Object.entries(other)) {
      const times: number[] = [];
      for (let r = 0; r < 25; r++) {
        const s = performance.now();
        await ((await fn()) as Response).arrayBuffer();
        if (r >= 3) times.push(performance.now() - s);
      }
      console.log(
        `${name.padEnd(34)} p50 ${pct(times, 50).toFixed(1).padStart(7)}  p95 ${pct(times, 95).toFixed(1).padStart(7)}`,
      );
    }
    t = performance.now();
    const x = await fetch(`${url}/api/v1/exports/cases.xlsx?space=live&status=overdue`, {
      headers: { authorization: 'Bearer bench-supervisor' },
    });
    const size = (await x.arrayBuffer()).byteLength;
    console.log(
      `${'XLSX export of every overdue case'.padEnd(34)} ${(performance.now() - t).toFixed(0)} ms, ${(size / 1024).toFixed(0)} KB`,
    );
    await app.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
