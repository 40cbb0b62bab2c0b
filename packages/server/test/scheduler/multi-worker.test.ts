/**
 * PostgreSQL only (SQLite runs one worker process): two worker processes drain 10,000 jobs side by
 * side with `FOR UPDATE SKIP LOCKED` claims; every job runs exactly once and both do part of it.
 */
import { sql } from 'kysely';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_ATTEMPTS } from '../../src/jobs/job-queue.js';
import { newId } from '../../src/support/ids.js';
import { createTestDatabase, dialectAvailable, type TestDatabase } from '../support/databases.js';
import { assertBuilt, killChildren, startFixture, waitFor } from './helpers.js';

const JOBS = 10_000;

describe('two worker processes on one PostgreSQL database', () => {
  let database: TestDatabase | undefined;
  beforeAll(() => {
    if (dialectAvailable('postgres')) assertBuilt();
  });
  afterEach(async () => {
    await killChildren();
    await database?.destroy();
  });

  it.runIf(dialectAvailable('postgres'))(`drain ${JOBS.toLocaleString('en-US')} jobs: each runs exactly once, and both processes share the work`, async () => {
    database = await createTestDatabase('postgres');
    const db = database.db.kysely;
    // No unique constraint: a job run twice would show up as a duplicate row.
    await sql`create table bulk_effects (job_id text not null, worker text not null)`.execute(db);

    const now = Date.now();
    const ids: string[] = [];
    await db.transaction().execute(async (tx) => {
      for (let start = 0; start < JOBS; start += 1000) {
        const rows = Array.from({ length: Math.min(1000, JOBS - start) }, (_, i) => {
          const id = newId('job');
          ids.push(id);
          return {
            id, org_id: null, kind: 'test.bulk', payload: JSON.stringify({ n: start + i }), state: 'pending' as const, run_at: now, attempts: 0,
            max_attempts: DEFAULT_MAX_ATTEMPTS, unique_key: null, locked_by: null, locked_until: null, last_error: null, created_at: now, updated_at: now, finished_at: null,
          };
        });
        await tx.insertInto('jobs').values(rows).execute();
      }
    });

    const env = { DATABASE_URL: database.url, WORKER_CONCURRENCY: '16' };
    const workers = [startFixture('drain-worker.mjs', [], env), startFixture('drain-worker.mjs', [], env)];
    const workerIds = await Promise.all(workers.map(async (w) => (await w.line(/^ready (\S+)$/))[1]));
    const started = performance.now();
    for (const w of workers) w.process.stdin.write('go\n');

    const completed = async () => Number((await db.selectFrom('jobs').select((eb) => eb.fn.countAll().as('n')).where('state', '=', 'completed').executeTakeFirstOrThrow()).n);
    await waitFor(`all ${JOBS} jobs to complete`, async () => (await completed()) === JOBS, 25_000, 100);
    const elapsed = performance.now() - started;
    for (const w of workers) w.process.stdin.write('stop\n');
    await Promise.all(workers.map((w) => w.line(/^stopped$/)));

    const { rows: [totals] } = await sql<{ total: number; distinct_ids: number }>`
      select count(*)::int as total, count(distinct job_id)::int as distinct_ids from bulk_effects`.execute(db);
    expect(totals).toEqual({ total: JOBS, distinct_ids: JOBS });
    const { rows: duplicates } = await sql<{ job_id: string }>`select job_id from bulk_effects group by job_id having count(*) > 1 limit 5`.execute(db);
    expect(duplicates).toEqual([]);
    const { rows: missing } = await sql<{ id: string }>`select id from jobs where id not in (select job_id from bulk_effects) limit 5`.execute(db);
    expect(missing).toEqual([]);

    const states = await db.selectFrom('jobs').select(['state', 'attempts', (eb) => eb.fn.countAll<number>().as('n')]).groupBy(['state', 'attempts']).execute();
    expect(states.map((s) => ({ ...s, n: Number(s.n) }))).toEqual([{ state: 'completed', attempts: 1, n: JOBS }]);

    const { rows: perWorker } = await sql<{ worker: string; n: number }>`select worker, count(*)::int as n from bulk_effects group by worker order by worker`.execute(db);
    expect(perWorker.map((w) => w.worker).sort()).toEqual([...workerIds].sort());
    for (const w of perWorker) expect(w.n).toBeGreaterThan(0);
    console.log(`multi-worker: ${JOBS} jobs in ${Math.round(elapsed)} ms; per worker: ${perWorker.map((w) => w.n).join(' + ')}`);
  });
});
