/**
 * Compliance rules of the SMS engine: keywords, recipient time zone, quiet hours, consent,
 * delivery status vocabulary, frequency caps. Pure functions; every time-dependent function takes
 * the instant `now` (epoch ms or luxon DateTime). Sources are cited in each module.
 */
export {
  DEFAULT_HELP_KEYWORDS,
  DEFAULT_KEYWORD_LISTS,
  DEFAULT_LIKELY_OPT_OUT,
  DEFAULT_OPT_IN_KEYWORDS,
  DEFAULT_OPT_OUT_KEYWORDS,
  appendOptOutLanguage,
  defaultComplianceTexts,
  hasOptOutLanguage,
  keywordCollision,
  matchKeyword,
  normalizeKeywordText,
  validateHelpText,
  type ComplianceTexts,
  type HelpTextElement,
  type KeywordKind,
  type KeywordLists,
  type KeywordMatch,
} from './keywords.js';

export {
  COUNTRY_TIME_ZONES,
  DEFAULT_RECIPIENT_ZONE,
  countryForNumber,
  isValidTimeZone,
  latestWakingZone,
  nanpAreaCodeInfo,
  recipientTimeZone,
  toEpochMillis,
  usStateForNumber,
  type Instant,
  type RecipientTimeZone,
  type RecipientTimeZoneInput,
  type TimeZoneBasis,
} from './time-zones.js';
export { NANP_AREA_CODES, type NanpAreaCode } from './nanp-area-codes.data.js';

export { isUsFederalHoliday, usFederalHolidayDates, usFederalHolidays, type UsFederalHoliday } from './holidays.js';

export {
  CRTC_QUIET_HOURS_RULE,
  DEFAULT_QUIET_HOURS_RULE,
  FEDERAL_QUIET_HOURS_RULE,
  LIVE_CONVERSATION_EXEMPTION,
  countryQuietHoursRule,
  defaultQuietHoursRules,
  quietHoursDecision,
  stateQuietHoursRule,
  type DayWindow,
  type QuietHoursDecision,
  type QuietHoursInput,
  type QuietHoursRule,
  type QuietHoursRuleRef,
  type WindowSpec,
} from './quiet-hours.js';
export { STATE_QUIET_HOURS, type QuietHoursCell, type StateQuietHoursRow } from './state-quiet-hours.data.js';

export {
  CONSENT_REFUSAL_CODES,
  CONSENT_STATES,
  SEND_ALLOWED_REASONS,
  SEND_BLOCKED_REASONS,
  UNKNOWN_CONSENT,
  applyConsentChange,
  canSend,
  type ConsentActor,
  type ConsentChange,
  type ConsentChangeResult,
  type ConsentChannel,
  type ConsentRecord,
  type ConsentRefusalCode,
  type ConsentState,
  type SendAllowedReason,
  type SendBlockedReason,
  type SendContext,
  type SendDecision,
} from './consent.js';

export {
  DELIVERY_REASONS,
  DELIVERY_STATUSES,
  FAILURE_STATUSES,
  TERMINAL_STATUSES,
  describeDeliveryFailure,
  isDeliveryReason,
  isDeliveryStatus,
  isTerminalStatus,
  mapCarrierError,
  mergePartStatus,
  type Carrier,
  type CarrierErrorMapping,
  type DeliveryReason,
  type DeliveryStatus,
} from './delivery-status.js';
export {
  BANDWIDTH_ERROR_RULES,
  TELNYX_ERROR_RULES,
  TWILIO_ERROR_RULES,
  type CarrierErrorRule,
  type ErrorOutcome,
} from './carrier-error-codes.js';
export { BANDWIDTH_ERROR_CODES, type BandwidthErrorCode } from './bandwidth-error-codes.data.js';

export {
  DEFAULT_ALLOWED_COUNTRIES,
  capDecision,
  countryAllowed,
  stateFrequencyCap,
  type CapDecision,
  type FrequencyCap,
} from './frequency.js';
