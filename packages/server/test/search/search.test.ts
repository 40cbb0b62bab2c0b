/**
 * The search compiled to SQL returns, on both databases, exactly the rows (and the order) of the
 * plain in-memory evaluation of the same query over the same seeded data; and never another
 * organization's rows.
 */
import { evaluateContacts, evaluateConversations, parseQuery, type SearchRows } from '@textback/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/use-cases/organizations.js';
import { searchContacts, searchConversations } from '../../src/use-cases/search.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { NOW, readRows, seedOrg, ZONE, type SeededOrg } from './seed.js';

/** Queries covering every field, has:, sort:, the operators and the dates. */
export const QUERIES = [
  '',
  // Close's four searches, verbatim.
  'failed_sms > 1',
  'has:error_sms_messages',
  'sms(created:today direction:outgoing status:error)',
  'latest_sms_status:error',
  // The missed-but-not-texted search.
  'call(status:missed created:yesterday) not sms(direction:outgoing created:yesterday)',
  // Words, phrases and numbers.
  'ann',
  'water',
  '"water heater"',
  '100%',
  'off_now',
  'dee_dee',
  '415 943 4507',
  '(415) 943-4507',
  '+14159434507',
  '4507',
  'phone:4512',
  'phone:"415-943-4520"',
  'bob or zed',
  'not ann',
  '-ann water',
  'ann or bob water',
  '(ann or bob) water',
  // Contact fields.
  'name:lee',
  'name:""',
  'source:lead',
  'source:"web form"',
  'created:today',
  'created:yesterday',
  'created:"this week"',
  'created:last week',
  'created:this month',
  'created:"3 days ago"',
  'created:-7d',
  'created > -2d',
  'created >= 2026-03-08',
  'created < 2026-03-08',
  'created <= yesterday',
  'created:2026-03-08',
  'updated > today',
  'attr.plan:pro',
  '"favorite color":blue',
  'attr.vip:true',
  'attr.score:3',
  'not attr.plan:pro',
  'opted_out:true',
  'opted_out:false',
  'consent:none',
  'has:consent',
  'suppressed:true',
  '-suppressed:true',
  // Conversation fields.
  'assignee:me',
  'assignee:none',
  'has:assignee',
  'assignee:agent1.{seed}@example.com',
  'assignee:AGENT2.{seed}@example.com',
  'team:sales',
  'team:none',
  'number:"(415) 555-{suffix}"',
  'number:{suffix2}',
  'status:open',
  'status:closed unread:true',
  'unread:false',
  'has:unread',
  'last_inbound:today',
  'last_inbound > -5d',
  'last_outbound < -10d',
  'not last_outbound:this week',
  // Counters.
  'failed_sms:0',
  'failed_sms >= 2',
  'failed_sms <= 1',
  'sms_sent > 2',
  'sms_sent:0',
  'sms_received >= 1',
  'has:received_sms',
  'has:sent_sms',
  'missed_calls > 1',
  'has:missed_calls',
  'missed_calls < 1',
  'latest_sms_status:delivered',
  'latest_sms_status:queued or latest_sms_status:blocked',
  'not latest_sms_status:error',
  // Texts.
  'has:sms_messages',
  'not sms()',
  'sms(direction:incoming)',
  'sms(direction:inbound body:stop)',
  'sms(status:failed reason:landline_or_unreachable)',
  'sms(error_code:30006)',
  'sms(status:undelivered or status:cancelled)',
  'sms(not status:delivered direction:outbound)',
  'sms(created:yesterday)',
  'sms(created >= -3d status:error)',
  'sms(created:"last week" or created:today)',
  'sms(number:{suffix2})',
  'sms(automation:"missed call text-back")',
  'sms(automation:aut_{seed}_b variant:a)',
  'sms(water)',
  'sms("call me")',
  // Calls.
  'has:calls',
  'call(status:missed)',
  'call(status:too-short or status:voicemail)',
  'call(direction:outgoing)',
  'call(duration > 2m)',
  'call(duration <= 30)',
  'not call(duration:>=0)',
  'call(created:today status:answered)',
  'call(created:this week status:answered)',
  'call(created >= -3d) call(status:answered-elsewhere)',
  'call(number:"+1 (628) 555-{suffix}")',
  'sms(number:5550150)',
  // Sorts.
  'sort:name',
  'sort:-name',
  'sort:updated',
  'sort:-created water',
  'status:open sort:created',
  'has:error_sms_messages or has:missed_calls sort:-updated',
];

