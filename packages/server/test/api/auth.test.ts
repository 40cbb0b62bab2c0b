/** API keys: required on every /v1 route, revocable at once, and limited by the role of their user. */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';
import { countRows, expectProblem } from './helpers.js';

describe.each(DIALECTS)('authentication and roles (%s)', (dialect) => {
  let app: TestApp;
  let org: TestOrg;

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    org = await createTestOrg(app);
  });
  afterAll(async () => app?.close());

  it.runIf(dialectAvailable(dialect))('no Authorization header: 401 saying how to send the key, and nothing is written', async () => {
    const before = await countRows(app);
    const send = await api(app, null, 'POST', '/v1/messages', { to: '+14155550123', body: 'Hello' });
    expectProblem(send, 401, 'unauthorized', { detail: ['Authorization: Bearer <key>'] });
    expect(await countRows(app)).toEqual(before);
    for (const url of ['/v1/messages', '/v1/contacts', '/v1/events?after=0&once=true', '/v1/organization']) {
      expectProblem(await api(app, null, 'GET', url), 401, 'unauthorized');
    }
  });

  it.runIf(dialectAvailable(dialect))('a malformed Authorization header: 401', async () => {
    for (const authorization of [`Token ${org.apiKey}`, 'Bearer', 'Bearer ', `Bearer ${org.apiKey} extra`, org.apiKey, `Basic ${Buffer.from(`x:${org.apiKey}`).toString('base64')}`]) {
      const res = await api(app, null, 'GET', '/v1/contacts', undefined, { authorization });
      expectProblem(res, 401, 'unauthorized', { detail: ['Authorization: Bearer <key>'] });
    }
    // The scheme is case-insensitive, as HTTP says.
    expect((await api(app, null, 'GET', '/v1/contacts', undefined, { authorization: `bearer ${org.apiKey}` })).status).toBe(200);
  });

  it.runIf(dialectAvailable(dialect))('an unknown key: 401 "not valid or has been revoked"', async () => {
    for (const key of [`tbk_${crypto.randomBytes(24).toString('base64url')}`, `${org.apiKey}x`, org.apiKey.slice(0, -1)]) {
      const res = await api(app, { apiKey: key }, 'GET', '/v1/contacts');
      expectProblem(res, 401, 'unauthorized', { detail: ['not valid or has been revoked'] });
    }
  });

  it.runIf(dialectAvailable(dialect))('a revoked key stops working at once; other keys keep working', async () => {
    const created = await api(app, org, 'POST', '/v1/api-keys', { user_id: org.userId, name: 'zapier' });
    expect(created.status).toBe(201);
    expect(created.json.key).toMatch(/^tbk_/);
    const second = { apiKey: created.json.key as string };
    expect((await api(app, second, 'GET', '/v1/contacts')).status).toBe(200);

    // The key itself is shown once: the list has its prefix only.
    const listed = await api(app, org, 'GET', '/v1/api-keys');
    expect(JSON.stringify(listed.json)).not.toContain(second.apiKey);
    expect(listed.json.data.find((k: { id: string }) => k.id === created.json.id)).toMatchObject({ name: 'zapier', revoked_at: null, prefix: second.apiKey.slice(0, 10) });

    expect((await api(app, org, 'DELETE', `/v1/api-keys/${created.json.id}`)).status).toBe(204);
    const before = await countRows(app);
    expectProblem(await api(app, second, 'GET', '/v1/contacts'), 401, 'unauthorized', { detail: ['revoked'] });
    expectProblem(await api(app, second, 'POST', '/v1/messages', { to: '+14155550123', body: 'Hello' }), 401, 'unauthorized');
    expect(await countRows(app)).toEqual(before);

    expect((await api(app, org, 'GET', '/v1/contacts')).status).toBe(200);
    const after = await api(app, org, 'GET', '/v1/api-keys');
    expect(after.json.data.find((k: { id: string }) => k.id === created.json.id).revoked_at).not.toBeNull();
    // Revoking again is harmless; an unknown key id is 404.
    expect((await api(app, org, 'DELETE', `/v1/api-keys/${created.json.id}`)).status).toBe(204);
    expectProblem(await api(app, org, 'DELETE', '/v1/api-keys/key_nope'), 404, 'not_found');
  });

  it.runIf(dialectAvailable(dialect))('an agent can send and read, but cannot list jobs, create users, manage keys or change settings', async () => {
    const user = await api(app, org, 'POST', '/v1/users', { email: 'agent.smith@example.com', name: 'Agent Smith', role: 'agent' });
    expect(user.status).toBe(201);
    const key = await api(app, org, 'POST', '/v1/api-keys', { user_id: user.json.id, name: 'agent key' });
    const agent = { apiKey: key.json.key as string };

    const sent = await api(app, agent, 'POST', '/v1/messages', { to: '+14155550124', body: 'Hi, this is Agent Smith' });
    expect(sent.status).toBe(201);
    expect(sent.json.created_by).toEqual({ type: 'api_key', id: key.json.id });
    expect((await api(app, agent, 'GET', `/v1/messages/${sent.json.id}`)).status).toBe(200);
    expect((await api(app, agent, 'GET', '/v1/contacts')).status).toBe(200);

    const before = await countRows(app);
    expectProblem(await api(app, agent, 'GET', '/v1/jobs'), 403, 'forbidden', { detail: ['admin role', 'agent'] });
    expectProblem(await api(app, agent, 'POST', '/v1/users', { email: 'promoted@example.com', name: 'Me Again', role: 'agent' }), 403, 'forbidden');
    expectProblem(await api(app, agent, 'POST', '/v1/users', { email: 'boss@example.com', name: 'Boss', role: 'owner' }), 403, 'forbidden', { detail: ['owner role'] });
    expectProblem(await api(app, agent, 'POST', '/v1/api-keys', { user_id: user.json.id, name: 'more' }), 403, 'forbidden');
    expectProblem(await api(app, agent, 'GET', '/v1/api-keys'), 403, 'forbidden');
    expectProblem(await api(app, agent, 'DELETE', `/v1/api-keys/${key.json.id}`), 403, 'forbidden');
    expectProblem(await api(app, agent, 'PATCH', '/v1/organization', { settings: { max_body_length: 10 } }), 403, 'forbidden');
    expect(await countRows(app)).toEqual(before);
    expect((await api(app, org, 'GET', '/v1/organization')).json.settings.max_body_length).toBe(1000);
    const users = await api(app, org, 'GET', '/v1/users');
    expect(users.json.data.map((u: { email: string }) => u.email)).not.toContain('promoted@example.com');
    // The agent's key survived its own attempt to revoke it.
    expect((await api(app, agent, 'GET', '/v1/contacts')).status).toBe(200);
  });

  it.runIf(dialectAvailable(dialect))('health, docs and the OpenAPI document need no key', async () => {
    for (const url of ['/health', '/openapi.json', '/']) {
      const res = await api(app, null, 'GET', url);
      expect(res.status, url).not.toBe(401);
    }
  });
});
