import { sql } from 'kysely';
import type { AnyDb, Dialect } from '../dialect.js';

/**
 * Analytics (docs/analytics.md) read an organization's text-backs of a range on every report: a
 * partial index holds only texts sent by automation runs, so the read skips every other text, and
 * only a text-back's INSERT pays for one more index entry (no other write touches it).
 */
export async function up(db: AnyDb, _d: Dialect): Promise<void> {
  await db.schema
    .createIndex('messages_org_text_back_idx')
    .on('messages')
    .columns(['org_id', 'created_at'])
    .where(sql.ref('automation_run_id'), 'is not', null)
    .execute();
}
