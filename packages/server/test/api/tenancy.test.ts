/**
 * Tenancy: an organization's key sees and touches its own rows only. Another organization's row
 * answers exactly like a row that does not exist (404), so ids leak nothing either.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, createTestOrg, type ApiCall, type TestApp, type TestOrg } from '../support/test-app.js';
import { countRows, expectProblem } from './helpers.js';

interface Activity {
  message: string;
  scheduled: string;
  inbound: string;
  contact: string;
  conversation: string;
  call: string;
  user: string;
  key: string;
  job: string;
}

const ids = (res: ApiCall): string[] => res.json.data.map((r: { id: string }) => r.id);

describe.each(DIALECTS)('tenancy between two organizations (%s)', (dialect) => {
  let app: TestApp;
  let a: TestOrg;
  let b: TestOrg;
  let mine: Activity;
  let theirs: Activity;

  /** Some of everything, for one organization. */
  async function activity(org: TestOrg, tag: string): Promise<Activity> {
    const contact = await api(app, org, 'POST', '/v1/contacts', { phone: '+14155550177', name: `Pat ${tag}` });
    expect(contact.status).toBe(201);
    const message = await api(app, org, 'POST', '/v1/messages', { to: '+14155550177', body: `Hello from ${tag}` });
    const scheduled = await api(app, org, 'POST', '/v1/messages', {
      to: '+14155550178',
      body: `Later from ${tag}`,
      send_at: new Date(app.clock.now() + 86_400_000).toISOString(),
    });
    const inbound = await api(app, org, 'POST', '/v1/sandbox/messages', { from: '+15554265646', to: org.number, body: `Inbound to ${tag}` });
    const call = await api(app, org, 'POST', '/v1/sandbox/calls', { from: '+15554265647', to: org.number, outcome: 'no-answer' });
    const user = await api(app, org, 'POST', '/v1/users', { email: `agent-${tag}@example.com`, name: `Agent ${tag}`, role: 'agent' });
    const key = await api(app, org, 'POST', '/v1/api-keys', { user_id: user.json.id, name: `key ${tag}` });
    for (const r of [message, scheduled, inbound, call, user, key]) expect(r.status, r.raw.body).toBe(201);
    // Cancelling the scheduled text leaves a cancelled job: one that retry would accept.
    expect((await api(app, org, 'POST', `/v1/messages/${scheduled.json.id}/cancel`)).status).toBe(200);
    const jobs = await api(app, org, 'GET', '/v1/jobs?state=cancelled');
    expect(jobs.json.data.length).toBeGreaterThan(0);
    return {
      message: message.json.id,
      scheduled: scheduled.json.id,
      inbound: inbound.json.id,
      contact: contact.json.id,
      conversation: inbound.json.conversation_id,
      call: call.json.id,
      user: user.json.id,
      key: key.json.id,
      job: jobs.json.data[0].id,
    };
  }

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    a = await createTestOrg(app, '+14155550101');
    b = await createTestOrg(app, '+14155550102');
    // Both organizations talk to the same handsets: the same phone is a different contact in each.
    mine = await activity(a, 'A');
    theirs = await activity(b, 'B');
  });
  afterAll(async () => app?.close());

  /** A 404 for another organization's row that is indistinguishable from one for a made-up id. */
  async function expectHidden(method: 'GET' | 'POST' | 'PATCH', path: (id: string) => string, id: string, made: string, body?: unknown) {
    const other = await api(app, a, method, path(id), body);
    const missing = await api(app, a, method, path(made), body);
    expectProblem(other, 404, 'not_found', { detail: [id] });
    expectProblem(missing, 404, 'not_found');
    expect({ ...other.json, detail: other.json.detail.replace(id, '<id>') }).toEqual({ ...missing.json, detail: missing.json.detail.replace(made, '<id>') });
  }

  it.runIf(dialectAvailable(dialect))("every GET by id of the other organization's rows is 404, like an id that does not exist", async () => {
    await expectHidden('GET', (id) => `/v1/messages/${id}`, theirs.message, 'msg_01J00000000000000000000000');
    await expectHidden('GET', (id) => `/v1/messages/${id}`, theirs.inbound, 'msg_01J00000000000000000000001');
    await expectHidden('GET', (id) => `/v1/contacts/${id}`, theirs.contact, 'ct_01J00000000000000000000000');
    await expectHidden('GET', (id) => `/v1/conversations/${id}`, theirs.conversation, 'cnv_01J00000000000000000000000');
    await expectHidden('GET', (id) => `/v1/conversations/${id}/messages`, theirs.conversation, 'cnv_01J00000000000000000000000');
    await expectHidden('GET', (id) => `/v1/calls/${id}`, theirs.call, 'call_01J00000000000000000000000');
    await expectHidden('GET', (id) => `/v1/users/${id}`, theirs.user, 'usr_01J00000000000000000000000');
    // Jobs have no GET by id; retry is their by-id route.
    await expectHidden('POST', (id) => `/v1/jobs/${id}/retry`, theirs.job, 'job_01J00000000000000000000000');
    // ... and each of those is there for its own organization.
    expect((await api(app, b, 'GET', `/v1/messages/${theirs.message}`)).status).toBe(200);
    expect((await api(app, b, 'GET', `/v1/contacts/${theirs.contact}`)).status).toBe(200);
    expect((await api(app, b, 'GET', `/v1/conversations/${theirs.conversation}`)).status).toBe(200);
    expect((await api(app, b, 'GET', `/v1/calls/${theirs.call}`)).status).toBe(200);
    expect((await api(app, b, 'GET', `/v1/users/${theirs.user}`)).status).toBe(200);
  });

  it.runIf(dialectAvailable(dialect))("writes to the other organization's rows are 404 and change nothing", async () => {
    const before = await countRows(app);
    const contactBefore = (await api(app, b, 'GET', `/v1/contacts/${theirs.contact}`)).json;
    await expectHidden('PATCH', (id) => `/v1/contacts/${id}`, theirs.contact, 'ct_01J00000000000000000000000', { name: 'Hijacked', attributes: { vip: true } });
    expect((await api(app, b, 'GET', `/v1/contacts/${theirs.contact}`)).json).toEqual(contactBefore);

    const conversationBefore = (await api(app, b, 'GET', `/v1/conversations/${theirs.conversation}`)).json;
    expect(conversationBefore.unread_count).toBe(1);
    await expectHidden('POST', (id) => `/v1/conversations/${id}/read`, theirs.conversation, 'cnv_01J00000000000000000000000');
    expect((await api(app, b, 'GET', `/v1/conversations/${theirs.conversation}`)).json).toEqual(conversationBefore);

    await expectHidden('POST', (id) => `/v1/messages/${id}/cancel`, theirs.message, 'msg_01J00000000000000000000000');
    expect((await api(app, b, 'GET', `/v1/messages/${theirs.message}`)).json.status).toBe('queued');

    const jobBefore = (await api(app, b, 'GET', '/v1/jobs?state=cancelled')).json.data.find((j: { id: string }) => j.id === theirs.job);
    expectProblem(await api(app, a, 'POST', `/v1/jobs/${theirs.job}/retry`), 404, 'not_found');
    expect((await api(app, b, 'GET', '/v1/jobs?state=cancelled')).json.data.find((j: { id: string }) => j.id === theirs.job)).toEqual(jobBefore);

    // Revoking the other organization's key: 404, and the key keeps working for its owner.
    expectProblem(await api(app, a, 'DELETE', `/v1/api-keys/${theirs.key}`), 404, 'not_found');
    expect((await api(app, b, 'GET', '/v1/api-keys')).json.data.find((k: { id: string }) => k.id === theirs.key).revoked_at).toBeNull();
    // Keys for the other organization's users cannot be minted.
    expectProblem(await api(app, a, 'POST', '/v1/api-keys', { user_id: theirs.user, name: 'sneaky' }), 404, 'not_found');

    expect(await countRows(app)).toEqual(before);
  });

  it.runIf(dialectAvailable(dialect))("lists show the organization's own rows and never the other's", async () => {
    const lists: [string, string[], string[]][] = [
      ['/v1/messages', [mine.message, mine.inbound, mine.scheduled], [theirs.message, theirs.inbound, theirs.scheduled]],
      ['/v1/contacts', [mine.contact], [theirs.contact]],
      ['/v1/conversations', [mine.conversation], [theirs.conversation]],
      ['/v1/calls', [mine.call], [theirs.call]],
      ['/v1/users', [mine.user, a.userId], [theirs.user, b.userId]],
      ['/v1/api-keys', [mine.key], [theirs.key]],
      ['/v1/jobs', [mine.job], [theirs.job]],
      ['/v1/numbers', [a.numberId], [b.numberId]],
    ];
    // Filtered by a contact or conversation: the other organization's id filters to nothing, own ids to own texts.
    const filters = [
      ['contact', mine.contact, mine.message, theirs.contact, theirs.message],
      ['conversation', mine.conversation, mine.inbound, theirs.conversation, theirs.inbound],
    ] as const;
    for (const [filter, own, ownText, other, otherText] of filters) {
      const theirsSeen = await api(app, a, 'GET', `/v1/messages?${filter}=${other}`);
      expect(theirsSeen.status).toBe(200);
      expect(ids(theirsSeen), `?${filter}= of the other organization`).toEqual([]);
      expect(ids(await api(app, a, 'GET', `/v1/messages?${filter}=${own}`))).toEqual([ownText]);
      expect(ids(await api(app, b, 'GET', `/v1/messages?${filter}=${other}`))).toEqual([otherText]);
    }
    // Users, API keys and numbers are listed whole: they refuse a limit rather than ignore it.
    const unpaginated = ['/v1/users', '/v1/api-keys', '/v1/numbers'];
    for (const [url, own, other] of lists) {
      const res = await api(app, a, 'GET', unpaginated.includes(url) ? url : `${url}${url.includes('?') ? '&' : '?'}limit=200`);
      expect(res.status, url).toBe(200);
      const seen = ids(res);
      for (const id of own) expect(seen, `${url} should list ${id}`).toContain(id);
      for (const id of other) expect(seen, `${url} must not list ${id}`).not.toContain(id);
    }

    // Every row a list returns belongs to the organization, not only the ones created above.
    const messages = (await api(app, a, 'GET', '/v1/messages?limit=200')).json.data;
    expect(messages.every((m: { from: string; to: string }) => m.from === a.number || m.to === a.number)).toBe(true);
    const numbers = (await api(app, a, 'GET', '/v1/numbers')).json.data;
    expect(numbers.map((n: { phone: string }) => n.phone)).toEqual([a.number]);

    // Filters by the other organization's ids find nothing.
    for (const url of [`/v1/messages?contact=${theirs.contact}`, `/v1/messages?conversation=${theirs.conversation}`, `/v1/conversations?contact=${theirs.contact}`, `/v1/calls?contact=${theirs.contact}`]) {
      expect((await api(app, a, 'GET', url)).json.data, url).toEqual([]);
    }
    // The same phone is a separate contact in each organization.
    const search = (await api(app, a, 'GET', '/v1/contacts?q=Pat')).json.data;
    expect(search.map((c: { name: string }) => c.name)).toEqual(['Pat A']);

    // A handset's sandbox inbox shows what this organization's numbers exchanged with it only.
    const inbox = (await api(app, a, 'GET', '/v1/sandbox/handsets/+15554265646/messages')).json.data;
    expect(inbox.length).toBeGreaterThan(0);
    expect(inbox.every((m: { business_number: string }) => m.business_number === a.number)).toBe(true);
  });

  it.runIf(dialectAvailable(dialect))("the other organization's number can be neither sent from nor texted or called through your key", async () => {
    const before = await countRows(app);
    expectProblem(await api(app, a, 'POST', '/v1/messages', { to: '+14155550199', body: 'Spoofed', from: b.number }), 404, 'unknown_number', {
      detail: [b.number, "not one of this organization's numbers"],
      fields: ['from'],
    });
    expectProblem(await api(app, a, 'POST', '/v1/sandbox/messages', { from: '+15554265646', to: b.number, body: 'Hi B' }), 404, 'unknown_number', { fields: ['to'] });
    expectProblem(await api(app, a, 'POST', '/v1/sandbox/calls', { from: '+15554265646', to: b.number, outcome: 'busy' }), 404, 'unknown_number');
    expectProblem(
      await api(app, a, 'POST', '/v1/calls', { from: '+15554265646', to: b.number, direction: 'inbound', status: 'no-answer', external_id: 'pbx-1' }),
      404,
      'unknown_number',
    );
    expect(await countRows(app)).toEqual(before);
    // B saw nothing of it.
    const bInbox = await api(app, b, 'GET', '/v1/messages?direction=inbound');
    expect(bInbox.json.data.map((m: { body: string }) => m.body)).toEqual(['Inbound to B']);
  });

  it.runIf(dialectAvailable(dialect))('an Idempotency-Key belongs to one organization: the same key in another creates its own message', async () => {
    const first = await api(app, a, 'POST', '/v1/messages', { to: '+14155550188', body: 'Order 7 shipped' }, { 'idempotency-key': 'order-7' });
    const second = await api(app, b, 'POST', '/v1/messages', { to: '+14155550188', body: 'Order 7 shipped' }, { 'idempotency-key': 'order-7' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.json.id).not.toBe(first.json.id);
    expect(second.json.from).toBe(b.number);
    // A different body with that key in B is B's mismatch, not A's message.
    const mismatch = await api(app, b, 'POST', '/v1/messages', { to: '+14155550188', body: 'Something else' }, { 'idempotency-key': 'order-7' });
    expectProblem(mismatch, 422, 'idempotency_mismatch');
  });
});
