/**
 * Real time, in one process: a worker running a long job keeps extending its lease, even when all
 * its slots are busy and the lease is short, so another worker never takes the job over.
 * (No fixed sleeps: the test waits until the lease has been extended well past its first expiry.)
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { enqueue } from '../../src/jobs/job-queue.js';
import { Worker } from '../../src/jobs/worker.js';
import { systemClock } from '../../src/support/clock.js';
import { createLogger } from '../../src/support/logger.js';
import { createTestDatabase, DIALECTS, dialectAvailable, type TestDatabase } from '../support/databases.js';
import { waitFor } from './helpers.js';

const LEASE = 600;

describe.each(DIALECTS)('lease extension under a real clock (%s)', (dialect) => {
  let database: TestDatabase;
  const workers: Worker[] = [];
  let release = () => {};
  beforeEach(async () => {
    if (dialectAvailable(dialect)) database = await createTestDatabase(dialect);
  });
  afterEach(async () => {
    release();
    await Promise.all(workers.map((w) => w.stop()));
    workers.length = 0;
    await database?.destroy();
  });

  it.runIf(dialectAvailable(dialect))('a busy worker with a short lease keeps its long job; a second worker never runs it', async () => {
    const released = new Promise<void>((resolve) => (release = resolve));
    const runs: string[] = [];
    const make = (workerId: string) =>
      new Worker({
        db: database.db,
        clock: systemClock,
        logger: createLogger('silent'),
        workerId,
        concurrency: 1,
        leaseMs: LEASE,
        pollIntervalMs: 100,
        handlers: {
          long: async () => {
            runs.push(workerId);
            await released;
          },
        },
      });
    const first = make('first');
    workers.push(first);
    const id = await enqueue(database.db.kysely, systemClock, { kind: 'long', payload: {} });
    first.start();
    const claimed = await waitFor('the first worker to claim the job', async () => {
      const job = await database.db.kysely.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return job.state === 'running' && job.locked_until !== null ? job.locked_until : undefined;
    });
    const second = make('second');
    workers.push(second);
    second.start();

    // Three leases' worth of time: either the lease keeps moving, or the second worker takes the job.
    await waitFor('the lease to be extended three times over, or the job to be taken over', async () => {
      const job = await database.db.kysely.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return runs.length > 1 || job.state !== 'running' || (job.locked_until ?? 0) >= claimed + 3 * LEASE;
    });
    expect(runs).toEqual(['first']);
    expect(await database.db.kysely.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow()).toMatchObject({ state: 'running', locked_by: 'first' });

    release();
    await waitFor('the job to complete', async () => {
      const job = await database.db.kysely.selectFrom('jobs').select('state').where('id', '=', id).executeTakeFirstOrThrow();
      return job.state === 'completed';
    });
    expect(runs).toEqual(['first']);
    expect(await database.db.kysely.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow()).toMatchObject({ attempts: 1, last_error: null });
  });
});
