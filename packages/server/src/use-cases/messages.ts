import { countSegments, isDeliveryStatus, mergePartStatus, parseE164Loose, type CountryCode } from '@textback/core';
import { CarrierError, type CarrierAdapter, type SendResult } from '../carriers/carrier.js';
import type { Logger } from '../support/logger.js';
import { carrierForMessage } from '../carriers/registry.js';
import { transaction, type AppContext, type Tx } from '../app-context.js';
import { RetryAtError } from '../jobs/worker.js';
import type { Contact, Message, Organization, PhoneNumber } from '../db/schema.js';
import { cancelByKey, enqueue, type EnqueueOptions } from '../jobs/job-queue.js';
import { AppError, notFound } from '../support/errors.js';
import { newId } from '../support/ids.js';
import { findOrCreateContact, parsePhoneField } from './contacts.js';
import { touchConversation } from './conversations.js';
import { scheduleNotRepliedChecks } from './automations/engine.js';
import { appendEvent, type NewEvent } from './events.js';
import { getNumberByE164 } from './numbers.js';
import { organizationById, orgSettings } from './organizations.js';
import type { MessagePurpose } from './compliance/gate.js';
import { gateBeforeSend, gateNewMessage, recordGateDecision, type NewMessageGate } from './compliance/outbound.js';
import { acceptInBatch, acceptsInBatch } from './accept-batch.js';
import { recordSenderTaken, reserveSendSlot, takeSender } from './compliance/pacing.js';
import { afterOutboundFailure } from './compliance/suppressions.js';
import { decodeCursor, toPage, type Page, olderThan } from './pagination.js';
import { validateBody } from './message-text.js';
import { insertRows } from '../db/insert-rows.js';
import { prepared } from '../db/prepared.js';

const messageByIdempotencyKey = prepared((db, v: { orgId: string; key: string }) =>
  db.selectFrom('messages').selectAll().where('org_id', '=', v.orgId).where('idempotency_key', '=', v.key),
);

export const SEND_JOB = 'message.send';
export const sendJobKey = (messageId: string) => `${SEND_JOB}:${messageId}`;

/** Statuses from which nothing moves any more, except a later failure report. */
const FINAL = new Set(['delivered', 'undelivered', 'failed', 'cancelled', 'blocked', 'received']);

/**
 * The status after a report, by core's mergePartStatus: never backwards (a late "sent" after
 * "delivered" changes nothing), and a failure is never hidden by a later success (a multi-part
 * message keeps its worst outcome). Statuses outside the vocabulary (`received`) never move.
 */
export function nextStatus(current: string, incoming: string): string {
  if (!isDeliveryStatus(current) || !isDeliveryStatus(incoming)) return current;
  return mergePartStatus(current, incoming);
}

export interface CreatedBy {
  type: Message['created_by_type'];
  id: string | null;
}

export interface SendMessageInput {
  orgId: string;
  to: string;
  from?: string;
  body: string;
  sendAt?: number;
  idempotencyKey?: string;
  createdBy: CreatedBy;
  /** Set by the automation engine: the run that sends it and the A/B variant used. */
  automationRunId?: string;
  variantId?: string;
  /** Sent by an automation rather than a person (compliance: caps, opt-out language). */
  automated?: boolean;
  /** What the text is for (compliance gate): a keyword answer may go to an opted-out contact. Default general. */
  purpose?: MessagePurpose;
}

export interface SendMessageResult {
  message: Message;
  /** True when the idempotency key matched an earlier request: nothing new was created. */
  replayed: boolean;
}

export { validateBody };

/**
 * Accepts an outbound text: validates it, stores it as queued (or scheduled) with its send job, in
 * one transaction. A worker sends it through the number's carrier.
 *
 * Texts people and integrations send (not automated, not inside a caller's transaction, no
 * idempotency key) are accepted in batches: those submitted in the same turn of the event loop are
 * stored together with a few statements (use-cases/accept-batch.ts), each with the same outcome as
 * alone.
 */
export async function sendMessage(ctx: AppContext, input: SendMessageInput, within?: Tx): Promise<SendMessageResult> {
  if (!within && acceptsInBatch(input)) return acceptInBatch(ctx, input);
  return sendOne(ctx, input, within);
}

/**
 * Rows the caller read in its transaction (`within`), so that they are not read again: the
 * organization, the recipient's contact, the number to send from (used only when they match the input).
 */
