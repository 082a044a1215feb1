import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { worstMoment, type DrillRecord, type DrillSummary } from '@shared/drills';
import { shanghaiIso, type ReviewAnswer } from '@shared/wall/review';
import { HOUR_MS, shanghaiInstant } from '@shared/time';
import { generateEvents } from '../../simulators/day';
import { connectWall, loginSession, startTestServer, type TestServer } from '../../harness/server';

const NOW = shanghaiInstant('2026-11-25', '10:00');
const admin = { authorization: 'Bearer admin-token', 'content-type': 'application/json' };

async function api<T>(url: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { ...init, headers: { ...admin, ...(init.headers ?? {}) } });
  return { status: res.status, body: (await res.json()) as T };
}

async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('when an admin starts a drill of the trunk-failure scenario at max speed', () => {
  let server: TestServer;
  let drill: DrillRecord;
  let finished: DrillRecord;

  beforeAll(async () => {
    server = await startTestServer(NOW);
    const res = await api<DrillRecord>(`${server.url}/api/v1/drills`, {
      method: 'POST',
      body: JSON.stringify({ scenario: 'trunk-failure', speed: 'max', seed: 5 }),
    });
    expect(res.status).toBe(201);
    drill = res.body;
    finished = (
      await until(
        () => api<DrillRecord>(`${server.url}/api/v1/drills/${drill.id}`),
        (r) => r.body.status !== 'running' && r.body.status !== 'starting',
      )
    ).body;
  });

  afterAll(async () => {
    await server?.dispose();
  });

  it('then it runs in a new drill-* space and finishes with its progress complete', () => {
    expect(drill.space).toMatch(/^drill-trunk-failure-/);
    expect(finished.error).toBeNull();
    expect(finished.status).toBe('finished');
    expect(finished.progress.fraction).toBe(1);
    expect(finished.progress.events).toBeGreaterThan(30_000);
    expect(server.app.spaces.get(drill.space).projection.clock).toBe(finished.window?.end);
  });

  it('then GET /drills lists it, and the minted producer token is gone', async () => {
    const list = await api<DrillRecord[]>(`${server.url}/api/v1/drills`);
    expect(list.body.map((d) => d.id)).toContain(drill.id);
    expect(JSON.stringify(list.body)).not.toMatch(/producer-/);
  });

  it('then a wall on the drill space sees the DRILL kind with the scenario and the drill clock', async () => {
    const wall = await connectWall(server.url, drill.space);
    const snap = await new Promise<{
      view: { spaceKind: string; drill?: { scenario: string; startedAt: number; speed: number | null } };
    }>((resolve) => {
      wall.emit('resync', (r) => {
        if (r.ok) resolve(r.data as never);
      });
    });
    wall.close();
    expect(snap.view.spaceKind).toBe('drill');
    expect(snap.view.drill?.scenario).toBe('trunk-failure');
    expect(snap.view.drill?.speed).toBeNull();
    expect(snap.view.drill?.startedAt).toBe(shanghaiInstant('2026-12-09', '09:00'));
  });

  it('then the summary shows the queue building while the trunk is down and the answer rate below its target', async () => {
    const { status, body } = await api<DrillSummary>(`${server.url}/api/v1/drills/${drill.id}/summary`);
    expect(status).toBe(200);
    const fig = Object.fromEntries(body.figures.map((f) => [f.key, f]));
    expect(body.samples).toBe(4 * 60 + 1);
    expect(fig.peakQueue?.value).toBeGreaterThan(5);
    expect(fig.peakQueue?.at).toBeGreaterThanOrEqual(shanghaiInstant('2026-12-09', '10:00'));
    expect(fig.peakQueue?.at).toBeLessThanOrEqual(shanghaiInstant('2026-12-09', '10:16'));
    expect(fig.worstAnswerRate?.value).toBeLessThan(0.9);
    expect(fig.worstAnswerRate?.met).toBe(false);
    expect(fig.worstAnswerRate?.at).toBe(shanghaiInstant('2026-12-09', '10:00'));
    expect(fig.backlogClearMinutes?.value).not.toBeNull();
    expect(fig.highestAgentLoad?.target).toBe(15);
    expect(body.totals.offered).toBeGreaterThan(100);
  });

  it('then the drill can be reviewed at its start, its worst moment and its peak queue, where the wall showed that queue', async () => {
    const { body } = await api<DrillSummary>(`${server.url}/api/v1/drills/${drill.id}/summary`);
    const review = (at: number) =>
      api<ReviewAnswer>(`${server.url}/api/v1/spaces/${drill.space}/review?at=${encodeURIComponent(shanghaiIso(at))}`);
    const start = await review(body.from);
    expect(start.status).toBe(200);
    expect(start.body.view.now).toBe(body.from);
    expect(start.body.view.spaceKind).toBe('drill');
    // The answer rate missed its target (above): there is a worst moment, and the wall can be shown as it was then.
    const worst = worstMoment(body);
    expect(worst).not.toBeNull();
    const atWorst = await review(worst!.at);
    expect(atWorst.status).toBe(200);
    expect(atWorst.body.view.now).toBe(worst!.at);
    const peak = body.figures.find((f) => f.key === 'peakQueue')!;
    const atPeak = await review(peak.at!);
    expect(atPeak.status).toBe(200);
    expect(atPeak.body.view.hotline.waiting).toBe(peak.value);
  });

  it('then DELETE with deleteData removes the space and its log', async () => {
    const series = async () =>
      (await (await fetch(`${server.url}/metrics`, { headers: admin })).text())
        .split('\n')
        .filter((l) => l.includes(`space="${drill.space}"`))
        .map((l) => l.split('{')[0]);
    // While it exists, the drill has its series: events accepted, deltas, open cases…
    expect(await series()).toEqual(expect.arrayContaining(['cityops_events_accepted_total', 'cityops_open_cases']));
    const del = await api<{ deleted: boolean }>(`${server.url}/api/v1/drills/${drill.id}?deleteData=true`, {
      method: 'DELETE',
    });
    expect(del.status).toBe(200);
    expect(del.body.deleted).toBe(true);
    const spaces = await api<{ space: string }[]>(`${server.url}/api/v1/spaces`);
    expect(spaces.body.map((s) => s.space)).not.toContain(drill.space);
    const exp = await fetch(`${server.url}/api/v1/spaces/${drill.space}/export.jsonl`, { headers: admin });
    expect(exp.status).toBe(404);
    expect((await api(`${server.url}/api/v1/drills/${drill.id}`)).status).toBe(404);
    // …and once deleted none is left to pile up in every scrape.
    expect(await series()).toEqual([]);
  });
});

