/**
 * Speed to lead through Twilio, on both databases: a lead on a Twilio number rings the online
 * agents with real outbound calls (`POST …/Calls.json`, checked against the reference's OpenAPI
 * document by the Prism harness of contract-mock.ts); an `answered` status callback signed with the
 * official SDK connects the agent and stops the fallback text; unanswered calls are missed and the
 * text goes out after the ring timeout; a forged callback gets 403 and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentCallTwiml } from '../../src/use-cases/teams/speed-to-lead.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';
import { handset, ok, SECOND, settle } from '../teams/helpers.js';
import { ContractMock } from './contract-mock.js';
import { createAccounts, createCarrierTestApp, post, twilioForm, TWILIO_TOKEN } from './helpers.js';

const TWILIO_NUMBER = '+14155550100';
const TEXT = "Thanks for reaching out to Acme! We'll call you back within the hour.";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API answers, read field by field
type Row = Record<string, any>;

const mock = new ContractMock('twilio-api-v2010.messages-calls.openapi.json', new Set(['MediaUrl', 'StatusCallbackEvent']));

beforeAll(async () => {
  await mock.start();
}, 60_000);
afterAll(async () => {
  await mock.stop();
});

describe.each(DIALECTS)('speed to lead through Twilio (%s)', (dialect) => {
  const run = it.runIf(dialectAvailable(dialect));
  let app: TestApp;
  let org: TestOrg;
  let accountId: string;
  let n = 0;
  const leadPhone = () => `+1415555${String(300 + n++).padStart(4, '0')}`;
  const agents: Array<{ userId: string; mobile: string }> = [];

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createCarrierTestApp(dialect);
    org = await createTestOrg(app, '+14155559998');
    const accounts = await createAccounts(app, org, mock.url, { twilio: [TWILIO_NUMBER], telnyx: [], bandwidth: [] });
    accountId = accounts.twilio;
    for (let i = 0; i < 2; i++) {
      const user = ok(await api(app, org, 'POST', '/v1/users', { email: `ring${i}-${dialect}@example.com`, name: `Agent ${i + 1}`, role: 'agent' }), 201).json;
      const mobile = handset();
      ok(await api(app, org, 'PATCH', `/v1/users/${user.id}/agent`, { mobile, status: 'online' }));
      agents.push({ userId: user.id, mobile });
    }
    const team = ok(await api(app, org, 'POST', '/v1/teams', { name: 'Sales', member_ids: agents.map((a) => a.userId) }), 201).json;
    const number = ((await api(app, org, 'GET', '/v1/numbers')).json.data as Row[]).find((x) => x.e164 === TWILIO_NUMBER || x.number === TWILIO_NUMBER || x.phone === TWILIO_NUMBER);
    expect(number, 'the imported Twilio number').toBeDefined();
    ok(await api(app, org, 'PATCH', `/v1/numbers/${number!.id}/routing`, { team_id: team.id }));
    ok(await api(app, org, 'PATCH', `/v1/teams/${team.id}`, { settings: { sms_if_unavailable: true, unavailable_text: TEXT, ring_timeout_seconds: 30 } }));
  }, 60_000);
  afterAll(async () => app?.close());

  async function postLead(phone: string) {
    const contact = ok(await api(app, org, 'POST', '/v1/contacts', { phone }), 201).json;
    const consent = await api(app, org, 'POST', `/v1/contacts/${contact.id}/consent`, { state: 'opted_in', evidence: { form: 'acme.com/quote', disclosure: 'I agree to receive texts about my request.' } });
    expect([200, 201]).toContain(consent.status);
    const from = mock.exchanges.length;
    const lead = ok(await api(app, org, 'POST', '/v1/leads', { phone, name: 'Robin Park', source: 'website form', number: TWILIO_NUMBER }), 201).json as { id: string; contact_id: string };
    await settle(app);
    return { lead, from };
  }

  const callsOf = async (leadId: string) =>
    (await app.tb.ctx.db.kysely.selectFrom('agent_calls').innerJoin('lead_rings', 'lead_rings.id', 'agent_calls.ring_id').selectAll('agent_calls').where('lead_rings.lead_id', '=', leadId).orderBy('agent_calls.id').execute());
  const textsTo = async (phone: string) => app.tb.ctx.db.kysely.selectFrom('messages').select(['body', 'status']).where('org_id', '=', org.orgId).where('to_e164', '=', phone).execute();
  const callback = (callId: string, params: Record<string, string>) => {
    const path = `/webhooks/twilio/${accountId}/agent-calls?c=${encodeURIComponent(callId)}`;
    return { path, ...twilioForm(path, params) };
  };

  run('a lead rings each online agent through Twilio Calls create, conforming to the OpenAPI document', async () => {
    const phone = leadPhone();
    const { lead, from } = await postLead(phone);
    const calls = mock.exchanges.slice(from).filter((e) => e.url.endsWith('/Calls.json'));
    expect(calls.map((e) => `${e.method} ${e.status}`)).toEqual(['POST 201', 'POST 201']);
    expect(mock.errorsSince(from)).toEqual([]);
    const rows = await callsOf(lead.id);
    expect(rows.map((r) => r.state)).toEqual(['ringing', 'ringing']);
    expect(rows.every((r) => typeof r.carrier_call_sid === 'string' && r.carrier_call_sid.startsWith('CA'))).toBe(true);
    expect(rows.map((r) => r.to_e164).sort()).toEqual(agents.map((a) => a.mobile).sort());
    // No text yet: the ring timeout decides.
    expect(await textsTo(phone)).toEqual([]);
    // What the agent hears: the lead's first name, nothing more.
    expect(agentCallTwiml('Sales', 'Robin')).toBe('<Response><Say>New lead from Robin for Sales. Call them back from Textback.</Say></Response>');
  });

  run('an `answered` callback signed by the SDK connects the agent: no text, even after the timeout', async () => {
    const phone = leadPhone();
    const { lead } = await postLead(phone);
    const [first, second] = await callsOf(lead.id);
    const { path, payload, headers } = callback(first!.id, { CallSid: first!.carrier_call_sid!, CallStatus: 'in-progress', AccountSid: 'AC0123456789abcdef0123456789abcdef', From: TWILIO_NUMBER, To: first!.to_e164 });
    const before = mock.exchanges.length;
    const res = await post(app, path, payload, headers);
    expect(res.statusCode).toBe(200);
    await app.drain();
    // The other agent's phone stops ringing: Calls update with Status=canceled, conforming too.
    expect(mock.exchanges.slice(before).map((e) => `${e.method} ${e.url.replace(/Calls\/[^/]+\.json$/, 'Calls/{Sid}.json').replace(/Accounts\/\w+/, 'Accounts/{AccountSid}')} ${e.status}`)).toEqual([
      'POST /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json 200',
    ]);
    expect(mock.errorsSince(before)).toEqual([]);
    const after = await callsOf(lead.id);
    expect(after.find((c) => c.id === first!.id)!.state).toBe('answered');
    expect(after.find((c) => c.id === second!.id)!.state).toBe('cancelled');
    const ring = await app.tb.ctx.db.kysely.selectFrom('lead_rings').selectAll().where('lead_id', '=', lead.id).executeTakeFirstOrThrow();
    expect(ring).toMatchObject({ state: 'answered', answered_by: first!.user_id });
    await app.advance(31 * SECOND);
    await settle(app);
    expect(await textsTo(phone)).toEqual([]);
    // Twilio's `completed` after the answer, and a replay, change nothing.
    const done = callback(first!.id, { CallSid: first!.carrier_call_sid!, CallStatus: 'completed' });
    expect((await post(app, done.path, done.payload, done.headers)).statusCode).toBe(200);
    expect((await post(app, path, payload, headers)).statusCode).toBe(200);
    expect((await callsOf(lead.id)).find((c) => c.id === first!.id)!.state).toBe('answered');
  });

  run('no answer: each call missed on its callback, and the text goes out after the ring timeout', async () => {
    const phone = leadPhone();
    const { lead } = await postLead(phone);
    const [first, second] = await callsOf(lead.id);
    for (const [call, status] of [
      [first!, 'no-answer'],
      [second!, 'busy'],
    ] as const) {
      const { path, payload, headers } = callback(call.id, { CallSid: call.carrier_call_sid!, CallStatus: status });
      expect((await post(app, path, payload, headers)).statusCode).toBe(200);
    }
    expect((await callsOf(lead.id)).map((c) => c.state)).toEqual(['missed', 'missed']);
    expect(await textsTo(phone)).toEqual([]);
    await app.advance(31 * SECOND);
    await settle(app);
    const texts = await textsTo(phone);
    expect(texts).toHaveLength(1);
    expect(texts[0]!.body.startsWith(TEXT)).toBe(true);
  });

  run('a forged callback gets 403 and changes nothing', async () => {
    const phone = leadPhone();
    const { lead } = await postLead(phone);
    const [first] = await callsOf(lead.id);
    const path = `/webhooks/twilio/${accountId}/agent-calls?c=${encodeURIComponent(first!.id)}`;
    const params = { CallSid: first!.carrier_call_sid!, CallStatus: 'in-progress' };
    const forged = twilioForm(path, params, 'not-the-auth-token');
    expect((await post(app, path, forged.payload, forged.headers)).statusCode).toBe(403);
    // Signed for another URL (another agent call): refused too.
    const moved = twilioForm(`/webhooks/twilio/${accountId}/agent-calls?c=other`, params, TWILIO_TOKEN);
    expect((await post(app, path, moved.payload, moved.headers)).statusCode).toBe(403);
    expect((await post(app, path, new URLSearchParams(params).toString(), { 'content-type': 'application/x-www-form-urlencoded' })).statusCode).toBe(403);
    expect((await callsOf(lead.id)).map((c) => c.state)).toEqual(['ringing', 'ringing']);
    const ring = await app.tb.ctx.db.kysely.selectFrom('lead_rings').select('state').where('lead_id', '=', lead.id).executeTakeFirstOrThrow();
    expect(ring.state).toBe('ringing');
  });
});
