/**
 * The compliance gate: one decision for every outbound text, whichever path made it (API, inbox,
 * automation, keyword reply): allow, hold until a time (quiet hours) or block with a reason. It runs
 * when the text is created (`sendMessage`) and again when its job is about to send (`runSendJob`):
 * the contact may have opted out, or the hour changed, in between.
 *
 * The decision itself (`decide`) is pure; `loadGateFacts` reads what it needs from the database.
 * Checks, in order (the first that refuses wins, so a block always beats a hold):
 *   1. destination country in `allowed_countries`           → block unsupported_country   (COUNTRY)
 *   2. a fixed line per the numbering plan, `landline_policy` → block / flag landline_or_unreachable (LANDLINE)
 *   3. the organization's suppression list                   → block suppressed            (SUPPRESSION)
 *   4. consent (core canSend)                                → block opted_out / no_consent (CONSENT)
 *   5. automated texts per contact per rolling 24 h          → block cap_reached           (CAP-ORG, CAP-US-FL, ...)
 *   6. quiet hours in the recipient's local time             → hold until the next allowed minute (US-FEDERAL, US-TX, ...)
 * A keyword answer (STOP/START confirmation, HELP) skips 3–6: CTIA requires the confirmation, and the
 * contact asked for it.
 *
 * Sources: /work/shared/reference/compliance.md (TCPA 47 CFR 64.1200(c)(1) quiet hours at the
 * recipient's local time; state-quiet-hours.csv; nanp-area-codes.csv; CTIA keywords),
 * phone-numbers.md (FIXED_LINE), core's compliance module (each rule cites its own source).
 */
import {
  canSend,
  capDecision,
  countryAllowed,
  normalizePhone,
  quietHoursDecision,
  countryForNumber,
  recipientTimeZone,
  stateFrequencyCap,
  UNKNOWN_CONSENT,
  usStateForNumber,
  type ConsentRecord,
  type DeliveryReason,
  type QuietHoursDecision,
} from '@textback/core';
import type { Tx } from '../../app-context.js';
import type { ConsentEvent, Contact, Organization } from '../../db/schema.js';
import type { OrganizationSettings } from '../organizations.js';
import { recordOf } from './consent.js';
import { organizationZone } from './settings.js';
import { groupBy } from '../../support/collections.js';

export const MESSAGE_PURPOSES = ['general', 'marketing', 'opt_out_confirmation', 'opt_in_confirmation', 'help_response'] as const;
export type MessagePurpose = (typeof MESSAGE_PURPOSES)[number];

/** Answers to a contact's keyword: allowed to an opted-out or suppressed contact, at any hour. */
export const KEYWORD_RESPONSES: ReadonlySet<string> = new Set(['opt_out_confirmation', 'opt_in_confirmation', 'help_response']);

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** A conversation is live while the contact's last text (or call) is this recent. */
export const LIVE_CONVERSATION_MS = DAY_MS;

export type GateDecision =
  | { readonly action: 'allow'; readonly flags: Readonly<Record<string, unknown>> }
  | { readonly action: 'hold'; readonly until: number; readonly reason: DeliveryReason; readonly rule: string; readonly detail: string }
  | { readonly action: 'block'; readonly reason: DeliveryReason; readonly rule: string; readonly detail: string };

/** Everything a decision depends on, already read. */
export interface GateFacts {
  readonly now: number;
  readonly to: string;
  readonly settings: Pick<
    OrganizationSettings,
    | 'allowed_countries'
    | 'landline_policy'
    | 'quiet_hours'
    | 'quiet_hours_exempt_live_conversation'
    | 'automated_cap_per_24h'
    | 'automated_requires_consent'
  >;
  readonly automated: boolean;
  readonly purpose: MessagePurpose;
  /** The contact's own zone, if set; the organization's zone is the last fallback. */
  readonly contactTimeZone: string | null;
  readonly orgZone: string | undefined;
  readonly suppression: { readonly reason: string; readonly source: string } | null;
  readonly consent: ConsentRecord;
  /** When the contact last wrote or called (live-conversation exemption). */
  readonly lastContactInitiatedAt: number | null;
  /** When earlier automated texts to the contact went (or will go) out. */
  readonly automatedSendTimes: readonly number[];
  /** False for a text scheduled for later: quiet hours and caps are decided when it is due. */
  readonly timeRules: boolean;
}

/** GB-family territories share +44 and the UK's rules. */
const GB_FAMILY = new Set(['GG', 'JE', 'IM']);

