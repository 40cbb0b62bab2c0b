/**
 * Consent state machine.
 *
 * Sources:
 * - TCPA 47 CFR 64.1200(a)(2)/(a)(1)(iii): automated marketing texts need prior express *written*
 *   consent, automated informational texts prior express consent.
 * - FCC 2024 revocation rule (as summarised in compliance.md): revocation "by any reasonable means",
 *   honoured promptly; a revoked consent is only restored by a new consent from the consumer.
 * - CTIA Messaging Principles (compliance.md): STOP opts out; START/UNSTOP opts back in; one
 *   confirmation message is allowed after STOP.
 * Product rule: an opt-out the contact made (keyword, free text, carrier-reported STOP) can only be
 * undone by the contact; one an agent made can be undone by an agent (or the contact).
 */

export const CONSENT_STATES = ['opted_in', 'implied', 'opted_out', 'unknown'] as const;
/** `opted_in` = express consent; `implied` = e.g. the contact called or texted the business first. */
export type ConsentState = (typeof CONSENT_STATES)[number];

/** Who made a change: the contact themself, a human agent, or the system (imports, suppressions). */
export type ConsentActor = 'contact' | 'agent' | 'system';

/** How the change arrived. */
export type ConsentChannel = 'keyword' | 'message' | 'call' | 'form' | 'manual' | 'import' | 'carrier';

export interface ConsentRecord {
  readonly state: ConsentState;
  /** Provenance of the current opt-out; present only when `state === 'opted_out'`. */
  readonly optOut?: { readonly by: ConsentActor; readonly via: ConsentChannel; readonly at: number };
  /** Epoch ms of the last change. */
  readonly updatedAt?: number;
}

export interface ConsentChange {
  /** `opt_in` = express consent, `implied` = contact-initiated interaction, `opt_out` = revocation. */
  readonly type: 'opt_in' | 'implied' | 'opt_out';
  readonly by: ConsentActor;
  readonly via: ConsentChannel;
  /** Epoch ms of the change. */
  readonly at: number;
}

export const CONSENT_REFUSAL_CODES = [
  'opted_out_by_contact',
  'opted_out_by_agent',
  'implied_cannot_override_opt_out',
] as const;
export type ConsentRefusalCode = (typeof CONSENT_REFUSAL_CODES)[number];

export type ConsentChangeResult =
  | { readonly ok: true; readonly record: ConsentRecord; readonly changed: boolean }
  | { readonly ok: false; readonly refusal: { readonly code: ConsentRefusalCode; readonly reason: string } };

export const UNKNOWN_CONSENT: ConsentRecord = { state: 'unknown' };

/** Higher authority may undo an opt-out made by an equal or lower one. */
const AUTHORITY: Readonly<Record<ConsentActor, number>> = { system: 0, agent: 1, contact: 2 };

function refuse(code: ConsentRefusalCode, reason: string): ConsentChangeResult {
  return { ok: false, refusal: { code, reason } };
}

/**
 * Applies a consent change and returns the new record, or a typed refusal:
 * - `opt_out` always succeeds (revocation is honoured from any state). If already opted out, the
 *   provenance with the higher authority is kept, so an agent cannot "re-own" a contact's STOP.
 * - `opt_in` from `opted_out` needs an actor with at least the opt-out's authority: a contact's
 *   opt-out (keyword, free text, carrier STOP report) needs the contact (START, UNSTOP, a form);
 *   an agent's opt-out can be undone by an agent or the contact.
 * - `implied` never undoes an opt-out (a new inbound message is not a new consent) and never
 *   downgrades express consent.
 */
