/**
 * Frequency caps and destination-country allowlist.
 *
 * Sources: state-quiet-hours.csv `frequency_cap` (FL Stat. 501.616(6)(b), Okla. Stat. tit. 15
 * 775C.4, Md. Com. Law 14-4501: at most 3 solicitation messages per 24 h on the same subject);
 * operator-configured caps otherwise. Country allowlist: product scope US/CA/GB/AU (phone-numbers.md).
 */
import { STATE_QUIET_HOURS } from './state-quiet-hours.data.js';
import { toEpochMillis, type Instant } from './time-zones.js';

export interface FrequencyCap {
  /** Most messages allowed inside any rolling window. */
  readonly maxPerWindow: number;
  readonly windowMs: number;
}

export type CapDecision =
  | { readonly allowed: true; /** Sends still possible in the current window after this one. */ readonly remaining: number }
  | { readonly allowed: false; readonly reason: 'cap_reached'; /** First instant a send fits the cap again. */ readonly nextAllowedAt: number };

/**
 * Rolling-window cap: a message may be sent at `now` if fewer than `maxPerWindow` earlier sends
 * fall in the window `(now - windowMs, now]` (a send exactly `windowMs` ago has left the window).
 * Timestamps after `now` (clock skew, just-recorded sends) are counted, to stay on the safe side.
 */
export function capDecision(sentTimestamps: readonly number[], now: Instant, cap: FrequencyCap): CapDecision {
  const { maxPerWindow, windowMs } = cap;
  if (!Number.isInteger(maxPerWindow) || maxPerWindow < 1) throw new RangeError('maxPerWindow must be a positive integer');
  if (!(windowMs > 0)) throw new RangeError('windowMs must be positive');

  const at = toEpochMillis(now);
  const inWindow = sentTimestamps.filter((t) => t > at - windowMs).sort((a, b) => a - b);
  if (inWindow.length < maxPerWindow) return { allowed: true, remaining: maxPerWindow - inWindow.length - 1 };

  // The (count - max + 1) oldest sends must leave the window before one more fits.
  const mustExpire = inWindow[inWindow.length - maxPerWindow] ?? at;
  return { allowed: false, reason: 'cap_reached', nextAllowedAt: mustExpire + windowMs };
}

/**
 * Statutory cap for a US state ('FL' or 'US-FL'), from state-quiet-hours.csv: FL, OK, MD allow
 * 3 solicitation messages per 24 h on the same subject. `undefined` when the state has none listed.
 */
export function stateFrequencyCap(state: string): (FrequencyCap & { readonly scope: string; readonly source: string }) | undefined {
  const code = state.trim().toUpperCase().replace(/^US-/, '');
  const row = STATE_QUIET_HOURS.find((r) => r.jurisdiction === code);
  if (!row?.frequencyCap) return undefined;
  return {
    maxPerWindow: row.frequencyCap.max,
    windowMs: row.frequencyCap.windowHours * 3_600_000,
    scope: row.frequencyCap.scope,
    source: row.statute,
  };
}

/** Countries the product sends to by default. */
export const DEFAULT_ALLOWED_COUNTRIES = ['US', 'CA', 'GB', 'AU'] as const;

/** True when `country` (ISO 3166-1 alpha-2, any case) is in `allowed`; unknown country → false. */
export function countryAllowed(country: string | null | undefined, allowed: readonly string[] = DEFAULT_ALLOWED_COUNTRIES): boolean {
  if (!country) return false;
  const code = country.trim().toUpperCase();
  return allowed.some((c) => c.toUpperCase() === code);
}
