/**
 * On PostgreSQL every query Kysely sends becomes a named prepared statement of its connection
 * (db/database.ts `usePreparedStatements`): parsed and planned once per connection. The results
 * must be those of the same query unprepared, for every value, and a connection with more distinct
 * texts than it keeps prepared must still answer them all, a `select *` is prepared with its
 * columns named, and a column added by a migration while statements are prepared must not break them.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { dialectAvailable, pgUrl, useTestDatabase } from '../support/databases.js';

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

  run('a select * is prepared with its columns named, and a column added by another process breaks none of them', async () => {
    const all = () => db().kysely.selectFrom('organizations').selectAll().where('id', '=', 'org_1').executeTakeFirst();
    const before = await all();
    expect(before).toMatchObject({ id: 'org_1', name: 'One' });
    for (let i = 0; i < 6; i++) expect(await all()).toEqual(before);
    for (let i = 0; i < 6; i++) expect(await nameOf('org_1')).toEqual({ name: 'One' });
    const prepared = async () =>
      (await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%from "organizations" where "id" = $1%' AND statement NOT LIKE '%pg_prepared%'`.execute(db().kysely)).rows.map(
        (r) => r.statement,
      );
    // The `*` went out as the table's columns, in the table's order: the rows have the same keys.
    const named = (await prepared()).find((t) => t.startsWith('select "id", "name"'));
    expect(named).toBeDefined();
    expect(Object.keys(before!)).toEqual(named!.slice('select '.length, named!.indexOf(' from ')).split(', ').map((c) => c.slice(1, -1)));

    // Another process migrates while this one runs: everything prepared before still answers, with the columns it had.
    const { rows: schema } = await sql<{ name: string }>`SELECT current_schema() AS name`.execute(db().kysely);
    const other = openDatabase(pgUrl()!, { schema: schema[0]!.name, poolSize: 1 });
    try {
      await sql`ALTER TABLE organizations ADD COLUMN motto text`.execute(other.kysely);
    } finally {
      await other.close();
    }
    for (let i = 0; i < 3; i++) expect(await all()).toEqual(before);
    expect(await nameOf('org_1')).toEqual({ name: 'One' });

    // A change this process makes itself (its migrations at start-up) is seen at once.
    await sql`ALTER TABLE organizations ADD COLUMN slogan text`.execute(db().kysely);
    expect(await all()).toEqual({ ...before, motto: null, slogan: null });
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
