import type { AnyDb, Dialect } from '../dialect.js';

/**
 * The reply agent (issue 20, docs/reply-agent.md): its settings per business number, its state per
 * conversation (replying, handed off, taken over by a person), and the callback tasks it books.
 */
export async function up(db: AnyDb, d: Dialect): Promise<void> {
  await db.schema
    .createTable('reply_agents')
    .addColumn('number_id', 'text', (c) => c.primaryKey().references('phone_numbers.id').onDelete('cascade'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(0))
    // JSON: { business?, hours?, services?, address?, booking_link?, prices? }
    .addColumn('facts', 'text', (c) => c.notNull().defaultTo('{}'))
    // JSON: { confidence_threshold, max_exchanges, hand_off_to: team | agent }
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('updated_at', d.bigint, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('reply_agent_conversations')
    .addColumn('conversation_id', 'text', (c) => c.primaryKey().references('conversations.id').onDelete('cascade'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    // active | handed_off | taken_over | stopped
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('exchanges', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('reason', 'text')
    .addColumn('updated_at', d.bigint, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('callbacks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('conversation_id', 'text', (c) => c.references('conversations.id').onDelete('set null'))
    .addColumn('number_id', 'text', (c) => c.references('phone_numbers.id').onDelete('set null'))
    .addColumn('phone', 'text', (c) => c.notNull())
    .addColumn('due_at', d.bigint, (c) => c.notNull())
    // open | done | cancelled
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('assigned_user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('assigned_team_id', 'text', (c) => c.references('teams.id').onDelete('set null'))
    .addColumn('note', 'text')
    .addColumn('reminded_at', d.bigint)
    .addColumn('created_at', d.bigint, (c) => c.notNull())
    .addColumn('updated_at', d.bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('callbacks_org_state_due').on('callbacks').columns(['org_id', 'state', 'due_at']).execute();
}
