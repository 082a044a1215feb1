/**
 * A district's own history through the import CLI: a foreign 311-style export (categories, places and agencies that
 * are not in the built-in lists, local New York times across the March daylight-saving change, a few unreadable rows,
 * a description spanning lines), mapped onto the server's configuration.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig } from '@shared/config';
import { shanghaiInstant } from '@shared/time';
import { removeData, startTestServer, type TestServer } from '../../harness/server';

const dir = mkdtempSync(path.join(tmpdir(), 'cityops-import-'));
const exec = promisify(execFile);
afterAll(() => removeData(dir));

async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, ['--import', 'tsx', 'simulators/cli.ts', ...args], {
      encoding: 'utf8',
      env: { ...process.env, CITYOPS_CONFIG: '', ...env },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const CATEGORIES = ['Graffiti', 'Pothole', 'Abandoned Vehicle', 'Illegal Dumping', 'Street Light Out'];
const PLACES = ['Downtown', 'Riverside', 'Hillcrest', 'Old Mill'];
const AGENCIES = ['Public Works', 'Parks Dept', 'Sanitation'];
const SOURCES = ['Phone', 'Web', 'Mobile App'];
const ROWS = 300;
const MAPPING_HEADER =
  'Service Request ID,Created Date,Closed Date,Status,Complaint Type,Neighborhood,Agency,Channel,Descriptor';
/** Rows (1-based) whose open time is unreadable. */
const BAD_ROWS = [57, 140, 233];

