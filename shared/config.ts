/**
 * The product's configuration: the district, its units and categories, working time, limits, thresholds and weights.
 * Defaults describe Hongshan District (Wuhan); a config file (CITYOPS_CONFIG) overrides any part of it.
 */
import { z } from 'zod';
import { DEFAULT_SLA_RULES, slaRulesSchema } from './sla/rules';
import { CASE_KPI_IDS } from './kpi/rates';
import { DEFAULT_MIN_JUDGED_SHARE, DEFAULT_UNIT_INDICATORS } from './kpi/scoring';
import { holidayOverridesSchema } from './sla/schedule';
import { DEFAULT_DUTY_CONFIG, dutyConfigSchema } from './duty/config';

const street = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  col: z.number().int().min(0).max(20),
  row: z.number().int().min(0).max(20),
  lowLying: z.boolean().default(false),
});
const unit = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  kind: z.enum(['street', 'department', 'company']),
  categories: z.array(z.string()).default([]),
});
const indicator = z.strictObject({
  id: z.string().refine((id) => (CASE_KPI_IDS as readonly string[]).includes(id), {
    error: (iss) => `"${String(iss.input)}" is not a case indicator; one of ${CASE_KPI_IDS.join(', ')}`,
  }),
  label: z.string(),
  kind: z.enum(['positive', 'negative', 'qualitative']),
  weight: z.number().min(0),
  target: z.number().min(0),
});
const fraction = z.number().min(0).max(1);
/** Amber above `warn`, red above `bad`. */
const band = z
  .strictObject({ warn: z.number().min(0), bad: z.number().min(0) })
  .refine((b) => b.warn <= b.bad, { error: 'warn must not exceed bad' });

/** Default wall panel thresholds: the hotline's longest wait 15/60 s and 3/10 calls waiting; staffing amber while short by up to 2 agents. */
export const DEFAULT_PANEL_THRESHOLDS = {
  hotline: { waitSec: { warn: 15, bad: 60 }, waiting: { warn: 3, bad: 10 } },
  staffing: { shortWarnMax: 2 },
};

