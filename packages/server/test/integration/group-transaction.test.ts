/**
 * `transaction()` on SQLite groups the transactions of one event-loop turn into one COMMIT, each
 * in its own SAVEPOINT (db/group-transaction.ts). Whatever the grouping, each caller must see the
 * semantics of a transaction of its own: its writes all commit or none do, a failure of one caller
 * leaves the others' writes alone, and the caller gets its own result or error. PostgreSQL runs them
 * as separate transactions: the same test holds there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/app-context.js';
import { enqueue } from '../../src/jobs/job-queue.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

describe.each(DIALECTS)('transactions started together (%s)', (dialect) => {
  const run = it.runIf(dialectAvailable(dialect));
  let app: TestApp;

  beforeAll(async () => {
    if (dialectAvailable(dialect)) app = await createTestApp(dialect);
  });
  afterAll(async () => app?.close());

  const keys = async (prefix: string) =>
    (await app.tb.ctx.db.kysely.selectFrom('jobs').select('unique_key').where('unique_key', 'like', `${prefix}%`).execute()).map((r) => r.unique_key).sort();

  run('one that throws is rolled back alone; the others commit, and each caller gets its own outcome', async () => {
    const ctx = app.tb.ctx;
    const unit = (key: string, fail: boolean) =>
      transaction(ctx, async (tx) => {
        await enqueue(tx, ctx.clock, { kind: 'test.noop', payload: {}, uniqueKey: `${key}:a` });
        await enqueue(tx, ctx.clock, { kind: 'test.noop', payload: {}, uniqueKey: `${key}:b` });
        if (fail) throw new Error(`unit ${key} failed after its writes`);
        return key;
      });
    // Started in the same turn of the event loop: on SQLite, one group.
    const outcomes = await Promise.allSettled([unit('gt1', false), unit('gt2', true), unit('gt3', false), unit('gt4', true)]);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual([
      'gt1',
      'unit gt2 failed after its writes',
      'gt3',
      'unit gt4 failed after its writes',
    ]);
    expect(await keys('gt')).toEqual(['gt1:a', 'gt1:b', 'gt3:a', 'gt3:b']);
  });

  run('a unit that breaks a constraint does not take the group down', async () => {
    const ctx = app.tb.ctx;
    const now = ctx.clock.now();
    const org = { id: 'org_gt_dup', name: 'Dup', time_zone: 'America/New_York', business_hours: '{}', settings: '{}', created_at: now, updated_at: now };
    const outcomes = await Promise.allSettled([
      transaction(ctx, async (tx) => {
        await enqueue(tx, ctx.clock, { kind: 'test.noop', payload: {}, uniqueKey: 'cx1' });
        await tx.insertInto('organizations').values(org).execute();
      }),
      transaction(ctx, async (tx) => {
        await enqueue(tx, ctx.clock, { kind: 'test.noop', payload: {}, uniqueKey: 'cx2' });
        // The same primary key again: this unit fails at the database.
        await tx.insertInto('organizations').values(org).execute();
      }),
      transaction(ctx, async (tx) => {
        await enqueue(tx, ctx.clock, { kind: 'test.noop', payload: {}, uniqueKey: 'cx3' });
      }),
    ]);
    // SQLite runs the units of a group in order, so the second insert is the duplicate; on
    // PostgreSQL they run side by side and either of the two may come second.
    const loser = outcomes.findIndex((o) => o.status === 'rejected');
    if (ctx.db.dialect.name === 'sqlite') expect(loser).toBe(1);
    expect([0, 1]).toContain(loser);
    expect(outcomes.map((o) => o.status)).toEqual(outcomes.map((_, i) => (i === loser ? 'rejected' : 'fulfilled')));
    expect(ctx.db.dialect.isUniqueViolation((outcomes[loser] as PromiseRejectedResult).reason)).toBe(true);
    expect(await keys('cx')).toEqual([loser === 0 ? 'cx2' : 'cx1', 'cx3']);
  });
});
