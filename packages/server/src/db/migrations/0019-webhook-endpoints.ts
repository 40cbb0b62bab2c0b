import type { AnyDb, Dialect } from '../dialect.js';

/**
 * Webhook subscriptions (docs/integrations.md): an organization's endpoints, one delivery per
 * event and endpoint (the `webhook-id` a receiver deduplicates on), and every attempt of each.
 *
 * No foreign keys on deliveries and attempts: they are written on the hot path of every text of an
 * organization that subscribes, and only by use-cases that create or check their endpoint first
 * (the same reasoning as 0011-postgres-hot-tables).
 */
export async function up(db: AnyDb, d: Dialect): Promise<void> {
  const ms = d.bigint;

  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('url', 'text', (c) => c.notNull())
    // JSON array of event types, or ["*"].
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('include_bodies', 'integer', (c) => c.notNull())
    // `v1.<key id>.<iv>.<tag>.<ciphertext>` (carriers/credentials.ts), bound to the endpoint id.
    .addColumn('secret', 'text', (c) => c.notNull())
    // enabled | disabled
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('disabled_reason', 'text')
    // When the endpoint started failing without a success since (null: healthy).
    .addColumn('failing_since', ms)
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_endpoints_org_idx').on('webhook_endpoints').columns(['org_id', 'created_at']).execute();

  await db.schema
    .createTable('webhook_deliveries')
    // `msg_…`: the `webhook-id` header, the same on every attempt and resend.
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('endpoint_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    // `<subject type>:<subject id>`: deliveries with the same key go out in order.
    .addColumn('ordering_key', 'text', (c) => c.notNull())
    // JSON `{type, timestamp, data}` (bodies are added at delivery time when the endpoint wants them).
    .addColumn('payload', 'text', (c) => c.notNull())
    // pending | succeeded | failed (given up) | cancelled (endpoint disabled or deleted)
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', ms)
    .addColumn('last_response_code', 'integer')
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_deliveries_endpoint_idx').on('webhook_deliveries').columns(['endpoint_id', 'id']).execute();
  await db.schema.createIndex('webhook_deliveries_order_idx').on('webhook_deliveries').columns(['endpoint_id', 'ordering_key', 'state', 'id']).execute();

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('attempted_at', ms, (c) => c.notNull())
    // succeeded | failed
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('latency_ms', 'integer', (c) => c.notNull())
    .addColumn('response_code', 'integer')
    // The first 1,000 characters of the receiver's answer, or the network error.
    .addColumn('response_body', 'text')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('webhook_attempts_delivery_idx').on('webhook_attempts').columns(['delivery_id', 'attempted_at']).execute();
}
