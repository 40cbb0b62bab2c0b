import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { businessTimeBetween, isWithinBusinessHours, nextOpening, validateBusinessHours } from './business-hours.js';
import type { BusinessHours } from './business-hours.js';

const NY = 'America/New_York';
/** Epoch ms of a New York wall time, e.g. at('2026-01-14T10:00'). */
const at = (iso: string, zone = NY): number => DateTime.fromISO(iso, { zone }).toMillis();
const utc = (iso: string): number => DateTime.fromISO(iso, { zone: 'UTC' }).toMillis();

const weekdays9to5 = { open: '09:00', close: '17:00' };
const dental: BusinessHours = {
  timeZone: NY,
  weekly: {
    mon: [weekdays9to5],
    tue: [weekdays9to5],
    wed: [
      { open: '09:00', close: '12:00' },
      { open: '13:00', close: '19:00' },
    ],
    thu: [weekdays9to5],
    fri: [weekdays9to5],
    sat: [{ open: '10:00', close: '14:00' }],
  },
  holidays: ['2026-12-25', '2026-01-01'],
};

describe('isWithinBusinessHours', () => {
  it.each<[string, number, boolean]>([
    ['Tuesday 10:00: open', at('2026-01-13T10:00'), true],
    ['Tuesday 08:59', at('2026-01-13T08:59'), false],
    ['Tuesday 09:00 (open is inclusive)', at('2026-01-13T09:00'), true],
    ['Tuesday 16:59:59', at('2026-01-13T16:59:59'), true],
    ['Tuesday 17:00 (close is exclusive)', at('2026-01-13T17:00'), false],
    ['Wednesday lunch break 12:30', at('2026-01-14T12:30'), false],
    ['Wednesday evening 18:30', at('2026-01-14T18:30'), true],
    ['Saturday 11:00', at('2026-01-17T11:00'), true],
    ['Sunday 11:00', at('2026-01-18T11:00'), false],
    ['Christmas (a Friday) 10:00', at('2026-12-25T10:00'), false],
    ['New Year (a Thursday) 10:00', at('2026-01-01T10:00'), false],
    // The same UTC instant is 08:00 EST before DST and 09:00 EDT after it.
    ['13:00Z on Monday 2 March = 08:00 EST', utc('2026-03-02T13:00'), false],
    ['13:00Z on Monday 9 March = 09:00 EDT', utc('2026-03-09T13:00'), true],
    ['13:30Z on Monday 2 November = 08:30 EST', utc('2026-11-02T13:30'), false],
    ['13:30Z on Monday 26 October = 09:30 EDT', utc('2026-10-26T13:30'), true],
  ])('%s', (_label, now, expected) => {
    expect(isWithinBusinessHours(dental, now)).toBe(expected);
  });

  it('treats a range ending at 24:00 and one starting at 00:00 as one night shift', () => {
    const night: BusinessHours = { timeZone: NY, weekly: { fri: [{ open: '22:00', close: '24:00' }], sat: [{ open: '00:00', close: '02:00' }] } };
    expect(isWithinBusinessHours(night, at('2026-01-16T23:59:59.999'))).toBe(true);
    expect(isWithinBusinessHours(night, at('2026-01-17T00:00'))).toBe(true);
    expect(isWithinBusinessHours(night, at('2026-01-17T02:00'))).toBe(false);
  });

  it('uses the zone of the schedule, including half-hour offsets', () => {
    const kolkata: BusinessHours = { timeZone: 'Asia/Kolkata', weekly: { mon: [weekdays9to5] } };
    expect(isWithinBusinessHours(kolkata, utc('2026-01-12T03:30'))).toBe(true); // 09:00 IST
    expect(isWithinBusinessHours(kolkata, utc('2026-01-12T03:29'))).toBe(false);
  });

  it('throws on an unknown zone', () => {
    expect(() => isWithinBusinessHours({ timeZone: 'Mars/Olympus', weekly: {} }, 0)).toThrow(RangeError);
  });
});

