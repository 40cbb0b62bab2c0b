/**
 * The shared inbox (issue 14): the conversation list with its filters and what each row shows,
 * conversation state people control (open / done, snoozed until, assignee, unread), internal notes
 * and the organization's saved replies.
 */
import { recordRead } from './notifications/new-texts.js';
import { ANY_ATTRIBUTE, BUILT_IN_VARIABLE_NAMES, renderTemplate, templateVariables, validateTemplate } from '@textback/core';
import { sql, type Expression, type SqlBool } from 'kysely';
import { transaction, type AppContext } from '../app-context.js';
import type { Contact, Conversation, Message, Note, SavedReply } from '../db/schema.js';
import { AppError, notFound } from '../support/errors.js';
import { newId } from '../support/ids.js';
import { getConversation } from './conversations.js';
import { appendEvent } from './events.js';
import { validateBody } from './messages.js';
import { getOrganization, orgSettings, requireRole, type Principal } from './organizations.js';
import type { Page } from './pagination.js';

// ---------------------------------------------------------------------------------------------
// The list

export interface InboxFilter {
  limit: number;
  cursor?: string;
  /** open: not done and not snoozed now; snoozed: snoozed until later; done. ('closed' is done.) */
  status?: 'open' | 'done' | 'snoozed' | 'closed';
  /** 'me' (the caller), 'unassigned' (no person), or a user id. */
  assigned?: string;
  teamId?: string;
  numberId?: string;
  contactId?: string;
  /** failed: the last text sent failed; scheduled: a text is scheduled or held; opted_out: the contact opted out. */
  has?: 'failed' | 'scheduled' | 'opted_out';
}

export interface InboxRow {
  conversation: Conversation;
  contact: Pick<Contact, 'id' | 'name' | 'e164'>;
  lastMessage: Pick<Message, 'id' | 'direction' | 'body' | 'status' | 'created_at'> | null;
}

