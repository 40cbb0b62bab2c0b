import type { AnyDb, Dialect } from '../dialect.js';

/**
 * Search and saved views (issue 15, docs/search.md).
 *
 * - `views`: a saved search, personal (its owner only) or shared with the organization.
 * - The conversations list is newest first, now with a query: an index on (org_id, created_at, id)
 *   lets it read the newest conversations in order instead of sorting all of them. Conversations
 *   are written once per new contact and number (their updates already touch last_message_at,
 *   which is indexed), so the index costs the send and receive paths one entry per new conversation.
 *
 * The counters (failed_sms, ...) and sms(…)/call(…) clauses are answered from the indexes that
 * exist (messages and calls by contact and by organization and time): no index on a message's
 * status, whose updates on the send path stay in-place (HOT) on PostgreSQL.
 */
export async function up(db: AnyDb, d: Dialect): Promise<void> {
  const ms = d.bigint;
  await db.schema
    .createTable('views')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('owner_user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('query', 'text', (c) => c.notNull())
    .addColumn('shared', 'integer', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('views_org_created_idx').on('views').columns(['org_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('conversations_org_created_idx').on('conversations').columns(['org_id', 'created_at', 'id']).execute();
}
