/**
 * Caps on automated texts, destination countries, fixed lines, opt-out language on the first
 * automated text, and delivery receipts merged with core's mergePartStatus, on both databases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyDeliveryReceipt } from '../../src/use-cases/receive.js';
import { sendMessage } from '../../src/use-cases/messages.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestApp, type TestApp, type TestOrg } from '../support/test-app.js';
import { freshOrg, settle } from './helpers.js';

describe.each(DIALECTS)('caps, countries and line types (%s)', (dialect) => {
  let app: TestApp;
  let org: TestOrg;

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    app = await createTestApp(dialect);
    org = await freshOrg(app);
  });
  afterAll(async () => app?.close());

  const automated = (o: TestOrg, to: string, body: string) =>
    sendMessage(app.tb.ctx, { orgId: o.orgId, to, body, automated: true, createdBy: { type: 'automation', id: null } });

  it.runIf(dialectAvailable(dialect))('caps automated texts per contact per rolling 24 h; the first carries opt-out language once', async () => {
    const local = await freshOrg(app);
    expect((await api(app, local, 'PATCH', '/v1/compliance/settings', { automated_cap_per_24h: 2 })).json.automated_cap_per_24h).toBe(2);
    const handset = '+14155550601';
    await api(app, local, 'POST', '/v1/sandbox/messages', { from: handset, to: local.number, body: 'Hi, I need a quote' }); // implied consent
    const t0 = app.clock.now();

    const first = await automated(local, handset, 'Thanks! We will call you.');
    expect(first.message).toMatchObject({ status: 'queued', automated: 1, body: 'Thanks! We will call you.\nReply STOP to opt out' });
    await settle(app);
    app.clock.advance(3600_000);
    const second = await automated(local, handset, 'Still interested? Reply STOP to opt out.');
    expect(second.message).toMatchObject({ status: 'queued', body: 'Still interested? Reply STOP to opt out.' });
    await settle(app);
    app.clock.advance(3600_000);
    const third = await automated(local, handset, 'Last reminder');
    expect(third.message).toMatchObject({ status: 'blocked', reason: 'cap_reached', rule: 'CAP-ORG', body: 'Last reminder' });
    // Manual texts are not capped.
    expect((await api(app, local, 'POST', '/v1/messages', { to: handset, body: 'Hi, Dana here' })).json.status).toBe('queued');
    await settle(app);

    // 24 hours after the first, one fits again.
    app.clock.set(t0 + 24 * 3600_000);
    expect((await automated(local, handset, 'Next day')).message.status).toBe('queued');
    expect((await automated(local, handset, 'Too soon')).message).toMatchObject({ status: 'blocked', reason: 'cap_reached' });
  });

  it.runIf(dialectAvailable(dialect))("a state's statutory cap applies to automated texts (Florida: 3 per 24 h)", async () => {
    const local = await freshOrg(app);
    const handset = '+13055550101';
    await api(app, local, 'POST', '/v1/sandbox/messages', { from: handset, to: local.number, body: 'Hello' });
    for (let i = 0; i < 3; i++) expect((await automated(local, handset, `Text ${i}`)).message.status).toBe('queued');
    expect((await automated(local, handset, 'Fourth')).message).toMatchObject({ status: 'blocked', reason: 'cap_reached', rule: 'CAP-US-FL' });
  });

  const COUNTRIES: { to: string; country: string; blocked: boolean }[] = [
    { to: '+14155550610', country: 'US', blocked: false },
    { to: '+16135550123', country: 'CA', blocked: false },
    { to: '+447400123456', country: 'GB', blocked: false },
    { to: '+61412345678', country: 'AU', blocked: false },
    { to: '+4915123456789', country: 'DE', blocked: true },
    { to: '+33612345678', country: 'FR', blocked: true },
    { to: '+525512345678', country: 'MX', blocked: true },
  ];
  it.runIf(dialectAvailable(dialect)).each(COUNTRIES)('a text to $country is blocked: $blocked', async ({ to, blocked }) => {
    const res = await api(app, org, 'POST', '/v1/messages', { to, body: 'Hello' });
    expect(res.status).toBe(201);
    if (blocked) expect(res.json).toMatchObject({ status: 'blocked', reason: 'unsupported_country', rule: 'COUNTRY' });
    else expect(res.json.reason).not.toBe('unsupported_country');
  });

  it.runIf(dialectAvailable(dialect))('allowed countries are a setting', async () => {
    const local = await freshOrg(app);
    const patched = await api(app, local, 'PATCH', '/v1/compliance/settings', { allowed_countries: ['us', 'de'] });
    expect(patched.json.allowed_countries).toEqual(['US', 'DE']);
    expect((await api(app, local, 'POST', '/v1/messages', { to: '+4915123456789', body: 'Hallo' })).json.reason).not.toBe('unsupported_country');
    expect((await api(app, local, 'POST', '/v1/messages', { to: '+16135550123', body: 'Hi' })).json.reason).toBe('unsupported_country');
    expect((await api(app, local, 'PATCH', '/v1/compliance/settings', { allowed_countries: ['USA'] })).status).toBe(400);
  });

  it.runIf(dialectAvailable(dialect))('invalid numbers are rejected at the API', async () => {
    for (const to of ['12', 'not a number', '+1 555 0000']) {
      const res = await api(app, org, 'POST', '/v1/messages', { to, body: 'Hi' });
      expect(res.status).toBe(400);
      expect(res.json.code).toBe('invalid_number');
    }
  });

  it.runIf(dialectAvailable(dialect)).each([
    { policy: 'block', status: 'blocked', flags: {} },
    { policy: 'flag', status: 'queued', flags: { landline: true } },
    { policy: 'allow', status: 'queued', flags: {} },
  ] as const)('a fixed line (per the numbering plan) with landline_policy $policy', async ({ policy, status, flags }) => {
    const local = await freshOrg(app);
    await api(app, local, 'PATCH', '/v1/compliance/settings', { landline_policy: policy });
    const res = await api(app, local, 'POST', '/v1/messages', { to: '+442071234567', body: 'Hello London' });
    expect(res.json.status).toBe(status);
    expect(res.json.flags).toEqual(flags);
    if (status === 'blocked') expect(res.json).toMatchObject({ reason: 'landline_or_unreachable', rule: 'LANDLINE' });
    // Mobiles are never affected.
    expect((await api(app, local, 'POST', '/v1/messages', { to: '+447400123456', body: 'Hello' })).json.status).toBe('queued');
  });

  it.runIf(dialectAvailable(dialect)).each([
    { name: 'emoji', body: 'Thanks 😊', status: 201, encoding: 'UCS-2' },
    { name: 'GSM-7 extension characters', body: 'Price: €5 [approx] {ok}', status: 201, encoding: 'GSM-7' },
    { name: 'a NUL byte', body: 'a\u0000b', status: 400, code: 'validation_failed' },
    { name: 'a lone high surrogate', body: 'x\uD800y', status: 400, code: 'validation_failed' },
    { name: 'a lone low surrogate', body: '\uDC00', status: 400, code: 'validation_failed' },
    { name: '10,000 characters', body: 'x'.repeat(10_000), status: 400, code: 'body_too_long' },
    { name: 'only whitespace', body: ' \n\t ', status: 400, code: 'empty_body' },
  ])('an outbound body with $name', async ({ body, status, encoding, code }) => {
    const res = await api(app, org, 'POST', '/v1/messages', { to: '+14155550630', body });
    expect(res.status).toBe(status);
    if (encoding) expect(res.json.encoding).toBe(encoding);
    if (code) expect(res.json.code).toBe(code);
  });

  it.runIf(dialectAvailable(dialect))('an inbound body with NUL bytes or lone surrogates is stored, never refused', async () => {
    const { receiveInboundMessage } = await import('../../src/use-cases/receive.js');
    const result = await receiveInboundMessage(app.tb.ctx, { carrier: 'sandbox', carrierMessageId: `nul-${dialect}`, from: '+14155550631', to: org.number, body: 'stop\u0000 \uD800' });
    expect(result.message.body).toBe('stop\uFFFD \uFFFD');
    expect(result.message.status).toBe('received');
  });

  it.runIf(dialectAvailable(dialect))('receipts merge with mergePartStatus: never backwards, a failure is kept', async () => {
    const local = await freshOrg(app);
    const res = await api(app, local, 'POST', '/v1/messages', { to: '+14155550620', body: 'Two parts '.repeat(20) });
    await app.drain();
    const id = res.json.id as string;
    const receipt = (status: 'sent' | 'delivered' | 'undelivered' | 'failed') =>
      applyDeliveryReceipt(app.tb.ctx, { carrier: 'sandbox', messageId: id, carrierMessageId: 'x', status, ...(status === 'undelivered' ? { reason: 'carrier_unknown', errorCode: '30008' } : {}) });
    await receipt('delivered');
    await receipt('sent');
    expect((await api(app, local, 'GET', `/v1/messages/${id}`)).json.status).toBe('delivered');
    await receipt('undelivered');
    await receipt('delivered');
    expect((await api(app, local, 'GET', `/v1/messages/${id}`)).json).toMatchObject({ status: 'undelivered', reason: 'carrier_unknown' });
  });
});