describe('nextOpening', () => {
  it.each<[string, number, number | null]>([
    ['already open: now', at('2026-01-13T10:00'), at('2026-01-13T10:00')],
    ['early morning: 09:00 today', at('2026-01-13T07:15'), at('2026-01-13T09:00')],
    ['lunch break: 13:00 today', at('2026-01-14T12:05'), at('2026-01-14T13:00')],
    ['Friday evening: Saturday 10:00', at('2026-01-16T18:00'), at('2026-01-17T10:00')],
    ['Saturday afternoon: Monday 09:00', at('2026-01-17T15:00'), at('2026-01-19T09:00')],
    ['Christmas Eve evening skips the holiday: Saturday 10:00', at('2026-12-24T18:00'), at('2026-12-26T10:00')],
    ['New Year Eve evening: Friday 2 January 09:00', at('2025-12-31T20:00'), at('2026-01-02T09:00')],
    // Spring forward on Sunday 8 March 2026: Monday 09:00 is 13:00Z, not 14:00Z.
    ['across spring-forward', at('2026-03-07T15:00'), utc('2026-03-09T13:00')],
    // Fall back on Sunday 1 November 2026: Monday 09:00 is 14:00Z, not 13:00Z.
    ['across fall-back', at('2026-10-31T15:00'), utc('2026-11-02T14:00')],
  ])('%s', (_label, now, expected) => {
    expect(nextOpening(dental, now)).toBe(expected);
  });

  it('opens when the clocks jump if the opening time is skipped', () => {
    const early: BusinessHours = { timeZone: NY, weekly: { sun: [{ open: '02:30', close: '04:00' }] } };
    // 02:30 does not exist on 8 March 2026; the clock jumps from 02:00 EST to 03:00 EDT at 07:00Z.
    expect(nextOpening(early, at('2026-03-08T00:00'))).toBe(utc('2026-03-08T07:00'));
    expect(isWithinBusinessHours(early, utc('2026-03-08T07:00'))).toBe(true);
    expect(isWithinBusinessHours(early, utc('2026-03-08T06:59:59'))).toBe(false);
  });

  it('skips a range that lies entirely in the skipped hour', () => {
    const gap: BusinessHours = { timeZone: NY, weekly: { sun: [{ open: '02:00', close: '03:00' }] } };
    expect(nextOpening(gap, at('2026-03-08T00:00'))).toBe(at('2026-03-15T02:00'));
  });

  it('opens at the first of two 01:30s when the clocks fall back', () => {
    const early: BusinessHours = { timeZone: NY, weekly: { sun: [{ open: '01:30', close: '05:00' }] } };
    expect(nextOpening(early, at('2026-11-01T00:00'))).toBe(utc('2026-11-01T05:30')); // 01:30 EDT
  });

  it('returns now inside a night shift that crosses midnight', () => {
    const night: BusinessHours = { timeZone: NY, weekly: { fri: [{ open: '22:00', close: '24:00' }], sat: [{ open: '00:00', close: '02:00' }] } };
    expect(nextOpening(night, at('2026-01-17T01:00'))).toBe(at('2026-01-17T01:00'));
    expect(nextOpening(night, at('2026-01-17T03:00'))).toBe(at('2026-01-23T22:00'));
  });

  it('finds an opening after a long run of holidays', () => {
    const holidays = Array.from({ length: 20 }, (_, i) => DateTime.fromISO('2026-08-01').plus({ days: i }).toISODate() ?? '');
    const summer: BusinessHours = { ...dental, holidays };
    expect(nextOpening(summer, at('2026-07-31T18:00'))).toBe(at('2026-08-21T09:00'));
  });

  it.each<[string, BusinessHours]>([
    ['no ranges at all', { timeZone: NY, weekly: {} }],
    ['only empty days', { timeZone: NY, weekly: { mon: [], tue: [] } }],
  ])('returns null when the schedule never opens: %s', (_label, hours) => {
    expect(nextOpening(hours, at('2026-01-13T10:00'))).toBeNull();
  });
});