describe('when a drill at 60× is stopped without deleting its data', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(NOW);
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('then it stops cleanly, its space keeps what was acknowledged, and it is listed as stopped', async () => {
    let fromSimulator = 0;
    server.app.ingest.onBatch((space, _r, accepted) => {
      if (space.name.startsWith('drill-'))
        fromSimulator += accepted.filter((e) => !e.type.startsWith('alert.') && !e.type.startsWith('item.')).length;
    }, 'test-simulator-count');
    const { body: d } = await api<DrillRecord>(`${server.url}/api/v1/drills`, {
      method: 'POST',
      body: JSON.stringify({ scenario: 'normal-weekday', speed: 60, seed: 2 }),
    });
    await until(
      () => api<DrillRecord>(`${server.url}/api/v1/drills/${d.id}`),
      (r) => r.body.progress.phase === 'live',
      60_000,
    );
    const del = await api<{ drill: DrillRecord }>(`${server.url}/api/v1/drills/${d.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    const after = await api<DrillRecord>(`${server.url}/api/v1/drills/${d.id}`);
    expect(after.body.status).toBe('stopped');
    // What the simulator sent (the monitor may still be writing what the drill's clock revealed: alerts, duty items).
    const sent = () => fromSimulator;
    const count = sent();
    expect(count).toBeGreaterThan(20_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(sent()).toBe(count);
    expect(after.body.summary?.figures).toHaveLength(8);
  });
});

describe('when a drill request is not allowed or not valid', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(NOW);
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('then a viewer or producer is refused, and an unknown scenario or speed is a 400 naming it', async () => {
    for (const token of ['viewer-token', 'producer-drill-a']) {
      const res = await fetch(`${server.url}/api/v1/drills`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ scenario: 'rainstorm' }),
      });
      expect(res.status).toBe(403);
    }
    const unknown = await api<{ error: { message: string } }>(`${server.url}/api/v1/drills`, {
      method: 'POST',
      body: JSON.stringify({ scenario: 'meteor' }),
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/no scenario "meteor".*rainstorm/);
    const speed = await api<{ error: { errors: { path: string }[] } }>(`${server.url}/api/v1/drills`, {
      method: 'POST',
      body: JSON.stringify({ scenario: 'rainstorm', speed: -2 }),
    });
    expect(speed.status).toBe(400);
    expect(speed.body.error.errors[0]?.path).toBe('speed');
  });

  it('then the scenarios are listed for the drill page, each with its date and drill window', async () => {
    const { body } = await api<{ name: string; date: string; simStart: number; start: number; end: number }[]>(
      `${server.url}/api/v1/drills/scenarios`,
    );
    expect(body.map((s) => s.name)).toEqual([
      'link-down',
      'monday-peak',
      'normal-weekday',
      'rainstorm',
      'staff-shortfall',
      'trunk-failure',
      'water-outage',
    ]);
    // trunk-failure: 2026-12-09, the drill from 09:00 for 4 hours, the simulation from midnight a day before.
    expect(body.find((s) => s.name === 'trunk-failure')).toMatchObject({
      date: '2026-12-09',
      simStart: shanghaiInstant('2026-12-08', '00:00'),
      start: shanghaiInstant('2026-12-09', '09:00'),
      end: shanghaiInstant('2026-12-09', '13:00'),
    });
  });
});

describe('when the drill pages call the drill and export API with a session cookie', () => {
  let server: TestServer;
  // The monitor stays out: it would add the duty items of the generated urgent cases to the exported log.
  beforeAll(async () => {
    server = await startTestServer(NOW, undefined, undefined, { monitorMs: 3_600_000 });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  const call = (path: string, headers: Record<string, string>, init: RequestInit = {}) =>
    fetch(`${server.url}/api/v1${path}`, { ...init, headers: { 'content-type': 'application/json', ...headers } });
  const message = async (res: Response) => ((await res.json()) as { error: { message: string } }).error.message;

  it('then an admin session reads drills, scenarios and exports without the CSRF token', async () => {
    const s = await loginSession(server.url, 'admin-token');
    expect(s.status).toBe(200);
    const list = await call('/drills', { cookie: s.cookie });
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual([]);
    expect((await call('/drills/scenarios', { cookie: s.cookie })).status).toBe(200);
    const events = generateEvents({ seed: 3, from: NOW - HOUR_MS, to: NOW });
    await server.app.ingest.ingest('drill-a', events);
    const exp = await call('/spaces/drill-a/export.jsonl', { cookie: s.cookie });
    expect(exp.status).toBe(200);
    expect((await exp.text()).trimEnd().split('\n')).toHaveLength(events.length);
  });

  it("then a drill space no drill created is deleted with DELETE /spaces/:space; a drill's space, live, demo and an unknown one are refused", async () => {
    const bearer = { authorization: 'Bearer admin-token' };
    await server.app.ingest.ingest('drill-loose', generateEvents({ seed: 4, from: NOW - HOUR_MS, to: NOW }));
    expect(server.app.spaces.find('drill-loose')).toBeDefined();
    const del = await call('/spaces/drill-loose', bearer, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(await del.json()).toEqual({ space: 'drill-loose', deleted: true });
    expect(server.app.spaces.find('drill-loose')).toBeUndefined();
    expect((await call('/spaces/drill-loose/export.jsonl', bearer)).status).toBe(404);
    const again = await call('/spaces/drill-loose', bearer, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(await message(again)).toBe('no space drill-loose on this server');
    for (const name of ['live', 'demo'])
      expect(await message(await call(`/spaces/${name}`, bearer, { method: 'DELETE' }))).toMatch(
        new RegExp(`^${name} is not a drill space: only drill-… spaces are deleted here`),
      );
    expect((await call('/spaces/drill-a/export.jsonl', bearer)).status).toBe(200);
    // A drill's own space goes with its drill, not here.
    const started = await call('/drills', bearer, {
      method: 'POST',
      body: JSON.stringify({ scenario: 'trunk-failure', speed: 60, seed: 2 }),
    });
    expect(started.status).toBe(201);
    const drill = (await started.json()) as DrillRecord;
    const refused = await call(`/spaces/${drill.space}`, bearer, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(await message(refused)).toBe(
      `${drill.space} is a drill's space: stop and delete the drill with DELETE /api/v1/drills/${drill.space}?deleteData=true`,
    );
    expect((await call(`/drills/${drill.id}?deleteData=true`, bearer, { method: 'DELETE' })).status).toBe(200);
    // As the supervisors' pages cannot administer, nor can a supervisor delete a space.
    expect(
      (await call('/spaces/drill-a', { authorization: 'Bearer supervisor-token' }, { method: 'DELETE' })).status,
    ).toBe(403);
  });

  it('then a cookie write without the CSRF token is refused naming the header, with it the request is handled', async () => {
    const s = await loginSession(server.url, 'admin-token');
    const body = JSON.stringify({ scenario: 'meteor' });
    const no = await call('/drills', { cookie: s.cookie }, { method: 'POST', body });
    expect(no.status).toBe(403);
    expect(await message(no)).toContain('x-csrf-token');
    expect(
      (await call('/drills', { cookie: s.cookie, 'x-csrf-token': 'forged' }, { method: 'POST', body })).status,
    ).toBe(403);
    const yes = await call('/drills', { cookie: s.cookie, 'x-csrf-token': s.csrf }, { method: 'POST', body });
    expect(yes.status).toBe(400);
    expect(await message(yes)).toMatch(/no scenario "meteor"/);
    expect((await call('/drills/drill-nothing-here', { cookie: s.cookie }, { method: 'DELETE' })).status).toBe(403);
    expect(
      (await call('/drills/drill-nothing-here', { cookie: s.cookie, 'x-csrf-token': s.csrf }, { method: 'DELETE' }))
        .status,
    ).toBe(404);
  });

  it('then a supervisor session is refused with 403, no credential with 401 pointing to the login page', async () => {
    const sup = await loginSession(server.url, 'supervisor-token');
    const res = await call('/drills', { cookie: sup.cookie });
    expect(res.status).toBe(403);
    expect(await message(res)).toMatch(/supervisor token may not administer/);
    expect((await call('/spaces/live/export.jsonl', { cookie: sup.cookie })).status).toBe(403);
    const anon = await call('/drills', {});
    expect(anon.status).toBe(401);
    expect(await message(anon)).toMatch(/log in at \/login, or send Authorization: Bearer/);
    expect((await call('/spaces/live/export.jsonl', {})).status).toBe(401);
    const gone = await call('/drills', { cookie: 'cityops_session=expired' });
    expect(gone.status).toBe(401);
  });
});