const destinationCache = new Map<string, { country: string | undefined; fixedLine: boolean }>();

/** Country and line type of a destination per the numbering plan (cached: numbers repeat). */
export function destination(e164: string, now: number): { country: string | undefined; fixedLine: boolean } {
  let info = destinationCache.get(e164);
  if (!info) {
    try {
      const n = normalizePhone(e164);
      info = { country: n.country ?? recipientTimeZone({ e164, now }).country, fixedLine: n.type === 'FIXED_LINE' };
    } catch {
      // A number the plan does not know (a contact who texted from a new range): its calling code decides.
      info = { country: recipientTimeZone({ e164, now }).country, fixedLine: false };
    }
    if (destinationCache.size > 50_000) destinationCache.clear();
    destinationCache.set(e164, info);
  }
  return info;
}

const block = (reason: DeliveryReason, rule: string, detail: string): GateDecision => ({ action: 'block', reason, rule, detail });

/** The gate's decision from its facts: pure, and cheap enough for tens of thousands a second. */
export function decide(f: GateFacts): GateDecision {
  const flags: Record<string, unknown> = {};
  const { settings } = f;

  // 1. Supported destination countries (product scope US/CA/GB/AU by default).
  const dest = destination(f.to, f.now);
  const country = dest.country && GB_FAMILY.has(dest.country) ? 'GB' : dest.country;
  if (!countryAllowed(country, settings.allowed_countries)) {
    return block('unsupported_country', 'COUNTRY', `${country ?? 'an unknown country'} is not among this organization's destination countries (${settings.allowed_countries.join(', ')})`);
  }

  // 2. Fixed lines cannot receive SMS (phone-numbers.md: only where the plan says FIXED_LINE; NANP
  //    numbers are FIXED_LINE_OR_MOBILE and pass).
  if (dest.fixedLine && settings.landline_policy !== 'allow') {
    if (settings.landline_policy === 'block') return block('landline_or_unreachable', 'LANDLINE', 'the numbering plan says this is a fixed line, which cannot receive texts');
    flags.landline = true;
  }

  if (KEYWORD_RESPONSES.has(f.purpose)) return { action: 'allow', flags };

  // 3. Suppression list.
  if (f.suppression) return block('suppressed', 'SUPPRESSION', `the number is on the suppression list (${f.suppression.reason}, source ${f.suppression.source})`);

  // 4. Consent (TCPA 47 CFR 64.1200(a); CTIA; the FCC 2024 revocation rule).
  if (!(f.automated && !settings.automated_requires_consent && f.consent.state === 'unknown')) {
    const consent = canSend(f.consent, { automated: f.automated, marketing: f.purpose === 'marketing' });
    if (!consent.allowed) {
      const by = f.consent.optOut ? ` (opted out by the ${f.consent.optOut.by}, via ${f.consent.optOut.via})` : '';
      return block(consent.reason, 'CONSENT', `${consent.detail}${by}`);
    }
  }

  if (!f.timeRules) return { action: 'allow', flags };

  // 5. Automated texts per contact per rolling 24 h: the organization's cap and the recipient
  //    state's statutory cap (FL, OK, MD: 3 per 24 h, state-quiet-hours.csv), whichever is lower.
  if (f.automated) {
    const caps: { rule: string; max: number; source: string }[] = [];
    if (settings.automated_cap_per_24h !== null) caps.push({ rule: 'CAP-ORG', max: settings.automated_cap_per_24h, source: 'organization setting automated_cap_per_24h' });
    const state = usStateForNumber(f.to);
    const statutory = state ? stateFrequencyCap(state) : undefined;
    if (statutory) caps.push({ rule: `CAP-US-${state}`, max: statutory.maxPerWindow, source: statutory.source });
    for (const cap of caps) {
      const d = capDecision(f.automatedSendTimes, f.now, { maxPerWindow: cap.max, windowMs: DAY_MS });
      if (!d.allowed) return block('cap_reached', cap.rule, `at most ${cap.max} automated texts per contact in 24 hours (${cap.source})`);
    }
  }

  // 6. Quiet hours in the recipient's local time (TCPA 08:00–21:00, stricter state windows by the
  //    area code's state). Every zone the area code spans must be open (compliance.md).
  if (settings.quiet_hours) {
    const live =
      settings.quiet_hours_exempt_live_conversation && f.lastContactInitiatedAt !== null && f.now - f.lastContactInitiatedAt < LIVE_CONVERSATION_MS;
    if (!live) {
      const q = quietHours(f);
      if (!q.allowed) {
        return {
          action: 'hold',
          until: q.nextAllowedAt,
          reason: 'quiet_hours',
          rule: q.rule.id,
          detail: `held for quiet hours until ${new Date(q.nextAllowedAt).toISOString()} (${q.rule.description}; ${q.rule.source})`,
        };
      }
    }
  }
  return { action: 'allow', flags };
}

