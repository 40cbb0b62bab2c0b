import { transaction, type AppContext, type Tx } from '../app-context.js';
import { recordRead } from './notifications/new-texts.js';
import type { Conversation } from '../db/schema.js';
import { notFound } from '../support/errors.js';
import { newId } from '../support/ids.js';
import { decodeCursor, toPage, type Page, olderThan } from './pagination.js';
import { insertRowsReturning } from '../db/insert-rows.js';
import { prepared } from '../db/prepared.js';

const conversationOf = prepared((db, v: { orgId: string; contactId: string; numberId: string }) =>
  db.selectFrom('conversations').selectAll().where('org_id', '=', v.orgId).where('contact_id', '=', v.contactId).where('number_id', '=', v.numberId),
);

/**
 * The conversation of a contact with one business number: reused while it exists, reopened by new
 * traffic (Chatwoot's ContactInbox → Conversation, with one conversation per pair).
 */
export async function touchConversation(
  ctx: AppContext,
  tx: Tx,
  input: { orgId: string; contactId: string; numberId: string; inbound: boolean; teamId?: string | null },
  /** The contact was created in this transaction: it has no conversation to read yet. */
  contactIsNew = false,
): Promise<Conversation> {
  const now = ctx.clock.now();
  const existing = contactIsNew ? undefined : await conversationOf.first(tx, { orgId: input.orgId, contactId: input.contactId, numberId: input.numberId });
  if (existing) {
    await tx
      .updateTable('conversations')
      .set((eb) => ({
        status: 'open',
        last_message_at: now,
        updated_at: now,
        ...(input.inbound ? { unread_count: eb('unread_count', '+', 1), snoozed_until: null } : {}),
        // A reply reopens an unassigned conversation for the number's team.
        ...(input.inbound && !existing.assigned_user_id && !existing.assigned_team_id && input.teamId ? { assigned_team_id: input.teamId } : {}),
      }))
      .where('id', '=', existing.id)
      .execute();
    return {
      ...existing,
      status: 'open',
      last_message_at: now,
      updated_at: now,
      unread_count: existing.unread_count + (input.inbound ? 1 : 0),
      snoozed_until: input.inbound ? null : existing.snoozed_until,
    };
  }
  const conversation = newConversationRow(input, input.inbound ? 1 : 0, now);
  const [inserted] = await insertRowsReturning(tx, 'conversations', [conversation], {
    key: 'new-pair',
    build: (q) => q.onConflict((oc) => oc.columns(['org_id', 'contact_id', 'number_id']).doNothing()).returning('id'),
  });
  if (inserted) return conversation;
  return touchConversation(ctx, tx, input); // it was there after all: read it and update it instead
}

/** A new conversation's row, opened by `unread` inbound texts (one here; several in receive-batch.ts). */
export function newConversationRow(input: { orgId: string; contactId: string; numberId: string; teamId?: string | null }, unread: number, now: number): Conversation {
  return {
    id: newId('cnv'),
    org_id: input.orgId,
    contact_id: input.contactId,
    number_id: input.numberId,
    status: 'open',
    assigned_user_id: null,
    assigned_team_id: input.teamId ?? null,
    unread_count: unread,
    last_message_at: now,
    created_at: now,
    updated_at: now,
    snoozed_until: null,
  };
}

export async function getConversation(ctx: AppContext, orgId: string, id: string): Promise<Conversation> {
  const c = await ctx.db.kysely.selectFrom('conversations').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
  if (!c) throw notFound('conversation', id);
  return c;
}

export async function listConversations(
  ctx: AppContext,
  orgId: string,
  filter: { limit: number; cursor?: string; status?: 'open' | 'closed'; contactId?: string; assignedUserId?: string },
): Promise<Page<Conversation>> {
  const cursor = decodeCursor(filter.cursor);
  let q = ctx.db.kysely.selectFrom('conversations').selectAll().where('org_id', '=', orgId);
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.contactId) q = q.where('contact_id', '=', filter.contactId);
  if (filter.assignedUserId) q = q.where('assigned_user_id', '=', filter.assignedUserId);
  if (cursor) {
    q = q.where(olderThan(cursor));
  }
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
  return toPage(rows, filter.limit, (r) => r);
}

/**
 * Marks a conversation read: its unread count (shared by everyone) goes to 0, and the reader's own
 * read time is recorded (new-text emails leave out what they have read, docs/notifications.md).
 */
export async function markConversationRead(ctx: AppContext, orgId: string, id: string, userId?: string): Promise<Conversation> {
  await getConversation(ctx, orgId, id);
  await transaction(ctx, async (tx) => {
    await tx.updateTable('conversations').set({ unread_count: 0, updated_at: ctx.clock.now() }).where('id', '=', id).where('org_id', '=', orgId).execute();
    if (userId) await recordRead(ctx, tx, { orgId, conversationId: id, userId });
  });
  return getConversation(ctx, orgId, id);
}
