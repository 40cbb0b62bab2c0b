/**
 * What happens when a handler fails: exponential backoff with jitter, dead after max_attempts,
 * dead at once for a permanent error, a retry at a time the handler names, and snoozes that do
 * not count as attempts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { enqueue } from '../../src/jobs/job-queue.js';
import { defaultBackoffMs, PermanentJobError, RetryAtError } from '../../src/jobs/worker.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { createScheduler, recorder, type Scheduler } from './helpers.js';

describe.each(DIALECTS)('retrying failed jobs (%s)', (dialect) => {
  let s: Scheduler;
  beforeEach(async () => {
    if (dialectAvailable(dialect)) s = await createScheduler(dialect);
  });
  afterEach(async () => s?.close());

  it.runIf(dialectAvailable(dialect))('a failing job is retried with growing, jittered backoff, then dead after max_attempts with its last error', async () => {
    const jitter = [0, 0.5, 1, 0.25];
    let draws = 0;
    const r = recorder(s.clock, (call) => {
      throw new Error(`carrier timeout #${call}`);
    });
    const worker = s.worker({ send: r.handler }, { random: () => jitter[draws++] ?? 0 });
    const id = await enqueue(s.database.db.kysely, s.clock, { kind: 'send', payload: {}, maxAttempts: 4 });

    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(await worker.drain()).toBe(1);
      const failedAt = s.clock.now();
      const job = await s.job(id);
      expect(job).toMatchObject({ state: 'pending', attempts: attempt, last_error: `carrier timeout #${attempt}`, locked_by: null });
      const delay = job.run_at - failedAt;
      const base = defaultBackoffMs(attempt);
      // Jitter keeps the delay within [base/2, base]; the injected random picks the exact point.
      expect(delay).toBeGreaterThanOrEqual(base / 2);
      expect(delay).toBeLessThanOrEqual(base);
      expect(delay).toBe(Math.round(base * (0.5 + (jitter[attempt - 1] ?? 0) * 0.5)));
      delays.push(delay);

      // Not before its time...
      s.clock.set(job.run_at - 1);
      expect(await worker.drain()).toBe(0);
      s.clock.set(job.run_at);
    }
    expect(delays).toEqual([500, 1500, 4000]);
    expect(delays[1]).toBeGreaterThan(delays[0] ?? Infinity);
    expect(delays[2]).toBeGreaterThan(delays[1] ?? Infinity);

    // The fourth failure is the last allowed attempt: dead, with the error kept for a person to read.
    expect(await worker.drain()).toBe(1);
    expect(await s.job(id)).toMatchObject({ state: 'dead', attempts: 4, max_attempts: 4, last_error: 'carrier timeout #4', finished_at: s.clock.now(), locked_by: null });
    expect(r.calls.map((c) => c.attempt)).toEqual([1, 2, 3, 4]);
    s.clock.advance(7 * 24 * 3600_000);
    expect(await worker.drain()).toBe(0);
    expect(r.calls).toHaveLength(4);
  });

  it.runIf(dialectAvailable(dialect))('backoff without an injected random still stays within the jitter bounds', async () => {
    const worker = s.worker({
      send: async () => {
        throw new Error('nope');
      },
    });
    const ids = await Promise.all(Array.from({ length: 20 }, () => enqueue(s.database.db.kysely, s.clock, { kind: 'send', payload: {} })));
    await worker.drain();
    const now = s.clock.now();
    const delays = await Promise.all(ids.map(async (id) => (await s.job(id)).run_at - now));
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(500);
      expect(d).toBeLessThanOrEqual(1000);
    }
    // Jittered: twenty failures at the same instant do not all come back at the same instant.
    expect(new Set(delays).size).toBeGreaterThan(1);
  });

  it.runIf(dialectAvailable(dialect))('a PermanentJobError makes the job dead at once, whatever attempts are left', async () => {
    const r = recorder(s.clock, () => {
      throw new PermanentJobError('invalid destination number');
    });
    const worker = s.worker({ send: r.handler });
    const id = await enqueue(s.database.db.kysely, s.clock, { kind: 'send', payload: {}, maxAttempts: 10 });
    expect(await worker.drain()).toBe(1);
    expect(await s.job(id)).toMatchObject({ state: 'dead', attempts: 1, last_error: 'invalid destination number', finished_at: s.clock.now() });
    s.clock.advance(24 * 3600_000);
    expect(await worker.drain()).toBe(0);
    expect(r.calls).toHaveLength(1);
  });

  it.runIf(dialectAvailable(dialect))('a job of a kind nobody handles is dead at once, saying so', async () => {
    const worker = s.worker({});
    const id = await enqueue(s.database.db.kysely, s.clock, { kind: 'unknown.kind', payload: {} });
    expect(await worker.drain()).toBe(1);
    expect(await s.job(id)).toMatchObject({ state: 'dead', attempts: 1, last_error: 'no handler for job kind unknown.kind' });
  });

  it.runIf(dialectAvailable(dialect))('a RetryAtError is retried at the time it names, not after the backoff', async () => {
    const retryAt = s.clock.now() + 90_000;
    const r = recorder(s.clock, (call) => {
      if (call === 1) throw new RetryAtError('429 Too Many Requests', retryAt);
    });
    const worker = s.worker({ send: r.handler }, { random: () => 0 });
    const id = await enqueue(s.database.db.kysely, s.clock, { kind: 'send', payload: {}, maxAttempts: 3 });
    expect(await worker.drain()).toBe(1);
    expect(await s.job(id)).toMatchObject({ state: 'pending', run_at: retryAt, attempts: 1, last_error: '429 Too Many Requests' });
    s.clock.set(retryAt - 1);
    expect(await worker.drain()).toBe(0);
    s.clock.set(retryAt);
    expect(await worker.drain()).toBe(1);
    expect(r.calls.map((c) => [c.attempt, c.at])).toEqual([
      [1, retryAt - 90_000],
      [2, retryAt],
    ]);
    expect(await s.job(id)).toMatchObject({ state: 'completed', attempts: 2 });
  });

  it.runIf(dialectAvailable(dialect))('a RetryAtError on the last attempt makes the job dead', async () => {
    const worker = s.worker({
      send: async () => {
        throw new RetryAtError('429 Too Many Requests', s.clock.now() + 60_000);
      },
    });
    const id = await enqueue(s.database.db.kysely, s.clock, { kind: 'send', payload: {}, maxAttempts: 1 });
    expect(await worker.drain()).toBe(1);
    expect(await s.job(id)).toMatchObject({ state: 'dead', attempts: 1, last_error: '429 Too Many Requests' });
  });

  it.runIf(dialectAvailable(dialect))('a snoozed job is rescheduled without using up an attempt', async () => {
    const start = s.clock.now();
    const hour = 3600_000;
    // Three snoozes (quiet hours), one real failure, then success: with only two attempts allowed,
    // this completes only if snoozes do not count.
    const r = recorder(s.clock, (call) => {
      if (call <= 3) return { snoozeUntil: start + call * hour };
      if (call === 4) throw new Error('carrier hiccup');
      return undefined;
    });
    const worker = s.worker({ send: r.handler }, { random: () => 0 });
    const id = await enqueue(s.database.db.kysely, s.clock, { kind: 'send', payload: {}, maxAttempts: 2 });

    for (let snooze = 1; snooze <= 3; snooze++) {
      expect(await worker.drain()).toBe(1);
      expect(await s.job(id)).toMatchObject({ state: 'pending', attempts: 0, run_at: start + snooze * hour, last_error: null, locked_by: null });
      s.clock.set(start + snooze * hour - 1);
      expect(await worker.drain()).toBe(0);
      s.clock.set(start + snooze * hour);
    }
    expect(await worker.drain()).toBe(1);
    const failed = await s.job(id);
    expect(failed).toMatchObject({ state: 'pending', attempts: 1, last_error: 'carrier hiccup' });
    s.clock.set(failed.run_at);
    expect(await worker.drain()).toBe(1);
    expect(await s.job(id)).toMatchObject({ state: 'completed', attempts: 2 });
    expect(r.calls.map((c) => c.attempt)).toEqual([1, 1, 1, 1, 2]);
  });
});
