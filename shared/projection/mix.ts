/** Today's mix: cases by channel and top categories (each with yesterday's count), and satisfaction over a week. */
import { CHANNELS } from '../domain';
import { addDays, shanghaiMinuteOfDay, type EpochMs } from '../time';
import { ratio } from '../kpi/rates';
import { CATEGORIES_MAX, type CategoriesPanel, type ChannelsPanel, type SatisfactionPanel } from '../wall/panels';
import type { DayFigures } from './day';
import type { SpaceProjection } from './state';

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** Cases received today and yesterday per channel, in the channels' fixed order. */
export function channelsView(today: DayFigures, yesterday: DayFigures): ChannelsPanel {
  return {
    rows: CHANNELS.map((channel) => ({
      channel,
      today: sum(today.trend[channel]),
      yesterday: sum(yesterday.trend[channel]),
    })),
  };
}

/**
 * The categories with most cases today (ties by name), at most CATEGORIES_MAX, with yesterday's whole-day count and
 * yesterday's count by the same time of day (whole hours before, plus the current hour pro rata), which is what
 * today's partial count is compared with.
 */
export function categoriesView(today: DayFigures, yesterday: DayFigures, now: EpochMs): CategoriesPanel {
  const minute = shanghaiMinuteOfDay(now);
  const hour = Math.floor(minute / 60);
  const byThisTime = (hours: readonly number[] | undefined): number => {
    if (!hours) return 0;
    let n = 0;
    for (let h = 0; h < hour; h++) n += hours[h] ?? 0;
    return Math.round(n + (hours[hour] ?? 0) * ((minute - hour * 60) / 60));
  };
  const rows = [...today.byCategory]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, CATEGORIES_MAX)
    .map(([category, n]) => ({
      category,
      today: n,
      yesterday: yesterday.byCategory.get(category) ?? 0,
      yesterdayByNow: byThisTime(yesterday.byCategoryHour.get(category)),
    }));
  return { rows };
}

/** 市民满意度 of each of the 7 days ending on `dayKey`, today's, and the week's together. */
export function satisfactionView(p: SpaceProjection, dayKey: string): SatisfactionPanel {
  const days = [];
  let good = 0;
  let evaluated = 0;
  for (let i = 6; i >= 0; i--) {
    const day = addDays(dayKey, -i);
    const c = p.days.get(day)?.cases;
    const g = c ? c.satisfied + c.basicallySatisfied : 0;
    const n = c?.evaluated ?? 0;
    good += g;
    evaluated += n;
    days.push({ day, evaluated: n, rate: ratio(g, n) });
  }
  const last = days[days.length - 1];
  return {
    today: last?.rate ?? null,
    todayEvaluated: last?.evaluated ?? 0,
    week: ratio(good, evaluated),
    weekEvaluated: evaluated,
    days,
    target: p.ctx.config.targets.satisfaction,
  };
}
