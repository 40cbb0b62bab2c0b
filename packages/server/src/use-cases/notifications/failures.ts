/**
 * Failure emails to the owners and admins who asked (docs/notifications.md). Each kind of failure
 * is one entry of FAILURE_KINDS: how its email reads. A use case that notices a failure calls
 * `noticeFailure` in its transaction; each recipient gets one email per kind and subject a day.
 */
import type { AppContext, Tx } from '../../app-context.js';
import { enqueueMany } from '../../jobs/job-queue.js';
import { escapeHtml, mailTransport, oneLine, sendEmail } from './mailer.js';
import { subscribersOf, type NotificationPreferences } from './preferences.js';

export const FAILURE_JOB = 'notify.failure';

/** What a failure email says: a subject and lines of text. Data holds ids, names and counts, never a text or a contact. */
interface FailureKind {
  subject(data: Record<string, string | number>): string;
  lines(data: Record<string, string | number>): string[];
}

/** Consecutive permanent failures on one number that mean "the carrier rejects everything". */
export const CARRIER_REJECTING_AFTER = 10;
/** Opt-outs per contact texted, over the last 30 days, above which a number is reported (with at least OPT_OUT_MIN_CONTACTS texted). */
export const OPT_OUT_RATE_THRESHOLD = 0.05;
export const OPT_OUT_MIN_CONTACTS = 20;
const DAY_MS = 24 * 60 * 60 * 1000;

export const FAILURE_KINDS = {
  carrier_rejecting: {
    subject: (d) => `Number ${d.number_name}: the carrier rejected the last ${d.count} texts`,
    lines: (d) => [
      `The last ${d.count} texts sent from ${d.number_name} (${d.number}) failed permanently (last reason: ${d.reason}).`,
      'The carrier may have blocked the number or its registration: check the carrier account and the number.',
    ],
  },
  opt_out_rate: {
    subject: (d) => `Number ${d.number_name}: ${d.percent}% of contacts opted out in 30 days`,
    lines: (d) => [
      `${d.opt_outs} of the ${d.contacts} contacts texted from ${d.number_name} (${d.number}) in the last 30 days opted out (${d.percent}%).`,
      'Carriers filter numbers with high opt-out rates: check what this number sends and to whom.',
    ],
  },
  webhook_disabled: {
    subject: (d) => `Webhook endpoint disabled: ${d.host}`,
    lines: (d) => [
      `Textback stopped sending events to ${d.url}: ${d.reason} (last answer: ${d.last_answer}).`,
      'Events since then are not delivered. Fix the receiver, then enable the endpoint under Settings → Webhooks; failed deliveries can be resent from its delivery log.',
    ],
  },
} satisfies Record<string, FailureKind>;

export type FailureKindName = keyof typeof FAILURE_KINDS;

export interface FailurePayload {
  userId: string;
  kind: FailureKindName;
  subjectId: string;
  data: Record<string, string | number>;
}

/**
 * Enqueues a failure email for each owner and admin who asked, at most one per kind and subject a
 * day. Costs a cached lookup when nobody asked.
 */
export async function noticeFailure(ctx: AppContext, tx: Tx, input: { orgId: string; kind: FailureKindName; subjectId: string; data: Record<string, string | number> }): Promise<void> {
  const recipients = (await subscribersOf(ctx, input.orgId, tx)).filter((s) => s.preferences.email_failures && (s.role === 'owner' || s.role === 'admin'));
  if (recipients.length === 0) return;
  const now = ctx.clock.now();
  const keys = recipients.map((s) => `notify-failure:${input.kind}:${input.subjectId}:${s.userId}`);
  const recent = await tx.selectFrom('jobs').select('unique_key').where('unique_key', 'in', keys).where('created_at', '>', now - DAY_MS).execute();
  const skip = new Set(recent.map((r) => r.unique_key));
  await enqueueMany(
    tx,
    ctx.clock,
    recipients
      .map((s, i) => ({ s, key: keys[i]! }))
      .filter(({ key }) => !skip.has(key))
      .map(({ s, key }) => ({ kind: FAILURE_JOB, orgId: input.orgId, uniqueKey: key, payload: { userId: s.userId, kind: input.kind, subjectId: input.subjectId, data: input.data } satisfies FailurePayload })),
  );
}

