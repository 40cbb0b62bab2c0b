/**
 * The write side of the durable scheduler: jobs commit (or roll back) with the domain write, wait
 * for their time however far away, and unique keys keep at most one pending job per key.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cancelByKey, enqueue } from '../../src/jobs/job-queue.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { createScheduler, recorder, type Scheduler } from './helpers.js';

const SECOND = 1000;
const WEEK = 7 * 24 * 3600 * SECOND;

describe.each(DIALECTS)('enqueueing jobs (%s)', (dialect) => {
  let s: Scheduler;
  beforeEach(async () => {
    if (dialectAvailable(dialect)) s = await createScheduler(dialect);
  });
  afterEach(async () => s?.close());

  it.runIf(dialectAvailable(dialect))('a job enqueued in a rolled-back transaction does not exist; one committed with its write runs and sees the write', async () => {
    const db = s.database.db.kysely;
    const now = s.clock.now();
    const seen: (string | undefined)[] = [];
    const worker = s.worker({
      'org.welcome': async (payload: { orgId: string }) => {
        const org = await db.selectFrom('organizations').select('name').where('id', '=', payload.orgId).executeTakeFirst();
        seen.push(org?.name);
      },
    });
    const org = (id: string, name: string) => ({ id, name, time_zone: 'America/New_York', business_hours: '{}', settings: '{}', created_at: now, updated_at: now });

    await expect(
      db.transaction().execute(async (tx) => {
        await tx.insertInto('organizations').values(org('org_rolledback', 'Rolled back')).execute();
        await enqueue(tx, s.clock, { kind: 'org.welcome', payload: { orgId: 'org_rolledback' }, orgId: 'org_rolledback' });
        throw new Error('validation failed after the writes');
      }),
    ).rejects.toThrow('validation failed after the writes');
    expect(await s.jobs()).toEqual([]);
    expect(await db.selectFrom('organizations').selectAll().execute()).toEqual([]);
    expect(await worker.drain()).toBe(0);

    const jobId = await db.transaction().execute(async (tx) => {
      await tx.insertInto('organizations').values(org('org_committed', 'Committed')).execute();
      return enqueue(tx, s.clock, { kind: 'org.welcome', payload: { orgId: 'org_committed' }, orgId: 'org_committed' });
    });
    expect(await s.job(jobId)).toMatchObject({ state: 'pending', org_id: 'org_committed', kind: 'org.welcome', run_at: now });
    expect(await worker.drain()).toBe(1);
    expect(seen).toEqual(['Committed']);
    expect(await s.job(jobId)).toMatchObject({ state: 'completed', attempts: 1, finished_at: now });
    expect(await worker.drain()).toBe(0);
    expect(seen).toHaveLength(1);
  });

  it.runIf(dialectAvailable(dialect))('a job due in the future waits for its time, seconds or weeks away, and then runs once', async () => {
    const r = recorder<{ n: string }>(s.clock);
    const worker = s.worker({ remind: r.handler });
    const start = s.clock.now();
    const soon = await enqueue(s.database.db.kysely, s.clock, { kind: 'remind', payload: { n: 'soon' }, runAt: start + 30 * SECOND });
    const later = await enqueue(s.database.db.kysely, s.clock, { kind: 'remind', payload: { n: 'later' }, runAt: start + 3 * WEEK });

    expect(await worker.drain()).toBe(0);
    s.clock.set(start + 30 * SECOND - 1);
    expect(await worker.drain()).toBe(0);
    expect(r.calls).toEqual([]);

    s.clock.set(start + 30 * SECOND);
    expect(await worker.drain()).toBe(1);
    expect(r.calls).toMatchObject([{ payload: { n: 'soon' }, at: start + 30 * SECOND, jobId: soon }]);

    s.clock.set(start + 3 * WEEK - 1);
    expect(await worker.drain()).toBe(0);
    expect(await s.job(later)).toMatchObject({ state: 'pending', attempts: 0 });

    s.clock.set(start + 3 * WEEK);
    expect(await worker.drain()).toBe(1);
    expect(r.calls.map((c) => c.payload.n)).toEqual(['soon', 'later']);
    expect(r.calls[1]).toMatchObject({ jobId: later, at: start + 3 * WEEK });

    s.clock.advance(10 * WEEK);
    expect(await worker.drain()).toBe(0);
    expect(r.calls).toHaveLength(2);
    expect((await s.jobs()).map((j) => j.state)).toEqual(['completed', 'completed']);
  });

  it.runIf(dialectAvailable(dialect))('a unique key keeps one pending job; enqueueing again keeps the first, or moves it with replace', async () => {
    const db = s.database.db.kysely;
    const r = recorder<{ v: number }>(s.clock);
    const worker = s.worker({ followup: r.handler });
    const start = s.clock.now();

    const first = await enqueue(db, s.clock, { kind: 'followup', payload: { v: 1 }, runAt: start + 60 * SECOND, uniqueKey: 'followup:conv_1' });
    const second = await enqueue(db, s.clock, { kind: 'followup', payload: { v: 2 }, runAt: start + 10 * SECOND, uniqueKey: 'followup:conv_1' });
    expect(second).toBe(first);
    expect(await s.jobs()).toMatchObject([{ id: first, state: 'pending', payload: JSON.stringify({ v: 1 }), run_at: start + 60 * SECOND }]);

    const replaced = await enqueue(db, s.clock, { kind: 'followup', payload: { v: 3 }, runAt: start + 2 * WEEK, uniqueKey: 'followup:conv_1', replace: true });
    expect(replaced).toBe(first);
    expect(await s.jobs()).toMatchObject([{ id: first, state: 'pending', payload: JSON.stringify({ v: 3 }), run_at: start + 2 * WEEK }]);

    // Neither the first nor the second run time fires any more.
    s.clock.set(start + 60 * SECOND);
    expect(await worker.drain()).toBe(0);
    s.clock.set(start + 2 * WEEK);
    expect(await worker.drain()).toBe(1);
    expect(r.calls).toMatchObject([{ payload: { v: 3 }, jobId: first }]);

    // Once it ran, the key is free again: a new job is created, and runs.
    const next = await enqueue(db, s.clock, { kind: 'followup', payload: { v: 4 }, runAt: start + 3 * WEEK, uniqueKey: 'followup:conv_1' });
    expect(next).not.toBe(first);
    expect(await s.job(next)).toMatchObject({ state: 'pending', unique_key: 'followup:conv_1' });
    s.clock.set(start + 3 * WEEK);
    expect(await worker.drain()).toBe(1);
    expect(r.calls.map((c) => c.payload.v)).toEqual([3, 4]);
    expect((await s.jobs()).map((j) => j.state)).toEqual(['completed', 'completed']);
  });

  it.runIf(dialectAvailable(dialect))('cancelByKey removes the pending job: it never runs, even long after its time', async () => {
    const db = s.database.db.kysely;
    const r = recorder(s.clock);
    const worker = s.worker({ followup: r.handler });
    const start = s.clock.now();
    const cancelled = await enqueue(db, s.clock, { kind: 'followup', payload: {}, runAt: start + 60 * SECOND, uniqueKey: 'followup:conv_2' });
    const other = await enqueue(db, s.clock, { kind: 'followup', payload: {}, runAt: start + 60 * SECOND, uniqueKey: 'followup:conv_3' });

    expect(await cancelByKey(db, s.clock, 'followup:conv_2')).toBe(1);
    expect(await cancelByKey(db, s.clock, 'followup:conv_2')).toBe(0);
    expect(await cancelByKey(db, s.clock, 'followup:nobody')).toBe(0);

    s.clock.advance(4 * WEEK);
    expect(await worker.drain()).toBe(1);
    expect(r.calls.map((c) => c.jobId)).toEqual([other]);
    expect(await s.job(cancelled)).toMatchObject({ state: 'cancelled', attempts: 0, finished_at: start });
  });

  it.runIf(dialectAvailable(dialect))('a job already running keeps running; enqueueing its key meanwhile makes a new pending job', async () => {
    const db = s.database.db.kysely;
    const first = await enqueue(db, s.clock, { kind: 'sync', payload: { v: 1 }, uniqueKey: 'sync:contact_1' });
    let cancelledWhileRunning = -1;
    let second = '';
    const r = recorder<{ v: number }>(s.clock, async (call) => {
      if (call === 1) {
        // While the first runs, a cancel does not reach it, and a new change asks for another sync.
        cancelledWhileRunning = await cancelByKey(db, s.clock, 'sync:contact_1');
        second = await enqueue(db, s.clock, { kind: 'sync', payload: { v: 2 }, uniqueKey: 'sync:contact_1' });
      }
    });
    const worker = s.worker({ sync: r.handler }, { concurrency: 1 });
    expect(await worker.drain()).toBe(2);
    expect(cancelledWhileRunning).toBe(0);
    expect(second).not.toBe(first);
    expect(r.calls.map((c) => [c.jobId, c.payload.v])).toEqual([
      [first, 1],
      [second, 2],
    ]);
    expect((await s.jobs()).map((j) => j.state)).toEqual(['completed', 'completed']);
  });

  it.runIf(dialectAvailable(dialect))('a running job that fails while a newer job holds its key is superseded, not retried: the newer one runs', async () => {
    const db = s.database.db.kysely;
    const first = await enqueue(db, s.clock, { kind: 'sync', payload: { v: 1 }, uniqueKey: 'sync:contact_9' });
    let second = '';
    const r = recorder<{ v: number }>(s.clock, async (call) => {
      if (call === 1) {
        second = await enqueue(db, s.clock, { kind: 'sync', payload: { v: 2 }, uniqueKey: 'sync:contact_9' });
        throw new Error('remote CRM timed out');
      }
    });
    const worker = s.worker({ sync: r.handler }, { concurrency: 1, random: () => 0 });
    expect(await worker.drain()).toBe(2);
    s.clock.advance(24 * 3600_000);
    expect(await worker.drain()).toBe(0);
    expect(r.calls.map((c) => c.jobId)).toEqual([first, second]);
    expect(await s.job(first)).toMatchObject({ state: 'completed', last_error: 'superseded by a newer job with the same key' });
    expect(await s.job(second)).toMatchObject({ state: 'completed', attempts: 1 });
  });
});
