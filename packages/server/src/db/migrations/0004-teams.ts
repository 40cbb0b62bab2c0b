import { sql } from 'kysely';
import type { AnyDb, Dialect } from '../dialect.js';

/**
 * Teams (issue 6, docs/teams.md): agents' availability and phones, speed to lead (rings and the
 * one fallback text per contact), inbound texts forwarded to a team with agents' replies relayed,
 * and SMS queues with sessions, invites and per-agent capacity.
 */
export async function up(db: AnyDb, d: Dialect): Promise<void> {
  const ms = d.bigint;

  // One row per user who takes conversations: status, personal phone, optional weekly schedule.
  await db.schema
    .createTable('agents')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_changed_at', ms)
    .addColumn('mobile_e164', 'text')
    // JSON { timeZone, weekly }; null = the status set by hand decides.
    .addColumn('schedule', 'text')
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  // A text from an agent's phone names the agent: one agent per phone in an organization.
  await db.schema
    .createIndex('agents_org_mobile_uq')
    .on('agents')
    .columns(['org_id', 'mobile_e164'])
    .unique()
    .where(sql.ref('mobile_e164'), 'is not', null)
    .execute();

  // Business numbers that forward inbound texts to their team ('all' agents or only 'online' ones).
  await db.schema
    .createTable('number_forwarding')
    .addColumn('number_id', 'text', (c) => c.primaryKey().references('phone_numbers.id'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();

  // Inbound texts waiting for team routing, processed in order per (number, sender) by a job.
  await db.schema
    .createTable('team_inbound')
    .addColumn('seq', 'integer', (c) => d.autoIncrementPrimaryKey(c))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('message_id', 'text', (c) => c.notNull().unique().references('messages.id'))
    .addColumn('number_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('team_inbound_mailbox_idx').on('team_inbound').columns(['number_id', 'contact_id', 'state', 'seq']).execute();

  // Row locks that serialize one mailbox's processing across workers (portable: an upsert locks the row).
  await db.schema
    .createTable('team_locks')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('at', ms, (c) => c.notNull())
    .execute();

  // Who was forwarded what: an agent's reply goes to the sender most recently forwarded to them.
  await db.schema
    .createTable('team_forwards')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('number_id', 'text', (c) => c.notNull())
    .addColumn('agent_user_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('contact_e164', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('team_forwards_agent_idx').on('team_forwards').columns(['agent_user_id', 'number_id', 'created_at']).execute();

  // Every team decision about a contact, for the contact's timeline.
  await db.schema
    .createTable('team_trace')
    .addColumn('seq', 'integer', (c) => d.autoIncrementPrimaryKey(c))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('team_trace_contact_idx').on('team_trace').columns(['contact_id', 'seq']).execute();

  // Speed to lead: one ring attempt per lead, one call per rung agent.
  await db.schema
    .createTable('lead_rings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('lead_id', 'text', (c) => c.notNull().unique().references('leads.id'))
    .addColumn('team_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('number_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('answered_by', 'text')
    .addColumn('expires_at', ms, (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('ended_at', ms)
    .execute();
  await db.schema
    .createTable('agent_calls')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('ring_id', 'text', (c) => c.notNull().references('lead_rings.id'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('from_e164', 'text', (c) => c.notNull())
    .addColumn('to_e164', 'text', (c) => c.notNull())
    .addColumn('carrier', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('ended_at', ms)
    .execute();
  await db.schema.createIndex('agent_calls_ring_idx').on('agent_calls').columns(['ring_id']).execute();
  await db.schema.createIndex('agent_calls_org_idx').on('agent_calls').columns(['org_id', 'state', 'created_at']).execute();
  // At most one "team unavailable" text per contact, ever: the primary key is the guarantee.
  await db.schema
    .createTable('lead_fallback_texts')
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('lead_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text')
    .addColumn('created_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('lead_fallback_texts_pk', ['org_id', 'contact_id'])
    .execute();

  // SMS queues.
  await db.schema
    .createTable('queues')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('initiation_keyword', 'text', (c) => c.notNull())
    .addColumn('initiation_message', 'text', (c) => c.notNull())
    .addColumn('initiation_needed_message', 'text', (c) => c.notNull())
    .addColumn('termination_keyword', 'text', (c) => c.notNull())
    .addColumn('termination_message', 'text', (c) => c.notNull())
    .addColumn('no_agents_message', 'text', (c) => c.notNull())
    .addColumn('strategy', 'text', (c) => c.notNull())
    .addColumn('invite_timeout_s', 'integer', (c) => c.notNull())
    .addColumn('invite_by_sms', 'integer', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('queues_org_idx').on('queues').columns(['org_id', 'created_at']).execute();
  // A business number serves at most one queue.
  await db.schema
    .createTable('queue_numbers')
    .addColumn('number_id', 'text', (c) => c.primaryKey().references('phone_numbers.id'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('queue_id', 'text', (c) => c.notNull().references('queues.id'))
    .execute();
  await db.schema
    .createTable('queue_agents')
    .addColumn('queue_id', 'text', (c) => c.notNull().references('queues.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('sms_enabled', 'integer', (c) => c.notNull())
    .addColumn('max_sessions', 'integer', (c) => c.notNull())
    // Sessions held now: raised only by `... WHERE active_sessions < max_sessions` (atomic), never below 0.
    .addColumn('active_sessions', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_offered_at', ms)
    .addColumn('last_accepted_at', ms)
    .addColumn('last_ended_at', ms)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('queue_agents_pk', ['queue_id', 'user_id'])
    .addCheckConstraint('queue_agents_active_ck', sql`active_sessions >= 0`)
    .execute();
  await db.schema.createIndex('queue_agents_user_idx').on('queue_agents').columns(['user_id']).execute();
  await db.schema
    .createTable('queue_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('queue_id', 'text', (c) => c.notNull().references('queues.id'))
    .addColumn('number_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('originator_e164', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('agent_user_id', 'text')
    .addColumn('end_reason', 'text')
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('accepted_at', ms)
    .addColumn('ended_at', ms)
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  // One open session per originator and number.
  await db.schema
    .createIndex('queue_sessions_open_uq')
    .on('queue_sessions')
    .columns(['number_id', 'contact_id'])
    .unique()
    .where(sql.ref('state'), '<>', sql.lit('ended'))
    .execute();
  await db.schema.createIndex('queue_sessions_queue_idx').on('queue_sessions').columns(['queue_id', 'created_at']).execute();
  await db.schema.createIndex('queue_sessions_org_idx').on('queue_sessions').columns(['org_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('queue_sessions_agent_idx').on('queue_sessions').columns(['agent_user_id', 'state']).execute();
  await db.schema
    .createTable('queue_invites')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('session_id', 'text', (c) => c.notNull().references('queue_sessions.id'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('expires_at', ms, (c) => c.notNull())
    .addColumn('responded_at', ms)
    .addUniqueConstraint('queue_invites_session_user_uq', ['session_id', 'user_id'])
    .execute();
  await db.schema.createIndex('queue_invites_user_idx').on('queue_invites').columns(['user_id', 'state']).execute();
}
