/**
 * `prepared` (db/prepared.ts) builds a query's SQL once and then only binds values. Whatever it
 * caches, each run must answer for its own values, constants of the builder must stay in place, a
 * transaction must see its own writes, and a misuse (a value the builder changes) is refused. On
 * both databases.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { prepared } from '../../src/db/prepared.js';
import { dialectAvailable, DIALECTS, useTestDatabase } from '../support/databases.js';

const byE164 = prepared((db, v: { orgId: string; e164: string }) => db.selectFrom('contacts').select(['id', 'name']).where('org_id', '=', v.orgId).where('e164', '=', v.e164));
// A constant of the builder ('call') between two values, and a constant list.
const bySource = prepared((db, v: { orgId: string; after: number }) =>
  db.selectFrom('contacts').select('id').where('org_id', '=', v.orgId).where('source', '=', 'call').where('created_at', '>', v.after).where('name', 'not in', ['Spam', 'Robot']).orderBy('id'),
);
const misused = prepared((db, v: { name: string }) => db.selectFrom('contacts').select('id').where('name', 'like', `${v.name}%`));

describe.each(DIALECTS)('queries built once (%s)', (dialect) => {
  const run = it.runIf(dialectAvailable(dialect));
  const db = useTestDatabase(dialect, async (fresh) => {
    await sql`INSERT INTO organizations (id, name, time_zone, business_hours, settings, created_at, updated_at) VALUES ('org_p', 'P', 'UTC', '{}', '{}', 0, 0), ('org_q', 'Q', 'UTC', '{}', '{}', 0, 0)`.execute(fresh.kysely);
    const contact = (id: string, org: string, e164: string, name: string, source: string, at: number) => ({ id, org_id: org, e164, name, source, time_zone: null, attributes: '{}', created_at: at, updated_at: at });
    await fresh.kysely
      .insertInto('contacts')
      .values([
        contact('c1', 'org_p', '+14155550001', 'Ann', 'call', 10),
        contact('c2', 'org_p', '+14155550002', 'Bo', 'call', 20),
        contact('c3', 'org_p', '+14155550003', 'Spam', 'call', 30),
        contact('c4', 'org_p', '+14155550004', 'Cy', 'import', 40),
        contact('c5', 'org_q', '+14155550001', 'Di', 'call', 50),
      ])
      .execute();
  });

  run('each run answers for its own values', async () => {
    expect(await byE164.first(db().kysely, { orgId: 'org_p', e164: '+14155550001' })).toEqual({ id: 'c1', name: 'Ann' });
    expect(await byE164.first(db().kysely, { orgId: 'org_q', e164: '+14155550001' })).toEqual({ id: 'c5', name: 'Di' });
    expect(await byE164.first(db().kysely, { orgId: 'org_p', e164: '+14155550002' })).toEqual({ id: 'c2', name: 'Bo' });
    expect(await byE164.first(db().kysely, { orgId: 'org_q', e164: '+14155550002' })).toBeUndefined();
  });

  run("the builder's constants stay where it put them", async () => {
    expect((await bySource.all(db().kysely, { orgId: 'org_p', after: 0 })).map((r) => r.id)).toEqual(['c1', 'c2']);
    expect((await bySource.all(db().kysely, { orgId: 'org_p', after: 15 })).map((r) => r.id)).toEqual(['c2']);
    expect((await bySource.all(db().kysely, { orgId: 'org_q', after: 0 })).map((r) => r.id)).toEqual(['c5']);
  });

  run('a transaction sees its own writes', async () => {
    await db().kysely
      .transaction()
      .execute(async (tx) => {
        await tx.insertInto('contacts').values({ id: 'c9', org_id: 'org_p', e164: '+14155550009', name: 'New', source: 'call', time_zone: null, attributes: '{}', created_at: 90, updated_at: 90 }).execute();
        expect(await byE164.first(tx, { orgId: 'org_p', e164: '+14155550009' })).toEqual({ id: 'c9', name: 'New' });
        throw new Error('roll back');
      })
      .catch(() => {});
    expect(await byE164.first(db().kysely, { orgId: 'org_p', e164: '+14155550009' })).toBeUndefined();
  });

  run('a value changed by the builder (not bound as given) is refused', async () => {
    await expect(misused.all(db().kysely, { name: 'An' })).rejects.toThrow(/changed before it was bound/);
  });
});
