/**
 * Runs once before the suite: finds out whether PostgreSQL is there. Without it the PostgreSQL half
 * of the storage tests is skipped with a one-line notice, except under CI=true, where a missing
 * service fails the run. Then migrates one database of each kind, which every test database copies
 * (migrated-templates.ts).
 */
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migratedSqliteTemplate, recordPostgresMigration } from './migrated-templates.js';

export const DEFAULT_TEST_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string | null;
    /** A migrated SQLite file to copy. */
    sqliteTemplate: string;
    /** The statements of a PostgreSQL migration, to replay in a new schema (null without PostgreSQL). */
    pgMigration: string | null;
  }
}

export default async function setup(project: TestProject) {
  const url = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_PG_URL;
  let reachable = false;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    project.provide('pgUrl', url);
    reachable = true;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    if (process.env.CI === 'true' || process.env.CI === '1') {
      throw new Error(`PostgreSQL is required under CI=true but ${url} is not reachable (${why}). Start it, or set TEST_DATABASE_URL.`);
    }
    console.warn(`notice: PostgreSQL not reachable at ${url} (${why}); skipping the PostgreSQL half of the storage tests. Install and start PostgreSQL (apt-get install postgresql) or set TEST_DATABASE_URL.`);
    project.provide('pgUrl', null);
  } finally {
    await client.end().catch(() => {});
  }
  project.provide('pgMigration', reachable ? await recordPostgresMigration(url) : null);
  const sqliteTemplate = await migratedSqliteTemplate();
  project.provide('sqliteTemplate', sqliteTemplate.file);
  return () => sqliteTemplate.dispose();
}
