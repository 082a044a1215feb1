import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { projectionContext } from '../../server/app';
import { DEFAULT_CONFIG } from '@shared/config';
import { validateEvent, type DomainEventInput } from '@shared/events';
import { applyEvent } from '@shared/projection/apply';
import { createProjection } from '@shared/projection/state';
import { csvRecords, parseCsv, parseCsvMapping, parseTime } from '../../simulators/sources/csv';
import { open311Records } from '../../simulators/sources/open311';
import { recordsToEvents } from '../../simulators/sources/records';

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
        id: 'Case ID',
        openedAt: 'Opened',
        closedAt: 'Closed',
        status: 'Status',
        category: 'Type',
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
    expect(p.cases.get('SR_4')?.stage).toBe('closed');
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
