/**
 * The organization's compliance settings (defaults in organizations.ts) and the texts Textback
 * answers keywords with: checked on save, resolved per number at send time.
 *
 * Sources: /work/shared/reference/compliance.md (HELP must carry brand name, support contact and
 * "Reply STOP to opt out"; CTIA also expects "Msg & data rates may apply"), core's
 * validateHelpText / defaultComplianceTexts.
 */
import { defaultComplianceTexts, isValidTimeZone, validateHelpText, type ComplianceTexts } from '@textback/core';
import type { Organization, PhoneNumber } from '../../db/schema.js';
import { AppError, type FieldError } from '../../support/errors.js';
import { storedTextErrors } from '../message-text.js';
import type { OrganizationSettings } from '../organizations.js';

const HELP_ELEMENT_TEXT: Record<string, string> = {
  business_name: 'the business name',
  opt_out_instructions: 'how to opt out (e.g. "Reply STOP to opt out")',
  rates_disclaimer: '"Msg & data rates may apply"',
  contact: 'a contact (phone number, e-mail or web address)',
};

/** Per-number overrides of the keyword texts (phone_numbers.compliance_texts). */
export interface NumberComplianceTexts {
  help_text?: string | null;
  opt_out_text?: string | null;
  opt_in_text?: string | null;
}

/** Throws `validation_failed` naming each setting that is wrong; the help text must pass validateHelpText. */
export function validateComplianceSettings(settings: OrganizationSettings, businessName: string, field = 'settings', checkHelpText = true): void {
  const errors: FieldError[] = [];
  const s = settings as Partial<OrganizationSettings> & Record<string, unknown>;
  if (s.consent_scope !== 'universal' && s.consent_scope !== 'per_number') errors.push({ field: `${field}.consent_scope`, message: 'must be universal or per_number' });
  for (const key of ['quiet_hours', 'quiet_hours_exempt_live_conversation', 'automated_requires_consent'] as const) {
    if (typeof s[key] !== 'boolean') errors.push({ field: `${field}.${key}`, message: 'must be true or false' });
  }
  for (const key of ['automated_cap_per_24h', 'auto_suppress_after_failures'] as const) {
    const v = s[key];
    if (v !== null && !(Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 10_000)) errors.push({ field: `${field}.${key}`, message: 'must be a whole number from 1 to 10000, or null' });
  }
  if (!Array.isArray(s.allowed_countries) || s.allowed_countries.some((c) => typeof c !== 'string' || !/^[A-Za-z]{2}$/.test(c))) {
    errors.push({ field: `${field}.allowed_countries`, message: 'must be a list of two-letter country codes (ISO 3166-1), e.g. ["US","CA"]' });
  }
  if (!['block', 'flag', 'allow'].includes(String(s.landline_policy))) errors.push({ field: `${field}.landline_policy`, message: 'must be block, flag or allow' });
  for (const key of ['opt_out_language', 'opt_out_text', 'opt_in_text'] as const) {
    const v = s[key];
    if (v !== null && (typeof v !== 'string' || v.trim() === '' || v.length > 500)) errors.push({ field: `${field}.${key}`, message: 'must be a text of 1 to 500 characters, or null' });
    // Sent later (a STOP confirmation, the opt-out language of a first automated text): checked as a body.
    else errors.push(...storedTextErrors({ [`${field}.${key}`]: v }, maxLengthOf(s)));
  }
  if (checkHelpText) errors.push(...helpTextErrors(s.help_text, businessName, `${field}.help_text`, maxLengthOf(s)));
  if (errors.length > 0) throw new AppError('validation_failed', errors.map((e) => `${e.field} ${e.message}`).join('; '), errors);
}

const maxLengthOf = (s: Record<string, unknown>) => (typeof s.max_body_length === 'number' ? s.max_body_length : undefined);

/** Errors of a custom HELP answer: it must hold every element CTIA expects (validateHelpText). */
export function helpTextErrors(text: unknown, businessName: string, field: string, maxLength?: number): FieldError[] {
  if (text === null || text === undefined) return [];
  if (typeof text !== 'string' || text.trim() === '' || text.length > 500) return [{ field, message: 'must be a text of 1 to 500 characters, or null' }];
  const textErrors = storedTextErrors({ [field]: text }, maxLength);
  if (textErrors.length > 0) return textErrors;
  const missing = validateHelpText(text, businessName);
  if (missing.length === 0) return [];
  return [{ field, message: `must contain ${missing.map((m) => HELP_ELEMENT_TEXT[m] ?? m).join(', ')} (business name: "${businessName}")` }];
}

/** The texts a number answers keywords with: the number's own, else the organization's, else the defaults. */
export function complianceTexts(org: Organization, settings: OrganizationSettings, number: Pick<PhoneNumber, 'e164' | 'compliance_texts'>): ComplianceTexts {
  const defaults = defaultComplianceTexts(org.name, number.e164);
  const own = number.compliance_texts ? (JSON.parse(number.compliance_texts) as NumberComplianceTexts) : {};
  return {
    help: own.help_text ?? settings.help_text ?? defaults.help,
    optOutConfirmation: own.opt_out_text ?? settings.opt_out_text ?? defaults.optOutConfirmation,
    optInConfirmation: own.opt_in_text ?? settings.opt_in_text ?? defaults.optInConfirmation,
  };
}

/** The zone to fall back on for a recipient nothing else places: the organization's own. */
export function organizationZone(org: Organization): string | undefined {
  return isValidTimeZone(org.time_zone) ? org.time_zone : undefined;
}