export interface KnownRows {
  org?: Organization;
  contact?: Contact;
  from?: PhoneNumber;
  /**
   * `contact` was created in this transaction and nothing has been written about it since: it has
   * no conversation and no message, and no other transaction can see (or lock) it before this one
   * commits. Its conversation, earlier texts and lock are then not read or taken.
   */
  contactIsNew?: boolean;
  /** The idempotency key names something created in this transaction (a new run's step): no text can have it yet. */
  keyIsNew?: boolean;
}

/** One text, in its own transaction or the caller's. */
export async function sendOne(ctx: AppContext, input: SendMessageInput, within?: Tx, known: KnownRows = {}): Promise<SendMessageResult> {
  // With `within`, everything happens in the caller's transaction (the automation engine records the
  // run's step and its text together); on SQLite nothing may then use ctx.db directly.
  const db = within ?? ctx.db.kysely;
  if (!within) known = {};
  const org = known.org?.id === input.orgId ? known.org : await organizationById(db, input.orgId);
  const settings = orgSettings(org);
  validateBody(input.body, settings.max_body_length);

  // (A key that is new in this transaction is not looked up; the unique index still refuses a second text with it.)
  if (input.idempotencyKey && !known.keyIsNew) {
    const existing = await findByIdempotencyKey(db, input.orgId, input.idempotencyKey);
    if (existing) return replay(existing, input, settings.default_country);
  }

  // A number that texted us is accepted as a recipient even if the numbering plan doesn't know it
  // (a brand-new area code); anything else must be a valid number. So the contacts are looked up
  // only when the numbering plan refuses the number (none at all when the engine hands the contact over).
  const loose = parseE164Loose(input.to);
  const contactOfTo = known.contact && known.contact.org_id === input.orgId && known.contact.e164 === loose ? known.contact : undefined;
  let to: string;
  if (contactOfTo) {
    to = contactOfTo.e164;
  } else {
    try {
      to = parsePhoneField('to', input.to, settings.default_country);
    } catch (error) {
      const knownContact = loose
        ? await db.selectFrom('contacts').select('e164').where('org_id', '=', input.orgId).where('e164', '=', loose).executeTakeFirst()
        : undefined;
      if (!knownContact) throw error;
      to = knownContact.e164;
    }
  }
  const now = ctx.clock.now();
  const sendAt = input.sendAt !== undefined && input.sendAt > now ? input.sendAt : undefined;

  try {
    const inTransaction = <T>(fn: (tx: Tx) => Promise<T>) => (within ? fn(within) : transaction(ctx, fn));
    return await inTransaction(async (tx) => {
      const from =
        known.from && known.from.org_id === input.orgId && input.from !== undefined && known.from.e164 === input.from
          ? known.from
          : await resolveFromNumber(ctx, tx, input.orgId, to, input.from, settings.default_country);
      const { contact } = contactOfTo ? { contact: contactOfTo } : await findOrCreateContact(ctx, tx, input.orgId, to, { source: 'outbound' });
      const contactIsNew = contactOfTo !== undefined && known.contactIsNew === true;
      const conversation = await touchConversation(ctx, tx, { orgId: input.orgId, contactId: contact.id, numberId: from.id, inbound: false, teamId: from.team_id }, contactIsNew);
      // The compliance gate: queued / scheduled, held until an allowed minute, or blocked (no job).
      const gate = await gateNewMessage(ctx, tx, {
        org,
        settings,
        contact,
        number: from,
        to,
        body: input.body,
        automated: input.automated ?? input.createdBy.type === 'automation',
        purpose: input.purpose ?? 'general',
        sendAt,
        contactIsNew,
      });
      const message = outboundRow(input, { to, from, contactId: contact.id, conversationId: conversation.id, gate, sendAt, now });
      await insertRows(tx, 'messages', [message]);
      const job = sendJobOf(message, gate);
      if (job) await enqueue(tx, ctx.clock, job);
      await recordGateDecision(ctx, tx, message, gate.decision, 'create');
      // Not for system notices (texts to agents' phones: docs/teams.md), only for texts people wrote.
      if (!input.automated && input.createdBy.type !== 'system') {
        await scheduleNotRepliedChecks(ctx, tx, { orgId: input.orgId, contactId: contact.id, numberId: from.id, numberE164: from.e164, messageId: message.id });
      }
      await appendEvent(tx, ctx, messageCreatedEvent(message, gate));
      return { message, replayed: false };
    });
  } catch (error) {
    // Two requests with one idempotency key at the same moment: the loser returns the winner's message.
    if (input.idempotencyKey && !within && ctx.db.dialect.isUniqueViolation(error)) {
      const existing = await findByIdempotencyKey(db, input.orgId, input.idempotencyKey);
      if (existing) return replay(existing, input, settings.default_country);
    }
    throw error;
  }
}

