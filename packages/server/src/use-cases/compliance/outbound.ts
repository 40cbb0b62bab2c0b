/**
 * Where the gate meets the message lifecycle: what a new text becomes (queued, scheduled, held or
 * blocked, with opt-out language on the first automated one), and what its send job does when the
 * gate says otherwise at send time. Every hold and block appends a `compliance.decision` event with
 * the rule and the reason, and the message keeps them (`rule`, `reason`, `held_until`).
 */
import { lockContact } from './keywords.js';
import { appendOptOutLanguage } from '@textback/core';
import type { AppContext, Tx } from '../../app-context.js';
import { transaction } from '../../app-context.js';
import type { Contact, Message, Organization, PhoneNumber } from '../../db/schema.js';
import { appendEvent, type NewEvent } from '../events.js';
import { orgSettings, type OrganizationSettings } from '../organizations.js';
import { checkGate, KEYWORD_RESPONSES, type GateDecision, type MessagePurpose } from './gate.js';
import { prepared } from '../../db/prepared.js';

export interface NewMessageGate {
  body: string;
  status: 'queued' | 'scheduled' | 'held' | 'blocked';
  reason: string | null;
  rule: string | null;
  held_until: number | null;
  flags: string | null;
  automated: number;
  purpose: MessagePurpose;
  /** When the send job runs; null for a blocked text (no job). */
  runAt: number | null;
  decision: GateDecision;
}

/** Decides what a new outbound text becomes; `sendMessage` stores it as told. */
export async function gateNewMessage(
  ctx: AppContext,
  tx: Tx,
  input: {
    org: Organization;
    settings: OrganizationSettings;
    contact: Contact;
    number: PhoneNumber;
    to: string;
    body: string;
    automated: boolean;
    purpose: MessagePurpose;
    sendAt: number | undefined;
    /** The contact was created in this transaction and has no message yet (see `KnownRows.contactIsNew`). */
    contactIsNew?: boolean;
  },
): Promise<NewMessageGate> {
  const now = ctx.clock.now();
  const contactIsNew = input.contactIsNew === true;
  // Automated texts to one contact are decided one after another, so two at once cannot both fit
  // under the 24 h cap (or both be "the first", without the opt-out language). A contact this
  // transaction inserted is locked by it already: no other transaction sees the row before it commits.
  if (input.automated && !contactIsNew) await lockContact(tx, input.contact.id);
  const body =
    input.automated && !KEYWORD_RESPONSES.has(input.purpose) ? await withOptOutLanguage(tx, input.settings, input.contact.id, input.body, contactIsNew) : input.body;
  const decision = await checkGate(tx, {
    org: input.org,
    settings: input.settings,
    contact: input.contact,
    numberId: input.number.id,
    to: input.to,
    automated: input.automated,
    purpose: input.purpose,
    now,
    // A text scheduled for later meets quiet hours and caps when it is due.
    timeRules: input.sendAt === undefined,
    ...(contactIsNew ? { noMessagesYet: true } : {}),
  });
  return newMessageOutcome(decision, { body, automated: input.automated, purpose: input.purpose, sendAt: input.sendAt, now });
}

/** What a new text becomes for a gate decision (pure: shared by one text and a batch of them). */
export function newMessageOutcome(
  decision: GateDecision,
  input: { body: string; automated: boolean; purpose: MessagePurpose; sendAt: number | undefined; now: number },
): NewMessageGate {
  const base = { body: input.body, automated: input.automated ? 1 : 0, purpose: input.purpose, decision };
  switch (decision.action) {
    case 'block':
      return { ...base, status: 'blocked', reason: decision.reason, rule: decision.rule, held_until: null, flags: null, runAt: null };
    case 'hold':
      return { ...base, status: 'held', reason: decision.reason, rule: decision.rule, held_until: decision.until, flags: null, runAt: decision.until };
    case 'allow': {
      const flags = Object.keys(decision.flags).length ? JSON.stringify(decision.flags) : null;
      return { ...base, status: input.sendAt ? 'scheduled' : 'queued', reason: null, rule: null, held_until: null, flags, runAt: input.sendAt ?? input.now };
    }
  }
}

const earlierAutomatedText = prepared((db, v: { contactId: string }) =>
  db
    .selectFrom('messages')
    .select('id')
    .where('contact_id', '=', v.contactId)
    .where('direction', '=', 'outbound')
    .where('automated', '=', 1)
    .where('status', 'not in', ['blocked', 'cancelled'])
    // Keyword answers (a STOP confirmation, the HELP text) are not the first message of a conversation.
    .where((eb) => eb.or([eb('purpose', 'is', null), eb('purpose', 'not in', [...KEYWORD_RESPONSES])]))
    .limit(1),
);

