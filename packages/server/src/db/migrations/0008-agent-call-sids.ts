import type { AnyDb, Dialect } from '../dialect.js';

/** The carrier's id of an agent's outbound ring call (Twilio's CallSid), once the call is placed. */
export async function up(db: AnyDb, _d: Dialect): Promise<void> {
  await db.schema.alterTable('agent_calls').addColumn('carrier_call_sid', 'text').execute();
}
