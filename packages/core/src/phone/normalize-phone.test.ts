import { describe, expect, it } from 'vitest';
import {
  InvalidPhoneNumberError,
  isE164,
  normalizePhone,
  parseE164Loose,
  phoneAreaCode,
  type CountryCode,
  type InvalidPhoneNumberReason,
} from './index.js';

/** Run normalizePhone and return the InvalidPhoneNumberError it throws (fails if it doesn't). */
function failure(input: string, defaultCountry?: CountryCode): InvalidPhoneNumberError {
  try {
    normalizePhone(input, defaultCountry);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPhoneNumberError);
    return error as InvalidPhoneNumberError;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

describe('normalizePhone — valid numbers', () => {
  it.each<[string, CountryCode | undefined]>([
    ['+14155552671', undefined],
    ['+1 415 555 2671', undefined],
    ['+1-415-555-2671', undefined],
    ['  +1 (415) 555-2671  ', undefined],
    ['(415) 555-2671', 'US'],
    ['415.555.2671', 'US'],
    ['4155552671', 'US'],
    ['1 415 555 2671', 'US'],
    ['+1 415 555 2671', 'GB'], // an explicit + wins over the default country
    ['４１５５５５２６７１', 'US'], // full-width digits
  ])('%j (default %s) → +14155552671', (input, country) => {
    expect(normalizePhone(input, country)).toEqual({ e164: '+14155552671', country: 'US', type: 'FIXED_LINE_OR_MOBILE' });
  });

  it.each<[string, CountryCode | undefined, string, string]>([
    // phone-numbers.md: the country of a +1 number is decided by its area code, not the default.
    ['+1 416 555 0100', 'US', '+14165550100', 'CA'],
    ['+1 787 555 0100', undefined, '+17875550100', 'PR'],
    ['+1 876 555 0100', undefined, '+18765550100', 'JM'],
    ['+1 671 555 0100', undefined, '+16715550100', 'GU'],
    // phone-numbers.md: GB-family territories share +44 — don't assume +44 ⇒ GB.
    ['+44 7911 123456', undefined, '+447911123456', 'GG'],
    ['07911 123456', 'GB', '+447911123456', 'GG'],
    ['+44 1534 123456', undefined, '+441534123456', 'JE'],
    ['+44 7624 123456', undefined, '+447624123456', 'IM'],
    ['020 7946 0958', 'GB', '+442079460958', 'GB'],
    ['0044 20 7946 0958', 'GB', '+442079460958', 'GB'],
    ['011 44 20 7946 0958', 'US', '+442079460958', 'GB'], // US international prefix
    ['04 1234 5678', 'AU', '+61412345678', 'AU'],
    ['(02) 9374 4000', 'AU', '+61293744000', 'AU'],
    ['+33 6 12 34 56 78', undefined, '+33612345678', 'FR'],
  ])('%j (default %s) → %s in %s', (input, defaultCountry, e164, country) => {
    expect(normalizePhone(input, defaultCountry)).toMatchObject({ e164, country });
  });

  it.each([
    ['+1 212 555 0123', 'FIXED_LINE_OR_MOBILE'], // NANP can't tell mobile from landline
    ['+1 800 555 0100', 'TOLL_FREE'],
    ['+1 833 555 0100', 'TOLL_FREE'],
    ['+1 844 555 0100', 'TOLL_FREE'],
    ['+1 855 555 0100', 'TOLL_FREE'],
    ['+1 866 555 0100', 'TOLL_FREE'],
    ['+1 877 555 0100', 'TOLL_FREE'],
    ['+1 888 555 0100', 'TOLL_FREE'],
    ['+1 900 555 0100', 'PREMIUM_RATE'],
    ['+1 500 555 0100', 'PERSONAL_NUMBER'],
    ['+1 533 555 0100', 'PERSONAL_NUMBER'],
    ['+61 412 345 678', 'MOBILE'],
    ['+61 2 9374 4000', 'FIXED_LINE'],
    ['+61 1800 123 456', 'TOLL_FREE'],
    ['+44 56 1234 5678', 'VOIP'],
    ['+44 70 1234 5678', 'PERSONAL_NUMBER'],
    ['+43 810 621 1755', 'SHARED_COST'],
    ['+41 74 078 56 66', 'PAGER'],
    ['+247 041 648', 'UAN'],
    ['+420 937 718 744 12', 'VOICEMAIL'],
  ])('%j is %s', (input, type) => {
    expect(normalizePhone(input).type).toBe(type);
  });

  it('a non-geographic number has no country', () => {
    expect(normalizePhone('+800 1234 5678')).toEqual({ e164: '+80012345678', country: undefined, type: 'TOLL_FREE' });
  });

  it('fictional 555-01XX numbers are valid per metadata (phone-numbers.md)', () => {
    expect(normalizePhone('(212) 555-0123', 'US').e164).toBe('+12125550123');
  });

  it.each<[string, CountryCode | undefined]>([
    ['(212) 555-0123 ext. 123', 'US'],
    ['212-555-0123 x45', 'US'],
    ['+1 212 555 0123;ext=5', undefined],
    ['+12125550123#123', undefined],
  ])('drops the extension of %j', (input, country) => {
    expect(normalizePhone(input, country).e164).toBe('+12125550123');
  });

  it('always returns strict E.164 that parseE164Loose keeps as is', () => {
    for (const input of ['+1 415 555 2671', '+44 7911 123456', '+800 1234 5678', '+61 412 345 678']) {
      const { e164 } = normalizePhone(input);
      expect(isE164(e164)).toBe(true);
      expect(parseE164Loose(e164)).toBe(e164);
    }
  });
});

describe('normalizePhone — vanity numbers (keypad letters, as google-libphonenumber reads them)', () => {
  it.each([
    ['1-800-FLOWERS', '+18003569377'],
    ['1 (800) GOT-JUNK', '+18004685865'],
    ['+1 800 flowers', '+18003569377'],
  ])('%s → %s', (input, e164) => {
    expect(normalizePhone(input, 'US')).toMatchObject({ e164, type: 'TOLL_FREE' });
  });

  it('reads trailing words as keypad letters, like google-libphonenumber: a number inside a sentence is refused', () => {
    expect(() => normalizePhone('call me at 415 555 2671 thanks', 'US')).toThrow(InvalidPhoneNumberError);
  });

  it('keeps an extension as an extension, not as letters', () => {
    expect(normalizePhone('415 555 2671 ext. 123', 'US').e164).toBe('+14155552671');
  });
});

describe('normalizePhone — rejected input', () => {
  it.each<[string, CountryCode | undefined, InvalidPhoneNumberReason, string]>([
    ['', 'US', 'empty', 'Phone number is empty'],
    ['   ', 'US', 'empty', 'Phone number is empty'],
    ['\t\n', undefined, 'empty', 'Phone number is empty'],
    ['abc', 'US', 'not_a_number', '"abc" is not a phone number'],
    ['++14155552671', undefined, 'not_a_number', '"++14155552671" is not a phone number'],
    ['\u0000', 'US', 'not_a_number', '"\\u0000" is not a phone number'],
    ['😜', 'US', 'not_a_number', '"😜" is not a phone number'],
    ['1', 'US', 'too_short', '"1" is too short to be a phone number for US'],
    ['415', 'US', 'too_short', '"415" is too short to be a phone number for US'],
    ['+1 212 555 012', 'US', 'too_short', '"+1 212 555 012" is too short to be a phone number for US'],
    ['+1', undefined, 'too_short', '"+1" is too short to be a phone number'],
    ['+61 4', 'US', 'too_short', '"+61 4" is too short to be a phone number'],
    ['41555526711111111', 'US', 'too_long', '"41555526711111111" is too long to be a phone number for US'],
    ['+1 212 555 01234', undefined, 'too_long', '"+1 212 555 01234" is too long to be a phone number for country code +1'],
    ['+999 1234567', undefined, 'invalid_country_code', '"+999 1234567" has an unknown country calling code'],
    ['+999 1234567', 'US', 'invalid_country_code', '"+999 1234567" has an unknown country calling code'],
    [
      '4155552671',
      undefined,
      'invalid_country_code',
      '"4155552671" has no country calling code: start it with + and the country code, or give a default country',
    ],
    ['4155552671', 'ZZ' as CountryCode, 'invalid_country_code', '"4155552671" can\'t be read: unknown default country "ZZ"'],
    ['+1 555 426 5646', 'US', 'invalid', '"+1 555 426 5646" is not a valid phone number for US'],
    ['+1 555 426 5646', undefined, 'invalid', '"+1 555 426 5646" is not a valid phone number for country code +1'],
    ['+1 555 426 5646', 'GB', 'invalid', '"+1 555 426 5646" is not a valid phone number for country code +1'],
    // phone-numbers.md: Ofcom's 07700 900xxx drama range is parseable but invalid.
    ['07700 900123', 'GB', 'invalid', '"07700 900123" is not a valid phone number for GB'],
    ['+44 7700 900123', undefined, 'invalid', '"+44 7700 900123" is not a valid phone number for country code +44'],
  ])('%j (default %s) → %s', (input, country, reason, message) => {
    const error = failure(input, country);
    expect(error.reason).toBe(reason);
    expect(error.message).toBe(message);
  });

  it('throws a typed, serialisable error', () => {
    const error = failure('+1 555 426 5646', 'US');
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'InvalidPhoneNumberError',
      code: 'invalid_number',
      reason: 'invalid',
      input: '+1 555 426 5646',
    });
    expect(String(error)).toBe('InvalidPhoneNumberError: "+1 555 426 5646" is not a valid phone number for US');
    expect(error.stack).toContain('normalize-phone');
  });

  it('handles very long input without throwing anything else, and shortens it in the message', () => {
    const error = failure('9'.repeat(10_000), 'US');
    expect(error.reason).toBe('too_long');
    expect(error.input).toHaveLength(10_000);
    expect(error.message).toBe(`"${'9'.repeat(40)}…" is too long to be a phone number for US`);
  });

  it('only ever throws InvalidPhoneNumberError for junk', () => {
    const junk = ['+', '+0', '+00', '()', '-', '\uD83D', '\u202E+1 415', 'x'.repeat(10_000), '+'.repeat(300), '0'.repeat(20)];
    for (const input of junk) {
      for (const country of [undefined, 'US', 'GB'] as const) {
        expect(() => normalizePhone(input, country)).toThrow(InvalidPhoneNumberError);
      }
    }
  });

  it('treats null/undefined from untyped callers as empty', () => {
    expect(failure(undefined as unknown as string).reason).toBe('empty');
    expect(failure(null as unknown as string).reason).toBe('empty');
  });
});

