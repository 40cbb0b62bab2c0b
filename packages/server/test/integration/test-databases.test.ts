/**
 * Test databases start as copies of one migrated in the global setup (support/migrated-templates.ts):
 * a copy must be the database a migration gives, table for table, column for column, index for
 * index, with the same migrations recorded (so `migrateToLatest` has nothing left to do), on both
 * databases.
 */
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createTestDatabase, dialectAvailable, DIALECTS, type DialectName, type TestDatabase } from '../support/databases.js';

async function rows(db: Db, query: string): Promise<unknown[]> {
  return (await sql.raw(query).execute(db.kysely)).rows;
}

/** Everything a migration defines, with the database's own schema name taken out. */
async function describeDatabase(database: TestDatabase, dialect: DialectName) {
  const { db } = database;
  const catalog =
    dialect === 'sqlite'
      ? { objects: await rows(db, `select type, name, tbl_name, sql from sqlite_master where name not like 'sqlite_%' order by type, name`) }
      : {
          columns: await rows(
            db,
            `select table_name, column_name, ordinal_position, data_type, column_default, is_nullable from information_schema.columns
             where table_schema = current_schema() order by table_name, ordinal_position`,
          ),
          indexes: await rows(db, `select tablename, indexname, indexdef from pg_indexes where schemaname = current_schema() order by tablename, indexname`),
          constraints: await rows(
            db,
            `select conrelid::regclass::text as table_name, conname, pg_get_constraintdef(oid) as definition from pg_constraint
             where connamespace = current_schema()::regnamespace order by 1, 2`,
          ),
          routines: await rows(db, `select proname, prosrc from pg_proc where pronamespace = current_schema()::regnamespace order by proname`),
          triggers: await rows(
            db,
            `select event_object_table, trigger_name, event_manipulation, action_statement from information_schema.triggers
             where trigger_schema = current_schema() order by 1, 2, 3`,
          ),
          sequences: await rows(db, `select sequence_name, data_type from information_schema.sequences where sequence_schema = current_schema() order by 1`),
        };
  const migrations = await rows(db, 'select name from kysely_migration order by name');
  const text = JSON.stringify({ catalog, migrations });
  return JSON.parse(database.schema ? text.split(database.schema).join('<schema>') : text) as unknown;
}

describe.each(DIALECTS)('a copied test database is a migrated one (%s)', (dialect) => {
  const run = it.runIf(dialectAvailable(dialect));
  const made: TestDatabase[] = [];
  afterAll(async () => {
    for (const d of made) await d.destroy();
  });

  run('same tables, columns, indexes, constraints and recorded migrations as running the migrations', async () => {
    const copied = await createTestDatabase(dialect);
    made.push(copied);
    const migrated = await createTestDatabase(dialect, { migrate: 'run' });
    made.push(migrated);
    const expected = await describeDatabase(migrated, dialect);
    expect(JSON.stringify(expected)).toContain('kysely_migration');
    expect(JSON.stringify(expected)).toContain('messages');
    expect(await describeDatabase(copied, dialect)).toEqual(expected);
    expect(await migrateToLatest(copied.db)).toEqual([]);
  });

  run('copies are independent of each other', async () => {
    const a = await createTestDatabase(dialect);
    made.push(a);
    const b = await createTestDatabase(dialect);
    made.push(b);
    await sql`INSERT INTO organizations (id, name, time_zone, business_hours, settings, created_at, updated_at) VALUES ('org_a', 'A', 'UTC', '{}', '{}', 0, 0)`.execute(a.db.kysely);
    expect(await rows(b.db, 'select id from organizations')).toEqual([]);
    expect(await rows(a.db, 'select id from organizations')).toEqual([{ id: 'org_a' }]);
  });
});
