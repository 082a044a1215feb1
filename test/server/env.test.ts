import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEnv } from '../../server/env';

const base = {
  CITYOPS_TOKENS: 'viewer:w4ll-0123456789abcdef,producer@demo:s3cret-0123456789ab',
  DATA_DIR: '/tmp/cityops-env-test',
};

describe('when the server reads its environment', () => {
  it('then it takes port, tokens and the Open311 space, with live as the default space', () => {
    const env = readEnv({ ...base, PORT: '9123' });
    expect(env.port).toBe(9123);
    expect(env.open311Space).toBe('live');
    expect(env.tokens).toEqual([
      { role: 'viewer', space: null, token: 'w4ll-0123456789abcdef' },
      { role: 'producer', space: 'demo', token: 's3cret-0123456789ab' },
    ]);
    expect(readEnv({ ...base, OPEN311_SPACE: 'drill-open311' }).open311Space).toBe('drill-open311');
  });

  it('then a bad value is refused with the variable named', () => {
    expect(() => readEnv({ ...base, OPEN311_SPACE: 'Live!' })).toThrow(
      'OPEN311_SPACE "Live!" must be live, demo or drill-<name>',
    );
    expect(() => readEnv({ ...base, PORT: '70000' })).toThrow('PORT "70000" is not a port number');
    expect(() => readEnv({ ...base, CITYOPS_TOKENS: 'boss:xyz1-0123456789abcdef' })).toThrow('unknown role "boss"');
    expect(() => readEnv({ ...base, CASE_SNAPSHOT_MINUTES: 'hourly' })).toThrow(
      'CASE_SNAPSHOT_MINUTES "hourly" must be a number of minutes ≥ 0',
    );
    expect(() => readEnv({ ...base, CASE_SNAPSHOT_MINUTES: '-5' })).toThrow('CASE_SNAPSHOT_MINUTES "-5"');
  });

  it('then snapshots of the case read model are written at most every 10 minutes unless told, and 0 turns them off', () => {
    expect(readEnv(base).caseSnapshotMinutes).toBe(10);
    expect(readEnv({ ...base, CASE_SNAPSHOT_MINUTES: '2.5' }).caseSnapshotMinutes).toBe(2.5);
    expect(readEnv({ ...base, CASE_SNAPSHOT_MINUTES: '0' }).caseSnapshotMinutes).toBe(0);
  });
});

describe('when the configuration scores units on an indicator that does not exist', () => {
  it('then the start fails naming the file, the field and the valid indicators', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'cityops-env-')), 'cityops.json');
    writeFileSync(
      file,
      JSON.stringify({ scoring: [{ id: 'ontime', label: '按时办结率', kind: 'positive', weight: 100, target: 1 }] }),
    );
    expect(() => readEnv({ ...base, CITYOPS_CONFIG: file })).toThrow(
      `CITYOPS_CONFIG ${file}: scoring.0.id: "ontime" is not a case indicator; one of dispatchRate,`,
    );
  });
});

describe('when the configuration names two webhooks alike, or a webhook space that is not a space name', () => {
  it('then the start fails naming the field and why', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'cityops-env-')), 'cityops.json');
    const hook = (name: string, spaces?: string[]) => ({ name, url: 'https://hooks.example.org/x', spaces });
    writeFileSync(file, JSON.stringify({ duty: { webhooks: [hook('值班群'), hook('值班群')] } }));
    expect(() => readEnv({ ...base, CITYOPS_CONFIG: file })).toThrow('webhook names must differ');
    writeFileSync(file, JSON.stringify({ duty: { webhooks: [hook('值班群', ['Live'])] } }));
    expect(() => readEnv({ ...base, CITYOPS_CONFIG: file })).toThrow('duty.webhooks.0.spaces.0');
  });
});