/**
 * Quiet hours, memoised. The recipient's candidate zones depend only on the contact's zone and the
 * number (its area code or country), never on the instant (only `recipientTimeZone().zone` does,
 * and the gate uses every candidate). Windows are whole minutes, so a decision holds for every
 * instant of its minute: decisions are cached per (zones, state, minute), which serves the many
 * texts of one minute from one evaluation. Both caches are bounded.
 */
const zonesCache = new Map<string, { zones: readonly string[]; country: string | undefined }>();
const quietCache = new Map<string, QuietHoursDecision>();
const MINUTE_MS = 60_000;

function quietHours(f: Pick<GateFacts, 'now' | 'to' | 'contactTimeZone' | 'orgZone'>): QuietHoursDecision {
  const zoneKey = `${f.contactTimeZone ?? ''}|${f.orgZone ?? ''}|${f.to}`;
  let recipient = zonesCache.get(zoneKey);
  if (!recipient) {
    // The zones decide the window's clock; the country decides the rule (US-FEDERAL, CA-CRTC, DEFAULT).
    const zones = recipientTimeZone({ e164: f.to, contactTimeZone: f.contactTimeZone, now: f.now, ...(f.orgZone ? { defaultZone: f.orgZone } : {}) }).candidates;
    recipient = { zones, country: countryForNumber(f.to) };
    if (zonesCache.size > 100_000) zonesCache.clear();
    zonesCache.set(zoneKey, recipient);
  }
  const { zones, country } = recipient;
  const minute = Math.floor(f.now / MINUTE_MS);
  const key = `${zones.join(',')}|${country ?? ''}|${usStateForNumber(f.to) ?? ''}|${minute}`;
  let decision = quietCache.get(key);
  if (!decision) {
    decision = quietHoursDecision({ now: minute * MINUTE_MS, zone: zones, e164: f.to, ...(country ? { country } : {}) });
    if (quietCache.size > 100_000) quietCache.clear();
    quietCache.set(key, decision);
  }
  return decision;
}

export interface GateInput {
  org: Organization;
  settings: OrganizationSettings;
  contact: Pick<Contact, 'id' | 'e164' | 'time_zone'>;
  numberId: string;
  to: string;
  automated: boolean;
  purpose: MessagePurpose;
  /** The instant to decide for (a scheduled text's send time). */
  now: number;
  timeRules: boolean;
  /** The message being decided, left out of the cap count. */
  messageId?: string;
  /**
   * The contact was created in this transaction and has no message yet: its earlier texts (caps) and
   * its last inbound text (live conversation) are known to be none, without a read.
   */
  noMessagesYet?: boolean;
}

/** Statuses of automated texts that count towards a cap: on their way or gone. */
const COUNTED = ['queued', 'held', 'sending', 'sent', 'delivered', 'undelivered'];

/** Reads the facts (only those the settings and purpose make relevant) and decides. */
export async function checkGate(db: Tx, input: GateInput): Promise<GateDecision> {
  return decide(await loadGateFacts(db, input));
}

export async function loadGateFacts(db: Tx, input: GateInput): Promise<GateFacts> {
  return (await loadGateFactsMany(db, [input]))[0]!;
}


/**
 * The facts of many decisions at once (the send worker decides a whole batch of texts): one query
 * per kind of fact for the batch, not per text. The answer for each input is the same as deciding
 * it alone.
 */