/**
 * CTIA: the first message to a contact should say how to opt out. Added to the contact's first
 * automated text (not a blocked or cancelled one), unless the body already says it.
 */
async function withOptOutLanguage(tx: Tx, settings: OrganizationSettings, contactId: string, body: string, contactIsNew: boolean): Promise<string> {
  if (!settings.opt_out_language) return body;
  const earlier = contactIsNew ? undefined : await earlierAutomatedText.first(tx, { contactId });
  return earlier ? body : appendOptOutLanguage(body, settings.opt_out_language);
}

/** Appends the `compliance.decision` event of a hold or a block (nothing for an allow). */
export async function recordGateDecision(ctx: AppContext, tx: Tx, message: Pick<Message, 'id' | 'org_id' | 'contact_id'>, decision: GateDecision, stage: 'create' | 'send'): Promise<void> {
  const event = gateDecisionEvent(message, decision, stage);
  if (event) await appendEvent(tx, ctx, event);
}

/** The `compliance.decision` event of a hold or a block, or null for an allow. */
export function gateDecisionEvent(message: Pick<Message, 'id' | 'org_id' | 'contact_id'>, decision: GateDecision, stage: 'create' | 'send'): NewEvent | null {
  if (decision.action === 'allow') return null;
  return {
    orgId: message.org_id,
    type: 'compliance.decision',
    subjectType: 'message',
    subjectId: message.id,
    data: {
      decision: decision.action === 'block' ? 'blocked' : 'held',
      reason: decision.reason,
      rule: decision.rule,
      detail: decision.detail,
      stage,
      contact_id: message.contact_id,
      ...(decision.action === 'hold' ? { held_until: decision.until } : {}),
    },
  };
}

export type SendVerdict = { proceed: true; message: Message } | { proceed: false; snoozeUntil?: number };

const WAITING = ['scheduled', 'queued', 'held'];

/**
 * The gate's second look, just before a send: blocks (status `blocked`), holds (status `held`, the
 * job snoozes until `held_until`) or lets the text go (a held text becomes `queued` again).
 */
export async function gateBeforeSend(ctx: AppContext, message: Message): Promise<SendVerdict> {
  if (!WAITING.includes(message.status)) return { proceed: true, message };
  return transaction(ctx, async (tx): Promise<SendVerdict> => {
    const org = await tx.selectFrom('organizations').selectAll().where('id', '=', message.org_id).executeTakeFirstOrThrow();
    const contact = await tx.selectFrom('contacts').selectAll().where('id', '=', message.contact_id).executeTakeFirstOrThrow();
    const decision = await checkGate(tx, {
      org,
      settings: orgSettings(org),
      contact,
      numberId: message.number_id,
      to: message.to_e164,
      automated: message.automated === 1,
      purpose: (message.purpose ?? 'general') as MessagePurpose,
      now: ctx.clock.now(),
      timeRules: true,
      messageId: message.id,
    });
    return applyDecision(ctx, tx, message, decision, 'send');
  });
}

/** Applies a send-time decision to a waiting message (conditionally: it may have been cancelled). */
export async function applyDecision(ctx: AppContext, tx: Tx, message: Message, decision: GateDecision, stage: 'create' | 'send'): Promise<SendVerdict> {
  const now = ctx.clock.now();
  if (decision.action === 'allow') {
    if (message.status !== 'held') return { proceed: true, message };
    const r = await tx
      .updateTable('messages')
      .set({ status: 'queued', reason: null, updated_at: now })
      .where('id', '=', message.id)
      .where('status', 'in', WAITING)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return { proceed: false };
    await appendEvent(tx, ctx, { orgId: message.org_id, type: 'message.status_changed', subjectType: 'message', subjectId: message.id, data: { status: 'queued' } });
    return { proceed: true, message: { ...message, status: 'queued', reason: null } };
  }
  const held = decision.action === 'hold';
  const status = held ? 'held' : 'blocked';
  const r = await tx
    .updateTable('messages')
    .set({
      status,
      reason: decision.reason,
      rule: decision.rule,
      ...(held ? { held_until: decision.until } : { failed_at: now }),
      updated_at: now,
    })
    .where('id', '=', message.id)
    .where('status', 'in', WAITING)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) return { proceed: false };
  // A hold repeated for the same rule and time (the job woke early) is not news.
  if (!(held && message.status === 'held' && message.held_until === decision.until && message.rule === decision.rule)) {
    await appendEvent(tx, ctx, {
      orgId: message.org_id,
      type: 'message.status_changed',
      subjectType: 'message',
      subjectId: message.id,
      data: { status, reason: decision.reason, rule: decision.rule, ...(held ? { held_until: decision.until } : {}) },
    });
    await recordGateDecision(ctx, tx, message, decision, stage);
  }
  return held ? { proceed: false, snoozeUntil: decision.until } : { proceed: false };
}
