/**
 * The inbox's backend: the conversation list (filters, embedded contact and last message, cursor),
 * status people control (done, snoozed, assignee, unread), assign-on-reply, internal notes, saved
 * replies and the sandbox's handsets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';
import { asBrowser, countRows, expectProblem, parseSse, signInBrowser, type Browser } from './helpers.js';

const PASSWORD = 'inbox password 1';

describe.each(DIALECTS)('the inbox (%s)', (dialect) => {
  let app: TestApp;
  let a: TestOrg;
  let b: TestOrg;
  let agent: Browser;
  let colleague: Browser;
  let supervisor: Browser;
  let teamId: string;
  let handset = 0;

  async function person(org: TestOrg, email: string, role: string): Promise<Browser> {
    expect((await api(app, org, 'POST', '/v1/users', { email, name: email.split('@')[0], role, password: PASSWORD })).status).toBe(201);
    return signInBrowser(app, email, PASSWORD);
  }

  /** A new contact texts org A: a new conversation, returned as the list shows it. */
  async function inbound(body = 'Hello there', org: TestOrg = a): Promise<{ id: string; contact_id: string; from: string }> {
    const from = `+1555010${String(handset++).padStart(4, '0')}`;
    const res = await api(app, org, 'POST', '/v1/sandbox/messages', { from, to: org.number, body });
    expect(res.status, res.raw.body).toBe(201);
    app.clock.advance(1000);
    return { id: res.json.conversation_id, contact_id: res.json.contact_id, from };
  }

  const list = async (query: string, as: Browser = agent) => {
    const res = await asBrowser(app, as, 'GET', `/v1/conversations?${query}`);
    expect(res.status, res.raw.body).toBe(200);
    return res.json.data.map((c: { id: string }) => c.id) as string[];
  };

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    a = await createTestOrg(app);
    b = await createTestOrg(app);
    agent = await person(a, 'agent@inbox.example', 'agent');
    colleague = await person(a, 'colleague@inbox.example', 'agent');
    supervisor = await person(a, 'supervisor@inbox.example', 'supervisor');
    const team = await api(app, a, 'POST', '/v1/teams', { name: 'Support' });
    expect(team.status, team.raw.body).toBe(201);
    teamId = team.json.id;
  });
  afterAll(async () => app?.close());

  it.runIf(dialectAvailable(dialect))('lists conversations by last message, newest first, with the contact and the last message (160 characters), page by page', async () => {
    const first = await inbound('first');
    const second = await inbound('x'.repeat(300));
    const third = await inbound('third');
    // A reply moves the first to the top.
    const reply = await api(app, a, 'POST', '/v1/messages', { conversation_id: first.id, body: 'We will call you back' });
    expect(reply.status, reply.raw.body).toBe(201);

    const page = await asBrowser(app, agent, 'GET', '/v1/conversations?limit=3');
    expect(page.json.data.map((c: { id: string }) => c.id)).toEqual([first.id, third.id, second.id]);
    const top = page.json.data[0];
    expect(top).toMatchObject({
      object: 'conversation',
      status: 'open',
      snoozed_until: null,
      contact: { id: first.contact_id, phone: first.from, name: null },
      last_message: { id: reply.json.id, direction: 'outbound', body: 'We will call you back', status: 'queued' },
    });
    expect(page.json.data[2].last_message.body).toBe('x'.repeat(160));
    expect(page.json.data[1]).toMatchObject({ unread_count: 1, read: false, last_message: { direction: 'inbound', body: 'third' } });

    // Every conversation once, through the cursor.
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const res = await asBrowser(app, agent, 'GET', `/v1/conversations?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...res.json.data.map((c: { id: string }) => c.id));
      cursor = res.json.next_cursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, 3)).toEqual([first.id, third.id, second.id]);
    expectProblem(await asBrowser(app, agent, 'GET', '/v1/conversations?cursor=nonsense'), 400, 'invalid_cursor');
    expectProblem(await asBrowser(app, agent, 'GET', '/v1/conversations?status=archived'), 400, 'validation_failed', {
      fields: ['querystring.status'],
      detail: ['must be one of open, done, snoozed, closed'],
    });
    expectProblem(await asBrowser(app, agent, 'GET', '/v1/conversations?has=everything'), 400, 'validation_failed', { fields: ['querystring.has'] });
  });

  it.runIf(dialectAvailable(dialect))('done, reopened, snoozed until later and woken by the clock or by a new text', async () => {
    const c = await inbound();
    const done = await asBrowser(app, agent, 'PATCH', `/v1/conversations/${c.id}`, { status: 'done' });
    expect(done.status, done.raw.body).toBe(200);
    expect(done.json).toMatchObject({ status: 'done', contact: { id: c.contact_id } });
    expect(await list('status=done')).toContain(c.id);
    expect(await list('status=open&limit=200')).not.toContain(c.id);
    expect(await list('status=closed')).toContain(c.id);

    const until = new Date(app.clock.now() + 3_600_000).toISOString();
    const snoozed = await asBrowser(app, agent, 'PATCH', `/v1/conversations/${c.id}`, { snoozed_until: until });
    expect(snoozed.json).toMatchObject({ status: 'open', snoozed_until: until });
    expect(await list('status=snoozed')).toEqual([c.id]);
    expect(await list('status=open&limit=200')).not.toContain(c.id);
    app.clock.advance(3_600_000);
    expect(await list('status=snoozed')).toEqual([]);
    expect(await list('status=open&limit=200')).toContain(c.id);

    // Snoozed again, then the contact writes: it wakes.
    await asBrowser(app, agent, 'PATCH', `/v1/conversations/${c.id}`, { snoozed_until: new Date(app.clock.now() + 86_400_000).toISOString() });
    expect(await list('status=snoozed')).toEqual([c.id]);
    await api(app, a, 'POST', '/v1/sandbox/messages', { from: c.from, to: a.number, body: 'Any news?' });
    expect(await list('status=snoozed')).toEqual([]);
    expect((await asBrowser(app, agent, 'GET', `/v1/conversations/${c.id}`)).json).toMatchObject({ status: 'open', snoozed_until: null });

    // Done, then a new text reopens it.
    await asBrowser(app, agent, 'PATCH', `/v1/conversations/${c.id}`, { status: 'done' });
    await api(app, a, 'POST', '/v1/sandbox/messages', { from: c.from, to: a.number, body: 'Hello?' });
    expect((await asBrowser(app, agent, 'GET', `/v1/conversations/${c.id}`)).json.status).toBe('open');

    // Bad input names the field.
    expectProblem(await asBrowser(app, agent, 'PATCH', `/v1/conversations/${c.id}`, { status: 'archived' }), 400, 'validation_failed', { fields: ['body.status'] });
    expectProblem(await asBrowser(app, agent, 'PATCH', `/v1/conversations/${c.id}`, { snoozed_until: 'tomorrow' }), 400, 'validation_failed');
    expectProblem(await asBrowser(app, agent, 'PATCH', `/v1/conversations/${c.id}`, { snoozed_until: new Date(app.clock.now() - 1000).toISOString() }), 400, 'validation_failed', {
      fields: ['snoozed_until'],
    });
    expectProblem(await asBrowser(app, agent, 'PATCH', `/v1/conversations/${c.id}`, {}), 400, 'validation_failed');
    expectProblem(await asBrowser(app, agent, 'PATCH', `/v1/conversations/${c.id}`, { colour: 'red' }), 400, 'validation_failed', { fields: ['body.colour'] });
  });

  it.runIf(dialectAvailable(dialect))('assigning: to oneself or a team by anyone, to another person by a supervisor; the filters follow', async () => {
    const c = await inbound();
    expect(await list('assigned=unassigned&limit=200')).toContain(c.id);
    const mine = await asBrowser(app, agent, 'PATCH', `/v1/conversations/${c.id}`, { assigned_user_id: agent.userId, assigned_team_id: teamId });
    expect(mine.json).toMatchObject({ assigned_user_id: agent.userId, assigned_team_id: teamId });
    expect(await list('assigned=me')).toContain(c.id);
    expect(await list('assigned=me', colleague)).not.toContain(c.id);
    expect(await list(`assigned=${agent.userId}`, colleague)).toContain(c.id);
    expect(await list(`team=${teamId}`)).toEqual([c.id]);
    expect(await list(`number=${a.numberId}&limit=200`)).toContain(c.id);
    expect(await list(`number=${b.numberId}`)).toEqual([]);
    expect(await list('assigned=unassigned&limit=200')).not.toContain(c.id);

    // An agent cannot hand it to someone else; a supervisor can.
    const before = (await asBrowser(app, agent, 'GET', `/v1/conversations/${c.id}`)).json;
    expectProblem(await asBrowser(app, agent, 'PATCH', `/v1/conversations/${c.id}`, { assigned_user_id: colleague.userId }), 403, 'forbidden', { detail: ['supervisor'] });
    expect((await asBrowser(app, agent, 'GET', `/v1/conversations/${c.id}`)).json.assigned_user_id).toBe(before.assigned_user_id);
    const handed = await asBrowser(app, supervisor, 'PATCH', `/v1/conversations/${c.id}`, { assigned_user_id: colleague.userId });
    expect(handed.json.assigned_user_id).toBe(colleague.userId);
    expect(await list('assigned=me', colleague)).toContain(c.id);
    // Unassigning is anyone's.
    expect((await asBrowser(app, agent, 'PATCH', `/v1/conversations/${c.id}`, { assigned_user_id: null, assigned_team_id: null })).json).toMatchObject({
      assigned_user_id: null,
      assigned_team_id: null,
    });

    // Another organization's people, teams and conversations do not exist here.
    const other = await api(app, b, 'GET', '/v1/me');
    expectProblem(await asBrowser(app, supervisor, 'PATCH', `/v1/conversations/${c.id}`, { assigned_user_id: other.json.user.id }), 400, 'validation_failed', { fields: ['assigned_user_id'] });
    const theirTeam = await api(app, b, 'POST', '/v1/teams', { name: 'Theirs' });
    expectProblem(await asBrowser(app, supervisor, 'PATCH', `/v1/conversations/${c.id}`, { assigned_team_id: theirTeam.json.id }), 400, 'validation_failed', { fields: ['assigned_team_id'] });
    const theirs = await inbound('hi', b);
    for (const [method, url, body] of [
      ['GET', `/v1/conversations/${theirs.id}`, undefined],
      ['PATCH', `/v1/conversations/${theirs.id}`, { status: 'done' }],
      ['POST', `/v1/conversations/${theirs.id}/unread`, undefined],
      ['GET', `/v1/conversations/${theirs.id}/notes`, undefined],
      ['POST', `/v1/conversations/${theirs.id}/notes`, { body: 'peek' }],
    ] as const) {
      expectProblem(await asBrowser(app, supervisor, method, url, body), 404, 'not_found');
    }
    expect((await api(app, b, 'GET', `/v1/conversations/${theirs.id}`)).json).toMatchObject({ status: 'open', unread_count: 1 });
    expect(await list('limit=200', supervisor)).not.toContain(theirs.id);
  });

  it.runIf(dialectAvailable(dialect))('marked unread and read again; changes reach the event stream', async () => {
    const c = await inbound();
    expect((await asBrowser(app, agent, 'POST', `/v1/conversations/${c.id}/read`)).json).toMatchObject({ unread_count: 0, read: true });
    const latest = await app.tb.ctx.db.kysely.selectFrom('events').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirstOrThrow();
    const unread = await asBrowser(app, agent, 'POST', `/v1/conversations/${c.id}/unread`);
    expect(unread.json).toMatchObject({ unread_count: 1, read: false });
    expect((await asBrowser(app, agent, 'POST', `/v1/conversations/${c.id}/unread`)).json.unread_count).toBe(1);
    const stream = await app.http.inject({ method: 'GET', url: `/v1/events?after=${Number(latest.seq)}&once=true`, headers: { cookie: agent.cookie } });
    const events = parseSse(stream.body).filter((e) => e.event === 'conversation.updated');
    expect(events.map((e) => JSON.parse(e.data))).toMatchObject([{ subject_id: c.id, data: { unread_count: 1, status: 'open', by: agent.userId } }]);
  });

  it.runIf(dialectAvailable(dialect))("a signed-in person's reply to an unassigned conversation assigns it to them; not one assigned to someone else, nor an API key's", async () => {
    const c = await inbound();
    const sent = await asBrowser(app, agent, 'POST', '/v1/messages', { conversation_id: c.id, body: 'On it!' });
    expect(sent.status, sent.raw.body).toBe(201);
    expect(sent.json).toMatchObject({ to: c.from, from: a.number, conversation_id: c.id, created_by: { type: 'user', id: agent.userId } });
    expect((await asBrowser(app, agent, 'GET', `/v1/conversations/${c.id}`)).json.assigned_user_id).toBe(agent.userId);
    // Already the agent's: a colleague's reply leaves it so.
    expect((await asBrowser(app, colleague, 'POST', '/v1/messages', { to: c.from, body: 'Me too' })).status).toBe(201);
    expect((await asBrowser(app, agent, 'GET', `/v1/conversations/${c.id}`)).json.assigned_user_id).toBe(agent.userId);
    // A script's reply assigns nothing.
    const d = await inbound();
    expect((await api(app, a, 'POST', '/v1/messages', { conversation_id: d.id, body: 'Automated hello' })).status).toBe(201);
    expect((await api(app, a, 'GET', `/v1/conversations/${d.id}`)).json.assigned_user_id).toBeNull();

    // conversation_id must exist here and agree with to / from.
    const theirs = await inbound('x', b);
    const before = await countRows(app);
    expectProblem(await asBrowser(app, agent, 'POST', '/v1/messages', { conversation_id: theirs.id, body: 'x' }), 400, 'validation_failed', { fields: ['body.conversation_id'] });
    expectProblem(await asBrowser(app, agent, 'POST', '/v1/messages', { conversation_id: c.id, to: '+14155550199', body: 'x' }), 400, 'validation_failed', { fields: ['body.to'] });
    expectProblem(await asBrowser(app, agent, 'POST', '/v1/messages', { body: 'to nobody' }), 400, 'validation_failed', { fields: ['body.to'] });
    expect(await countRows(app)).toEqual(before);
  });

  it.runIf(dialectAvailable(dialect))('notes: stored with their author, in the thread and the contact timeline, never sent', async () => {
    const c = await inbound();
    const before = await countRows(app);
    const note = await asBrowser(app, agent, 'POST', `/v1/conversations/${c.id}/notes`, { body: 'Customer prefers mornings <b>only</b>' });
    expect(note.status, note.raw.body).toBe(201);
    expect(note.json).toMatchObject({ object: 'note', body: 'Customer prefers mornings <b>only</b>', conversation_id: c.id, contact_id: c.contact_id, author: { id: agent.userId, name: 'agent' } });
    const after = await countRows(app);
    expect({ ...after, events: before.events }).toEqual(before); // nothing sent, queued or stored as a message
    expect(after.events).toBe(before.events + 1);
    const event = await app.tb.ctx.db.kysely.selectFrom('events').selectAll().where('type', '=', 'note.created').where('subject_id', '=', note.json.id).executeTakeFirstOrThrow();
    expect(event.data).not.toContain('mornings'); // events carry ids, never text

    const notes = await asBrowser(app, colleague, 'GET', `/v1/conversations/${c.id}/notes`);
    expect(notes.json.data).toEqual([note.json]);
    const timeline = await asBrowser(app, agent, 'GET', `/v1/contacts/${c.contact_id}/timeline`);
    expect(timeline.status, timeline.raw.body).toBe(200);
    const kinds = (timeline.json.data as { kind: string; id: string; data: { body?: string } }[]).map((e) => [e.kind, e.id]);
    expect(kinds).toContainEqual(['note', note.json.id]);
    expect(kinds.filter(([k]) => k === 'message')).toHaveLength(1);

    expectProblem(await asBrowser(app, agent, 'POST', `/v1/conversations/${c.id}/notes`, { body: '   ' }), 400, 'empty_body', { fields: ['body'] });
    expectProblem(await asBrowser(app, agent, 'POST', `/v1/conversations/${c.id}/notes`, { body: 'n'.repeat(5001) }), 400, 'body_too_long', { fields: ['body'] });
    expectProblem(await asBrowser(app, agent, 'POST', `/v1/conversations/${c.id}/notes`, {}), 400, 'validation_failed', { fields: ['body.body'] });
    expectProblem(await asBrowser(app, agent, 'POST', '/v1/conversations/cnv_nope/notes', { body: 'x' }), 404, 'not_found');
  });

  it.runIf(dialectAvailable(dialect))('saved replies: shared by the organization, managed by supervisors, validated like a message body, rendered for a conversation', async () => {
    const created = await asBrowser(app, supervisor, 'POST', '/v1/saved-replies', { name: 'Greeting', body: 'Hi {Name|there}, {Agent} from {Business} here. Your plan: {attr.plan}.' });
    expect(created.status, created.raw.body).toBe(201);
    expect(created.json).toMatchObject({ object: 'saved_reply', name: 'Greeting', variables: ['Name', 'Agent', 'Business', 'attr.plan'] });

    // Everyone sees it, filled in for a conversation.
    const c = await inbound();
    await api(app, a, 'PATCH', `/v1/contacts/${c.contact_id}`, { name: 'Maria Lopez', attributes: { plan: 'Gold' } });
    const listed = await asBrowser(app, agent, 'GET', `/v1/saved-replies?conversation=${c.id}`);
    expect(listed.json.data).toMatchObject([{ id: created.json.id }]);
    expect(listed.json.data[0].rendered).toMatch(/^Hi Maria, agent from .+ here\. Your plan: Gold\.$/);
    expect((await asBrowser(app, agent, 'GET', '/v1/saved-replies')).json.data[0].rendered).toBeUndefined();
    expectProblem(await asBrowser(app, agent, 'GET', '/v1/saved-replies?conversation=cnv_nope'), 404, 'not_found');

    // Agents use them but do not manage them.
    expectProblem(await asBrowser(app, agent, 'POST', '/v1/saved-replies', { name: 'Mine', body: 'x' }), 403, 'forbidden', { detail: ['supervisor'] });
    expectProblem(await asBrowser(app, agent, 'PATCH', `/v1/saved-replies/${created.json.id}`, { body: 'x' }), 403, 'forbidden');
    expectProblem(await asBrowser(app, agent, 'DELETE', `/v1/saved-replies/${created.json.id}`), 403, 'forbidden');

    // Validated like a message body, and as a template.
    expectProblem(await asBrowser(app, supervisor, 'POST', '/v1/saved-replies', { name: 'Empty', body: ' ' }), 400, 'empty_body', { fields: ['body'] });
    expectProblem(await asBrowser(app, supervisor, 'POST', '/v1/saved-replies', { name: 'Long', body: 'y'.repeat(1001) }), 400, 'body_too_long', { detail: ['1000'] });
    expectProblem(await asBrowser(app, supervisor, 'POST', '/v1/saved-replies', { name: 'Typo', body: 'Hi {Nmae}' }), 400, 'validation_failed', {
      fields: ['body'],
      detail: ['unknown variable {Nmae}', 'did you mean {Name}?'],
    });
    expectProblem(await asBrowser(app, supervisor, 'POST', '/v1/saved-replies', { name: 'Broken', body: 'Hi {Name' }), 400, 'validation_failed', { fields: ['body'] });
    expectProblem(await asBrowser(app, supervisor, 'POST', '/v1/saved-replies', { name: '', body: 'x' }), 400, 'validation_failed', { fields: ['body.name'] });
    expectProblem(await asBrowser(app, supervisor, 'POST', '/v1/saved-replies', { name: 'Greeting', body: 'again' }), 409, 'conflict', { fields: ['name'] });

    const renamed = await asBrowser(app, supervisor, 'PATCH', `/v1/saved-replies/${created.json.id}`, { name: 'Hello', body: 'Hello {Name}' });
    expect(renamed.json).toMatchObject({ name: 'Hello', body: 'Hello {Name}', variables: ['Name'] });
    expect((await api(app, a, 'GET', `/v1/saved-replies/${created.json.id}?conversation=${c.id}`)).json.rendered).toBe('Hello Maria');

    // Another organization's replies are not there.
    expect((await api(app, b, 'GET', '/v1/saved-replies')).json.data).toEqual([]);
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { name: 'Stolen' }],
      ['DELETE', undefined],
    ] as const) {
      expectProblem(await api(app, b, method, `/v1/saved-replies/${created.json.id}`, body), 404, 'not_found');
    }
    expect((await asBrowser(app, supervisor, 'DELETE', `/v1/saved-replies/${created.json.id}`)).status).toBe(204);
    expectProblem(await asBrowser(app, supervisor, 'GET', `/v1/saved-replies/${created.json.id}`), 404, 'not_found');
  });

  it.runIf(dialectAvailable(dialect))('filters for failed, scheduled and opted-out conversations', async () => {
    const failing = await inbound();
    await api(app, a, 'PUT', `/v1/sandbox/destinations/${encodeURIComponent(failing.from)}`, { fail_reason: 'unreachable' });
    expect((await api(app, a, 'POST', '/v1/messages', { conversation_id: failing.id, body: 'Hello?' })).status).toBe(201);
    // Sent (the number's pace may put it a few seconds later), then failed by the sandbox.
    for (let i = 0; i < 30; i++) await app.advance(2000);
    const scheduled = await inbound();
    const later = new Date(app.clock.now() + 86_400_000).toISOString();
    expect((await api(app, a, 'POST', '/v1/messages', { conversation_id: scheduled.id, body: 'Reminder', send_at: later })).status).toBe(201);
    const stopped = await inbound();
    await api(app, a, 'POST', '/v1/sandbox/messages', { from: stopped.from, to: a.number, body: 'STOP' });
    await app.drain();

    const failedRow = (await asBrowser(app, agent, 'GET', `/v1/conversations/${failing.id}`)).json;
    expect(failedRow.last_message, JSON.stringify(failedRow)).toMatchObject({ direction: 'outbound', status: 'undelivered' });
    expect(await list('has=failed&limit=200')).toEqual([failing.id]);
    expect(await list('has=scheduled&limit=200')).toEqual([scheduled.id]);
    expect(await list('has=opted_out&limit=200')).toEqual([stopped.id]);
    const row = (await asBrowser(app, agent, 'GET', `/v1/conversations/${failing.id}`)).json;
    expect(row.last_message).toMatchObject({ direction: 'outbound', status: 'undelivered' });
  });

  it.runIf(dialectAvailable(dialect))("the sandbox's handsets: numbers that texted or were texted, most recent first, this organization's only", async () => {
    const x = await inbound('one');
    const y = await inbound('two');
    await api(app, a, 'PUT', `/v1/sandbox/destinations/${encodeURIComponent(x.from)}`, { fail_reason: 'landline' });
    await inbound('three', b);
    const res = await asBrowser(app, agent, 'GET', '/v1/sandbox/handsets?limit=200');
    expect(res.status, res.raw.body).toBe(200);
    const numbers = res.json.data.map((h: { number: string }) => h.number);
    expect(numbers.indexOf(y.from)).toBeLessThan(numbers.indexOf(x.from));
    expect(res.json.data.find((h: { number: string }) => h.number === x.from)).toMatchObject({ messages: 1, fail_reason: 'landline' });
    expect(res.json.data.find((h: { number: string }) => h.number === y.from)).toMatchObject({ messages: 1, fail_reason: null });
    const theirs = (await api(app, b, 'GET', '/v1/sandbox/handsets')).json.data.map((h: { number: string }) => h.number);
    expect(theirs.filter((n: string) => numbers.includes(n))).toEqual([]);
  });
});
