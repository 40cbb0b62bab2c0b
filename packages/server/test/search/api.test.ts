/**
 * Search through the API and the CLI: the query parameter of the contacts and conversations lists,
 * the time zone (tz, X-TZ), totals, errors with their position, the explain route, saved views
 * (personal, shared, who may change them, another organization's) and their CSV export.
 */
import { evaluateContacts, evaluateConversations, parseQuery, type SearchRows } from '@textback/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/app-context.js';
import { createApiKey } from '../../src/use-cases/organizations.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { expectProblem, requireBuiltCli, runCli } from '../api/helpers.js';
import { NOW, readRows, seedOrg, ZONE, type SeededOrg } from './seed.js';

const enc = encodeURIComponent;

for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`search API on ${dialect}`, () => {
    let app: TestApp;
    let a: SeededOrg;
    let b: SeededOrg;
    let rows: SearchRows;
    let agentKey: { apiKey: string };
    const expectedContacts = (q: string, zone = ZONE) => evaluateContacts(parseQuery(q, { now: NOW, zone, defaultCountry: 'US' }), rows, { orgId: a.orgId, userId: a.users[0]! });

    beforeAll(async () => {
      app = await createTestApp(dialect);
      app.clock.set(NOW);
      a = await seedOrg(app, 1, '0150');
      b = await seedOrg(app, 2, '0160');
      await app.tb.ctx.db.kysely.updateTable('organizations').set({ time_zone: ZONE }).execute();
      rows = await readRows(app);
      const key = await transaction(app.tb.ctx, (tx) => createApiKey(app.tb.ctx, tx, { orgId: a.orgId, userId: a.users[1]!, name: 'agent' }));
      agentKey = { apiKey: key.key };
    });
    afterAll(async () => app?.close());

    it('GET /v1/contacts?query= pages through the matches with the cursor, with the total on request', async () => {
      const q = 'has:error_sms_messages or missed_calls > 1';
      const expected = expectedContacts(q);
      expect(expected.length).toBeGreaterThan(5);
      const first = await api(app, a, 'GET', `/v1/contacts?query=${enc(q)}&limit=5&include_total=true`);
      expect(first.status, first.raw.body).toBe(200);
      expect(first.json.total).toBe(expected.length);
      expect(first.json.data.map((c: { id: string }) => c.id)).toEqual(expected.slice(0, 5));
      expect(first.json.data[0]).toMatchObject({ object: 'contact', phone: expect.stringMatching(/^\+1415943/) });
      const second = await api(app, a, 'GET', `/v1/contacts?query=${enc(q)}&limit=5&cursor=${first.json.next_cursor}`);
      expect(second.json.data.map((c: { id: string }) => c.id)).toEqual(expected.slice(5, 10));
      expect(second.json.total).toBeUndefined();
      // A cursor of another order is refused, not misread.
      const sorted = await api(app, a, 'GET', `/v1/contacts?query=${enc(`${q} sort:name`)}&cursor=${first.json.next_cursor}`);
      expectProblem(sorted, 400, 'invalid_cursor', { detail: ['sorted by -created, not name'] });
    });

    it('the phone number in any format finds the same contact', async () => {
      for (const q of ['415 943 4507', '(415) 943-4507', '+14159434507', 'phone:"415.943.4507"']) {
        const res = await api(app, a, 'GET', `/v1/contacts?query=${enc(q)}`);
        expect(res.json.data.map((c: { phone: string }) => c.phone), q).toEqual(['+14159434507']);
        expect(res.json.data[0].id).toBe(a.contacts[7]!.id);
      }
    });

    it('GET /v1/conversations?query= returns conversations, with conversation fields on the conversation itself', async () => {
      const q = 'status:open has:unread';
      const expected = evaluateConversations(parseQuery(q, { now: NOW, zone: ZONE }), rows, { orgId: a.orgId, userId: a.users[0]! });
      const res = await api(app, a, 'GET', `/v1/conversations?query=${enc(q)}&limit=200&include_total=true`);
      expect(res.status).toBe(200);
      expect(res.json.data.map((v: { id: string }) => v.id)).toEqual(expected);
      expect(res.json.total).toBe(expected.length);
      for (const v of res.json.data) expect(v).toMatchObject({ object: 'conversation', status: 'open', read: false });
    });

    it('dates are in the organization’s zone unless tz or X-TZ names another (tz wins)', async () => {
      const ids = async (headers: Record<string, string>, tz = '') =>
        (await api(app, a, 'GET', `/v1/contacts?query=${enc('created:today')}&limit=200${tz}`, undefined, headers)).json.data.map((c: { id: string }) => c.id);
      expect(await ids({})).toEqual(expectedContacts('created:today'));
      const tokyo = expectedContacts('created:today', 'Asia/Tokyo');
      expect(tokyo).not.toEqual(expectedContacts('created:today'));
      expect(await ids({ 'x-tz': 'Asia/Tokyo' })).toEqual(tokyo);
      expect(await ids({ 'x-tz': 'Europe/Paris' }, '&tz=Asia/Tokyo')).toEqual(tokyo);
      const bad = await api(app, a, 'GET', `/v1/contacts?query=${enc('created:today')}&tz=Mars/Olympus`);
      expectProblem(bad, 400, 'validation_failed', { detail: ['tz: "Mars/Olympus" is not an IANA time zone'], fields: ['tz'] });
    });

    it('an invalid query is a 400 problem with the position and the message, never a 500', async () => {
      const res = await api(app, a, 'GET', `/v1/contacts?query=${enc('name:bob statsu:error')}`);
      const problem = expectProblem(res, 400, 'invalid_query', { detail: ['query: at 9: unknown field "statsu" (did you mean "status"?)'], fields: ['query'] });
      expect((problem as unknown as { position: number }).position).toBe(9);
      for (const q of ['(', '"', 'sms(', 'failed_sms > x', 'created:soon', ')', 'not', 'a or', 'has:nothing', 'sort:phone', "'; drop table contacts; --"]) {
        const r = await api(app, a, 'GET', `/v1/conversations?query=${enc(q)}`);
        if (r.status === 200) continue; // a plain word is a valid search
        expect(r.status, q).toBe(400);
        expect(r.json.code, q).toBe('invalid_query');
        expect(typeof r.json.position, q).toBe('number');
      }
      // The largest queries the language allows run on the database (no SQL error, no 500); one term more is refused.
      for (const q of ['water '.repeat(60), `${'not ('.repeat(19)}ann${')'.repeat(19)}`, Array.from({ length: 15 }, () => 'sms(water) or call(status:missed)').join(' or ')]) {
        const r = await api(app, a, 'GET', `/v1/contacts?query=${enc(q)}&include_total=true`);
        expect(r.status, `${q.slice(0, 40)}: ${r.raw.body.slice(0, 200)}`).toBe(200);
      }
      expectProblem(await api(app, a, 'GET', `/v1/contacts?query=${enc('water '.repeat(61))}`), 400, 'invalid_query', { detail: ['at most 60'] });
      const injection = await api(app, a, 'GET', `/v1/contacts?query=${enc("x' or '1'='1")}`);
      expect(injection.status).toBe(200);
      expect(injection.json.data).toEqual([]);
      const count = await app.tb.ctx.db.kysely.selectFrom('contacts').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(90);
    });

    it('query cannot be combined with the older filters', async () => {
      expectProblem(await api(app, a, 'GET', `/v1/contacts?query=ann&q=bob`), 400, 'validation_failed', { fields: ['q'] });
      expectProblem(await api(app, a, 'GET', `/v1/conversations?query=ann&status=open`), 400, 'validation_failed', { detail: ['status:open'], fields: ['status'] });
    });

    it('GET /v1/search/explain returns the parsed query with positions and dates as instants', async () => {
      const q = 'sms(created:today direction:outgoing status:error) sort:-name';
      const res = await api(app, a, 'GET', `/v1/search/explain?query=${enc(q)}`);
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({
        object: 'search',
        query: q,
        time_zone: ZONE,
        sort: { field: 'name', direction: 'desc' },
        where: {
          kind: 'sms',
          pos: 0,
          end: 50,
          where: {
            kind: 'and',
            items: [
              { kind: 'field', field: 'created', pos: 4, test: { type: 'range', from: '2026-03-11T04:00:00.000Z', before: '2026-03-12T04:00:00.000Z' } },
              { kind: 'field', field: 'direction', test: { type: 'in', values: ['outbound'] } },
              { kind: 'field', field: 'status', test: { type: 'in', values: ['failed', 'undelivered'] } },
            ],
          },
        },
      });
      const bad = await api(app, a, 'GET', `/v1/search/explain?query=${enc('sms(body:x')}`);
      expectProblem(bad, 400, 'invalid_query', { detail: ['at 0: this "sms(" is never closed'] });
      const fields = await api(app, a, 'GET', '/v1/search/fields');
      expect(fields.json.fields).toContainEqual(expect.objectContaining({ name: 'latest_sms_status', scope: 'contact', type: 'enum' }));
      expect(fields.json.has).toContainEqual(expect.objectContaining({ name: 'error_sms_messages' }));
    });

    it('saved views: personal or shared, changed by their owner (a shared one also by an admin), invisible to others and other organizations', async () => {
      const personal = await api(app, agentKey, 'POST', '/v1/views', { name: 'My failures', query: 'has:error_sms_messages assignee:me' });
      expect(personal.status, personal.raw.body).toBe(201);
      expect(personal.json).toMatchObject({ object: 'view', name: 'My failures', shared: false, owner_user_id: a.users[1] });
      const shared = await api(app, agentKey, 'POST', '/v1/views', { name: 'Missed, not texted', query: 'call(status:missed created:yesterday) not sms(direction:outgoing created:yesterday)', shared: true });
      expect(shared.status).toBe(201);
      const ownerViews = await api(app, a, 'GET', '/v1/views');
      expect(ownerViews.json.data.map((v: { id: string }) => v.id)).toEqual([shared.json.id]);
      const agentViews = await api(app, agentKey, 'GET', '/v1/views');
      expect(agentViews.json.data.map((v: { id: string }) => v.id)).toEqual([personal.json.id, shared.json.id]);
      // Someone else's personal view, or another organization's view, is not found.
      expectProblem(await api(app, a, 'GET', `/v1/views/${personal.json.id}`), 404, 'not_found');
      expectProblem(await api(app, b, 'GET', `/v1/views/${shared.json.id}`), 404, 'not_found');
      expectProblem(await api(app, b, 'PATCH', `/v1/views/${shared.json.id}`, { name: 'x' }), 404, 'not_found');
      expectProblem(await api(app, b, 'DELETE', `/v1/views/${shared.json.id}`), 404, 'not_found');
      expectProblem(await api(app, b, 'GET', `/v1/views/${shared.json.id}/export.csv`), 404, 'not_found');
      // The owner (an admin) may change the agent's shared view; the agent may not change the owner's.
      const renamed = await api(app, a, 'PATCH', `/v1/views/${shared.json.id}`, { name: 'Missed yesterday' });
      expect(renamed.json).toMatchObject({ name: 'Missed yesterday', shared: true });
      const ownerShared = await api(app, a, 'POST', '/v1/views', { name: 'Open', query: 'status:open', shared: true });
      expectProblem(await api(app, agentKey, 'PATCH', `/v1/views/${ownerShared.json.id}`, { name: 'mine' }), 403, 'forbidden');
      expectProblem(await api(app, agentKey, 'DELETE', `/v1/views/${ownerShared.json.id}`), 403, 'forbidden');
      // Its query is checked on save, with the position.
      const bad = await api(app, a, 'POST', '/v1/views', { name: 'Bad', query: 'failed_sms > many' });
      const problem = expectProblem(bad, 400, 'invalid_query', { detail: ['query: at 13: failed_sms takes a whole number'] });
      expect((problem as unknown as { position: number }).position).toBe(13);
      expectProblem(await api(app, a, 'PATCH', `/v1/views/${ownerShared.json.id}`, { query: 'status:opne' }), 400, 'invalid_query', { detail: ['did you mean "open"'] });
      expectProblem(await api(app, a, 'POST', '/v1/views', { name: '  ', query: 'a' }), 400, 'validation_failed', { fields: ['name'] });
      expectProblem(await api(app, a, 'POST', '/v1/views', { name: 'x', query: 'a', owner: 'y' }), 400, 'validation_failed', { fields: ['body.owner'] });
      // Unshared by its owner: the others no longer see it.
      await api(app, agentKey, 'PATCH', `/v1/views/${shared.json.id}`, { shared: false });
      expectProblem(await api(app, a, 'GET', `/v1/views/${shared.json.id}`), 404, 'not_found');
      expect((await api(app, agentKey, 'DELETE', `/v1/views/${personal.json.id}`)).status).toBe(204);
      expectProblem(await api(app, agentKey, 'GET', `/v1/views/${personal.json.id}`), 404, 'not_found');
    });

    it("a view's CSV export lists its contacts with their counters", async () => {
      const view = await api(app, a, 'POST', '/v1/views', { name: 'Failures, latest first', query: 'has:error_sms_messages', shared: true });
      const res = await api(app, a, 'GET', `/v1/views/${view.json.id}/export.csv`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.headers['content-disposition']).toBe('attachment; filename="Failures-latest-first.csv"');
      const lines = res.raw.body.trim().split('\r\n');
      expect(lines[0]).toBe('id,phone,name,source,created_at,failed_sms,sms_sent,sms_received,missed_calls,latest_sms_status');
      const expected = expectedContacts('has:error_sms_messages');
      expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(expected);
      for (const line of lines.slice(1)) {
        const cells = line.split(',');
        const id = cells[0]!;
        const mine = rows.messages.filter((m) => m.org_id === a.orgId && m.contact_id === id);
        const outbound = mine.filter((m) => m.direction === 'outbound').sort((x, y) => y.created_at - x.created_at || (x.id < y.id ? 1 : -1));
        const tail = cells.slice(-5);
        expect(tail).toEqual([
          String(outbound.filter((m) => m.status === 'failed' || m.status === 'undelivered').length),
          String(outbound.filter((m) => ['sent', 'delivered', 'undelivered', 'failed'].includes(m.status)).length),
          String(mine.filter((m) => m.direction === 'inbound').length),
          String(rows.calls.filter((k) => k.org_id === a.orgId && k.contact_id === id && k.outcome === 'missed').length),
          outbound[0]?.status ?? '',
        ]);
      }
    });

    it('textback search prints the contacts, and --csv every one with its counters', async () => {
      requireBuiltCli();
      const env = { DATABASE_URL: app.database.url };
      const plain = await runCli(['search', 'failed_sms > 1', '--org', a.orgId], env);
      expect(plain.code, plain.stderr).toBe(0);
      const expected = expectedContacts('failed_sms > 1');
      expect(plain.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0])).toEqual(expected);
      expect(plain.stderr).toContain(`${expected.length} contact(s)`);
      const csv = await runCli(['search', 'latest_sms_status:error', '--csv', '--org', a.orgId], env);
      expect(csv.code, csv.stderr).toBe(0);
      const lines = csv.stdout.trim().split('\r\n');
      expect(lines[0]).toMatch(/^id,phone,name,/);
      expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(expectedContacts('latest_sms_status:error'));
      const bad = await runCli(['search', 'name:bob statsu:error', '--org', a.orgId], env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('error: query: at 9: unknown field "statsu" (did you mean "status"?)');
    });
  });
}
