/**
 * SQL for writing many rows with one statement, the same on SQLite and PostgreSQL: a value per row
 * chosen by `CASE id WHEN … THEN … END`. Numbers are cast to BIGINT, because PostgreSQL types an
 * untyped parameter in a CASE branch as text (and a text cannot go into a BIGINT column).
 */
import { sql, type RawBuilder } from 'kysely';

export function caseById<T extends string | number>(pairs: ReadonlyArray<readonly [string, T]>, column = 'id'): RawBuilder<T> {
  const branches = pairs.map(([id, value]) => (typeof value === 'number' ? sql`WHEN ${id} THEN CAST(${value} AS BIGINT)` : sql`WHEN ${id} THEN ${value}`));
  return sql<T>`CASE ${sql.ref(column)} ${sql.join(branches, sql` `)} END`;
}
