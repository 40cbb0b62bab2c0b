/**
 * Phone number normalisation on libphonenumber-js with full metadata (`/max`: the `min` metadata cannot
 * tell a number's type, https://gitlab.com/catamphetamine/libphonenumber-js#min-vs-max-vs-mobile-vs-core),
 * behaviour measured with libphonenumber-js 1.13.16 (notes below).
 */
import {
  getCountryCallingCode,
  isSupportedCountry,
  parsePhoneNumberFromString,
  validatePhoneNumberLength,
  type CountryCode,
  type PhoneNumber,
  type PhoneNumberType as LibPhoneNumberType,
} from 'libphonenumber-js/max';

export type { CountryCode };

/** libphonenumber's own type name, or 'UNKNOWN' when it can't tell (getType() returned undefined). */
export type PhoneNumberType = LibPhoneNumberType | 'UNKNOWN';

export interface NormalizedPhone {
  /** E.164 form, e.g. '+14155552671'. Extensions ('ext. 123', 'x45') are dropped. */
  e164: string;
  /**
   * Region the number belongs to, decided by the number rather than `defaultCountry`: +1 416… is CA,
   * +1 787… PR, and +44 7911… GG (GB-family territories share +44). undefined for non-geographic
   * numbers such as +800… (phone-numbers.md, "Behaviour worth knowing").
   */
  country: CountryCode | undefined;
  /**
   * Ordinary US/CA numbers are FIXED_LINE_OR_MOBILE: NANP metadata can't tell a landline from a mobile,
   * so use a carrier lookup before texting (phone-numbers.md).
   */
  type: PhoneNumberType;
}

export type InvalidPhoneNumberReason =
  | 'empty'
  | 'not_a_number'
  | 'too_short'
  | 'too_long'
  | 'invalid_country_code'
  | 'invalid';

export class InvalidPhoneNumberError extends Error {
  override readonly name = 'InvalidPhoneNumberError';
  readonly code = 'invalid_number' as const;
  readonly reason: InvalidPhoneNumberReason;
  /** The input exactly as given. */
  readonly input: string;

  constructor(reason: InvalidPhoneNumberReason, input: string, message: string) {
    super(message);
    this.reason = reason;
    this.input = input;
  }
}

/**
 * Parse a number typed by a person (or imported) into E.164. National formats need `defaultCountry`;
 * international ones ('+44…', or '011 44…' with US) don't. Surrounding text is tolerated
 * ('call 415 555 2671'), as libphonenumber-js extracts the number.
 *
 * Throws InvalidPhoneNumberError unless libphonenumber-js considers the number valid. Note, per
 * phone-numbers.md: validity is not existence (555-01XX numbers are fictional but valid), Ofcom's
 * 07700 900xxx drama range is invalid. Vanity numbers such as '1-800-FLOWERS' are converted with
 * the keypad letters, as google-libphonenumber does (libphonenumber-js alone rejects them).
 */
/** Valid numbers normalized lately (input and default country → result); cleared when full. */
const recent = new Map<string, NormalizedPhone>();
const RECENT_MAX = 10_000;

export function normalizePhone(input: string, defaultCountry?: CountryCode): NormalizedPhone {
  const text = String(input ?? '');
  if (text.trim() === '') throw new InvalidPhoneNumberError('empty', text, 'Phone number is empty');

  // The same number is often normalized several times in a row (accepting a text, then the
  // compliance gate deciding on it): the numbering plan's answer for a valid number is remembered.
  const key = `${defaultCountry ?? ''}|${text}`;
  const known = recent.get(key);
  if (known) return { ...known };

  const vanity = vanityToDigits(text);
  const parsed = parsePhoneNumberFromString(vanity ?? text, defaultCountry);
  if (parsed?.isValid()) {
    const result: NormalizedPhone = { e164: parsed.number, country: parsed.country, type: parsed.getType() ?? 'UNKNOWN' };
    if (recent.size >= RECENT_MAX) recent.clear();
    recent.set(key, result);
    return { ...result };
  }

  const reason = failureReason(text, defaultCountry, parsed);
  throw new InvalidPhoneNumberError(reason, text, failureMessage(reason, text, defaultCountry, parsed));
}

const KEYPAD: Record<string, string> = Object.fromEntries(
  ['ABC', 'DEF', 'GHI', 'JKL', 'MNO', 'PQRS', 'TUV', 'WXYZ'].flatMap((letters, i) => [...letters].map((l) => [l, String(i + 2)])),
);

