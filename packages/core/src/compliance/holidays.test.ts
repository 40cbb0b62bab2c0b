import { describe, expect, it } from 'vitest';
import { isUsFederalHoliday, usFederalHolidayDates, usFederalHolidays } from './holidays.js';

describe('usFederalHolidays', () => {
  it('2025: the eleven legal public holidays', () => {
    expect(usFederalHolidays(2025).map((h) => [h.name, h.date, h.observed])).toEqual([
      ["New Year's Day", '2025-01-01', '2025-01-01'],
      ['Birthday of Martin Luther King, Jr.', '2025-01-20', '2025-01-20'],
      ["Washington's Birthday", '2025-02-17', '2025-02-17'],
      ['Memorial Day', '2025-05-26', '2025-05-26'],
      ['Juneteenth National Independence Day', '2025-06-19', '2025-06-19'],
      ['Independence Day', '2025-07-04', '2025-07-04'],
      ['Labor Day', '2025-09-01', '2025-09-01'],
      ['Columbus Day', '2025-10-13', '2025-10-13'],
      ['Veterans Day', '2025-11-11', '2025-11-11'],
      ['Thanksgiving Day', '2025-11-27', '2025-11-27'],
      ['Christmas Day', '2025-12-25', '2025-12-25'],
    ]);
  });

  it.each([
    // [year, name, date, observed]
    [2026, 'Independence Day', '2026-07-04', '2026-07-03'], // Saturday → Friday
    [2026, 'Memorial Day', '2026-05-25', '2026-05-25'],
    [2026, 'Thanksgiving Day', '2026-11-26', '2026-11-26'],
    [2022, "New Year's Day", '2022-01-01', '2021-12-31'], // Saturday → previous year
    [2022, 'Juneteenth National Independence Day', '2022-06-19', '2022-06-20'], // Sunday → Monday
    [2022, 'Christmas Day', '2022-12-25', '2022-12-26'],
    [2024, 'Birthday of Martin Luther King, Jr.', '2024-01-15', '2024-01-15'],
    [2024, 'Labor Day', '2024-09-02', '2024-09-02'],
    [2024, 'Columbus Day', '2024-10-14', '2024-10-14'],
    [2023, 'Veterans Day', '2023-11-11', '2023-11-10'], // Saturday → Friday
    [2021, 'Memorial Day', '2021-05-31', '2021-05-31'], // last Monday is the 31st
  ])('%i %s: %s observed %s', (year, name, date, observed) => {
    expect(usFederalHolidays(year).find((h) => h.name === name)).toEqual({ name, date, observed });
  });

  it('adds Juneteenth from 2021 and MLK Day from 1986', () => {
    expect(usFederalHolidays(2020)).toHaveLength(10);
    expect(usFederalHolidays(2021)).toHaveLength(11);
    expect(usFederalHolidays(1985).some((h) => h.name.startsWith('Birthday of Martin'))).toBe(false);
  });
});

describe('usFederalHolidayDates / isUsFederalHoliday', () => {
  it('includes both the date and the observed date, and next year’s New Year observed on 31 Dec', () => {
    const d2026 = usFederalHolidayDates(2026);
    expect(d2026.has('2026-07-03')).toBe(true);
    expect(d2026.has('2026-07-04')).toBe(true);
    expect(usFederalHolidayDates(2027).has('2027-12-31')).toBe(true); // 2028-01-01 is a Saturday
    expect(usFederalHolidayDates(2022).has('2021-12-31')).toBe(false); // belongs to 2021's set
    expect(usFederalHolidayDates(2021).has('2021-12-31')).toBe(true);
  });

  it.each([
    ['2025-01-20', true],
    ['2025-11-27', true],
    ['2026-07-03', true],
    ['2025-11-28', false],
    ['2025-07-05', false],
    ['not-a-date', false],
  ])('%s → %s', (date, expected) => {
    expect(isUsFederalHoliday(date)).toBe(expected);
  });
});