export function replay(existing: Message, input: SendMessageInput, country: CountryCode): SendMessageResult {
  const sameTo = parseE164Loose(input.to) === existing.to_e164 || safeNormalize(input.to, country) === existing.to_e164;
  if (!sameTo || existing.body !== input.body || (input.from !== undefined && safeNormalize(input.from, country) !== existing.from_e164)) {
    throw new AppError('idempotency_mismatch', 'this Idempotency-Key was used for a different message; use a new key for a new message');
  }
  return { message: existing, replayed: true };
}

/** The row of a new outbound text, as the gate decided it. */
export function outboundRow(
  input: SendMessageInput,
  facts: { to: string; from: PhoneNumber; contactId: string; conversationId: string; gate: NewMessageGate; sendAt: number | undefined; now: number },
): Message {
  const { gate, now } = facts;
  const count = countSegments(gate.body);
  return {
    id: newId('msg'),
    org_id: input.orgId,
    conversation_id: facts.conversationId,
    contact_id: facts.contactId,
    number_id: facts.from.id,
    direction: 'outbound',
    from_e164: facts.from.e164,
    to_e164: facts.to,
    body: gate.body,
    media: null,
    status: gate.status,
    reason: gate.reason,
    error_code: null,
    encoding: count.encoding,
    segments: count.segments,
    carrier: facts.from.carrier,
    carrier_message_id: null,
    idempotency_key: input.idempotencyKey ?? null,
    created_by_type: input.createdBy.type,
    created_by_id: input.createdBy.id,
    scheduled_at: facts.sendAt ?? null,
    sent_at: null,
    delivered_at: null,
    failed_at: gate.status === 'blocked' ? now : null,
    created_at: now,
    updated_at: now,
    automation_run_id: input.automationRunId ?? null,
    variant_id: input.variantId ?? null,
    rule: gate.rule,
    held_until: gate.held_until,
    flags: gate.flags,
    automated: gate.automated,
    purpose: gate.purpose,
    send_slot_at: null,
  };
}

/** The send job of a new text, or null for a blocked one. */
export function sendJobOf(message: Message, gate: NewMessageGate): EnqueueOptions | null {
  if (gate.runAt === null) return null;
  return { kind: SEND_JOB, orgId: message.org_id, payload: { messageId: message.id }, runAt: gate.runAt, uniqueKey: sendJobKey(message.id), maxAttempts: 8 };
}

export function messageCreatedEvent(message: Message, gate: NewMessageGate): NewEvent {
  return {
    orgId: message.org_id,
    type: 'message.created',
    subjectType: 'message',
    subjectId: message.id,
    data: {
      status: message.status,
      direction: 'outbound',
      contact_id: message.contact_id,
      conversation_id: message.conversation_id,
      ...(gate.rule ? { reason: gate.reason, rule: gate.rule, held_until: gate.held_until } : {}),
    },
  };
}

function safeNormalize(phone: string, country: CountryCode): string | null {
  try {
    return parsePhoneField('to', phone, country);
  } catch {
    return null;
  }
}

async function findByIdempotencyKey(db: Tx, orgId: string, key: string): Promise<Message | undefined> {
  return messageByIdempotencyKey.first(db, { orgId, key });
}

export async function resolveFromNumber(
  ctx: AppContext,
  tx: Tx,
  orgId: string,
  to: string,
  from: string | undefined,
  country: CountryCode,
): Promise<PhoneNumber> {
  if (from !== undefined) return getNumberByE164(ctx, orgId, parsePhoneField('from', from, country), 'from', tx);
  // The number this contact last talked to, else the organization's first number.
  const recent = await tx
    .selectFrom('conversations')
    .innerJoin('contacts', 'contacts.id', 'conversations.contact_id')
    .innerJoin('phone_numbers', 'phone_numbers.id', 'conversations.number_id')
    .selectAll('phone_numbers')
    .where('conversations.org_id', '=', orgId)
    .where('contacts.e164', '=', to)
    .orderBy('conversations.last_message_at', 'desc')
    .executeTakeFirst();
  if (recent) return recent;
  const first = await tx.selectFrom('phone_numbers').selectAll().where('org_id', '=', orgId).orderBy('created_at').executeTakeFirst();
  if (!first) throw new AppError('unknown_number', 'this organization has no business number to send from; add one first', [{ field: 'from', message: 'no number' }]);
  return first;
}

