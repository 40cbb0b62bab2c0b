/**
 * What every use case needs: the database, the clock, the logger, the carriers and the signals that
 * wake workers and event streams. Built once in the composition root (`main.ts`).
 */
import type { Db } from './db/database.js';
import type { Database } from './db/schema.js';
import type { Kysely } from 'kysely';
import type { CarrierAdapter } from './carriers/carrier.js';
import type { Clock } from './support/clock.js';
import type { Logger } from './support/logger.js';
import type { Config } from './config/config.js';
import { AppError } from './support/errors.js';
import { GroupTransactions } from './db/group-transaction.js';

export type Tx = Kysely<Database>;

export interface Signals {
  /** Something was enqueued: wake local workers. */
  jobsEnqueued(): void;
  /** Events were appended for these organizations: wake local event streams. */
  eventsAppended(orgIds: Iterable<string>): void;
}

export interface AppContext {
  db: Db;
  clock: Clock;
  log: Logger;
  config: Config;
  carriers: Map<string, CarrierAdapter>;
  signals: Signals;
}

/**
 * Runs `fn` in one transaction, then wakes workers and event streams. The domain write and the
 * jobs it needs commit together or not at all.
 */
export async function transaction<T>(ctx: AppContext, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const orgs = new Set<string>();
  const unit = (tx: Tx) => {
    pendingEventOrgs.set(tx, orgs);
    return fn(tx);
  };
  // SQLite: transactions of one turn of the event loop commit together (db/group-transaction.ts).
  const result = ctx.db.dialect.name === 'sqlite' ? await groupOf(ctx.db.kysely).run(unit) : await ctx.db.kysely.transaction().execute(unit);
  ctx.signals.jobsEnqueued();
  if (orgs.size > 0) ctx.signals.eventsAppended(orgs);
  return result;
}

const groups = new WeakMap<object, GroupTransactions>();
function groupOf(db: Kysely<Database>): GroupTransactions {
  let group = groups.get(db);
  if (!group) {
    group = new GroupTransactions(db);
    groups.set(db, group);
  }
  return group;
}

/** Organizations that got events in a transaction, to signal after commit. */
export const pendingEventOrgs = new WeakMap<object, Set<string>>();

export function carrierFor(ctx: AppContext, kind: string): CarrierAdapter {
  const carrier = ctx.carriers.get(kind);
  if (!carrier) throw new AppError('unavailable', `carrier ${kind} is not configured on this server`);
  return carrier;
}

export const noSignals: Signals = { jobsEnqueued: () => {}, eventsAppended: () => {} };
