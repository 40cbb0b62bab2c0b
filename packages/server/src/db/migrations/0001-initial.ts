import { sql } from 'kysely';
import type { AnyDb, Dialect } from '../dialect.js';

/** The foundation: tenants, people, numbers, contacts, conversations, messages, calls, events, jobs, sandbox. */
export async function up(db: AnyDb, d: Dialect): Promise<void> {
  const ms = d.bigint; // epoch milliseconds

  await db.schema
    .createTable('organizations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('time_zone', 'text', (c) => c.notNull())
    .addColumn('business_hours', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addUniqueConstraint('users_org_email_uq', ['org_id', 'email'])
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('last_used_at', ms)
    .addColumn('revoked_at', ms)
    .execute();

  await db.schema
    .createTable('teams')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('team_members')
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('team_members_pk', ['team_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('phone_numbers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    // A number belongs to one organization: inbound traffic is routed by it.
    .addColumn('e164', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('carrier', 'text', (c) => c.notNull())
    .addColumn('capabilities', 'text', (c) => c.notNull())
    .addColumn('team_id', 'text', (c) => c.references('teams.id'))
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('contacts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('e164', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('source', 'text')
    .addColumn('time_zone', 'text')
    .addColumn('attributes', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addUniqueConstraint('contacts_org_e164_uq', ['org_id', 'e164'])
    .execute();
  await db.schema.createIndex('contacts_org_created_idx').on('contacts').columns(['org_id', 'created_at', 'id']).execute();

  await db.schema
    .createTable('conversations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('number_id', 'text', (c) => c.notNull().references('phone_numbers.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('assigned_user_id', 'text', (c) => c.references('users.id'))
    .addColumn('assigned_team_id', 'text', (c) => c.references('teams.id'))
    .addColumn('unread_count', 'integer', (c) => c.notNull())
    .addColumn('last_message_at', ms)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addUniqueConstraint('conversations_contact_number_uq', ['org_id', 'contact_id', 'number_id'])
    .execute();
  await db.schema.createIndex('conversations_org_last_idx').on('conversations').columns(['org_id', 'last_message_at']).execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id'))
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('number_id', 'text', (c) => c.notNull().references('phone_numbers.id'))
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('from_e164', 'text', (c) => c.notNull())
    .addColumn('to_e164', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('media', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('error_code', 'text')
    .addColumn('encoding', 'text', (c) => c.notNull())
    .addColumn('segments', 'integer', (c) => c.notNull())
    .addColumn('carrier', 'text', (c) => c.notNull())
    .addColumn('carrier_message_id', 'text')
    .addColumn('idempotency_key', 'text')
    .addColumn('created_by_type', 'text', (c) => c.notNull())
    .addColumn('created_by_id', 'text')
    .addColumn('scheduled_at', ms)
    .addColumn('sent_at', ms)
    .addColumn('delivered_at', ms)
    .addColumn('failed_at', ms)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('messages_org_created_idx').on('messages').columns(['org_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('messages_conversation_idx').on('messages').columns(['conversation_id', 'created_at']).execute();
  await db.schema.createIndex('messages_contact_idx').on('messages').columns(['contact_id', 'created_at']).execute();
  // Carriers retry webhooks: one row per carrier message id (de-duplication of inbound and receipts).
  await db.schema
    .createIndex('messages_carrier_id_uq')
    .on('messages')
    .columns(['carrier', 'carrier_message_id'])
    .unique()
    .where(sql.ref('carrier_message_id'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('messages_idempotency_uq')
    .on('messages')
    .columns(['org_id', 'idempotency_key'])
    .unique()
    .where(sql.ref('idempotency_key'), 'is not', null)
    .execute();

  await db.schema
    .createTable('calls')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('number_id', 'text', (c) => c.notNull().references('phone_numbers.id'))
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('from_e164', 'text', (c) => c.notNull())
    .addColumn('to_e164', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('duration_s', 'integer')
    .addColumn('answered_by', 'text')
    .addColumn('outcome', 'text')
    .addColumn('outcome_reason', 'text')
    .addColumn('carrier', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addColumn('started_at', ms)
    .addColumn('ended_at', ms)
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('calls_org_created_idx').on('calls').columns(['org_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('calls_contact_idx').on('calls').columns(['contact_id', 'created_at']).execute();
  await db.schema
    .createIndex('calls_external_id_uq')
    .on('calls')
    .columns(['org_id', 'external_id'])
    .unique()
    .where(sql.ref('external_id'), 'is not', null)
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('seq', 'integer', (c) => d.autoIncrementPrimaryKey(c))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('subject_type', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('events_org_seq_idx').on('events').columns(['org_id', 'seq']).execute();
  await db.schema.createIndex('events_subject_idx').on('events').columns(['subject_id', 'seq']).execute();

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.references('organizations.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('run_at', ms, (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('unique_key', 'text')
    .addColumn('locked_by', 'text')
    .addColumn('locked_until', ms)
    .addColumn('last_error', 'text')
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addColumn('finished_at', ms)
    .execute();
  // The claim reads pending jobs in run_at order; the partial index keeps it small however many
  // completed jobs are kept.
  await db.schema
    .createIndex('jobs_pending_idx')
    .on('jobs')
    .columns(['run_at', 'id'])
    .where(sql.ref('state'), '=', 'pending')
    .execute();
  await db.schema
    .createIndex('jobs_running_idx')
    .on('jobs')
    .columns(['locked_until'])
    .where(sql.ref('state'), '=', 'running')
    .execute();
  await db.schema.createIndex('jobs_org_created_idx').on('jobs').columns(['org_id', 'created_at', 'id']).execute();
  // At most one pending job per key: enqueueing again replaces (or keeps) it, cancelling removes it.
  await db.schema
    .createIndex('jobs_unique_key_uq')
    .on('jobs')
    .column('unique_key')
    .unique()
    .where(sql.ref('state'), '=', 'pending')
    .execute();

  await db.schema
    .createTable('sandbox_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('handset_e164', 'text', (c) => c.notNull())
    .addColumn('business_e164', 'text', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('client_ref', 'text', (c) => c.unique())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('sandbox_messages_handset_idx')
    .on('sandbox_messages')
    .columns(['org_id', 'handset_e164', 'created_at'])
    .execute();

  await db.schema
    .createTable('sandbox_destinations')
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('e164', 'text', (c) => c.notNull())
    .addColumn('fail_reason', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('sandbox_destinations_pk', ['org_id', 'e164'])
    .execute();
}
