import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { projectionContext } from '../../server/app';
import { DEFAULT_CONFIG } from '@shared/config';
import { validateEvent, type DomainEventInput } from '@shared/events';
import { applyEvent } from '@shared/projection/apply';
import { createProjection } from '@shared/projection/state';
import { csvRecords, parseCsv, parseCsvMapping, parseTime } from '../../simulators/sources/csv';
import { open311Records } from '../../simulators/sources/open311';
import { caseIdOf, describeRenamed, eventIdOf, idProblem } from '../../simulators/sources/caseIds';
import { recordsToEvents } from '../../simulators/sources/records';
import { describeTimes } from '../../simulators/sources/report';
import { describeSameId } from '../../simulators/sources/sameId';

function fold(events: DomainEventInput[]) {
  const p = createProjection('drill-src', projectionContext(DEFAULT_CONFIG));
  const problems: string[] = [];
  for (const e of events) {
    const v = validateEvent(e);
    if (!v.ok) {
      problems.push(`${e.eventId}: ${JSON.stringify(v.errors)}`);
      continue;
    }
    const r = applyEvent(p, v.event);
    if (r) problems.push(r);
  }
  return { p, problems };
}

/** The columns most test exports share: id, open and close times, status, category. */
const CORE_COLUMNS = { id: 'Case ID', openedAt: 'Opened', closedAt: 'Closed', status: 'Status', category: 'Type' };

describe('when CSV text is parsed', () => {
  it('then quoted fields, doubled quotes, commas, CR LF and a BOM are handled', () => {
    expect(parseCsv('\ufeffa,b,c\r\n1,"x, ""y""",3\n"multi\nline",,\n')).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x, "y"', '3'],
      ['multi\nline', '', ''],
    ]);
  });

  it('then times parse in each format, in the mapping zone when they carry none', () => {
    const t = (format: 'iso' | 'us' | 'epoch_ms' | 'epoch_s', v: string) =>
      parseTime(v, { format, zone: 'Asia/Shanghai' });
    expect(t('iso', '2026/11/23 09:05:00')).toBe(Date.parse('2026-11-23T09:05:00+08:00'));
    expect(t('iso', '2026-11-23T01:05:00Z')).toBe(Date.parse('2026-11-23T01:05:00Z'));
    expect(t('us', '11/23/2026 01:05:00 PM')).toBe(Date.parse('2026-11-23T13:05:00+08:00'));
    expect(t('us', '11/23/2026 12:30:00 AM')).toBe(Date.parse('2026-11-23T00:30:00+08:00'));
    expect(t('epoch_s', '1700000000')).toBe(1_700_000_000_000);
    expect(Number.isNaN(t('iso', 'yesterday'))).toBe(true);
  });
});

describe('when a CSV export is read through a column mapping', () => {
  const csv = [
    'Case ID,Opened,Closed,Status,Type,Neighborhood,Agency,Source,Details',
    'SR-1,11/23/2026 09:00:00 AM,11/23/2026 03:30:00 PM,Closed,Street Cleaning,关山,DPW,Phone,"Garbage, near the gate"',
    'SR-2,11/23/2026 09:10:00 AM,,Open,Noise,梨园街道,Police,Web,Loud music',
    'SR-3,not a date,,Open,Noise,梨园,Police,Web,x',
    'SR 4,11/23/2026 10:00:00 AM,11/23/2026 10:20:00 AM,Closed,Other,nowhere,,Phone,answered on the call',
  ].join('\n');
  const mapping = parseCsvMapping(
    {
      columns: {
        ...CORE_COLUMNS,
        street: 'Neighborhood',
        unit: 'Agency',
        channel: 'Source',
        description: 'Details',
      },
      values: {
        category: { 'Street Cleaning': '市容环卫', Noise: '噪音扰民' },
        channel: { Phone: 'hotline', Web: 'message_board' },
      },
      time: { format: 'us', zone: 'Asia/Shanghai' },
    },
    'map.json',
  );

  it('then rows become requests with mapped values, and unreadable rows are reported by line', () => {
    const { records, errors } = csvRecords(csv, mapping);
    expect(errors).toEqual([
      {
        record: 3,
        line: 4,
        column: 'Opened',
        message: '"not a date" is not a time (us: MM/DD/YYYY[ hh:mm[:ss] [AM|PM]])',
      },
    ]);
    expect(records.map((r) => [r.id, r.category, r.street, r.channel, r.unit ?? null, r.closedAt !== null])).toEqual([
      ['SR-1', '市容环卫', 'guanshan', 'hotline', 'DPW', true],
      ['SR-2', '噪音扰民', 'liyuan', 'message_board', 'Police', false],
      ['SR 4', '其他', 'unknown', 'hotline', null, true],
    ]);
  });

  it('then their lifecycles are valid, time-ordered and accepted by the reducers', () => {
    const events = recordsToEvents(csvRecords(csv, mapping).records, 'csv');
    expect(events.every((e, i) => i === 0 || (events[i - 1]?.ts ?? 0) <= e.ts)).toBe(true);
    const { p, problems } = fold(events);
    expect(problems).toEqual([]);
    expect(p.cases.get('SR-1')?.stage).toBe('closed');
    expect(p.cases.get('SR-2')?.stage).toBe('dispatched');
    // "SR 4" has a space, which an id cannot hold: its case id is a short form (listed by the CLI).
    expect(p.cases.get('SR_4~a51eedcfbe847389')?.stage).toBe('closed');
  });

  it('then a mapping naming a missing column is refused with the header', () => {
    const bad = parseCsvMapping(
      { columns: { id: 'Case ID', openedAt: 'Created' }, time: { zone: 'Asia/Shanghai' } },
      'bad.json',
    );
    expect(() => csvRecords(csv, bad)).toThrow(/columns.openedAt names column "Created".*it has: Case ID, Opened/);
    expect(() => parseCsvMapping({ columns: { id: 'x' } }, 'm.json')).toThrow(/m\.json is not a valid column mapping/);
  });
});

