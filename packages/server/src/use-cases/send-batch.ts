/**
 * The send job, a batch at a time: what `runSendJob` does for one text, done for every text of a
 * claimed batch with a few statements in all (read the messages, read the gate's facts, reserve and
 * take the senders, mark them sending, record them sent with their events) instead of a dozen per
 * text. The carrier is still called once per text, all of the batch's at once.
 *
 * The decisions are the same as one by one: the same gate (`loadGateFactsMany` + `decide`), the
 * same pacing (`reserveSendSlots` / `takeSenders`), the same at-most-once rule (a text is marked
 * `sending` before the carrier is called, and a text found `sending` is looked up at the carrier
 * before any resend). Anything off the common path (a held text, one found `sending`, a gate hold
 * or block, a carrier error) goes through the one-text functions, so each rule lives in one place.
 */
import type { AppContext } from '../app-context.js';
import { transaction } from '../app-context.js';
import { carrierForMessage } from '../carriers/registry.js';
import { caseById } from '../db/batch-sql.js';
import type { Message } from '../db/schema.js';
import type { JobResult } from '../jobs/worker.js';
import type { Logger } from '../support/logger.js';
import { decide, loadGateFactsMany, type MessagePurpose } from './compliance/gate.js';
import { applyDecision } from './compliance/outbound.js';
import { recordSenderTaken, reserveSendSlots, sendersOf, takeSenders } from './compliance/pacing.js';
import { appendEvents } from './events.js';
import { afterCarrierError, persistently, recordSent, runSendJob, sendThrough } from './messages.js';
import { orgSettings } from './organizations.js';

export interface SendBatchItem {
  messageId: string;
  attempt: { number: number; max: number };
}

type Outcome = JobResult | Error;

const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

/** Runs a batch of send jobs; returns one outcome per item, in order. */
export async function runSendBatch(ctx: AppContext, items: readonly SendBatchItem[], log: Logger): Promise<Outcome[]> {
  const outcomes = new Map<string, Outcome>();
  const ids = items.map((i) => i.messageId);
  const rows = await ctx.db.kysely.selectFrom('messages').selectAll().where('id', 'in', ids).execute();
  const byId = new Map(rows.map((m) => [m.id, m]));

  // Off the common path, one by one: held texts (their hold may be over), texts found `sending`
  // (an earlier attempt died: ask the carrier first).
  const single: SendBatchItem[] = [];
  let ready: Message[] = [];
  for (const item of items) {
    const message = byId.get(item.messageId);
    if (!message) continue; // deleted with its organization: done
    if (message.status === 'queued' || message.status === 'scheduled') ready.push(message);
    else if (message.status === 'held' || message.status === 'sending') single.push(item);
    // anything else is already sent, failed or cancelled: done
  }
  const singles = Promise.all(
    single.map(async (item) => {
      try {
        outcomes.set(item.messageId, await runSendJob(ctx, item.messageId, item.attempt));
      } catch (error) {
        outcomes.set(item.messageId, asError(error));
      }
    }),
  );

  try {
    ready = await secondLook(ctx, ready, outcomes);
    await sendReady(ctx, ready, items, outcomes, log);
  } catch (error) {
    // A statement of the batch failed: the texts not yet settled are retried (the send job is
    // idempotent: a text already marked `sending` is looked up before any resend).
    for (const m of ready) if (!outcomes.has(m.id)) outcomes.set(m.id, asError(error));
  }
  await singles;
  return items.map((item) => outcomes.get(item.messageId));
}

/** The compliance gate's second look, for the whole batch: returns the texts it lets go. */
async function secondLook(ctx: AppContext, messages: Message[], outcomes: Map<string, Outcome>): Promise<Message[]> {
  if (messages.length === 0) return [];
  const db = ctx.db.kysely;
  const orgs = new Map((await db.selectFrom('organizations').selectAll().where('id', 'in', [...new Set(messages.map((m) => m.org_id))]).execute()).map((o) => [o.id, o]));
  const contacts = new Map(
    (await db.selectFrom('contacts').select(['id', 'e164', 'time_zone']).where('id', 'in', [...new Set(messages.map((m) => m.contact_id))]).execute()).map((c) => [c.id, c]),
  );
  const present = messages.filter((m) => orgs.has(m.org_id) && contacts.has(m.contact_id));
  const now = ctx.clock.now();
  const facts = await loadGateFactsMany(
    db,
    present.map((m) => {
      const org = orgs.get(m.org_id)!;
      return {
        org,
        settings: orgSettings(org),
        contact: contacts.get(m.contact_id)!,
        numberId: m.number_id,
        to: m.to_e164,
        automated: m.automated === 1,
        purpose: (m.purpose ?? 'general') as MessagePurpose,
        now,
        timeRules: true,
        messageId: m.id,
      };
    }),
  );
  const allowed: Message[] = [];
  for (const [i, message] of present.entries()) {
    const decision = decide(facts[i]!);
    if (decision.action === 'allow') {
      allowed.push(message);
      continue;
    }
    // Held or blocked since it was accepted (quiet hours began, the contact opted out): recorded one by one.
    const verdict = await transaction(ctx, (tx) => applyDecision(ctx, tx, message, decision, 'send'));
    outcomes.set(message.id, verdict.proceed ? undefined : verdict.snoozeUntil === undefined ? undefined : { snoozeUntil: verdict.snoozeUntil });
  }
  return allowed;
}

