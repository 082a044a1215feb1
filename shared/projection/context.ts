/** The projection context of a configuration: the working calendar and hours, the case rules, the clock thresholds. */
import type { CityopsConfig } from '../config';
import { parseWorkingHours } from '../sla/calendar';
import { chineseHolidayCalendar, type CalendarOptions } from '../sla/holidays';
import type { ProjectionContext } from './state';

/** The deadline and projection context of a configuration (the server's spaces, the simulator's own projection). */
export function projectionContext(config: CityopsConfig, calendar: CalendarOptions = {}): ProjectionContext {
  const env = {
    calendar: chineseHolidayCalendar(config.holidays, calendar),
    hours: parseWorkingHours(config.workingHours),
  };
  return {
    config,
    lifecycle: { env, rules: config.sla, stepSkewMs: config.timeSkew.stepSec * 1000 },
    thresholds: { warn: config.clock.warn, atRisk: config.clock.atRisk },
  };
}