describe('when rows of a CSV export share an id', () => {
  const mapping = parseCsvMapping(
    {
      columns: { id: 'Case ID', openedAt: 'Opened', closedAt: 'Closed', category: 'Type', title: 'Title' },
      time: { format: 'iso', zone: 'Asia/Shanghai' },
    },
    'map.json',
  );
  const csv = [
    'Case ID,Opened,Closed,Type,Title,Note',
    'A-1,2026-11-23 09:00,,市容环卫,"垃圾未清运,\n门口",first',
    'A_2,2026-11-23 09:10,,市容环卫,路灯不亮,',
    'A-1,2026-11-23 09:00,,市容环卫,"垃圾未清运,\n门口",first',
    'A-1,2026-11-23 09:30,2026-11-23 10:00,噪音扰民,夜间施工,second',
    'A 2,2026-11-23 09:10,,市容环卫,路灯不亮,',
    'A-3,2026-11-23 09:40,,市容环卫,井盖缺失,',
  ].join('\n');

  it('then the first row of each id is read, and every later one is listed: an exact repeat, or the cells that conflict', () => {
    // Rows 1 and 3 hold a title on two lines: row 2 starts on line 4, row 4 on line 7.
    const { records, errors, sameId, renamed, report } = csvRecords(csv, mapping);
    expect(errors).toEqual([]);
    expect(records.map((r) => [r.id, r.title])).toEqual([
      ['A-1', '垃圾未清运,\n门口'],
      ['A_2', '路灯不亮'],
      ['A 2', '路灯不亮'],
      ['A-3', '井盖缺失'],
    ]);
    expect(report.rows).toBe(4);
    expect(sameId).toEqual([
      { record: 3, line: 5, id: 'A-1', caseId: 'A-1', first: { record: 1, line: 2, id: 'A-1' }, differences: [] },
      {
        record: 4,
        line: 7,
        id: 'A-1',
        caseId: 'A-1',
        first: { record: 1, line: 2, id: 'A-1' },
        differences: [
          { column: 'Opened', value: '2026-11-23 09:30', first: '2026-11-23 09:00' },
          { column: 'Closed', value: '2026-11-23 10:00', first: '' },
          { column: 'Type', value: '噪音扰民', first: '市容环卫' },
          { column: 'Title', value: '夜间施工', first: '垃圾未清运,\n门口' },
          { column: 'Note', value: 'second', first: 'first' },
        ],
      },
    ]);
    // "A 2" and "A_2" are two ids as given, so two cases: "A 2" (an id has no spaces) under a short form, listed.
    expect(renamed).toEqual([
      { record: 5, line: 8, id: 'A 2', caseId: 'A_2~afc61fe7d3da2261', reason: 'has white space' },
    ]);
    const { p, problems } = fold(recordsToEvents(records, 'csv'));
    expect(problems).toEqual([]);
    expect([...p.cases.keys()].sort()).toEqual(['A-1', 'A-3', 'A_2', 'A_2~afc61fe7d3da2261']);
  });

  it('then each later row is described with its row, line, id, the row it repeats or conflicts with and what was done', () => {
    const [repeat, conflict] = csvRecords(csv, mapping).sameId;
    expect(describeSameId(repeat!, 'row', 'Case ID', true)).toBe(
      'repeat: row 3 (line 5), Case ID "A-1" is also on row 1 (line 2), exactly the same; left out',
    );
    expect(describeSameId(conflict!, 'row', 'Case ID', false)).toBe(
      'conflict: row 4 (line 7), Case ID "A-1" is also on row 1 (line 2) with other content: Opened "2026-11-23 09:30" (row 1: "2026-11-23 09:00"), Closed "2026-11-23 10:00" (row 1: ""), Type "噪音扰民" (row 1: "市容环卫"), Title "夜间施工" (row 1: "垃圾未清运,\\n门口"), … 1 more column(s); left out',
    );
    expect(describeSameId(conflict!, 'row', 'Case ID', true)).toMatch(/; left out, row 1 imported$/);
  });
});

