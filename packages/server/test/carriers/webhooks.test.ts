/**
 * Carriers' webhooks end to end, on both databases: signed requests from each carrier become
 * inbound messages, delivery receipts and calls through the scheduler; forged, stale and unsigned
 * ones get 403 and write nothing; retries are processed once; bad input gets the status the
 * carrier expects. Signatures come from the official SDK (Twilio) or the reference's keys (Telnyx).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, capturingLogger, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';
import {
  bandwidthDocExamples,
  countRows,
  createAccounts,
  createCarrierTestApp,
  FakeCarrierApi,
  json,
  post,
  PUBLIC_URL,
  referenceJson,
  telnyxSign,
  twilioForm,
  type Accounts,
} from './helpers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API answers, read field by field
type Rows = Array<Record<string, any>>;

const TWILIO_NUMBER = '+14155550100';
const TELNYX_NUMBER = '+17735550002';
const BW_NUMBER = '+12345678902';
const BW_SENDER = '+12345678901';

describe.each(DIALECTS)('carrier webhooks (%s)', (dialect) => {
  const run = it.runIf(dialectAvailable(dialect));
  let app: TestApp;
  let org: TestOrg;
  let accounts: Accounts;
  const fake = new FakeCarrierApi();
  const { logger: capturing, lines: logLines } = capturingLogger('info');

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    await fake.start();
    // What the webhook routes log is captured (bodies must never be there).
    app = await createCarrierTestApp(dialect, { logger: capturing });
    org = await createTestOrg(app, '+14155559999');
    accounts = await createAccounts(app, org, fake.url, { twilio: [TWILIO_NUMBER], telnyx: [TELNYX_NUMBER], bandwidth: [BW_NUMBER, BW_SENDER] });
  });
  afterAll(async () => {
    await app?.close();
    await fake.stop().catch(() => {});
  });

  const inbound = async () => (await api(app, org, 'GET', '/v1/messages?direction=inbound&limit=200')).json.data as Rows;

  describe('Twilio', () => {
    const messagesPath = () => `/webhooks/twilio/${accounts.twilio}/messages`;
    const vector = () => referenceJson('twilio-signature-vectors.json').vectors.find((v: { id: string }) => v.id === 'inbound-sms-unicode').params as Record<string, string>;

    run('an inbound text signed by the SDK is answered with empty TwiML at once and stored by the scheduler', async () => {
      const { payload, headers } = twilioForm(messagesPath(), vector());
      const res = await post(app, messagesPath(), payload, headers);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/xml/);
      expect(res.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
      await app.drain();
      const stored = (await inbound()).find((m) => m.carrier_message_id === 'SM0123456789abcdef0123456789abcdef');
      expect(stored).toMatchObject({ from: '+14155550123', to: TWILIO_NUMBER, body: 'Hi, can you call me back? Café ☕ 12:30 & thanks!', status: 'received' });
    });

    run('MMS media URLs are kept as links', async () => {
      const params = { ...vector(), MessageSid: 'MM0000000000000000000000000000mms1', NumMedia: '2', MediaUrl0: 'https://api.twilio.com/media/1.jpg', MediaContentType0: 'image/jpeg', MediaUrl1: 'https://api.twilio.com/media/2.png', MediaContentType1: 'image/png', Body: '' };
      const { payload, headers } = twilioForm(messagesPath(), params);
      expect((await post(app, messagesPath(), payload, headers)).statusCode).toBe(200);
      await app.drain();
      const row = await app.tb.ctx.db.kysely.selectFrom('messages').select('media').where('carrier_message_id', '=', params.MessageSid).executeTakeFirstOrThrow();
      expect(JSON.parse(row.media!)).toEqual(['https://api.twilio.com/media/1.jpg', 'https://api.twilio.com/media/2.png']);
    });

    run('a retried webhook is processed once and a replay after processing writes nothing', async () => {
      const params = { ...vector(), MessageSid: 'SM00000000000000000000000000retry1' };
      const { payload, headers } = twilioForm(messagesPath(), params);
      await post(app, messagesPath(), payload, headers);
      await post(app, messagesPath(), payload, headers);
      await app.drain();
      const jobs = await countRows(app, 'jobs');
      const replay = await post(app, messagesPath(), payload, headers);
      expect(replay.statusCode).toBe(200);
      await app.drain();
      expect(await countRows(app, 'jobs')).toBe(jobs);
      const rows = await app.tb.ctx.db.kysely.selectFrom('messages').select('id').where('carrier_message_id', '=', params.MessageSid).execute();
      expect(rows).toHaveLength(1);
    });

    run('forged, tampered and unsigned requests get 403 and write nothing', async () => {
      const before = [await countRows(app, 'jobs'), await countRows(app, 'messages')];
      const params = { ...vector(), MessageSid: 'SM0000000000000000000000000forged1' };
      const good = twilioForm(messagesPath(), params);
      const forged = twilioForm(messagesPath(), params, 'not-the-token');
      expect((await post(app, messagesPath(), forged.payload, forged.headers)).statusCode).toBe(403);
      const tampered = good.payload.replace('thanks', 'THANKS');
      expect((await post(app, messagesPath(), tampered, good.headers)).statusCode).toBe(403);
      const unsigned = { ...good.headers } as Record<string, string>;
      delete unsigned['x-twilio-signature'];
      expect((await post(app, messagesPath(), good.payload, unsigned)).statusCode).toBe(403);
      // Signed for another account's URL.
      const other = twilioForm(`/webhooks/twilio/${accounts.twilio}/calls`, params);
      expect((await post(app, messagesPath(), other.payload, other.headers)).statusCode).toBe(403);
      await app.drain();
      expect([await countRows(app, 'jobs'), await countRows(app, 'messages')]).toEqual(before);
    });

    run('bad input: malformed, missing field, unknown number, huge payload, unknown account', async () => {
      const before = [await countRows(app, 'jobs'), await countRows(app, 'messages')];
      const missing = { ...vector(), MessageSid: 'SM00000000000000000000000missing1' } as Record<string, string>;
      delete missing.From;
      const m = twilioForm(messagesPath(), missing);
      const res = await post(app, messagesPath(), m.payload, m.headers);
      expect(res.statusCode).toBe(400);
      expect(res.json().detail).toContain('missing From');
      const unknown = twilioForm(messagesPath(), { ...vector(), MessageSid: 'SM00000000000000000000000unknown1', To: '+14155550777' });
      expect((await post(app, messagesPath(), unknown.payload, unknown.headers)).statusCode).toBe(404);
      const hugeParams = { ...vector(), MessageSid: 'SM0000000000000000000000000000huge', Body: 'x'.repeat(70_000) };
      const huge = twilioForm(messagesPath(), hugeParams);
      expect((await post(app, messagesPath(), huge.payload, huge.headers)).statusCode).toBe(413);
      const json = { 'content-type': 'application/json', 'x-twilio-signature': 'x' };
      expect((await post(app, `/webhooks/twilio/${accounts.twilio}/messages?bodySHA256=abc`, '{not json', json)).statusCode).toBe(403);
      expect((await post(app, '/webhooks/twilio/ca_nope/messages', m.payload, m.headers)).statusCode).toBe(404);
      expect((await post(app, `/webhooks/telnyx/${accounts.twilio}/messages`, '{}', { 'content-type': 'application/json' })).statusCode).toBe(404);
      await app.drain();
      expect([await countRows(app, 'jobs'), await countRows(app, 'messages')]).toEqual(before);
    });

    run('the JSON variant (bodySHA256) is verified over the URL and the body hash', async () => {
      const twilio = (await import('twilio')).default;
      const body = JSON.stringify({ MessageSid: 'SM000000000000000000000000000json1', From: '+14155550124', To: TWILIO_NUMBER, Body: 'json hello' });
      const hash = (await import('node:crypto')).createHash('sha256').update(body).digest('hex');
      const path = `${messagesPath()}?bodySHA256=${hash}`;
      const signature = twilio.getExpectedTwilioSignature('test_auth_token_0123456789abcdef', `${PUBLIC_URL}${path}`, {});
      const res = await post(app, path, body, { 'content-type': 'application/json', 'x-twilio-signature': signature });
      expect(res.statusCode).toBe(200);
      expect((await post(app, path, body.replace('hello', 'HELLO'), { 'content-type': 'application/json', 'x-twilio-signature': signature })).statusCode).toBe(403);
      await app.drain();
      expect((await inbound()).some((m) => m.carrier_message_id === 'SM000000000000000000000000000json1')).toBe(true);
    });

    run('status callbacks move a sent text to delivered or undelivered with the normalized reason', async () => {
      let n = 0;
      fake.reply = (req, res) => {
        if (req.method === 'POST' && req.url.endsWith('/Messages.json')) json(res, 201, { sid: `SM${String(++n).padStart(32, '0')}`, status: 'queued' });
        else json(res, 404, { code: 20404, message: 'not found', status: 404 });
      };
      const a = await api(app, org, 'POST', '/v1/messages', { from: TWILIO_NUMBER, to: '+14155550123', body: 'Thanks for calling!' });
      const b = await api(app, org, 'POST', '/v1/messages', { from: TWILIO_NUMBER, to: '+14155550125', body: 'Second text' });
      expect(a.status).toBe(201);
      await app.drain();
      await app.advance(2000);
      const sentA = (await api(app, org, 'GET', `/v1/messages/${a.json.id}`)).json;
      expect(sentA).toMatchObject({ status: 'sent', carrier: 'twilio' });
      const post0 = fake.requests.find((r) => r.method === 'POST' && new URLSearchParams(r.body).get('To') === '+14155550123')!;
      expect(new URLSearchParams(post0.body).get('StatusCallback')).toBe(`${PUBLIC_URL}/webhooks/twilio/${accounts.twilio}/status?m=${a.json.id}`);

      const statusPath = (id: string) => `/webhooks/twilio/${accounts.twilio}/status?m=${id}`;
      const delivered = twilioForm(statusPath(a.json.id), { MessageSid: sentA.carrier_message_id, MessageStatus: 'delivered', AccountSid: 'AC0123456789abcdef0123456789abcdef', From: TWILIO_NUMBER, To: '+14155550123' });
      expect((await post(app, statusPath(a.json.id), delivered.payload, delivered.headers)).statusCode).toBe(200);
      const sentB = (await api(app, org, 'GET', `/v1/messages/${b.json.id}`)).json;
      const undelivered = twilioForm(statusPath(b.json.id), { MessageSid: sentB.carrier_message_id ?? 'SMx', MessageStatus: 'undelivered', ErrorCode: '30003', From: TWILIO_NUMBER, To: '+14155550125' });
      expect((await post(app, statusPath(b.json.id), undelivered.payload, undelivered.headers)).statusCode).toBe(200);
      await app.drain();
      expect((await api(app, org, 'GET', `/v1/messages/${a.json.id}`)).json).toMatchObject({ status: 'delivered' });
      expect((await api(app, org, 'GET', `/v1/messages/${b.json.id}`)).json).toMatchObject({ status: 'undelivered', reason: 'landline_or_unreachable', error_code: '30003' });
      // A replayed receipt writes nothing.
      const jobs = await countRows(app, 'jobs');
      expect((await post(app, statusPath(a.json.id), delivered.payload, delivered.headers)).statusCode).toBe(200);
      expect(await countRows(app, 'jobs')).toBe(jobs);
    });

    run('call status callbacks become classified calls, once per CallSid', async () => {
      const callsPath = `/webhooks/twilio/${accounts.twilio}/calls`;
      const params = { CallSid: 'CA00000000000000000000000000000001', CallStatus: 'no-answer', Direction: 'inbound', From: '+14155550126', To: TWILIO_NUMBER, CallDuration: '0', AccountSid: 'AC0123456789abcdef0123456789abcdef' };
      const { payload, headers } = twilioForm(callsPath, params);
      const ringing = twilioForm(callsPath, { ...params, CallSid: 'CA00000000000000000000000000000002', CallStatus: 'ringing' });
      expect((await post(app, callsPath, ringing.payload, ringing.headers)).statusCode).toBe(200);
      expect((await post(app, callsPath, payload, headers)).statusCode).toBe(200);
      expect((await post(app, callsPath, payload, headers)).statusCode).toBe(200);
      const machine = twilioForm(callsPath, { ...params, CallSid: 'CA00000000000000000000000000000003', CallStatus: 'completed', AnsweredBy: 'machine_end_beep', CallDuration: '31' });
      expect((await post(app, callsPath, machine.payload, machine.headers)).statusCode).toBe(200);
      const dial = twilioForm(callsPath, { ...params, CallSid: 'CA00000000000000000000000000000004', CallStatus: 'in-progress', DialCallStatus: 'busy', DialCallDuration: '0' });
      expect((await post(app, callsPath, dial.payload, dial.headers)).statusCode).toBe(200);
      await app.drain();
      const calls = (await api(app, org, 'GET', '/v1/calls?limit=50')).json.data as Rows;
      const byId = (id: string) => calls.filter((c) => c.external_id === id);
      expect(byId('CA00000000000000000000000000000001')).toHaveLength(1);
      expect(byId('CA00000000000000000000000000000001')[0]).toMatchObject({ status: 'no-answer', outcome: 'missed', carrier: 'twilio', direction: 'inbound' });
      expect(byId('CA00000000000000000000000000000002')).toHaveLength(0);
      expect(byId('CA00000000000000000000000000000003')[0]).toMatchObject({ outcome: 'voicemail', answered_by: 'machine' });
      expect(byId('CA00000000000000000000000000000004')[0]).toMatchObject({ status: 'busy', outcome: 'missed' });
    });

    run('behind a proxy the public URL decides: a signature over the Host seen locally is refused', async () => {
      const params = { ...vector(), MessageSid: 'SM00000000000000000000000000proxy1' };
      const local = new URLSearchParams(params as Record<string, string>).toString();
      const twilio = (await import('twilio')).default;
      const signedLocal = twilio.getExpectedTwilioSignature('test_auth_token_0123456789abcdef', `http://localhost:80${messagesPath()}`, params);
      const res = await app.http.inject({ method: 'POST', url: messagesPath(), payload: local, headers: { host: 'localhost:80', 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signedLocal } });
      expect(res.statusCode).toBe(403);
    });
  });

  describe('Telnyx', () => {
    const vectors = () => referenceJson('telnyx-signature-vectors.json').vectors as Array<{ id: string; rawBody: string; headers: Record<string, string>; publicKeyBase64: string }>;
    const send = (path: string, rawBody: string, timestamp: string, signature?: string) =>
      post(app, path, rawBody, {
        'content-type': 'application/json',
        'telnyx-timestamp': timestamp,
        ...(signature !== undefined ? { 'telnyx-signature-ed25519': signature } : {}),
      });

    run('the reference vector (message.received) verifies with its signature and is stored', async () => {
      const v = vectors()[0]!;
      app.clock.set(Number(v.headers['telnyx-timestamp']) * 1000 + 1000);
      const res = await send(`/webhooks/telnyx/${accounts.telnyx}/messages`, v.rawBody, v.headers['telnyx-timestamp']!, v.headers['telnyx-signature-ed25519']);
      expect(res.statusCode).toBe(200);
      await app.drain();
      expect((await inbound()).find((m) => m.carrier_message_id === '84cca175-9755-4859-b67f-4730d7f58aa3')).toMatchObject({
        from: '+13125550001',
        to: TELNYX_NUMBER,
        body: 'Hi, do you have availability tomorrow?',
        carrier: 'telnyx',
      });
    });

    run('stale, tampered, re-timed and unsigned events get 403 and write nothing', async () => {
      const v = vectors()[0]!;
      const ts = v.headers['telnyx-timestamp']!;
      const path = `/webhooks/telnyx/${accounts.telnyx}/messages`;
      const before = [await countRows(app, 'jobs'), await countRows(app, 'messages')];
      app.clock.set((Number(ts) + 301) * 1000);
      expect((await send(path, v.rawBody, ts, v.headers['telnyx-signature-ed25519'])).statusCode).toBe(403);
      app.clock.set((Number(ts) - 301) * 1000);
      expect((await send(path, v.rawBody, ts, v.headers['telnyx-signature-ed25519'])).statusCode).toBe(403);
      app.clock.set(Number(ts) * 1000);
      expect((await send(path, `${v.rawBody} `, ts, v.headers['telnyx-signature-ed25519'])).statusCode).toBe(403);
      expect((await send(path, v.rawBody, String(Number(ts) + 1), v.headers['telnyx-signature-ed25519'])).statusCode).toBe(403);
      expect((await send(path, v.rawBody, ts)).statusCode).toBe(403);
      expect((await send(path, v.rawBody, 'soon', v.headers['telnyx-signature-ed25519'])).statusCode).toBe(403);
      await app.drain();
      expect([await countRows(app, 'jobs'), await countRows(app, 'messages')]).toEqual(before);
    });

    run('a replayed event within the tolerance is processed once', async () => {
      const v = vectors()[0]!;
      const ts = v.headers['telnyx-timestamp']!;
      app.clock.set(Number(ts) * 1000 + 5000);
      const path = `/webhooks/telnyx/${accounts.telnyx}/messages`;
      const jobs = await countRows(app, 'jobs');
      expect((await send(path, v.rawBody, ts, v.headers['telnyx-signature-ed25519'])).statusCode).toBe(200);
      expect(await countRows(app, 'jobs')).toBe(jobs);
      const rows = await app.tb.ctx.db.kysely.selectFrom('messages').select('id').where('carrier_message_id', '=', '84cca175-9755-4859-b67f-4730d7f58aa3').execute();
      expect(rows).toHaveLength(1);
    });

    run('message.sent and message.finalized (delivery_failed, 40008) update the text we sent', async () => {
      fake.reply = (req, res) => {
        if (req.method === 'POST' && req.url === '/messages') json(res, 200, { data: { id: '40385f64-5717-4562-b3fc-2c963f66afa6', to: [{ phone_number: '+13125550001', status: 'queued' }] } });
        else json(res, 404, { errors: [{ code: '10005', title: 'Resource not found' }] });
      };
      const ts = Math.floor(app.clock.now() / 1000);
      const sent = await api(app, org, 'POST', '/v1/messages', { from: TELNYX_NUMBER, to: '+13125550001', body: 'Sorry we missed your call!' });
      expect(sent.status).toBe(201);
      await app.drain();
      const seen = fake.requests.filter((r) => r.url === '/messages').at(-1)!;
      expect(seen.headers.authorization).toBe('Bearer KEY0123456789');
      expect(JSON.parse(seen.body)).toMatchObject({ from: TELNYX_NUMBER, to: '+13125550001', text: 'Sorry we missed your call!', webhook_url: `${PUBLIC_URL}/webhooks/telnyx/${accounts.telnyx}/messages?m=${sent.json.id}` });
      // The documented message.finalized event (the reference vector's body), re-signed for now.
      const finalized = vectors().find((v) => v.id === 'telnyx-message-finalized')!.rawBody;
      const path = `/webhooks/telnyx/${accounts.telnyx}/messages?m=${sent.json.id}`;
      const res = await send(path, finalized, String(ts), telnyxSign(accounts.telnyxKey, String(ts), finalized));
      expect(res.statusCode).toBe(200);
      await app.drain();
      expect((await api(app, org, 'GET', `/v1/messages/${sent.json.id}`)).json).toMatchObject({ status: 'undelivered', error_code: '40008', carrier_message_id: '40385f64-5717-4562-b3fc-2c963f66afa6' });
    });

    run('call.hangup becomes a classified call, once per call leg', async () => {
      const hangup = vectors().find((v) => v.id === 'telnyx-call-hangup')!.rawBody;
      const ts = String(Math.floor(app.clock.now() / 1000));
      const path = `/webhooks/telnyx/${accounts.telnyx}/calls`;
      const sig = telnyxSign(accounts.telnyxKey, ts, hangup);
      expect((await send(path, hangup, ts, sig)).statusCode).toBe(200);
      expect((await send(path, hangup, ts, sig)).statusCode).toBe(200);
      await app.drain();
      const calls = ((await api(app, org, 'GET', '/v1/calls?limit=50')).json.data as Rows).filter((c) => c.external_id === '428c31b6-7af4-4bcb-b7f5-5013ef9657c1');
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ status: 'no-answer', outcome: 'missed', carrier: 'telnyx', from: '+13125550001', to: TELNYX_NUMBER });
    });

    run('a signed but malformed event gets 400; an unknown number 404; nothing written', async () => {
      const ts = String(Math.floor(app.clock.now() / 1000));
      const path = `/webhooks/telnyx/${accounts.telnyx}/messages`;
      const before = [await countRows(app, 'jobs'), await countRows(app, 'messages')];
      for (const body of ['{"data":', '{"data":{"event_type":"message.received","id":"e1","payload":{"id":"m1","to":[]}}}']) {
        expect((await send(path, body, ts, telnyxSign(accounts.telnyxKey, ts, body))).statusCode).toBe(400);
      }
      const unknown = vectors()[0]!.rawBody.replace(TELNYX_NUMBER, '+17735550999').replace('84cca175', '94cca175');
      expect((await send(path, unknown, ts, telnyxSign(accounts.telnyxKey, ts, unknown))).statusCode).toBe(404);
      await app.drain();
      expect([await countRows(app, 'jobs'), await countRows(app, 'messages')]).toEqual(before);
    });
  });

  describe('Bandwidth', () => {
    const basic = () => `Basic ${Buffer.from(`${accounts.bandwidthCallback.username}:${accounts.bandwidthCallback.password}`).toString('base64')}`;
    const example = (type: string) => bandwidthDocExamples().find((e) => e.type === type)!.events;

    run('the documented message-received callback with the account credentials is stored, media kept as links', async () => {
      const res = await post(app, `/webhooks/bandwidth/${accounts.bandwidth}/messages`, JSON.stringify(example('message-received')), { 'content-type': 'application/json; charset=utf-8', authorization: basic() });
      expect(res.statusCode).toBe(204);
      await app.drain();
      const stored = (await inbound()).find((m) => m.carrier_message_id === '14762070468292kw2fuqty55yp2b2');
      expect(stored).toMatchObject({ from: BW_SENDER, to: BW_NUMBER, body: 'Hey, check this out!', carrier: 'bandwidth' });
      expect(stored!.media).toEqual(['https://messaging.bandwidth.com/api/v2/users/{accountId}/media/14762070468292kw2fuqty55yp2b2/0/bw.png']);
    });

    run('no credentials, wrong credentials and another account\'s credentials get 403', async () => {
      const before = [await countRows(app, 'jobs'), await countRows(app, 'messages')];
      const body = JSON.stringify(example('message-received')).replaceAll('14762070468292kw2fuqty55yp2b2', 'bw-forged-1');
      const url = `/webhooks/bandwidth/${accounts.bandwidth}/messages`;
      expect((await post(app, url, body, { 'content-type': 'application/json' })).statusCode).toBe(403);
      expect((await post(app, url, body, { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${accounts.bandwidthCallback.username}:wrong`).toString('base64')}` })).statusCode).toBe(403);
      expect((await post(app, url, body, { 'content-type': 'application/json', authorization: 'Bearer x' })).statusCode).toBe(403);
      await app.drain();
      expect([await countRows(app, 'jobs'), await countRows(app, 'messages')]).toEqual(before);
    });

    run('message-delivered and message-failed (4432) apply to the text we sent, found by its tag', async () => {
      let n = 0;
      fake.reply = (req, res) => {
        if (req.method === 'POST' && req.url === '/users/9900000/messages') json(res, 202, { id: `bw-out-${++n}`, owner: BW_SENDER, direction: 'out' });
        else json(res, 404, { type: 'not-found', description: 'not found' });
      };
      const a = await api(app, org, 'POST', '/v1/messages', { from: BW_SENDER, to: '+14155550127', body: 'Hello from Bandwidth' });
      const b = await api(app, org, 'POST', '/v1/messages', { from: BW_SENDER, to: '+14155550128', body: 'Hello again' });
      await app.drain();
      await app.advance(2000);
      const req = fake.requests.find((r) => r.url === '/users/9900000/messages' && JSON.parse(r.body).tag === a.json.id)!;
      expect(JSON.parse(req.body)).toMatchObject({ applicationId: '93de2206-9669-4e07-948d-329f4b722ee2', to: ['+14155550127'], from: BW_SENDER, text: 'Hello from Bandwidth' });
      expect(req.headers.authorization).toBe(`Basic ${Buffer.from('bw-user:bw-password').toString('base64')}`);
      const idOf = async (id: string) => (await api(app, org, 'GET', `/v1/messages/${id}`)).json.carrier_message_id as string;
      const delivered = example('message-delivered').map((e) => ({ ...e, to: '+14155550127', message: { ...e.message, id: undefined, tag: a.json.id } }));
      delivered[0].message.id = await idOf(a.json.id);
      const failed = example('message-failed').map((e) => ({ ...e, to: '+14155550128', message: { ...e.message, id: 'bw-unknown-id', tag: b.json.id } }));
      const url = `/webhooks/bandwidth/${accounts.bandwidth}/messages`;
      expect((await post(app, url, JSON.stringify(delivered), { 'content-type': 'application/json', authorization: basic() })).statusCode).toBe(204);
      expect((await post(app, url, JSON.stringify(failed), { 'content-type': 'application/json', authorization: basic() })).statusCode).toBe(204);
      await app.drain();
      expect((await api(app, org, 'GET', `/v1/messages/${a.json.id}`)).json.status).toBe('delivered');
      expect((await api(app, org, 'GET', `/v1/messages/${b.json.id}`)).json).toMatchObject({ status: 'failed', reason: 'unsupported_country', error_code: '4432' });
    });

    run('a disconnect callback becomes a classified call; other voice events are acknowledged and ignored', async () => {
      const url = `/webhooks/bandwidth/${accounts.bandwidth}/calls`;
      const disconnect = {
        eventType: 'disconnect',
        eventTime: '2026-01-15T17:00:30.000Z',
        accountId: '9900000',
        applicationId: '04e88489-df02-4e34-a0ee-27a91849555f',
        from: '+14155550129',
        to: BW_NUMBER,
        direction: 'inbound',
        callId: 'c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85',
        callUrl: 'https://voice.bandwidth.com/api/v2/accounts/9900000/calls/c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85',
        startTime: '2026-01-15T17:00:00.000Z',
        endTime: '2026-01-15T17:00:30.000Z',
        cause: 'timeout',
      };
      const headers = { 'content-type': 'application/json', authorization: basic() };
      expect((await post(app, url, JSON.stringify({ ...disconnect, eventType: 'answer' }), headers)).statusCode).toBe(204);
      expect((await post(app, url, JSON.stringify(disconnect), headers)).statusCode).toBe(204);
      expect((await post(app, url, JSON.stringify(disconnect), headers)).statusCode).toBe(204);
      await app.drain();
      const calls = ((await api(app, org, 'GET', '/v1/calls?limit=50')).json.data as Rows).filter((c) => c.carrier === 'bandwidth');
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ status: 'no-answer', outcome: 'missed', duration_seconds: 30, external_id: disconnect.callId });
    });

    run('a malformed callback gets 400 and an unknown number 404', async () => {
      const headers = { 'content-type': 'application/json', authorization: basic() };
      const url = `/webhooks/bandwidth/${accounts.bandwidth}/messages`;
      expect((await post(app, url, 'not json at all', headers)).statusCode).toBe(400);
      expect((await post(app, url, '{"type":"message-received"}', headers)).statusCode).toBe(400);
      expect((await post(app, url, '[{"type":"message-received","message":{"id":"x1"}}]', headers)).statusCode).toBe(400);
      const unknown = example('message-received').map((e) => ({ ...e, to: '+12345678999', message: { ...e.message, id: 'bw-unknown-number', owner: '+12345678999' } }));
      expect((await post(app, url, JSON.stringify(unknown), headers)).statusCode).toBe(404);
    });
  });

  run('webhook logs carry ids and outcomes, never bodies, signatures or credentials', async () => {
    const log = logLines.join('');
    expect(log).toContain('webhook accepted');
    expect(log).toContain('webhook refused');
    expect(log).not.toContain('Café');
    expect(log).not.toContain('check this out');
    expect(log).not.toContain('availability tomorrow');
    expect(log).not.toContain('test_auth_token_0123456789abcdef');
    expect(log).not.toContain(accounts.bandwidthCallback.password);
    expect(log).not.toContain('KEY0123456789');
  });
});
