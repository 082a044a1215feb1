import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig } from '@shared/config';
import { buildWallView } from '@shared/projection/view';
import { PANEL_KEYS, panelThresholds, WALL_ELEMENTS } from '@shared/wall/registry';
import { T0 } from '../../fixtures/events';
import { newProjection } from '../../fixtures/projection';

const meta = { spaceKind: 'live' as const, clockRate: 1 };
/** The view's own fields, beside its panels. */
const VIEW_FIELDS = [
  'space',
  'spaceKind',
  'clockRate',
  'centreName',
  'now',
  'day',
  'lastEventAt',
  'alerts',
  'alertsMax',
  'setup',
];

describe('when a view is built', () => {
  it('then its panels are exactly the registered ones, in the registry order deltas use', () => {
    const view = buildWallView(newProjection(), T0, meta);
    expect(Object.keys(view).filter((k) => !VIEW_FIELDS.includes(k))).toEqual([...PANEL_KEYS]);
    expect(PANEL_KEYS).toEqual([
      'header',
      'hotline',
      'agentLoad',
      'caseFlow',
      'overdue',
      'trend',
      'duty',
      'kpi',
      'links',
      'map',
      'ranking',
      'satisfaction',
      'channels',
      'categories',
      'roster',
      'staffing',
    ]);
  });

  it('then the page draws every panel and the ticker in its own element, the KPI row inside the case flow', () => {
    expect([...WALL_ELEMENTS].sort()).toEqual([
      'agent-load',
      'alerts',
      'case-flow',
      'categories',
      'channels',
      'duty',
      'header',
      'hotline',
      'links',
      'map',
      'overdue',
      'ranking',
      'roster',
      'satisfaction',
      'staffing',
      'trend',
    ]);
  });
});

describe('when the configuration does not set the panel thresholds', () => {
  it('then the setup carries the defaults: wait 15/60 s, queue 3/10 calls, staffing short by 2 still amber', () => {
    const setup = buildWallView(newProjection(), T0, meta).setup;
    expect(setup.panels).toEqual({
      hotline: { waitSec: { warn: 15, bad: 60 }, waiting: { warn: 3, bad: 10 } },
      staffing: { shortWarnMax: 2 },
    });
  });
});

describe('when a configuration file sets a panel threshold', () => {
  it('then that threshold changes and the others keep their defaults', () => {
    const config = mergeConfig(DEFAULT_CONFIG, { panelThresholds: { hotline: { waitSec: { warn: 20, bad: 90 } } } });
    expect(panelThresholds(config)).toEqual({
      hotline: { waitSec: { warn: 20, bad: 90 }, waiting: { warn: 3, bad: 10 } },
      staffing: { shortWarnMax: 2 },
    });
  });

  it('then amber above red, a negative count or an unknown panel is refused', () => {
    expect(() =>
      mergeConfig(DEFAULT_CONFIG, { panelThresholds: { hotline: { waiting: { warn: 12, bad: 10 } } } }),
    ).toThrow(/warn must not exceed bad/);
    expect(() => mergeConfig(DEFAULT_CONFIG, { panelThresholds: { staffing: { shortWarnMax: -1 } } })).toThrow();
    expect(() => mergeConfig(DEFAULT_CONFIG, { panelThresholds: { trend: {} } })).toThrow();
  });
});
