/**
 * An organization's business hours: weekly opening ranges in the
 * organization's time zone, plus whole-day holidays.
 *
 * Hours are wall-clock times, so "09:00" means 09:00 local time on every day,
 * before and after a daylight-saving change. On the day clocks spring forward,
 * a range that opens inside the skipped hour opens when the clocks jump (e.g.
 * 02:30 in New York opens at 03:00 EDT); on the day they fall back, an opening
 * inside the repeated hour is the first occurrence.
 *
 * A range runs from `open` (inclusive) to `close` (exclusive) on one day;
 * `close` may be `24:00`. Ranges cannot cross midnight: a night shift is two
 * ranges, `fri: [{ open: '22:00', close: '24:00' }]` and
 * `sat: [{ open: '00:00', close: '02:00' }]`, which behave as one.
 */
import { DateTime, IANAZone } from 'luxon';

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** Weekdays in ISO order (Monday first), matching luxon's `weekday` 1–7. */
export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** One opening range, as `HH:MM` local times. */
export interface OpeningRange {
  open: string;
  close: string;
}

export interface BusinessHours {
  /** IANA time zone, e.g. `America/New_York`. */
  timeZone: string;
  /** Opening ranges per weekday; a missing or empty day is closed. */
  weekly: Partial<Record<Weekday, readonly OpeningRange[]>>;
  /** Local dates (`YYYY-MM-DD`) closed all day. */
  holidays?: readonly string[];
}

