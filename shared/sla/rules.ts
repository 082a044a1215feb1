/**
 * Deadline rules: which limit each of the three clocks (sign-for, handling, callback) gets for a case, by channel, type,
 * urgency and category. Every value is config.
 * Sources: urgent 30 min / 2 h calendar time [Wuhan 12345 rules]; consult 2, help and suggestion 10, complaint and
 * report 15 working days [Guangdong 2022 hotline rules]; sign-for 2 working hours; callback 1 working day;
 * 12319 city-management cases in working hours by category [local 数字城管 standards, e.g. exposed garbage 4 h].
 */
import { z } from 'zod';
import { CASE_TYPES, type CaseType, type Channel, type Urgency } from '../domain';

/** The three clocks of a case. */
export type SlaClock = 'sign' | 'handle' | 'callback';

/** Units a limit is counted in. */
export const LIMIT_UNITS = ['calendar_minutes', 'working_minutes', 'working_days'] as const;

/** A limit: an amount of calendar minutes, working minutes, or working days. */
export const slaLimitSchema = z.strictObject({
  amount: z.number().int().min(1).max(100_000),
  unit: z.enum(LIMIT_UNITS),
});
/** A limit. */
export type SlaLimit = z.output<typeof slaLimitSchema>;

/** Schema of the rules. */
export const slaRulesSchema = z.strictObject({
  /** Sign-for (签收) of a normal case, from dispatch. */
  sign: slaLimitSchema,
  /** Callback (回访) of a normal case, from reply. */
  callback: slaLimitSchema,
  /** Urgent cases: calendar time. */
  urgent: z.strictObject({ sign: slaLimitSchema, handle: slaLimitSchema, callback: slaLimitSchema }),
  /** Handling (办理) by case type. */
  handleByType: z.strictObject(
    Object.fromEntries(CASE_TYPES.map((t) => [t, slaLimitSchema])) as Record<CaseType, typeof slaLimitSchema>,
  ),
  /** Handling of 12319 city-management cases by category, and for other categories. */
  cityMgmtByCategory: z.record(z.string(), slaLimitSchema),
  cityMgmtDefault: slaLimitSchema,
});
/** The rules. */
export type SlaRules = z.output<typeof slaRulesSchema>;

const wd = (amount: number): SlaLimit => ({ amount, unit: 'working_days' });
const wh = (hours: number): SlaLimit => ({ amount: hours * 60, unit: 'working_minutes' });
const cal = (minutes: number): SlaLimit => ({ amount: minutes, unit: 'calendar_minutes' });

/** The default rules. */
export const DEFAULT_SLA_RULES: SlaRules = {
  sign: wh(2),
  callback: wd(1),
  urgent: { sign: cal(30), handle: cal(120), callback: cal(24 * 60) },
  handleByType: { consult: wd(2), help: wd(10), suggestion: wd(10), complaint: wd(15), report: wd(15), praise: wd(10) },
  cityMgmtByCategory: { 市容环卫: wh(4), 市政设施: wh(16), 园林绿化: wh(16), 噪音扰民: wh(8), 交通出行: wh(8) },
  cityMgmtDefault: wh(8),
};

/** What a limit depends on. */
export interface LimitContext {
  readonly channel: Channel;
  readonly caseType: CaseType;
  readonly urgency: Urgency;
  readonly category: string;
}

/** The limit of `clock` for a case. */
export function limitFor(rules: SlaRules, clock: SlaClock, c: LimitContext): SlaLimit {
  if (c.urgency === 'urgent') return rules.urgent[clock];
  switch (clock) {
    case 'sign':
      return rules.sign;
    case 'callback':
      return rules.callback;
    case 'handle':
      // A category is the producer's word: only the configuration's own entries count (never `constructor`).
      if (c.channel === 'city_mgmt')
        return Object.hasOwn(rules.cityMgmtByCategory, c.category)
          ? rules.cityMgmtByCategory[c.category]!
          : rules.cityMgmtDefault;
      return rules.handleByType[c.caseType];
  }
}