describe('parseE164Loose', () => {
  it.each([
    ['+14155552671', '+14155552671'],
    ['+1 (415) 555-2671', '+14155552671'],
    ['  +44 20 7946 0958\n', '+442079460958'],
    ['+1.415.555.2671', '+14155552671'],
    ['+15554265646', '+15554265646'], // invalid per metadata, still syntactically E.164
    ['+999123456789', '+999123456789'], // unknown calling code: inbound is never rejected
    ['+12345678', '+12345678'], // 8 digits
    ['+123456789012345', '+123456789012345'], // 15 digits
  ])('%j → %s', (input, expected) => {
    expect(parseE164Loose(input)).toBe(expected);
  });

  it.each([
    '',
    '+',
    '+1234567', // 7 digits
    '+1234567890123456', // 16 digits
    '+0123456789', // first digit 0
    '14155552671', // no +
    '12345', // short code
    'ACME', // alphanumeric sender ID
    '++14155552671',
    '1+4155552671',
    '+1 415 abc 2671',
    'tel:+14155552671',
    '+1415555267１', // full-width digit
    '+14155552671 ext 5',
  ])('%j → null', (input) => {
    expect(parseE164Loose(input)).toBeNull();
  });

  it('never throws on non-string input', () => {
    expect(parseE164Loose(undefined as unknown as string)).toBeNull();
    expect(parseE164Loose(14155552671 as unknown as string)).toBeNull();
  });
});

