/**
 * Business hours as a form, and back to what PATCH /v1/organization takes:
 * `{ time_zone, business_hours: { weekly: { mon: [{ open, close }], … }, holidays: ['YYYY-MM-DD'] } }`
 * (core schedule/business-hours.ts). A day may have several ranges; a closed day is an empty list.
 *
 * Times are `HH:MM`. A range may close at `24:00` (midnight at the end of the day); a time input
 * cannot show 24:00, so the form shows it as 00:00 and sends a close of 00:00 as 24:00 (a range
 * closing at the start of its own day would be empty anyway).
 */
import { WEEKDAYS } from '@textback/core';

export type Weekday = (typeof WEEKDAYS)[number];
export interface Range {
  open: string;
  close: string;
}
export interface DayForm {
  open: boolean;
  /** Kept while a day is closed, so reopening it brings its hours back. */
  ranges: Range[];
}
export interface HoursForm {
  timeZone: string;
  days: Record<Weekday, DayForm>;
  holidays: string[];
}

export const DAY_NAMES: Record<Weekday, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};

export const DEFAULT_RANGE: Range = { open: '09:00', close: '17:00' };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The organization (GET /v1/organization) → the form. */
export function hoursToForm(timeZone: string | null | undefined, hours: unknown): HoursForm {
  const weekly = isObject(hours) && isObject(hours.weekly) ? hours.weekly : {};
  const days = Object.fromEntries(
    WEEKDAYS.map((day) => {
      const list = Array.isArray(weekly[day]) ? (weekly[day] as unknown[]) : [];
      const ranges = list.filter(isObject).map((r) => ({ open: String(r.open ?? ''), close: r.close === '24:00' ? '00:00' : String(r.close ?? '') }));
      return [day, { open: ranges.length > 0, ranges }];
    }),
  ) as Record<Weekday, DayForm>;
  const holidays = isObject(hours) && Array.isArray(hours.holidays) ? hours.holidays.map(String) : [];
  return { timeZone: timeZone ?? '', days, holidays };
}

/** The form → the PATCH /v1/organization body. Closed days are empty lists; a close of 00:00 is midnight (24:00). */
export function formToPatch(form: HoursForm): { time_zone: string; business_hours: { weekly: Record<Weekday, Range[]>; holidays: string[] } } {
  const weekly = Object.fromEntries(
    WEEKDAYS.map((day) => {
      const d = form.days[day];
      return [day, d.open ? d.ranges.map((r) => ({ open: r.open, close: r.close === '00:00' ? '24:00' : r.close })) : []];
    }),
  ) as Record<Weekday, Range[]>;
  return { time_zone: form.timeZone.trim(), business_hours: { weekly, holidays: form.holidays } };
}

/** Opens or closes a day; opening a day with no hours gives it 09:00–17:00. */
export function setDayOpen(form: HoursForm, day: Weekday, open: boolean): HoursForm {
  const d = form.days[day];
  const ranges = open && d.ranges.length === 0 ? [{ ...DEFAULT_RANGE }] : d.ranges;
  return { ...form, days: { ...form.days, [day]: { open, ranges } } };
}

/** Adds a range after the day's last one (an hour after it closes, for an hour), or 09:00–17:00. */
export function addRange(form: HoursForm, day: Weekday): HoursForm {
  const d = form.days[day];
  const last = d.ranges[d.ranges.length - 1];
  let next = { ...DEFAULT_RANGE };
  if (last) {
    const close = toMinutes(last.close === '00:00' ? '24:00' : last.close);
    if (close !== undefined && close <= 22 * 60) next = { open: fromMinutes(close + 60), close: fromMinutes(Math.min(close + 120, 24 * 60)) };
  }
  return { ...form, days: { ...form.days, [day]: { open: true, ranges: [...d.ranges, next] } } };
}

export function copyDayToWeekdays(form: HoursForm, from: Weekday): HoursForm {
  const src = form.days[from];
  const days = { ...form.days };
  for (const day of ['mon', 'tue', 'wed', 'thu', 'fri'] as const) days[day] = { open: src.open, ranges: src.ranges.map((r) => ({ ...r })) };
  return { ...form, days };
}

function toMinutes(t: string): number | undefined {
  const m = /^(\d{2}):(\d{2})$/.exec(t);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}
function fromMinutes(n: number): string {
  return n >= 24 * 60 ? '00:00' : `${String(Math.floor(n / 60)).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}`;
}

/**
 * Where a server error belongs in the form. Fields look like `business_hours.weekly.mon[0].close`
 * (domain), `body.business_hours.weekly.mon.0.open` (schema) or `time_zone`.
 */
export type HoursErrorPlace =
  | { at: 'zone' }
  | { at: 'range'; day: Weekday; index: number; part?: 'open' | 'close' }
  | { at: 'day'; day: Weekday }
  | { at: 'holiday'; index: number }
  | { at: 'form' };

export function placeHoursError(field: string): HoursErrorPlace {
  const s = field
    .replace(/\[(\d+)\]/g, '.$1')
    .split(/[./]/)
    .filter(Boolean);
  if (s[0] === 'body') s.shift();
  if (s[0] === 'time_zone') return { at: 'zone' };
  if (s[0] !== 'business_hours') return { at: 'form' };
  if (s[1] === 'timeZone') return { at: 'zone' };
  if (s[1] === 'holidays' && s[2] !== undefined && /^\d+$/.test(s[2])) return { at: 'holiday', index: Number(s[2]) };
  if (s[1] === 'weekly' && s[2] && (WEEKDAYS as readonly string[]).includes(s[2])) {
    const day = s[2] as Weekday;
    if (s[3] !== undefined && /^\d+$/.test(s[3])) {
      const part = s[4] === 'open' || s[4] === 'close' ? s[4] : undefined;
      return part ? { at: 'range', day, index: Number(s[3]), part } : { at: 'range', day, index: Number(s[3]) };
    }
    return { at: 'day', day };
  }
  return { at: 'form' };
}

/** Today's date in the zone, `YYYY-MM-DD` (the first date a new holiday row suggests). */
export function todayIn(timeZone: string, now = new Date()): string {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  } catch {
    return now.toISOString().slice(0, 10);
  }
}

/** IANA zones the browser knows, for the time-zone list. */
export function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  try {
    return intl.supportedValuesOf?.('timeZone') ?? [];
  } catch {
    return [];
  }
}