/** A problem in a schedule; `path` points into the object, e.g. `weekly.mon[0].close`. */
export interface BusinessHoursError {
  path: string;
  message: string;
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MINUTE_MS = 60_000;

/**
 * Checks a schedule: a zone luxon knows, `HH:MM` times (`24:00` only as a
 * close), open before close, no overlapping ranges on a day, valid holiday
 * dates, and at least one opening range in the week.
 */
export function validateBusinessHours(hours: BusinessHours): BusinessHoursError[] {
  const errors: BusinessHoursError[] = [];
  if (typeof hours.timeZone !== 'string' || !IANAZone.isValidZone(hours.timeZone)) {
    errors.push({ path: 'timeZone', message: `unknown time zone ${JSON.stringify(hours.timeZone)} (use an IANA zone such as America/New_York)` });
  }

  let rangeCount = 0;
  for (const [day, ranges] of Object.entries(hours.weekly ?? {})) {
    if (!(WEEKDAYS as readonly string[]).includes(day)) {
      errors.push({ path: `weekly.${day}`, message: `unknown day ${JSON.stringify(day)} (use ${WEEKDAYS.join(', ')})` });
      continue;
    }
    if (!Array.isArray(ranges)) {
      errors.push({ path: `weekly.${day}`, message: 'must be a list of { open, close } ranges' });
      continue;
    }
    const valid: Array<{ open: number; close: number; label: string }> = [];
    (ranges as readonly OpeningRange[]).forEach((range, i) => {
      const path = `weekly.${day}[${i}]`;
      rangeCount += 1;
      const open = parseTime(range?.open);
      const close = parseTime(range?.close);
      if (open === undefined || open === 24 * 60) {
        errors.push({ path: `${path}.open`, message: `invalid time ${JSON.stringify(range?.open)} (expected HH:MM, 00:00–23:59)` });
      }
      if (close === undefined) {
        errors.push({ path: `${path}.close`, message: `invalid time ${JSON.stringify(range?.close)} (expected HH:MM, 00:00–24:00)` });
      }
      if (open === undefined || close === undefined || open === 24 * 60) return;
      if (open >= close) {
        errors.push({ path, message: `open ${range.open} must be before close ${range.close} (split ranges that cross midnight over two days)` });
        return;
      }
      valid.push({ open, close, label: `${range.open}–${range.close}` });
    });
    valid.sort((a, b) => a.open - b.open);
    for (let i = 1; i < valid.length; i++) {
      const previous = valid[i - 1];
      const current = valid[i];
      if (previous && current && current.open < previous.close) {
        errors.push({ path: `weekly.${day}`, message: `ranges ${previous.label} and ${current.label} overlap` });
      }
    }
  }
  if (rangeCount === 0) {
    errors.push({ path: 'weekly', message: 'no opening hours: add at least one range' });
  }

  (hours.holidays ?? []).forEach((date, i) => {
    const valid = typeof date === 'string' && DATE.test(date) && DateTime.fromISO(date, { zone: 'UTC' }).isValid;
    if (!valid) errors.push({ path: `holidays[${i}]`, message: `invalid date ${JSON.stringify(date)} (expected YYYY-MM-DD)` });
  });
  return errors;
}

/** True when the business is open at `now` (epoch ms). */
export function isWithinBusinessHours(hours: BusinessHours, now: number): boolean {
  const local = toLocal(hours, now);
  if (isHoliday(hours, local)) return false;
  const minute = local.hour * 60 + local.minute + local.second / 60 + local.millisecond / MINUTE_MS;
  return rangesOf(hours, local).some((r) => r.open <= minute && minute < r.close);
}

/**
 * The first instant at or after `now` when the business is open: `now` itself
 * when already open, else the next opening (epoch ms). Used for "delay until
 * business hours". Returns `null` when the schedule never opens (no ranges,
 * or every upcoming day a holiday).
 */
export function nextOpening(hours: BusinessHours, now: number): number | null {
  if (isWithinBusinessHours(hours, now)) return now;
  const today = toLocal(hours, now).startOf('day');
  // Every week has the same ranges, so after skipping all holidays one more week suffices.
  const horizonDays = 8 + (hours.holidays?.length ?? 0);
  for (let offset = 0; offset <= horizonDays; offset++) {
    const day = today.plus({ days: offset });
    if (isHoliday(hours, day)) continue;
    for (const range of rangesOf(hours, day)) {
      const at = firstInstantAtOrAfter(hours.timeZone, day, range.open);
      if (at > now && isWithinBusinessHours(hours, at)) return at;
    }
  }
  return null;
}

function toLocal(hours: BusinessHours, now: number): DateTime {
  const local = DateTime.fromMillis(now, { zone: hours.timeZone });
  if (!local.isValid) throw new RangeError(`invalid business hours time zone ${JSON.stringify(hours.timeZone)} or instant ${now}`);
  return local;
}

function isHoliday(hours: BusinessHours, local: DateTime): boolean {
  return hours.holidays?.includes(local.toISODate() ?? '') ?? false;
}

/** The day's valid ranges, in minutes since local midnight, sorted by opening. */
function rangesOf(hours: BusinessHours, local: DateTime): Array<{ open: number; close: number }> {
  const day = WEEKDAYS[local.weekday - 1];
  const ranges = day === undefined ? undefined : hours.weekly[day];
  const result: Array<{ open: number; close: number }> = [];
  for (const range of ranges ?? []) {
    const open = parseTime(range.open);
    const close = parseTime(range.close);
    if (open !== undefined && close !== undefined && open < close) result.push({ open, close });
  }
  return result.sort((a, b) => a.open - b.open);
}

/** Minutes since midnight for `HH:MM` (`24:00` → 1440), or undefined. */
function parseTime(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const match = TIME.exec(text);
  if (!match) return undefined;
  if (text === '24:00') return 24 * 60;
  return Number(match[1]) * 60 + Number(match[2]);
}

/**
 * The earliest instant on local `day` whose wall-clock time is at least
 * `minuteOfDay`. Usually the instant that wall time names; in a fall-back
 * overlap, its first occurrence; in a spring-forward gap, the jump itself.
 */
function firstInstantAtOrAfter(zoneName: string, day: DateTime, minuteOfDay: number): number {
  const zone = IANAZone.create(zoneName);
  // The wall time read as if it were UTC; subtracting a zone offset gives a real instant.
  const naive = Date.UTC(day.year, day.month - 1, day.day) + minuteOfDay * MINUTE_MS;
  const offsets = new Set([zone.offset(naive - 2 * 86_400_000), zone.offset(naive), zone.offset(naive + 2 * 86_400_000)]);
  const wallMinute = (t: number): number => {
    const local = DateTime.fromMillis(t, { zone });
    const sameDay = local.hasSame(day, 'day');
    if (!sameDay) return local < day ? -Infinity : Infinity;
    return local.hour * 60 + local.minute + local.second / 60;
  };

  const exact = [...offsets].map((o) => naive - o * MINUTE_MS).filter((t) => wallMinute(t) === minuteOfDay);
  if (exact.length > 0) return Math.min(...exact);

  // The wall time was skipped: binary-search the transition between the two offsets.
  let lo = naive - Math.max(...offsets) * MINUTE_MS;
  let hi = naive - Math.min(...offsets) * MINUTE_MS;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (wallMinute(mid) >= minuteOfDay) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * Milliseconds between `from` and `to` (epoch ms) during which the business is open: the
 * business-hours-aware length of a wait (a reply that came overnight waited only the open hours).
 * Holidays are closed; a day of 23 or 25 hours counts the hours it really has.
 */
export function businessTimeBetween(hours: BusinessHours, from: number, to: number): number {
  if (to <= from) return 0;
  let total = 0;
  let day = toLocal(hours, from).startOf('day');
  const last = toLocal(hours, to).startOf('day');
  while (day <= last) {
    if (!isHoliday(hours, day)) {
      for (const range of rangesOf(hours, day)) {
        const open = firstInstantAtOrAfter(hours.timeZone, day, range.open);
        const close = range.close >= 24 * 60 ? day.plus({ days: 1 }).startOf('day').toMillis() : firstInstantAtOrAfter(hours.timeZone, day, range.close);
        total += Math.max(0, Math.min(close, to) - Math.max(open, from));
      }
    }
    day = day.plus({ days: 1 }).startOf('day');
  }
  return total;
}
