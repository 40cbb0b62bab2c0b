/**
 * The reply agent end to end through the sandbox, on both databases, with the fake clock
 * (docs/reply-agent.md): a missed call, the text-back, "call me after 5" at 21:00 their time → the
 * agent answers, a callback is booked for 17:00 the next day in the contact's zone, the team is
 * reminded at the due time; a STOP in the middle → the agent never texts again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { createTeamOrg, inbox, ok, settle, textFrom, type TeamOrg } from '../teams/helpers.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
// Thursday 15 January 2026, 20:50 in Los Angeles (a 415 handset's zone; the organization is in New York).
const LA_2050 = Date.UTC(2026, 0, 16, 4, 50, 0);

describe.each(DIALECTS)('reply agent scenario (%s)', (dialect) => {
  let app: TestApp;
  let org: TeamOrg;
  let n = 0;
  const handset = () => `+1415555${String(300 + n++).padStart(4, '0')}`;
  const run = it.runIf(dialectAvailable(dialect));

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    org = await createTeamOrg(app, 1);
    ok(await api(app, org, 'POST', '/v1/automations/presets/missed-call-text-back', { business_name: 'Acme Plumbing' }), 201);
    ok(await api(app, org, 'PUT', `/v1/numbers/${org.numberId}/reply-agent`, { enabled: true, facts: { business: 'Acme Plumbing', hours: 'Mon-Fri 8am-6pm' } }));
  });
  afterAll(async () => app?.close());

  async function missedCallAndTextBack(phone: string): Promise<string> {
    const res = ok(await api(app, org, 'POST', '/v1/sandbox/calls', { from: phone, to: org.number, outcome: 'no-answer' }), 201);
    await app.drain();
    await app.advance(15 * SECOND);
    await settle(app);
    const texts = await inbox(app, org, phone);
    expect(texts).toHaveLength(1);
    expect(texts[0]!.body).toContain('Acme Plumbing');
    return res.json.contact_id as string;
  }

  async function timeline(contactId: string): Promise<string[]> {
    const res = ok(await api(app, org, 'GET', `/v1/contacts/${contactId}/timeline`));
    return (res.json.data as { kind: string; summary: string }[]).filter((e) => e.kind === 'reply_agent').map((e) => e.summary);
  }

  run('"call me after 5" at 21:00: answered, a callback for 17:00 the next day their time, the team reminded at due time', async () => {
    app.clock.set(LA_2050);
    const phone = handset();
    const contactId = await missedCallAndTextBack(phone);

    app.clock.set(LA_2050 + 10 * MINUTE); // 21:00 in Los Angeles
    await textFrom(app, org, phone, 'yes call me after 5');
    const texts = await inbox(app, org, phone);
    expect(texts.map((t) => t.body)).toHaveLength(2);
    expect(texts[1]!.body).toBe('Thanks! Acme Plumbing will call you tomorrow at 5:00 PM.');

    const callbacks = ok(await api(app, org, 'GET', `/v1/callbacks?contact=${contactId}`)).json.data;
    expect(callbacks).toHaveLength(1);
    // 17:00 on Friday 16 January in Los Angeles (PST, UTC−8).
    expect(callbacks[0]).toMatchObject({ contact_id: contactId, phone, due_at: '2026-01-17T01:00:00.000Z', state: 'open', assigned_team_id: org.teamId, reminded_at: null });

    const decisions = await timeline(contactId);
    expect(decisions.some((d) => /^reply agent: intent callback_request 0\.\d\d: booked for 17:00 their time; callback cb_\w+ due 2026-01-17T01:00:00Z/.test(d))).toBe(true);

    // Nothing reminds anyone before the due time...
    const agent = org.agents[0]!;
    await app.advance(Date.parse('2026-01-17T01:00:00Z') - app.clock.now() - SECOND);
    expect((await inbox(app, org, agent.mobile)).filter((t) => t.body.includes('Callback due'))).toHaveLength(0);
    // ...and at it, the team's agent gets a text and the callback.due event is logged.
    await app.advance(SECOND);
    await settle(app);
    const reminders = (await inbox(app, org, agent.mobile)).filter((t) => t.body.includes('Callback due'));
    expect(reminders.map((t) => t.body)).toEqual([`Callback due now: call ${phone} (callback ${callbacks[0].id}).`]);
    const after = ok(await api(app, org, 'GET', `/v1/callbacks?contact=${contactId}`)).json.data[0];
    expect(after.reminded_at).toBe('2026-01-17T01:00:00.000Z');
    expect((await timeline(contactId)).some((d) => d.startsWith(`callback ${callbacks[0].id} due: the team was reminded (texted ${agent.userId})`))).toBe(true);

    // The team marks it done.
    const done = ok(await api(app, org, 'PATCH', `/v1/callbacks/${callbacks[0].id}`, { state: 'done' })).json;
    expect(done.state).toBe('done');
    expect(ok(await api(app, org, 'GET', '/v1/callbacks?state=open')).json.data.filter((c: { contact_id: string }) => c.contact_id === contactId)).toHaveLength(0);
  });

  run('a STOP in the middle: compliance answers it, and the agent never texts again', async () => {
    app.clock.set(LA_2050 + 7 * 24 * 60 * MINUTE);
    const phone = handset();
    const contactId = await missedCallAndTextBack(phone);
    app.clock.advance(10 * MINUTE);
    await textFrom(app, org, phone, 'what are your hours?');
    expect((await inbox(app, org, phone)).map((t) => t.body)[1]).toBe('Our hours: Mon-Fri 8am-6pm');
    app.clock.advance(5 * MINUTE);
    await textFrom(app, org, phone, 'STOP');
    const afterStop = (await inbox(app, org, phone)).map((t) => t.body);
    expect(afterStop).toHaveLength(3); // the STOP confirmation, from compliance
    expect(afterStop[2]).not.toContain('Acme Plumbing will call');
    app.clock.advance(5 * MINUTE);
    await textFrom(app, org, phone, 'call me tomorrow morning');
    app.clock.advance(5 * MINUTE);
    await textFrom(app, org, phone, 'hello??');
    expect(await inbox(app, org, phone)).toHaveLength(3);
    // The agent did not answer the keyword at all.
    const decisions = await timeline(contactId);
    expect(decisions.filter((d) => d.includes('hours'))).toHaveLength(1);
    expect(decisions.some((d) => /STOP|keyword/i.test(d))).toBe(false);
    // The texts after the STOP were seen and left alone: no text was even tried.
    expect(decisions.filter((d) => d === 'reply agent: the contact opted out; the agent stays quiet')).toHaveLength(2);
    const outbound = ok(await api(app, org, 'GET', `/v1/messages?contact=${contactId}&direction=outbound`)).json.data;
    expect(outbound.filter((m: { status: string }) => m.status === 'blocked')).toEqual([]);
  });

  run('a person who replies takes the conversation over; hand_back gives it back', async () => {
    app.clock.set(LA_2050 + 14 * 24 * 60 * MINUTE + 12 * 60 * MINUTE);
    const phone = handset();
    const contactId = await missedCallAndTextBack(phone);
    app.clock.advance(10 * MINUTE);
    ok(await api(app, org, 'POST', '/v1/messages', { to: phone, from: org.number, body: 'Hi, this is Sam from Acme.' }), 201);
    await settle(app);
    await textFrom(app, org, phone, 'what are your hours?');
    expect(await inbox(app, org, phone)).toHaveLength(2); // the text-back and Sam's text, no agent reply
    expect((await timeline(contactId)).some((d) => d.includes('a person replied in this conversation'))).toBe(true);

    const conversation = ok(await api(app, org, 'GET', `/v1/conversations?contact=${contactId}`)).json.data[0];
    ok(await api(app, org, 'POST', `/v1/conversations/${conversation.id}/reply-agent`, { action: 'hand_back' }));
    app.clock.advance(10 * MINUTE);
    await textFrom(app, org, phone, 'what are your hours?');
    expect((await inbox(app, org, phone)).map((t) => t.body).at(-1)).toBe('Our hours: Mon-Fri 8am-6pm');

    ok(await api(app, org, 'POST', `/v1/conversations/${conversation.id}/reply-agent`, { action: 'take_over' }));
    app.clock.advance(10 * MINUTE);
    await textFrom(app, org, phone, 'what are your hours?');
    expect(await inbox(app, org, phone)).toHaveLength(3);
  });

  run('"a real person please": it says so, assigns the online agent (hand_off_to agent) and stops replying', async () => {
    ok(await api(app, org, 'PUT', `/v1/numbers/${org.numberId}/reply-agent`, { enabled: true, facts: { business: 'Acme Plumbing', hours: 'Mon-Fri 8am-6pm' }, policy: { hand_off_to: 'agent' } }));
    app.clock.set(LA_2050 + 21 * 24 * 60 * MINUTE + 12 * 60 * MINUTE);
    const phone = handset();
    const contactId = await missedCallAndTextBack(phone);
    app.clock.advance(10 * MINUTE);
    await textFrom(app, org, phone, 'can I talk to a real person');
    expect((await inbox(app, org, phone)).map((t) => t.body).at(-1)).toBe("Thanks! I'm passing this to the Acme Plumbing team; a person will get back to you shortly.");
    const conversation = ok(await api(app, org, 'GET', `/v1/conversations?contact=${contactId}`)).json.data[0];
    expect(conversation.assigned_user_id).toBe(org.agents[0]!.userId);
    expect((await timeline(contactId)).some((d) => d.includes('intent human') && d.includes('handed off (the contact asked for a person)') && d.includes(`assigned to agent ${org.agents[0]!.userId}`))).toBe(true);
    app.clock.advance(10 * MINUTE);
    await textFrom(app, org, phone, 'what are your hours?');
    expect(await inbox(app, org, phone)).toHaveLength(2);
  });
});

describe.each(DIALECTS)('reply agent switched on by an automation step (%s)', (dialect) => {
  let app: TestApp;
  let org: TeamOrg;
  let n = 0;
  const handset = () => `+1415555${String(700 + n++).padStart(4, '0')}`;
  const run = it.runIf(dialectAvailable(dialect));

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    org = await createTeamOrg(app, 1);
    // The number's own switch stays off: only the automation's conversations get the agent.
    ok(await api(app, org, 'PUT', `/v1/numbers/${org.numberId}/reply-agent`, { enabled: false, facts: { business: 'Acme Plumbing' } }));
    ok(
      await api(app, org, 'POST', '/v1/automations', {
        name: 'Text-back with the agent',
        state: 'active',
        priority: 1,
        scope: { numbers: 'all' },
        trigger: { type: 'call.completed' },
        steps: [
          { type: 'condition', if: { field: 'call.outcome', op: '!=', value: 'missed' }, then: [{ type: 'stop' }] },
          { type: 'send_sms', template: 'Sorry we missed you! Reply here.' },
          { type: 'reply_agent', note: 'the agent takes the replies' },
        ],
      }),
      201,
    );
  });
  afterAll(async () => app?.close());

  run("the automation's conversation is answered (a callback booked); a contact who just texts in is not", async () => {
    app.clock.set(LA_2050);
    const phone = handset();
    const call = ok(await api(app, org, 'POST', '/v1/sandbox/calls', { from: phone, to: org.number, outcome: 'no-answer' }), 201);
    await app.drain();
    await settle(app);
    const contactId = call.json.contact_id as string;
    const conversation = ok(await api(app, org, 'GET', `/v1/conversations?contact=${contactId}`)).json.data[0];
    expect(ok(await api(app, org, 'GET', `/v1/conversations/${conversation.id}/reply-agent`)).json).toMatchObject({ enabled: true, state: 'active' });

    app.clock.set(LA_2050 + 10 * MINUTE);
    await textFrom(app, org, phone, 'yes call me after 5');
    const texts = await inbox(app, org, phone);
    expect(texts.map((t) => t.body)).toEqual(['Sorry we missed you! Reply here.\nReply STOP to opt out', 'Thanks! Acme Plumbing will call you tomorrow at 5:00 PM.']);
    expect(ok(await api(app, org, 'GET', `/v1/callbacks?contact=${contactId}`)).json.data).toHaveLength(1);

    // Someone who texts first (no automation ran for them): the number's switch is off, nobody answers.
    const other = handset();
    await textFrom(app, org, other, 'call me after 5');
    expect(await inbox(app, org, other)).toEqual([]);
  });
});