describe('when the server restarts on the same data after one drill finished and while another ran', () => {
  let server: TestServer;
  let finished: DrillRecord;
  let cut: DrillRecord;
  let before: DrillRecord;

  beforeAll(async () => {
    server = await startTestServer(NOW);
    const s = await loginSession(server.url, 'admin-token');
    const write = { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': 'application/json' };
    const a = await fetch(`${server.url}/api/v1/drills`, {
      method: 'POST',
      headers: write,
      body: JSON.stringify({ scenario: 'link-down', speed: 'max', seed: 4 }),
    });
    expect(a.status).toBe(201);
    const aId = ((await a.json()) as DrillRecord).id;
    finished = (
      await until(
        () => api<DrillRecord>(`${server.url}/api/v1/drills/${aId}`),
        (r) => r.body.status !== 'running' && r.body.status !== 'starting',
      )
    ).body;
    const b = await fetch(`${server.url}/api/v1/drills`, {
      method: 'POST',
      headers: write,
      body: JSON.stringify({ scenario: 'normal-weekday', speed: 60, seed: 2 }),
    });
    expect(b.status).toBe(201);
    const bId = ((await b.json()) as DrillRecord).id;
    before = (
      await until(
        () => api<DrillRecord>(`${server.url}/api/v1/drills/${bId}`),
        (r) => r.body.progress.phase === 'live',
        60_000,
      )
    ).body;
    server = await server.restart();
    cut = (await api<DrillRecord>(`${server.url}/api/v1/drills/${bId}`)).body;
  });

  afterAll(async () => {
    await server?.dispose();
  });

  it('then GET /drills lists both, newest first: the finished one with its summary, the cut-off one as interrupted', async () => {
    expect(finished.status).toBe('finished');
    const { status, body } = await api<DrillRecord[]>(`${server.url}/api/v1/drills`);
    expect(status).toBe(200);
    expect(body.map((d) => d.id)).toEqual([cut.id, finished.id]);
    const [b, a] = body;
    expect(a).toMatchObject({
      status: 'finished',
      scenario: 'link-down',
      seed: 4,
      speed: null,
      endedAt: finished.endedAt,
    });
    expect(a?.summary?.figures).toHaveLength(8);
    expect(a?.summary).toEqual(finished.summary);
    expect(b).toMatchObject({
      status: 'interrupted',
      scenario: 'normal-weekday',
      seed: 2,
      speed: 60,
      createdAt: before.createdAt,
      window: before.window,
    });
    expect(b?.endedAt).not.toBeNull();
    expect(b?.progress.events).toBeGreaterThanOrEqual(before.progress.events);
  });

  it("then the interrupted drill's summary covers what was logged, and its wall still shows the drill", async () => {
    const { status, body } = await api<DrillSummary>(`${server.url}/api/v1/drills/${cut.id}/summary`);
    expect(status).toBe(200);
    expect(body.events).toBe(server.app.spaces.get(cut.space).projection.eventsApplied);
    expect(body.figures).toHaveLength(8);
    const wall = await connectWall(server.url, cut.space);
    const snap = await new Promise<{ view: { spaceKind: string; drill?: { scenario: string } } }>((resolve) => {
      wall.emit('resync', (r) => {
        if (r.ok) resolve(r.data as never);
      });
    });
    wall.close();
    expect(snap.view.drill?.scenario).toBe('normal-weekday');
  });

  it('then deleting the interrupted drill with its data removes it for good', async () => {
    const del = await api<{ deleted: boolean }>(`${server.url}/api/v1/drills/${cut.id}?deleteData=true`, {
      method: 'DELETE',
    });
    expect(del.status).toBe(200);
    server = await server.restart();
    const { body } = await api<DrillRecord[]>(`${server.url}/api/v1/drills`);
    expect(body.map((d) => d.id)).toEqual([finished.id]);
  });
});
