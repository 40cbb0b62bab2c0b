/**
 * The durable scheduler's write side. Jobs live in the application's database and are enqueued
 * with the same Kysely executor (usually the transaction) as the domain write that needs them:
 * no write without its job, no job without its write.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, Job, JobState } from '../db/schema.js';
import type { Clock } from '../support/clock.js';
import { newId } from '../support/ids.js';
import { insertRows, insertRowsReturning } from '../db/insert-rows.js';

export interface EnqueueOptions {
  kind: string;
  payload: unknown;
  orgId?: string | null;
  /** When to run; defaults to now. Any delay works, from seconds to weeks. */
  runAt?: number;
  /**
   * At most one pending job per key. Enqueueing with a key that is already pending keeps the
   * existing job, or, with `replace`, moves it to the new run time and payload. `cancel(key)`
   * removes it. A job that is already running is not affected.
   */
  uniqueKey?: string;
  replace?: boolean;
  maxAttempts?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 10;

export type Executor = Kysely<Database>;

/** The row of a new pending job. */
function jobRow(options: EnqueueOptions, now: number): Job {
  return {
    id: newId('job'),
    org_id: options.orgId ?? null,
    kind: options.kind,
    payload: JSON.stringify(options.payload ?? {}),
    state: 'pending' as const,
    run_at: options.runAt ?? now,
    attempts: 0,
    max_attempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    unique_key: options.uniqueKey ?? null,
    locked_by: null,
    locked_until: null,
    last_error: null,
    created_at: now,
    updated_at: now,
    finished_at: null,
  };
}

export async function enqueue(db: Executor, clock: Clock, options: EnqueueOptions): Promise<string> {
  const now = clock.now();
  const row = jobRow(options, now);
  const id = row.id;
  if (!options.uniqueKey) {
    await insertRows(db, 'jobs', [row]);
    return id;
  }
  if (!options.replace) {
    const [fresh] = await insertRowsReturning(db, 'jobs', [row], {
      key: 'unique-pending',
      // The conflict target must repeat the partial index's predicate literally (SQLite matches it textually).
      build: (q) => q.onConflict((oc) => oc.column('unique_key').where('state', '=', sql.lit('pending')).doNothing()).returning('id'),
    });
    if (fresh) return fresh.id;
    return (await pendingJobId(db, options.uniqueKey)).id;
  }
  const inserted = await db
    .insertInto('jobs')
    .values(row)
    .onConflict((oc) => {
      // The conflict target must repeat the partial index's predicate literally (SQLite matches it textually).
      const target = oc.column('unique_key').where('state', '=', sql.lit('pending'));
      return options.replace
        ? target.doUpdateSet({
            payload: row.payload,
            run_at: row.run_at,
            kind: row.kind,
            attempts: 0,
            max_attempts: row.max_attempts,
            last_error: null,
            updated_at: now,
          })
        : target.doNothing();
    })
    .returning('id')
    .executeTakeFirst();
  if (inserted) return inserted.id;
  return (await pendingJobId(db, options.uniqueKey)).id;
}

function pendingJobId(db: Executor, uniqueKey: string): Promise<{ id: string }> {
  return db.selectFrom('jobs').select('id').where('unique_key', '=', uniqueKey).where('state', '=', 'pending').executeTakeFirstOrThrow();
}

/**
 * Enqueues new jobs with one INSERT (a batch of accepted texts). Their keys must be new (e.g. they
 * name a row created in the same transaction); a key that is already pending keeps that job.
 */
export async function enqueueMany(db: Executor, clock: Clock, jobs: readonly EnqueueOptions[]): Promise<void> {
  if (jobs.length === 0) return;
  const now = clock.now();
  await db
    .insertInto('jobs')
    .values(jobs.map((options) => jobRow(options, now)))
    .onConflict((oc) => oc.column('unique_key').where('state', '=', sql.lit('pending')).doNothing())
    .execute();
}

/** Cancels the pending job with this key, if any. Returns how many were cancelled (0 or 1). */
export async function cancelByKey(db: Executor, clock: Clock, uniqueKey: string): Promise<number> {
  const now = clock.now();
  const result = await db
    .updateTable('jobs')
    .set({ state: 'cancelled', updated_at: now, finished_at: now })
    .where('unique_key', '=', uniqueKey)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export interface JobListFilter {
  orgId?: string;
  state?: JobState;
  kind?: string;
  limit: number;
  /** Exclusive upper bound for keyset pagination, newest first. */
  before?: { createdAt: number; id: string };
}

export async function listJobs(db: Executor, filter: JobListFilter): Promise<Job[]> {
  let q = db.selectFrom('jobs').selectAll();
  if (filter.orgId) q = q.where('org_id', '=', filter.orgId);
  if (filter.state) q = q.where('state', '=', filter.state);
  if (filter.kind) q = q.where('kind', '=', filter.kind);
  if (filter.before) {
    const { createdAt, id } = filter.before;
    q = q.where((eb) =>
      eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)])]),
    );
  }
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}

/**
 * Puts a dead (or cancelled) job back to pending, to run now, with a fresh attempt budget.
 * Returns false when the job is not in a retryable state.
 */
export async function retryJob(db: Executor, clock: Clock, id: string, orgId?: string): Promise<boolean> {
  const now = clock.now();
  let q = db
    .updateTable('jobs')
    .set({ state: 'pending', run_at: now, attempts: 0, last_error: null, finished_at: null, updated_at: now })
    .where('id', '=', id)
    .where('state', 'in', ['dead', 'cancelled']);
  if (orgId) q = q.where('org_id', '=', orgId);
  // A retried job must not collide with a newer pending job of the same key.
  q = q.where(({ not, exists, selectFrom }) =>
    not(
      exists(
        selectFrom('jobs as other')
          .select(sql.lit(1).as('one'))
          .whereRef('other.unique_key', '=', 'jobs.unique_key')
          .where('other.state', '=', 'pending'),
      ),
    ),
  );
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
