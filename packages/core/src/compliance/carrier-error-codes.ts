/**
 * Provider error code → delivery reason tables, used by `mapCarrierError` (delivery-status.ts).
 *
 * Sources:
 * - Twilio: twilio.md "Common error codes" (twilio.com/docs/api/errors/{code}).
 * - Telnyx: telnyx.md "Messaging error codes" (developers.telnyx.com messaging error-codes; partial).
 * - Bandwidth: bandwidth-messaging-error-codes.csv (Bandwidth/api-docs errors.mdx @ 2fcdf57), all
 *   76 codes, descriptions from bandwidth-error-codes.data.ts; scheme from bandwidth.md.
 *
 * Outcome classes:
 * - `retry`    transient: retry the same message later with backoff.
 * - `fatal`    will fail again unless something changes (content, registration, account, route):
 *              do not retry; the number itself is fine.
 * - `suppress` the number cannot / must not receive our SMS (invalid, landline, deactivated,
 *              opted out, blocklisted): do not retry and stop sending to it.
 * - `unsure`   ambiguous (unknown error, receipt timed out — the message may have arrived): do not
 *              retry automatically (risk of duplicates), but nothing is concluded about the number.
 */
import type { DeliveryReason } from './delivery-status.js';

export type ErrorOutcome = 'retry' | 'fatal' | 'suppress' | 'unsure';

export interface CarrierErrorRule {
  readonly outcome: ErrorOutcome;
  readonly reason: DeliveryReason;
  /** Short meaning; Bandwidth rows take theirs from the CSV when omitted. */
  readonly description?: string;
}

const r = (outcome: ErrorOutcome, reason: DeliveryReason, description?: string): CarrierErrorRule =>
  description === undefined ? { outcome, reason } : { outcome, reason, description };

/** twilio.md "Common error codes" (retry column quoted in comments where it guided the choice). */
export const TWILIO_ERROR_RULES: Readonly<Record<number, CarrierErrorRule>> = {
  21211: r('suppress', 'invalid_number', "Invalid 'To' phone number"),
  21408: r('fatal', 'unsupported_country', 'Permission to send to this region is not enabled (geo permissions)'),
  21610: r('suppress', 'opted_out', 'Recipient replied STOP (unsubscribed); blocked until START'),
  // "'To' not reachable via SMS / unsupported From→To pair": may be the sender pair, so not suppressed.
  21612: r('fatal', 'landline_or_unreachable', "'To' not reachable via SMS or unsupported From/To pair"),
  21614: r('suppress', 'landline_or_unreachable', "'To' is not a valid mobile number"),
  21635: r('suppress', 'landline_or_unreachable', "'To' number cannot be a landline"),
  30001: r('retry', 'rate_limited', 'Queue overflow (sending too fast): retry later'),
  30002: r('fatal', 'blocked_by_carrier', 'Account suspended'),
  30003: r('retry', 'landline_or_unreachable', 'Unreachable destination handset (off, no signal): maybe later'),
  30004: r('suppress', 'blocked_by_carrier', 'Message blocked (recipient blocked the sender / carrier block)'),
  30005: r('suppress', 'invalid_number', "Unknown destination handset (number doesn't exist / inactive)"),
  30006: r('suppress', 'landline_or_unreachable', 'Landline or unreachable carrier: mark the number non-SMS'),
  30007: r('fatal', 'spam_filtered', 'Message filtered (spam / carrier violation): fix content or registration'),
  30008: r('retry', 'carrier_unknown', 'Unknown error: retry with care'),
  30009: r('retry', 'carrier_unknown', 'Missing segment'),
  30010: r('fatal', 'carrier_unknown', 'Message price exceeds MaxPrice'),
  30032: r('fatal', 'blocked_by_carrier', 'Toll-free number not verified'),
  30034: r('fatal', 'blocked_by_carrier', 'US A2P 10DLC: message from an unregistered number'),
};

/** telnyx.md "Messaging error codes" (message.finalized errors[] and the synchronous 40300). */
export const TELNYX_ERROR_RULES: Readonly<Record<number, CarrierErrorRule>> = {
  40001: r('suppress', 'landline_or_unreachable', 'Not routable (landline / non-routable destination)'),
  40002: r('retry', 'spam_filtered', 'Blocked as spam (temporary)'),
  40003: r('fatal', 'spam_filtered', 'Blocked as spam (permanent)'),
  40004: r('fatal', 'blocked_by_carrier', 'Rejected by destination'),
  40005: r('unsure', 'carrier_unknown', 'Message expired before delivery'),
  40006: r('retry', 'landline_or_unreachable', 'Recipient unavailable (carrier down): retry with backoff'),
  40008: r('fatal', 'landline_or_unreachable', 'Undeliverable'),
  // No "invalid content" reason in the vocabulary: the provider refused the message.
  40009: r('fatal', 'blocked_by_carrier', 'Invalid message body'),
  40011: r('retry', 'rate_limited', 'Rate limited'),
  40300: r('suppress', 'opted_out', 'Blocked due to STOP message (block rule on the messaging profile)'),
};