/** The export, generated deterministically: row i opens on day ⌊i/15⌋ of March 2025 at 08:00 + (i mod 15) × 30 min. */
function exportCsv(): string {
  const p2 = (n: number) => String(n).padStart(2, '0');
  const us = (day: number, minutes: number) => {
    const h = 8 + Math.floor(minutes / 60);
    return `03/${p2(day)}/2025 ${p2(h > 12 ? h - 12 : h)}:${p2(minutes % 60)}:00 ${h >= 12 ? 'PM' : 'AM'}`;
  };
  const lines = [MAPPING_HEADER];
  for (let i = 1; i <= ROWS; i++) {
    const day = 1 + Math.floor((i - 1) / 15);
    const at = ((i - 1) % 15) * 30;
    const closed = i % 3 !== 0;
    const descriptor = i === 10 ? '"Spray paint on the wall,\nnear the ""Old Mill"" bridge"' : `Report ${i}`;
    lines.push(
      [
        `NY-${1000 + i}`,
        BAD_ROWS.includes(i) ? '2025-03-xx' : us(day, at),
        closed ? us(day, at + 240) : '',
        closed ? 'Closed' : 'Open',
        CATEGORIES[i % CATEGORIES.length],
        PLACES[i % PLACES.length],
        AGENCIES[i % AGENCIES.length],
        SOURCES[i % SOURCES.length],
        descriptor,
      ].join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}

const CONFIG = {
  centre: { name: 'Springfield 311 Operations Centre', district: 'Springfield' },
  streets: PLACES.map((name, i) => ({ id: name.toLowerCase().replace(/\s+/g, '-'), name, col: i, row: 0 })),
  units: AGENCIES.map((name) => ({ id: name.toLowerCase().replace(/\s+/g, '-'), name, kind: 'department' })),
  categories: [...CATEGORIES, '其他'],
};
const MAPPING = {
  columns: {
    id: 'Service Request ID',
    openedAt: 'Created Date',
    closedAt: 'Closed Date',
    status: 'Status',
    category: 'Complaint Type',
    street: 'Neighborhood',
    unit: 'Agency',
    channel: 'Channel',
    description: 'Descriptor',
  },
  values: { channel: { Phone: 'hotline', Web: 'message_board', 'Mobile App': 'message_board' } },
  closedStatuses: ['Closed'],
  time: { format: 'us', zone: 'America/New_York' },
};

describe('when a foreign export is imported through a mapping', () => {
  let server: TestServer;
  const csv = path.join(dir, 'export.csv');
  const mapping = path.join(dir, 'mapping.json');
  const config = path.join(dir, 'cityops.json');
  const to = (space: string) => ['--server', server.url, '--token', 'admin-token', '--space', space];

  beforeAll(async () => {
    writeFileSync(csv, exportCsv());
    writeFileSync(mapping, JSON.stringify(MAPPING));
    writeFileSync(config, JSON.stringify(CONFIG));
    server = await startTestServer(shanghaiInstant('2025-04-01', '09:00'), undefined, undefined, {
      config: mergeConfig(DEFAULT_CONFIG, CONFIG),
      monitorMs: 3_600_000,
    });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('then on the built-in defaults the report lists every value that falls back, and --strict refuses (exit 3)', async () => {
    const r = await cli(['replay', csv, '--mapping', mapping, '--strict', '--max-skipped', '3', '--dry-run']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(
      `Mapping report: ${ROWS - 3} row(s) read, 3 skipped; mapped onto the built-in defaults (no --config, no CITYOPS_CONFIG, no --server)`,
    );
    expect(r.stdout).toMatch(
      / {4}Graffiti +→ 其他 {2}\d+ row\(s\) {2}FALLBACK: not a configured category: the default/,
    );
    expect(r.stdout).toMatch(
      / {4}Old Mill +→ unknown {2}\d+ row\(s\) {2}FALLBACK: not a configured street: the default/,
    );
    expect(r.stdout).toMatch(
      / {4}Public Works +→ Public Works {2}\d+ row\(s\) {2}FALLBACK: not a configured unit: kept as given/,
    );
    expect(r.stdout).toContain('12 value(s) in');
    expect(r.stderr).toContain('refused (--strict): 12 value(s)');
    expect(r.stdout).not.toContain('dry run:');
  });

  it('then unreadable rows are named by row, line and column, and more than --max-skipped sends nothing (exit 1)', async () => {
    const r = await cli(['replay', csv, '--mapping', mapping, '--config', config, ...to('drill-skip')]);
    expect(r.code).toBe(1);
    // Row 10's description spans two lines, so every later row starts one line further down.
    expect(r.stderr).toContain(
      'skipped row 57 (line 59), column "Created Date": "2025-03-xx" is not a time (us: MM/DD/YYYY[ hh:mm[:ss] [AM|PM]])',
    );
    expect(r.stderr).toContain('skipped row 140 (line 142), column "Created Date"');
    expect(r.stderr).toContain('skipped row 233 (line 235), column "Created Date"');
    expect(r.stderr).toContain('3 row(s) could not be read (allowed: --max-skipped 0); nothing was sent');
  });

  it('then --dry-run prints the report, needs no server and sends nothing', async () => {
    const r = await cli(['replay', csv, '--mapping', mapping, '--dry-run', '--max-skipped', '3'], {
      CITYOPS_CONFIG: config,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`mapped onto CITYOPS_CONFIG ${config}`);
    expect(r.stdout).toContain('every value matched the configuration');
    expect(r.stdout).toContain(`dry run: ${ROWS - 3} row(s) would be sent; nothing was sent`);
  });

  it("then with the server's own configuration every category, place and agency is kept, times follow daylight saving (exit 0)", async () => {
    // No --config, no CITYOPS_CONFIG: the CLI asks the server for the configuration it maps onto.
    const r = await cli(['replay', csv, '--mapping', mapping, '--strict', '--max-skipped', '3', ...to('drill-import')]);
    expect(r.stdout).toContain(`mapped onto the server's configuration (${server.url}/api/v1/config/mapping)`);
    expect(r.stdout).toContain('every value matched the configuration');
    expect(r.stderr.split('\n').filter((l) => l.startsWith('skipped'))).toEqual(
      BAD_ROWS.map(
        (row) =>
          `skipped row ${row} (line ${row + 2}), column "Created Date": "2025-03-xx" is not a time (us: MM/DD/YYYY[ hh:mm[:ss] [AM|PM]])`,
      ),
    );
    // 198 closed requests (received, dispatched, signed, replied, closed) and 99 open ones (received, dispatched).
    expect(r.stderr).toContain(`${ROWS - 3} requests → ${198 * 5 + 99 * 2} events`);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ 0 rejected, 0 quarantined/);
    const model = server.app.cases;
    model.flush();
    const rows = model.db
      .prepare(
        "SELECT category, street, unit, count(*) n FROM cases WHERE space = 'drill-import' GROUP BY category, street, unit",
      )
      .all() as { category: string; street: string; unit: string; n: number }[];
    expect(rows.reduce((s, x) => s + x.n, 0)).toBe(ROWS - 3);
    expect(new Set(rows.map((x) => x.category))).toEqual(new Set(CATEGORIES));
    expect(new Set(rows.map((x) => x.street))).toEqual(new Set(CONFIG.streets.map((s) => s.id)));
    expect(new Set(rows.map((x) => x.unit))).toEqual(new Set(CONFIG.units.map((u) => u.id)));
    // Row 1 opens 2025-03-01 08:00 EST (UTC−5); row 136 opens 2025-03-10 08:00 EDT (UTC−4), after the change.
    expect(model.caseState('drill-import', 'NY-1001')?.receivedAt).toBe(Date.parse('2025-03-01T13:00:00Z'));
    expect(model.caseState('drill-import', 'NY-1136')?.receivedAt).toBe(Date.parse('2025-03-10T12:00:00Z'));
    const first = (await server.app.queries.history('drill-import', 'NY-1010'))[0]?.event;
    expect(first?.type === 'case.received' ? first.description : null).toBe(
      'Spray paint on the wall,\nnear the "Old Mill" bridge',
    );
  });

  it('then the server publishes what an import maps onto to any known token, and to no one else', async () => {
    const ok = await fetch(`${server.url}/api/v1/config/mapping`, {
      headers: { authorization: 'Bearer producer-drill-a' },
    });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { categories: string[]; streets: { id: string }[]; units: { id: string }[] };
    expect(body.categories).toEqual(CONFIG.categories);
    expect(body.streets.map((s) => s.id)).toEqual(['downtown', 'riverside', 'hillcrest', 'old-mill']);
    expect((await fetch(`${server.url}/api/v1/config/mapping`)).status).toBe(401);
    expect(
      (await fetch(`${server.url}/api/v1/config/mapping`, { headers: { authorization: 'Bearer guess' } })).status,
    ).toBe(401);
  });

  describe('when rows share an id or close before they open', () => {
    const header = MAPPING_HEADER;
    const rows = [
      'NY-1,03/07/2025 09:00:00 AM,,Open,Graffiti,Downtown,Public Works,Phone,"Lamp, broken\nsince Monday"',
      'NY-2,03/07/2025 10:00:00 AM,03/07/2025 03:30:00 PM,Closed,Pothole,Riverside,Parks Dept,Web,hole',
      'NY-1,03/07/2025 09:00:00 AM,,Open,Graffiti,Downtown,Public Works,Phone,Dup id',
      'NY-2,03/07/2025 10:00:00 AM,03/07/2025 03:30:00 PM,Closed,Pothole,Riverside,Parks Dept,Web,hole',
      'NY-3,03/09/2025 09:00:00 AM,03/01/2025 09:00:00 AM,Closed,Pothole,Riverside,Parks Dept,Web,closed before open',
    ];
    const odd = path.join(dir, 'odd.csv');
    beforeAll(() => writeFileSync(odd, [header, ...rows].join('\n') + '\n'));
    // Row 1's description spans two lines: row 3 starts on line 5.
    const conflict =
      'conflict: row 3 (line 5), Service Request ID "NY-1" is also on row 1 (line 2) with other content: Descriptor "Dup id" (row 1: "Lamp, broken\\nsince Monday"); left out';
    const repeat =
      'repeat: row 4 (line 6), Service Request ID "NY-2" is also on row 2 (line 4), exactly the same; left out';
    const skipped =
      'skipped row 5 (line 7), column "Closed Date": "03/01/2025 09:00:00 AM" is before the open time "03/09/2025 09:00:00 AM" (column "Created Date"): a case cannot close before it is received';

    it('then each is listed with the row it repeats or conflicts with, and a conflict sends nothing (exit 1)', async () => {
      const r = await cli([
        'replay',
        odd,
        '--mapping',
        mapping,
        '--config',
        config,
        '--max-skipped',
        '1',
        ...to('drill-odd'),
      ]);
      expect(r.code).toBe(1);
      const lines = r.stderr.split('\n');
      expect(lines).toContain(skipped);
      expect(lines).toContain(conflict);
      expect(lines).toContain(repeat);
      expect(lines).toContain(
        '1 row(s) have the id of an earlier row and other content (listed above): correct the file, or give --keep-first to import the first row of each id and leave the others out; nothing was sent',
      );
      expect(r.stdout).toContain(
        'Mapping report: 2 row(s) read, 1 skipped, 2 with the id of an earlier row left out (1 exact repeat(s), 1 conflicting); mapped onto',
      );
      server.app.cases.flush();
      expect(['NY-1', 'NY-2'].map((id) => server.app.cases.caseState('drill-odd', id))).toEqual([undefined, undefined]);
    });

    it('then --keep-first imports the first row of each id as given, the case closed at its own close time (exit 0)', async () => {
      const r = await cli([
        'replay',
        odd,
        '--mapping',
        mapping,
        '--config',
        config,
        '--max-skipped',
        '1',
        '--keep-first',
        ...to('drill-odd'),
      ]);
      const lines = r.stderr.split('\n');
      expect(lines).toContain(`${conflict}, row 1 imported`);
      expect(lines).toContain(repeat);
      expect(r.stdout).toMatch(/: 7 accepted, 0 duplicate, 0 rejected, 0 quarantined/);
      expect(r.code).toBe(0);
      const first = (await server.app.queries.history('drill-odd', 'NY-1'))[0]?.event;
      expect(first?.type === 'case.received' ? first.description : null).toBe('Lamp, broken\nsince Monday');
      // 15:30 EST is 20:30 UTC: the close time as the export gives it.
      const model = server.app.cases;
      model.flush();
      expect(model.caseState('drill-odd', 'NY-2')?.closedAt).toBe(Date.parse('2025-03-07T20:30:00Z'));
      expect(model.caseState('drill-odd', 'NY-3')).toBeUndefined();
    });
  });

  describe('when ids are long or have spaces, rows are ragged, or an open row has a close time', () => {
    const long = `NY-${'9'.repeat(122)}`;
    const ids = path.join(dir, 'ids.csv');
    const ragged = path.join(dir, 'ragged.csv');
    beforeAll(() => {
      writeFileSync(
        ids,
        [
          MAPPING_HEADER,
          `${long},03/07/2025 09:00:00 AM,03/07/2025 03:30:00 PM,Closed,Pothole,Riverside,Parks Dept,Web,long id`,
          'NY 7,03/07/2025 10:00:00 AM,,Open,Graffiti,Downtown,Public Works,Phone,with a space',
          'NY_7,03/07/2025 10:05:00 AM,,Open,Graffiti,Downtown,Public Works,Phone,with an underscore',
        ].join('\n') + '\n',
      );
      writeFileSync(
        ragged,
        [
          `${MAPPING_HEADER},Notes`,
          'NY-20,03/07/2025 09:00:00 AM,,Open,Pothole,Riverside,Parks Dept,Web,no notes cell',
          'NY-21,03/07/2025 09:00:00 AM,,Open,Pothole',
          'NY-22,03/07/2025 09:00:00 AM,03/07/2025 11:00:00 AM,Open,Pothole,Riverside,Parks Dept,Web,reopened?,x',
          'NY-23,03/07/2025 09:00:00 AM,,Open,Pothole,Riverside,Parks Dept,Web,fine,x',
          'NY-24,03/07/2025 09:00:00 AM,,Open,Pothole,Riverside,Parks Dept,Web,Smith, J,x',
        ].join('\n') + '\n',
      );
    });

    it('then every event of every case is accepted, an id the wall cannot hold imported under a listed short form (exit 0)', async () => {
      const r = await cli(['replay', ids, '--mapping', mapping, '--config', config, ...to('drill-ids')]);
      expect(r.stderr.split('\n')).toContain(
        'id: row 2 (line 3), Service Request ID "NY 7" has white space: imported as case "NY_7~34efbca3afa3c3ac"',
      );
      expect(r.stdout).toContain(
        'Mapping report: 3 row(s) read, 0 skipped, 1 id(s) imported under a short form (listed); mapped onto',
      );
      // 5 events of the closed case whose id is 125 characters, 2 of each open one: none answered duplicate.
      expect(r.stdout).toMatch(/: 9 accepted, 0 duplicate, 0 rejected, 0 quarantined/);
      expect(r.code).toBe(0);
      const model = server.app.cases;
      model.flush();
      expect(model.caseState('drill-ids', long)?.closedAt).toBe(Date.parse('2025-03-07T20:30:00Z'));
      expect(model.caseState('drill-ids', 'NY_7')?.receivedAt).toBe(Date.parse('2025-03-07T15:05:00Z'));
      expect(model.caseState('drill-ids', 'NY_7~34efbca3afa3c3ac')?.receivedAt).toBe(
        Date.parse('2025-03-07T15:00:00Z'),
      );
    });

    it('then --strict refuses an id it would have to shorten (exit 3)', async () => {
      const r = await cli(['replay', ids, '--mapping', mapping, '--config', config, '--strict', '--dry-run']);
      expect(r.stderr).toContain(
        'refused (--strict): 1 id(s) cannot be kept as given and would be imported under a short form (listed above). Nothing was sent.',
      );
      expect(r.code).toBe(3);
    });

    it('then a value a case cannot keep as given is listed with its row and column, and --strict refuses it (exit 3)', async () => {
      const cut = path.join(dir, 'cut.csv');
      const agency = `Department of Transportation - Bureau of Highway Operations - Brooklyn North`;
      writeFileSync(
        cut,
        [
          MAPPING_HEADER,
          `NY-30,03/07/2025 09:00:00 AM,,Open,Pothole,Riverside,${agency},Web,fine`,
          'NY-31,03/07/2025 09:00:00 AM,,Open,Pothole,Riverside,Parks Dept,Web,fine',
        ].join('\n') + '\n',
      );
      const plain = await cli(['replay', cut, '--mapping', mapping, '--config', config, '--dry-run']);
      expect(plain.stderr).toContain(
        `not kept as given: row 1 (line 2), column "Agency": "${agency}" is ${agency.length} characters (a unit name holds 64): imported as "Department of Transportation - Bureau of Highwa~`,
      );
      expect(plain.stdout).toContain('1 value(s) not kept as given (listed)');
      expect(plain.code).toBe(0);
      const strict = await cli(['replay', cut, '--mapping', mapping, '--config', config, '--strict', '--dry-run']);
      expect(strict.stderr).toContain(
        'refused (--strict): 1 value(s) cannot be kept as given (cut, shortened or left out: listed above). Nothing was sent.',
      );
      expect(strict.code).toBe(3);
    });

    it('then a row short of a mapped cell, with a cell too many, or open with a close time is unreadable and counts against --max-skipped (exit 1)', async () => {
      const r = await cli([
        'replay',
        ragged,
        '--mapping',
        mapping,
        '--config',
        config,
        '--dry-run',
        '--max-skipped',
        '1',
      ]);
      const lines = r.stderr.split('\n');
      expect(lines).toContain(
        'warning: row 1 (line 2): 9 cell(s) where the header has 10: no cell for "Notes", which the mapping does not read; read',
      );
      expect(lines).toContain(
        'skipped row 2 (line 3): 5 cell(s) where the header has 10: no cell for "Neighborhood", "Agency", "Channel", "Descriptor", which the mapping reads',
      );
      expect(lines).toContain(
        'skipped row 3 (line 4), column "Closed Date": "03/07/2025 11:00:00 AM" is a close time, but the status "Open" (column "Status") is not one of closedStatuses ("Closed"): the row says both open and closed',
      );
      expect(lines).toContain(
        'skipped row 5 (line 6): 11 cell(s) where the header has 10: which cell belongs to which column cannot be told (a comma in a cell that is not quoted, or a trailing comma the header does not have)',
      );
      expect(lines).toContain('3 row(s) could not be read (allowed: --max-skipped 1); nothing was sent');
      expect(r.stdout).toContain('Mapping report: 2 row(s) read, 3 skipped, 1 with a warning; mapped onto');
      expect(r.code).toBe(1);
    });
  });

  describe('when Open311 times carry no offset', () => {
    const o311 = path.join(dir, 'requests.json');
    beforeAll(() =>
      writeFileSync(
        o311,
        JSON.stringify([
          {
            service_request_id: 'T-1',
            status: 'open',
            service_name: 'Pothole',
            requested_datetime: '2025-03-07T09:00:00',
          },
          {
            service_request_id: 'T-2',
            status: 'closed',
            service_name: 'Pothole',
            requested_datetime: '2025-03-07T09:00:00-05:00',
            updated_datetime: '2025-03-08T09:00:00-05:00',
          },
        ]),
      ),
    );

    it("then they are read as the centre's time, whatever zone the CLI runs in, and the report says so (exit 0)", async () => {
      const r = await cli(['replay', o311, '--config', config, ...to('drill-o311tz')], { TZ: 'America/New_York' });
      expect(r.stdout).toContain(
        "  times without an offset: 1 of 3, read as Asia/Shanghai time (the default: the centre's zone; --zone to change); the others keep their own offset",
      );
      expect(r.code).toBe(0);
      server.app.cases.flush();
      expect(server.app.cases.caseState('drill-o311tz', 'T-1')?.receivedAt).toBe(Date.parse('2025-03-07T01:00:00Z'));
    });

    it('then --zone names the zone they are read in; a fixed offset, or --zone for a CSV, is refused (exit 2)', async () => {
      const r = await cli(['replay', o311, '--config', config, '--dry-run', '--zone', 'America/Chicago']);
      expect(r.stdout).toContain('  times without an offset: 1 of 3, read as America/Chicago time (--zone)');
      expect(r.code).toBe(0);
      const offset = await cli(['replay', o311, '--config', config, '--dry-run', '--zone=-06:00']);
      expect(offset.stderr).toContain('--zone must be an IANA time zone name');
      expect(offset.code).toBe(2);
      const csvZone = await cli(['replay', csv, '--mapping', mapping, '--dry-run', '--zone', 'America/Chicago']);
      expect(csvZone.stderr).toContain("--zone is for Open311 files; a CSV's zone is its mapping's time.zone");
      expect(csvZone.code).toBe(2);
    });
  });

  it('then a mapping without a time zone is refused before anything is read (exit 2)', async () => {
    const noZone = path.join(dir, 'nozone.json');
    writeFileSync(noZone, JSON.stringify({ ...MAPPING, time: { format: 'us' } }));
    const r = await cli(['replay', csv, '--mapping', noZone, ...to('drill-nozone')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('time.zone: is required');
  });
});