/** Keyset over (last_message_at, id), newest first. */
function encodeCursor(c: Conversation): string {
  return Buffer.from(JSON.stringify(['c', c.last_message_at ?? c.created_at, c.id])).toString('base64url');
}
function decodeCursor(cursor: string | undefined): { at: number; id: string } | undefined {
  if (!cursor) return undefined;
  try {
    const [tag, at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (tag === 'c' && typeof at === 'number' && typeof id === 'string') return { at, id };
  } catch {
    // fall through
  }
  throw new AppError('invalid_cursor', 'cursor is not one this API returned; pass the next_cursor of the previous page');
}

const ref = (column: string) => sql.ref(`conversations.${column}`);

export async function listInbox(ctx: AppContext, principal: Principal, filter: InboxFilter): Promise<Page<InboxRow>> {
  const cursor = decodeCursor(filter.cursor);
  const now = ctx.clock.now();
  let q = ctx.db.kysely.selectFrom('conversations').selectAll('conversations').where('conversations.org_id', '=', principal.orgId);
  const status = filter.status === 'closed' ? 'done' : filter.status;
  if (status === 'done') q = q.where('conversations.status', '=', 'closed');
  if (status === 'open') {
    q = q.where('conversations.status', '=', 'open').where((eb) => eb.or([eb('conversations.snoozed_until', 'is', null), eb('conversations.snoozed_until', '<=', now)]));
  }
  if (status === 'snoozed') q = q.where('conversations.status', '=', 'open').where('conversations.snoozed_until', '>', now);
  if (filter.assigned === 'me') q = q.where('conversations.assigned_user_id', '=', principal.userId);
  else if (filter.assigned === 'unassigned') q = q.where('conversations.assigned_user_id', 'is', null);
  else if (filter.assigned) q = q.where('conversations.assigned_user_id', '=', filter.assigned);
  if (filter.teamId) q = q.where('conversations.assigned_team_id', '=', filter.teamId);
  if (filter.numberId) q = q.where('conversations.number_id', '=', filter.numberId);
  if (filter.contactId) q = q.where('conversations.contact_id', '=', filter.contactId);
  if (filter.has === 'failed') {
    q = q.where(
      sql<SqlBool>`(select m.status from messages m where m.conversation_id = ${ref('id')} and m.direction = 'outbound' order by m.created_at desc, m.id desc limit 1) in ('failed', 'undelivered')`,
    );
  }
  if (filter.has === 'scheduled') {
    q = q.where(sql<SqlBool>`exists (select 1 from messages m where m.conversation_id = ${ref('id')} and m.status in ('scheduled', 'held'))`);
  }
  if (filter.has === 'opted_out') {
    q = q.where(
      sql<SqlBool>`(select ce.state from consent_events ce where ce.org_id = ${ref('org_id')} and ce.contact_id = ${ref('contact_id')} and (ce.number_id is null or ce.number_id = ${ref('number_id')}) order by ce.created_at desc, ce.id desc limit 1) = 'opted_out'`,
    );
  }
  if (cursor) {
    q = q.where(
      sql<SqlBool>`(${ref('last_message_at')} < ${cursor.at} or (${ref('last_message_at')} = ${cursor.at} and ${ref('id')} < ${cursor.id}))` as Expression<SqlBool>,
    );
  }
  const rows = await q.orderBy('conversations.last_message_at', 'desc').orderBy('conversations.id', 'desc').limit(filter.limit + 1).execute();
  const more = rows.length > filter.limit;
  const page = more ? rows.slice(0, filter.limit) : rows;
  const data = await withContactsAndLastMessages(ctx, principal.orgId, page);
  const last = page[page.length - 1];
  return { data, next_cursor: more && last ? encodeCursor(last) : null };
}

/** The contacts and last messages of a page of conversations: one query each, whatever the page size. */
export async function withContactsAndLastMessages(ctx: AppContext, orgId: string, conversations: Conversation[]): Promise<InboxRow[]> {
  if (conversations.length === 0) return [];
  const db = ctx.db.kysely;
  const ids = conversations.map((c) => c.id);
  const [contacts, messages] = await Promise.all([
    db
      .selectFrom('contacts')
      .select(['id', 'name', 'e164'])
      .where('org_id', '=', orgId)
      .where('id', 'in', [...new Set(conversations.map((c) => c.contact_id))])
      .execute(),
    db
      .selectFrom('messages')
      .select(['id', 'conversation_id', 'direction', sql<string>`substr(body, 1, 160)`.as('body'), 'status', 'created_at'])
      .where(
        'id',
        'in',
        db
          .selectFrom('conversations as c')
          .select(sql<string>`(select m.id from messages m where m.conversation_id = c.id order by m.created_at desc, m.id desc limit 1)`.as('id'))
          .where('c.id', 'in', ids),
      )
      .execute(),
  ]);
  const contactById = new Map(contacts.map((c) => [c.id, c]));
  const messageByConversation = new Map(messages.map((m) => [m.conversation_id, m]));
  return conversations.map((conversation) => {
    const m = messageByConversation.get(conversation.id);
    return {
      conversation,
      contact: contactById.get(conversation.contact_id) ?? { id: conversation.contact_id, name: null, e164: '' },
      lastMessage: m ? { id: m.id, direction: m.direction, body: m.body, status: m.status, created_at: m.created_at } : null,
    };
  });
}

export async function inboxRow(ctx: AppContext, orgId: string, conversation: Conversation): Promise<InboxRow> {
  return (await withContactsAndLastMessages(ctx, orgId, [conversation]))[0]!;
}

// ---------------------------------------------------------------------------------------------
// State people control

export interface ConversationPatch {
  status?: 'open' | 'done';
  /** ISO instant, or null to wake it. */
  snoozed_until?: string | null;
  assigned_user_id?: string | null;
  assigned_team_id?: string | null;
}

const conversationEvent = (c: Conversation) => ({
  status: c.status === 'closed' ? 'done' : 'open',
  snoozed_until: c.snoozed_until,
  assigned_user_id: c.assigned_user_id,
  assigned_team_id: c.assigned_team_id,
  unread_count: c.unread_count,
});

/**
 * Changes a conversation's status, snooze and assignee. Anyone may take a conversation, hand it to
 * a team or leave it; giving it to another person needs the supervisor role.
 */
export async function updateConversation(ctx: AppContext, principal: Principal, id: string, patch: ConversationPatch): Promise<Conversation> {
  const orgId = principal.orgId;
  const before = await getConversation(ctx, orgId, id);
  const set: Partial<Conversation> = {};
  if (patch.assigned_user_id !== undefined) {
    const userId = patch.assigned_user_id;
    if (userId !== null) {
      const user = await ctx.db.kysely.selectFrom('users').select(['id', 'deactivated_at']).where('id', '=', userId).where('org_id', '=', orgId).executeTakeFirst();
      if (!user) throw new AppError('validation_failed', `assigned_user_id: there is no user ${userId} in this organization`, [{ field: 'assigned_user_id', message: 'no such user' }]);
      if (user.deactivated_at != null) {
        throw new AppError('validation_failed', `assigned_user_id: user ${userId} is deactivated`, [{ field: 'assigned_user_id', message: 'this user is deactivated: assign someone active' }]);
      }
      if (userId !== principal.userId && userId !== before.assigned_user_id) requireRole(principal, 'supervisor');
    }
    set.assigned_user_id = userId;
  }
  if (patch.assigned_team_id !== undefined) {
    const teamId = patch.assigned_team_id;
    if (teamId !== null) {
      const team = await ctx.db.kysely.selectFrom('teams').select('id').where('id', '=', teamId).where('org_id', '=', orgId).executeTakeFirst();
      if (!team) throw new AppError('validation_failed', `assigned_team_id: there is no team ${teamId} in this organization`, [{ field: 'assigned_team_id', message: 'no such team' }]);
    }
    set.assigned_team_id = teamId;
  }
  if (patch.snoozed_until !== undefined) {
    if (patch.snoozed_until === null) set.snoozed_until = null;
    else {
      const at = Date.parse(patch.snoozed_until);
      if (at <= ctx.clock.now()) {
        throw new AppError('validation_failed', 'snoozed_until must be in the future (or null to wake the conversation)', [{ field: 'snoozed_until', message: 'must be in the future' }]);
      }
      set.snoozed_until = at;
      // Snoozing a done conversation reopens it for when it wakes.
      if (patch.status === undefined) set.status = 'open';
    }
  }
  if (patch.status !== undefined) {
    if (patch.status === 'done' && patch.snoozed_until) {
      throw new AppError('validation_failed', 'a conversation is either done or snoozed: send status "open" with snoozed_until', [{ field: 'status', message: 'cannot be done while snoozed' }]);
    }
    set.status = patch.status === 'done' ? 'closed' : 'open';
    // Done, or reopened by hand: no longer snoozed.
    if (patch.snoozed_until === undefined) set.snoozed_until = null;
  }
  if (Object.keys(set).length === 0) return before;
  const now = ctx.clock.now();
  return transaction(ctx, async (tx) => {
    await tx.updateTable('conversations').set({ ...set, updated_at: now }).where('id', '=', id).where('org_id', '=', orgId).execute();
    const after = { ...before, ...set, updated_at: now };
    await appendEvent(tx, ctx, { orgId, type: 'conversation.updated', subjectType: 'conversation', subjectId: id, data: { ...conversationEvent(after), by: principal.userId } });
    return after;
  });
}

/** Read (no unread texts) or unread (at least one, as Gmail's "mark unread"). */
export async function setConversationRead(ctx: AppContext, principal: Principal, id: string, read: boolean): Promise<Conversation> {
  const before = await getConversation(ctx, principal.orgId, id);
  const unread = read ? 0 : Math.max(1, before.unread_count);
  const now = ctx.clock.now();
  if (unread === before.unread_count) {
    // Already read by someone: this user's read time still counts for their emails (docs/notifications.md).
    if (read) await transaction(ctx, (tx) => recordRead(ctx, tx, { orgId: principal.orgId, conversationId: id, userId: principal.userId }));
    return before;
  }
  return transaction(ctx, async (tx) => {
    if (read) await recordRead(ctx, tx, { orgId: principal.orgId, conversationId: id, userId: principal.userId });
    await tx.updateTable('conversations').set({ unread_count: unread, updated_at: now }).where('id', '=', id).where('org_id', '=', principal.orgId).execute();
    const after = { ...before, unread_count: unread, updated_at: now };
    await appendEvent(tx, ctx, { orgId: principal.orgId, type: 'conversation.updated', subjectType: 'conversation', subjectId: id, data: { ...conversationEvent(after), by: principal.userId } });
    return after;
  });
}

/** A person replied: an unassigned conversation becomes theirs (Front's and Chatwoot's "assign on reply"). */
export async function assignOnReply(ctx: AppContext, principal: Principal, conversationId: string): Promise<void> {
  const now = ctx.clock.now();
  await transaction(ctx, async (tx) => {
    const result = await tx
      .updateTable('conversations')
      .set({ assigned_user_id: principal.userId, updated_at: now })
      .where('id', '=', conversationId)
      .where('org_id', '=', principal.orgId)
      .where('assigned_user_id', 'is', null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) {
      const after = await tx.selectFrom('conversations').selectAll().where('id', '=', conversationId).executeTakeFirstOrThrow();
      await appendEvent(tx, ctx, { orgId: principal.orgId, type: 'conversation.updated', subjectType: 'conversation', subjectId: conversationId, data: { ...conversationEvent(after), by: principal.userId } });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Notes: in the thread and the contact's timeline, never sent.

export const NOTE_MAX_LENGTH = 5000;

export interface NoteWithAuthor extends Note {
  author_name: string | null;
}

export async function addNote(ctx: AppContext, principal: Principal, conversationId: string, body: string): Promise<NoteWithAuthor> {
  const conversation = await getConversation(ctx, principal.orgId, conversationId);
  validateBody(body, NOTE_MAX_LENGTH);
  const note: Note = {
    id: newId('note'),
    org_id: principal.orgId,
    conversation_id: conversation.id,
    contact_id: conversation.contact_id,
    author_user_id: principal.userId,
    body,
    created_at: ctx.clock.now(),
  };
  await transaction(ctx, async (tx) => {
    await tx.insertInto('notes').values(note).execute();
    await appendEvent(tx, ctx, {
      orgId: principal.orgId,
      type: 'note.created',
      subjectType: 'note',
      subjectId: note.id,
      data: { conversation_id: conversation.id, contact_id: conversation.contact_id, author_id: principal.userId },
    });
  });
  const author = await ctx.db.kysely.selectFrom('users').select('name').where('id', '=', principal.userId).executeTakeFirst();
  return { ...note, author_name: author?.name ?? null };
}

export async function listNotes(ctx: AppContext, orgId: string, filter: { conversationId?: string; contactId?: string; limit: number }): Promise<NoteWithAuthor[]> {
  let q = ctx.db.kysely
    .selectFrom('notes')
    .leftJoin('users', 'users.id', 'notes.author_user_id')
    .selectAll('notes')
    .select('users.name as author_name')
    .where('notes.org_id', '=', orgId);
  if (filter.conversationId) q = q.where('notes.conversation_id', '=', filter.conversationId);
  if (filter.contactId) q = q.where('notes.contact_id', '=', filter.contactId);
  return q.orderBy('notes.created_at', 'desc').orderBy('notes.id', 'desc').limit(filter.limit).execute();
}

// ---------------------------------------------------------------------------------------------
// Saved replies: the organization's templates, with the automations' variables.

export const SAVED_REPLY_VARIABLES = [...BUILT_IN_VARIABLE_NAMES, ANY_ATTRIBUTE];

async function validateSavedReply(ctx: AppContext, orgId: string, input: { name?: string; body?: string }): Promise<void> {
  if (input.name !== undefined && input.name.trim() === '') {
    throw new AppError('validation_failed', 'name must not be empty', [{ field: 'name', message: 'must not be empty' }]);
  }
  if (input.body !== undefined) {
    const org = await getOrganization(ctx, orgId);
    validateBody(input.body, orgSettings(org).max_body_length);
    const errors = validateTemplate(input.body, SAVED_REPLY_VARIABLES);
    if (errors.length > 0) {
      const detail = errors.map((e) => `${e.message} at character ${e.position}${e.hint ? ` (${e.hint})` : ''}`).join('; ');
      throw new AppError('validation_failed', `body: ${detail}; variables: ${BUILT_IN_VARIABLE_NAMES.map((v) => `{${v}}`).join(', ')}, {attr.<name>}`, [
        { field: 'body', message: detail },
      ]);
    }
  }
}

async function uniqueName<T>(ctx: AppContext, name: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (ctx.db.dialect.isUniqueViolation(error)) {
      throw new AppError('conflict', `a saved reply named "${name}" already exists`, [{ field: 'name', message: 'is already used' }]);
    }
    throw error;
  }
}

export async function createSavedReply(ctx: AppContext, principal: Principal, input: { name: string; body: string }): Promise<SavedReply> {
  requireRole(principal, 'supervisor');
  await validateSavedReply(ctx, principal.orgId, input);
  const now = ctx.clock.now();
  const row: SavedReply = { id: newId('srep'), org_id: principal.orgId, name: input.name.trim(), body: input.body, created_by: principal.userId, created_at: now, updated_at: now };
  await uniqueName(ctx, row.name, () => ctx.db.kysely.insertInto('saved_replies').values(row).execute());
  return row;
}

export async function getSavedReply(ctx: AppContext, orgId: string, id: string): Promise<SavedReply> {
  const row = await ctx.db.kysely.selectFrom('saved_replies').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
  if (!row) throw notFound('saved reply', id);
  return row;
}

export async function updateSavedReply(ctx: AppContext, principal: Principal, id: string, patch: { name?: string; body?: string }): Promise<SavedReply> {
  requireRole(principal, 'supervisor');
  const before = await getSavedReply(ctx, principal.orgId, id);
  await validateSavedReply(ctx, principal.orgId, patch);
  const set = { ...(patch.name !== undefined ? { name: patch.name.trim() } : {}), ...(patch.body !== undefined ? { body: patch.body } : {}), updated_at: ctx.clock.now() };
  await uniqueName(ctx, set.name, () => ctx.db.kysely.updateTable('saved_replies').set(set).where('id', '=', id).where('org_id', '=', principal.orgId).execute());
  return { ...before, ...set };
}

export async function deleteSavedReply(ctx: AppContext, principal: Principal, id: string): Promise<void> {
  requireRole(principal, 'supervisor');
  await getSavedReply(ctx, principal.orgId, id);
  await ctx.db.kysely.deleteFrom('saved_replies').where('id', '=', id).where('org_id', '=', principal.orgId).execute();
}

export async function listSavedReplies(ctx: AppContext, orgId: string): Promise<SavedReply[]> {
  return ctx.db.kysely.selectFrom('saved_replies').selectAll().where('org_id', '=', orgId).orderBy('name').orderBy('id').execute();
}

/** The variables of a conversation, as the automations fill them: {Name}, {Business}, {Agent}, {Number}, {attr.*}. */
export async function conversationVariables(ctx: AppContext, principal: Principal, conversationId: string): Promise<Record<string, string | undefined>> {
  const conversation = await getConversation(ctx, principal.orgId, conversationId);
  const db = ctx.db.kysely;
  const [contact, number, org, agent] = await Promise.all([
    db.selectFrom('contacts').selectAll().where('id', '=', conversation.contact_id).executeTakeFirstOrThrow(),
    db.selectFrom('phone_numbers').select('e164').where('id', '=', conversation.number_id).executeTakeFirstOrThrow(),
    getOrganization(ctx, principal.orgId),
    db.selectFrom('users').select('name').where('id', '=', principal.userId).executeTakeFirst(),
  ]);
  const attributes = Object.fromEntries(
    Object.entries(JSON.parse(contact.attributes) as Record<string, unknown>).map(([k, v]) => [`attr.${k}`, v == null ? undefined : String(v)]),
  );
  return { ...attributes, Name: contact.name?.trim().split(/\s+/)[0], Business: org.name, Agent: agent?.name, Number: number.e164 };
}

export function renderSavedReply(reply: SavedReply, variables: Record<string, string | undefined>): string {
  return renderTemplate(reply.body, variables);
}

export { templateVariables };

// ---------------------------------------------------------------------------------------------
// The sandbox's handsets

export async function sandboxHandsets(ctx: AppContext, orgId: string, limit: number) {
  const rows = await ctx.db.kysely
    .selectFrom('sandbox_messages')
    .select((eb) => ['handset_e164', eb.fn.max('created_at').as('last_at'), eb.fn.countAll().as('messages')])
    .where('org_id', '=', orgId)
    .groupBy('handset_e164')
    .orderBy(sql`max(created_at)`, 'desc')
    .orderBy('handset_e164')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ number: r.handset_e164, last_message_at: Number(r.last_at), messages: Number(r.messages) }));
}