/**
 * google-libphonenumber's alpha handling (PhoneNumberUtil.normalize with ALPHA_PHONE_MAPPINGS): from
 * the first digit or '+', a number written with three or more letters is read on the keypad.
 * Returns null when the input is not such a number (or carries an extension, which stays as is).
 */
function vanityToDigits(text: string): string | null {
  const start = text.search(/[+\d]/);
  if (start < 0) return null;
  const rest = text.slice(start);
  if ((rest.match(/[A-Za-z]/g) ?? []).length < 3) return null;
  if (!/^[\d\s\-().+/A-Za-z]*$/.test(rest)) return null;
  if (/(?:ext\.?|extension|x)\s*\d+\s*$/i.test(rest)) return null;
  return rest.replace(/[A-Za-z]/g, (c) => KEYPAD[c.toUpperCase()] ?? c);
}

function failureReason(
  text: string,
  defaultCountry: CountryCode | undefined,
  parsed: PhoneNumber | undefined,
): InvalidPhoneNumberReason {
  switch (validatePhoneNumberLength(text, defaultCountry)) {
    case 'NOT_A_NUMBER':
      return 'not_a_number';
    case 'INVALID_COUNTRY':
      return 'invalid_country_code';
    case 'TOO_SHORT':
      return 'too_short';
    case 'TOO_LONG':
      return 'too_long';
    default: // a possible length (or INVALID_LENGTH) but no valid number
      return parsed ? 'invalid' : 'not_a_number';
  }
}

function failureMessage(
  reason: InvalidPhoneNumberReason,
  text: string,
  defaultCountry: CountryCode | undefined,
  parsed: PhoneNumber | undefined,
): string {
  const quoted = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
  const international = text.trimStart().startsWith('+');
  const region = regionLabel(parsed, international, defaultCountry);
  const forRegion = region ? ` for ${region}` : '';
  switch (reason) {
    case 'empty':
      return 'Phone number is empty';
    case 'not_a_number':
      return `${quoted} is not a phone number`;
    case 'too_short':
      return `${quoted} is too short to be a phone number${forRegion}`;
    case 'too_long':
      return `${quoted} is too long to be a phone number${forRegion}`;
    case 'invalid':
      return `${quoted} is not a valid phone number${forRegion}`;
    case 'invalid_country_code':
      if (international) return `${quoted} has an unknown country calling code`;
      if (defaultCountry === undefined) {
        return `${quoted} has no country calling code: start it with + and the country code, or give a default country`;
      }
      if (!isSupportedCountry(defaultCountry)) return `${quoted} can't be read: unknown default country "${defaultCountry}"`;
      return `${quoted} has an unknown country calling code`;
  }
}

/** 'US' (the number's region, or the default country when the calling code matches), else 'country code +1'. */
function regionLabel(
  parsed: PhoneNumber | undefined,
  international: boolean,
  defaultCountry: CountryCode | undefined,
): string | undefined {
  const validDefault = defaultCountry !== undefined && isSupportedCountry(defaultCountry) ? defaultCountry : undefined;
  if (!parsed) return international ? undefined : validDefault;
  if (parsed.country) return parsed.country;
  if (validDefault && getCountryCallingCode(validDefault) === parsed.countryCallingCode) return validDefault;
  return `country code +${parsed.countryCallingCode}`;
}

const E164 = /^\+[1-9]\d{7,14}$/;

/** True for a strict E.164 string: '+', then 8 to 15 digits, the first not 0. No spaces or punctuation. */
export function isE164(value: unknown): value is string {
  return typeof value === 'string' && E164.test(value);
}

/**
 * For inbound carrier traffic, which must never be rejected: returns `input` reduced to '+' and digits
 * when it is syntactically E.164 — a leading '+', then 8..15 digits (first not 0), optionally separated
 * by spaces, '-', '.', '(' or ')' — else null. No metadata check, so unknown ranges still pass
 * ('+15554265646'). Short codes and alphanumeric senders ('12345', 'ACME') give null. Never throws.
 */
export function parseE164Loose(input: string): string | null {
  if (typeof input !== 'string') return null;
  const trimmed = input.trim();
  if (!/^\+[\d\s().-]+$/.test(trimmed)) return null;
  const reduced = `+${trimmed.replace(/\D/g, '')}`;
  return E164.test(reduced) ? reduced : null;
}

/** The 3-digit NANP area code of a +1 E.164 number ('+14155552671' → '415'), else undefined. */
export function phoneAreaCode(e164: string): string | undefined {
  return /^\+1([2-9]\d{2})\d{7}$/.exec(e164)?.[1];
}