describe('when an export closes a case before it opens it, says closed without a time, or gives a close time to an open case', () => {
  const at = (hhmm: string) => Date.parse(`2026-11-23T${hhmm}:00+08:00`);
  const mapping = (columns: Record<string, string>) =>
    parseCsvMapping(
      { columns, closedStatuses: ['Closed'], time: { format: 'iso', zone: 'Asia/Shanghai' } },
      'map.json',
    );
  const columns = { id: 'ID', openedAt: 'Opened', closedAt: 'Closed', status: 'Status', unit: 'Unit' };
  const csv = [
    'ID,Opened,Closed,Status,Unit',
    'B-1,2026-11-23 09:00,2026-11-23 08:00,Closed,DPW',
    'B-2,2026-11-23 09:00,,Closed,DPW',
    'B-3,2026-11-23 09:00,2026-11-23 09:00,Closed,',
    'B-4,2026-11-23 09:00,2026-11-23 09:00:30,Closed,DPW',
    'B-5,2026-11-23 09:00,2026-11-23 15:30,Closed,DPW',
    'B-6,2026-11-23 09:00,2026-11-23 08:00,Open,DPW',
    'B-8,2026-11-23 09:00,2026-11-23 11:00,Resolved,DPW',
    'B-9,2026-11-23 09:00,2026-11-23 11:00,,DPW',
    'B-10,2026-11-23 09:00,,Open,DPW',
  ].join('\n');

  it('then the row is refused, naming the row, the column and why; nothing is moved to another time', () => {
    const { records, errors } = csvRecords(csv, mapping(columns));
    expect(errors).toEqual([
      {
        record: 1,
        line: 2,
        column: 'Closed',
        message:
          '"2026-11-23 08:00" is before the open time "2026-11-23 09:00" (column "Opened"): a case cannot close before it is received',
      },
      {
        record: 2,
        line: 3,
        column: 'Closed',
        message: 'the status "Closed" means closed, but there is no close time (the cell is empty)',
      },
      // A close time beside a status that is not closed: the row says both; which is right cannot be told.
      {
        record: 6,
        line: 7,
        column: 'Closed',
        message:
          '"2026-11-23 08:00" is a close time, but the status "Open" (column "Status") is not one of closedStatuses ("Closed"): the row says both open and closed',
      },
      {
        record: 7,
        line: 8,
        column: 'Closed',
        message:
          '"2026-11-23 11:00" is a close time, but the status "Resolved" (column "Status") is not one of closedStatuses ("Closed"): the row says both open and closed',
      },
    ]);
    expect(records.map((r) => [r.id, r.closedAt])).toEqual([
      ['B-3', at('09:00')],
      ['B-4', at('09:00') + 30_000],
      ['B-5', at('15:30')],
      // No status: the close time says closed.
      ['B-9', at('11:00')],
      ['B-10', null],
    ]);
    const noClose = csvRecords(
      'ID,Opened,Status\nB-7,2026-11-23 09:00,Closed',
      mapping({ id: 'ID', openedAt: 'Opened', status: 'Status' }),
    );
    expect(noClose.errors.map((e) => [e.column, e.message])).toEqual([
      ['Status', 'the status "Closed" means closed, but there is no close time (columns.closedAt is not mapped)'],
    ]);
  });

  it('then a case is closed at its close time exactly, the steps the export does not date falling between', () => {
    const events = recordsToEvents(csvRecords(csv, mapping(columns)).records, 'csv');
    const of = (caseId: string) =>
      events.filter((e) => 'caseId' in e && e.caseId === caseId).map((e) => [e.type, e.ts]);
    expect(of('B-3')).toEqual([
      ['case.received', at('09:00')],
      ['case.closed_directly', at('09:00')],
    ]);
    expect(of('B-4')).toEqual([
      ['case.received', at('09:00')],
      ['case.dispatched', at('09:00') + 30_000],
      ['case.signed', at('09:00') + 30_000],
      ['case.replied', at('09:00') + 30_000],
      ['case.closed', at('09:00') + 30_000],
    ]);
    expect(of('B-5')).toEqual([
      ['case.received', at('09:00')],
      ['case.dispatched', at('09:01')],
      ['case.signed', at('09:02')],
      ['case.replied', at('15:30')],
      ['case.closed', at('15:30')],
    ]);
    const { p, problems } = fold(events);
    expect(problems).toEqual([]);
    expect(p.cases.get('B-4')?.closedAt).toBe(at('09:00') + 30_000);
    expect(p.cases.get('B-5')?.closedAt).toBe(at('15:30'));
  });

  it('then an Open311 request closed before it was made, or closed with no readable update time, is refused', () => {
    const req = (id: string, over: Record<string, unknown>) => ({
      service_request_id: id,
      status: 'closed',
      service_name: '市容环卫',
      requested_datetime: '2026-11-20T10:00:00+08:00',
      ...over,
    });
    const { records, errors } = open311Records([
      req('o-1', { updated_datetime: '2026-11-20T09:00:00+08:00' }),
      req('o-2', {}),
      req('o-3', { updated_datetime: 'soon' }),
      req('o-4', { updated_datetime: '2026-11-20T10:00:00+08:00' }),
    ]);
    expect(errors).toEqual([
      {
        record: 1,
        column: 'updated_datetime',
        message:
          '"2026-11-20T09:00:00+08:00" is before requested_datetime "2026-11-20T10:00:00+08:00": a request cannot close before it is made',
      },
      { record: 2, column: 'updated_datetime', message: 'missing: a closed request needs the time it was closed' },
      {
        record: 3,
        column: 'updated_datetime',
        message:
          '"soon" is not a date-time (ISO 8601, e.g. 2026-11-20T09:00:00+08:00; without an offset, Asia/Shanghai time)',
      },
    ]);
    expect(records.map((r) => [r.id, r.closedAt])).toEqual([['o-4', Date.parse('2026-11-20T10:00:00+08:00')]]);
  });
});

