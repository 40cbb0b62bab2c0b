/**
 * On SQLite, LIMIT and OFFSET are written into the SQL as numbers (db/database.ts): a bound LIMIT
 * makes SQLite compile the statement again on every run. Pages must still hold the right rows, and
 * a limit that is not a plain integer still goes through as a parameter.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { dialectAvailable, DIALECTS, useTestDatabase } from '../support/databases.js';

describe.each(DIALECTS)('LIMIT and OFFSET (%s)', (dialect) => {
  const run = it.runIf(dialectAvailable(dialect));
  const db = useTestDatabase(dialect, async (fresh) => {
    await sql`INSERT INTO organizations (id, name, time_zone, business_hours, settings, created_at, updated_at) VALUES
      ('org_a', 'A', 'UTC', '{}', '{}', 1, 1), ('org_b', 'B', 'UTC', '{}', '{}', 2, 2), ('org_c', 'C', 'UTC', '{}', '{}', 3, 3), ('org_d', 'D', 'UTC', '{}', '{}', 4, 4)`.execute(fresh.kysely);
  });

  const page = (limit: number, offset: number) => db().kysely.selectFrom('organizations').select('id').orderBy('id').limit(limit).offset(offset);

  run('pages hold the rows of their place, whatever limit each asks for', async () => {
    expect((await page(2, 0).execute()).map((r) => r.id)).toEqual(['org_a', 'org_b']);
    expect((await page(2, 2).execute()).map((r) => r.id)).toEqual(['org_c', 'org_d']);
    expect((await page(3, 1).execute()).map((r) => r.id)).toEqual(['org_b', 'org_c', 'org_d']);
    expect((await page(1, 3).execute()).map((r) => r.id)).toEqual(['org_d']);
  });

  run('SQLite gets the numbers in its SQL; PostgreSQL keeps parameters', () => {
    const compiled = page(2, 1).compile();
    if (dialect === 'sqlite') {
      expect(compiled.sql).toMatch(/limit 2 offset 1$/);
      expect(compiled.parameters).toEqual([]);
    } else {
      expect(compiled.sql).toMatch(/limit \$1 offset \$2$/);
      expect(compiled.parameters).toEqual([2, 1]);
    }
  });

  run('a limit given as an expression is still a parameter', async () => {
    const q = db().kysely.selectFrom('organizations').select('id').orderBy('id').limit(sql<number>`${3}`);
    expect((await q.execute()).map((r) => r.id)).toEqual(['org_a', 'org_b', 'org_c']);
  });
});
