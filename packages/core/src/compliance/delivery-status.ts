/**
 * One delivery-status and reason vocabulary for every provider, and the merge rule for
 * multi-part messages.
 *
 * Sources: twilio.md (MessageStatus values; "callbacks may arrive out of order / duplicated: keep a
 * precedence and never move a terminal status backwards"), telnyx.md (to[].status), bandwidth.md
 * (message-delivered / message-failed callbacks). Carrier error tables: carrier-error-codes.ts.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { BANDWIDTH_ERROR_CODES } from './bandwidth-error-codes.data.js';
import {
  BANDWIDTH_ERROR_RULES,
  TELNYX_ERROR_RULES,
  TWILIO_ERROR_RULES,
  type CarrierErrorRule,
  type ErrorOutcome,
} from './carrier-error-codes.js';

/**
 * Lifecycle, in precedence order:
 * `scheduled` (waiting for send_at) → `held` (paused by quiet hours / cap / review before queueing)
 * → `queued` → `sending` → `sent` (accepted by the carrier) → `delivered` (handset DLR);
 * terminal failures: `undelivered` (carrier could not deliver), `failed` (rejected / not sent),
 * `cancelled` (withdrawn before sending), `blocked` (refused by our compliance rules).
 */
export const DELIVERY_STATUSES = [
  'scheduled',
  'held',
  'queued',
  'sending',
  'sent',
  'delivered',
  'undelivered',
  'failed',
  'cancelled',
  'blocked',
] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const DELIVERY_REASONS = [
  'landline_or_unreachable',
  'unsupported_country',
  'spam_filtered',
  'opted_out',
  'invalid_number',
  'blocked_by_carrier',
  'rate_limited',
  'carrier_unknown',
  'quiet_hours',
  'suppressed',
  'cap_reached',
  'no_consent',
] as const;
export type DeliveryReason = (typeof DELIVERY_REASONS)[number];

export const TERMINAL_STATUSES: readonly DeliveryStatus[] = ['delivered', 'undelivered', 'failed', 'cancelled', 'blocked'];
export const FAILURE_STATUSES: readonly DeliveryStatus[] = ['undelivered', 'failed', 'cancelled', 'blocked'];

export function isDeliveryStatus(value: unknown): value is DeliveryStatus {
  return typeof value === 'string' && (DELIVERY_STATUSES as readonly string[]).includes(value);
}

export function isDeliveryReason(value: unknown): value is DeliveryReason {
  return typeof value === 'string' && (DELIVERY_REASONS as readonly string[]).includes(value);
}