describe('when a mapping gives local times', () => {
  it('then a mapping without a zone, or with a fixed offset, is refused with what to write', () => {
    expect(() => parseCsvMapping({ columns: { id: 'a', openedAt: 'b' } }, 'm.json')).toThrow(
      'm.json is not a valid column mapping:\n  time.zone: is required: the export\'s local times mean nothing without their zone; name it, e.g. "zone": "Asia/Shanghai" or "America/New_York" (daylight saving is followed)',
    );
    expect(() => parseCsvMapping({ columns: { id: 'a', openedAt: 'b' }, time: { zone: '-05:00' } }, 'm.json')).toThrow(
      'time.zone: "-05:00" is not an IANA time zone name such as Asia/Shanghai or America/New_York (a fixed offset cannot follow daylight saving)',
    );
    expect(() =>
      parseCsvMapping({ columns: { id: 'a', openedAt: 'b' }, time: { zone: 'America/Springfield' } }, 'm.json'),
    ).toThrow(/"America\/Springfield" is not an IANA time zone/);
    // Epoch times carry their instant: no zone needed.
    expect(
      parseCsvMapping({ columns: { id: 'a', openedAt: 'b' }, time: { format: 'epoch_s' } }, 'm.json').time,
    ).toEqual({ format: 'epoch_s' });
  });

  it('then an IANA zone follows daylight saving across the year, both formats agreeing', () => {
    const ny = (format: 'iso' | 'us', v: string) => parseTime(v, { format, zone: 'America/New_York' });
    // EST (−5) before 2025-03-09 02:00, EDT (−4) after; back to EST on 2025-11-02 02:00.
    expect(ny('us', '03/07/2025 09:00:00 AM')).toBe(Date.parse('2025-03-07T14:00:00Z'));
    expect(ny('us', '03/10/2025 09:00:00 AM')).toBe(Date.parse('2025-03-10T13:00:00Z'));
    expect(ny('iso', '2025-07-01 12:00')).toBe(Date.parse('2025-07-01T16:00:00Z'));
    expect(ny('iso', '2025-12-01 12:00')).toBe(Date.parse('2025-12-01T17:00:00Z'));
    // The skipped hour reads with the offset before it; the repeated hour is its first occurrence (EDT).
    expect(ny('iso', '2025-03-09 02:30')).toBe(Date.parse('2025-03-09T07:30:00Z'));
    expect(ny('iso', '2025-11-02 01:30')).toBe(Date.parse('2025-11-02T05:30:00Z'));
    // An explicit offset wins over the zone; impossible dates are not times.
    expect(ny('iso', '2025-07-01T12:00:00+08:00')).toBe(Date.parse('2025-07-01T04:00:00Z'));
    expect(Number.isNaN(ny('iso', '2025-02-30 10:00'))).toBe(true);
    expect(Number.isNaN(ny('us', '13/01/2025 10:00'))).toBe(true);
  });
});

describe('when an Open311 GeoReport v2 requests file is read', () => {
  const requests = [
    {
      service_request_id: '638344',
      status: 'closed',
      status_notes: 'Duplicate request.',
      service_name: 'Street Light Out',
      service_code: '006',
      description: 'Light out on the corner. Please fix.',
      agency_responsible: 'City of Chicago',
      requested_datetime: '2026-11-20T10:15:00-06:00',
      updated_datetime: '2026-11-21T09:00:00-06:00',
      address: '8TH AVE and JUDAH ST',
      lat: 37.762221815,
      long: -122.4651145,
    },
    {
      service_request_id: '638349',
      status: 'open',
      service_name: '市容环卫',
      requested_datetime: '2026-11-20T09:00:00+08:00',
      address: '洪山街道某小区',
      lat: 30.5,
      long: 114.3,
    },
    { status: 'open', requested_datetime: '2026-11-20T09:00:00+08:00' },
  ];

  it('then requests map to cases: category, street, agency, closed with its update time', () => {
    const { records, errors } = open311Records(requests);
    expect(errors).toEqual([{ record: 3, column: 'service_request_id', message: 'missing' }]);
    expect(records[0]).toMatchObject({
      id: '638344',
      category: '其他',
      street: 'unknown',
      unit: 'City of Chicago',
      title: 'Light out on the corner',
      closedAt: Date.parse('2026-11-21T09:00:00-06:00'),
      reply: 'Duplicate request.',
    });
    expect(records[1]).toMatchObject({ id: '638349', category: '市容环卫', street: 'hongshan', closedAt: null });
    const { p, problems } = fold(recordsToEvents(records, 'o311'));
    expect(problems).toEqual([]);
    expect(p.cases.get('638344')?.stage).toBe('closed');
    expect(p.cases.get('638349')?.stage).toBe('received');
  });
});

