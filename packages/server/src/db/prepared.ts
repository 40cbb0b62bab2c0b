/**
 * Queries of a fixed shape whose SQL is built once (per database) and then only given their values.
 *
 * Kysely builds and compiles a query every time it runs: 5-10 µs for a three-condition SELECT, and a
 * missed call runs a dozen lookups. `prepared` builds the query once with stand-in values, keeps
 * Kysely's SQL, and notes which parameter is which named value (or a constant of the builder); later
 * runs bind the values to that SQL. Kysely still writes every query, on either dialect.
 *
 * The builder must give the query one shape whatever the values: use them as scalar values only
 * (not in `if`, not as arrays for `in`, not as limits). A value that comes out of the compiled query
 * as anything other than a stand-in or a constant is refused at the first run. A Kysely instance with
 * plugins is always given a freshly built query (tests use plugins to count or fail statements).
 */
import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import type { Database } from './schema.js';

type Executor = Kysely<Database>;
type Values = Record<string, string | number | null>;

/** A parameter of the compiled SQL: the named value, or a constant the builder wrote. */
type Slot = { name: string } | { constant: unknown };

const MARK = '\u0000prepared:';
const END = '\u0000';

/** The name a stand-in stands for, or undefined (a constant, or a stand-in the builder changed). */
function standInName(p: unknown): string | undefined {
  if (typeof p !== 'string' || !p.startsWith(MARK) || !p.endsWith(END)) return undefined;
  const name = p.slice(MARK.length, -END.length);
  return name.includes(END) ? undefined : name;
}

export interface Prepared<P extends Values, R> {
  /** Every row. */
  all(db: Executor, values: P): Promise<R[]>;
  /** The first row, or undefined. */
  first(db: Executor, values: P): Promise<R | undefined>;
}

export function prepared<P extends Values, R>(build: (db: Executor, values: P) => Compilable<R>): Prepared<P, R> {
  const shapes = new WeakMap<object, { sql: string; slots: Slot[] }>();

  function shapeFor(db: Executor, adapter: object): { sql: string; slots: Slot[] } {
    let shape = shapes.get(adapter);
    if (shape) return shape;
    const standIns = new Proxy({} as P, { get: (_target, name) => (typeof name === 'string' ? `${MARK}${name}${END}` : undefined) });
    const compiled = build(db, standIns).compile();
    const slots = compiled.parameters.map((p): Slot => {
      const name = standInName(p);
      if (name !== undefined) return { name };
      if (typeof p === 'string' && p.includes(MARK)) throw new Error(`prepared query: a value was changed before it was bound (${compiled.sql})`);
      return { constant: p };
    });
    shape = { sql: compiled.sql, slots };
    shapes.set(adapter, shape);
    return shape;
  }

  async function all(db: Executor, values: P): Promise<R[]> {
    const executor = db.getExecutor();
    if (executor.plugins.length > 0) return (await db.executeQuery(build(db, values))).rows;
    const { sql, slots } = shapeFor(db, executor.adapter);
    const parameters = slots.map((slot) => ('name' in slot ? values[slot.name] : slot.constant));
    return (await db.executeQuery<R>(CompiledQuery.raw(sql, parameters))).rows;
  }

  return {
    all,
    first: async (db, values) => (await all(db, values))[0],
  };
}