/** Schema of a complete configuration. */
export const configSchema = z.strictObject({
  centre: z.strictObject({ name: z.string().min(1), district: z.string().min(1) }),
  streets: z.array(street).min(1).max(60),
  units: z.array(unit).min(1).max(200),
  categories: z.array(z.string().min(1)).min(1).max(100),
  workingHours: z.array(z.string().regex(/^\d{2}:\d{2}-\d{2}:\d{2}$/, 'must be HH:MM-HH:MM')).min(1),
  /** Extra days off and on, and whole years' official 放假调休 schedules (`years`), which extend the calendar's coverage. */
  holidays: holidayOverridesSchema,
  sla: slaRulesSchema,
  /** Fractions of allowed time: warn the unit, then at risk; overdue at 1. */
  clock: z.strictObject({ warn: fraction, atRisk: fraction }),
  /** 人均日接警件数 band, cases per agent per day. */
  loadBand: z.strictObject({ min: z.number().min(0), max: z.number().min(0) }),
  /** Targets as fractions. */
  targets: z.strictObject({
    answerRate: fraction,
    serviceLevel15: fraction,
    satisfaction: fraction,
    presence: fraction,
  }),
  /** Colours with one meaning everywhere: good, warning, bad, and neutral. */
  colours: z.strictObject({ good: z.string(), warn: z.string(), bad: z.string(), neutral: z.string() }),
  /** Colour thresholds: amber band below a rate's target; shares of the maximum score for green and amber; most overdue cases (a street's, a unit's) still amber. */
  thresholds: z
    .strictObject({
      rateWarnBand: fraction,
      scoreGood: fraction,
      scoreWarn: fraction,
      overdueWarnMax: z.number().int().min(0),
    })
    .default({ rateWarnBand: 0.05, scoreGood: 0.9, scoreWarn: 0.8, overdueWarnMax: 2 }),
  /**
   * Wall panels' own colour thresholds: the hotline's longest wait (s) and calls waiting are amber above `warn` and red
   * above `bad`; the staffing check is amber while short by at most `shortWarnMax` agents, red when shorter.
   */
  panelThresholds: z
    .strictObject({
      hotline: z.strictObject({ waitSec: band, waiting: band }),
      staffing: z.strictObject({ shortWarnMax: z.number().int().min(0).max(1000) }),
    })
    .default(DEFAULT_PANEL_THRESHOLDS),
  /** Erlang C staffing check: service-level goal, its answer time (s), the arrival window (min), the AHT before any call is handled (s). */
  staffing: z
    .strictObject({
      level: fraction,
      targetSec: z.number().min(1).max(600),
      windowMin: z.number().int().min(5).max(240),
      defaultAhtSec: z.number().min(1).max(7200),
    })
    .default({ level: 0.95, targetSec: 15, windowMin: 30, defaultAhtSec: 300 }),
  /** A link with no heartbeat for this long is down, seconds. */
  linkTimeoutSec: z.number().int().min(5).max(3600),
  /** Wall screens: silent this long (s) → stale and an alert in its space; slow under `slowFps`; stale data past `staleDataSec`. */
  walls: z
    .strictObject({
      silentSec: z.number().int().min(10).max(86_400),
      slowFps: z.number().min(0).max(120),
      staleDataSec: z.number().int().min(5).max(86_400),
    })
    .default({ silentSec: 60, slowFps: 10, staleDataSec: 30 }),
  /** Minutes after a shift starts before a missing handover is late. */
  handoverGraceMin: z.number().int().min(0).max(240),
  /** Most alerts kept on the wall's ticker. */
  alertsMax: z.number().int().min(5).max(500),
  scoring: z.array(indicator).min(1),
  /**
   * Clock skew allowed, seconds: `futureSec` past the server's clock for `live` (and past a drill's scenario window for a
   * drill) before an event is refused as dated in the future; `stepSec` that a case's step may be dated before the step
   * before it (a unit's slow clock) and still be accepted.
   */
  timeSkew: z
    .strictObject({ futureSec: z.number().int().min(0).max(86_400), stepSec: z.number().int().min(0).max(3_600) })
    .default({ futureSec: 300, stepSec: 120 }),
  /** Least share of the scoring weight a unit's judged indicators must carry to be scored; below it the unit is 数据不足. */
  scoringMinJudged: fraction.default(DEFAULT_MIN_JUDGED_SHARE),
  /** Open311 `jurisdiction_id` this server answers for; a request naming another is refused (unset: every value is accepted). */
  open311Jurisdiction: z.string().min(1).max(64).optional(),
  /** The duty desk: which alerts open an item, each kind's limits, the escalation levels. */
  duty: dutyConfigSchema.default(DEFAULT_DUTY_CONFIG),
  /** Optional GeoJSON boundary file for the map (replaces the tile map). */
  geojson: z.string().optional(),
});

/** A complete configuration. */
export type CityopsConfig = z.output<typeof configSchema>;
/** A street of the district with its place on the schematic tile map (column, row). */
export type StreetConfig = CityopsConfig['streets'][number];
/** A handling unit (承办单位). */
export type UnitConfig = CityopsConfig['units'][number];

const STREETS: StreetConfig[] = [
  { id: 'luonan', name: '珞南街道', col: 1, row: 1, lowLying: false },
  { id: 'guanshan', name: '关山街道', col: 2, row: 2, lowLying: false },
  { id: 'shizishan', name: '狮子山街道', col: 0, row: 1, lowLying: true },
  { id: 'zhangjiawan', name: '张家湾街道', col: 0, row: 3, lowLying: true },
  { id: 'liyuan', name: '梨园街道', col: 2, row: 0, lowLying: true },
  { id: 'zhuodaoquan', name: '卓刀泉街道', col: 1, row: 2, lowLying: false },
  { id: 'hongshan', name: '洪山街道', col: 1, row: 3, lowLying: false },
  { id: 'heping', name: '和平街道', col: 3, row: 0, lowLying: false },
  { id: 'qingling', name: '青菱街道', col: 0, row: 4, lowLying: true },
  { id: 'tianxing', name: '天兴乡', col: 3, row: 1, lowLying: true },
];

