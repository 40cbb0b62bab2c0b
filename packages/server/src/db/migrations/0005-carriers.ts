import type { AnyDb, Dialect } from '../dialect.js';

/**
 * Real carriers (issue 5, docs/carriers/): an organization's carrier accounts (Twilio, Telnyx,
 * Bandwidth, or a named sandbox), with their credentials encrypted at rest (AES-256-GCM), and the
 * account each business number belongs to, so that a send goes out through that account.
 *
 * SQLite accepts one ADD COLUMN per ALTER TABLE, so every column is its own statement.
 */
export async function up(db: AnyDb, d: Dialect): Promise<void> {
  const ms = d.bigint;

  await db.schema
    .createTable('carrier_accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    // twilio | telnyx | bandwidth | sandbox
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    // `v1.<key id>.<iv>.<tag>.<ciphertext>`: AES-256-GCM of the JSON credentials, bound to the row id.
    .addColumn('credentials', 'text', (c) => c.notNull())
    // JSON of non-secret settings (Bandwidth account and application ids, Telnyx messaging profile, ...).
    .addColumn('settings', 'text', (c) => c.notNull())
    // Where the carrier reaches this server (the signed URL of webhooks is built on it).
    .addColumn('public_base_url', 'text')
    // The carrier's REST origin, when not the production one (tests, contract mocks, regional edges).
    .addColumn('api_base_url', 'text')
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('carrier_accounts_org_idx').on('carrier_accounts').columns(['org_id', 'created_at']).execute();

  await db.schema.alterTable('phone_numbers').addColumn('carrier_account_id', 'text', (c) => c.references('carrier_accounts.id')).execute();
  // The carrier's own id of the number (Twilio PN…, Telnyx phone number id), to update its webhooks.
  await db.schema.alterTable('phone_numbers').addColumn('carrier_number_id', 'text').execute();
  await db.schema.createIndex('phone_numbers_account_idx').on('phone_numbers').columns(['carrier_account_id']).execute();
}
