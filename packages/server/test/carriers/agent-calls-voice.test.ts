/**
 * Speed to lead through Telnyx Call Control and Bandwidth Voice, on both databases: a lead on a
 * Telnyx or Bandwidth number rings each online agent with a real outbound call, placed at a
 * loopback fake of the carrier that checks each request's documented fields (Telnyx: the Dial,
 * Hangup and Speak commands of developers.telnyx.com, not in the reference document; Bandwidth:
 * the `createCall` / `updateCall` schemas of bandwidth-messaging-voice.openapi.json, whose
 * conformance Prism checks in contract.test.ts). The agents' phones answer through the carriers'
 * webhooks: Telnyx events signed with Ed25519, Bandwidth callbacks with the account's Basic
 * credentials. One answer connects that agent, hangs up the other call and stops the text; no
 * answer sends the text once after the timeout; forged callbacks get 403 and change nothing.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';
import { handset, ok, SECOND, settle, teamTimeline } from '../teams/helpers.js';
import { countRows, createAccounts, createCarrierTestApp, FakeCarrierApi, json, post, PUBLIC_URL, referenceJson, telnyxSign, type Accounts, type Seen } from './helpers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API answers and JSON bodies, read field by field
type Row = Record<string, any>;

const TELNYX_NUMBER = '+17735550102';
const TELNYX_UNRUNG = '+17735550103';
const BW_NUMBER = '+19195550104';
const CONNECTION_ID = '1293384261075731499';
const VOICE_APP = 'd3e418e9-1833-482c-b0e0-4d1b5bd8e1c9';
const TEXT = "Thanks for reaching out to Acme! We'll call you back within the hour.";
const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * The carriers' APIs on loopback. Each request is checked against the documented fields; a
 * request that does not conform is answered 422 and listed in `violations` (every test asserts
 * there are none).
 */
class VoiceFake extends FakeCarrierApi {
  readonly violations: string[] = [];
  private n = 0;

  constructor() {
    super();
    this.reply = (req, res) => this.answer(req, res);
  }

  private check(req: Seen, condition: boolean, what: string): boolean {
    if (!condition) this.violations.push(`${req.method} ${req.url}: ${what}`);
    return condition;
  }

