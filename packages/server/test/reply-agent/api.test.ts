/**
 * The reply agent's API (docs/reply-agent.md): settings, callbacks, take-over; every refused input
 * names the field; another organization's number, callback or conversation is a 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { as, createTeamOrg, ok, textFrom, type TeamOrg } from '../teams/helpers.js';

describe.each(DIALECTS)('reply agent API (%s)', (dialect) => {
  let app: TestApp;
  let org: TeamOrg;
  let other: TeamOrg;
  let callbackId: string;
  let conversationId: string;
  const run = it.runIf(dialectAvailable(dialect));

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    org = await createTeamOrg(app, 1);
    other = await createTeamOrg(app, 0);
    app.clock.set(Date.UTC(2026, 0, 15, 20, 0, 0));
    ok(await api(app, org, 'PUT', `/v1/numbers/${org.numberId}/reply-agent`, { enabled: true, facts: { business: 'Acme' } }));
    await textFrom(app, org, '+14155550901', 'call me tomorrow at 10am');
    const callbacks = ok(await api(app, org, 'GET', '/v1/callbacks')).json.data;
    callbackId = callbacks[0].id;
    conversationId = callbacks[0].conversation_id;
  });
  afterAll(async () => app?.close());

  run('settings: off with defaults until set, then what was stored', async () => {
    const fresh = ok(await api(app, other, 'GET', `/v1/numbers/${other.numberId}/reply-agent`)).json;
    expect(fresh).toEqual({ number_id: other.numberId, enabled: false, facts: {}, policy: { confidence_threshold: 0.6, max_exchanges: 5, hand_off_to: 'team' }, updated_at: null });
    const set = ok(
      await api(app, other, 'PUT', `/v1/numbers/${other.numberId}/reply-agent`, {
        enabled: true,
        facts: { business: ' Bolt Electric ', hours: '', booking_link: 'https://bolt.example/book' },
        policy: { confidence_threshold: 0.8, hand_off_to: 'agent' },
      }),
    ).json;
    expect(set).toMatchObject({ enabled: true, facts: { business: 'Bolt Electric', booking_link: 'https://bolt.example/book' }, policy: { confidence_threshold: 0.8, max_exchanges: 5, hand_off_to: 'agent' } });
    expect(set.facts.hours).toBeUndefined();
    expect(ok(await api(app, other, 'GET', `/v1/numbers/${other.numberId}/reply-agent`)).json).toEqual(set);
  });

  run.each([
    [{ enabled: true, facts: { booking_link: 'javascript:alert(1)' } }, 'facts.booking_link'],
    [{ enabled: true, facts: { business: 'x', coupon: '50% off' } }, 'coupon'],
    [{ enabled: true, policy: { confidence_threshold: 1.5 } }, 'confidence_threshold'],
    [{ enabled: true, policy: { hand_off_to: 'robot' } }, 'hand_off_to'],
    [{ enabled: true, policy: { max_exchanges: 0 } }, 'max_exchanges'],
    [{ facts: {} }, 'enabled'],
  ])('PUT %j is refused naming %s', async (body, field) => {
    const res = await api(app, org, 'PUT', `/v1/numbers/${org.numberId}/reply-agent`, body);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json.errors)).toContain(field);
  });

  run('an agent may read the settings but not change them', async () => {
    const agent = org.agents[0]!;
    ok(await api(app, as(agent), 'GET', `/v1/numbers/${org.numberId}/reply-agent`));
    expect((await api(app, as(agent), 'PUT', `/v1/numbers/${org.numberId}/reply-agent`, { enabled: false })).status).toBe(403);
  });

  run('callbacks: listed with contact, phone, ISO due_at and state; filtered; changed', async () => {
    const [cb] = ok(await api(app, org, 'GET', '/v1/callbacks?state=open')).json.data;
    // 10:00 on Friday 16 January in Los Angeles (415 handset), PST.
    expect(cb).toMatchObject({ id: callbackId, phone: '+14155550901', due_at: '2026-01-16T18:00:00.000Z', state: 'open' });
    const contact = ok(await api(app, org, 'GET', `/v1/contacts?q=${encodeURIComponent('+14155550901')}`)).json.data[0];
    expect(cb.contact_id).toBe(contact.id);
    expect(ok(await api(app, org, 'GET', '/v1/callbacks?state=done')).json.data).toEqual([]);
    const moved = ok(await api(app, org, 'PATCH', `/v1/callbacks/${callbackId}`, { due_at: '2026-01-16T20:00:00Z', assigned_user_id: org.agents[0]!.userId })).json;
    expect(moved).toMatchObject({ due_at: '2026-01-16T20:00:00.000Z', assigned_user_id: org.agents[0]!.userId });
  });

  run.each([
    ['/v1/callbacks?status=open', 'querystring.status'],
    ['/v1/callbacks?state=finished', 'state'],
    ['/v1/callbacks?limit=0', 'limit'],
  ])('GET %s is refused naming %s', async (url, field) => {
    const res = await api(app, org, 'GET', url);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json.errors)).toContain(field);
  });

  run.each([
    [{ state: 'finished' }, 'state'],
    [{ due_at: 'tomorrow' }, 'due_at'],
    [{ assigned_user_id: 'usr_nobody' }, 'assigned_user_id'],
    [{}, 'body'],
  ])('PATCH %j is refused naming %s', async (body, field) => {
    const res = await api(app, org, 'PATCH', `/v1/callbacks/${callbackId}`, body);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json)).toContain(field);
  });

  run("another organization's number, callback and conversation are 404", async () => {
    expect((await api(app, other, 'GET', `/v1/numbers/${org.numberId}/reply-agent`)).status).toBe(404);
    expect((await api(app, other, 'PUT', `/v1/numbers/${org.numberId}/reply-agent`, { enabled: false })).status).toBe(404);
    expect((await api(app, other, 'PATCH', `/v1/callbacks/${callbackId}`, { state: 'done' })).status).toBe(404);
    expect(ok(await api(app, other, 'GET', '/v1/callbacks')).json.data).toEqual([]);
    expect((await api(app, other, 'POST', `/v1/conversations/${conversationId}/reply-agent`, { action: 'take_over' })).status).toBe(404);
    expect((await api(app, other, 'GET', `/v1/conversations/${conversationId}/reply-agent`)).status).toBe(404);
  });

  run('take_over / hand_back answer the state; another action is refused', async () => {
    expect(ok(await api(app, org, 'POST', `/v1/conversations/${conversationId}/reply-agent`, { action: 'take_over' })).json).toEqual({ conversation_id: conversationId, state: 'taken_over' });
    expect(ok(await api(app, org, 'GET', `/v1/conversations/${conversationId}/reply-agent`)).json).toMatchObject({
      conversation_id: conversationId,
      enabled: true,
      state: 'taken_over',
      exchanges: expect.any(Number),
      reason: expect.stringContaining('taken over by user'),
    });
    expect(ok(await api(app, org, 'POST', `/v1/conversations/${conversationId}/reply-agent`, { action: 'hand_back' })).json).toEqual({ conversation_id: conversationId, state: 'active' });
    expect(ok(await api(app, org, 'GET', `/v1/conversations/${conversationId}/reply-agent`)).json).toMatchObject({ state: 'active', exchanges: 0 });
    const res = await api(app, org, 'POST', `/v1/conversations/${conversationId}/reply-agent`, { action: 'pause' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json.errors)).toContain('action');
  });
});
