export { WEEKDAYS, businessTimeBetween, isWithinBusinessHours, nextOpening, validateBusinessHours } from './business-hours.js';
export type { BusinessHours, BusinessHoursError, OpeningRange, Weekday } from './business-hours.js';