export async function runFailureJob(ctx: AppContext, orgId: string, payload: FailurePayload): Promise<void> {
  const db = ctx.db.kysely;
  const user = await db.selectFrom('users').select(['id', 'email', 'role']).where('id', '=', payload.userId).where('org_id', '=', orgId).executeTakeFirst();
  if (!user || (user.role !== 'owner' && user.role !== 'admin')) return;
  const row = await db.selectFrom('notification_preferences').select('settings').where('user_id', '=', user.id).executeTakeFirst();
  if (!row || !(JSON.parse(row.settings) as NotificationPreferences).email_failures) return;
  const kind: FailureKind = FAILURE_KINDS[payload.kind];
  if (!mailTransport(ctx)) {
    ctx.log.info({ notification: payload.kind, user_id: user.id, subject_id: payload.subjectId }, 'notification not emailed: no SMTP_URL configured');
    return;
  }
  const lines = kind.lines(payload.data);
  await sendEmail(ctx, {
    to: user.email,
    subject: oneLine(kind.subject(payload.data)),
    text: `${lines.join('\n\n')}\n`,
    html: lines.map((l) => `<p>${escapeHtml(l)}</p>`).join(''),
  });
  ctx.log.info({ notification: payload.kind, user_id: user.id, subject_id: payload.subjectId }, 'notification emailed');
}

/** After an outbound text failed permanently: the number's last texts all failed means the carrier rejects them. */
export async function checkCarrierRejecting(ctx: AppContext, tx: Tx, message: { org_id: string; number_id: string }, reason: string | null): Promise<void> {
  if ((await subscribersOf(ctx, message.org_id, tx)).every((s) => !s.preferences.email_failures)) return;
  const last = await tx
    .selectFrom('messages')
    .select('status')
    .where('org_id', '=', message.org_id)
    .where('number_id', '=', message.number_id)
    .where('direction', '=', 'outbound')
    .where('status', 'in', ['sent', 'delivered', 'failed', 'undelivered'])
    .orderBy('updated_at', 'desc')
    .limit(CARRIER_REJECTING_AFTER)
    .execute();
  if (last.length < CARRIER_REJECTING_AFTER || last.some((m) => m.status !== 'failed' && m.status !== 'undelivered')) return;
  const number = await tx.selectFrom('phone_numbers').select(['id', 'name', 'e164']).where('id', '=', message.number_id).executeTakeFirstOrThrow();
  await noticeFailure(ctx, tx, {
    orgId: message.org_id,
    kind: 'carrier_rejecting',
    subjectId: number.id,
    data: { number_name: number.name, number: number.e164, count: CARRIER_REJECTING_AFTER, reason: reason ?? 'unknown' },
  });
}

/** After a contact opted out by keyword: the number's opt-out rate over 30 days. */
export async function checkOptOutRate(ctx: AppContext, tx: Tx, number: { id: string; org_id: string; name: string; e164: string }): Promise<void> {
  if ((await subscribersOf(ctx, number.org_id, tx)).every((s) => !s.preferences.email_failures)) return;
  const since = ctx.clock.now() - 30 * DAY_MS;
  const texted = await tx
    .selectFrom('messages')
    .select((eb) => eb.fn.count<number>('contact_id').distinct().as('n'))
    .where('org_id', '=', number.org_id)
    .where('number_id', '=', number.id)
    .where('direction', '=', 'outbound')
    .where('created_at', '>', since)
    .executeTakeFirst();
  const contacts = Number(texted?.n ?? 0);
  if (contacts < OPT_OUT_MIN_CONTACTS) return;
  const stopped = await tx
    .selectFrom('messages')
    .select((eb) => eb.fn.count<number>('contact_id').distinct().as('n'))
    .where('org_id', '=', number.org_id)
    .where('number_id', '=', number.id)
    .where('direction', '=', 'inbound')
    .where('created_at', '>', since)
    .where('flags', 'like', '%"keyword":"opt_out"%')
    .executeTakeFirst();
  const optOuts = Number(stopped?.n ?? 0);
  if (optOuts / contacts <= OPT_OUT_RATE_THRESHOLD) return;
  await noticeFailure(ctx, tx, {
    orgId: number.org_id,
    kind: 'opt_out_rate',
    subjectId: number.id,
    data: { number_name: number.name, number: number.e164, opt_outs: optOuts, contacts, percent: Math.round((optOuts / contacts) * 1000) / 10 },
  });
}