describe('when an Open311 request has a status other than open or closed, or none', () => {
  it('then it is refused with the status it had, and open or closed in any case is read', () => {
    const req = (id: string, status: unknown) => ({
      service_request_id: id,
      ...(status === undefined ? {} : { status }),
      service_name: '市容环卫',
      requested_datetime: '2026-11-20T09:00:00+08:00',
      updated_datetime: '2026-11-20T11:00:00+08:00',
    });
    const { records, errors } = open311Records([
      req('s-1', 'Closed'),
      req('s-2', ' OPEN '),
      req('s-3', 'in progress'),
      req('s-4', undefined),
      req('s-5', 'resolved'),
    ]);
    expect(errors).toEqual([
      { record: 3, column: 'status', message: '"in progress" is not a GeoReport v2 status (open or closed)' },
      { record: 4, column: 'status', message: 'missing: a request is open or closed' },
      { record: 5, column: 'status', message: '"resolved" is not a GeoReport v2 status (open or closed)' },
    ]);
    expect(records.map((r) => [r.id, r.closedAt])).toEqual([
      ['s-1', Date.parse('2026-11-20T11:00:00+08:00')],
      ['s-2', null],
    ]);
  });
});

describe('when an id is too long for an id, or has spaces', () => {
  const mapping = parseCsvMapping(
    {
      columns: { id: 'ID', openedAt: 'Opened', closedAt: 'Closed', unit: 'Unit' },
      time: { format: 'iso', zone: 'Asia/Shanghai' },
    },
    'map.json',
  );
  const long125 = `L${'x'.repeat(124)}`;
  const long130a = `${'y'.repeat(129)}a`;
  const long130b = `${'y'.repeat(129)}b`;
  const csv = [
    'ID,Opened,Closed,Unit',
    `${long125},2026-11-23 09:00,2026-11-23 11:00,DPW`,
    `${long130a},2026-11-23 09:10,2026-11-23 11:10,DPW`,
    `${long130b},2026-11-23 09:20,,DPW`,
    '"SR\t9",2026-11-23 09:30,,',
  ].join('\n');

  it('then an id of up to 128 characters is the case id, and every step of the case keeps an event id of its own', () => {
    const { records, renamed } = csvRecords(csv, mapping);
    const events = recordsToEvents(records, 'csv');
    const mine = events.filter((e) => 'caseId' in e && e.caseId === long125);
    expect(mine.map((e) => e.type)).toEqual([
      'case.received',
      'case.dispatched',
      'case.signed',
      'case.replied',
      'case.closed',
    ]);
    // `csv-<id>-<step>` would pass 128 characters: the id part is shortened, with a hash of the case id.
    expect(mine.map((e) => e.eventId)).toEqual(
      ['r', 'd', 's', 'p', 'x'].map((step) => `csv-${long125.slice(0, 105)}~2f5be427d8602d5f-${step}`),
    );
    expect(renamed.map((r) => r.id)).not.toContain(long125);
    // 2 × 5 closed, 1 × 2 dispatched, 1 received: every event id distinct and valid, none answered duplicate.
    expect(events).toHaveLength(13);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(13);
    const { p, problems } = fold(events);
    expect(problems).toEqual([]);
    expect(p.cases.get(long125)?.stage).toBe('closed');
  });

  it('then a longer id, or one with white space, becomes a short form that keeps distinct ids distinct, listed', () => {
    const { records, sameId, renamed } = csvRecords(csv, mapping);
    expect(records).toHaveLength(4);
    expect(sameId).toEqual([]);
    expect(renamed).toEqual([
      {
        record: 2,
        line: 3,
        id: long130a,
        caseId: `${'y'.repeat(111)}~c874439a45bceec0`,
        reason: 'is 130 characters long (an id holds at most 128)',
      },
      {
        record: 3,
        line: 4,
        id: long130b,
        caseId: `${'y'.repeat(111)}~90f11f6bc8b85cf9`,
        reason: 'is 130 characters long (an id holds at most 128)',
      },
      { record: 4, line: 5, id: 'SR\t9', caseId: 'SR_9~a206b5acf157c636', reason: 'has white space' },
    ]);
    expect(describeRenamed(renamed[2]!, 'row', 'ID')).toBe(
      'id: row 4 (line 5), ID "SR\\t9" has white space: imported as case "SR_9~a206b5acf157c636"',
    );
    const { p, problems } = fold(recordsToEvents(records, 'csv'));
    expect(problems).toEqual([]);
    expect(p.cases.get(renamed[0]!.caseId)?.stage).toBe('closed');
    expect(p.cases.get(renamed[1]!.caseId)?.stage).toBe('dispatched');
    expect(p.cases.get('SR_9~a206b5acf157c636')?.stage).toBe('received');
  });

  it("then an id given as another id's short form is the same case: listed as a conflict, never merged silently", () => {
    const { records, sameId } = csvRecords(
      ['ID,Opened,Closed,Unit', 'SR 4,2026-11-23 09:00,,DPW', 'SR_4~a51eedcfbe847389,2026-11-23 09:00,,DPW'].join('\n'),
      mapping,
    );
    expect(records.map((r) => r.id)).toEqual(['SR 4']);
    expect(sameId).toEqual([
      {
        record: 2,
        line: 3,
        id: 'SR_4~a51eedcfbe847389',
        caseId: 'SR_4~a51eedcfbe847389',
        first: { record: 1, line: 2, id: 'SR 4' },
        differences: [{ column: 'ID', value: 'SR_4~a51eedcfbe847389', first: 'SR 4' }],
      },
    ]);
    expect(describeSameId(sameId[0]!, 'row', 'ID', false)).toBe(
      'conflict: row 2 (line 3), ID "SR_4~a51eedcfbe847389" is also on row 1 (line 2) as "SR 4" (both are case SR_4~a51eedcfbe847389) with other content: ID "SR_4~a51eedcfbe847389" (row 1: "SR 4"); left out',
    );
  });

  it('then an id holding half of a character (an unpaired surrogate, as a JSON export can) is named and gets a short form the wall takes', () => {
    for (const id of ['SR\ud8001', 'SR\udc00', 'SR1\ud83d']) {
      expect(idProblem(id)).toBe('has half of a character (an unpaired UTF-16 surrogate)');
      const caseId = caseIdOf(id);
      expect(caseId).toMatch(/^SR[_1]*~[0-9a-f]{16}$/);
      expect(idProblem(caseId)).toBeNull();
    }
    expect(caseIdOf('SR\ud800')).not.toBe(caseIdOf('SR\udbff'));
    // A whole character outside the BMP is an id as given.
    expect(idProblem('SR\u{1F600}')).toBeNull();
  });

  it('then two requests giving one event id are refused before anything is built', () => {
    const { records } = csvRecords(csv, mapping);
    expect(() => recordsToEvents([records[0]!, records[0]!], 'csv')).toThrow(
      `requests "${long125}" and "${long125}" both give event id "${eventIdOf('csv', long125, 'r')}": one would be lost`,
    );
  });
});

