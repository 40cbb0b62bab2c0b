import type { AnyDb, Dialect } from '../dialect.js';

/**
 * Deactivated users (docs/web.md, Settings → Users): they keep their history and name on what they did,
 * but cannot sign in, their sessions and API keys stop working, and routing treats them as offline.
 */
export async function up(db: AnyDb, d: Dialect): Promise<void> {
  await db.schema.alterTable('users').addColumn('deactivated_at', d.bigint).execute();
}
