/**
 * On PostgreSQL every query Kysely sends becomes a named prepared statement of its connection
 * (db/database.ts `usePreparedStatements`): parsed and planned once per connection. The results
 * must be those of the same query unprepared, for every value, and a connection with more distinct
 * texts than it keeps prepared must still answer them all, and a column added by a migration while
 * statements are prepared must not break them.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { dialectAvailable, useTestDatabase } from '../support/databases.js';

describe('prepared statements (postgres)', () => {
  const run = it.runIf(dialectAvailable('postgres'));
  const db = useTestDatabase('postgres', async (fresh) => {
    await sql`INSERT INTO organizations (id, name, time_zone, business_hours, settings, created_at, updated_at) VALUES ('org_1', 'One', 'UTC', '{}', '{}', 1, 1), ('org_2', 'Two', 'UTC', '{}', '{}', 2, 2)`.execute(fresh.kysely);
  }, { poolSize: 1 });

  const nameOf = (id: string) => db().kysely.selectFrom('organizations').select('name').where('id', '=', id).executeTakeFirst();

  run('a query run again is prepared on its connection, and answers for each value', async () => {
    expect(await nameOf('org_1')).toEqual({ name: 'One' });
    expect(await nameOf('org_2')).toEqual({ name: 'Two' });
    expect(await nameOf('org_3')).toBeUndefined();
    // One connection in the pool: the statement is in its session's list.
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement LIKE '%from "organizations" where "id" = $1%' AND statement NOT LIKE '%pg_prepared_statements%'`.execute(db().kysely);
    expect(rows[0]!.n).toBe(1);
  });

  run('a migration that adds a column while statements are prepared breaks none of them', async () => {
    const all = () => db().kysely.selectFrom('organizations').selectAll().where('id', '=', 'org_1').executeTakeFirst();
    // Another process migrates while this one runs: the statements prepared before still answer.
    for (let i = 0; i < 6; i++) expect((await all())?.name).toBe('One');
    for (let i = 0; i < 6; i++) expect(await nameOf('org_1')).toEqual({ name: 'One' });
    await sql`ALTER TABLE organizations ADD COLUMN motto text`.execute(db().kysely);
    expect(await all()).toMatchObject({ id: 'org_1', name: 'One', motto: null });
    expect(await nameOf('org_1')).toEqual({ name: 'One' });
    // Rows of `*` change shape with a migration: never prepared.
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement LIKE '%select * from "organizations"%'`.execute(db().kysely);
    expect(rows[0]!.n).toBe(0);
  });

  run('past the number a connection keeps prepared, queries still answer', async () => {
    for (let i = 0; i < 520; i++) {
      const { rows } = await sql<{ v: number }>`SELECT ${i}::int + ${sql.lit(i)} AS v`.execute(db().kysely);
      expect(rows[0]!.v).toBe(2 * i);
    }
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_prepared_statements`.execute(db().kysely);
    expect(rows[0]!.n).toBeLessThanOrEqual(500);
    expect(await nameOf('org_2')).toEqual({ name: 'Two' });
  });
});
