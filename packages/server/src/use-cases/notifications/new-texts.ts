/**
 * "New texts" emails (docs/notifications.md). An inbound text enqueues, in its own transaction, one
 * job per (user, conversation) for the users who asked; the job waits NOTIFY_DIGEST_SECONDS, so a
 * burst of texts from one contact becomes one email. When it runs it emails the texts of its window
 * that the user has not read since (conversation_reads).
 */
import type { AppContext, Tx } from '../../app-context.js';
import { enqueueMany, type EnqueueOptions } from '../../jobs/job-queue.js';
import { conversationLink, escapeHtml, mailTransport, oneLine, sendEmail } from './mailer.js';
import { subscribersOf, wantsText, type NotificationPreferences } from './preferences.js';

export const NEW_TEXTS_JOB = 'notify.new_texts';

export interface NewTextsPayload {
  userId: string;
  conversationId: string;
  /** When the first text of the window arrived. */
  since: number;
}

export interface InboundNotice {
  orgId: string;
  conversationId: string;
  numberId: string;
  assignedUserId: string | null;
  assignedTeamId: string | null;
  at: number;
}

/** Most texts quoted in one email (the rest are counted). */
const MAX_QUOTED = 20;

/**
 * Enqueues the digest jobs for new inbound texts, in the caller's transaction. An organization where
 * nobody asked for email costs one cached lookup; a job already pending for the (user,
 * conversation) takes the new text into its window.
 */
export async function enqueueNewTextNotices(ctx: AppContext, tx: Tx, notices: readonly InboundNotice[]): Promise<void> {
  const jobs: EnqueueOptions[] = [];
  const seen = new Set<string>();
  for (const n of notices) {
    const subscribers = await subscribersOf(ctx, n.orgId, tx);
    for (const s of subscribers) {
      if (!wantsText(s, n)) continue;
      const uniqueKey = `notify:${s.userId}:${n.conversationId}`;
      if (seen.has(uniqueKey)) continue;
      seen.add(uniqueKey);
      const payload: NewTextsPayload = { userId: s.userId, conversationId: n.conversationId, since: n.at };
      jobs.push({ kind: NEW_TEXTS_JOB, orgId: n.orgId, payload, uniqueKey, runAt: n.at + ctx.config.notifyDigestSeconds * 1000 });
    }
  }
  if (jobs.length > 0) await enqueueMany(tx, ctx.clock, jobs);
}

/** Records that a user read a conversation now: their texts up to now are not emailed. */
export async function recordRead(ctx: AppContext, tx: Tx, input: { orgId: string; conversationId: string; userId: string }): Promise<void> {
  const now = ctx.clock.now();
  await tx
    .insertInto('conversation_reads')
    .values({ conversation_id: input.conversationId, user_id: input.userId, org_id: input.orgId, read_at: now })
    .onConflict((oc) => oc.columns(['conversation_id', 'user_id']).doUpdateSet({ read_at: now }))
    .execute();
}

export async function runNewTextsJob(ctx: AppContext, orgId: string, payload: NewTextsPayload): Promise<void> {
  const db = ctx.db.kysely;
  const now = ctx.clock.now();
  const user = await db.selectFrom('users').select(['id', 'email']).where('id', '=', payload.userId).where('org_id', '=', orgId).executeTakeFirst();
  const conversation = await db.selectFrom('conversations').selectAll().where('id', '=', payload.conversationId).where('org_id', '=', orgId).executeTakeFirst();
  if (!user || !conversation) return;
  const prefsRow = await db.selectFrom('notification_preferences').select('settings').where('user_id', '=', user.id).executeTakeFirst();
  if (!prefsRow) return;
  const preferences = JSON.parse(prefsRow.settings) as NotificationPreferences;
  const p = preferences.email_new_texts;
  // Turned off since the text arrived.
  if (!p.assigned_to_me && !p.my_teams && !p.unassigned) return;
  const read = await db.selectFrom('conversation_reads').select('read_at').where('conversation_id', '=', conversation.id).where('user_id', '=', user.id).executeTakeFirst();
  // The window: from its first text to now (a text arriving while this job runs gets a job of its own).
  let q = db
    .selectFrom('messages')
    .select(['id', 'body', 'created_at'])
    .where('conversation_id', '=', conversation.id)
    .where('direction', '=', 'inbound')
    .where('created_at', '>=', payload.since)
    .where('created_at', '<=', now);
  // Read at or after a text arrived: seen.
  if (read) q = q.where('created_at', '>', read.read_at);
  const texts = await q.orderBy('created_at').orderBy('id').execute();
  if (texts.length === 0) {
    ctx.log.debug({ user_id: user.id, conversation_id: conversation.id }, 'new-texts notification: every text already read');
    return;
  }
  const ids = texts.map((t) => t.id);
  if (!mailTransport(ctx)) {
    ctx.log.info({ notification: 'new_texts', user_id: user.id, conversation_id: conversation.id, message_ids: ids }, 'notification not emailed: no SMTP_URL configured');
    return;
  }
  const contact = await db.selectFrom('contacts').select(['name', 'e164']).where('id', '=', conversation.contact_id).executeTakeFirstOrThrow();
  const number = await db.selectFrom('phone_numbers').select(['name', 'e164']).where('id', '=', conversation.number_id).executeTakeFirstOrThrow();
  const who = contact.name ? `${contact.name} (${contact.e164})` : contact.e164;
  const link = conversationLink(ctx, conversation.id);
  const quoted = texts.slice(-MAX_QUOTED);
  const more = texts.length - quoted.length;
  const count = texts.length === 1 ? 'A new text' : `${texts.length} new texts`;
  const newest = texts[texts.length - 1]!.body;
  const subject = oneLine(`${count} from ${who} to ${number.name}` + (preferences.include_body_in_subject ? `: ${[...newest].slice(0, 60).join('')}` : ''));
  const text = [
    `${count} from ${who} to ${number.name} (${number.e164}):`,
    '',
    ...(more > 0 ? [`(${more} earlier not shown)`, ''] : []),
    ...quoted.flatMap((t) => [...t.body.split(/\r?\n/).map((line) => `> ${line}`), '']),
    `Open the conversation: ${link}`,
    '',
  ].join('\n');
  const html =
    `<p>${escapeHtml(`${count} from ${who} to ${number.name} (${number.e164}):`)}</p>` +
    (more > 0 ? `<p>${more} earlier not shown</p>` : '') +
    quoted.map((t) => `<blockquote style="white-space:pre-wrap">${escapeHtml(t.body)}</blockquote>`).join('') +
    `<p><a href="${escapeHtml(link)}">Open the conversation</a></p>`;
  await sendEmail(ctx, { to: user.email, subject, text, html });
  ctx.log.info({ notification: 'new_texts', user_id: user.id, conversation_id: conversation.id, message_ids: ids }, 'notification emailed');
}
