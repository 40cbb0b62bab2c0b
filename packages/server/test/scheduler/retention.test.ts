/**
 * Finished jobs are deleted after JOB_RETENTION_DAYS (jobs/retention.ts): completed and cancelled
 * ones only, a thousand at a time, by one prune job per database that snoozes between runs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../src/db/schema.js';
import { PRUNE_JOB, scheduleJobPruning } from '../../src/jobs/retention.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const DAY = 86_400_000;

describe.each(DIALECTS)('finished jobs are deleted after the retention period (%s)', (dialect) => {
  const run = it.runIf(dialectAvailable(dialect));
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  const job = (id: string, state: Job['state'], finishedDaysAgo: number | null, now: number): Job => ({
    id,
    org_id: null,
    kind: 'test.old',
    payload: '{}',
    state,
    run_at: now - 40 * DAY,
    attempts: 1,
    max_attempts: 10,
    unique_key: null,
    locked_by: null,
    locked_until: null,
    last_error: state === 'dead' ? 'gave up' : null,
    created_at: now - 40 * DAY,
    updated_at: now - 40 * DAY,
    finished_at: finishedDaysAgo === null ? null : now - finishedDaysAgo * DAY,
  });

  const remaining = async (a: TestApp) =>
    (await a.tb.ctx.db.kysely.selectFrom('jobs').select(['id', 'kind', 'state', 'run_at']).orderBy('id').execute()).filter((j) => j.kind !== PRUNE_JOB).map((j) => j.id);

  run('completed and cancelled jobs older than the retention go; dead, pending and recent ones stay', async () => {
    app = await createTestApp(dialect, { config: { jobRetentionDays: 7 } });
    const now = app.clock.now();
    await app.tb.ctx.db.kysely
      .insertInto('jobs')
      .values([
        job('job_a_completed_8d', 'completed', 8, now),
        job('job_b_completed_6d', 'completed', 6, now),
        job('job_c_cancelled_8d', 'cancelled', 8, now),
        job('job_d_dead_30d', 'dead', 30, now),
        { ...job('job_e_pending', 'pending', null, now), run_at: now + DAY },
      ])
      .execute();

    // Every worker process asks for it when it starts: still one prune job.
    await scheduleJobPruning(app.tb.ctx);
    await scheduleJobPruning(app.tb.ctx);
    const prune = await app.tb.ctx.db.kysely.selectFrom('jobs').selectAll().where('kind', '=', PRUNE_JOB).execute();
    expect(prune).toHaveLength(1);

    await app.drain();
    expect(await remaining(app)).toEqual(['job_b_completed_6d', 'job_d_dead_30d', 'job_e_pending']);
    // It waits an hour for the next look, without counting an attempt.
    expect(await app.tb.ctx.db.kysely.selectFrom('jobs').selectAll().where('kind', '=', PRUNE_JOB).executeTakeFirstOrThrow()).toMatchObject({
      state: 'pending',
      run_at: now + 3_600_000,
      attempts: 0,
    });

    // Two days later the one that was six days old has expired too.
    await app.advance(2 * DAY);
    expect(await remaining(app)).toEqual(['job_d_dead_30d', 'job_e_pending']);
  });

  run('a large backlog goes a thousand at a time, run after run, until none is left', async () => {
    app = await createTestApp(dialect, { config: { jobRetentionDays: 1 } });
    const now = app.clock.now();
    const old = Array.from({ length: 2_500 }, (_, i) => job(`job_old_${String(i).padStart(5, '0')}`, 'completed', 3, now));
    for (let i = 0; i < old.length; i += 500) await app.tb.ctx.db.kysely.insertInto('jobs').values(old.slice(i, i + 500)).execute();
    await scheduleJobPruning(app.tb.ctx);
    await app.drain();
    expect(await remaining(app)).toEqual([]);
  });

  run('with JOB_RETENTION_DAYS=0 nothing is scheduled and nothing is deleted', async () => {
    app = await createTestApp(dialect, { config: { jobRetentionDays: 0 } });
    const now = app.clock.now();
    await app.tb.ctx.db.kysely.insertInto('jobs').values(job('job_kept_forever', 'completed', 400, now)).execute();
    await scheduleJobPruning(app.tb.ctx);
    await app.drain();
    expect(await app.tb.ctx.db.kysely.selectFrom('jobs').select('id').execute()).toEqual([{ id: 'job_kept_forever' }]);
  });
});
