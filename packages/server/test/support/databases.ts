/**
 * Storage and integration tests run once per database, like Kysely's own tests (DIALECTS = [...]):
 * SQLite in a temporary file, PostgreSQL in a schema of its own per test file.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { openDatabase, type Db } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { replayPostgresMigration } from './migrated-templates.js';

export type DialectName = 'sqlite' | 'postgres';
export const DIALECTS: DialectName[] = ['sqlite', 'postgres'];

export function pgUrl(): string | null {
  return inject('pgUrl');
}

/** True when this dialect can run here (PostgreSQL may be missing outside CI: the global setup said so). */
export function dialectAvailable(dialect: DialectName): boolean {
  return dialect === 'sqlite' || pgUrl() !== null;
}

export interface TestDatabase {
  db: Db;
  /** A URL another process can open to reach the same data (with the schema for PostgreSQL). */
  url: string;
  schema?: string;
  destroy(): Promise<void>;
}

/**
 * A new database. `migrate` (the default) gives it every migration: a copy of the database the global
 * setup migrated (migrated-templates.ts), or, with `migrate: 'run'`, by running them.
 */
export async function createTestDatabase(dialect: DialectName, options: { migrate?: boolean | 'run'; poolSize?: number } = {}): Promise<TestDatabase> {
  const name = `t_${crypto.randomBytes(6).toString('hex')}`;
  const migrate = options.migrate ?? true;
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'textback-test-'));
    const file = path.join(dir, `${name}.db`);
    const template = inject('sqliteTemplate');
    if (migrate === true && template) fs.copyFileSync(template, file);
    const db = openDatabase(file);
    if (migrate === 'run' || (migrate === true && !template)) await migrateToLatest(db);
    return {
      db,
      url: file,
      destroy: async () => {
        await db.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const url = pgUrl();
  if (!url) throw new Error('PostgreSQL is not available');
  const recorded = migrate === true ? inject('pgMigration') : null;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    if (recorded) await replayPostgresMigration(admin, name, recorded);
    else await admin.query(`create schema ${name}`);
  } finally {
    await admin.end();
  }
  const db = openDatabase(url, { schema: name, poolSize: options.poolSize ?? 10 });
  const dropSchema = async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`drop schema if exists ${name} cascade`);
    await c.end();
  };
  if (migrate === 'run' || (migrate === true && !recorded)) {
    try {
      await migrateToLatest(db);
    } catch (error) {
      await db.close();
      await dropSchema();
      throw error;
    }
  }
  return {
    db,
    url: `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${name}`)}`,
    schema: name,
    destroy: async () => {
      await db.close();
      await dropSchema();
    },
  };
}

/**
 * A fresh migrated database for the tests of the enclosing `describe`: created before them (then
 * `setUp` runs on it), destroyed after. Returns a getter (the database exists only once they run).
 * Nothing is created when the dialect is not available (its tests are skipped).
 */
export function useTestDatabase(dialect: DialectName, setUp?: (db: Db) => Promise<void>, options: { poolSize?: number } = {}): () => Db {
  let testDb: TestDatabase | undefined;
  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    testDb = await createTestDatabase(dialect, options);
    await setUp?.(testDb.db);
  });
  afterAll(async () => testDb?.destroy());
  return () => {
    if (!testDb) throw new Error(`no ${dialect} test database`);
    return testDb.db;
  };
}
