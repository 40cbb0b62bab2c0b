/**
 * `insertRows` / `insertRowsReturning` (db/insert-rows.ts) reuse the SQL of an INSERT shape after
 * its first use. Whatever the cache does, every call must write exactly its own values: a second
 * row of the same shape, rows with a column left undefined, several rows at once, a clause that
 * returns or skips on conflict, and a value that is an expression (never cached). On both databases.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { insertRows, insertRowsReturning } from '../../src/db/insert-rows.js';
import { dialectAvailable, DIALECTS, useTestDatabase } from '../support/databases.js';

describe.each(DIALECTS)('INSERTs with their SQL written once (%s)', (dialect) => {
  const run = it.runIf(dialectAvailable(dialect));
  const db = useTestDatabase(dialect, async (fresh) => {
    await sql`INSERT INTO organizations (id, name, time_zone, business_hours, settings, created_at, updated_at) VALUES ('org_x', 'X', 'UTC', '{}', '{}', 0, 0)`.execute(fresh.kysely);
  });

  const event = (subject: string, data: string, at: number) => ({
    org_id: 'org_x',
    type: 'test.event',
    subject_type: 'test',
    subject_id: subject,
    data,
    created_at: at,
  });
  const stored = async (prefix: string) =>
    (
      await db().kysely
        .selectFrom('events')
        .select(['subject_id', 'data', 'created_at'])
        .where('subject_id', 'like', `${prefix}%`)
        .orderBy('subject_id')
        .execute()
    ).map((r) => [r.subject_id, r.data, Number(r.created_at)]);

  run('the same shape twice writes each call its own values', async () => {
    await insertRows(db().kysely, 'events', [event('s1', '{"n":1}', 1)]);
    await insertRows(db().kysely, 'events', [event('s2', '{"n":2}', 2)]);
    await insertRows(db().kysely, 'events', [event('s3', '{"n":3}', 3), event('s4', '{"n":4}', 4)]);
    await insertRows(db().kysely, 'events', [event('s5', '{"n":5}', 5), event('s6', '{"n":6}', 6)]);
    expect(await stored('s')).toEqual([
      ['s1', '{"n":1}', 1],
      ['s2', '{"n":2}', 2],
      ['s3', '{"n":3}', 3],
      ['s4', '{"n":4}', 4],
      ['s5', '{"n":5}', 5],
      ['s6', '{"n":6}', 6],
    ]);
  });

  const contact = (id: string, e164: string, name?: string) => ({ id, org_id: 'org_x', e164, name, source: 'test', time_zone: null, attributes: '{}', created_at: 1, updated_at: 1 });
  const contacts = async (prefix: string) =>
    (await db().kysely.selectFrom('contacts').select(['id', 'e164', 'name']).where('id', 'like', `${prefix}%`).orderBy('id').execute()).map((r) => [r.id, r.e164, r.name]);

  run('an undefined value leaves its column out (NULL), in a shape of its own', async () => {
    await insertRows(db().kysely, 'contacts', [contact('u_1', '+14155550111')]);
    await insertRows(db().kysely, 'contacts', [contact('u_2', '+14155550112', 'Ann')]);
    await insertRows(db().kysely, 'contacts', [contact('u_3', '+14155550113')]);
    expect(await contacts('u_')).toEqual([
      ['u_1', '+14155550111', null],
      ['u_2', '+14155550112', 'Ann'],
      ['u_3', '+14155550113', null],
    ]);
  });

  run('rows whose columns differ are written as Kysely writes them', async () => {
    await insertRows(db().kysely, 'contacts', [contact('d_1', '+14155550121', 'Bo'), contact('d_2', '+14155550122')]);
    expect(await contacts('d_')).toEqual([
      ['d_1', '+14155550121', 'Bo'],
      ['d_2', '+14155550122', null],
    ]);
  });

  run('ON CONFLICT DO NOTHING RETURNING: the new row returns its id, a duplicate returns nothing (cached or not)', async () => {
    const insertContact = (id: string, e164: string) =>
      insertRowsReturning(db().kysely, 'contacts', [contact(id, e164)], {
        key: 'test-new-e164',
        build: (q) => q.onConflict((oc) => oc.columns(['org_id', 'e164']).doNothing()).returning('id'),
      });
    expect(await insertContact('ct_1', '+14155550101')).toEqual([{ id: 'ct_1' }]);
    expect(await insertContact('ct_2', '+14155550102')).toEqual([{ id: 'ct_2' }]);
    expect(await insertContact('ct_3', '+14155550101')).toEqual([]);
    expect(await contacts('ct_')).toEqual([
      ['ct_1', '+14155550101', null],
      ['ct_2', '+14155550102', null],
    ]);
  });

  run('a value that is an expression is compiled by Kysely every time', async () => {
    await insertRows(db().kysely, 'events', [{ ...event('x1', '{}', 0), created_at: sql<number>`${30} + 1` as unknown as number }]);
    await insertRows(db().kysely, 'events', [{ ...event('x2', '{}', 0), created_at: sql<number>`${40} + 2` as unknown as number }]);
    expect(await stored('x')).toEqual([
      ['x1', '{}', 31],
      ['x2', '{}', 42],
    ]);
  });

  run('inside a transaction that rolls back, nothing stays', async () => {
    await db().kysely
      .transaction()
      .execute(async (tx) => {
        await insertRows(tx, 'events', [event('r1', '{}', 50)]);
        throw new Error('roll back');
      })
      .catch(() => {});
    expect(await stored('r')).toEqual([]);
  });
});
