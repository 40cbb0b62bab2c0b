import type { AnyDb, Dialect } from '../dialect.js';

/**
 * Indexes for lookups on every call event, found by the automations benchmark: both used an
 * organization- or automation-wide index and slowed down as those grew (26 ms and 45 ms per lookup
 * at 100,000 rows).
 */
export async function up(db: AnyDb, _d: Dialect): Promise<void> {
  // A contact's current consent: the latest ledger row for the contact.
  await db.schema.createIndex('consent_events_org_contact_idx').on('consent_events').columns(['org_id', 'contact_id', 'created_at', 'id']).execute();
  // Repeat callers: the contact's recent runs of one automation.
  await db.schema.createIndex('automation_runs_automation_contact_idx').on('automation_runs').columns(['automation_id', 'contact_id', 'created_at']).execute();
}