export async function getMessage(ctx: AppContext, orgId: string, id: string): Promise<Message> {
  const m = await ctx.db.kysely.selectFrom('messages').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
  if (!m) throw notFound('message', id);
  return m;
}

export interface MessageFilter {
  limit: number;
  cursor?: string;
  contactId?: string;
  conversationId?: string;
  direction?: 'inbound' | 'outbound';
  /** Any of these statuses. */
  statuses?: readonly string[];
}

export async function listMessages(ctx: AppContext, orgId: string, filter: MessageFilter): Promise<Page<Message>> {
  const cursor = decodeCursor(filter.cursor);
  const db = ctx.db.kysely;
  let q = db.selectFrom('messages').selectAll();
  // A conversation's or a contact's texts are read through its own index, once the conversation or
  // contact is known to be the organization's. With `org_id` in the same WHERE, SQLite walks the
  // organization's (org_id, created_at) index instead, to avoid sorting, and reads every text of the
  // organization to find a handful (0.3–0.5 s for a thread among 100,000 texts, measured).
  if (filter.conversationId || filter.contactId) {
    if (filter.conversationId) {
      const own = await db.selectFrom('conversations').select('id').where('id', '=', filter.conversationId).where('org_id', '=', orgId).executeTakeFirst();
      if (!own) return { data: [], next_cursor: null };
      q = q.where('conversation_id', '=', filter.conversationId);
    }
    if (filter.contactId) {
      const own = await db.selectFrom('contacts').select('id').where('id', '=', filter.contactId).where('org_id', '=', orgId).executeTakeFirst();
      if (!own) return { data: [], next_cursor: null };
      q = q.where('contact_id', '=', filter.contactId);
    }
  } else {
    q = q.where('org_id', '=', orgId);
  }
  if (filter.direction) q = q.where('direction', '=', filter.direction);
  if (filter.statuses?.length) q = q.where('status', 'in', [...filter.statuses]);
  if (cursor) {
    q = q.where(olderThan(cursor));
  }
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
  return toPage(rows, filter.limit, (r) => r);
}

/** Cancels a text that has not gone out yet (scheduled, held or queued). */
export async function cancelMessage(ctx: AppContext, orgId: string, id: string): Promise<Message> {
  const message = await getMessage(ctx, orgId, id);
  const cancelled = await transaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    const result = await tx
      .updateTable('messages')
      .set({ status: 'cancelled', updated_at: now })
      .where('id', '=', id)
      .where('status', 'in', ['scheduled', 'held', 'queued'])
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return false;
    await cancelByKey(tx, ctx.clock, sendJobKey(id));
    await appendEvent(tx, ctx, { orgId, type: 'message.status_changed', subjectType: 'message', subjectId: id, data: { status: 'cancelled' } });
    return true;
  });
  if (!cancelled) throw new AppError('invalid_state', `message ${id} is ${message.status}; only scheduled, held or queued messages can be cancelled`);
  return getMessage(ctx, orgId, id);
}

// ---------------------------------------------------------------------------------------------
// The send job: runs in a worker, at least once; sends at most once.

export async function runSendJob(ctx: AppContext, messageId: string, attempt: { number: number; max: number }): Promise<void | { snoozeUntil: number }> {
  const stored = await ctx.db.kysely.selectFrom('messages').selectAll().where('id', '=', messageId).executeTakeFirst();
  if (!stored) return; // deleted with its organization
  const log = ctx.log.child({ messageId, orgId: stored.org_id });
  // The number's carrier account (docs/carriers/), or the server-wide adapter of its carrier kind.
  const carrier = await carrierForMessage(ctx, stored);

  // The compliance gate's second look (opted out or quiet hours meanwhile?), then a place in the
  // sender's line (its rate and daily cap).
  const verdict = await gateBeforeSend(ctx, stored);
  if (!verdict.proceed) return verdict.snoozeUntil === undefined ? undefined : { snoozeUntil: verdict.snoozeUntil };
  const message = verdict.message;
  if (message.status === 'sending' || message.status === 'scheduled' || message.status === 'queued') {
    const wait = await reserveSendSlot(ctx, message);
    if (wait) return wait;
  }

  if (message.status === 'sending') {
    // An earlier attempt died or timed out after asking the carrier: ask before sending again.
    const found = await carrier.lookup(message.org_id, message.id);
    if (found) {
      log.info('carrier already had this message; not sending again');
      await recordSent(ctx, message, found.carrierMessageId);
      return;
    }
  } else if (message.status === 'scheduled' || message.status === 'queued') {
    const claimed = await ctx.db.kysely
      .updateTable('messages')
      .set({ status: 'sending', updated_at: ctx.clock.now() })
      .where('id', '=', message.id)
      .where('status', 'in', ['scheduled', 'queued'])
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) return; // cancelled meanwhile
  } else {
    return; // already sent, failed or cancelled
  }

  // The sender's rate, exactly: taken in one atomic update right before the carrier is called.
  const sender = await takeSender(ctx, message);
  if ('snoozeUntil' in sender) return sender;

  let result: { carrierMessageId: string };
  try {
    result = await sendThrough(carrier, message);
  } catch (error) {
    const outcome = await afterCarrierError(ctx, message, error, attempt, log);
    if (outcome instanceof Error) throw outcome;
    return outcome;
  }
  // The carrier has the text. Recording that must not fail into a resend (a second text to the
  // customer when the carrier's lookup cannot find the first): retry it here a few times first.
  await persistently(() => recordSent(ctx, message, result.carrierMessageId));
  await recordSenderTaken(ctx, message.id, sender.takenAt);
  log.info({ carrierMessageId: result.carrierMessageId }, 'message sent');
}

