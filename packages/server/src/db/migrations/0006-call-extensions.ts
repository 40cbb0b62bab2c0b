import type { AnyDb, Dialect } from '../dialect.js';

/** The agent or extension that handled a call, when the phone system says (automation scopes use it). */
export async function up(db: AnyDb, _d: Dialect): Promise<void> {
  await db.schema.alterTable('calls').addColumn('extension', 'text').execute();
}
