import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { NANP_AREA_CODES } from './nanp-area-codes.data.js';
import { isValidTimeZone, latestWakingZone, nanpAreaCodeInfo, recipientTimeZone, usStateForNumber } from './time-zones.js';

const JAN = Date.parse('2025-01-15T17:00:00Z'); // standard time everywhere in North America
const JUL = Date.parse('2025-07-15T17:00:00Z'); // daylight time

describe('nanp-area-codes.data', () => {
  it('has the 441 rows of the CSV, each with valid IANA zones', () => {
    const rows = Object.entries(NANP_AREA_CODES);
    expect(rows).toHaveLength(441);
    for (const [npa, row] of rows) {
      expect(npa).toMatch(/^[2-9]\d{2}$/);
      for (const zone of row.zones) expect(isValidTimeZone(zone), `${npa} ${zone}`).toBe(true);
    }
  });

  it('keeps the primary zone first', () => {
    expect(NANP_AREA_CODES['208']?.zones).toEqual(['America/Boise', 'America/Los_Angeles', 'America/Denver']);
    expect(NANP_AREA_CODES['270']?.zones).toEqual(['America/New_York', 'America/Chicago']);
  });
});

describe('nanpAreaCodeInfo / usStateForNumber', () => {
  it.each([
    ['+12125550100', '212', 'US', 'NY'],
    ['+1 (512) 555-0100', '512', 'US', 'TX'],
    ['12035550100', '203', 'US', 'CT'],
    ['+14165550100', '416', 'CA', undefined],
    ['+17875550100', '787', 'PR', undefined],
  ])('%s → NPA %s, %s, state %s', (e164, npa, country, state) => {
    expect(nanpAreaCodeInfo(e164)).toMatchObject({ areaCode: npa, country });
    expect(usStateForNumber(e164)).toBe(state);
  });

  it.each(['+18005550100', '+442071234567', '+4420712345', '+1212555010', 'garbage'])('%s → undefined', (e164) => {
    expect(nanpAreaCodeInfo(e164)).toBeUndefined();
    expect(usStateForNumber(e164)).toBeUndefined();
  });
});

describe('latestWakingZone', () => {
  it.each([
    // Phoenix has no DST: it wakes later than Denver in winter, ties with Los Angeles in summer
    [['America/Denver', 'America/Phoenix'], JUL, 'America/Phoenix'],
    [['America/Denver', 'America/Phoenix'], JAN, 'America/Denver'], // tie → first
    [['America/Phoenix', 'America/Los_Angeles'], JAN, 'America/Los_Angeles'],
    [['America/Phoenix', 'America/Los_Angeles'], JUL, 'America/Phoenix'], // tie → first
    [['America/New_York', 'America/Chicago'], JUL, 'America/Chicago'],
    [['Australia/Sydney', 'Australia/Perth'], JAN, 'Australia/Perth'],
  ] as const)('%j at %i → %s', (zones, now, expected) => {
    expect(latestWakingZone(zones as unknown as [string, ...string[]], now)).toBe(expected);
  });

  it('accepts a luxon DateTime', () => {
    expect(latestWakingZone(['America/New_York', 'America/Chicago'], DateTime.fromMillis(JAN))).toBe('America/Chicago');
  });
});

describe('recipientTimeZone', () => {
  it.each([
    // contact zone wins when valid
    [{ contactTimeZone: 'Europe/Paris', e164: '+12125550100', now: JAN }, 'Europe/Paris', 'contact'],
    [{ contactTimeZone: 'Mars/Olympus', e164: '+12125550100', now: JAN }, 'America/New_York', 'area_code'],
    // single-zone area codes
    [{ e164: '+12125550100', now: JAN }, 'America/New_York', 'area_code'],
    [{ e164: '+13105550100', now: JAN }, 'America/Los_Angeles', 'area_code'],
    [{ e164: '+14165550100', now: JAN }, 'America/Toronto', 'area_code'],
    [{ e164: '+18085550100', now: JAN }, 'Pacific/Honolulu', 'area_code'],
    // multi-zone area codes: the later-waking zone at the instant
    [{ e164: '+12705550100', now: JAN }, 'America/Chicago', 'area_code'], // KY: NY + Chicago
    [{ e164: '+18505550100', now: JUL }, 'America/Chicago', 'area_code'], // FL panhandle
    [{ e164: '+19285550100', now: JAN }, 'America/Phoenix', 'area_code'], // AZ: Phoenix ≥ Denver in winter (tie → primary)
    [{ e164: '+19285550100', now: JUL }, 'America/Phoenix', 'area_code'], // Phoenix = UTC-7 < Denver UTC-6 in summer
    [{ e164: '+12085550100', now: JUL }, 'America/Los_Angeles', 'area_code'], // ID
    [{ e164: '+19075550100', now: JUL }, 'Pacific/Honolulu', 'area_code'], // 907 data lists Honolulu (caveat)
    // country fallback
    [{ e164: '+447911123456', now: JAN }, 'Europe/Guernsey', 'country'], // libphonenumber: GG
    [{ e164: '+442071838750', now: JAN }, 'Europe/London', 'country'],
    [{ e164: '+447700900123', now: JAN }, 'Europe/London', 'country'], // invalid range → calling code 44
    [{ e164: '+61412345678', now: JAN }, 'Australia/Perth', 'country'],
    [{ e164: '+61412345678', now: JUL }, 'Australia/Perth', 'country'],
    [{ e164: '+18005550100', now: JUL, country: 'CA' }, 'America/Vancouver', 'country'], // toll-free: no NPA row
    [{ e164: '+18005550100', now: JUL }, 'Pacific/Honolulu', 'country'], // US: every zone → latest
    [{ e164: '+6421123456', now: JAN, country: 'nz' }, 'Pacific/Auckland', 'country'],
    // default
    [{ e164: '+819012345678', now: JAN }, 'America/New_York', 'default'],
    [{ e164: '+819012345678', now: JAN, defaultZone: 'America/Denver' }, 'America/Denver', 'default'],
    [{ e164: 'garbage', now: JAN }, 'America/New_York', 'default'],
  ])('%j → %s (%s)', (input, zone, basis) => {
    expect(recipientTimeZone(input)).toMatchObject({ zone, basis });
  });

  it('returns every candidate zone, primary first, and the country', () => {
    expect(recipientTimeZone({ e164: '+12705550100', now: JAN })).toEqual({
      zone: 'America/Chicago',
      basis: 'area_code',
      candidates: ['America/New_York', 'America/Chicago'],
      country: 'US',
    });
  });

  it('re-evaluates the safest zone when DST changes the order', () => {
    // 709 Newfoundland/Labrador: Puerto_Rico (UTC-4 all year) vs St_Johns (UTC-3:30 / -2:30) vs Halifax (-4 / -3)
    expect(recipientTimeZone({ e164: '+17095550100', now: JAN }).zone).toBe('America/Puerto_Rico');
    expect(recipientTimeZone({ e164: '+17095550100', now: JUL }).zone).toBe('America/Puerto_Rico');
    // 605 South Dakota: Denver wakes last in both seasons
    expect(recipientTimeZone({ e164: '+16055550100', now: JAN }).zone).toBe('America/Denver');
  });
});
