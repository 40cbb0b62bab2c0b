/**
 * Finished jobs do not pile up: completed and cancelled jobs older than JOB_RETENTION_DAYS are
 * deleted by a job of the scheduler itself (`jobs.prune`), a thousand at a time. Dead jobs are kept
 * (someone has to look at them, and `retry` needs them), and so is everything pending or running.
 *
 * There is one pending prune job per database (its unique key): every worker process asks for it
 * when it starts, and it snoozes between runs (an hour, or no time at all while there is more to
 * delete), so it never finishes and never needs scheduling again.
 */
import type { AppContext } from '../app-context.js';
import { enqueue } from './job-queue.js';
import type { JobResult } from './worker.js';

export const PRUNE_JOB = 'jobs.prune';
const BATCH = 1_000;
const EVERY_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Asks for the prune job (once per database), unless retention is off. */
export async function scheduleJobPruning(ctx: AppContext): Promise<void> {
  if (ctx.config.jobRetentionDays <= 0) return;
  await enqueue(ctx.db.kysely, ctx.clock, { kind: PRUNE_JOB, payload: {}, uniqueKey: PRUNE_JOB });
}

/** Deletes up to a thousand expired jobs; comes back at once if there may be more, else in an hour. */
export async function pruneFinishedJobs(ctx: AppContext): Promise<JobResult> {
  const now = ctx.clock.now();
  if (ctx.config.jobRetentionDays <= 0) return { snoozeUntil: now + EVERY_MS };
  const cutoff = now - ctx.config.jobRetentionDays * DAY_MS;
  const deleted = await ctx.db.kysely
    .deleteFrom('jobs')
    .where(
      'id',
      'in',
      ctx.db.kysely
        .selectFrom('jobs')
        .select('id')
        .where('state', 'in', ['completed', 'cancelled'])
        .where('finished_at', '<', cutoff)
        .limit(BATCH),
    )
    .executeTakeFirst();
  const n = Number(deleted.numDeletedRows);
  if (n > 0) ctx.log.info({ jobs: n, olderThanDays: ctx.config.jobRetentionDays }, 'finished jobs deleted');
  return { snoozeUntil: n === BATCH ? now : now + EVERY_MS };
}

