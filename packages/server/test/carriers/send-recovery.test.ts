/**
 * Sending through real carriers when things go wrong: 429 waits for Retry-After, 5xx backs off,
 * and an unknown outcome (the connection dropped after the request left) is settled before any
 * resend: by the carrier's list API (Twilio, Bandwidth) or by its webhook naming our message
 * (Telnyx), so no text goes out twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';
import { createAccounts, createCarrierTestApp, FakeCarrierApi, json, post, telnyxSign, type Accounts } from './helpers.js';

const TWILIO_NUMBER = '+14155550300';
const TELNYX_NUMBER = '+14155550301';
const BW_NUMBER = '+14155550302';

describe.each(DIALECTS)('sending through carriers, with failures (%s)', (dialect) => {
  const run = it.runIf(dialectAvailable(dialect));
  let app: TestApp;
  let org: TestOrg;
  let accounts: Accounts;
  const fake = new FakeCarrierApi();
  let to = 100;
  const nextTo = () => `+1415555${String(++to).padStart(4, '0')}`;

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    await fake.start();
    app = await createCarrierTestApp(dialect);
    org = await createTestOrg(app, '+14155559996');
    accounts = await createAccounts(app, org, fake.url, { twilio: [TWILIO_NUMBER], telnyx: [TELNYX_NUMBER], bandwidth: [BW_NUMBER] });
  });
  afterAll(async () => {
    await app?.close();
    await fake.stop().catch(() => {});
  });

  const sendJob = async (messageId: string) =>
    app.tb.ctx.db.kysely.selectFrom('jobs').selectAll().where('kind', '=', 'message.send').where('payload', 'like', `%${messageId}%`).executeTakeFirstOrThrow();
  const message = async (id: string) => (await api(app, org, 'GET', `/v1/messages/${id}`)).json;
  const posts = (path: string) => fake.requests.filter((r) => r.method === 'POST' && r.url.endsWith(path)).length;

  /** Lets the sender's pacing slot pass (long codes send 1/s). */
  const settle = () => app.advance(1500);

  run('429 from Twilio: the send job waits exactly Retry-After, then sends', async () => {
    let calls = 0;
    fake.reply = (req, res) => {
      if (req.method === 'POST' && req.url.endsWith('/Messages.json')) {
        if (++calls === 1) json(res, 429, { code: 20429, message: 'Too Many Requests', status: 429 }, { 'retry-after': '7' });
        else json(res, 201, { sid: 'SM429000000000000000000000000000ok' });
      } else json(res, 500, { message: 'a 429 is retried without a lookup' });
    };
    await settle();
    const m = await api(app, org, 'POST', '/v1/messages', { from: TWILIO_NUMBER, to: nextTo(), body: 'rate limited' });
    const sentAt = app.clock.now();
    await app.drain();
    const job = await sendJob(m.json.id);
    expect(job).toMatchObject({ state: 'pending', run_at: sentAt + 7000 });
    expect(job.last_error).toContain('429');
    await app.advance(6999);
    expect((await message(m.json.id)).status).toBe('queued');
    expect(calls).toBe(1);
    await app.advance(1);
    expect(calls).toBe(2);
    expect(await message(m.json.id)).toMatchObject({ status: 'sent', carrier_message_id: 'SM429000000000000000000000000000ok' });
  });

  run('5xx from Telnyx: retried with the scheduler\'s backoff, not given up', async () => {
    let calls = 0;
    fake.reply = (req, res) => {
      if (req.method === 'POST' && req.url === '/messages') {
        if (++calls === 1) json(res, 503, { errors: [{ code: '10011', title: 'Service unavailable' }] });
        else json(res, 200, { data: { id: 'b1a2c3d4-0000-4000-8000-000000000503' } });
      } else json(res, 404, {});
    };
    await settle();
    const m = await api(app, org, 'POST', '/v1/messages', { from: TELNYX_NUMBER, to: nextTo(), body: 'server error' });
    const t0 = app.clock.now();
    await app.drain();
    const job = await sendJob(m.json.id);
    expect(job.state).toBe('pending');
    expect(job.run_at - t0).toBeGreaterThanOrEqual(500);
    expect(job.run_at - t0).toBeLessThanOrEqual(1000);
    await app.advance(1000);
    expect(calls).toBe(2);
    expect((await message(m.json.id)).status).toBe('sent');
  });

  run('a permanent refusal fails the text with the normalized reason, without retrying', async () => {
    fake.reply = (req, res) => {
      if (req.method === 'POST' && req.url === '/users/9900000/messages') json(res, 400, { type: 'request-validation', description: 'Invalid to', fieldErrors: [{ fieldName: 'to', description: "'+1' is invalid" }] });
      else json(res, 404, {});
    };
    await settle();
    const m = await api(app, org, 'POST', '/v1/messages', { from: BW_NUMBER, to: nextTo(), body: 'refused' });
    await app.drain();
    expect(await message(m.json.id)).toMatchObject({ status: 'failed', reason: 'invalid_number', error_code: 'request-validation' });
    expect((await sendJob(m.json.id)).state).toBe('completed');
  });

  run('Twilio, connection lost after the request left: looked up by the list API before any resend, and not sent twice', async () => {
    let creates = 0;
    let body = '';
    fake.reply = (req, res) => {
      if (req.method === 'POST' && req.url.endsWith('/Messages.json')) {
        creates++;
        body = new URLSearchParams(req.body).get('Body') ?? '';
        res.socket?.destroy(); // Twilio got it; the answer never arrives
      } else if (req.method === 'GET' && req.url.includes('/Messages.json?')) {
        const q = new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1));
        json(res, 200, {
          messages: [
            // An older identical text (before ours), and a newer one of ours already recorded elsewhere, are not it.
            { sid: 'SMold0000000000000000000000000000', body, direction: 'outbound-api', date_created: new Date(app.clock.now() - 3_600_000).toUTCString(), to: q.get('To'), from: q.get('From') },
            { sid: 'SMunknown000000000000000000000001', body, direction: 'outbound-api', date_created: new Date(app.clock.now() - 30_000).toUTCString(), to: q.get('To'), from: q.get('From') },
          ],
        });
      } else json(res, 404, {});
    };
    await settle();
    const m = await api(app, org, 'POST', '/v1/messages', { from: TWILIO_NUMBER, to: nextTo(), body: 'maybe sent' });
    const t0 = app.clock.now();
    await app.drain();
    expect(creates).toBe(1);
    expect((await message(m.json.id)).status).toBe('sending');
    expect((await sendJob(m.json.id)).run_at).toBe(t0 + 60_000);
    await app.advance(60_000);
    expect(creates).toBe(1);
    expect(await message(m.json.id)).toMatchObject({ status: 'sent', carrier_message_id: 'SMunknown000000000000000000000001' });
    const lookup = fake.requests.filter((r) => r.method === 'GET').at(-1)!;
    expect(lookup.url).toContain(`To=${encodeURIComponent((await message(m.json.id)).to)}`);
  });

  run('Twilio, unknown outcome and the list does not have it: sent again once', async () => {
    let creates = 0;
    fake.reply = (req, res) => {
      if (req.method === 'POST' && req.url.endsWith('/Messages.json')) {
        if (++creates === 1) res.socket?.destroy();
        else json(res, 201, { sid: 'SMresent0000000000000000000000001' });
      } else if (req.method === 'GET') json(res, 200, { messages: [] });
      else json(res, 404, {});
    };
    await settle();
    const m = await api(app, org, 'POST', '/v1/messages', { from: TWILIO_NUMBER, to: nextTo(), body: 'lost for real' });
    await app.drain();
    await app.advance(60_000);
    expect(creates).toBe(2);
    expect(await message(m.json.id)).toMatchObject({ status: 'sent', carrier_message_id: 'SMresent0000000000000000000000001' });
  });

  run('Telnyx, unknown outcome: the message.sent webhook (naming our message) settles it before the retry', async () => {
    let creates = 0;
    fake.reply = (req, res) => {
      if (req.method === 'POST' && req.url === '/messages') {
        creates++;
        res.socket?.destroy();
      } else json(res, 404, { errors: [{ code: '10005', title: 'Not found' }] });
    };
    await settle();
    const recipient = nextTo();
    const m = await api(app, org, 'POST', '/v1/messages', { from: TELNYX_NUMBER, to: recipient, body: 'telnyx maybe' });
    await app.drain();
    expect((await message(m.json.id)).status).toBe('sending');
    const ts = String(Math.floor(app.clock.now() / 1000));
    const event = JSON.stringify({
      data: {
        event_type: 'message.sent',
        id: '6a09cdc3-8948-47f0-aa62-74ac943d6c58',
        occurred_at: new Date(app.clock.now()).toISOString(),
        payload: { id: 'c0ffee00-0000-4000-8000-000000000001', direction: 'outbound', to: [{ phone_number: recipient, status: 'sent' }], from: { phone_number: TELNYX_NUMBER }, type: 'SMS' },
        record_type: 'event',
      },
      meta: { attempt: 1 },
    });
    const path = `/webhooks/telnyx/${accounts.telnyx}/messages?m=${m.json.id}`;
    expect((await post(app, path, event, { 'content-type': 'application/json', 'telnyx-timestamp': ts, 'telnyx-signature-ed25519': telnyxSign(accounts.telnyxKey, ts, event) })).statusCode).toBe(200);
    await app.drain();
    expect(await message(m.json.id)).toMatchObject({ status: 'sent', carrier_message_id: 'c0ffee00-0000-4000-8000-000000000001' });
    await app.advance(120_000);
    expect(creates).toBe(1);
    expect((await sendJob(m.json.id)).state).toBe('completed');
  });

  run('Bandwidth, unknown outcome: found by the list API (source, destination, time), not sent twice', async () => {
    let creates = 0;
    fake.reply = (req, res) => {
      if (req.method === 'POST' && req.url === '/users/9900000/messages') {
        creates++;
        res.socket?.destroy();
      } else if (req.method === 'GET' && req.url.startsWith('/users/9900000/messages?')) {
        json(res, 200, { totalCount: 1, messages: [{ messageId: '1589228074636lm4k2je7j7jklbn2', messageDirection: 'OUTBOUND', receiveTime: new Date(app.clock.now()).toISOString() }] });
      } else json(res, 404, {});
    };
    await settle();
    const postsBefore = posts('/users/9900000/messages');
    const m = await api(app, org, 'POST', '/v1/messages', { from: BW_NUMBER, to: nextTo(), body: 'bandwidth maybe' });
    await app.drain();
    await app.advance(120_000);
    expect(creates).toBe(1);
    expect(await message(m.json.id)).toMatchObject({ status: 'sent', carrier_message_id: '1589228074636lm4k2je7j7jklbn2' });
    const q = new URLSearchParams(fake.requests.filter((r) => r.method === 'GET').at(-1)!.url.split('?')[1]);
    expect(q.get('sourceTn')).toBe(BW_NUMBER);
    expect(q.get('messageDirection')).toBe('OUTBOUND');
    expect(posts('/users/9900000/messages') - postsBefore).toBe(1);
  });
});
