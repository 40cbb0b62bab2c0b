import { sql } from 'kysely';
import type { AnyDb, Dialect } from '../dialect.js';

/**
 * The web app (issue 14): passwords and cookie sessions, sign-in throttling, and the inbox's
 * conversation state (done, snoozed), internal notes and saved replies.
 */
export async function up(db: AnyDb, d: Dialect): Promise<void> {
  const ms = d.bigint;

  // scrypt$N$r$p$salt$hash (use-cases/auth/passwords.ts); null: the user cannot sign in with a password.
  await db.schema.alterTable('users').addColumn('password_hash', 'text').execute();
  await db.schema.alterTable('users').addColumn('password_changed_at', ms).execute();
  // Sign-in looks a person up by email across organizations.
  await db.schema.createIndex('users_email_idx').on('users').column('email').execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    // SHA-256 of the cookie's token: the token itself is never stored.
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('last_seen_at', ms, (c) => c.notNull())
    .addColumn('expires_at', ms, (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .execute();
  await db.schema.createIndex('sessions_user_idx').on('sessions').columns(['user_id']).execute();

  // Failed sign-ins per email and per client address: back-off and lockout.
  await db.schema
    .createTable('login_throttle')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('last_failure_at', ms, (c) => c.notNull())
    .addColumn('locked_until', ms)
    .execute();

  // Conversations: snoozed until an instant (status stays open); 'closed' rows are the inbox's 'done'.
  await db.schema.alterTable('conversations').addColumn('snoozed_until', ms).execute();
  await db.updateTable('conversations').set({ last_message_at: sql.ref('created_at') }).where('last_message_at', 'is', null).execute();
  // The inbox lists conversations by their last message, newest first, filtered by assignee or status.
  await db.schema.createIndex('conversations_org_last_id_idx').on('conversations').columns(['org_id', 'last_message_at', 'id']).execute();
  await db.schema.createIndex('conversations_org_user_last_idx').on('conversations').columns(['org_id', 'assigned_user_id', 'last_message_at']).execute();

  await db.schema
    .createTable('notes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id'))
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('author_user_id', 'text', (c) => c.references('users.id'))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notes_conversation_idx').on('notes').columns(['conversation_id', 'created_at']).execute();
  await db.schema.createIndex('notes_contact_idx').on('notes').columns(['contact_id', 'created_at']).execute();

  await db.schema
    .createTable('saved_replies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addUniqueConstraint('saved_replies_org_name_uq', ['org_id', 'name'])
    .execute();
}
