import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFailure } from '../../src/use-cases/messages.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';

describe.each(DIALECTS)('sending and receiving texts end to end through the sandbox (%s)', (dialect) => {
  let app: TestApp;
  let org: TestOrg;
  const handset = '+14155550123';

  beforeAll(async () => {
    app = await createTestApp(dialect);
    org = await createTestOrg(app);
  });
  afterAll(async () => app?.close());

  it.runIf(dialectAvailable(dialect))('queues a text, sends it through the sandbox, and applies the delivery receipt', async () => {
    const created = await api(app, org, 'POST', '/v1/messages', { to: '(415) 555-0123', body: 'Hello from Textback' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ status: 'queued', to: handset, from: org.number, encoding: 'GSM-7', segments: 1, direction: 'outbound' });

    // Nothing has reached the handset before a worker runs.
    expect((await api(app, org, 'GET', `/v1/sandbox/handsets/${handset}/messages`)).json.data).toHaveLength(0);

    await app.drain();
    const sent = await api(app, org, 'GET', `/v1/messages/${created.json.id}`);
    expect(sent.json.status).toBe('sent');
    expect(sent.json.carrier_message_id).toMatch(/^SB_/);
    const inbox = await api(app, org, 'GET', `/v1/sandbox/handsets/${handset}/messages`);
    expect(inbox.json.data).toMatchObject([{ direction: 'received', business_number: org.number, body: 'Hello from Textback' }]);

    // The sandbox reports delivery a second later, like a carrier's status callback.
    await app.advance(1000);
    const delivered = await api(app, org, 'GET', `/v1/messages/${created.json.id}`);
    expect(delivered.json.status).toBe('delivered');
    expect(delivered.json.delivered_at).not.toBeNull();
  });

  it.runIf(dialectAvailable(dialect))('stores an inbound text with its contact and conversation, and lists it', async () => {
    const res = await api(app, org, 'POST', '/v1/sandbox/messages', { from: '+15554265646', to: org.number, body: 'Is anyone there?' });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ direction: 'inbound', status: 'received', from: '+15554265646', to: org.number });

    const contact = await api(app, org, 'GET', `/v1/contacts/${res.json.contact_id}`);
    expect(contact.json).toMatchObject({ phone: '+15554265646', source: 'inbound_sms' });
    const conversation = await api(app, org, 'GET', `/v1/conversations/${res.json.conversation_id}`);
    expect(conversation.json).toMatchObject({ status: 'open', unread_count: 1, read: false });
    const messages = await api(app, org, 'GET', `/v1/conversations/${res.json.conversation_id}/messages`);
    expect(messages.json.data.map((m: { body: string }) => m.body)).toEqual(['Is anyone there?']);
    const inbound = await api(app, org, 'GET', `/v1/messages?direction=inbound&contact=${res.json.contact_id}`);
    expect(inbound.json.data).toHaveLength(1);

    // A second text reuses the conversation.
    const again = await api(app, org, 'POST', '/v1/sandbox/messages', { from: '+15554265646', to: org.number, body: 'Hello?' });
    expect(again.json.conversation_id).toBe(res.json.conversation_id);
    expect((await api(app, org, 'GET', `/v1/conversations/${res.json.conversation_id}`)).json.unread_count).toBe(2);

    // ... and a reply goes to the number that wrote, even though 555 is not a real area code.
    const reply = await api(app, org, 'POST', '/v1/messages', { to: '+15554265646', body: 'Yes! How can we help?' });
    expect(reply.status).toBe(201);
    expect(reply.json.conversation_id).toBe(res.json.conversation_id);
  });

  it.runIf(dialectAvailable(dialect))('an Idempotency-Key returns the same message and never sends twice', async () => {
    const body = { to: '+14155550150', body: 'Only once' };
    const first = await api(app, org, 'POST', '/v1/messages', body, { 'idempotency-key': 'order-42' });
    const second = await api(app, org, 'POST', '/v1/messages', body, { 'idempotency-key': 'order-42' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.json.id).toBe(first.json.id);
    const different = await api(app, org, 'POST', '/v1/messages', { ...body, body: 'Something else' }, { 'idempotency-key': 'order-42' });
    expect(different.status).toBe(422);
    expect(different.json.code).toBe('idempotency_mismatch');
    // Sends from one number are paced (a long code: 1/s): the earlier test's reply goes first.
    for (let i = 0; i < 3; i++) await app.advance(1000);
    const received = await api(app, org, 'GET', '/v1/sandbox/handsets/+14155550150/messages');
    expect(received.json.data).toHaveLength(1);
  });

  it.runIf(dialectAvailable(dialect))('a scheduled text waits for its time, and can be cancelled before it', async () => {
    const at = new Date(app.clock.now() + 2 * 3600_000).toISOString();
    const later = await api(app, org, 'POST', '/v1/messages', { to: '+14155550160', body: 'Later', send_at: at });
    const cancelMe = await api(app, org, 'POST', '/v1/messages', { to: '+14155550161', body: 'Never', send_at: at });
    expect(later.json).toMatchObject({ status: 'scheduled', scheduled_at: at });
    await app.drain();
    expect((await api(app, org, 'GET', `/v1/messages/${later.json.id}`)).json.status).toBe('scheduled');
    expect((await api(app, org, 'POST', `/v1/messages/${cancelMe.json.id}/cancel`)).json.status).toBe('cancelled');
    await app.advance(2 * 3600_000);
    expect((await api(app, org, 'GET', `/v1/messages/${later.json.id}`)).json.status).toBe('sent');
    expect((await api(app, org, 'GET', `/v1/messages/${cancelMe.json.id}`)).json.status).toBe('cancelled');
    expect((await api(app, org, 'GET', '/v1/sandbox/handsets/+14155550161/messages')).json.data).toHaveLength(0);
    const again = await api(app, org, 'POST', `/v1/messages/${later.json.id}/cancel`);
    expect(again.status).toBe(409);
  });

  it.runIf(dialectAvailable(dialect))('a destination set to fail reports undelivered with a normalized reason', async () => {
    const put = await api(app, org, 'PUT', '/v1/sandbox/destinations/+14155550170', { fail_reason: 'landline' });
    expect(put.status).toBe(204);
    const msg = await api(app, org, 'POST', '/v1/messages', { to: '+14155550170', body: 'Can you read this?' });
    // Paced a second after the previous test's text from the same number, then the receipt.
    await app.advance(1000);
    await app.advance(1000);
    const failed = await api(app, org, 'GET', `/v1/messages/${msg.json.id}`);
    expect(failed.json).toMatchObject({
      status: 'undelivered',
      reason: 'landline_or_unreachable',
      error_code: '30006',
      status_detail: 'undelivered: the carrier says +1 415 555 0170 is a landline or unreachable (30006)',
    });
    expect(failed.json.failed_at).not.toBeNull();
    const filtered = await api(app, org, 'GET', '/v1/messages?status=undelivered');
    expect(filtered.json.data.map((m: { id: string }) => m.id)).toContain(msg.json.id);
  });

  it.runIf(dialectAvailable(dialect))('every failed or undelivered text says why in plain words (status_detail)', async () => {
    const cases = [
      { fail: 'unreachable', to: '+14155550171', detail: 'undelivered: the carrier says +1 415 555 0171 is a landline or unreachable (30003)' },
      { fail: 'spam-filtered', to: '+14155550172', detail: 'undelivered: the carrier filtered it as spam (30007)' },
    ];
    const sent: string[] = [];
    for (const c of cases) {
      expect((await api(app, org, 'PUT', `/v1/sandbox/destinations/${c.to}`, { fail_reason: c.fail })).status).toBe(204);
      sent.push((await api(app, org, 'POST', '/v1/messages', { to: c.to, body: 'Hello?' })).json.id);
    }
    await app.advance(1000);
    await app.advance(1000);
    await app.advance(1000);
    for (const [i, c] of cases.entries()) {
      expect((await api(app, org, 'GET', `/v1/messages/${sent[i]}`)).json).toMatchObject({ status: 'undelivered', status_detail: c.detail });
    }
    // A text the carrier refused when it was sent (a permanent error) is failed, with its sentence too.
    const refused = await api(app, org, 'POST', '/v1/messages', { to: '+14155550173', body: 'Hello?', send_at: new Date(app.clock.now() + 3600_000).toISOString() });
    const row = await app.tb.ctx.db.kysely.selectFrom('messages').selectAll().where('id', '=', refused.json.id).executeTakeFirstOrThrow();
    await recordFailure(app.tb.ctx, row, 'failed', 'invalid_number', '21211');
    expect((await api(app, org, 'GET', `/v1/messages/${refused.json.id}`)).json).toMatchObject({
      status: 'failed',
      status_detail: 'failed: the carrier says +1 415 555 0173 is not a working mobile number (21211)',
    });
    // Delivered and queued texts have none.
    const fine = await api(app, org, 'POST', '/v1/messages', { to: '+14155550174', body: 'Hello' });
    expect(fine.json.status_detail).toBeNull();
  });

  it.runIf(dialectAvailable(dialect))('counts segments and encoding, exposes them and previews without sending', async () => {
    const emoji = await api(app, org, 'POST', '/v1/messages', { to: '+14155550180', body: 'Thanks 😊' });
    expect(emoji.json).toMatchObject({ encoding: 'UCS-2', segments: 1 });
    const preview = await api(app, org, 'POST', '/v1/messages/preview', { body: 'We’re on our way — see you soon' });
    expect(preview.status).toBe(200);
    expect(preview.json).toMatchObject({ encoding: 'UCS-2', segments: 1, smart_encoded: { encoding: 'GSM-7', segments: 1 } });
    const long = await api(app, org, 'POST', '/v1/messages/preview', { body: 'x'.repeat(161) });
    expect(long.json).toMatchObject({ encoding: 'GSM-7', segments: 2, characters: 161 });
  });
});
