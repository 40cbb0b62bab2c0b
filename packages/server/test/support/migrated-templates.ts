/**
 * Migrating a fresh test database is most of what a storage test costs: about a hundred statements,
 * each a round trip on PostgreSQL. The global setup migrates one database of each kind once, and every
 * test database starts as a copy of it: the SQLite file is copied; on PostgreSQL the statements the
 * migration wrote with are replayed into the new schema in one round trip (one implicit transaction).
 * test/integration/test-databases.test.ts checks that a copy has the same tables, columns, indexes,
 * constraints and migration rows as a database migrated the ordinary way.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { openDatabase, type Db } from '../../src/db/database.js';
import { postgresDialect } from '../../src/db/dialect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { Database } from '../../src/db/schema.js';

/** The placeholder that stands for the new schema's name in a replayed migration. */
export const SCHEMA_PLACEHOLDER = '__textback_test_schema__';

/** A migrated SQLite file in a new temporary directory; `dispose` removes it. */
export async function migratedSqliteTemplate(): Promise<{ file: string; dispose(): void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'textback-template-'));
  const file = path.join(dir, 'template.db');
  const db = openDatabase(file);
  await migrateToLatest(db);
  await db.close(); // checkpoints the WAL into the file
  return { file, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Migrates a new schema on `url`, recording the statements that wrote to it, then drops it. Returns the statements
 * as one script whose schema name is SCHEMA_PLACEHOLDER, with their parameters written as literals.
 */
export async function recordPostgresMigration(url: string): Promise<string> {
  const schema = `t_template_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`create schema ${schema}`);
    const statements: string[] = [];
    const pool = new pg.Pool({ connectionString: url, max: 1, options: `-c search_path=${schema}` });
    const kysely = new Kysely<Database>({
      dialect: new PostgresDialect({ pool }),
      log: (event) => {
        // What the migration wrote; its reads (Kysely's look at the catalog and its own tables, the
        // advisory lock) only decided what to write, which is the same on every empty schema.
        if (event.level === 'query' && !/^\s*select\b/i.test(event.query.sql)) statements.push(inlineParameters(event.query.sql, event.query.parameters));
      },
    });
    const db: Db = { kysely, dialect: postgresDialect, description: `postgres#${schema}`, close: () => kysely.destroy() };
    try {
      await migrateToLatest(db);
    } finally {
      await db.close();
    }
    return statements.map((s) => s.split(schema).join(SCHEMA_PLACEHOLDER)).join(';\n');
  } finally {
    await admin.query(`drop schema if exists ${schema} cascade`).catch(() => {});
    await admin.end();
  }
}

/** Runs a recorded migration in `schema` (created here), in one round trip. */
export async function replayPostgresMigration(client: pg.Client, schema: string, script: string): Promise<void> {
  await client.query(`create schema ${schema}; set search_path to ${schema};\n${script.split(SCHEMA_PLACEHOLDER).join(schema)}`);
}

function inlineParameters(text: string, parameters: readonly unknown[]): string {
  if (parameters.length === 0) return text;
  return text.replace(/\$(\d+)/g, (_, n: string) => literal(parameters[Number(n) - 1]));
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return `'${value.toISOString()}'`;
  if (typeof value === 'string') return `'${value.replace(/'/g, "''")}'`;
  throw new Error(`cannot write ${typeof value} as a SQL literal in a recorded migration`);
}
