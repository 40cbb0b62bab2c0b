import type { AnyDb, Dialect } from '../dialect.js';

/**
 * The reply agent switched on by an automation's `reply_agent` step (docs/reply-agent.md): the
 * conversation row says so (`via_automation`) and names its number, so the receive path can tell, per
 * number, whether any conversation of it has the agent on.
 */
export async function up(db: AnyDb, _d: Dialect): Promise<void> {
  await db.schema.alterTable('reply_agent_conversations').addColumn('number_id', 'text').execute();
  await db.schema.alterTable('reply_agent_conversations').addColumn('via_automation', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('reply_agent_conversations_number_idx').on('reply_agent_conversations').columns(['number_id', 'state']).execute();
}
