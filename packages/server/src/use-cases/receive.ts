/**
 * What carriers tell us: inbound messages and delivery receipts. Every carrier's webhook parser and
 * the sandbox carrier call these same two functions.
 */
import { countSegments, parseE164Loose } from '@textback/core';
import { transaction, type AppContext } from '../app-context.js';
import type { DeliveryReceipt, InboundMessage } from '../carriers/carrier.js';
import type { Message } from '../db/schema.js';
import { AppError } from '../support/errors.js';
import { newId } from '../support/ids.js';
import { findOrCreateContact } from './contacts.js';
import { touchConversation } from './conversations.js';
import { endTextBackRuns, startRunsForEvent } from './automations/engine.js';
import { appendEvent } from './events.js';
import { nextStatus } from './messages.js';
import { handleInboundCompliance } from './compliance/keywords.js';
import { afterOutboundFailure } from './compliance/suppressions.js';
import { routeInboundForTeams } from './teams/inbound.js';
import { enqueueNewTextNotices } from './notifications/new-texts.js';
import { checkOptOutRate } from './notifications/failures.js';
import { runReplyAgent } from './reply-agent.js';

export interface ReceiveResult {
  message: Message;
  /** False when the carrier had already delivered this message id (a retried webhook). */
  created: boolean;
}

/**
 * An inbound text: finds the business number and the contact (creating it), reuses or opens the
 * conversation, stores the message and appends an event, in one transaction. Idempotent on the
 * carrier's message id.
 */
export async function receiveInboundMessage(ctx: AppContext, inbound: InboundMessage): Promise<ReceiveResult> {
  const { to, fromAddress } = inboundAddresses(inbound);

  const duplicate = await findByCarrierId(ctx, inbound.carrier, inbound.carrierMessageId);
  if (duplicate) return { message: duplicate, created: false };

  const number = await ctx.db.kysely.selectFrom('phone_numbers').selectAll().where('e164', '=', to).executeTakeFirst();
  if (!number) throw new AppError('unknown_number', `to: ${to} is not a number registered with Textback`, [{ field: 'to', message: 'unknown number' }]);

  try {
    return await transaction(ctx, async (tx) => {
      const now = ctx.clock.now();
      const { contact } = await findOrCreateContact(ctx, tx, number.org_id, fromAddress, { source: 'inbound_sms' });
      const conversation = await touchConversation(ctx, tx, {
        orgId: number.org_id,
        contactId: contact.id,
        numberId: number.id,
        inbound: true,
        teamId: number.team_id,
      });
      const message = inboundMessageRow({ orgId: number.org_id, conversationId: conversation.id, contactId: contact.id, numberId: number.id, to, fromAddress, inbound, now });
      await tx.insertInto('messages').values(message).execute();
      // Email notifications (docs/notifications.md): the digest jobs of the users who asked.
      await enqueueNewTextNotices(ctx, tx, [
        {
          orgId: number.org_id,
          conversationId: conversation.id,
          numberId: number.id,
          assignedUserId: conversation.assigned_user_id,
          assignedTeamId: conversation.assigned_team_id ?? (conversation.assigned_user_id ? null : number.team_id),
          at: now,
        },
      ]);
      // Compliance first: STOP / START / HELP (ledger, one confirmation), likely opt-outs, implied consent.
      const compliance = await handleInboundCompliance(ctx, tx, { message, number, contact });
      message.flags = compliance.flags;
      // A number whose contacts opt out too often: owners and admins who asked are emailed.
      if (compliance.keyword === 'opt_out') await checkOptOutRate(ctx, tx, number);
      // Teams (docs/teams.md): an agent's text, a queue's or a forwarding number's, after compliance.
      const teams = await routeInboundForTeams(ctx, tx, { message, number, contact, keyword: compliance.keyword });
      // Any text from the contact ends their waiting text-backs and follow-ups.
      await endTextBackRuns(ctx, tx, number.org_id, contact.id, 'the contact texted back');
      // Keywords (STOP, HELP, ...) are compliance's, not automations'.
      if (!compliance.keyword && !teams.skipAutomations) {
        await startRunsForEvent(ctx, tx, {
          orgId: number.org_id,
          type: 'message.received',
          id: message.id,
          contactId: contact.id,
          numberId: number.id,
          numberE164: number.e164,
          at: now,
        });
      }
      // The reply agent (docs/reply-agent.md), after compliance: never for a keyword, never for a team's text.
      if (!compliance.keyword && !teams.skipAutomations) {
        await runReplyAgent(ctx, tx, { message, number, contact, conversationId: conversation.id });
      }
      await appendEvent(tx, ctx, {
        orgId: number.org_id,
        type: 'message.received',
        subjectType: 'message',
        subjectId: message.id,
        data: {
          contact_id: contact.id,
          conversation_id: conversation.id,
          number_id: number.id,
          ...(compliance.keyword ? { keyword: compliance.keyword } : {}),
          ...(compliance.likelyOptOut ? { likely_opt_out: true } : {}),
        },
      });
      return { message, created: true };
    });
  } catch (error) {
    if (ctx.db.dialect.isUniqueViolation(error)) {
      const raced = await findByCarrierId(ctx, inbound.carrier, inbound.carrierMessageId);
      if (raced) return { message: raced, created: false };
    }
    throw error;
  }
}

