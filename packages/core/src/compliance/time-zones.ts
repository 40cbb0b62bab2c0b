/**
 * Recipient time zone for quiet-hour checks.
 *
 * Sources: /work/shared/reference/compliance.md ("Determining recipient time zone": area code →
 * nanp-area-codes.csv, an approximation since mobile numbers travel; NPAs spanning several zones →
 * be conservative) and README.md caveats for nanp-area-codes.csv. 47 CFR 64.1200(c)(1) measures
 * quiet hours at "the called party's location".
 */
import { DateTime, IANAZone } from 'luxon';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { NANP_AREA_CODES, type NanpAreaCode } from './nanp-area-codes.data.js';

/** An instant: epoch milliseconds or a luxon DateTime (callers pass a fake clock in tests). */
export type Instant = number | DateTime;

export function toEpochMillis(now: Instant): number {
  return typeof now === 'number' ? now : now.toMillis();
}

export type TimeZoneBasis = 'contact' | 'area_code' | 'country' | 'default';

export interface RecipientTimeZone {
  /** The single zone to use: for several candidates, the later-waking one at `now`. */
  readonly zone: string;
  readonly basis: TimeZoneBasis;
  /**
   * Every plausible zone (primary first). Pass it as `zone` to `quietHoursDecision` to require the
   * window to be open in all of them (compliance.md: "allow only the window that is open in every
   * listed zone").
   */
  readonly candidates: readonly string[];
  /** ISO country when known (from the area code, the `country` input or the number). */
  readonly country?: string;
}

/**
 * Zones per country for numbers without a (known) NANP area code. Multi-zone countries list every
 * populated mainland zone, so the later-waking one can be chosen (e.g. AU → Australia/Perth).
 * Sources: IANA tz database zone.tab.
 */
export const COUNTRY_TIME_ZONES: Readonly<Record<string, readonly [string, ...string[]]>> = {
  US: [
    'America/New_York',
    'America/Chicago',
    'America/Denver',
    'America/Phoenix',
    'America/Los_Angeles',
    'America/Anchorage',
    'Pacific/Honolulu',
  ],
  CA: [
    'America/Toronto',
    'America/St_Johns',
    'America/Halifax',
    'America/Winnipeg',
    'America/Regina',
    'America/Edmonton',
    'America/Vancouver',
  ],
  GB: ['Europe/London'],
  GG: ['Europe/Guernsey'],
  JE: ['Europe/Jersey'],
  IM: ['Europe/Isle_of_Man'],
  IE: ['Europe/Dublin'],
  AU: [
    'Australia/Sydney',
    'Australia/Melbourne',
    'Australia/Brisbane',
    'Australia/Adelaide',
    'Australia/Darwin',
    'Australia/Hobart',
    'Australia/Perth',
  ],
  NZ: ['Pacific/Auckland'],
  MX: ['America/Mexico_City', 'America/Cancun', 'America/Chihuahua', 'America/Mazatlan', 'America/Hermosillo', 'America/Tijuana'],
  PR: ['America/Puerto_Rico'],
  DE: ['Europe/Berlin'],
  FR: ['Europe/Paris'],
  ES: ['Europe/Madrid', 'Atlantic/Canary'],
  IT: ['Europe/Rome'],
  NL: ['Europe/Amsterdam'],
};

/** Main country per calling code, for numbers libphonenumber cannot attribute (invalid ranges). */
const CALLING_CODE_COUNTRY: Readonly<Record<string, string>> = {
  '1': 'US',
  '44': 'GB',
  '61': 'AU',
  '64': 'NZ',
  '353': 'IE',
  '52': 'MX',
  '49': 'DE',
  '33': 'FR',
  '34': 'ES',
  '39': 'IT',
  '31': 'NL',
};

/** Zone used when nothing is known; callers should pass the business's own zone. */
export const DEFAULT_RECIPIENT_ZONE = 'America/New_York';

const validZones = new Map<string, boolean>();

export function isValidTimeZone(zone: string | undefined | null): zone is string {
  if (typeof zone !== 'string' || zone === '') return false;
  // luxon builds an Intl.DateTimeFormat for every check: remember the answer (zones are few).
  let valid = validZones.get(zone);
  if (valid === undefined) {
    valid = IANAZone.isValidZone(zone);
    if (validZones.size > 1000) validZones.clear();
    validZones.set(zone, valid);
  }
  return valid;
}

