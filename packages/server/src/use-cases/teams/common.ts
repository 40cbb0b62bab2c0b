/** Pieces every team feature uses: the contact's timeline trace, texts to agents, mailbox locks. */
import type { AppContext, Tx } from '../../app-context.js';
import type { PhoneNumber } from '../../db/schema.js';
import { enqueue } from '../../jobs/job-queue.js';
import { sendMessage, type SendMessageResult } from '../messages.js';

/** Offers waiting sessions of a queue to agents with a free slot, oldest first (sessions.ts `dispatchQueue`). */
export const QUEUE_DISPATCH_JOB = 'teams.queue_dispatch';

/** Something may have freed a slot in the queue (a session ended, an invite expired, an agent came online): one pending job per queue. */
export async function enqueueQueueDispatch(ctx: AppContext, tx: Tx, orgId: string, queueId: string): Promise<void> {
  await enqueue(tx, ctx.clock, { kind: QUEUE_DISPATCH_JOB, orgId, payload: { queueId }, uniqueKey: `${QUEUE_DISPATCH_JOB}:${queueId}` });
}

export type TraceKind = 'lead' | 'forward' | 'relay' | 'queue' | 'reply_agent';

/** Appends a team decision to a contact's timeline (`GET /v1/contacts/:id/timeline`). */
export async function teamTrace(ctx: AppContext, tx: Tx, input: { orgId: string; contactId: string; kind: TraceKind; subjectId: string; message: string }): Promise<void> {
  await tx
    .insertInto('team_trace')
    .values({ org_id: input.orgId, contact_id: input.contactId, kind: input.kind, subject_id: input.subjectId, message: input.message, at: ctx.clock.now() })
    .execute();
}

/**
 * A text from a business number to an agent's own phone (a forwarded text, an invite, a notice).
 * It goes through `sendMessage` and its compliance gate like every text. It is not `automated`:
 * it carries a person's words or is a notice to the organization's own user, so the consumer
 * rules for automated texts (the opt-out footer that would break the exact forwarded format, the
 * per-contact daily cap) do not fit; consent, suppression and quiet hours still apply.
 */
export async function textAgent(
  ctx: AppContext,
  tx: Tx,
  input: { orgId: string; from: Pick<PhoneNumber, 'e164'>; to: string; body: string; idempotencyKey: string; sendAt?: number },
): Promise<SendMessageResult> {
  return sendMessage(
    ctx,
    {
      orgId: input.orgId,
      from: input.from.e164,
      to: input.to,
      body: input.body,
      idempotencyKey: input.idempotencyKey,
      createdBy: { type: 'system', id: null },
      automated: false,
      ...(input.sendAt !== undefined ? { sendAt: input.sendAt } : {}),
    },
    tx,
  );
}

/** An automated text from the business (queue messages, the lead fallback text): compliance's automated rules apply. */
export async function textAutomated(
  ctx: AppContext,
  tx: Tx,
  input: { orgId: string; from: Pick<PhoneNumber, 'e164'>; to: string; body: string; idempotencyKey: string },
): Promise<SendMessageResult> {
  return sendMessage(
    ctx,
    { orgId: input.orgId, from: input.from.e164, to: input.to, body: input.body, idempotencyKey: input.idempotencyKey, createdBy: { type: 'system', id: null }, automated: true },
    tx,
  );
}

/**
 * Serializes work on one key across transactions and worker processes until the transaction ends:
 * the upsert locks the row on PostgreSQL (a second one waits for the first to commit); SQLite has a
 * single writer anyway. `unlockKey` at the end of the work removes the row, in the same transaction.
 */
export async function lockKey(ctx: AppContext, tx: Tx, key: string): Promise<void> {
  const at = ctx.clock.now();
  await tx
    .insertInto('team_locks')
    .values({ key, at })
    .onConflict((oc) => oc.column('key').doUpdateSet({ at }))
    .execute();
}

/** "sent", "held for quiet hours until …", "blocked: no_consent": what became of a text, for a trace. */
export function describeSend(result: SendMessageResult): string {
  const m = result.message;
  if (m.status === 'blocked') return `blocked by compliance (${m.reason ?? 'unknown'}, rule ${m.rule ?? '?'})`;
  if (m.status === 'held') return `held by compliance (${m.reason ?? 'unknown'}) until ${m.held_until ? new Date(m.held_until).toISOString() : '?'}`;
  return m.status === 'queued' ? 'queued' : m.status;
}

/** Removes the lock row (still held until commit): the table keeps only mailboxes being worked on. */
export async function unlockKey(tx: Tx, key: string): Promise<void> {
  await tx.deleteFrom('team_locks').where('key', '=', key).execute();
}
