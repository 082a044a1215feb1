/** The trend panel: cases received per hour by channel today, against yesterday's hourly total. */
import { CHANNELS, type Channel } from '../domain';
import type { TrendPanel } from '../wall/panels';
import type { DayFigures } from './day';

/** Today's hourly counts per channel and yesterday's hourly totals (24 values each). */
export function trendView(today: DayFigures, yesterday: DayFigures): TrendPanel {
  const series = {} as Record<Channel, number[]>;
  for (const ch of CHANNELS) series[ch] = today.trend[ch].slice();
  const y = new Array<number>(24).fill(0);
  for (const ch of CHANNELS)
    yesterday.trend[ch].forEach((n, h) => {
      y[h] = (y[h] ?? 0) + n;
    });
  return { day: today.day, today: series, yesterday: y };
}
