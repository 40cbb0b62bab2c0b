import type { AnyDb, Dialect } from '../dialect.js';

/**
 * Compliance (issue 4): the consent ledger, the suppression list, what the gate decided about a
 * message, and each sending number's type, rate and daily cap with the state that paces it.
 *
 * SQLite accepts one ADD COLUMN per ALTER TABLE, so every column is its own statement.
 */
export async function up(db: AnyDb, d: Dialect): Promise<void> {
  const ms = d.bigint;

  // Every consent change of a contact, append-only. `number_id` null = every number (universal scope).
  await db.schema
    .createTable('consent_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('number_id', 'text', (c) => c.references('phone_numbers.id'))
    .addColumn('e164', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('evidence', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('consent_events_contact_idx').on('consent_events').columns(['contact_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('consent_events_org_idx').on('consent_events').columns(['org_id', 'created_at', 'id']).execute();

  // The organization's do-not-contact list: one row per number.
  await db.schema
    .createTable('suppressions')
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('e164', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addPrimaryKeyConstraint('suppressions_pk', ['org_id', 'e164'])
    .execute();
  await db.schema.createIndex('suppressions_org_created_idx').on('suppressions').columns(['org_id', 'created_at', 'e164']).execute();

  // What the gate decided about a message, and how it was sent.
  await db.schema.alterTable('messages').addColumn('rule', 'text').execute();
  await db.schema.alterTable('messages').addColumn('held_until', ms).execute();
  await db.schema.alterTable('messages').addColumn('flags', 'text').execute();
  await db.schema.alterTable('messages').addColumn('automated', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('messages').addColumn('purpose', 'text').execute();
  await db.schema.alterTable('messages').addColumn('send_slot_at', ms).execute();
  // Auto-suppression counts a number's recent failures; the automated cap reads a contact's texts.
  await db.schema.createIndex('messages_org_to_idx').on('messages').columns(['org_id', 'to_e164', 'created_at']).execute();

  // Sender type, rate and daily cap; the pacing state every worker process shares.
  await db.schema.alterTable('phone_numbers').addColumn('sender_type', 'text', (c) => c.notNull().defaultTo('long_code')).execute();
  await db.schema.alterTable('phone_numbers').addColumn('rate_per_second', 'integer').execute();
  await db.schema.alterTable('phone_numbers').addColumn('daily_cap', 'integer').execute();
  await db.schema.alterTable('phone_numbers').addColumn('next_send_at', ms).execute();
  await db.schema.alterTable('phone_numbers').addColumn('last_send_at', ms).execute();
  await db.schema.alterTable('phone_numbers').addColumn('daily_count', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('phone_numbers').addColumn('daily_count_day', 'text').execute();
  await db.schema.alterTable('phone_numbers').addColumn('compliance_texts', 'text').execute();
}
