import { Migrator, sql, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import type { Db } from './database.js';
import type { AnyDb, Dialect } from './dialect.js';
import * as m0001 from './migrations/0001-initial.js';
import * as m0002 from './migrations/0002-compliance.js';
import * as m0003 from './migrations/0003-automations.js';
import * as m0004 from './migrations/0004-teams.js';
import * as m0005 from './migrations/0005-carriers.js';
import * as m0006 from './migrations/0006-call-extensions.js';
import * as m0007 from './migrations/0007-hot-path-indexes.js';
import * as m0008 from './migrations/0008-agent-call-sids.js';
import * as m0009 from './migrations/0009-call-detections.js';
import * as m0010 from './migrations/0010-run-message-index.js';
import * as m0011 from './migrations/0011-postgres-hot-tables.js';
import * as m0014 from './migrations/0014-web-sessions-inbox.js';
import * as m0015 from './migrations/0015-search-views.js';
import * as m0017 from './migrations/0017-analytics-indexes.js';
import * as m0020 from './migrations/0020-notifications.js';
import * as m0019 from './migrations/0019-webhook-endpoints.js';
import * as m0021 from './migrations/0021-reply-agent.js';
import * as m0022 from './migrations/0022-user-deactivation.js';

/** Migrations are compiled into the code (no files to find at run time), in order. */
const MIGRATIONS: Record<string, { up(db: AnyDb, dialect: Dialect): Promise<void> }> = {
  '0001-initial': m0001,
  '0002-compliance': m0002,
  '0003-automations': m0003,
  '0004-teams': m0004,
  '0005-carriers': m0005,
  '0006-call-extensions': m0006,
  '0007-hot-path-indexes': m0007,
  '0008-agent-call-sids': m0008,
  '0009-call-detections': m0009,
  '0010-run-message-index': m0010,
  '0011-postgres-hot-tables': m0011,
  '0014-web-sessions-inbox': m0014,
  '0015-search-views': m0015,
  '0017-analytics-indexes': m0017,
  '0020-notifications': m0020,
  '0019-webhook-endpoints': m0019,
  '0021-reply-agent': m0021,
  '0022-user-deactivation': m0022,
};

class CompiledMigrations implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return Object.fromEntries(
      Object.entries(MIGRATIONS).map(([name, m]) => [name, { up: (db: AnyDb) => m.up(db, this.dialect) }]),
    );
  }
}

export class MigrationError extends Error {
  constructor(
    readonly migration: string | undefined,
    override readonly cause: unknown,
  ) {
    super(`migration ${migration ?? '(unknown)'} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** Applies every pending migration; safe to call from several processes at once (Kysely takes a lock). */
export async function migrateToLatest(db: Db): Promise<string[]> {
  // On PostgreSQL, Kysely looks for its migration tables in every schema unless told which one: a
  // kysely_migration_lock in another schema (another app, a parallel test) made it skip creating ours.
  const schema =
    db.dialect.name === 'postgres' ? (await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db.kysely)).rows[0]?.schema : undefined;
  if (await allApplied(db, schema ?? undefined)) return [];
  const migrator = new Migrator({ db: db.kysely, provider: new CompiledMigrations(db.dialect), ...(schema ? { migrationTableSchema: schema } : {}) });
  let result: MigrationResultSet = await migrator.migrateToLatest();
  // Before taking its lock, the Migrator lists the tables of every schema (see allApplied); when another
  // schema is dropped during that listing PostgreSQL answers 3F000 naming it. Nothing was written yet:
  // list again.
  for (let attempt = 1; attempt < 5 && result.error && isOtherSchemaDropped(result.error, schema); attempt++) result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new MigrationError(failed?.migrationName, result.error);
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** PostgreSQL's invalid_schema_name for a schema that is not the one being migrated. */
function isOtherSchemaDropped(error: unknown, schema: string | null | undefined): boolean {
  const e = error as { code?: unknown; message?: unknown };
  return e.code === '3F000' && typeof e.message === 'string' && !(schema && e.message.includes(`"${schema}"`));
}

/**
 * True when every migration is recorded: the usual start, with nothing to do. Kysely's Migrator is
 * then skipped, because before it takes its lock it lists the tables of every schema of a PostgreSQL
 * database, a query that fails when another schema is dropped meanwhile (a parallel test run, another
 * application sharing the database). Pending migrations still go through the Migrator and its lock.
 */
async function allApplied(db: Db, schema: string | undefined): Promise<boolean> {
  const exists =
    db.dialect.name === 'postgres'
      ? (await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_schema = ${schema ?? null} and table_name = 'kysely_migration'`.execute(db.kysely)).rows[0]?.n
      : (await sql<{ n: number }>`select count(*) as n from sqlite_master where type = 'table' and name = 'kysely_migration'`.execute(db.kysely)).rows[0]?.n;
  if (!exists) return false;
  const table = schema ? sql`${sql.id(schema)}.${sql.id('kysely_migration')}` : sql.id('kysely_migration');
  const applied = new Set((await sql<{ name: string }>`select name from ${table}`.execute(db.kysely)).rows.map((r) => r.name));
  return Object.keys(MIGRATIONS).every((name) => applied.has(name));
}