export function applyConsentChange(current: ConsentRecord, change: ConsentChange): ConsentChangeResult {
  const ok = (record: ConsentRecord): ConsentChangeResult => ({
    ok: true,
    record,
    changed: record.state !== current.state || record.optOut?.by !== current.optOut?.by,
  });

  if (change.type === 'opt_out') {
    const previous = current.state === 'opted_out' ? current.optOut : undefined;
    if (previous && AUTHORITY[previous.by] >= AUTHORITY[change.by]) return { ok: true, record: current, changed: false };
    return ok({ state: 'opted_out', optOut: { by: change.by, via: change.via, at: change.at }, updatedAt: change.at });
  }

  if (current.state === 'opted_out') {
    const owner = current.optOut?.by ?? 'contact'; // unknown provenance: assume the contact's (strictest)
    if (change.type === 'implied') {
      return refuse(
        'implied_cannot_override_opt_out',
        'The contact opted out; an inbound message or call is not a new consent. Only an explicit opt-in can resume messaging.',
      );
    }
    if (AUTHORITY[change.by] < AUTHORITY[owner]) {
      return owner === 'contact'
        ? refuse(
            'opted_out_by_contact',
            'The contact opted out themself; only the contact can opt back in (e.g. by texting START).',
          )
        : refuse('opted_out_by_agent', 'An agent opted this contact out; only an agent or the contact can opt them back in.');
    }
    return ok({ state: change.type === 'opt_in' ? 'opted_in' : 'implied', updatedAt: change.at });
  }

  if (change.type === 'implied') {
    // Express consent is stronger than implied: keep it.
    return current.state === 'opted_in' ? { ok: true, record: current, changed: false } : ok({ state: 'implied', updatedAt: change.at });
  }
  return ok({ state: 'opted_in', updatedAt: change.at });
}

export const SEND_ALLOWED_REASONS = ['express_consent', 'implied_consent', 'manual_send', 'opt_out_confirmation'] as const;
export const SEND_BLOCKED_REASONS = ['opted_out', 'no_consent'] as const;
export type SendAllowedReason = (typeof SEND_ALLOWED_REASONS)[number];
/** Subset of the delivery `reason` vocabulary (delivery-status.ts). */
export type SendBlockedReason = (typeof SEND_BLOCKED_REASONS)[number];

export type SendDecision =
  | { readonly allowed: true; readonly reason: SendAllowedReason }
  | { readonly allowed: false; readonly reason: SendBlockedReason; readonly detail: string };

export interface SendContext {
  /** Sent by an automation / campaign rather than typed by an agent one-to-one. */
  readonly automated: boolean;
  /** Marketing content: needs express (written) consent, 47 CFR 64.1200(a)(2). */
  readonly marketing?: boolean;
  /** The single confirmation reply to a STOP (CTIA) — allowed even though opted out. */
  readonly optOutConfirmation?: boolean;
}

/**
 * Whether a message may be sent given the consent state:
 * - `opted_out` → blocked (`opted_out`), except the one opt-out confirmation.
 * - `opted_in` → allowed (`express_consent`).
 * - `implied` → allowed (`implied_consent`: the contact reached out, e.g. missed-call text-back),
 *   except marketing (`no_consent`: needs express written consent).
 * - `unknown` → a manual one-to-one message by an agent is allowed (`manual_send`); automated or
 *   marketing messages are blocked (`no_consent`).
 */
export function canSend(consent: ConsentState | ConsentRecord, context: SendContext): SendDecision {
  const state = typeof consent === 'string' ? consent : consent.state;
  switch (state) {
    case 'opted_out':
      return context.optOutConfirmation
        ? { allowed: true, reason: 'opt_out_confirmation' }
        : { allowed: false, reason: 'opted_out', detail: 'The contact opted out; no messages until they opt back in.' };
    case 'opted_in':
      return { allowed: true, reason: 'express_consent' };
    case 'implied':
      return context.marketing
        ? { allowed: false, reason: 'no_consent', detail: 'Marketing messages need express written consent (47 CFR 64.1200(a)(2)).' }
        : { allowed: true, reason: 'implied_consent' };
    case 'unknown':
      if (context.marketing) {
        return { allowed: false, reason: 'no_consent', detail: 'Marketing messages need express written consent (47 CFR 64.1200(a)(2)).' };
      }
      return context.automated
        ? { allowed: false, reason: 'no_consent', detail: 'Automated messages need recorded consent; none is known for this contact.' }
        : { allowed: true, reason: 'manual_send' };
  }
}
