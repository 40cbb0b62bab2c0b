/**
 * US federal holidays as a pure function of the year.
 *
 * Source: 5 U.S.C. 6103(a) (list of legal public holidays; Juneteenth added by Pub. L. 117-17,
 * 2021); observance: 5 U.S.C. 6103(b) and Executive Order 11582 — a holiday falling on a Saturday
 * is observed the Friday before, one on a Sunday the Monday after.
 *
 * Used by quiet-hours.ts for state rules that ban solicitations on holidays (state-quiet-hours.csv
 * `holidays` column). Those statutes say "state holidays", which differ by state; federal holidays
 * are the default proxy and callers can pass their own list.
 */

export interface UsFederalHoliday {
  readonly name: string;
  /** Calendar date, ISO `YYYY-MM-DD`. */
  readonly date: string;
  /** Observed date (Saturday → Friday before, Sunday → Monday after), ISO `YYYY-MM-DD`. */
  readonly observed: string;
}

const DAY_MS = 86_400_000;

function iso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** UTC midnight of the n-th (1-based) `weekday` (0 = Sunday … 6 = Saturday) of a month (1-12). */
function nthWeekday(year: number, month: number, weekday: number, n: number): number {
  const first = Date.UTC(year, month - 1, 1);
  const offset = (weekday - new Date(first).getUTCDay() + 7) % 7;
  return first + (offset + (n - 1) * 7) * DAY_MS;
}

/** UTC midnight of the last `weekday` of a month (1-12). */
function lastWeekday(year: number, month: number, weekday: number): number {
  const last = Date.UTC(year, month, 0);
  const offset = (new Date(last).getUTCDay() - weekday + 7) % 7;
  return last - offset * DAY_MS;
}

function observed(ms: number): number {
  const dow = new Date(ms).getUTCDay();
  if (dow === 6) return ms - DAY_MS;
  if (dow === 0) return ms + DAY_MS;
  return ms;
}

const MONDAY = 1;
const THURSDAY = 4;

/** The legal public holidays of `year` in calendar order (MLK from 1986, Juneteenth from 2021). */
export function usFederalHolidays(year: number): UsFederalHoliday[] {
  const list: [string, number][] = [
    ["New Year's Day", Date.UTC(year, 0, 1)],
    ...(year >= 1986 ? [['Birthday of Martin Luther King, Jr.', nthWeekday(year, 1, MONDAY, 3)] as [string, number]] : []),
    ["Washington's Birthday", nthWeekday(year, 2, MONDAY, 3)],
    ['Memorial Day', lastWeekday(year, 5, MONDAY)],
    ...(year >= 2021 ? [['Juneteenth National Independence Day', Date.UTC(year, 5, 19)] as [string, number]] : []),
    ['Independence Day', Date.UTC(year, 6, 4)],
    ['Labor Day', nthWeekday(year, 9, MONDAY, 1)],
    ['Columbus Day', nthWeekday(year, 10, MONDAY, 2)],
    ['Veterans Day', Date.UTC(year, 10, 11)],
    ['Thanksgiving Day', nthWeekday(year, 11, THURSDAY, 4)],
    ['Christmas Day', Date.UTC(year, 11, 25)],
  ];
  return list.map(([name, ms]) => ({ name, date: iso(ms), observed: iso(observed(ms)) }));
}

/**
 * Every date of `year` on which a federal holiday falls or is observed (both are treated as
 * holidays, the strictest reading). Includes 31 Dec when next New Year's Day falls on a Saturday.
 */
export function usFederalHolidayDates(year: number): Set<string> {
  const dates = new Set<string>();
  for (const h of [...usFederalHolidays(year), ...usFederalHolidays(year + 1)]) {
    for (const d of [h.date, h.observed]) if (d.startsWith(`${year}-`)) dates.add(d);
  }
  return dates;
}

/** True when the local calendar date `YYYY-MM-DD` is a federal holiday or an observed one. */
export function isUsFederalHoliday(isoDate: string): boolean {
  const year = Number(isoDate.slice(0, 4));
  return Number.isInteger(year) && usFederalHolidayDates(year).has(isoDate);
}
