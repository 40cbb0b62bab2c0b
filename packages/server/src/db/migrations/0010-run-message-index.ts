import type { AnyDb, Dialect } from '../dialect.js';

/**
 * A finished automation run says whether it sent a text (`messages.automation_run_id`): without an
 * index that lookup scanned the organization's messages, a fifth of the SQL time of a missed-call
 * text-back in the automations benchmark.
 */
export async function up(db: AnyDb, _d: Dialect): Promise<void> {
  await db.schema.createIndex('messages_automation_run_idx').on('messages').column('automation_run_id').execute();
}
