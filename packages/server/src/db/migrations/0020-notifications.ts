import type { AnyDb, Dialect } from '../dialect.js';

/**
 * Email notifications (docs/notifications.md): each user's preferences, and when each user last
 * read each conversation (a text read after it arrived is not emailed).
 */
export async function up(db: AnyDb, d: Dialect): Promise<void> {
  const ms = d.bigint;
  await db.schema
    .createTable('notification_preferences')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    // JSON of the whole preference document (use-cases/notifications/preferences.ts).
    .addColumn('settings', 'text', (c) => c.notNull())
    // 1 when the user asked for any email: the receive path looks up only organizations that have one.
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notification_preferences_org_idx').on('notification_preferences').columns(['org_id', 'active']).execute();

  await db.schema
    .createTable('conversation_reads')
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('read_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('conversation_reads_pk', ['conversation_id', 'user_id'])
    .execute();
}