const CATEGORIES = [
  '市容环卫',
  '市政设施',
  '园林绿化',
  '交通出行',
  '噪音扰民',
  '物业管理',
  '供水供电供气',
  '房屋建设',
  '环境保护',
  '劳动社保',
  '市场监管',
  '治安消防',
  '其他',
];

const DEPARTMENTS: UnitConfig[] = [
  { id: 'cgzf', name: '区城管执法局', kind: 'department', categories: ['市容环卫', '市政设施', '噪音扰民'] },
  { id: 'zjj', name: '区住房和城市更新局', kind: 'department', categories: ['物业管理', '房屋建设'] },
  { id: 'scjg', name: '区市场监管局', kind: 'department', categories: ['市场监管'] },
  { id: 'sthj', name: '区生态环境分局', kind: 'department', categories: ['环境保护'] },
  { id: 'swhp', name: '区水务和湖泊局', kind: 'department', categories: ['市政设施'] },
  { id: 'ylj', name: '区园林局', kind: 'department', categories: ['园林绿化'] },
  { id: 'jtj', name: '区交通运输局', kind: 'department', categories: ['交通出行'] },
  { id: 'rsj', name: '区人社局', kind: 'department', categories: ['劳动社保'] },
  { id: 'water', name: '供水公司', kind: 'company', categories: ['供水供电供气'] },
  { id: 'power', name: '供电公司', kind: 'company', categories: ['供水供电供气'] },
];

/** The default configuration: Hongshan District's nine streets and 天兴乡, its street offices and departments. */
export const DEFAULT_CONFIG: CityopsConfig = {
  centre: { name: '洪山区城市运行管理中心', district: '洪山区' },
  streets: STREETS,
  units: [
    ...STREETS.map((s): UnitConfig => ({
      id: `st-${s.id}`,
      name: s.name.endsWith('乡') ? `${s.name}政府` : `${s.name}办事处`,
      kind: 'street',
      categories: [],
    })),
    ...DEPARTMENTS,
  ],
  categories: CATEGORIES,
  workingHours: ['08:30-12:00', '14:00-17:30'],
  holidays: { holidays: [], workdays: [], years: {} },
  sla: DEFAULT_SLA_RULES,
  clock: { warn: 0.5, atRisk: 0.75 },
  loadBand: { min: 10, max: 15 },
  targets: { answerRate: 0.95, serviceLevel15: 0.95, satisfaction: 0.9, presence: 1 },
  colours: { good: '#2fd89a', warn: '#ffb547', bad: '#ff4d5e', neutral: '#5fb8ff' },
  thresholds: { rateWarnBand: 0.05, scoreGood: 0.9, scoreWarn: 0.8, overdueWarnMax: 2 },
  panelThresholds: DEFAULT_PANEL_THRESHOLDS,
  staffing: { level: 0.95, targetSec: 15, windowMin: 30, defaultAhtSec: 300 },
  linkTimeoutSec: 90,
  walls: { silentSec: 60, slowFps: 10, staleDataSec: 30 },
  handoverGraceMin: 15,
  alertsMax: 60,
  timeSkew: { futureSec: 300, stepSec: 120 },
  scoring: DEFAULT_UNIT_INDICATORS.map((i) => ({ ...i })),
  scoringMinJudged: DEFAULT_MIN_JUDGED_SHARE,
  duty: DEFAULT_DUTY_CONFIG,
};

/** Merges a partial override (from a config file) over the defaults: objects merge, arrays and values replace. */
export function mergeConfig(base: CityopsConfig, override: unknown): CityopsConfig {
  return configSchema.parse(deepMerge(base, override));
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
