import type { AnyDb, Dialect } from '../dialect.js';

/**
 * Answering-machine detection results of Telnyx and Bandwidth calls (issue 5, docs/carriers/):
 * they arrive on their own webhook, usually before the call ends, and are merged into the call's
 * `answered_by` when the call is recorded (use-cases/calls.ts). One result per call leg.
 */
export async function up(db: AnyDb, d: Dialect): Promise<void> {
  await db.schema
    .createTable('call_detections')
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    // The carrier's id of the call leg (Telnyx call_leg_id, Bandwidth callId): the call's external_id.
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('carrier', 'text', (c) => c.notNull())
    // human | machine | unknown
    .addColumn('answered_by', 'text', (c) => c.notNull())
    .addColumn('created_at', d.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('call_detections_pk', ['org_id', 'external_id'])
    .execute();
}