describe('when a CSV row has fewer or more cells than the header', () => {
  const mapping = parseCsvMapping(
    { columns: { id: 'ID', openedAt: 'Opened', closedAt: 'Closed' }, time: { format: 'iso', zone: 'Asia/Shanghai' } },
    'map.json',
  );
  const csv = [
    'ID,Opened,Closed,Note,Extra',
    'C-1,2026-11-23 09:00,2026-11-23 10:00,n,e',
    'C-2,2026-11-23 09:00,2026-11-23 10:00',
    'C-3,2026-11-23 09:00',
    'C-4,2026-11-23 09:00,2026-11-23 10:00,"Smith, J",e,',
    'C-5,2026-11-23 09:00,,n,e',
  ].join('\n');

  it('then a row missing a cell the mapping reads, or with a cell too many, is refused with its row, line and counts', () => {
    const { records, errors, warnings } = csvRecords(csv, mapping);
    expect(errors).toEqual([
      {
        record: 3,
        line: 4,
        message: '2 cell(s) where the header has 5: no cell for "Closed", which the mapping reads',
      },
      {
        record: 4,
        line: 5,
        message:
          '6 cell(s) where the header has 5: which cell belongs to which column cannot be told (a comma in a cell that is not quoted, or a trailing comma the header does not have)',
      },
    ]);
    // A row missing only cells the mapping does not read is read, with a warning naming them.
    expect(warnings).toEqual([
      {
        record: 2,
        line: 3,
        message: '3 cell(s) where the header has 5: no cell for "Note", "Extra", which the mapping does not read; read',
      },
    ]);
    expect(records.map((r) => r.id)).toEqual(['C-1', 'C-2', 'C-5']);
  });

  it('then a quoted cell never closed is one unreadable row naming the lines it swallowed', () => {
    const { records, errors } = csvRecords(
      `${csv}\nC-6,2026-11-23 09:00,,"never closed\nC-7,2026-11-23 09:00,,n,e\n`,
      mapping,
    );
    expect(records.map((r) => r.id)).toEqual(['C-1', 'C-2', 'C-5']);
    expect(errors[2]).toEqual({
      record: 6,
      line: 7,
      message: 'a quoted cell opened on line 7 is never closed: lines 7–8, the rest of the file, were read into it',
    });
    expect(() => csvRecords('ID,"Opened\nC-1,2026-11-23 09:00', mapping)).toThrow(
      "the CSV header's quoted cell opened on line 1 is never closed",
    );
  });
});

