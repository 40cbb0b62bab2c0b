/**
 * Group commit for the webhook fast path: enqueues requested in the same turn of the event loop are
 * written together, in one multi-row INSERT in one transaction, and each caller is answered once
 * that transaction has committed (so nothing is acknowledged before it is durable). Under load this
 * turns many small commits into a few larger ones; with a single request it costs one tick.
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { Job } from '../db/schema.js';
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
  resolve: (id: string) => void;
  reject: (error: unknown) => void;
}

export class GroupCommitter {
  private queue: Waiting[] = [];
  private scheduled = false;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly onCommitted: () => void,
    private readonly maxBatch = 500,
  ) {}

  enqueue(job: KeyedJob): Promise<string> {
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

  private async write(jobs: KeyedJob[]): Promise<string[]> {
    const now = this.clock.now();
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
    return this.db.kysely.transaction().execute(async (tx) => {
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
      return jobs.map((job) => idByKey.get(job.uniqueKey) ?? '');
    });
  }
}
