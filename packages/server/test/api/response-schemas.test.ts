/**
 * Every /v1 route that answers JSON declares its 2xx response schema, and the schema names every field
 * the route returns: Fastify serializes with the schema and drops what it does not name, and the web
 * app's types are generated from it (packages/web/src/api/schema.d.ts). The check of the answers
 * themselves runs in every API test (test/support/response-schemas.ts, installed by createTestApp);
 * this file checks the document, and that the check catches what it must.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { NOT_JSON_ROUTES, responseGuard, saysNothing } from '../support/response-schemas.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';

type Operation = { responses?: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }> };

describe.each(DIALECTS)('response schemas (%s)', (dialect) => {
  let app: TestApp;
  let org: TestOrg;

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect, { config: { runWorkers: false } });
    org = await createTestOrg(app);
  });
  afterAll(async () => app?.close());

  it.runIf(dialectAvailable(dialect))('every /v1 operation that answers JSON documents its 2xx answer with named fields; the others are 204, SSE or CSV', async () => {
    const doc = (await api(app, null, 'GET', '/openapi.json')).json as { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };
    const resolve = (schema: Record<string, unknown>) =>
      typeof schema.$ref === 'string' ? (doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')] as Record<string, unknown>) : schema;
    const lacking: string[] = [];
    const exempt = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const route = `${method.toUpperCase()} ${path}`;
        const json = Object.entries(op.responses ?? {})
          .filter(([code]) => code.startsWith('2'))
          .map(([, r]) => r.content?.['application/json']?.schema)
          .filter((s): s is Record<string, unknown> => s !== undefined);
        if (route in NOT_JSON_ROUTES) {
          exempt.add(route);
          expect(json, `${route} is ${NOT_JSON_ROUTES[route]}: no JSON answer to describe`).toEqual([]);
          continue;
        }
        if (json.length === 0) lacking.push(`${route}: no 2xx response schema`);
        for (const schema of json) if (saysNothing(resolve(schema))) lacking.push(`${route}: a 2xx schema that names nothing`);
      }
    }
    expect(lacking).toEqual([]);
    // The exemptions are routes that exist (a renamed route does not stay exempt by accident).
    expect([...exempt].sort()).toEqual(Object.keys(NOT_JSON_ROUTES).sort());
  });

  it.runIf(dialectAvailable(dialect))('answers keep every field the resource mappers return (a contact, a number, a team, an organization)', async () => {
    const contact = await api(app, org, 'POST', '/v1/contacts', { phone: '+14155550142', name: 'Ana' });
    expect(contact.status).toBe(201);
    expect(Object.keys(contact.json).sort()).toEqual(['attributes', 'created_at', 'id', 'name', 'object', 'phone', 'source', 'time_zone', 'updated_at']);
    const number = await api(app, org, 'GET', `/v1/numbers/${org.numberId}`);
    expect(Object.keys(number.json).sort()).toEqual(['capabilities', 'carrier', 'carrier_account_id', 'created_at', 'id', 'name', 'object', 'phone', 'team_id']);
    const team = await api(app, org, 'POST', '/v1/teams', { name: 'Front desk', member_ids: [org.userId] });
    expect(team.status).toBe(201);
    expect(team.json.members[0]).toMatchObject({ user_id: org.userId, object: 'agent', status: expect.any(String), effective_status: expect.any(String) });
    expect(team.json.settings).toEqual({ sms_if_unavailable: false, unavailable_text: expect.any(String), ring_timeout_seconds: 30 });
    const organization = await api(app, org, 'GET', '/v1/organization');
    expect(organization.json.settings).toMatchObject({ max_body_length: 1000, too_short_seconds: expect.any(Number), consent_scope: 'universal' });
    expect(app.responseViolations).toEqual([]);
  });

  it.runIf(dialectAvailable(dialect))('routes no other API test reads answer what their schema says: the team list, a number\'s compliance, queues', async () => {
    const teams = await api(app, org, 'GET', '/v1/teams');
    expect(teams.json.data.map((t: { name: string }) => t.name)).toContain('Front desk');
    expect(Object.keys(teams.json.data[0]).sort()).toEqual(['created_at', 'id', 'member_ids', 'name', 'object']);
    const compliance = await api(app, org, 'GET', `/v1/numbers/${org.numberId}/compliance`);
    expect(compliance.json).toMatchObject({ id: org.numberId, sender_type: 'long_code', texts: {} });
    const queue = await api(app, org, 'POST', '/v1/queues', { name: 'Support', initiation_keyword: 'SUPPORT', termination_keyword: 'BYE', numbers: [org.number] });
    expect(queue.status).toBe(201);
    expect((await api(app, org, 'GET', '/v1/queues')).json.data).toEqual([queue.json]);
    expect((await api(app, org, 'GET', `/v1/queues/${queue.json.id}`)).json).toEqual(queue.json);
    expect((await api(app, org, 'GET', `/v1/queues/${queue.json.id}/statistics`)).json).toMatchObject({ object: 'queue_statistics', totals: { sms_vol: 0 } });
    expect(app.responseViolations).toEqual([]);
  });

  it.runIf(dialectAvailable(dialect))('the check reports a field the schema forgets, a wrong type, and a JSON answer without a schema', async () => {
    const guard = responseGuard(() => app.http.getSchemas());
    const number = (await api(app, org, 'GET', `/v1/numbers/${org.numberId}`)).json as Record<string, unknown>;
    const responses = { 200: { $ref: 'Number#' } };
    expect(guard.check('GET /v1/numbers/{id}', 200, responses, number)).toEqual([]);
    // A mapper that gained a field the schema does not name: serialization would drop it silently.
    expect(guard.check('GET /v1/numbers/{id}', 200, responses, { ...number, forwarding: 'all' })).toEqual([
      'GET /v1/numbers/{id} 200: (the answer) must NOT have additional properties (forwarding)',
    ]);
    // Nested objects are closed too.
    expect(guard.check('GET /v1/x', 200, { 200: { type: 'object', properties: { data: { type: 'array', items: { $ref: 'Number#' } } } } }, { data: [{ ...number, extra: 1 }] })).toEqual([
      'GET /v1/x 200: /data/0 must NOT have additional properties (extra)',
    ]);
    expect(guard.check('GET /v1/numbers/{id}', 200, responses, { ...number, team_id: 42 })[0]).toMatch(/\/team_id must be/);
    expect(guard.check('GET /v1/x', 200, undefined, { a: 1 })).toEqual(['GET /v1/x 200: answers JSON but declares no response schema for 200']);
    expect(guard.check('GET /v1/x', 201, { 200: { $ref: 'Number#' } }, { a: 1 })).toEqual(['GET /v1/x 201: answers JSON but declares no response schema for 201']);
    expect(guard.check('GET /v1/x', 200, { 200: {} }, { a: 1 })[0]).toMatch(/says nothing/);
  });
});
