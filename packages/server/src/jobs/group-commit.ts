/**
 * Group commit for the webhook fast path: enqueues requested in the same turn of the event loop are
 * written together, in one multi-row INSERT in one transaction, and each caller is answered once
 * that transaction has committed (so nothing is acknowledged before it is durable). Under load this
 * turns many small commits into a few larger ones; with a single request it costs one tick.
 */
import { sql, type Kysely } from 'kysely';
import type { Db } from '../db/database.js';
import type { Database, Job } from '../db/schema.js';
import type { Clock } from '../support/clock.js';
import { newId } from '../support/ids.js';
import { DEFAULT_MAX_ATTEMPTS } from './job-queue.js';

export interface KeyedJob {
  kind: string;
  orgId: string;
  payload: unknown;
  /** At most one pending job per key: a duplicate while one is pending returns the pending job's id. */
  uniqueKey: string;
  maxAttempts?: number;
}

interface Waiting {
  job: KeyedJob;
  resolve: (id: Enqueued) => void;
  reject: (error: unknown) => void;
}

/** Keys of the batch whose work is already done (e.g. a message already stored): not enqueued again. */
export type AlreadyDone = (tx: Kysely<Database>, jobs: KeyedJob[]) => Promise<Set<string>>;

/** The id of the enqueued (or already pending) job, or null when the work was already done. */
export type Enqueued = string | null;

export class GroupCommitter {
  private queue: Waiting[] = [];
  private scheduled = false;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly onCommitted: () => void,
    private readonly alreadyDone?: AlreadyDone,
    private readonly maxBatch = 500,
  ) {}

  enqueue(job: KeyedJob): Promise<Enqueued> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.queue.splice(0, this.maxBatch);
    if (this.queue.length > 0) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
    if (batch.length === 0) return;
    try {
      const ids = await this.write(batch.map((w) => w.job));
      batch.forEach((w, i) => w.resolve(ids[i]!));
      this.onCommitted();
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }

  private async write(jobs: KeyedJob[]): Promise<Enqueued[]> {
    const now = this.clock.now();
    return this.db.kysely.transaction().execute(async (tx) => {
      const done = this.alreadyDone ? await this.alreadyDone(tx, jobs) : new Set<string>();
      const todo = jobs.filter((j) => !done.has(j.uniqueKey));
      const ids = todo.length > 0 ? await this.insert(tx, todo, now) : new Map<string, string>();
      return jobs.map((job) => (done.has(job.uniqueKey) ? null : (ids.get(job.uniqueKey) ?? '')));
    });
  }

  private async insert(tx: Kysely<Database>, jobs: KeyedJob[], now: number): Promise<Map<string, string>> {
    // Two webhooks for one key in one batch: the first one counts.
    const firstOfKey = new Map<string, number>();
    const rows: Job[] = [];
    for (const [i, job] of jobs.entries()) {
      if (firstOfKey.has(job.uniqueKey)) continue;
      firstOfKey.set(job.uniqueKey, i);
      rows.push({
        id: newId('job'),
        org_id: job.orgId,
        kind: job.kind,
        payload: JSON.stringify(job.payload ?? {}),
        state: 'pending' as const,
        run_at: now,
        attempts: 0,
        max_attempts: job.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
        unique_key: job.uniqueKey,
        locked_by: null,
        locked_until: null,
        last_error: null,
        created_at: now,
        updated_at: now,
        finished_at: null,
      });
    }
    {
      const inserted = await tx
        .insertInto('jobs')
        .values(rows)
        .onConflict((oc) => oc.column('unique_key').where('state', '=', sql.lit('pending')).doNothing())
        .returning(['id', 'unique_key'])
        .execute();
      const idByKey = new Map(inserted.map((r) => [r.unique_key!, r.id]));
      const missing = rows.filter((r) => !idByKey.has(r.unique_key!));
      if (missing.length > 0) {
        const existing = await tx
          .selectFrom('jobs')
          .select(['id', 'unique_key'])
          .where('unique_key', 'in', missing.map((r) => r.unique_key!))
          .where('state', '=', 'pending')
          .execute();
        for (const r of existing) idByKey.set(r.unique_key!, r.id);
      }
      return idByKey;
    }
  }
}