for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`search on ${dialect}`, () => {
    let app: TestApp;
    let a: SeededOrg;
    let b: SeededOrg;
    let rows: SearchRows;
    let principal: Principal;
    const fill = (q: string, org: SeededOrg, seed: number) =>
      q.replace(/\{seed\}/g, String(seed)).replace('{suffix}', org.number.slice(-4)).replace('{suffix2}', org.numbers[1]!.e164.slice(-10));

    beforeAll(async () => {
      app = await createTestApp(dialect);
      app.clock.set(NOW);
      a = await seedOrg(app, 1, '0150');
      b = await seedOrg(app, 2, '0160', { contacts: a.contacts, conversations: [] });
      await app.tb.ctx.db.kysely.updateTable('organizations').set({ time_zone: ZONE }).execute();
      rows = await readRows(app);
      principal = { orgId: a.orgId, userId: a.users[0]!, role: 'owner', apiKeyId: 'key', sessionId: null };
    });
    afterAll(async () => app?.close());

    /** Every page of a search, 7 rows at a time (the cursor crosses pages, ties included). */
    async function allPages(list: 'contacts' | 'conversations', query: string): Promise<{ ids: string[]; total: number }> {
      const ids: string[] = [];
      let cursor: string | undefined;
      let total = -1;
      for (let guard = 0; guard < 100; guard++) {
        const input = { query, limit: 7, cursor, includeTotal: cursor === undefined };
        const page = list === 'contacts' ? await searchContacts(app.tb.ctx, principal, input) : await searchConversations(app.tb.ctx, principal, input);
        if (page.total !== undefined) total = page.total;
        ids.push(...page.data.map((r) => r.id));
        if (!page.next_cursor) break;
        cursor = page.next_cursor;
      }
      return { ids, total };
    }

    it('the seeded data has matches and misses for nearly every query (the comparisons below mean something)', () => {
      const empty: string[] = [];
      for (const template of QUERIES) {
        const q = fill(template, a, 1);
        const n = evaluateContacts(parseQuery(q, { now: NOW, zone: ZONE, defaultCountry: 'US' }), rows, { orgId: a.orgId, userId: a.users[0]! }).length;
        if (n === 0) empty.push(q);
      }
      expect(empty).toEqual(['call(created:today status:answered)']);
      const parsed = (q: string) => parseQuery(q, { now: NOW, zone: ZONE, defaultCountry: 'US' });
      for (const q of ['failed_sms > 1', 'has:error_sms_messages', 'sms(created:today direction:outgoing status:error)', 'latest_sms_status:error', 'call(status:missed created:yesterday) not sms(direction:outgoing created:yesterday)']) {
        const n = evaluateContacts(parsed(q), rows, { orgId: a.orgId, userId: a.users[0]! }).length;
        expect(n, q).toBeGreaterThan(0);
        expect(n, q).toBeLessThan(45);
      }
    });

    it('returns the contacts of the in-memory evaluation, in its order, for every query', async () => {
      const mismatches: string[] = [];
      for (const template of QUERIES) {
        const q = fill(template, a, 1);
        const parsed = parseQuery(q, { now: NOW, zone: ZONE, defaultCountry: 'US' });
        const expected = evaluateContacts(parsed, rows, { orgId: a.orgId, userId: a.users[0]! });
        const got = await allPages('contacts', q);
        if (JSON.stringify(got.ids) !== JSON.stringify(expected) || got.total !== expected.length) {
          mismatches.push(`${q}: expected ${expected.length} ${JSON.stringify(expected.slice(0, 5))}…, got ${got.ids.length} (total ${got.total}) ${JSON.stringify(got.ids.slice(0, 5))}…`);
        }
      }
      expect(mismatches).toEqual([]);
    });

    it('returns the conversations of the in-memory evaluation, in its order, for every query', async () => {
      const mismatches: string[] = [];
      for (const template of QUERIES) {
        const q = fill(template, a, 1);
        const parsed = parseQuery(q, { now: NOW, zone: ZONE, defaultCountry: 'US' });
        const expected = evaluateConversations(parsed, rows, { orgId: a.orgId, userId: a.users[0]! });
        const got = await allPages('conversations', q);
        if (JSON.stringify(got.ids) !== JSON.stringify(expected) || got.total !== expected.length) {
          mismatches.push(`${q}: expected ${expected.length}, got ${got.ids.length} (total ${got.total})`);
        }
      }
      expect(mismatches).toEqual([]);
    });

    it("never returns another organization's rows, including through sms(…) and call(…)", async () => {
      const mine = new Set([...rows.contacts, ...rows.conversations].filter((r) => r.org_id === a.orgId).map((r) => r.id));
      for (const template of QUERIES) {
        const q = fill(template, a, 1);
        for (const list of ['contacts', 'conversations'] as const) {
          const { ids } = await allPages(list, q);
          expect(ids.filter((id) => !mine.has(id)), `${list} ${q}`).toEqual([]);
        }
      }
      // Organization B's failed texts and missed calls point at A's first ten contacts: A does not see them.
      const failedOnlyInB = a.contacts.slice(0, 10).filter((c) => !rows.messages.some((m) => m.org_id === a.orgId && m.contact_id === c.id && (m.status === 'failed' || m.status === 'undelivered')));
      expect(failedOnlyInB.length).toBeGreaterThan(0);
      const { ids } = await allPages('contacts', 'has:error_sms_messages');
      for (const c of failedOnlyInB) expect(ids).not.toContain(c.id);
      const water = await allPages('contacts', 'sms(created:today body:"water heater" status:failed)');
      for (const c of failedOnlyInB) expect(water.ids).not.toContain(c.id);
      // The same phone number in both organizations: each finds its own contact.
      const asB: Principal = { orgId: b.orgId, userId: b.users[0]!, role: 'owner', apiKeyId: 'key', sessionId: null };
      const phoneA = await searchContacts(app.tb.ctx, principal, { query: '(415) 943-4507', limit: 10 });
      const phoneB = await searchContacts(app.tb.ctx, asB, { query: '(415) 943-4507', limit: 10 });
      expect(phoneA.data.map((c) => c.org_id)).toEqual([a.orgId]);
      expect(phoneB.data.map((c) => c.org_id)).toEqual([b.orgId]);
      expect(phoneA.data[0]!.id).not.toBe(phoneB.data[0]!.id);
    });

    it('names a time zone of its own: created:today in Tokyo is another day', async () => {
      const parsed = parseQuery('created:today', { now: NOW, zone: 'Asia/Tokyo' });
      const expected = evaluateContacts(parsed, rows, { orgId: a.orgId, userId: a.users[0]! });
      const got = await searchContacts(app.tb.ctx, principal, { query: 'created:today', limit: 200, timeZone: 'Asia/Tokyo' });
      expect(got.data.map((c) => c.id)).toEqual(expected);
      const ny = await searchContacts(app.tb.ctx, principal, { query: 'created:today', limit: 200 });
      expect(ny.data.map((c) => c.id)).not.toEqual(expected);
    });
  });
}
