/**
 * `npm run bench:cluster [-- --walls 3000 --rounds 8]`: one urgent case to N walls on a cluster of three nodes.
 *
 * Starts `npm run cluster`'s shape (three node processes on a fresh PostgreSQL database and the local Redis, HAProxy in
 * front), fills the `demo` space with a simulated day, and connects N wall clients (offering permessage-deflate as
 * browsers do) from three child processes. Two layouts, same run, same walls:
 *   spread — N/3 walls on each node; the urgent case is posted to the balancer (any node logs it; the others follow
 *            the log and send their own walls the delta);
 *   one    — all N walls on node 1, the case posted to node 1 (the baseline: one node, no following).
 * Per round: latency from just before the POST to each wall's receipt of the delta carrying the case's alert; printed:
 * the median over rounds (after a warm-up round) of p50 and p99, and the missing deliveries.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createTestDatabase } from '../harness/postgres';
import { freePort } from '../harness/ports';
import { startCluster, type Cluster } from '../scripts/cluster';
import { addDays, shanghaiDateKey, shanghaiInstant, shanghaiMidnight } from '@shared/time';
import { generateEvents } from '../simulators/day';
import type { WallsCommand, WallsReply } from './fanout-walls';
import { BenchChild, BROWSER_BUILDS } from './child';
import { clockMs } from './clock';

const { values } = parseArgs({
  options: { walls: { type: 'string', default: '3000' }, rounds: { type: 'string', default: '8' } },
});
const N = Number(values.walls);
const ROUNDS = Number(values.rounds);
const SPACE = 'demo';
const NOW = shanghaiInstant('2026-11-24', '10:30');
const TOKENS = [
  { role: 'admin' as const, space: null, token: 'bench-admin-token-0123456789' },
  { role: 'viewer' as const, space: null, token: 'bench-viewer-token-0123456789' },
  { role: 'producer' as const, space: SPACE, token: 'bench-producer-token-0123456789' },
];

function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}

/** One child process of wall clients. */
class Walls extends BenchChild<WallsCommand, WallsReply> {
  constructor() {
    super('fanout-walls.ts', BROWSER_BUILDS);
  }
  /** Arms a round; resolves once armed, with the promise of the round's result (wrapped: awaiting must not wait for it). */
  async arm(caseId: string): Promise<{ result: Promise<WallsReply> }> {
    await this.ask({ type: 'arm-io', caseId, timeoutMs: 20_000 });
    return { result: this.next() };
  }
}

async function postUrgent(url: string, caseId: string, ts: number): Promise<void> {
  const res = await fetch(`${url}/api/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS[2]!.token}` },
    body: JSON.stringify({
      space: SPACE,
      events: [
        {
          type: 'case.received',
          eventId: `cluster-${caseId}`,
          ts,
          caseId,
          channel: 'district_line',
          caseType: 'help',
          urgency: 'urgent',
          flags: ['emergency'],
          category: '供水供电供气',
          street: 'hongshan',
          title: '主干道供水管爆裂，路面积水',
          lat: 30.5,
          lng: 114.34,
        },
      ],
    }),
  });
  if (res.status !== 200) throw new Error(`urgent case not accepted: ${res.status} ${await res.text()}`);
}

async function layout(name: string, walls: Walls[], targets: string[], postTo: string, round0: number): Promise<void> {
  const per = Math.ceil(N / walls.length);
  for (let i = 0; i < walls.length; i++) {
    const r = await walls[i]!.ask({
      type: 'connect-io',
      url: targets[i]!,
      n: Math.min(per, N - i * per),
      token: TOKENS[1]!.token,
      space: SPACE,
    });
    if (r.type !== 'connected') throw new Error('walls did not connect');
  }
  const p50s: number[] = [];
  const p99s: number[] = [];
  let missing = 0;
  for (let k = 0; k <= ROUNDS; k++) {
    const caseId = `U-${name}-${round0 + k}`;
    const results = await Promise.all(walls.map((w) => w.arm(caseId)));
    const t0 = clockMs();
    await postUrgent(postTo, caseId, NOW + (round0 + k) * 1000);
    const lat: number[] = [];
    let miss = 0;
    for (const r of await Promise.all(results.map((x) => x.result))) {
      if (r.type !== 'round') throw new Error(`unexpected ${r.type}`);
      lat.push(...r.at.map((t) => t - t0));
      miss += r.missing;
    }
    if (k === 0) continue;
    p50s.push(pct(lat, 50));
    p99s.push(pct(lat, 99));
    missing += miss;
    await new Promise((r) => setTimeout(r, 700));
  }
  console.log(
    `${name.padEnd(7)} ${N} walls: p50 ${pct(p50s, 50).toFixed(1)} ms, p99 ${pct(p99s, 50).toFixed(1)} ms (median of ${ROUNDS} rounds; p99 per round ${p99s.map((x) => x.toFixed(0)).join(', ')}), missing ${missing}`,
  );
  for (const w of walls) await w.ask({ type: 'close-io' });
}

async function main(): Promise<void> {
  const db = await createTestDatabase('cityops_bench_cluster');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cityops-bench-cluster-'));
  let cluster: Cluster | null = null;
  const walls = [new Walls(), new Walls(), new Walls()];
  try {
    cluster = await startCluster({
      nodes: 3,
      port: await freePort(),
      basePort: await freePort(),
      databaseUrl: db.url,
      redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      dataDir,
      tokens: TOKENS,
      entry: 'server',
      stdio: 'files',
      env: { LOG_LEVEL: 'warn' },
    });
    const events = generateEvents({ seed: 7, from: shanghaiMidnight(addDays(shanghaiDateKey(NOW), -1)), to: NOW });
    for (let i = 0; i < events.length; i += 5000) {
      const res = await fetch(`${cluster.nodes[0]!.url}/api/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS[2]!.token}` },
        body: JSON.stringify({ space: SPACE, events: events.slice(i, i + 5000) }),
      });
      if (res.status !== 200) throw new Error(`populate: ${res.status}`);
    }
    console.log(
      `cityops-wall cluster fan-out — 3 nodes behind HAProxy, ${events.length.toLocaleString()} events in ${SPACE}, node ${process.version}`,
    );
    await new Promise((r) => setTimeout(r, 2_000));
    const urls = cluster.nodes.map((n) => n.url);
    await layout('one', walls, [urls[0]!, urls[0]!, urls[0]!], urls[0]!, 0);
    await layout('spread', walls, urls, cluster.url, 100);
    await layout('one', walls, [urls[0]!, urls[0]!, urls[0]!], urls[0]!, 200);
  } finally {
    for (const w of walls) w.stop();
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    await db.drop();
  }
}

await main();