/** The business number (E.164) and the sender as stored, or the refusal of an unusable inbound text. */
export function inboundAddresses(inbound: InboundMessage): { to: string; fromAddress: string } {
  const to = parseE164Loose(inbound.to);
  const from = parseE164Loose(inbound.from);
  if (!to) throw new AppError('invalid_number', `to: "${inbound.to}" is not an E.164 number`, [{ field: 'to', message: 'not E.164' }]);
  // A carrier may deliver from a short code or an alphanumeric sender; keep what it said.
  const fromAddress = from ?? inbound.from.trim();
  if (fromAddress === '') throw new AppError('validation_failed', 'from is empty', [{ field: 'from', message: 'required' }]);
  return { to, fromAddress };
}

/**
 * Carrier traffic is never refused: a NUL (which PostgreSQL cannot store) or an unpaired surrogate
 * becomes U+FFFD, the replacement character.
 */
export function cleanInboundBody(body: string): string {
  return body.replaceAll('\u0000', '\uFFFD').replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** The stored row of an inbound text (one by one here, in batches in receive-batch.ts). */
export function inboundMessageRow(input: {
  orgId: string;
  conversationId: string;
  contactId: string;
  numberId: string;
  to: string;
  fromAddress: string;
  inbound: InboundMessage;
  now: number;
  /** Already cleaned (cleanInboundBody); cleaned here otherwise. */
  body?: string;
}): Message {
  const { inbound, now } = input;
  const body = input.body ?? cleanInboundBody(inbound.body);
  const count = countSegments(body);
  return {
    id: newId('msg'),
    org_id: input.orgId,
    conversation_id: input.conversationId,
    contact_id: input.contactId,
    number_id: input.numberId,
    direction: 'inbound',
    from_e164: input.fromAddress,
    to_e164: input.to,
    body,
    media: inbound.media && inbound.media.length > 0 ? JSON.stringify(inbound.media) : null,
    status: 'received',
    reason: null,
    error_code: null,
    encoding: count.encoding,
    segments: count.segments,
    carrier: inbound.carrier,
    carrier_message_id: inbound.carrierMessageId,
    idempotency_key: null,
    created_by_type: 'contact',
    created_by_id: input.contactId,
    scheduled_at: null,
    sent_at: null,
    delivered_at: now,
    failed_at: null,
    created_at: now,
    updated_at: now,
    automation_run_id: null,
    variant_id: null,
    rule: null,
    held_until: null,
    flags: null,
    automated: 0,
    purpose: null,
    send_slot_at: null,
  };
}

async function findByCarrierId(ctx: AppContext, carrier: string, carrierMessageId: string): Promise<Message | undefined> {
  return ctx.db.kysely
    .selectFrom('messages')
    .selectAll()
    .where('carrier', '=', carrier)
    .where('carrier_message_id', '=', carrierMessageId)
    .executeTakeFirst();
}

/**
 * A delivery receipt: moves the message's status forward (never backwards; a failure is kept).
 * Returns false when no message matches (a receipt for a message of another system).
 */
export async function applyDeliveryReceipt(ctx: AppContext, receipt: DeliveryReceipt & { messageId?: string }): Promise<boolean> {
  return transaction(ctx, async (tx) => {
    let q = tx.selectFrom('messages').selectAll().where('carrier', '=', receipt.carrier);
    q = receipt.messageId ? q.where('id', '=', receipt.messageId) : q.where('carrier_message_id', '=', receipt.carrierMessageId);
    const message = await q.executeTakeFirst();
    if (!message || message.direction !== 'outbound') return false;
    const status = nextStatus(message.status, receipt.status);
    if (status === message.status) return true;
    const now = ctx.clock.now();
    const failed = status === 'failed' || status === 'undelivered';
    // A receipt that skips a state fills in what it implies: `delivered` and `undelivered` mean the
    // carrier sent the text, even when our `sent` update never committed (a crash between the
    // carrier's acceptance and that commit), so the text gets its sent_at and its `sent` event.
    const skippedSent = message.sent_at === null && (status === 'sent' || status === 'delivered' || status === 'undelivered');
    await tx
      .updateTable('messages')
      .set({
        status,
        updated_at: now,
        carrier_message_id: message.carrier_message_id ?? receipt.carrierMessageId,
        ...(status === 'delivered' ? { delivered_at: now } : {}),
        ...(skippedSent ? { sent_at: now } : {}),
        ...(failed ? { failed_at: now, reason: receipt.reason ?? 'carrier_unknown', error_code: receipt.errorCode ?? null } : {}),
      })
      .where('id', '=', message.id)
      .execute();
    if (skippedSent && status !== 'sent') {
      await appendEvent(tx, ctx, { orgId: message.org_id, type: 'message.status_changed', subjectType: 'message', subjectId: message.id, data: { status: 'sent' } });
    }
    await appendEvent(tx, ctx, {
      orgId: message.org_id,
      type: 'message.status_changed',
      subjectType: 'message',
      subjectId: message.id,
      data: { status, ...(failed ? { reason: receipt.reason ?? 'carrier_unknown', error_code: receipt.errorCode ?? null } : {}) },
    });
    // A carrier STOP report opts the contact out; repeated "cannot receive" failures suppress the number.
    if (failed) await afterOutboundFailure(ctx, tx, message, receipt.reason ?? 'carrier_unknown', receipt.errorCode ?? null);
    return true;
  });
}
