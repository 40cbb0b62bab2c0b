/**
 * Leases: a job claimed by a worker that dies is taken over by another worker once its lease
 * expires (and not before), runs once, and goes dead if it has no attempts left.
 */
import os from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { enqueue } from '../../src/jobs/job-queue.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { createScheduler, recorder, waitFor, type Scheduler } from './helpers.js';

const LEASE = 30_000;

describe.each(DIALECTS)('leases and rescue (%s)', (dialect) => {
  let s: Scheduler;
  beforeEach(async () => {
    if (dialectAvailable(dialect)) s = await createScheduler(dialect);
  });
  afterEach(async () => s?.close());

  it.runIf(dialectAvailable(dialect))('a job whose worker died is rescued by another worker after the lease expires, not before, and runs once', async () => {
    const crashed = s.worker({}, { workerId: 'worker-that-dies', leaseMs: LEASE });
    const r = recorder(s.clock);
    const survivor = s.worker({ send: r.handler }, { workerId: 'survivor', leaseMs: LEASE });
    const id = await enqueue(s.database.db.kysely, s.clock, { kind: 'send', payload: { to: '+14155550100' } });
    const claimedAt = s.clock.now();

    // The first worker claims the job and dies before finishing it.
    expect((await crashed.claim(10)).map((j) => j.id)).toEqual([id]);
    expect(await s.job(id)).toMatchObject({ state: 'running', locked_by: 'worker-that-dies', locked_until: claimedAt + LEASE, attempts: 1 });

    // While the lease holds, nobody else runs it, even at the very last millisecond.
    expect(await survivor.drain()).toBe(0);
    s.clock.set(claimedAt + LEASE);
    expect(await survivor.drain()).toBe(0);
    expect(r.calls).toEqual([]);
    expect(await s.job(id)).toMatchObject({ state: 'running', locked_by: 'worker-that-dies' });

    // Past the lease, the survivor puts it back and runs it.
    s.clock.set(claimedAt + LEASE + 1);
    expect(await survivor.drain()).toBe(1);
    expect(r.calls).toMatchObject([{ jobId: id, attempt: 2, payload: { to: '+14155550100' } }]);
    expect(await s.job(id)).toMatchObject({ state: 'completed', attempts: 2, locked_by: null, locked_until: null });

    // Once.
    s.clock.advance(10 * LEASE);
    expect(await survivor.drain()).toBe(0);
    expect(r.calls).toHaveLength(1);
  });

  it.runIf(dialectAvailable(dialect))(`a job left running by a process that is gone is run ${dialect === 'sqlite' ? 'right after start-up (SQLite: one process owns the database)' : 'only after its lease (PostgreSQL: shared by several processes)'}`, async () => {
    const r = recorder(s.clock);
    const id = await enqueue(s.database.db.kysely, s.clock, { kind: 'send', payload: { to: '+14155550100' } });
    // What a crash leaves: the job running, claimed by a process of this machine that no longer
    // exists (no pid is that large), its lease far in the future.
    const gone = `${os.hostname()}:2147483646:abcdef`;
    await s.database.db.kysely.updateTable('jobs').set({ state: 'running', locked_by: gone, locked_until: s.clock.now() + 10 * LEASE, attempts: 1 }).where('id', '=', id).execute();
    // Another worker of this process that is alive keeps its job.
    const alive = s.worker({}, { workerId: 'alive-in-this-process', leaseMs: LEASE });
    const kept = await enqueue(s.database.db.kysely, s.clock, { kind: 'send', payload: { to: '+14155550101' } });
    expect((await alive.claim(1)).map((j) => j.id)).toEqual([kept]);

    const restarted = s.worker({ send: r.handler }, { leaseMs: LEASE });
    if (dialect === 'sqlite') {
      expect(await restarted.drain()).toBe(1);
      expect(r.calls).toMatchObject([{ jobId: id, attempt: 2, at: s.clock.now() }]);
      expect(await s.job(id)).toMatchObject({ state: 'completed', attempts: 2 });
      expect((await s.job(id)).last_error).toContain(gone);
    } else {
      expect(await restarted.drain()).toBe(0);
      expect(await s.job(id)).toMatchObject({ state: 'running', locked_by: gone });
    }
    expect(await s.job(kept)).toMatchObject({ state: 'running', locked_by: 'alive-in-this-process' });
  });

  it.runIf(dialectAvailable(dialect))('a rescued job with no attempts left is dead, with the reason', async () => {
    const crashed = s.worker({}, { workerId: 'worker-that-dies', leaseMs: LEASE });
    const r = recorder(s.clock);
    const survivor = s.worker({ send: r.handler }, { leaseMs: LEASE });
    const id = await enqueue(s.database.db.kysely, s.clock, { kind: 'send', payload: {}, maxAttempts: 1 });
    expect(await crashed.claim(10)).toHaveLength(1);

    s.clock.advance(LEASE + 1);
    expect(await survivor.drain()).toBe(0);
    expect(r.calls).toEqual([]);
    const job = await s.job(id);
    expect(job).toMatchObject({ state: 'dead', attempts: 1, locked_by: null, finished_at: s.clock.now() });
    expect(job.last_error).toMatch(/lease expired.*worker-that-dies/);
  });

  it.runIf(dialectAvailable(dialect))('a rescued job whose key was enqueued again meanwhile is cancelled: only the newer job runs', async () => {
    const db = s.database.db.kysely;
    const crashed = s.worker({}, { workerId: 'worker-that-dies', leaseMs: LEASE });
    const r = recorder<{ v: number }>(s.clock);
    const survivor = s.worker({ remind: r.handler }, { leaseMs: LEASE });
    const old = await enqueue(db, s.clock, { kind: 'remind', payload: { v: 1 }, uniqueKey: 'remind:conv_1' });
    expect(await crashed.claim(10)).toHaveLength(1);
    const newer = await enqueue(db, s.clock, { kind: 'remind', payload: { v: 2 }, uniqueKey: 'remind:conv_1', runAt: s.clock.now() + LEASE * 2 });
    expect(newer).not.toBe(old);

    s.clock.advance(LEASE + 1);
    expect(await survivor.drain()).toBe(0);
    expect(await s.job(old)).toMatchObject({ state: 'cancelled', last_error: 'superseded by a newer job with the same key' });
    s.clock.advance(LEASE);
    expect(await survivor.drain()).toBe(1);
    s.clock.advance(10 * LEASE);
    expect(await survivor.drain()).toBe(0);
    expect(r.calls.map((c) => [c.jobId, c.payload.v])).toEqual([[newer, 2]]);
  });

  it.runIf(dialectAvailable(dialect))('two workers claiming at the same time never get the same job', async () => {
    const a = s.worker({}, { workerId: 'a' });
    const b = s.worker({}, { workerId: 'b' });
    const ids = new Set<string>();
    for (let i = 0; i < 40; i++) ids.add(await enqueue(s.database.db.kysely, s.clock, { kind: 'send', payload: { i } }));
    const claims = await Promise.all([a.claim(25), b.claim(25), a.claim(25), b.claim(25)]);
    const claimed = claims.flat().map((j) => j.id);
    expect(claimed).toHaveLength(40);
    expect(new Set(claimed)).toEqual(ids);
  });

  it.runIf(dialectAvailable(dialect))('a worker whose loop wakes after its lease ran out keeps the job it is still running', async () => {
    // The live loop (start()) runs on real timers; the test only waits for it to make progress.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const r = recorder(s.clock, async () => {
      started();
      await released;
    });
    const worker = s.worker({ send: r.handler }, { workerId: 'slow', leaseMs: LEASE, concurrency: 1, pollIntervalMs: 10 });
    const id = await enqueue(s.database.db.kysely, s.clock, { kind: 'send', payload: {} });
    worker.start();
    try {
      await running;
      // The process stalled (a long GC pause, a suspended laptop) for longer than the lease, and nobody took the job over.
      const late = s.clock.advance(LEASE + 5_000);
      worker.wake();
      await waitFor('the worker loop to run a cycle', async () => worker.lastTickAt === late);
      expect(await s.job(id)).toMatchObject({ state: 'running', locked_by: 'slow', locked_until: late + LEASE });
      release();
      await waitFor('the job to complete', async () => (await s.job(id)).state === 'completed');
    } finally {
      release();
      await worker.stop();
    }
    expect(r.calls).toHaveLength(1);
    expect(await s.job(id)).toMatchObject({ state: 'completed', attempts: 1 });
  });
});
