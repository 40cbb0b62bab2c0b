/**
 * Inbound keywords, handled inside `receiveInboundMessage`'s transaction before automations, queues
 * or routing see the message:
 * - opt-out words (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT, ...): the ledger
 *   records opted_out (actor the contact, evidence the message) and exactly one confirmation goes out;
 * - opt-in words (START, UNSTOP; YES only from an opted-out contact, since "Yes" is an ordinary
 *   answer otherwise): opted back in, with a confirmation;
 * - HELP / INFO: the organization's (or the number's) help text;
 * - free text such as "stop texting me about the bill": flagged `likely_opt_out` for an agent (FCC
 *   2024: revocation by any reasonable means), no opt-out;
 * - anything else: the contact's first text records implied consent.
 * The inbound message is marked in `flags` (`keyword`), so later steps skip it.
 *
 * Sources: compliance.md "Keywords" (CTIA Messaging Principles; Twilio, Telnyx and AWS defaults),
 * matched with core's matchKeyword: the whole message, case-insensitive, surrounding spaces and
 * punctuation ignored.
 */
import { matchKeyword, type KeywordKind } from '@textback/core';
import type { AppContext, Tx } from '../../app-context.js';
import { isSqlite } from '../../db/dialect.js';
import type { Contact, Message, PhoneNumber } from '../../db/schema.js';
import { sql } from 'kysely';
import { AppError } from '../../support/errors.js';
import { appendEvent, collectEvents } from '../events.js';
import { textProblem } from '../message-text.js';
import { sendMessage } from '../messages.js';
import { orgSettings } from '../organizations.js';
import { changeConsent, currentConsent, recordImpliedConsent } from './consent.js';
import type { MessagePurpose } from './gate.js';
import { complianceTexts } from './settings.js';

export interface InboundCompliance {
  /** The keyword class the message was, if it was one: later steps skip such messages. */
  keyword: KeywordKind | null;
  likelyOptOut: boolean;
  /** The message's flags as stored (JSON), or null. */
  flags: string | null;
}

/** True when an inbound message was a compliance keyword (STOP, START, HELP, ...). */
export function isComplianceKeyword(message: Pick<Message, 'flags'>): boolean {
  if (!message.flags) return false;
  return Boolean((JSON.parse(message.flags) as { keyword?: string }).keyword);
}

/**
 * Serialises transactions about one contact: a no-op UPDATE takes the row's lock on PostgreSQL until
 * commit, and later reads see what the first one committed. On SQLite it is skipped: its single
 * writer runs transactions one after another already.
 */
export async function lockContact(tx: Tx, contactId: string): Promise<void> {
  if (isSqlite(tx)) return;
  await tx.updateTable('contacts').set((eb) => ({ updated_at: eb.ref('updated_at') })).where('id', '=', contactId).execute();
}

