/**
 * Group commit for SQLite. SQLite has one writer and Textback one connection to it, so transactions
 * run one after another anyway; what costs is each COMMIT (writing every page it touched to the WAL).
 * Transactions started in the same turn of the event loop therefore run one after another inside
 * one database transaction, each in its own SAVEPOINT: a unit that throws is rolled back to its
 * savepoint alone and its caller gets the error; the others commit together, and every caller is
 * answered only after that COMMIT (nothing is acknowledged before it is durable). With a single
 * transaction it costs one tick and two statements.
 *
 * PostgreSQL is not grouped: its transactions run side by side on pooled connections, and putting
 * them on one connection would serialise them behind each other's row locks.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

interface Unit {
  fn: (tx: Kysely<Database>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

const MAX_UNITS = 64;

export class GroupTransactions {
  private queue: Unit[] = [];
  private scheduled = false;

  constructor(private readonly db: Kysely<Database>) {}

  run<T>(fn: (tx: Kysely<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const units = this.queue.splice(0, MAX_UNITS);
    if (this.queue.length > 0) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
    if (units.length === 0) return;
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      await this.db.transaction().execute(async (tx) => {
        for (const unit of units) {
          await sql`SAVEPOINT unit`.execute(tx);
          try {
            const value = await unit.fn(tx);
            await sql`RELEASE unit`.execute(tx);
            outcomes.push({ ok: true, value });
          } catch (error) {
            await sql`ROLLBACK TO unit`.execute(tx);
            await sql`RELEASE unit`.execute(tx);
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // The COMMIT (or a savepoint statement) failed: nothing of the group was written.
      for (const unit of units) unit.reject(error);
      return;
    }
    units.forEach((unit, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) unit.resolve(outcome.value);
      else unit.reject(outcome.error);
    });
  }
}
