import { sql } from 'kysely';
import type { AnyDb, Dialect } from '../dialect.js';

/**
 * The tables written once or more per text or call, on PostgreSQL: no foreign keys, and room for
 * in-place updates of messages.
 *
 * Foreign keys. Every row inserted into a referencing table makes PostgreSQL look the parent up and
 * lock it `FOR KEY SHARE`; every text touched the one organization row and its number's row from
 * every concurrent transaction at once (multixacts), about ten such checks per text. Without them
 * the server spent 20% less CPU per text on the send path (bench/send.js, statement statistics of
 * `log_statement_stats`: 3.75 → 3.0 s for 8,000 texts; message INSERT 31 → 13 µs per row). These
 * rows are only ever written by use-cases that create or check their parents in the same
 * transaction, every query is scoped to its organization, and SQLite keeps the same constraints
 * (it checks them in-process, cheaply; dropping one there would mean rebuilding the table), so the
 * test suite, which runs on both, still catches a use-case that would leave an orphan.
 *
 * Fill factor. A text is updated twice after it is stored (`sending`, then `sent` with the
 * carrier's id); with free room in its page the first update stays on the page without new entries
 * in the table's eight indexes (a HOT update).
 */
const HIGH_VOLUME_TABLES = [
  'messages',
  'events',
  'jobs',
  'contacts',
  'conversations',
  'calls',
  'call_detections',
  'automation_runs',
  'automation_trace',
  'automation_send_claims',
  'sandbox_messages',
  'team_forwards',
];

export async function up(db: AnyDb, d: Dialect): Promise<void> {
  if (d.name !== 'postgres') return;
  const { rows } = await sql<{ table_name: string; constraint_name: string }>`
    SELECT rel.relname AS table_name, con.conname AS constraint_name
      FROM pg_constraint con
      JOIN pg_class rel ON rel.oid = con.conrelid
     WHERE con.contype = 'f'
       AND rel.relnamespace = current_schema()::regnamespace
       AND rel.relname IN (${sql.join(HIGH_VOLUME_TABLES)})
     ORDER BY 1, 2`.execute(db);
  for (const r of rows) await sql`ALTER TABLE ${sql.id(r.table_name)} DROP CONSTRAINT ${sql.id(r.constraint_name)}`.execute(db);
  await sql`ALTER TABLE messages SET (fillfactor = 85)`.execute(db);
}
