/**
 * Inbound keywords and the consent ledger, through the sandbox's handsets, on both databases:
 * STOP-type words opt out with exactly one confirmation, START opts back in, HELP answers, free
 * text is only flagged; an agent cannot undo the contact's STOP; sends to opted-out contacts are
 * blocked, at creation and again at send time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendMessage } from '../../src/use-cases/messages.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, type TestApp, type TestOrg } from '../support/test-app.js';
import { freshOrg, inbox, settle } from './helpers.js';

let handsetSeq = 0;
const nextHandset = () => `+1415555${String(300 + handsetSeq++).padStart(4, '0')}`;

describe.each(DIALECTS)('keywords and consent (%s)', (dialect) => {
  let app: TestApp;
  let org: TestOrg;

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    org = await freshOrg(app);
  });
  afterAll(async () => app?.close());

  const text = (from: string, body: string, to = org.number) => api(app, org, 'POST', '/v1/sandbox/messages', { from, to, body });
  const consentOf = async (contactId: string) => (await api(app, org, 'GET', `/v1/contacts/${contactId}/consent`)).json;

  const OPT_OUTS = ['STOP', 'stop', ' Stop ', 'stop.', 'sToP!', '  UNSUBSCRIBE  ', 'Stop All', 'stopall', 'end', 'Cancel', 'QUIT', 'optout', 'revoke', '\tstop\n', '"STOP"'];
  it.runIf(dialectAvailable(dialect)).each(OPT_OUTS)('%j opts the contact out and sends exactly one confirmation', async (body) => {
    const handset = nextHandset();
    const inbound = await text(handset, body);
    expect(inbound.status).toBe(201);
    expect(inbound.json.flags).toMatchObject({ keyword: 'opt_out' });
    await settle(app);

    const consent = await consentOf(inbound.json.contact_id);
    expect(consent).toMatchObject({ state: 'opted_out', opted_out_by: 'contact' });
    expect(consent.ledger).toHaveLength(1);
    expect(consent.ledger[0]).toMatchObject({ state: 'opted_out', source: 'keyword', actor: { type: 'contact' }, evidence: { message_id: inbound.json.id } });
    const received = await inbox(app, org, handset);
    expect(received).toHaveLength(1);
    expect(received[0]!.body).toMatch(/unsubscribed/);

    // A second STOP from an opted-out contact changes nothing and gets no second text.
    await text(handset, 'STOP');
    await settle(app);
    expect(await inbox(app, org, handset)).toHaveLength(1);
    expect((await consentOf(inbound.json.contact_id)).ledger).toHaveLength(1);
  });

  it.runIf(dialectAvailable(dialect))('a text to an opted-out contact is blocked with reason opted_out, and never sent', async () => {
    const handset = nextHandset();
    await text(handset, 'STOP');
    await settle(app);
    const res = await api(app, org, 'POST', '/v1/messages', { to: handset, body: 'Are you still interested?' });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ status: 'blocked', reason: 'opted_out', rule: 'CONSENT' });
    expect(res.json.status_detail).toMatch(/blocked: opted_out/);
    await settle(app);
    expect((await api(app, org, 'GET', `/v1/messages/${res.json.id}`)).json.status).toBe('blocked');
    expect(await inbox(app, org, handset)).toHaveLength(1); // only the STOP confirmation
    const events = await app.tb.ctx.db.kysely.selectFrom('events').selectAll().where('subject_id', '=', res.json.id).where('type', '=', 'compliance.decision').execute();
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.data)).toMatchObject({ decision: 'blocked', reason: 'opted_out', rule: 'CONSENT', stage: 'create' });
  });

  it.runIf(dialectAvailable(dialect))('the gate decides again at send time: a STOP while a text waits blocks it', async () => {
    const handset = nextHandset();
    const inbound = await text(handset, 'Hi, do you do repairs?');
    const later = new Date(app.clock.now() + 3600_000).toISOString();
    const scheduled = await api(app, org, 'POST', '/v1/messages', { to: handset, body: 'Following up', send_at: later });
    expect(scheduled.json.status).toBe('scheduled');
    await text(handset, 'stop');
    await app.advance(3600_000);
    await settle(app);
    const after = await api(app, org, 'GET', `/v1/messages/${scheduled.json.id}`);
    expect(after.json).toMatchObject({ status: 'blocked', reason: 'opted_out', rule: 'CONSENT' });
    expect((await inbox(app, org, handset)).map((m) => m.body)).toEqual([expect.stringMatching(/unsubscribed/)]);
    expect((await consentOf(inbound.json.contact_id)).ledger.map((e: { state: string }) => e.state)).toEqual(['opted_out', 'implied']);
  });

  it.runIf(dialectAvailable(dialect))('an agent cannot undo a keyword opt-out; the contact can, with START', async () => {
    const handset = nextHandset();
    const stop = await text(handset, 'STOP');
    await settle(app);
    const contactId = stop.json.contact_id as string;

    const refused = await api(app, org, 'POST', `/v1/contacts/${contactId}/consent`, { state: 'opted_in', evidence: { note: 'customer asked on the phone' } });
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.json).toMatchObject({ code: 'opted_out_by_contact', status: 409 });
    expect(refused.json.detail).toMatch(/only the contact can opt back in/i);
    expect((await consentOf(contactId)).state).toBe('opted_out');

    const start = await text(handset, ' Start ');
    expect(start.json.flags).toMatchObject({ keyword: 'opt_in' });
    await settle(app);
    const consent = await consentOf(contactId);
    expect(consent.state).toBe('opted_in');
    expect(consent.ledger[0]).toMatchObject({ state: 'opted_in', source: 'keyword', actor: { type: 'contact' }, evidence: { message_id: start.json.id } });
    const received = await inbox(app, org, handset);
    expect(received).toHaveLength(2);
    expect(received[0]!.body).toMatch(/subscribed/);

    const sent = await api(app, org, 'POST', '/v1/messages', { to: handset, body: 'Welcome back' });
    expect(sent.json.status).toBe('queued');
  });

  it.runIf(dialectAvailable(dialect))("an agent's opt-out can be undone by an agent", async () => {
    const handset = nextHandset();
    const first = await text(handset, 'Hello');
    const contactId = first.json.contact_id as string;
    const out = await api(app, org, 'POST', `/v1/contacts/${contactId}/consent`, { state: 'opted_out', evidence: { note: 'asked by phone' } });
    expect(out.status).toBe(201);
    expect(out.json).toMatchObject({ state: 'opted_out', changed: true, event: { source: 'manual', actor: { type: 'agent', id: org.userId } } });
    const blocked = await api(app, org, 'POST', '/v1/messages', { to: handset, body: 'x' });
    expect(blocked.json.reason).toBe('opted_out');
    const back = await api(app, org, 'POST', `/v1/contacts/${contactId}/consent`, {
      state: 'opted_in',
      evidence: { form: 'https://example.com/sms-signup', disclosure: 'I agree to receive texts from Org. Msg & data rates may apply. Reply STOP to opt out.' },
    });
    expect(back.status).toBe(201);
    expect(back.json.event).toMatchObject({ state: 'opted_in', source: 'form', evidence: { form: 'https://example.com/sms-signup' } });
    expect((await consentOf(contactId)).ledger.map((e: { state: string }) => e.state)).toEqual(['opted_in', 'opted_out', 'implied']);
  });

  it.runIf(dialectAvailable(dialect)).each(['HELP', 'help', ' Info? ', 'INFO.'])('%j answers with the help text, once', async (body) => {
    const handset = nextHandset();
    const inbound = await text(handset, body);
    expect(inbound.json.flags).toMatchObject({ keyword: 'help' });
    await settle(app);
    const received = await inbox(app, org, handset);
    expect(received).toHaveLength(1);
    expect(received[0]!.body).toContain('Msg & data rates may apply');
    expect(received[0]!.body).toContain('Reply STOP to opt out');
    expect(received[0]!.body).toContain(org.number);
    expect((await consentOf(inbound.json.contact_id)).state).toBe('implied');
  });

  it.runIf(dialectAvailable(dialect))('free text like "stop texting me about the bill" is flagged for an agent, not an opt-out', async () => {
    const handset = nextHandset();
    const inbound = await text(handset, 'stop texting me about the bill');
    expect(inbound.json.flags).toMatchObject({ likely_opt_out: true });
    await settle(app);
    expect((await consentOf(inbound.json.contact_id)).state).not.toBe('opted_out');
    expect(await inbox(app, org, handset)).toHaveLength(0);
    const events = await app.tb.ctx.db.kysely.selectFrom('events').selectAll().where('subject_id', '=', inbound.json.id).where('type', '=', 'compliance.likely_opt_out').execute();
    expect(events).toHaveLength(1);
  });

  it.runIf(dialectAvailable(dialect))('"Yes" is an ordinary answer unless the contact opted out', async () => {
    const handset = nextHandset();
    const yes = await text(handset, 'Yes');
    expect(yes.json.flags).toEqual({});
    await settle(app);
    expect(await inbox(app, org, handset)).toHaveLength(0);
    await text(handset, 'STOP');
    const again = await text(handset, 'yes');
    expect(again.json.flags).toMatchObject({ keyword: 'opt_in' });
    await settle(app);
    expect((await consentOf(yes.json.contact_id)).state).toBe('opted_in');
  });

  it.runIf(dialectAvailable(dialect))('the first inbound text or call records implied consent, once', async () => {
    const caller = nextHandset();
    const call = await api(app, org, 'POST', '/v1/sandbox/calls', { from: caller, to: org.number, outcome: 'no-answer' });
    expect(call.status).toBe(201);
    const consent = await consentOf(call.json.contact_id);
    expect(consent.state).toBe('implied');
    expect(consent.ledger).toMatchObject([{ state: 'implied', source: 'call', actor: { type: 'contact' }, evidence: { call_id: call.json.id } }]);
    await text(caller, 'Sorry I missed you');
    expect((await consentOf(call.json.contact_id)).ledger).toHaveLength(1);
  });

  it.runIf(dialectAvailable(dialect))('per-number scope: a STOP to one number leaves the others; universal blocks them all', async () => {
    const local = await freshOrg(app);
    const { addNumber } = await import('../../src/use-cases/numbers.js');
    const other = await addNumber(app.tb.ctx, local.orgId, { e164: '+14155550899' });
    const handset = nextHandset();
    expect((await api(app, local, 'PATCH', '/v1/compliance/settings', { consent_scope: 'per_number' })).status).toBe(200);
    await api(app, local, 'POST', '/v1/sandbox/messages', { from: handset, to: local.number, body: 'STOP' });
    await settle(app);
    const perNumber = await api(app, local, 'POST', '/v1/messages', { to: handset, from: other.e164, body: 'From the other line' });
    expect(perNumber.json.status).toBe('queued');
    const same = await api(app, local, 'POST', '/v1/messages', { to: handset, from: local.number, body: 'From the same line' });
    expect(same.json).toMatchObject({ status: 'blocked', reason: 'opted_out' });

    // Universal scope: the opt-out on one number blocks every number.
    expect((await api(app, local, 'PATCH', '/v1/compliance/settings', { consent_scope: 'universal' })).status).toBe(200);
    const universal = await api(app, local, 'POST', '/v1/messages', { to: handset, from: other.e164, body: 'From the other line' });
    expect(universal.json).toMatchObject({ status: 'blocked', reason: 'opted_out' });
  });

  it.runIf(dialectAvailable(dialect))('keyword texts come from the organization settings, and a help text without the required parts is refused', async () => {
    const local = await freshOrg(app);
    const bad = await api(app, local, 'PATCH', '/v1/compliance/settings', { help_text: 'Call us!' });
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0]).toMatchObject({ field: 'settings.help_text' });
    expect(bad.json.errors[0].message).toMatch(/business name.*opt out.*Msg & data rates.*contact/s);
    const orgName = (await api(app, local, 'GET', '/v1/organization')).json.name as string;
    const help = `${orgName}: help at help@example.com. Msg & data rates may apply. Reply STOP to opt out.`;
    const ok = await api(app, local, 'PATCH', '/v1/compliance/settings', { help_text: help, opt_out_text: 'Bye! No more texts.' });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ help_text: help, opt_out_text: 'Bye! No more texts.' });
    const handset = nextHandset();
    await api(app, local, 'POST', '/v1/sandbox/messages', { from: handset, to: local.number, body: 'help' });
    await api(app, local, 'POST', '/v1/sandbox/messages', { from: handset, to: local.number, body: 'stop' });
    await settle(app);
    expect((await inbox(app, local, handset)).map((m) => m.body).sort()).toEqual(['Bye! No more texts.', help].sort());
  });

  it.runIf(dialectAvailable(dialect))("a number's own keyword texts come before the organization's", async () => {
    const local = await freshOrg(app);
    const orgName = (await api(app, local, 'GET', '/v1/organization')).json.name as string;
    const refused = await api(app, local, 'PATCH', `/v1/numbers/${local.numberId}/compliance`, { help_text: 'Text us' });
    expect(refused.status).toBe(400);
    const help = `${orgName} north office: call 415-555-0199. Msg & data rates may apply. Reply STOP to opt out.`;
    const ok = await api(app, local, 'PATCH', `/v1/numbers/${local.numberId}/compliance`, { help_text: help, opt_in_text: 'Welcome back!' });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ sender_type: 'long_code', effective_rate_per_second: 1, texts: { help_text: help, opt_in_text: 'Welcome back!' } });
    const handset = nextHandset();
    for (const body of ['INFO', 'STOP', 'UNSTOP']) await api(app, local, 'POST', '/v1/sandbox/messages', { from: handset, to: local.number, body });
    await settle(app);
    const bodies = (await inbox(app, local, handset)).map((m) => m.body);
    expect(bodies).toHaveLength(3);
    expect(bodies).toContain(help);
    expect(bodies).toContain('Welcome back!');
    // Renaming the organization does not trip over the help text in force.
    expect((await api(app, local, 'PATCH', '/v1/organization', { name: 'Renamed Co' })).status).toBe(200);
  });

  it.runIf(dialectAvailable(dialect))('the ledger exports as CSV', async () => {
    const res = await app.http.inject({ method: 'GET', url: '/v1/consent/export', headers: { authorization: `Bearer ${org.apiKey}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    const lines = res.body.trim().split('\n');
    expect(lines[0]).toBe('id,contact_id,phone,number_id,state,source,actor_type,actor_id,evidence,created_at');
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.some((l) => l.includes(',opted_out,keyword,contact,'))).toBe(true);
  });

  it.runIf(dialectAvailable(dialect))('an automated text to a contact without recorded consent is blocked (no_consent)', async () => {
    const result = await sendMessage(app.tb.ctx, { orgId: org.orgId, to: '+14155550998', body: 'Automated hello', automated: true, createdBy: { type: 'automation', id: null } });
    expect(result.message).toMatchObject({ status: 'blocked', reason: 'no_consent', rule: 'CONSENT' });
  });
});
