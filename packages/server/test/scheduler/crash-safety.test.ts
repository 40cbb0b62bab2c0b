/**
 * Crash safety with real processes and real time: a process killed with SIGKILL (no chance to
 * clean up) loses no job, and a job it was running is taken over once its lease expires and
 * runs to completion once. No fixed sleeps: the test polls the database until a deadline.
 */
import { sql } from 'kysely';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, dialectAvailable, type TestDatabase } from '../support/databases.js';
import { assertBuilt, killChildren, startFixture, waitFor } from './helpers.js';

interface Effect {
  job_id: string;
  ran_at: number;
  worker: string;
}

describe.each(DIALECTS)('crash safety across processes (%s)', (dialect) => {
  let database: TestDatabase;
  beforeAll(() => {
    if (dialectAvailable(dialect)) assertBuilt();
  });
  beforeEach(async () => {
    if (dialectAvailable(dialect)) database = await createTestDatabase(dialect);
  });
  afterEach(async () => {
    await killChildren();
    await database?.destroy();
  });

  const job = (id: string) => database.db.kysely.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const effects = async () => (await sql<Effect>`select job_id, ran_at, worker from job_effects`.execute(database.db.kysely)).rows.map((e) => ({ ...e, ran_at: Number(e.ran_at) }));

  it.runIf(dialectAvailable(dialect))('a job enqueued by a process killed with SIGKILL before it was due runs once, in the next process', async () => {
    const env = { DATABASE_URL: database.url };
    const first = startFixture('scheduler-process.mjs', ['enqueue', '1500'], env);
    const [, jobId = '', runAtText = ''] = await first.line(/^enqueued (\S+) (\d+)$/);
    await first.kill('SIGKILL');
    const runAt = Number(runAtText);
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });

    // The job outlived its process: committed, waiting, not run.
    expect(await job(jobId)).toMatchObject({ state: 'pending', attempts: 0, kind: 'test.effect', run_at: runAt });
    expect(await effects()).toEqual([]);

    const second = startFixture('scheduler-process.mjs', ['work'], env);
    const [, secondWorker] = await second.line(/^ready (\S+)$/);
    await waitFor('the job to run', async () => (await effects()).length > 0);
    await waitFor('the job to be completed', async () => (await job(jobId)).state === 'completed');

    const ran = await effects();
    expect(ran).toEqual([{ job_id: jobId, ran_at: expect.any(Number), worker: secondWorker }]);
    expect(ran[0]?.ran_at).toBeGreaterThanOrEqual(runAt); // not early
    expect(await job(jobId)).toMatchObject({ state: 'completed', attempts: 1, locked_by: null, last_error: null });
    await second.kill('SIGTERM');
    expect(await effects()).toHaveLength(1);
  });

  // PostgreSQL: the lease decides (another process may share the database). SQLite: one process owns
  // the database, so the next one takes the job back at start-up, with a lease of a full minute left.
  const sqlite = dialect === 'sqlite';
  it.runIf(dialectAvailable(dialect))(`a job whose process was killed while running it is rescued ${sqlite ? 'at once by the next process' : 'after the lease'} and completes once`, async () => {
    const env = { DATABASE_URL: database.url, JOB_LEASE_MS: sqlite ? '60000' : '500' };
    const first = startFixture('scheduler-process.mjs', ['block'], env);
    const [, jobId = ''] = await first.line(/^running (\S+)$/);
    const running = await job(jobId);
    expect(running).toMatchObject({ state: 'running', attempts: 1 });
    const firstWorker = running.locked_by;
    await first.kill('SIGKILL');
    expect(await effects()).toEqual([]);

    const second = startFixture('scheduler-process.mjs', ['work'], env);
    const [, secondWorker] = await second.line(/^ready (\S+)$/);
    expect(secondWorker).not.toBe(firstWorker);
    await waitFor('the rescued job to run', async () => (await effects()).length > 0);
    await waitFor('the job to be completed', async () => (await job(jobId)).state === 'completed');

    expect(await effects()).toEqual([{ job_id: jobId, ran_at: expect.any(Number), worker: secondWorker }]);
    const done = await job(jobId);
    expect(done).toMatchObject({ state: 'completed', attempts: 2, locked_by: null });
    expect(done.last_error).toMatch(sqlite ? /taken back at start-up/ : /lease expired/);
    expect(done.last_error).toContain(firstWorker);
    if (sqlite) expect(done.finished_at! - running.updated_at).toBeLessThan(60_000);
    await second.kill('SIGTERM');
    expect(await effects()).toHaveLength(1);
  });
});
