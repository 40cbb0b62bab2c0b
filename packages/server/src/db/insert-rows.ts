/**
 * INSERTs of plain rows whose SQL is written once per table, column list and row count, then reused.
 *
 * Kysely builds and compiles every query anew: about 20 µs for a 25-column INSERT here, and a missed
 * call inserts a dozen rows (the call, its contact, conversation, consent, run, trace, text, job,
 * events). The first INSERT of a shape is compiled by Kysely itself (so the SQL is exactly Kysely's,
 * on either dialect); later ones only bind their values to that text. The compiled parameters are
 * checked to be the row values in order, else the shape is never cached (a value that is an
 * expression, or a clause that adds parameters, always goes through Kysely), and a Kysely instance
 * with plugins is always given the query Kysely builds.
 */
import { CompiledQuery, type Insertable, type InsertQueryBuilder, type InsertResult, type Kysely } from 'kysely';
import type { Database } from './schema.js';

type Executor = Kysely<Database>;

/** Rows of more than this many inserted together go through Kysely (a big batch amortises its build). */
const MAX_CACHED_ROWS = 8;

/** SQL texts by dialect adapter (one per database: tests open several), then by shape. */
const texts = new WeakMap<object, Map<string, string | null>>();

interface Tail<T extends keyof Database & string, R> {
  /** Names the clause in the cache: one key per distinct `build`. */
  key: string;
  /** What follows the VALUES (ON CONFLICT … DO NOTHING, RETURNING); must add no parameters to be cached. */
  build: (query: InsertQueryBuilder<Database, T, InsertResult>) => { compile(): CompiledQuery<R> };
}

function isPlain(value: unknown): boolean {
  return value === null || typeof value !== 'object' || value instanceof Uint8Array;
}

/** Inserts `rows` (same columns each; undefined values are left out, as Kysely does). */
export async function insertRows<T extends keyof Database & string>(db: Executor, table: T, rows: ReadonlyArray<Insertable<Database[T]>>): Promise<void> {
  await insertRowsReturning<T, unknown>(db, table, rows);
}

/** Inserts `rows` with a tail clause, and returns what it returns. */
export async function insertRowsReturning<T extends keyof Database & string, R>(
  db: Executor,
  table: T,
  rows: ReadonlyArray<Insertable<Database[T]>>,
  tail?: Tail<T, R>,
): Promise<R[]> {
  if (rows.length === 0) return [];
  const first = rows[0] as Record<string, unknown>;
  const columns = Object.keys(first).filter((c) => first[c] !== undefined);
  const values: unknown[] = [];
  let cacheable = rows.length <= MAX_CACHED_ROWS;
  for (const row of rows as ReadonlyArray<Record<string, unknown>>) {
    let present = 0;
    for (const c in row) if (row[c] !== undefined) present++;
    if (present !== columns.length) cacheable = false;
    for (const c of columns) {
      const v = row[c];
      if (!isPlain(v)) cacheable = false;
      values.push(v);
    }
  }
  const executor = db.getExecutor();
  // A plugin must see every query as Kysely builds it (tests use one to count or fail INSERTs).
  if (executor.plugins.length > 0) cacheable = false;
  // The adapter is one object per database, shared by its transactions.
  const adapter = executor.adapter;
  let byShape = texts.get(adapter);
  if (!byShape) {
    byShape = new Map();
    texts.set(adapter, byShape);
  }
  const key = cacheable ? `${table}|${rows.length}|${columns.join(',')}|${tail?.key ?? ''}` : undefined;
  const text = key === undefined ? undefined : byShape.get(key);
  if (typeof text === 'string') return (await db.executeQuery<R>(CompiledQuery.raw(text, values))).rows;

  const query = db.insertInto(table).values(rows as Array<Insertable<Database[T]>>);
  const compiled = tail ? tail.build(query).compile() : (query.compile() as unknown as CompiledQuery<R>);
  if (key !== undefined && text === undefined) {
    const p = compiled.parameters;
    const same = p.length === values.length && p.every((v, i) => v === values[i]);
    byShape.set(key, same ? compiled.sql : null);
  }
  return (await db.executeQuery<R>(compiled)).rows;
}