export async function loadGateFactsMany(db: Tx, inputs: readonly GateInput[]): Promise<GateFacts[]> {
  const checked = inputs.filter((i) => !KEYWORD_RESPONSES.has(i.purpose));

  // Suppressions and consent, per organization (a batch is almost always one).
  const suppressed = new Map<string, { reason: string; source: string }>();
  const consentEvents = new Map<string, ConsentEvent[]>();
  for (const [orgId, group] of groupBy(checked, (i) => i.org.id)) {
    const numbers = [...new Set(group.map((i) => i.to))];
    const rows = await db.selectFrom('suppressions').select(['e164', 'reason', 'source']).where('org_id', '=', orgId).where('e164', 'in', numbers).execute();
    for (const r of rows) suppressed.set(`${orgId}|${r.e164}`, { reason: r.reason, source: r.source });
    const contactIds = [...new Set(group.map((i) => i.contact.id))];
    const events = await db
      .selectFrom('consent_events')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('contact_id', 'in', contactIds)
      .execute();
    // Newest first, sorted here: with ORDER BY, SQLite chose the organization-wide index to avoid a
    // sort and read every consent event of the organization (a millisecond per batch).
    events.sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    for (const [contactId, list] of groupBy(events, (e) => e.contact_id)) consentEvents.set(contactId, list);
  }

  // Earlier automated texts, for the caps.
  const capped = checked.filter((i) => i.timeRules && i.automated && !i.noMessagesYet);
  const sendTimes = new Map<string, { id: string; at: number; purpose: string | null }[]>();
  if (capped.length > 0) {
    const since = Math.min(...capped.map((i) => i.now)) - 7 * DAY_MS;
    const rows = await db
      .selectFrom('messages')
      .select(['id', 'contact_id', 'created_at', 'sent_at', 'purpose'])
      .where('contact_id', 'in', [...new Set(capped.map((i) => i.contact.id))])
      .where('direction', '=', 'outbound')
      .where('automated', '=', 1)
      .where('status', 'in', COUNTED)
      .where('created_at', '>', since)
      .execute();
    for (const [contactId, list] of groupBy(rows, (r) => r.contact_id)) {
      sendTimes.set(
        contactId,
        list.map((r) => ({ id: r.id, at: Number(r.sent_at ?? r.created_at), purpose: r.purpose })),
      );
    }
  }

  const facts: GateFacts[] = [];
  for (const input of inputs) {
    const { settings, contact, org } = input;
    const keywordAnswer = KEYWORD_RESPONSES.has(input.purpose);
    const orgZone = organizationZone(org);
    let consent: ConsentRecord = UNKNOWN_CONSENT;
    if (!keywordAnswer) {
      const perNumber = settings.consent_scope === 'per_number' && input.numberId;
      const event = consentEvents.get(contact.id)?.find((e) => !perNumber || e.number_id === null || e.number_id === input.numberId);
      if (event) consent = recordOf(event);
    }
    // The live-conversation exemption only matters when quiet hours would hold the text now (rare:
    // read one by one).
    let lastContactInitiatedAt: number | null = null;
    if (
      input.timeRules &&
      !keywordAnswer &&
      !input.noMessagesYet &&
      settings.quiet_hours &&
      settings.quiet_hours_exempt_live_conversation &&
      !quietHours({ now: input.now, to: input.to, contactTimeZone: contact.time_zone, orgZone }).allowed
    ) {
      lastContactInitiatedAt = await lastContactInitiated(db, contact.id, input.now - LIVE_CONVERSATION_MS);
    }
    const automatedSendTimes =
      input.timeRules && input.automated && !keywordAnswer
        ? (sendTimes.get(contact.id) ?? [])
            .filter((r) => r.id !== input.messageId && (!r.purpose || !KEYWORD_RESPONSES.has(r.purpose)) && r.at > input.now - DAY_MS)
            .map((r) => r.at)
        : [];
    facts.push({
      now: input.now,
      to: input.to,
      settings,
      automated: input.automated,
      purpose: input.purpose,
      contactTimeZone: contact.time_zone,
      orgZone,
      suppression: keywordAnswer ? null : (suppressed.get(`${org.id}|${input.to}`) ?? null),
      consent,
      lastContactInitiatedAt,
      automatedSendTimes,
      timeRules: input.timeRules,
    });
  }
  return facts;
}

/** When the contact last wrote or called since `since`, if they did. */
async function lastContactInitiated(db: Tx, contactId: string, since: number): Promise<number | null> {
  const text = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.max('created_at').as('at'))
    .where('contact_id', '=', contactId)
    .where('direction', '=', 'inbound')
    .where('created_at', '>', since)
    .executeTakeFirst();
  const call = await db
    .selectFrom('calls')
    .select((eb) => eb.fn.max('created_at').as('at'))
    .where('contact_id', '=', contactId)
    .where('direction', '=', 'inbound')
    .where('created_at', '>', since)
    .executeTakeFirst();
  const times = [text?.at, call?.at].filter((t) => t != null).map(Number);
  return times.length ? Math.max(...times) : null;
}