describe('when Open311 datetimes carry no offset', () => {
  const req = (id: string, over: Record<string, unknown>) => ({
    service_request_id: id,
    status: 'open',
    service_name: '市容环卫',
    ...over,
  });
  const requests = [
    req('z-1', { requested_datetime: '2026-11-20T09:00:00' }),
    req('z-2', {
      status: 'closed',
      requested_datetime: '2026-11-20T09:00:00-06:00',
      updated_datetime: '2026-11-21 18:30:15.250',
    }),
    req('z-3', { requested_datetime: '2026-02-30T09:00:00+08:00' }),
    req('z-4', { requested_datetime: 'Fri, 20 Nov 2026 09:00:00' }),
  ];

  it("then they are the centre's time, Asia/Shanghai, whatever zone the machine runs in, and the count is reported", () => {
    const { records, errors, times } = open311Records(requests);
    expect(records.map((r) => [r.id, r.openedAt, r.closedAt])).toEqual([
      ['z-1', Date.parse('2026-11-20T09:00:00+08:00'), null],
      ['z-2', Date.parse('2026-11-20T09:00:00-06:00'), Date.parse('2026-11-21T18:30:15.250+08:00')],
    ]);
    // A day that does not exist is not rolled over to another, and only ISO 8601 is read.
    expect(errors).toEqual([
      {
        record: 3,
        column: 'requested_datetime',
        message:
          '"2026-02-30T09:00:00+08:00" is not a date-time (ISO 8601, e.g. 2026-11-20T09:00:00+08:00; without an offset, Asia/Shanghai time)',
      },
      {
        record: 4,
        column: 'requested_datetime',
        message:
          '"Fri, 20 Nov 2026 09:00:00" is not a date-time (ISO 8601, e.g. 2026-11-20T09:00:00+08:00; without an offset, Asia/Shanghai time)',
      },
    ]);
    expect(times).toEqual({
      zone: 'Asia/Shanghai',
      via: "the default: the centre's zone; --zone to change",
      total: 3,
      zoned: 2,
    });
    expect(describeTimes(times)).toBe(
      "  times without an offset: 2 of 3, read as Asia/Shanghai time (the default: the centre's zone; --zone to change); the others keep their own offset",
    );
  });

  it('then a zone given reads them as that zone’s time, daylight saving included', () => {
    const { records, times } = open311Records(requests, { zone: 'America/Chicago' });
    expect(records[0]?.openedAt).toBe(Date.parse('2026-11-20T09:00:00-06:00'));
    expect(records[1]?.closedAt).toBe(Date.parse('2026-11-21T18:30:15.250-06:00'));
    expect(
      open311Records([req('z-5', { requested_datetime: '2026-07-01T09:00' })], { zone: 'America/Chicago' }).records[0]
        ?.openedAt,
    ).toBe(Date.parse('2026-07-01T09:00:00-05:00'));
    expect(times.via).toBe('--zone');
  });
});

describe('when the shipped example column mapping is read', () => {
  it('then it validates', () => {
    const m = parseCsvMapping(
      JSON.parse(readFileSync('simulators/sources/mapping.example.json', 'utf8')),
      'mapping.example.json',
    );
    expect(m.columns.openedAt).toBe('Opened');
    expect(m.time).toEqual({ format: 'us', zone: 'America/Los_Angeles' });
  });
});

