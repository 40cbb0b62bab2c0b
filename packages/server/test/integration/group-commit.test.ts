/**
 * The webhook fast path's group commit (jobs/group-commit.ts), on both databases: each caller is
 * answered after its job is committed, a key already pending is not enqueued twice, work already
 * done is not enqueued at all, a batch smaller than the last one still commits (after lingering),
 * and another process's committer on the same database sees the same pending job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { GroupCommitter, type AlreadyDone, type KeyedJob } from '../../src/jobs/group-commit.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';

const storedMessage: AlreadyDone = {
  table: 'messages',
  columns: ['carrier', 'carrier_message_id'],
  values: (job) => {
    const p = job.payload as { carrier: string; id: string };
    return [p.carrier, p.id];
  },
};

describe.each(DIALECTS)('group commit (%s)', (dialect) => {
  const run = it.runIf(dialectAvailable(dialect));
  let app: TestApp;
  let org: TestOrg;
  let committer: GroupCommitter;
  let signals = 0;

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    org = await createTestOrg(app);
    committer = new GroupCommitter(app.tb.ctx.db, app.clock, () => signals++, storedMessage);
  });
  afterAll(async () => app?.close());

  const job = (key: string, carrier = 'test'): KeyedJob => ({ kind: 'test.noop', orgId: org.orgId, payload: { carrier, id: key }, uniqueKey: `t:${carrier}:${key}`, maxAttempts: 3 });
  const pendingOf = async (key: string) =>
    app.tb.ctx.db.kysely.selectFrom('jobs').select(['id', 'payload', 'max_attempts', 'run_at']).where('unique_key', '=', key).where('state', '=', 'pending').execute();

  run('every caller of a batch gets its own job, already committed when it is answered', async () => {
    const keys = Array.from({ length: 25 }, (_, i) => `gc-a-${i}`);
    const before = signals;
    const ids = await Promise.all(keys.map((k) => committer.enqueue(job(k))));
    expect(new Set(ids).size).toBe(25);
    expect(signals).toBeGreaterThan(before);
    for (const [i, k] of keys.entries()) {
      const rows = await pendingOf(`t:test:${k}`);
      expect(rows).toEqual([{ id: ids[i], payload: JSON.stringify({ carrier: 'test', id: k }), max_attempts: 3, run_at: app.clock.now() }]);
    }
  });

  run('a key already pending, or twice in one batch, is one job: each caller gets its id', async () => {
    const first = await committer.enqueue(job('gc-b-1'));
    const [again, other, twice1, twice2] = await Promise.all([
      committer.enqueue(job('gc-b-1')),
      committer.enqueue(job('gc-b-2')),
      committer.enqueue(job('gc-b-3')),
      committer.enqueue(job('gc-b-3')),
    ]);
    expect(again).toBe(first);
    expect(twice1).toBe(twice2);
    expect(new Set([first, other, twice1]).size).toBe(3);
    for (const k of ['gc-b-1', 'gc-b-2', 'gc-b-3']) expect(await pendingOf(`t:test:${k}`)).toHaveLength(1);
  });

  run('work already done (a stored message with that carrier id) is not enqueued: null, nothing written', async () => {
    await api(app, org, 'POST', '/v1/sandbox/webhooks/messages', { id: 'SM-gc-done', from: '+14155550351', to: org.number, body: 'hello' });
    await app.drain();
    const jobs = await app.tb.ctx.db.kysely.selectFrom('jobs').select('id').execute();
    const [done, fresh] = await Promise.all([committer.enqueue(job('SM-gc-done', 'sandbox')), committer.enqueue(job('SM-gc-fresh', 'sandbox'))]);
    expect(done).toBeNull();
    expect(fresh).toEqual(expect.any(String));
    expect(await app.tb.ctx.db.kysely.selectFrom('jobs').select('id').execute()).toHaveLength(jobs.length + 1);
    expect(await pendingOf('t:sandbox:SM-gc-done')).toHaveLength(0);
  });

  run('a burst larger than one batch is written in several, each caller answered with its own job', async () => {
    const keys = Array.from({ length: 230 }, (_, i) => `gc-e-${i}`);
    const ids = await Promise.all(keys.map((k) => committer.enqueue(job(k))));
    expect(new Set(ids).size).toBe(230);
    const rows = await app.tb.ctx.db.kysely.selectFrom('jobs').select(['id', 'unique_key']).where('unique_key', 'like', 't:test:gc-e-%').where('state', '=', 'pending').execute();
    expect(new Map(rows.map((r) => [r.unique_key, r.id]))).toEqual(new Map(keys.map((k, i) => [`t:test:${k}`, ids[i]])));
  });

  run('a batch smaller than the last one lingers, then commits all the same', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, i) => committer.enqueue(job(`gc-c-${i}`))));
    // Ten callers were answered; only one comes back: it is written after the linger, not never.
    const id = await committer.enqueue(job('gc-c-alone'));
    expect(await pendingOf('t:test:gc-c-alone')).toEqual([expect.objectContaining({ id })]);
  });

  run("another process's committer on the same database sees the pending job and adds none", async () => {
    const second = openDatabase(app.database.url);
    try {
      const elsewhere = new GroupCommitter(second, app.clock, () => {}, storedMessage);
      const key = 'gc-d-1';
      const [here, there] = await Promise.all([committer.enqueue(job(key)), elsewhere.enqueue(job(key))]);
      expect(here).toBe(there);
      expect(await pendingOf(`t:test:${key}`)).toEqual([expect.objectContaining({ id: here })]);
    } finally {
      await second.close();
    }
  });
});