  private answer(req: Seen, res: Parameters<FakeCarrierApi['reply']>[1]): void {
    const body = (() => {
      try {
        return JSON.parse(req.body) as Row;
      } catch {
        return {} as Row;
      }
    })();
    const only = (allowed: string[]) => this.check(req, Object.keys(body).every((k) => allowed.includes(k)), `unknown fields ${Object.keys(body).filter((k) => !allowed.includes(k)).join(', ')}`);
    const telnyxAuth = () => this.check(req, req.headers.authorization === 'Bearer KEY0123456789', 'Authorization: Bearer <API key>');
    const bwAuth = () => this.check(req, req.headers.authorization === `Basic ${Buffer.from('bw-user:bw-password').toString('base64')}`, 'HTTP Basic with the API user');
    const jsonBody = () => this.check(req, (req.headers['content-type'] ?? '').startsWith('application/json'), 'a JSON body');

    // Telnyx Call Control: Dial (developers.telnyx.com/api-reference/call-commands/dial).
    if (req.method === 'POST' && req.url === '/calls') {
      const fine = [
        telnyxAuth(),
        jsonBody(),
        only(['connection_id', 'to', 'from', 'webhook_url', 'timeout_secs', 'client_state', 'command_id']),
        this.check(req, body.connection_id === CONNECTION_ID, 'connection_id: the Call Control application'),
        this.check(req, E164.test(body.to ?? '') && E164.test(body.from ?? ''), 'to, from: E.164'),
        this.check(req, Number.isInteger(body.timeout_secs) && body.timeout_secs >= 5 && body.timeout_secs <= 600, 'timeout_secs: an integer from 5 to 600'),
        this.check(req, typeof body.webhook_url === 'string' && body.webhook_url.startsWith('https://'), 'webhook_url: an https URL'),
        this.check(req, typeof body.client_state === 'string' && Buffer.from(body.client_state, 'base64').toString('base64') === body.client_state, 'client_state: base64'),
        this.check(req, typeof body.command_id === 'string' && body.command_id !== '', 'command_id: a string'),
      ].every(Boolean);
      if (!fine) return json(res, 422, { errors: [{ code: '10015', title: 'Invalid parameter' }] });
      const id = ++this.n;
      return json(res, 200, { data: { call_control_id: `v3:telnyx-call-${id}`, call_leg_id: `leg-${id}`, call_session_id: `session-${id}`, is_alive: false, record_type: 'call' } });
    }
    const command = /^\/calls\/([^/]+)\/actions\/(hangup|speak)$/.exec(req.url);
    if (req.method === 'POST' && command) {
      const fine = [
        telnyxAuth(),
        jsonBody(),
        command[2] === 'hangup'
          ? only(['client_state', 'command_id'])
          : only(['payload', 'voice', 'language', 'command_id']) && this.check(req, typeof body.payload === 'string' && body.payload !== '' && typeof body.voice === 'string', 'speak: payload and voice'),
      ].every(Boolean);
      if (!fine) return json(res, 422, { errors: [{ code: '10015', title: 'Invalid parameter' }] });
      return json(res, 200, { data: { result: 'ok' } });
    }
    // Bandwidth Voice: createCall and updateCall (bandwidth-messaging-voice.openapi.json).
    if (req.method === 'POST' && req.url === '/accounts/9900000/calls') {
      const fine = [
        bwAuth(),
        jsonBody(),
        only(['from', 'to', 'applicationId', 'answerUrl', 'answerMethod', 'disconnectUrl', 'disconnectMethod', 'username', 'password', 'callTimeout', 'tag']),
        this.check(req, body.applicationId === VOICE_APP, 'applicationId: the voice application'),
        this.check(req, E164.test(body.to ?? '') && E164.test(body.from ?? ''), 'to, from: E.164'),
        this.check(req, typeof body.answerUrl === 'string' && body.answerUrl.startsWith('https://') && body.disconnectUrl === body.answerUrl, 'answerUrl / disconnectUrl: https'),
        this.check(req, body.answerMethod === 'POST' && body.disconnectMethod === 'POST', 'callback methods'),
        this.check(req, typeof body.username === 'string' && typeof body.password === 'string', 'callback credentials'),
        this.check(req, typeof body.callTimeout === 'number' && body.callTimeout >= 1 && body.callTimeout <= 300, 'callTimeout: 1 to 300'),
        this.check(req, typeof body.tag === 'string', 'tag'),
      ].every(Boolean);
      if (!fine) return json(res, 400, { type: 'validation', description: 'invalid' });
      const callId = `c-bw-call-${++this.n}`;
      return json(res, 201, { callId, accountId: '9900000', applicationId: VOICE_APP, to: body.to, from: body.from, callUrl: `https://voice.bandwidth.com/api/v2/accounts/9900000/calls/${callId}`, answerMethod: 'POST', answerUrl: body.answerUrl, disconnectMethod: 'POST' });
    }
    if (req.method === 'POST' && /^\/accounts\/9900000\/calls\/[^/]+$/.test(req.url)) {
      const fine = [bwAuth(), jsonBody(), only(['state']), this.check(req, body.state === 'completed', 'state: completed')].every(Boolean);
      if (!fine) return json(res, 400, { type: 'validation', description: 'invalid' });
      res.writeHead(200);
      res.end();
      return;
    }
    // The fallback texts go out through the same fakes.
    if (req.method === 'POST' && req.url === '/messages') return json(res, 200, { data: { id: crypto.randomUUID(), to: [{ phone_number: body.to, status: 'queued' }] } });
    if (req.method === 'POST' && req.url === '/users/9900000/messages') return json(res, 202, { id: `bw-msg-${++this.n}`, owner: body.from });
    this.violations.push(`${req.method} ${req.url}: not an endpoint of these carriers`);
    return json(res, 404, {});
  }
}