describe('validateBusinessHours', () => {
  const ok = (weekly: BusinessHours['weekly'], extra: Partial<BusinessHours> = {}): BusinessHours => ({ timeZone: NY, weekly, ...extra });

  it.each<[string, BusinessHours, string[]]>([
    ['a valid schedule', dental, []],
    ['24:00 close', ok({ fri: [{ open: '22:00', close: '24:00' }] }), []],
    ['UTC zone', { timeZone: 'UTC', weekly: { mon: [weekdays9to5] } }, []],
    ['unknown zone', { timeZone: 'Europe/Atlantis', weekly: { mon: [weekdays9to5] } }, ['timeZone: unknown time zone "Europe/Atlantis" (use an IANA zone such as America/New_York)']],
    ['single-digit hour', ok({ mon: [{ open: '9:00', close: '17:00' }] }), ['weekly.mon[0].open: invalid time "9:00" (expected HH:MM, 00:00–23:59)']],
    ['25:00 close', ok({ mon: [{ open: '09:00', close: '25:00' }] }), ['weekly.mon[0].close: invalid time "25:00" (expected HH:MM, 00:00–24:00)']],
    ['24:00 open', ok({ mon: [{ open: '24:00', close: '24:00' }] }), ['weekly.mon[0].open: invalid time "24:00" (expected HH:MM, 00:00–23:59)']],
    ['open after close', ok({ tue: [{ open: '17:00', close: '09:00' }] }), ['weekly.tue[0]: open 17:00 must be before close 09:00 (split ranges that cross midnight over two days)']],
    ['open equals close', ok({ tue: [{ open: '09:00', close: '09:00' }] }), ['weekly.tue[0]: open 09:00 must be before close 09:00 (split ranges that cross midnight over two days)']],
    ['overlapping ranges', ok({ wed: [{ open: '13:00', close: '18:00' }, { open: '09:00', close: '13:30' }] }), ['weekly.wed: ranges 09:00–13:30 and 13:00–18:00 overlap']],
    ['touching ranges are fine', ok({ wed: [{ open: '09:00', close: '12:00' }, { open: '12:00', close: '18:00' }] }), []],
    ['unknown day', ok({ mon: [weekdays9to5], monday: [weekdays9to5] } as BusinessHours['weekly']), ['weekly.monday: unknown day "monday" (use mon, tue, wed, thu, fri, sat, sun)']],
    ['no hours', ok({}), ['weekly: no opening hours: add at least one range']],
    ['bad holiday', ok({ mon: [weekdays9to5] }, { holidays: ['2026-02-30', '25/12/2026', '2026-12-25'] }), ['holidays[0]: invalid date "2026-02-30" (expected YYYY-MM-DD)', 'holidays[1]: invalid date "25/12/2026" (expected YYYY-MM-DD)']],
  ])('%s', (_label, hours, expected) => {
    expect(validateBusinessHours(hours).map((e) => `${e.path}: ${e.message}`)).toEqual(expected);
  });
});

describe('businessTimeBetween', () => {
  const weekdays = { timeZone: 'America/New_York', weekly: { mon: [{ open: '09:00', close: '17:00' }], tue: [{ open: '09:00', close: '17:00' }], fri: [{ open: '09:00', close: '12:00' }, { open: '13:00', close: '17:00' }] } };
  const at = (iso: string) => DateTime.fromISO(iso, { zone: 'America/New_York' }).toMillis();

  it('counts only open hours: Friday 16:00 to Monday 10:00 is two hours', () => {
    expect(businessTimeBetween(weekdays, at('2026-01-16T16:00'), at('2026-01-19T10:00'))).toBe(2 * 3_600_000);
  });

  it('skips the lunch break and holidays, and is 0 for a wait while closed', () => {
    expect(businessTimeBetween(weekdays, at('2026-01-16T11:00'), at('2026-01-16T14:00'))).toBe(2 * 3_600_000);
    expect(businessTimeBetween({ ...weekdays, holidays: ['2026-01-19'] }, at('2026-01-16T16:00'), at('2026-01-20T10:00'))).toBe(2 * 3_600_000);
    expect(businessTimeBetween(weekdays, at('2026-01-17T10:00'), at('2026-01-18T10:00'))).toBe(0);
    expect(businessTimeBetween(weekdays, at('2026-01-19T10:00'), at('2026-01-19T09:00'))).toBe(0);
  });

  it('counts the 23 hours of a spring-forward day open all day', () => {
    const always = { timeZone: 'America/New_York', weekly: { sun: [{ open: '00:00', close: '24:00' }] } };
    expect(businessTimeBetween(always, at('2026-03-07T12:00'), at('2026-03-09T12:00'))).toBe(23 * 3_600_000);
  });
});