/** Row of nanp-area-codes.csv for a +1 number ("+1NPANXXXXXX", formatting ignored), if the NPA is known. */
export function nanpAreaCodeInfo(e164: string): (NanpAreaCode & { readonly areaCode: string }) | undefined {
  const m = /^\+?1([2-9]\d{2})\d{7}$/.exec(e164.replace(/[\s().-]/g, ''));
  const areaCode = m?.[1];
  if (areaCode === undefined) return undefined;
  const row = NANP_AREA_CODES[areaCode];
  return row ? { ...row, areaCode } : undefined;
}

/**
 * Two-letter US state (e.g. 'TX') for a NANP number, from the area code's `region_code`
 * (compliance.md: "area-code region is the usual proxy"). `undefined` for non-US or unknown NPAs.
 */
export function usStateForNumber(e164: string): string | undefined {
  const info = nanpAreaCodeInfo(e164);
  const code = info?.regionCodes.find((c) => c.startsWith('US-'));
  return code?.slice(3);
}

/**
 * The later-waking zone at `now`: the one whose local time is earliest (smallest UTC offset).
 * Recomputed per instant because DST makes the order change (e.g. Phoenix vs Los Angeles).
 * Ties keep the earlier entry (the primary zone).
 */
export function latestWakingZone(zones: readonly [string, ...string[]], now: Instant): string {
  const ms = toEpochMillis(now);
  let best = zones[0];
  let bestOffset = DateTime.fromMillis(ms, { zone: best }).offset;
  for (const zone of zones.slice(1)) {
    const offset = DateTime.fromMillis(ms, { zone }).offset;
    if (offset < bestOffset) {
      best = zone;
      bestOffset = offset;
    }
  }
  return best;
}

/**
 * The recipient's country (ISO 3166-1 alpha-2): the NANP area code's country (US, CA, a Caribbean
 * country, ...), else libphonenumber's, else the calling code's main country.
 */
export function countryForNumber(e164: string): string | undefined {
  return nanpAreaCodeInfo(e164)?.country ?? countryOfNumber(e164);
}

function countryOfNumber(e164: string): string | undefined {
  const parsed = parsePhoneNumberFromString(e164.trim().startsWith('+') ? e164.trim() : `+${e164.trim()}`);
  if (!parsed) return undefined;
  return parsed.country ?? CALLING_CODE_COUNTRY[parsed.countryCallingCode];
}

export interface RecipientTimeZoneInput {
  /** Zone stored on the contact (e.g. set by an agent); wins when it is a valid IANA zone. */
  readonly contactTimeZone?: string | null;
  readonly e164: string;
  /** ISO 3166-1 alpha-2 country of the recipient, if known. */
  readonly country?: string | null;
  /** The instant the decision is for (DST changes which zone of a multi-zone NPA wakes later). */
  readonly now: Instant;
  /** Fallback zone (default {@link DEFAULT_RECIPIENT_ZONE}); pass the business's zone. */
  readonly defaultZone?: string;
}

/**
 * Resolves the recipient's zone, in order: the contact's own zone → NANP area code
 * (nanp-area-codes.csv; several zones → the later-waking one at `now`) → country table
 * (`country` input, else the number's country) → default.
 */
export function recipientTimeZone(input: RecipientTimeZoneInput): RecipientTimeZone {
  const { contactTimeZone, e164, now } = input;
  if (isValidTimeZone(contactTimeZone)) {
    return { zone: contactTimeZone, basis: 'contact', candidates: [contactTimeZone] };
  }

  const nanp = nanpAreaCodeInfo(e164);
  if (nanp) {
    return { zone: latestWakingZone(nanp.zones, now), basis: 'area_code', candidates: nanp.zones, country: nanp.country };
  }

  const country = (input.country ?? countryOfNumber(e164))?.toUpperCase();
  const zones = country === undefined ? undefined : COUNTRY_TIME_ZONES[country];
  if (zones) {
    return { zone: latestWakingZone(zones, now), basis: 'country', candidates: zones, country };
  }

  const fallback = isValidTimeZone(input.defaultZone) ? input.defaultZone : DEFAULT_RECIPIENT_ZONE;
  return { zone: fallback, basis: 'default', candidates: [fallback], ...(country ? { country } : {}) };
}