describe('when an export holds values a case cannot keep as they are', () => {
  const bureau = 'Department of Transportation - Bureau of Highway Operations - Brooklyn';
  const mapping = parseCsvMapping(
    {
      columns: {
        ...CORE_COLUMNS,
        unit: 'Agency',
        description: 'Details',
        address: 'Address',
        reply: 'Resolution',
        lat: 'Latitude',
        lng: 'Longitude',
      },
      time: { format: 'iso', zone: 'Asia/Shanghai' },
    },
    'map.json',
  );
  const row = (cells: readonly string[]) => cells.map((c) => `"${c.replaceAll('"', '""')}"`).join(',');
  const header = 'Case ID,Opened,Closed,Status,Type,Agency,Details,Address,Resolution,Latitude,Longitude';
  const opened = '2026-11-23T09:00:00';
  const closed = '2026-11-23T15:00:00';

  it('then two long agency names that begin alike stay two units, each listed with the short form it became', () => {
    const csv = [
      header,
      row(['SR-1', opened, closed, 'Closed', 'Other', `${bureau} North`, 'x', '', 'done', '', '']),
      row(['SR-2', opened, closed, 'Closed', 'Other', `${bureau} South`, 'x', '', 'done', '', '']),
    ].join('\n');
    const { records, altered, report } = csvRecords(csv, mapping);
    const events = recordsToEvents(records, 'csv');
    const units = events.flatMap((e) => (e.type === 'case.dispatched' ? [e.unit] : []));
    expect(new Set(units).size).toBe(2);
    for (const u of units) {
      expect(u.length).toBeLessThanOrEqual(64);
      expect(u.startsWith('Department of Transportation - Bureau of Highwa')).toBe(true);
    }
    expect(altered.map((a) => [a.record, a.column])).toEqual([
      [1, 'Agency'],
      [2, 'Agency'],
    ]);
    expect(altered[0]?.message).toContain(`is ${bureau.length + 6} characters (a unit name holds 64): imported as`);
    expect(report.fields.unit.map((e) => [e.target, e.fallback])).toEqual(
      units.map((u) => [u, 'not a configured unit, longer than a unit name holds: kept as a short form']),
    );
    expect(fold(events).problems).toEqual([]);
  });

  it('then texts longer than their field are cut at a whole character and listed, and coordinates that are not ones are listed and left out', () => {
    // Over the limit by two: an emoji (two UTF-16 units) straddles it.
    const long = (max: number) => `${'长'.repeat(max - 1)}😀长`;
    const csv = [
      header,
      row(['SR-3', opened, closed, 'Closed', 'Other', 'DPW', long(4000), long(300), long(4000), "31°12'N", '181']),
      row(['SR-4', opened, '', 'Open', 'Other', '', 'pipe burst \ud83d', '', '', '95', 'x']),
      row(['SR-5', opened, '', 'Open', 'Other', '', 'ok', '', '', '30.52', '114.4']),
    ].join('\n');
    const { records, altered, errors } = csvRecords(csv, mapping);
    expect(errors).toEqual([]);
    expect(altered.map((a) => `${a.record} ${a.column}: ${a.message}`)).toEqual([
      `1 Latitude: "31°12'N" is not a latitude (a decimal number from -90 to 90): left out`,
      '1 Longitude: "181" is not a longitude (a decimal number from -180 to 180): left out',
      '1 Details: 4002 characters; the case keeps the first 4000',
      '1 Address: 302 characters; the case keeps the first 300',
      '1 Resolution: 4002 characters; the case keeps the first 4000',
      '2 Latitude: "95" is not a latitude (a decimal number from -90 to 90): left out',
      '2 Longitude: "x" is not a longitude (a decimal number from -180 to 180): left out',
      // The title is the description's first words: it holds the half too.
      '2 Details: holds half of a character (an unpaired UTF-16 surrogate): the half is kept as U+FFFD (�)',
      '2 Details: holds half of a character (an unpaired UTF-16 surrogate): the half is kept as U+FFFD (�)',
    ]);
    const [a, b, c] = records;
    // Cut before the emoji's two halves, never between them.
    expect(a?.description).toBe('长'.repeat(3999));
    expect(a?.address).toBe('长'.repeat(299));
    expect(a?.lat).toBeUndefined();
    expect(b?.description).toBe('pipe burst \ufffd');
    expect([c?.lat, c?.lng]).toEqual([30.52, 114.4]);
    const events = recordsToEvents(records, 'csv');
    expect(events.map((e) => validateEvent(e).ok)).toEqual(events.map(() => true));
  });

  it('then a title taken from a description is cut before an emoji that straddles its end, with nothing to say', () => {
    const csv = [
      header,
      row(['SR-8', opened, '', 'Open', 'Other', '', `${'路'.repeat(59)}😀灯不亮`, '', '', '', '']),
    ].join('\n');
    const { records, altered } = csvRecords(csv, mapping);
    expect(altered).toEqual([]);
    expect(records[0]?.title).toBe('路'.repeat(59));
    const open311 = open311Records([
      {
        service_request_id: 'e1',
        status: 'open',
        service_name: '市容环卫',
        requested_datetime: '2026-11-20T09:00:00+08:00',
        description: `${'路'.repeat(59)}😀灯不亮`,
      },
    ]);
    expect(open311.altered).toEqual([]);
    expect(open311.records[0]?.title).toBe('路'.repeat(59));
  });

  it('then a time the event log does not take refuses the row (never a case half imported), naming the column', () => {
    const csv = [
      header,
      row(['SR-6', opened, '2150-01-01T10:00:00', 'Closed', 'Other', 'DPW', 'x', '', '', '', '']),
      row(['SR-7', '1999-12-31T23:00:00', '', 'Open', 'Other', '', 'x', '', '', '', '']),
    ].join('\n');
    const { records, errors } = csvRecords(csv, mapping);
    expect(records).toEqual([]);
    expect(errors.map((e) => [e.record, e.column])).toEqual([
      [1, 'Closed'],
      [2, 'Opened'],
    ]);
    expect(errors[0]?.message).toBe(
      '"2150-01-01T10:00:00" is outside the times the event log takes (2000-01-01T00:00:00.000Z to 2100-01-01T00:00:00.000Z)',
    );
  });

  it('then an Open311 file says the same of its agency, coordinates, texts and times, by GeoReport field', () => {
    const base = { status: 'open', service_name: '市容环卫', requested_datetime: '2026-11-20T09:00:00+08:00' };
    const { records, altered, errors } = open311Records([
      { ...base, service_request_id: 'a', agency_responsible: `${bureau} North`, lat: 95, long: 1e3 },
      { ...base, service_request_id: 'b', description: 'd'.repeat(4001) },
      { ...base, service_request_id: 'c', requested_datetime: '2150-01-01T00:00:00Z' },
    ]);
    expect(records.map((r) => r.id)).toEqual(['a', 'b']);
    expect(errors.map((e) => [e.record, e.column])).toEqual([[3, 'requested_datetime']]);
    expect(altered.map((a) => [a.record, a.column])).toEqual([
      [1, 'lat'],
      [1, 'long'],
      [1, 'agency_responsible'],
      [2, 'description'],
    ]);
    expect(records[0]?.unit?.length).toBeLessThanOrEqual(64);
  });
});
