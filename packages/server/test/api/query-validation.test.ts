/**
 * Query strings and URLs: an unknown parameter or value is a 400 that names it and lists what is
 * accepted (never ignored), validation messages say one clear thing per field, date ranges must be
 * in order, and even a URL Fastify cannot route answers problem+json.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { fieldErrors } from '../../src/http/problem.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';
import { expectProblem } from './helpers.js';

const HANDSET = '+14155550123';

/** The list routes that return everything at once: they take no query parameter at all. */
const UNPAGINATED = ['/v1/numbers', '/v1/teams', '/v1/users', '/v1/api-keys', '/v1/automations', '/v1/queues', '/v1/carrier-accounts', '/v1/suppressions/export', '/v1/consent/export'];

describe.each(DIALECTS)('query strings and URLs (%s)', (dialect) => {
  let app: TestApp;
  let org: TestOrg;

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect, { config: { runWorkers: false } });
    org = await createTestOrg(app);
  });
  afterAll(async () => app?.close());

  it.runIf(dialectAvailable(dialect))('GET /v1/messages refuses unknown filters, naming the parameter and the accepted ones', async () => {
    for (const param of ['q=water', 'created=2026-01-01', 'foo=1']) {
      const name = param.split('=')[0]!;
      const res = await api(app, org, 'GET', `/v1/messages?${param}`);
      const problem = expectProblem(res, 400, 'validation_failed', { fields: [`querystring.${name}`] });
      expect(problem.detail).toBe(`querystring.${name} is not a known parameter (accepted: limit, cursor, contact, conversation, direction, status)`);
    }
  });

  it.runIf(dialectAvailable(dialect))('a status that does not exist is a 400 listing the statuses; several statuses, comma-separated, are all returned', async () => {
    const bogus = await api(app, org, 'GET', '/v1/messages?status=bogus');
    const problem = expectProblem(bogus, 400, 'validation_failed', { fields: ['querystring.status'] });
    expect(problem.detail).toBe(
      'querystring.status must be one of scheduled, held, queued, sending, sent, delivered, undelivered, failed, cancelled, blocked, received',
    );
    expectProblem(await api(app, org, 'GET', '/v1/messages?status=failed,nope'), 400, 'validation_failed', { fields: ['querystring.status'] });

    const ids: string[] = [];
    for (const body of ['one', 'two', 'three']) {
      const res = await api(app, org, 'POST', '/v1/messages', { to: HANDSET, body });
      expect(res.status).toBe(201);
      ids.push(res.json.id);
    }
    // Two of them end up not arriving.
    await app.tb.ctx.db.kysely.updateTable('messages').set({ status: 'failed' }).where('id', '=', ids[0]!).execute();
    await app.tb.ctx.db.kysely.updateTable('messages').set({ status: 'undelivered' }).where('id', '=', ids[1]!).execute();

    const both = await api(app, org, 'GET', '/v1/messages?status=failed,undelivered');
    expect(both.status, both.raw.body).toBe(200);
    expect(both.json.data.map((m: { id: string }) => m.id)).toEqual([ids[1], ids[0]]);
    // Repeating the parameter means the same.
    const repeated = await api(app, org, 'GET', '/v1/messages?status=failed&status=undelivered');
    expect(repeated.json.data.map((m: { id: string }) => m.id)).toEqual([ids[1], ids[0]]);
    const one = await api(app, org, 'GET', '/v1/messages?status=failed');
    expect(one.json.data.map((m: { id: string }) => m.id)).toEqual([ids[0]]);
  });

  it.runIf(dialectAvailable(dialect))('every GET and DELETE route refuses a parameter it does not know, before doing anything', async () => {
    const doc = (await api(app, null, 'GET', '/openapi.json')).json as { paths: Record<string, Record<string, unknown>> };
    let checked = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const method of ['get', 'delete'] as const) {
        if (!operations[method]) continue;
        const url = path.replace(/\{number\}/g, encodeURIComponent(HANDSET)).replace(/\{[^}]+\}/g, 'xyz_1');
        const res = await api(app, org, method.toUpperCase() as 'GET' | 'DELETE', `${url}?foo=1`);
        const problem = expectProblem(res, 400, 'validation_failed', { fields: ['querystring.foo'] });
        expect(problem.detail, `${method} ${path}`).toMatch(/^querystring\.foo is not a known parameter/);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it.runIf(dialectAvailable(dialect))('lists without pagination refuse limit and cursor instead of ignoring them', async () => {
    for (const route of UNPAGINATED) {
      for (const param of ['limit=-1', 'limit=abc', 'cursor=whatever']) {
        const name = param.split('=')[0]!;
        const res = await api(app, org, 'GET', `${route}?${param}`);
        const problem = expectProblem(res, 400, 'validation_failed', { fields: [`querystring.${name}`] });
        expect(problem.detail, route).toBe(`querystring.${name} is not a known parameter (this route takes none)`);
      }
      expect((await api(app, org, 'GET', route)).status, route).toBe(200);
    }
  });

  it.runIf(dialectAvailable(dialect))('paginated lists say what limit accepts', async () => {
    for (const [limit, message] of [['-1', 'must be at least 1'], ['abc', 'must be integer'], ['500', 'must be at most 200']] as const) {
      const res = await api(app, org, 'GET', `/v1/contacts?limit=${limit}`);
      const problem = expectProblem(res, 400, 'validation_failed', { fields: ['querystring.limit'] });
      expect(problem.detail).toBe(`querystring.limit ${message}`);
    }
  });

  it.runIf(dialectAvailable(dialect))('one message per field, naming the accepted values', async () => {
    const direction = await api(app, org, 'GET', '/v1/messages?direction=sideways');
    const d = expectProblem(direction, 400, 'validation_failed', { fields: ['querystring.direction'] });
    expect(d.detail).toBe('querystring.direction must be one of inbound, outbound');
    expect(d.errors).toEqual([{ field: 'querystring.direction', message: 'must be one of inbound, outbound' }]);

    const missingBody = await api(app, org, 'POST', '/v1/messages', { to: HANDSET });
    const m = expectProblem(missingBody, 400, 'validation_failed');
    expect(m.errors).toEqual([{ field: 'body.body', message: 'is required' }]);
    expect(m.detail).toBe('body.body is required');

    const state = await api(app, org, 'GET', '/v1/jobs?state=done');
    expect(expectProblem(state, 400, 'validation_failed', { fields: ['querystring.state'] }).detail).toBe(
      'querystring.state must be one of pending, running, completed, dead, cancelled',
    );

    const outcome = await api(app, org, 'GET', '/v1/calls?outcome=lost');
    expect(expectProblem(outcome, 400, 'validation_failed', { fields: ['querystring.outcome'] }).detail).toBe(
      'querystring.outcome must be one of answered, missed, voicemail, too_short, answered_elsewhere',
    );
    const automation = await api(app, org, 'POST', '/v1/automations/presets/missed-call-text-back', {});
    const runs = await api(app, org, 'GET', `/v1/automations/${automation.json.id}/runs?status=done`);
    expect(expectProblem(runs, 400, 'validation_failed', { fields: ['querystring.status'] }).detail).toBe(
      'querystring.status must be one of waiting, running, completed, stopped, cancelled, failed',
    );

    // A union of a value and a type says both.
    const preset = await api(app, org, 'POST', '/v1/automations/presets/missed-call-text-back', { state: 'on', numbers: 5 });
    const p = expectProblem(preset, 400, 'validation_failed');
    expect(p.errors).toEqual([
      { field: 'body.numbers', message: 'must be array or all' },
      { field: 'body.state', message: 'must be one of draft, active, paused' },
    ]);

    // A null where a value is needed, an empty name, an unknown field listing the known ones.
    const fail = await api(app, org, 'PUT', `/v1/sandbox/destinations/${encodeURIComponent(HANDSET)}`, { fail_reason: 'broken' });
    expect(expectProblem(fail, 400, 'validation_failed', { fields: ['body.fail_reason'] }).errors?.[0]?.message).toMatch(/^must be one of landline, .*, or null$/);
    const user = await api(app, org, 'POST', '/v1/users', { email: 'a@example.com', name: '', role: 'agent', colour: 'red' });
    expect(expectProblem(user, 400, 'validation_failed').errors).toEqual([
      { field: 'body.colour', message: 'is not a known field (accepted: email, name, role, password)' },
      { field: 'body.name', message: 'must not be empty' },
    ]);
  });

  it.runIf(dialectAvailable(dialect))('a date range with from after to is a 400 naming both', async () => {
    const queue = await api(app, org, 'POST', '/v1/queues', { name: 'Support', initiation_keyword: 'HELPDESK', termination_keyword: 'BYE', numbers: [org.number] });
    expect(queue.status, queue.raw.body).toBe(201);
    const url = `/v1/queues/${queue.json.id}/statistics`;
    const reversed = await api(app, org, 'GET', `${url}?from=2026-01-10&to=2026-01-01`);
    const problem = expectProblem(reversed, 400, 'validation_failed', { fields: ['querystring.from', 'querystring.to'], detail: ['from (2026-01-10', 'after to (2026-01-01'] });
    expect(problem.errors?.[0]?.message).toContain('must be before to');
    // from alone, later than the default to (now).
    const future = await api(app, org, 'GET', `${url}?from=2099-01-01`);
    expectProblem(future, 400, 'validation_failed', { fields: ['querystring.from', 'querystring.to'] });
    // A range in order works.
    expect((await api(app, org, 'GET', `${url}?from=2026-01-01&to=2026-01-10`)).status).toBe(200);
  });

  it.runIf(dialectAvailable(dialect))('a malformed % escape or an over-long path part is problem+json whose title matches its status', async () => {
    for (const url of ['/v1/messages/%E0%A4%A', `/v1/sandbox/handsets/%zz/messages`]) {
      const res = await api(app, org, 'GET', url);
      const problem = expectProblem(res, 400, 'bad_url', { detail: ['malformed % escape'] });
      expect(problem.title).toBe('Malformed URL');
    }
    const long = await api(app, org, 'GET', `/v1/messages/${'x'.repeat(200)}`);
    const problem = expectProblem(long, 414, 'uri_too_long', { detail: ['longer than any id'] });
    expect(problem.title).toBe('URI too long');
    // Just over an id's length but within the router's: a validation problem naming the id.
    const overId = await api(app, org, 'GET', `/v1/messages/${'x'.repeat(70)}`);
    expectProblem(overId, 400, 'validation_failed', { fields: ['params.id'], detail: ['params.id must be at most 64 characters'] });
  });
});

describe("Ajv's errors in words", () => {
  it('a union inside a list speaks for each item alone', () => {
    const union = (i: number) => [
      { instancePath: `/items/${i}/state`, schemaPath: '#/properties/items/items/properties/state/anyOf/0/const', keyword: 'const', params: { allowedValue: 'on' } },
      { instancePath: `/items/${i}/state`, schemaPath: '#/properties/items/items/properties/state/anyOf/1/const', keyword: 'const', params: { allowedValue: 'off' } },
      { instancePath: `/items/${i}/state`, schemaPath: '#/properties/items/items/properties/state/anyOf', keyword: 'anyOf', params: {} },
    ];
    const tooLong = { instancePath: '/items/1/name', schemaPath: '#/properties/items/items/properties/name/maxLength', keyword: 'maxLength', params: { limit: 5 } };
    expect(fieldErrors('body', [...union(0), ...union(2), tooLong])).toEqual([
      { field: 'body.items.0.state', message: 'must be one of on, off' },
      { field: 'body.items.2.state', message: 'must be one of on, off' },
      { field: 'body.items.1.name', message: 'must be at most 5 characters' },
    ]);
  });
});