export async function handleInboundCompliance(
  ctx: AppContext,
  tx: Tx,
  input: { message: Message; number: PhoneNumber; contact: Contact },
): Promise<InboundCompliance> {
  const { message, number, contact } = input;
  // One contact's inbound texts take their consent decisions one after another: two STOPs at the
  // same moment (two webhooks, two workers on PostgreSQL) make one opt-out and one confirmation.
  await lockContact(tx, contact.id);
  const org = await tx.selectFrom('organizations').selectAll().where('id', '=', message.org_id).executeTakeFirstOrThrow();
  const settings = orgSettings(org);
  const scope = settings.consent_scope;
  const match = matchKeyword(message.body);
  const evidence = { message_id: message.id, ...(match ? { keyword: match.keyword } : {}) };
  const consentChange = { orgId: org.id, contact, numberId: number.id, scope, by: 'contact' as const, via: 'keyword' as const, evidence };

  let keyword: KeywordKind | null = match && match.kind !== 'likely_opt_out' ? match.kind : null;
  if (keyword === 'opt_in' && match?.keyword === 'YES') {
    const current = await currentConsent(tx, { orgId: org.id, contactId: contact.id, numberId: number.id, scope });
    if (current.record.state !== 'opted_out') keyword = null;
  }

  let reply: MessagePurpose | null = null;
  if (keyword === 'opt_out') {
    const result = await changeConsent(ctx, tx, { ...consentChange, type: 'opt_out' });
    // One confirmation per opt-out: a second STOP from an opted-out contact gets no text.
    if (result.ok && result.changed) reply = 'opt_out_confirmation';
  } else if (keyword === 'opt_in') {
    const result = await changeConsent(ctx, tx, { ...consentChange, type: 'opt_in' });
    if (result.ok) reply = 'opt_in_confirmation';
  } else if (keyword === 'help') {
    await recordImpliedConsent(ctx, tx, { orgId: org.id, contact, numberId: number.id, via: 'message', evidence });
    reply = 'help_response';
  } else if (match?.kind !== 'likely_opt_out') {
    await recordImpliedConsent(ctx, tx, { orgId: org.id, contact, numberId: number.id, via: 'message', evidence: { message_id: message.id } });
  }

  const likelyOptOut = match?.kind === 'likely_opt_out';
  const flags = keyword ? { keyword, matched: match?.keyword } : likelyOptOut ? { likely_opt_out: true, matched: match.keyword } : null;
  const flagsJson = flags ? JSON.stringify(flags) : null;
  if (flagsJson) await tx.updateTable('messages').set({ flags: flagsJson }).where('id', '=', message.id).execute();
  if (likelyOptOut) {
    await appendEvent(tx, ctx, {
      orgId: org.id,
      type: 'compliance.likely_opt_out',
      subjectType: 'message',
      subjectId: message.id,
      data: { contact_id: contact.id, conversation_id: message.conversation_id, matched: match.keyword },
    });
  }

  if (reply) {
    const texts = complianceTexts(org, settings, number);
    const body = reply === 'opt_out_confirmation' ? texts.optOutConfirmation : reply === 'opt_in_confirmation' ? texts.optInConfirmation : texts.help;
    await sendKeywordReply(ctx, tx, { message, contact, number, body, purpose: reply, maxLength: settings.max_body_length });
  }
  return { keyword, likelyOptOut, flags: flagsJson };
}

/**
 * The answer to a keyword, independent of the consent change it confirms: a text that cannot be
 * made (a broken stored text from before save-time validation, any refusal of the send path) is
 * rolled back to a savepoint alone, so the opt-out (or opt-in) is recorded all the same, and the
 * failure is on the event stream (`compliance.keyword_reply_failed`) and in the log, by ids.
 */
async function sendKeywordReply(
  ctx: AppContext,
  tx: Tx,
  input: { message: Message; contact: Contact; number: PhoneNumber; body: string; purpose: MessagePurpose; maxLength: number },
): Promise<void> {
  const { message, contact, number } = input;
  const failed = async (detail: string) => {
    ctx.log.warn({ messageId: message.id, contactId: contact.id, purpose: input.purpose }, 'keyword answer not sent; the consent change stands');
    await appendEvent(tx, ctx, {
      orgId: message.org_id,
      type: 'compliance.keyword_reply_failed',
      subjectType: 'message',
      subjectId: message.id,
      data: { contact_id: contact.id, purpose: input.purpose, detail },
    });
  };
  const problem = textProblem(input.body, input.maxLength, input.purpose === 'help_response' ? 'help_text' : input.purpose === 'opt_out_confirmation' ? 'opt_out_text' : 'opt_in_text');
  if (problem) return failed(problem.detail);
  await sql`SAVEPOINT keyword_reply`.execute(tx);
  try {
    await collectEvents(tx, ctx, () =>
      sendMessage(
        ctx,
        {
          orgId: message.org_id,
          to: contact.e164,
          from: number.e164,
          body: input.body,
          idempotencyKey: `keyword-reply:${message.id}`,
          createdBy: { type: 'system', id: null },
          automated: true,
          purpose: input.purpose,
        },
        tx,
      ),
    );
    await sql`RELEASE SAVEPOINT keyword_reply`.execute(tx);
  } catch (error) {
    // Back to before the text (on PostgreSQL this also clears a failed statement); if even that
    // fails, the connection is gone and the whole job retries.
    await sql`ROLLBACK TO SAVEPOINT keyword_reply`.execute(tx);
    await sql`RELEASE SAVEPOINT keyword_reply`.execute(tx);
    await failed(error instanceof AppError ? error.detail : 'the text could not be stored');
  }
}