describe('isE164', () => {
  it.each(['+14155552671', '+442079460958', '+12345678', '+123456789012345'])('%j is E.164', (s) => {
    expect(isE164(s)).toBe(true);
  });

  it.each(['+1 415 555 2671', '14155552671', '+0123456789', '+1234567', '+1234567890123456', '+14155552671\n', ''])(
    '%j is not E.164',
    (s) => {
      expect(isE164(s)).toBe(false);
    },
  );

  it('rejects non-strings', () => {
    expect(isE164(14155552671)).toBe(false);
    expect(isE164(undefined)).toBe(false);
  });
});

describe('phoneAreaCode', () => {
  it.each([
    ['+14155552671', '415'],
    ['+14165550100', '416'], // CA: still a NANP area code
    ['+15554265646', '555'],
    ['+18005550100', '800'],
  ])('%s → %s', (e164, areaCode) => {
    expect(phoneAreaCode(e164)).toBe(areaCode);
  });

  it.each([
    '+442079460958', // not +1
    '+1415555267', // too short
    '+141555526710', // too long
    '+11235550100', // NANP area codes never start with 0 or 1
    '14155552671', // not E.164
    '+1 415 555 2671', // not E.164
    '',
  ])('%j → undefined', (input) => {
    expect(phoneAreaCode(input)).toBeUndefined();
  });
});

describe('normalizePhone, asked again', () => {
  it('gives the same answer each time, as its own object, and still depends on the default country', () => {
    const first = normalizePhone('020 7946 0958', 'GB');
    first.e164 = 'changed by a caller';
    expect(normalizePhone('020 7946 0958', 'GB')).toEqual({ e164: '+442079460958', country: 'GB', type: 'FIXED_LINE' });
    // The same text read with another default country is another number (or none).
    expect(() => normalizePhone('020 7946 0958', 'US')).toThrow();
    expect(normalizePhone('(415) 555-2671', 'US').e164).toBe('+14155552671');
    expect(normalizePhone('(415) 555-2671', 'US').e164).toBe('+14155552671');
  });
});
