/**
 * The duty desk's configuration: which alerts open an item, the limits of each kind of item (acknowledge within, first
 * report within, written report within, minutes) and on which clock they run, and the escalation levels.
 */
import { z } from 'zod';
import { spaceName } from '../contract';
import { CASE_FLAGS } from '../domain';

const minutes = z
  .number()
  .int()
  .min(1)
  .max(7 * 24 * 60);

/** Limits of one kind of item, minutes from when its condition began; a report limit left out is not required. */
const kindLimits = z.strictObject({
  /** Whether this kind of alert opens an item at all. */
  enabled: z.boolean(),
  ackMin: minutes,
  firstReportMin: minutes.optional(),
  writtenReportMin: minutes.optional(),
  /** `calendar`: minutes of the clock (24 h duty, urgent items); `working`: minutes of the working calendar. */
  clock: z.enum(['calendar', 'working']),
});

/** Schema of the duty desk's configuration. */
export const dutyConfigSchema = z.strictObject({
  kinds: z.strictObject({
    case: kindLimits,
    post_empty: kindLimits,
    link_down: kindLimits,
    overdue: kindLimits,
    handover: kindLimits.default({ enabled: true, ackMin: 10, clock: 'calendar' }),
  }),
  /** Minutes after a shift ends before its handover record, still not signed by the incoming officer, opens an item. */
  handoverSignMin: minutes.default(30),
  /** Case flags that open an item besides urgency `urgent` (突发 emergency, 群体 mass, 敏感 sensitive by default). */
  caseFlags: z.array(z.enum(CASE_FLAGS)).max(CASE_FLAGS.length),
  /** An item still unacknowledged `afterMin` minutes past its acknowledgement limit is raised to `to`; levels in order. */
  escalation: z
    .array(
      z.strictObject({
        to: z.string().min(1).max(64),
        afterMin: z
          .number()
          .int()
          .min(0)
          .max(24 * 60),
      }),
    )
    .max(5)
    .refine(
      (l) => l.every((x, i) => i === 0 || x.afterMin > l[i - 1]!.afterMin),
      'escalation levels must come in increasing afterMin',
    ),
  /** Webhook endpoints told of new urgent items and of escalations (a chat robot's JSON body), per space (default live only). */
  webhooks: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(64),
        url: z.url({ protocol: /^https?$/ }),
        spaces: z.array(spaceName).min(1).max(50).default(['live']),
      }),
    )
    .max(20)
    // A delivery is keyed by its endpoint's name: two endpoints of one name would get one delivery between them.
    .refine((list) => new Set(list.map((w) => w.name)).size === list.length, {
      message: 'webhook names must differ: each delivery is kept under its endpoint name',
    })
    .default([]),
  /** The desk's address as the endpoints' readers open it (e.g. `https://ops.example.gov.cn`); default the path alone. */
  deskUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Delivery retries: the first retry after `baseSec`, doubling to at most `maxSec`, up to `attempts` attempts in all. */
  webhookRetry: z
    .strictObject({
      baseSec: z.number().min(0.01).max(3600),
      maxSec: z.number().min(0.01).max(86_400),
      attempts: z.number().int().min(1).max(100),
    })
    .default({ baseSec: 5, maxSec: 600, attempts: 12 }),
});

/** The duty desk's configuration. */
export type DutyConfig = z.output<typeof dutyConfigSchema>;

/**
 * Defaults: an urgent case is acknowledged within 5 minutes, reported by phone within 30 and in writing within 60 (the
 * common 信息报送 rule for urgent events); an unacknowledged item goes to the 值班长 at its limit and to the 值班领导
 * 10 minutes later; a handover still unsigned 30 minutes after the shift change opens an item.
 */
export const DEFAULT_DUTY_CONFIG: DutyConfig = {
  kinds: {
    case: { enabled: true, ackMin: 5, firstReportMin: 30, writtenReportMin: 60, clock: 'calendar' },
    post_empty: { enabled: true, ackMin: 10, clock: 'calendar' },
    link_down: { enabled: true, ackMin: 5, firstReportMin: 30, clock: 'calendar' },
    overdue: { enabled: true, ackMin: 15, firstReportMin: 60, clock: 'calendar' },
    handover: { enabled: true, ackMin: 10, clock: 'calendar' },
  },
  handoverSignMin: 30,
  caseFlags: ['emergency', 'mass', 'sensitive'],
  escalation: [
    { to: '值班长', afterMin: 0 },
    { to: '值班领导', afterMin: 10 },
  ],
  webhooks: [],
  webhookRetry: { baseSec: 5, maxSec: 600, attempts: 12 },
};