export function isTerminalStatus(status: DeliveryStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/**
 * Merges the status reported for one part (or one duplicated / out-of-order callback) into the
 * message's status. The result is the later status in {@link DELIVERY_STATUSES} order, so:
 * - status never moves backwards (`delivered` + late `sent` → `delivered`);
 * - a failure is never hidden by a later success (`failed` + `delivered` → `failed`): a multi-part
 *   message keeps its worst outcome;
 * - among failures the more definitive wins (`undelivered` < `failed` < `cancelled` < `blocked`).
 */
export function mergePartStatus(current: DeliveryStatus, incoming: DeliveryStatus): DeliveryStatus {
  return DELIVERY_STATUSES.indexOf(incoming) > DELIVERY_STATUSES.indexOf(current) ? incoming : current;
}

export type Carrier = 'twilio' | 'telnyx' | 'bandwidth';

export interface CarrierErrorMapping {
  readonly reason: DeliveryReason;
  /** Transient: the same message may be retried later (with backoff). */
  readonly retryable: boolean;
  /** Retrying unchanged will fail the same way (content, registration, account, number). */
  readonly permanent: boolean;
  /** Stop sending to this number (invalid, landline, deactivated, opted out, blocklisted). */
  readonly suppressesNumber: boolean;
  /** Human-readable meaning, for logs and the UI. */
  readonly description: string;
}

const OUTCOME_FLAGS: Readonly<Record<ErrorOutcome, Pick<CarrierErrorMapping, 'retryable' | 'permanent' | 'suppressesNumber'>>> = {
  retry: { retryable: true, permanent: false, suppressesNumber: false },
  fatal: { retryable: false, permanent: true, suppressesNumber: false },
  suppress: { retryable: false, permanent: true, suppressesNumber: true },
  unsure: { retryable: false, permanent: false, suppressesNumber: false },
};

const TABLES: Readonly<Record<Carrier, Readonly<Record<number, CarrierErrorRule>>>> = {
  twilio: TWILIO_ERROR_RULES,
  telnyx: TELNYX_ERROR_RULES,
  bandwidth: BANDWIDTH_ERROR_RULES,
};

/**
 * Codes missing from the tables. Default: `carrier_unknown`, not retried automatically (it might
 * have been delivered, or fail forever), nothing concluded about the number. Exception: Bandwidth's
 * documented scheme (bandwidth.md) — unknown 4xxx are client errors ("repeat gives same result") →
 * permanent; unknown 5xxx are service failures ("may retry") → retryable.
 */
function unknownCode(carrier: Carrier, code: number | undefined): CarrierErrorRule {
  if (carrier === 'bandwidth' && code !== undefined) {
    if (code >= 4000 && code < 5000) return { outcome: 'fatal', reason: 'carrier_unknown', description: 'Unlisted Bandwidth client error (4xxx)' };
    if (code >= 5000 && code < 6000) return { outcome: 'retry', reason: 'carrier_unknown', description: 'Unlisted Bandwidth service failure (5xxx)' };
  }
  return { outcome: 'unsure', reason: 'carrier_unknown', description: `Unknown ${carrier} error code` };
}

/**
 * Maps a provider error code (Twilio `ErrorCode` 21xxx/30xxx, Telnyx `errors[].code` 40xxx,
 * Bandwidth `errorCode` 4xxx/5xxx/9xxx; number or numeric string) to the shared reason vocabulary
 * and what to do next. See carrier-error-codes.ts for the per-code choices.
 */
export function mapCarrierError(carrier: Carrier, code: string | number): CarrierErrorMapping {
  const text = String(code).trim();
  const numeric = /^\d+$/.test(text) ? Number(text) : undefined;
  const rule = (numeric === undefined ? undefined : TABLES[carrier][numeric]) ?? unknownCode(carrier, numeric);
  const description =
    rule.description ??
    (carrier === 'bandwidth' && numeric !== undefined ? BANDWIDTH_ERROR_CODES[numeric]?.description : undefined) ??
    `${carrier} error ${text}`;
  return { reason: rule.reason, ...OUTCOME_FLAGS[rule.outcome], description };
}

/**
 * Why a text that `failed` or was `undelivered` did not arrive, in a sentence a person reads beside
 * the status: `the carrier says +1 415 555 0803 is a landline or unreachable (30006)`. Every
 * {@link DeliveryReason} has one; the carrier's error code, when known, is in brackets.
 */
export function describeDeliveryFailure(failure: { reason: string | null | undefined; errorCode?: string | null | undefined; to: string }): string {
  const to = formatPhoneForPeople(failure.to);
  const code = failure.errorCode ? ` (${failure.errorCode})` : '';
  const reason = failure.reason ?? '';
  const sentence = isDeliveryReason(reason) ? FAILURE_SENTENCES[reason](to) : `the carrier could not deliver it to ${to}${reason ? ` (${reason.replace(/_/g, ' ')})` : ', and gave no reason'}`;
  return `${sentence}${code}`;
}

const FAILURE_SENTENCES: Readonly<Record<DeliveryReason, (to: string) => string>> = {
  landline_or_unreachable: (to) => `the carrier says ${to} is a landline or unreachable`,
  unsupported_country: (to) => `the carrier does not deliver to ${to}'s country from this number`,
  spam_filtered: () => 'the carrier filtered it as spam',
  opted_out: (to) => `the carrier says ${to} has opted out of texts from this number (replied STOP)`,
  invalid_number: (to) => `the carrier says ${to} is not a working mobile number`,
  blocked_by_carrier: () => 'the carrier refused it (the sending number or account is not allowed to send it)',
  rate_limited: () => 'the carrier refused it because texts were sent too fast, and every retry failed',
  carrier_unknown: (to) => `the carrier could not deliver it to ${to} and did not say why`,
  quiet_hours: (to) => `it could not go out within the quiet-hours window for ${to}`,
  suppressed: (to) => `${to} is on the suppression list`,
  cap_reached: (to) => `${to} already got the most automated texts allowed in 24 hours`,
  no_consent: (to) => `${to} has not consented to automated texts`,
};

/** `+14155550803` → `+1 415 555 0803` (libphonenumber's international format); anything else unchanged. */
function formatPhoneForPeople(e164: string): string {
  return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164;
}