async function sendReady(ctx: AppContext, ready: Message[], items: readonly SendBatchItem[], outcomes: Map<string, Outcome>, log: Logger): Promise<void> {
  if (ready.length === 0) return;
  const senders = await sendersOf(
    ctx,
    ready.map((m) => m.number_id),
  );

  // 1. A place in line for each text; those whose place is later snooze until it.
  const slots = await reserveSendSlots(ctx, ready, senders);
  let due = ready.filter((m) => {
    const wait = slots.get(m.id);
    if (wait) outcomes.set(m.id, wait);
    return !wait;
  });
  if (due.length === 0) return;

  // 2. Marked `sending` before the carrier is called (a text cancelled meanwhile is left alone).
  const now = ctx.clock.now();
  const claimed = await ctx.db.kysely
    .updateTable('messages')
    .set({ status: 'sending', updated_at: now })
    .where(
      'id',
      'in',
      due.map((m) => m.id),
    )
    .where('status', 'in', ['scheduled', 'queued'])
    .returning('id')
    .execute();
  const claimedIds = new Set(claimed.map((r) => r.id));
  for (const m of due) if (!claimedIds.has(m.id)) outcomes.set(m.id, undefined);
  due = due.filter((m) => claimedIds.has(m.id)).map((m) => ({ ...m, status: 'sending' }));

  // 3. The senders' rate, exactly, right before the carrier is called.
  const taken = await takeSenders(ctx, due, senders);
  const going = due.filter((m) => {
    const t = taken.get(m.id)!;
    if ('snoozeUntil' in t) outcomes.set(m.id, t);
    return 'takenAt' in t;
  });

  // 4. The carrier, every text of the batch at once.
  const attempts = new Map(items.map((i) => [i.messageId, i.attempt]));
  const sent: Array<{ message: Message; carrierMessageId: string; takenAt: number }> = [];
  await Promise.all(
    going.map(async (message) => {
      try {
        const carrier = await carrierForMessage(ctx, message, senders.get(message.number_id) ?? { carrier_account_id: null });
        const result = await sendThrough(carrier, message);
        sent.push({ message, carrierMessageId: result.carrierMessageId, takenAt: (taken.get(message.id) as { takenAt: number }).takenAt });
      } catch (error) {
        outcomes.set(message.id, await afterCarrierError(ctx, message, error, attempts.get(message.id)!, log.child({ messageId: message.id, orgId: message.org_id })));
      }
    }),
  );

  // 5. The carrier has them: recorded together, persistently (a failure here must not become a resend).
  if (sent.length > 0) {
    await persistently(() => recordSentMany(ctx, sent));
    for (const s of sent) {
      outcomes.set(s.message.id, undefined);
      log.info({ messageId: s.message.id, orgId: s.message.org_id, carrierMessageId: s.carrierMessageId }, 'message sent');
    }
  }
}

/**
 * `sending` → `sent` for many texts in one transaction: one UPDATE, one INSERT of their events. A
 * text whose status moved meanwhile (a fast delivery receipt) is recorded one by one.
 */
async function recordSentMany(ctx: AppContext, sent: ReadonlyArray<{ message: Message; carrierMessageId: string; takenAt: number }>): Promise<void> {
  const moved = await transaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    const updated = await tx
      .updateTable('messages')
      .set({
        status: 'sent',
        carrier_message_id: caseById(sent.map((s) => [s.message.id, s.carrierMessageId] as const)),
        send_slot_at: caseById(sent.map((s) => [s.message.id, s.takenAt] as const)),
        sent_at: now,
        updated_at: now,
      })
      .where(
        'id',
        'in',
        sent.map((s) => s.message.id),
      )
      .where('status', '=', 'sending')
      .returning('id')
      .execute();
    const done = new Set(updated.map((r) => r.id));
    await appendEvents(
      tx,
      ctx,
      sent
        .filter((s) => done.has(s.message.id))
        .map((s) => ({ orgId: s.message.org_id, type: 'message.status_changed', subjectType: 'message', subjectId: s.message.id, data: { status: 'sent' } })),
    );
    return sent.filter((s) => !done.has(s.message.id));
  });
  for (const s of moved) {
    await recordSent(ctx, s.message, s.carrierMessageId);
    await recordSenderTaken(ctx, s.message.id, s.takenAt);
  }
}
