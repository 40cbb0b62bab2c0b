import { sql } from 'kysely';
import type { AnyDb, Dialect } from '../dialect.js';

/** Automations, their durable runs, and the trace that explains every decision. */
export async function up(db: AnyDb, d: Dialect): Promise<void> {
  const ms = d.bigint;

  await db.schema
    .createTable('automations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('trigger_type', 'text', (c) => c.notNull())
    // The whole document (scope, trigger, steps) as JSON: what users edit.
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('preset', 'text')
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('automations_org_trigger_idx').on('automations').columns(['org_id', 'trigger_type', 'state']).execute();

  await db.schema
    .createTable('automation_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('automation_id', 'text', (c) => c.notNull().references('automations.id'))
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('number_id', 'text', (c) => c.references('phone_numbers.id'))
    .addColumn('trigger_type', 'text', (c) => c.notNull())
    // The call, message or lead that started the run: one run per automation and event.
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('run_state', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text')
    .addColumn('next_at', ms)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addColumn('finished_at', ms)
    .addUniqueConstraint('automation_runs_event_uq', ['automation_id', 'event_id'])
    .execute();
  await db.schema.createIndex('automation_runs_automation_idx').on('automation_runs').columns(['automation_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('automation_runs_contact_idx').on('automation_runs').columns(['contact_id', 'status']).execute();

  await db.schema
    .createTable('automation_trace')
    .addColumn('seq', 'integer', (c) => d.autoIncrementPrimaryKey(c))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('run_id', 'text', (c) => c.notNull().references('automation_runs.id'))
    .addColumn('automation_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('step', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('automation_trace_run_idx').on('automation_trace').columns(['run_id', 'seq']).execute();
  await db.schema.createIndex('automation_trace_contact_idx').on('automation_trace').columns(['contact_id', 'seq']).execute();

  // One text per contact per triggering event, whichever automation gets there (the send policy).
  await db.schema
    .createTable('automation_send_claims')
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('event_key', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('automation_id', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('automation_send_claims_pk', ['org_id', 'contact_id', 'event_key'])
    .execute();

  // Leads from forms, email parsers and CRMs: each starts lead.created automations.
  await db.schema
    .createTable('leads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('number_id', 'text', (c) => c.references('phone_numbers.id'))
    .addColumn('source', 'text')
    .addColumn('fields', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('leads_contact_idx').on('leads').columns(['contact_id', 'created_at']).execute();
  await db.schema
    .createIndex('leads_external_id_uq')
    .on('leads')
    .columns(['org_id', 'external_id'])
    .unique()
    .where(sql.ref('external_id'), 'is not', null)
    .execute();

  await db.schema.alterTable('messages').addColumn('automation_run_id', 'text').execute();
  await db.schema.alterTable('messages').addColumn('variant_id', 'text').execute();
}