/**
 * Every code of bandwidth-messaging-error-codes.csv. bandwidth.md: 4xxx client errors ("repeat gives
 * same result"), 5xxx service failures ("may retry"), 9xxx ambiguous. Exceptions to the scheme are
 * commented.
 */
export const BANDWIDTH_ERROR_RULES: Readonly<Record<number, CarrierErrorRule>> = {
  // Bandwidth-detected client errors (44xx/43xx/40xx)
  4001: r('fatal', 'blocked_by_carrier'),
  4301: r('fatal', 'blocked_by_carrier'),
  4302: r('fatal', 'blocked_by_carrier'),
  4303: r('suppress', 'invalid_number'),
  4350: r('suppress', 'invalid_number'),
  4360: r('unsure', 'carrier_unknown'), // our own `expiration` passed; resend only if still relevant
  4401: r('fatal', 'carrier_unknown'),
  4403: r('fatal', 'blocked_by_carrier'),
  4404: r('suppress', 'invalid_number'),
  4405: r('fatal', 'blocked_by_carrier'),
  4406: r('suppress', 'invalid_number'),
  4407: r('fatal', 'blocked_by_carrier'),
  4408: r('suppress', 'invalid_number'),
  4409: r('fatal', 'landline_or_unreachable'), // destination cannot take MMS; SMS may still work
  4410: r('retry', 'carrier_unknown'), // our media URL could not be fetched: may be transient
  4411: r('fatal', 'blocked_by_carrier'),
  4412: r('fatal', 'blocked_by_carrier'),
  4420: r('fatal', 'carrier_unknown'),
  4421: r('fatal', 'unsupported_country'),
  4431: r('fatal', 'blocked_by_carrier'),
  4432: r('fatal', 'unsupported_country'),
  4433: r('fatal', 'blocked_by_carrier'),
  4434: r('suppress', 'landline_or_unreachable'),
  4435: r('fatal', 'blocked_by_carrier'),
  4451: r('fatal', 'blocked_by_carrier'),
  4452: r('fatal', 'blocked_by_carrier'),
  4470: r('fatal', 'spam_filtered'),
  4481: r('fatal', 'blocked_by_carrier'),
  4482: r('suppress', 'blocked_by_carrier'),
  4492: r('suppress', 'invalid_number'),
  4493: r('fatal', 'blocked_by_carrier'),
  // Carrier-reported client errors (47xx)
  4700: r('suppress', 'landline_or_unreachable'),
  4701: r('fatal', 'landline_or_unreachable'),
  4702: r('retry', 'landline_or_unreachable'), // handset off / SIM full: transient despite 4xxx
  4711: r('fatal', 'blocked_by_carrier'),
  4712: r('fatal', 'blocked_by_carrier'),
  4720: r('suppress', 'invalid_number'),
  4721: r('suppress', 'invalid_number'),
  4730: r('fatal', 'landline_or_unreachable'),
  4740: r('fatal', 'blocked_by_carrier'),
  4750: r('fatal', 'blocked_by_carrier'),
  4751: r('fatal', 'blocked_by_carrier'),
  4752: r('fatal', 'blocked_by_carrier'),
  4753: r('fatal', 'blocked_by_carrier'),
  4770: r('fatal', 'spam_filtered'),
  4771: r('fatal', 'spam_filtered'),
  4772: r('fatal', 'blocked_by_carrier'), // "blocked sender or receiver": not known to be the recipient
  4773: r('fatal', 'blocked_by_carrier'),
  4774: r('fatal', 'blocked_by_carrier'),
  4775: r('suppress', 'opted_out'),
  4780: r('retry', 'rate_limited'), // volumetric: back off (despite 4xxx)
  4781: r('retry', 'rate_limited'),
  4785: r('retry', 'rate_limited'),
  4790: r('fatal', 'blocked_by_carrier'),
  4791: r('fatal', 'blocked_by_carrier'),
  4792: r('fatal', 'blocked_by_carrier'),
  4793: r('fatal', 'blocked_by_carrier'),
  4795: r('fatal', 'blocked_by_carrier'),
  // Bandwidth service failures (51xx/52xx/55xx/59xx)
  5100: r('retry', 'carrier_unknown'),
  5101: r('retry', 'carrier_unknown'),
  5106: r('unsure', 'carrier_unknown'), // Bandwidth already retried and gave up
  5111: r('retry', 'carrier_unknown'),
  5201: r('unsure', 'carrier_unknown'), // expired after Bandwidth's own retries
  5211: r('retry', 'carrier_unknown'),
  5220: r('retry', 'carrier_unknown'),
  5231: r('retry', 'carrier_unknown'),
  5500: r('retry', 'carrier_unknown'),
  5501: r('retry', 'carrier_unknown'),
  5999: r('retry', 'carrier_unknown'),
  // Carrier-reported service failures (56xx)
  5600: r('retry', 'rate_limited'), // congestion / queue full / throttling
  5610: r('retry', 'carrier_unknown'),
  5620: r('retry', 'carrier_unknown'),
  5630: r('retry', 'carrier_unknown'),
  5650: r('retry', 'carrier_unknown'),
  // Ambiguous (9xxx): may have been delivered — never auto-retry
  9902: r('unsure', 'carrier_unknown'),
  9999: r('unsure', 'carrier_unknown'),
};