/** Hands a text to its carrier. */
export function sendThrough(carrier: CarrierAdapter, message: Message): Promise<SendResult> {
  return carrier.send({
    messageId: message.id,
    orgId: message.org_id,
    from: message.from_e164,
    to: message.to_e164,
    body: message.body,
    ...(message.media ? { media: JSON.parse(message.media) as string[] } : {}),
  });
}

/**
 * What a carrier error means for a text that was marked `sending`: failed for good (recorded; the
 * job is done), or an error for the job to retry with (after Retry-After when the carrier said).
 */
export async function afterCarrierError(ctx: AppContext, message: Message, error: unknown, attempt: { number: number; max: number }, log: Logger): Promise<void | Error> {
  if (error instanceof CarrierError && error.errorClass === 'permanent') {
    await recordFailure(ctx, message, 'failed', error.reason, error.code);
    log.warn({ code: error.code, reason: error.reason }, 'carrier refused the message');
    return;
  }
  if (attempt.number >= attempt.max) {
    const reason = error instanceof CarrierError ? error.reason : 'carrier_unknown';
    await recordFailure(ctx, message, 'failed', reason, error instanceof CarrierError ? error.code : null);
    log.error('giving up on the message after its last attempt');
    return;
  }
  // Nothing reached the carrier (429, 5xx, refused connection): back to queued, so that the retry
  // sends without first asking the carrier (lookups are for unknown outcomes only).
  if (error instanceof CarrierError && error.errorClass === 'retryable') {
    await ctx.db.kysely.updateTable('messages').set({ status: 'queued', updated_at: ctx.clock.now() }).where('id', '=', message.id).where('status', '=', 'sending').execute();
  }
  // The carrier said when to come back (429 Retry-After), or an unknown outcome needs time to settle.
  if (error instanceof CarrierError && error.retryAfterMs !== undefined) return new RetryAtError(error.message, ctx.clock.now() + error.retryAfterMs);
  return error instanceof Error ? error : new Error(String(error));
}

export async function persistently(write: () => Promise<void>, attempts = 5): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await write();
    } catch (error) {
      if (i >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * i));
    }
  }
}

export async function recordSent(ctx: AppContext, message: Message, carrierMessageId: string): Promise<void> {
  await transaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    const current = await tx.selectFrom('messages').select('status').where('id', '=', message.id).executeTakeFirstOrThrow();
    const status = nextStatus(current.status, 'sent');
    await tx
      .updateTable('messages')
      .set({ status, carrier_message_id: carrierMessageId, sent_at: now, updated_at: now })
      .where('id', '=', message.id)
      .execute();
    if (status !== current.status) {
      await appendEvent(tx, ctx, { orgId: message.org_id, type: 'message.status_changed', subjectType: 'message', subjectId: message.id, data: { status } });
    }
  });
}

export async function recordFailure(ctx: AppContext, message: Message, status: 'failed' | 'undelivered', reason: string, code: string | null): Promise<void> {
  await transaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    await tx
      .updateTable('messages')
      .set({ status, reason, error_code: code, failed_at: now, updated_at: now })
      .where('id', '=', message.id)
      .execute();
    await appendEvent(tx, ctx, {
      orgId: message.org_id,
      type: 'message.status_changed',
      subjectType: 'message',
      subjectId: message.id,
      data: { status, reason, error_code: code },
    });
    await afterOutboundFailure(ctx, tx, message, reason, code);
  });
}

export function isFinalStatus(status: string): boolean {
  return FINAL.has(status);
}