const telnyxSchemas = () => referenceJson('telnyx-messaging.openapi.json').components.schemas as Record<string, { example: Row }>;

describe.each(DIALECTS)('speed to lead through Telnyx and Bandwidth (%s)', (dialect) => {
  const run = it.runIf(dialectAvailable(dialect));
  let app: TestApp;
  let org: TestOrg;
  let accounts: Accounts;
  let unrung: Accounts;
  const fake = new VoiceFake();
  const agents: Array<{ userId: string; mobile: string }> = [];
  let leadSeq = 0;
  const leadPhone = () => `+1312555${String(1000 + leadSeq++).padStart(4, '0')}`;

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    await fake.start();
    app = await createCarrierTestApp(dialect);
    org = await createTestOrg(app, '+14155559997');
    accounts = await createAccounts(app, org, fake.url, { twilio: [], telnyx: [TELNYX_NUMBER], bandwidth: [BW_NUMBER] }, { telnyx: { connection_id: CONNECTION_ID }, bandwidth: { voice_application_id: VOICE_APP } });
    // A Telnyx account without a Call Control connection id: its agents cannot be rung.
    unrung = await createAccounts(app, org, fake.url, { twilio: [], telnyx: [TELNYX_UNRUNG], bandwidth: [] });
    for (let i = 0; i < 2; i++) {
      const user = ok(await api(app, org, 'POST', '/v1/users', { email: `voice${i}-${dialect}@example.com`, name: `Agent ${i + 1}`, role: 'agent' }), 201).json;
      const mobile = handset();
      ok(await api(app, org, 'PATCH', `/v1/users/${user.id}/agent`, { mobile, status: 'online' }));
      agents.push({ userId: user.id, mobile });
    }
    const team = ok(await api(app, org, 'POST', '/v1/teams', { name: 'Sales', member_ids: agents.map((a) => a.userId) }), 201).json;
    const numbers = (await api(app, org, 'GET', '/v1/numbers')).json.data as Row[];
    for (const e164 of [TELNYX_NUMBER, TELNYX_UNRUNG, BW_NUMBER]) {
      const number = numbers.find((x) => x.phone === e164);
      expect(number, e164).toBeDefined();
      ok(await api(app, org, 'PATCH', `/v1/numbers/${number!.id}/routing`, { team_id: team.id }));
    }
    ok(await api(app, org, 'PATCH', `/v1/teams/${team.id}`, { settings: { sms_if_unavailable: true, unavailable_text: TEXT, ring_timeout_seconds: 30 } }));
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await fake.stop().catch(() => {});
  });

  async function postLead(number: string) {
    const phone = leadPhone();
    const contact = ok(await api(app, org, 'POST', '/v1/contacts', { phone }), 201).json;
    const consent = await api(app, org, 'POST', `/v1/contacts/${contact.id}/consent`, { state: 'opted_in', evidence: { form: 'acme.com/quote', disclosure: 'I agree to receive texts about my request.' } });
    expect([200, 201]).toContain(consent.status);
    const from = fake.requests.length;
    const lead = ok(await api(app, org, 'POST', '/v1/leads', { phone, name: 'Robin Park', source: 'website form', number }), 201).json as { id: string; contact_id: string };
    await settle(app);
    return { lead, phone, from };
  }

  const callsOf = async (leadId: string) =>
    app.tb.ctx.db.kysely.selectFrom('agent_calls').innerJoin('lead_rings', 'lead_rings.id', 'agent_calls.ring_id').selectAll('agent_calls').where('lead_rings.lead_id', '=', leadId).orderBy('agent_calls.id').execute();
  const ringOf = async (leadId: string) => app.tb.ctx.db.kysely.selectFrom('lead_rings').selectAll().where('lead_id', '=', leadId).executeTakeFirstOrThrow();
  const textsTo = async (phone: string) => app.tb.ctx.db.kysely.selectFrom('messages').select(['body', 'status']).where('org_id', '=', org.orgId).where('to_e164', '=', phone).execute();
  const since = (from: number, pattern: RegExp) => fake.requests.slice(from).filter((r) => pattern.test(r.url));
  const state = async (leadId: string) => ({ calls: (await callsOf(leadId)).map((c) => c.state), ring: (await ringOf(leadId)).state, jobs: await countRows(app, 'jobs') });

  type AgentCall = Awaited<ReturnType<typeof callsOf>>[number];

  /** The two carriers, behind one shape: what a ring call is, and how its phone reports back. */
  interface Carrier {
    name: 'Telnyx' | 'Bandwidth';
    number: string;
    dials: RegExp;
    hangUpOf: (call: AgentCall) => RegExp;
    answer: (call: AgentCall) => Promise<{ statusCode: number; body: string }>;
    noAnswer: (call: AgentCall) => Promise<{ statusCode: number }>;
    forged: (call: AgentCall) => Promise<number[]>;
  }

  // ---- Telnyx: events shaped like the reference document's examples, signed with the account's key.
  const telnyxEvent = (eventType: string, call: AgentCall, payload: Row) => {
    const example = eventType === 'call.answered' ? telnyxSchemas().CallAnswered!.example : telnyxSchemas().CallHangup!.example;
    return JSON.stringify({
      data: {
        ...example,
        event_type: eventType,
        id: crypto.randomUUID(),
        occurred_at: new Date(app.clock.now()).toISOString(),
        payload: {
          ...example.payload,
          call_control_id: call.carrier_call_sid,
          connection_id: CONNECTION_ID,
          from: call.from_e164,
          to: call.to_e164,
          client_state: Buffer.from(call.id).toString('base64'),
          ...payload,
        },
      },
      meta: { attempt: 1, delivered_to: `${PUBLIC_URL}/webhooks/telnyx/${accounts.telnyx}/agent-calls` },
    });
  };
  const telnyxPost = (raw: string, sign = true) => {
    const ts = String(Math.floor(app.clock.now() / 1000));
    return post(app, `/webhooks/telnyx/${accounts.telnyx}/agent-calls`, raw, {
      'content-type': 'application/json',
      'telnyx-timestamp': ts,
      ...(sign ? { 'telnyx-signature-ed25519': telnyxSign(accounts.telnyxKey, ts, raw) } : {}),
    });
  };
  const telnyx: Carrier = {
    name: 'Telnyx',
    number: TELNYX_NUMBER,
    dials: /^\/calls$/,
    hangUpOf: (call) => new RegExp(`^/calls/${encodeURIComponent(call.carrier_call_sid!)}/actions/hangup$`),
    answer: async (call) => {
      const res = await telnyxPost(telnyxEvent('call.answered', call, { state: 'answered' }));
      return { statusCode: res.statusCode, body: res.body };
    },
    noAnswer: (call) => telnyxPost(telnyxEvent('call.hangup', call, { hangup_cause: 'timeout', hangup_source: 'unknown' })),
    forged: async (call) => {
      const raw = telnyxEvent('call.answered', call, { state: 'answered' });
      const ts = String(Math.floor(app.clock.now() / 1000));
      const other = crypto.generateKeyPairSync('ed25519').privateKey;
      return [
        (await telnyxPost(raw, false)).statusCode,
        (await post(app, `/webhooks/telnyx/${accounts.telnyx}/agent-calls`, raw, { 'content-type': 'application/json', 'telnyx-timestamp': ts, 'telnyx-signature-ed25519': telnyxSign(other, ts, raw) })).statusCode,
        // Signed for another event, replayed with this body.
        (await post(app, `/webhooks/telnyx/${accounts.telnyx}/agent-calls`, raw, { 'content-type': 'application/json', 'telnyx-timestamp': ts, 'telnyx-signature-ed25519': telnyxSign(accounts.telnyxKey, ts, `${raw} `) })).statusCode,
      ];
    },
  };

  // ---- Bandwidth: callbacks with the answerCallback / disconnectCallback fields of the reference document.
  const basic = (password = accounts.bandwidthCallback.password) => `Basic ${Buffer.from(`${accounts.bandwidthCallback.username}:${password}`).toString('base64')}`;
  const bwEvent = (eventType: 'answer' | 'disconnect', call: AgentCall, extra: Row = {}) =>
    JSON.stringify({
      eventType,
      eventTime: new Date(app.clock.now()).toISOString(),
      accountId: '9900000',
      applicationId: VOICE_APP,
      from: call.from_e164,
      to: call.to_e164,
      direction: 'outbound',
      callId: call.carrier_call_sid,
      callUrl: `https://voice.bandwidth.com/api/v2/accounts/9900000/calls/${call.carrier_call_sid}`,
      startTime: new Date(app.clock.now() - 5000).toISOString(),
      tag: call.id,
      ...extra,
    });
  const bwPost = (raw: string, authorization?: string) =>
    post(app, `/webhooks/bandwidth/${accounts.bandwidth}/agent-calls`, raw, { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) });
  const bandwidth: Carrier = {
    name: 'Bandwidth',
    number: BW_NUMBER,
    dials: /^\/accounts\/9900000\/calls$/,
    hangUpOf: (call) => new RegExp(`^/accounts/9900000/calls/${call.carrier_call_sid}$`),
    answer: async (call) => {
      const res = await bwPost(bwEvent('answer', call, { answerTime: new Date(app.clock.now()).toISOString() }), basic());
      return { statusCode: res.statusCode, body: res.body };
    },
    noAnswer: (call) => bwPost(bwEvent('disconnect', call, { endTime: new Date(app.clock.now()).toISOString(), cause: 'timeout' }), basic()),
    forged: async (call) => {
      const raw = bwEvent('answer', call, { answerTime: new Date(app.clock.now()).toISOString() });
      return [(await bwPost(raw)).statusCode, (await bwPost(raw, basic('not-the-password'))).statusCode, (await bwPost(raw, 'Bearer x')).statusCode];
    },
  };

  describe.each([
    ['Telnyx', () => telnyx],
    ['Bandwidth', () => bandwidth],
  ] as const)('%s', (_name, carrierOf) => {
    run('a lead rings each online agent with a call placed at the carrier, with the documented fields', async () => {
      const carrier = carrierOf();
      const { lead, phone, from } = await postLead(carrier.number);
      const dials = since(from, carrier.dials);
      expect(dials.map((d) => d.method)).toEqual(['POST', 'POST']);
      expect(fake.violations).toEqual([]);
      const rows = await callsOf(lead.id);
      expect(rows.map((r) => r.state)).toEqual(['ringing', 'ringing']);
      expect(rows.map((r) => r.to_e164).sort()).toEqual(agents.map((a) => a.mobile).sort());
      const bodies = dials.map((d) => JSON.parse(d.body) as Row);
      for (const row of rows) {
        const body = carrier.name === 'Telnyx' ? bodies.find((b) => Buffer.from(b.client_state, 'base64').toString() === row.id) : bodies.find((b) => b.tag === row.id);
        expect(body, `the dial of ${row.id}`).toBeDefined();
        expect(body).toMatchObject({ from: carrier.number, to: row.to_e164 });
        if (carrier.name === 'Telnyx') {
          expect(body).toMatchObject({ connection_id: CONNECTION_ID, webhook_url: `${PUBLIC_URL}/webhooks/telnyx/${accounts.telnyx}/agent-calls`, timeout_secs: 30, command_id: `dial-${row.id}` });
        } else {
          expect(body).toMatchObject({
            applicationId: VOICE_APP,
            answerUrl: `${PUBLIC_URL}/webhooks/bandwidth/${accounts.bandwidth}/agent-calls`,
            disconnectUrl: `${PUBLIC_URL}/webhooks/bandwidth/${accounts.bandwidth}/agent-calls`,
            username: accounts.bandwidthCallback.username,
            password: accounts.bandwidthCallback.password,
            callTimeout: 30,
          });
        }
        expect(typeof row.carrier_call_sid).toBe('string');
      }
      // No text yet: the ring timeout decides.
      expect(await textsTo(phone)).toEqual([]);
    });

    run('one agent answers through the webhook: connected, the other call is hung up at the carrier, no text even after the timeout', async () => {
      const carrier = carrierOf();
      const { lead, phone } = await postLead(carrier.number);
      const [first, second] = await callsOf(lead.id);
      const before = fake.requests.length;
      const answered = await carrier.answer(first!);
      expect(answered.statusCode).toBe(200);
      if (carrier.name === 'Bandwidth') {
        // The answer callback's response is the call's BXML: who the lead is, then hang up.
        expect(answered.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><SpeakSentence>New lead from Robin for Sales. Call them back from Textback.</SpeakSentence><Hangup/></Response>');
      }
      await app.drain();
      expect(since(before, carrier.hangUpOf(second!))).toHaveLength(1);
      expect(since(before, carrier.hangUpOf(first!))).toHaveLength(0);
      expect(fake.violations).toEqual([]);
      const after = await callsOf(lead.id);
      expect(after.find((c) => c.id === first!.id)!.state).toBe('answered');
      expect(after.find((c) => c.id === second!.id)!.state).toBe('cancelled');
      expect(await ringOf(lead.id)).toMatchObject({ state: 'answered', answered_by: first!.user_id });
      if (carrier.name === 'Telnyx') {
        // Telnyx: the answered call is told who the lead is (speak), and hung up once it was said.
        const speak = since(before, new RegExp(`^/calls/${encodeURIComponent(first!.carrier_call_sid!)}/actions/speak$`));
        expect(speak.map((r) => JSON.parse(r.body))).toEqual([{ payload: 'New lead from Robin for Sales. Call them back from Textback.', voice: 'female', language: 'en-US', command_id: `announce-${first!.id}` }]);
        const spoken = await telnyxPost(telnyxEvent('call.speak.ended', first!, { status: 'completed' }));
        expect(spoken.statusCode).toBe(200);
        await app.drain();
        expect(since(before, carrier.hangUpOf(first!))).toHaveLength(1);
      }
      await app.advance(31 * SECOND);
      await settle(app);
      expect(await textsTo(phone)).toEqual([]);
      expect(await teamTimeline(app, org, lead.contact_id)).toContainEqual(expect.stringMatching(/^Sales: Agent \d answered after \d+ s and was connected to the lead; no text$/));
      // The carrier's later events (the other call's hang-up, a replay of the answer) change nothing.
      expect((await carrier.noAnswer(second!)).statusCode).toBeLessThan(300);
      expect((await carrier.answer(first!)).statusCode).toBe(200);
      await app.drain();
      expect((await callsOf(lead.id)).map((c) => c.state)).toEqual(after.map((c) => c.state));
    });

    run('no answer: each call missed on its webhook, and the text goes out once after the ring timeout', async () => {
      const carrier = carrierOf();
      const { lead, phone } = await postLead(carrier.number);
      const calls = await callsOf(lead.id);
      for (const call of calls) expect((await carrier.noAnswer(call)).statusCode).toBeLessThan(300);
      await app.drain();
      expect((await callsOf(lead.id)).map((c) => c.state)).toEqual(['missed', 'missed']);
      expect(await textsTo(phone)).toEqual([]);
      await app.advance(31 * SECOND);
      await settle(app);
      // Replays and a second timeout run change nothing.
      for (const call of calls) expect((await carrier.noAnswer(call)).statusCode).toBeLessThan(300);
      await app.advance(31 * SECOND);
      await settle(app);
      const texts = await textsTo(phone);
      expect(texts).toHaveLength(1);
      expect(texts[0]!.body.startsWith(TEXT)).toBe(true);
      expect(fake.violations).toEqual([]);
    });

    run('forged, unsigned or wrongly authenticated callbacks get 403 and nothing is written', async () => {
      const carrier = carrierOf();
      const { lead } = await postLead(carrier.number);
      const [first] = await callsOf(lead.id);
      const before = await state(lead.id);
      expect(await carrier.forged(first!)).toEqual([403, 403, 403]);
      await app.drain();
      expect(await state(lead.id)).toEqual(before);
      expect(before.calls).toEqual(['ringing', 'ringing']);
      expect(before.ring).toBe('ringing');
    });

    run('an agent who picks up after the timeout texted the lead is not connected, and the call ends', async () => {
      const carrier = carrierOf();
      const { lead, phone } = await postLead(carrier.number);
      const [first] = await callsOf(lead.id);
      await app.advance(31 * SECOND);
      await settle(app);
      expect(await textsTo(phone)).toHaveLength(1);
      const before = fake.requests.length;
      const late = await carrier.answer(first!);
      expect(late.statusCode).toBe(200);
      await app.drain();
      if (carrier.name === 'Bandwidth') expect(late.body).toContain('<SpeakSentence>This lead was not answered in time and got a text instead. Goodbye.</SpeakSentence><Hangup/>');
      else expect(since(before, carrier.hangUpOf(first!))).toHaveLength(1);
      expect((await ringOf(lead.id)).state).toBe('no_answer');
      expect((await callsOf(lead.id)).map((c) => c.state)).toEqual(['missed', 'missed']);
    });
  });

  run('a Telnyx account without a Call Control connection id rings no one through Telnyx: the API answers, the timeline says why, the text goes after the timeout', async () => {
    const { lead, phone, from } = await postLead(TELNYX_UNRUNG);
    expect(since(from, /^\/calls/)).toEqual([]);
    const calls = await callsOf(lead.id);
    expect(calls.map((c) => [c.state, c.carrier_call_sid])).toEqual([
      ['ringing', null],
      ['ringing', null],
    ]);
    const timeline = await teamTimeline(app, org, lead.contact_id);
    expect(timeline).toContain(
      "Sales: the Telnyx account has no Call Control connection id (settings.connection_id): the agents' phones are not rung; they answer through the API (POST /v1/agent-calls/:id/answer)",
    );
    await app.advance(31 * SECOND);
    await settle(app);
    expect(await textsTo(phone)).toHaveLength(1);
    expect(unrung.telnyx).not.toBe(accounts.telnyx);
  });

  run('the agent-calls webhooks refuse what is not theirs: unknown agent calls are ignored, malformed events get 400', async () => {
    const ts = String(Math.floor(app.clock.now() / 1000));
    const raw = JSON.stringify({ data: { event_type: 'call.answered', id: 'e-x', payload: { call_control_id: 'v3:nope', client_state: Buffer.from('acall_unknown').toString('base64') } } });
    const res = await post(app, `/webhooks/telnyx/${accounts.telnyx}/agent-calls`, raw, { 'content-type': 'application/json', 'telnyx-timestamp': ts, 'telnyx-signature-ed25519': telnyxSign(accounts.telnyxKey, ts, raw) });
    expect(res.statusCode).toBe(200);
    const noState = JSON.stringify({ data: { event_type: 'call.answered', id: 'e-y', payload: { call_control_id: 'v3:nope' } } });
    expect((await post(app, `/webhooks/telnyx/${accounts.telnyx}/agent-calls`, noState, { 'content-type': 'application/json', 'telnyx-timestamp': ts, 'telnyx-signature-ed25519': telnyxSign(accounts.telnyxKey, ts, noState) })).statusCode).toBe(400);
    const bwNoTag = JSON.stringify({ eventType: 'answer', callId: 'c-1', from: BW_NUMBER, to: '+13125550000' });
    const bw = await post(app, `/webhooks/bandwidth/${accounts.bandwidth}/agent-calls`, bwNoTag, { 'content-type': 'application/json', authorization: basic() });
    expect(bw.statusCode).toBe(400);
    expect(bw.headers['content-type']).toContain('application/problem+json');
  });
});
