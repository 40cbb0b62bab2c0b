/**
 * Contract tests: each adapter talks to a mock of the carrier built from the carrier's official
 * OpenAPI document in the reference (Stoplight Prism 5.14 `prism mock`, on loopback),
 * through a recording proxy; any request Prism finds non-conforming (path, method, parameters,
 * security scheme, body schema) fails the test, with Prism's own description of the violation.
 *
 * Covered: send (SMS and MMS) and lookup on all three; Bandwidth Voice's createCall and updateCall
 * (speed to lead rings agents with them; Twilio's Calls create is checked in agent-calls.test.ts).
 * The harness is contract-mock.ts. Not covered here, because the reference documents do not
 * describe them: number import (Twilio IncomingPhoneNumbers, Telnyx /phone_numbers, Bandwidth's
 * Dashboard API), webhook-URL updates (Twilio IncomingPhoneNumbers update, Telnyx
 * /messaging_profiles), tested against fakes in accounts.test.ts; and Telnyx Call Control (Dial,
 * Hangup, Speak), checked against Telnyx's documentation by the fake of agent-calls-voice.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BandwidthCarrier } from '../../src/carriers/bandwidth/bandwidth-carrier.js';
import { BandwidthVoice } from '../../src/carriers/bandwidth/bandwidth-voice.js';
import type { CarrierAdapter, OutboundMessage } from '../../src/carriers/carrier.js';
import { TelnyxCarrier } from '../../src/carriers/telnyx/telnyx-carrier.js';
import { TwilioCarrier } from '../../src/carriers/twilio/twilio-carrier.js';
import { newId } from '../../src/support/ids.js';
import { conforming, ContractMock } from './contract-mock.js';

const mocks = {
  twilio: new ContractMock('twilio-api-v2010.messages-calls.openapi.json', new Set(['MediaUrl'])),
  telnyx: new ContractMock('telnyx-messaging.openapi.json'),
  bandwidth: new ContractMock('bandwidth-messaging-voice.openapi.json'),
};

beforeAll(async () => {
  await Promise.all(Object.values(mocks).map((m) => m.start()));
}, 60_000);
afterAll(async () => {
  await Promise.all(Object.values(mocks).map((m) => m.stop()));
});

function message(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return { messageId: newId('msg'), orgId: 'org_1', from: '+14155550100', to: '+14155550123', body: 'Sorry we missed your call! Reply here ✓', ...overrides };
}

async function checkAdapter(mock: ContractMock, adapter: CarrierAdapter, expectedStatus: number) {
  const sms = message();
  const sent = await conforming(mock, () => adapter.send(sms));
  expect(sent.requests.map((r) => r.status)).toEqual([expectedStatus]);
  expect(sent.result.carrierMessageId).not.toBe('');
  const mms = await conforming(mock, () => adapter.send(message({ body: '', media: ['https://example.com/photo.jpg'] })));
  expect(mms.requests.map((r) => r.status)).toEqual([expectedStatus]);
  return sms;
}

describe('Twilio adapter against twilio-api-v2010.messages-calls.openapi.json', () => {
  const adapter = () =>
    new TwilioCarrier({ accountSid: 'AC0123456789abcdef0123456789abcdef', authToken: 'token', accountId: 'ca_01TEST', baseUrl: mocks.twilio.url, publicBaseUrl: 'https://sms.example.com' });

  it('send (SMS and MMS with StatusCallback) conforms', async () => {
    await checkAdapter(mocks.twilio, adapter(), 201);
  });

  it('lookup after a lost response (list by To/From) conforms', async () => {
    const { requests } = await conforming(mocks.twilio, () => adapter().lookup('org_1', newId('msg'), { from: '+14155550100', to: '+14155550123', body: 'x', createdAt: Date.now() }));
    expect(requests.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200']);
  });
});

describe('Telnyx adapter against telnyx-messaging.openapi.json', () => {
  let telnyx: TelnyxCarrier | undefined;
  const adapter = () => (telnyx ??= new TelnyxCarrier({ apiKey: 'KEY0123', accountId: 'ca_01TEST', baseUrl: mocks.telnyx.url, publicBaseUrl: 'https://sms.example.com' }));

  it('send (SMS and MMS with webhook_url) conforms', async () => {
    await checkAdapter(mocks.telnyx, adapter(), 200);
  });

  it('lookup (GET /messages/{id} of a message it sent) conforms', async () => {
    const sms = message();
    await adapter().send(sms);
    const { result, requests } = await conforming(mocks.telnyx, () => adapter().lookup('org_1', sms.messageId));
    expect(requests.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200']);
    expect(result).not.toBeNull();
  });
});

describe('Bandwidth adapter against bandwidth-messaging-voice.openapi.json', () => {
  const adapter = () =>
    new BandwidthCarrier({ bandwidthAccountId: '9900000', applicationId: '93de2206-9669-4e07-948d-329f4b722ee2', apiUser: 'user', apiPassword: 'password', baseUrl: mocks.bandwidth.url });

  it('send (SMS and MMS with tag) conforms', async () => {
    await checkAdapter(mocks.bandwidth, adapter(), 202);
  });

  it('lookup after a lost response (list by sourceTn/destinationTn/fromDateTime) conforms', async () => {
    const { requests } = await conforming(mocks.bandwidth, () => adapter().lookup('org_1', newId('msg'), { from: '+14155550100', to: '+14155550123', body: 'x', createdAt: Date.now() }));
    expect(requests.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200']);
  });
});

describe('Bandwidth Voice (speed to lead) against bandwidth-messaging-voice.openapi.json', () => {
  const voice = () =>
    new BandwidthVoice({
      bandwidthAccountId: '9900000',
      voiceApplicationId: '04e88489-df02-4e34-a0ee-27a91849555f',
      apiUser: 'user',
      apiPassword: 'password',
      callbackUsername: 'textback-0a1b2c3d',
      callbackPassword: 'callback-secret',
      accountId: 'ca_01TEST',
      publicBaseUrl: 'https://sms.example.com',
      baseUrl: mocks.bandwidth.url,
    });

  it('createCall (answerUrl and disconnectUrl with callback credentials, callTimeout, tag) conforms', async () => {
    const { result, requests } = await conforming(mocks.bandwidth, () => voice().placeAgentCall({ agentCallId: newId('acall'), from: '+14155550100', to: '+14155550123', timeoutSeconds: 30 }));
    expect(requests.map((r) => `${r.method} ${r.url} ${r.status}`)).toEqual(['POST /accounts/9900000/calls 201']);
    // The document's example answer.
    expect(result).toBe('c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85');
  });

  it('a ring timeout outside callTimeout\'s bounds is brought within them, and still conforms', async () => {
    await conforming(mocks.bandwidth, () => voice().placeAgentCall({ agentCallId: newId('acall'), from: '+14155550100', to: '+14155550123', timeoutSeconds: 900 }));
  });

  it('updateCall with state completed (hang up the other agents\' calls) conforms', async () => {
    const { requests } = await conforming(mocks.bandwidth, () => voice().hangUpAgentCall('c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85'));
    expect(requests.map((r) => `${r.method} ${r.url} ${r.status}`)).toEqual(['POST /accounts/9900000/calls/c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85 200']);
  });

  it('a createCall or updateCall that does not conform is reported', async () => {
    const from = mocks.bandwidth.exchanges.length;
    const headers = { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('user:password').toString('base64')}` };
    await fetch(`${mocks.bandwidth.url}/accounts/9900000/calls`, { method: 'POST', headers, body: JSON.stringify({ from: '+14155550100', to: '+14155550123', applicationId: 'a', callTimeout: 900 }) });
    await fetch(`${mocks.bandwidth.url}/accounts/9900000/calls/c-1`, { method: 'POST', headers, body: JSON.stringify({ state: 'hung-up' }) });
    const errors = mocks.bandwidth.errorsSince(from);
    expect(errors.some((e) => e.includes("required property 'answerUrl'"))).toBe(true);
    expect(errors.some((e) => e.includes('callTimeout'))).toBe(true);
    expect(errors.some((e) => e.includes('state'))).toBe(true);
  });
});

describe('the harness itself', () => {
  it('reports a request that does not conform (missing `to`, no credentials) with Prism\'s description', async () => {
    const from = mocks.telnyx.exchanges.length;
    const res = await fetch(`${mocks.telnyx.url}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: '+14155550100', text: 7 }) });
    expect(res.status).toBeGreaterThanOrEqual(400);
    const errors = mocks.telnyx.errorsSince(from);
    expect(errors.some((e) => e.includes("required property 'to'"))).toBe(true);
    expect(errors.some((e) => e.includes('security'))).toBe(true);
    const fromTw = mocks.twilio.exchanges.length;
    await fetch(`${mocks.twilio.url}/2010-04-01/Accounts/ACnot-a-sid/Messages.json`, { method: 'POST', headers: { authorization: 'Basic eDp5', 'content-type': 'application/x-www-form-urlencoded' }, body: 'Body=hi' });
    expect(mocks.twilio.errorsSince(fromTw).length).toBeGreaterThan(0);
  });
});
