/**
 * Each adapter's number ordering calls against a local fake of the carrier that checks method, path,
 * authentication and parameters, and answers in the carrier's shapes. The reference OpenAPI documents
 * of contract.test.ts do not describe these APIs, so the shapes come from the carriers' SDK types:
 * twilio 6.2.0 (lib/rest/api/v2010/account/availablePhoneNumberCountry/local.d.ts, mobile.d.ts,
 * incomingPhoneNumber.d.ts), telnyx 7.24.0 (resources/available-phone-numbers.d.ts, number-orders.d.ts,
 * phone-numbers/phone-numbers.d.ts); Bandwidth's from its documentation and @bandwidth/numbers 2.0.0
 * (https://github.com/Bandwidth/node-numbers: lib/order.js, lib/disconnect.js), not a spec.
 * Also: the sandbox's fictional numbers, all valid per the numbering plan.
 */
import { normalizePhone } from '@textback/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BandwidthCarrier } from '../../src/carriers/bandwidth/bandwidth-carrier.js';
import { CarrierError, type WebhookUrls } from '../../src/carriers/carrier.js';
import { isSandboxNumber, SANDBOX_AREAS, sandboxNumbers } from '../../src/carriers/sandbox/sandbox-numbers.js';
import { TelnyxCarrier } from '../../src/carriers/telnyx/telnyx-carrier.js';
import { TwilioCarrier } from '../../src/carriers/twilio/twilio-carrier.js';
import { FakeCarrierApi, json, PUBLIC_URL, TWILIO_SID, TWILIO_TOKEN, type Seen } from './helpers.js';

const fake = new FakeCarrierApi();
const urls: WebhookUrls = { messages: `${PUBLIC_URL}/webhooks/x/ca_1/messages`, calls: `${PUBLIC_URL}/webhooks/x/ca_1/calls` };
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

beforeAll(async () => {
  await fake.start();
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => {
  fake.requests.length = 0;
});

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CarrierError);
    return (error as CarrierError).reason;
  }
  throw new Error('expected a CarrierError');
}

const query = (req: Seen) => Object.fromEntries(new URL(req.url, 'http://x').searchParams);
const pathOf = (req: Seen) => new URL(req.url, 'http://x').pathname;

describe('Twilio', () => {
  const twilio = () =>
    new TwilioCarrier({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN, accountId: 'ca_1', baseUrl: fake.url, publicBaseUrl: PUBLIC_URL, addressSid: 'AD0123', bundleSid: 'BU0123' });
  const account = `/2010-04-01/Accounts/${TWILIO_SID}`;

  it('searches Local numbers in US/CA and Mobile numbers in GB, with the SDK parameter names', async () => {
    fake.reply = (req, res) =>
      json(res, 200, { available_phone_numbers: [{ phone_number: '+447400123456', locality: null, region: null, iso_country: 'GB', capabilities: { voice: true, SMS: true, MMS: false } }] });
    const found = await twilio().searchAvailableNumbers({ country: 'GB', areaCode: '7400', locality: 'London', contains: '123', capabilities: ['sms', 'voice'], limit: 5 });
    expect(found).toEqual([{ phone: '+447400123456', locality: null, region: null, country: 'GB', capabilities: { sms: true, voice: true, mms: false } }]);
    const req = fake.requests[0]!;
    expect([req.method, pathOf(req), req.headers.authorization]).toEqual(['GET', `${account}/AvailablePhoneNumbers/GB/Mobile.json`, basic(TWILIO_SID, TWILIO_TOKEN)]);
    expect(query(req)).toEqual({ AreaCode: '7400', InLocality: 'London', Contains: '123', SmsEnabled: 'true', VoiceEnabled: 'true', PageSize: '5' });
    await twilio().searchAvailableNumbers({ country: 'CA', limit: 1 });
    expect(pathOf(fake.requests[1]!)).toBe(`${account}/AvailablePhoneNumbers/CA/Local.json`);
  });

  it('buys with the webhooks, Address and Bundle; releases by the sid found by PhoneNumber', async () => {
    fake.reply = (req, res) => {
      if (req.method === 'POST') return json(res, 201, { sid: 'PN1', phone_number: '+447400123456', capabilities: { voice: true, sms: true, mms: false } });
      if (req.method === 'GET') return json(res, 200, { incoming_phone_numbers: [{ sid: 'PN1', phone_number: '+447400123456' }] });
      res.writeHead(204).end();
    };
    expect(await twilio().buyNumber('+447400123456', urls)).toEqual({ e164: '+447400123456', carrierNumberId: 'PN1', capabilities: ['sms', 'voice'] });
    const buy = fake.requests[0]!;
    expect([buy.method, buy.url, buy.headers['content-type']]).toEqual(['POST', `${account}/IncomingPhoneNumbers.json`, 'application/x-www-form-urlencoded']);
    expect(Object.fromEntries(new URLSearchParams(buy.body))).toEqual({
      PhoneNumber: '+447400123456',
      SmsUrl: urls.messages,
      SmsMethod: 'POST',
      StatusCallback: urls.calls,
      StatusCallbackMethod: 'POST',
      AddressSid: 'AD0123',
      BundleSid: 'BU0123',
    });
    await twilio().releaseNumber('+447400123456');
    expect(fake.requests.slice(1).map((r) => `${r.method} ${r.url}`)).toEqual([
      `GET ${account}/IncomingPhoneNumbers.json?PhoneNumber=%2B447400123456`,
      `DELETE ${account}/IncomingPhoneNumbers/PN1.json`,
    ]);
  });

  it('maps error codes 21422, 21452, 21615, 21631, 21649, 20003 and a balance message', async () => {
    const cases: Array<[number, number, string, string]> = [
      [400, 21422, 'PhoneNumber is not available', 'number_unavailable'],
      [400, 21452, 'No phone numbers found', 'number_unavailable'],
      [400, 21615, 'Phone Number Requires a Local Address', 'regulatory_requirement'],
      [400, 21631, 'Phone Number Requires an Address', 'regulatory_requirement'],
      [400, 21649, 'Phone Number Requires a Bundle', 'regulatory_requirement'],
      [401, 20003, 'Authenticate', 'carrier_auth_failed'],
      [400, 21000, 'Insufficient balance on the account', 'insufficient_balance'],
      [400, 21000, 'Something else', 'carrier_unknown'],
    ];
    for (const [status, code, message, reason] of cases) {
      fake.reply = (_req, res) => json(res, status, { code, message, status });
      expect(await reasonOf(twilio().buyNumber('+14155550100', urls)), `${code}`).toBe(reason);
    }
  });
});

describe('Telnyx', () => {
  const telnyx = (settings: { messagingProfileId?: string; connectionId?: string } = { messagingProfileId: 'mp-1', connectionId: 'conn-1' }) =>
    new TelnyxCarrier({ apiKey: 'KEY123', accountId: 'ca_1', baseUrl: `${fake.url}/v2`, publicBaseUrl: PUBLIC_URL, ...settings });

  it('searches with filter[...] parameters (features comma-separated, as the SDK sends them)', async () => {
    fake.reply = (_req, res) =>
      json(res, 200, {
        data: [
          {
            record_type: 'available_phone_number',
            phone_number: '+14155550123',
            region_information: [
              { region_type: 'rate_center', region_name: 'SN FRNCSCO' },
              { region_type: 'state', region_name: 'CA' },
              { region_type: 'country_code', region_name: 'US' },
            ],
            features: [{ name: 'sms' }, { name: 'voice' }],
            cost_information: { monthly_cost: '1.00', upfront_cost: '1.00', currency: 'USD' },
          },
        ],
      });
    const found = await telnyx().searchAvailableNumbers({ country: 'US', areaCode: '415', locality: 'San Francisco', contains: '55', capabilities: ['sms'], limit: 10 });
    expect(found).toEqual([
      { phone: '+14155550123', locality: 'SN FRNCSCO', region: 'CA', country: 'US', capabilities: { sms: true, voice: true, mms: false }, monthlyPrice: '1.00 USD' },
    ]);
    const req = fake.requests[0]!;
    expect([req.method, pathOf(req), req.headers.authorization]).toEqual(['GET', '/v2/available_phone_numbers', 'Bearer KEY123']);
    expect(query(req)).toEqual({
      'filter[country_code]': 'US',
      'filter[national_destination_code]': '415',
      'filter[locality]': 'San Francisco',
      'filter[phone_number][contains]': '55',
      'filter[features]': 'sms',
      'filter[limit]': '10',
    });
  });

  it('orders onto the messaging profile and connection, points the profile at us, releases by the number id', async () => {
    fake.reply = (req, res) => {
      if (req.method === 'POST') return json(res, 200, { data: { id: 'order-1', status: 'pending', phone_numbers: [{ id: 'nopn-1', phone_number: '+14155550123', status: 'pending', requirements_met: true }] } });
      if (req.method === 'PATCH') return json(res, 200, { data: { id: 'mp-1' } });
      if (req.method === 'GET') return json(res, 200, { data: [{ id: 'pn-9', phone_number: '+14155550123' }] });
      json(res, 200, { data: { id: 'pn-9' } });
    };
    expect(await telnyx().buyNumber('+14155550123', urls)).toMatchObject({ e164: '+14155550123' });
    const [order, profile] = fake.requests;
    expect([order!.method, order!.url, order!.headers['content-type']]).toEqual(['POST', '/v2/number_orders', 'application/json']);
    expect(JSON.parse(order!.body)).toEqual({ phone_numbers: [{ phone_number: '+14155550123' }], messaging_profile_id: 'mp-1', connection_id: 'conn-1' });
    expect([profile!.method, profile!.url, JSON.parse(profile!.body)]).toEqual(['PATCH', '/v2/messaging_profiles/mp-1', { webhook_url: urls.messages, webhook_api_version: '2' }]);
    await telnyx().releaseNumber('+14155550123');
    expect(fake.requests.slice(2).map((r) => `${r.method} ${r.url}`)).toEqual(['GET /v2/phone_numbers?filter%5Bphone_number%5D=%2B14155550123', 'DELETE /v2/phone_numbers/pn-9']);
  });

  it('a failed order, unmet requirements, no messaging profile, bad key and balance in plain words', async () => {
    fake.reply = (_req, res) => json(res, 200, { data: { id: 'order-2', status: 'failure', phone_numbers: [{ phone_number: '+14155550123', status: 'failure' }] } });
    expect(await reasonOf(telnyx().buyNumber('+14155550123', urls))).toBe('number_unavailable');
    fake.reply = (_req, res) =>
      json(res, 200, { data: { id: 'order-3', status: 'pending', phone_numbers: [{ phone_number: '+447400123456', requirements_met: false, regulatory_requirements: [{ requirement_id: 'r1', field_type: 'address' }] }] } });
    const held = telnyx().buyNumber('+447400123456', urls);
    await expect(held).rejects.toThrow(/order-3.*regulatory requirements.*address/);
    expect(await reasonOf(telnyx().buyNumber('+447400123456', urls))).toBe('regulatory_requirement');
    fake.requests.length = 0;
    expect(await reasonOf(telnyx({}).buyNumber('+14155550123', urls))).toBe('regulatory_requirement');
    expect(fake.requests).toEqual([]);
    fake.reply = (_req, res) => json(res, 401, { errors: [{ code: '10009', title: 'Authentication failed' }] });
    expect(await reasonOf(telnyx().searchAvailableNumbers({ country: 'US', limit: 1 }))).toBe('carrier_auth_failed');
    fake.reply = (_req, res) => json(res, 402, { errors: [{ code: '20100', title: 'Insufficient funds' }] });
    expect(await reasonOf(telnyx().buyNumber('+14155550123', urls))).toBe('insufficient_balance');
  });
});

describe('Bandwidth', () => {
  const bandwidth = (siteId: string | undefined = '1234') =>
    new BandwidthCarrier({
      bandwidthAccountId: '9900000',
      applicationId: 'app-1',
      apiUser: 'bw-user',
      apiPassword: 'bw-password',
      dashboardUrl: `${fake.url}/api`,
      siteId,
      peerId: '5678',
    });
  const xml = (res: import('node:http').ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'application/xml' });
    res.end(body);
  };

  it('searches availableNumbers with TN details; GB is not sold', async () => {
    fake.reply = (_req, res) =>
      xml(
        res,
        200,
        '<?xml version="1.0"?><SearchResult><ResultCount>2</ResultCount><TelephoneNumberDetailList>' +
          '<TelephoneNumberDetail><City>RALEIGH</City><LATA>426</LATA><RateCenter>RALEIGH</RateCenter><State>NC</State><FullNumber>9192224444</FullNumber></TelephoneNumberDetail>' +
          '<TelephoneNumberDetail><City>CARY</City><State>NC</State><FullNumber>9192225555</FullNumber></TelephoneNumberDetail>' +
          '</TelephoneNumberDetailList></SearchResult>',
      );
    const found = await bandwidth().searchAvailableNumbers({ country: 'US', areaCode: '919', locality: 'Raleigh', contains: '222', limit: 5 });
    expect(found).toEqual([{ phone: '+19192224444', locality: 'Raleigh', region: 'NC', country: 'US', capabilities: { sms: true, voice: true, mms: true } }]);
    const req = fake.requests[0]!;
    expect([req.method, pathOf(req), req.headers.authorization]).toEqual(['GET', '/api/accounts/9900000/availableNumbers', basic('bw-user', 'bw-password')]);
    expect(query(req)).toEqual({ enableTNDetail: 'true', quantity: '5', areaCode: '919', localVanity: '222' });
    expect(await reasonOf(bandwidth().searchAvailableNumbers({ country: 'GB', limit: 5 }))).toBe('invalid_search');
  });

  it('orders into the site and location, reads the order back, disconnects to release', async () => {
    fake.reply = (req, res) => {
      if (req.method === 'POST' && req.url.endsWith('/orders'))
        return xml(res, 201, '<OrderResponse><Order><id>ord-1</id><SiteId>1234</SiteId></Order><OrderStatus>RECEIVED</OrderStatus></OrderResponse>');
      if (req.method === 'GET') return xml(res, 200, '<OrderResponse><Order><id>ord-1</id></Order><OrderStatus>COMPLETE</OrderStatus></OrderResponse>');
      xml(res, 201, '<DisconnectTelephoneNumberOrderResponse><orderRequest><id>dis-1</id></orderRequest><OrderStatus>RECEIVED</OrderStatus></DisconnectTelephoneNumberOrderResponse>');
    };
    expect(await bandwidth().buyNumber('+19192224444')).toEqual({ e164: '+19192224444', carrierNumberId: 'ord-1', capabilities: ['sms', 'mms', 'voice'] });
    const [order, read] = fake.requests;
    expect([order!.method, order!.url, order!.headers['content-type']]).toEqual(['POST', '/api/accounts/9900000/orders', 'application/xml; charset=utf-8']);
    expect(order!.body).toContain(
      '<Order><Name>Textback +19192224444</Name><SiteId>1234</SiteId><PeerId>5678</PeerId><ExistingTelephoneNumberOrderType><TelephoneNumberList><TelephoneNumber>9192224444</TelephoneNumber></TelephoneNumberList></ExistingTelephoneNumberOrderType></Order>',
    );
    expect(`${read!.method} ${read!.url}`).toBe('GET /api/accounts/9900000/orders/ord-1');
    await bandwidth().releaseNumber('+19192224444');
    const dis = fake.requests[2]!;
    expect(`${dis.method} ${dis.url}`).toBe('POST /api/accounts/9900000/disconnects');
    expect(dis.body).toContain(
      '<DisconnectTelephoneNumberOrder><name>Textback release +19192224444</name><DisconnectTelephoneNumberOrderType><TelephoneNumberList><TelephoneNumber>9192224444</TelephoneNumber></TelephoneNumberList></DisconnectTelephoneNumberOrderType></DisconnectTelephoneNumberOrder>',
    );
  });

  it('a failed order names Bandwidth\'s error; no site, bad credentials', async () => {
    fake.reply = (req, res) => {
      if (req.method === 'POST') return xml(res, 201, '<OrderResponse><Order><id>ord-2</id></Order><OrderStatus>RECEIVED</OrderStatus></OrderResponse>');
      xml(res, 200, '<OrderResponse><ErrorList><Error><Code>5005</Code><Description>The telephone number is unavailable for ordering</Description></Error></ErrorList><OrderStatus>FAILED</OrderStatus></OrderResponse>');
    };
    await expect(bandwidth().buyNumber('+19192224444')).rejects.toThrow(/ord-2.*5005.*unavailable for ordering/);
    expect(await reasonOf(bandwidth().buyNumber('+19192224444'))).toBe('number_unavailable');
    fake.requests.length = 0;
    expect(await reasonOf(bandwidth('').buyNumber('+19192224444'))).toBe('regulatory_requirement');
    expect(fake.requests).toEqual([]);
    fake.reply = (_req, res) => xml(res, 401, '');
    expect(await reasonOf(bandwidth().searchAvailableNumbers({ country: 'US', limit: 1 }))).toBe('carrier_auth_failed');
  });
});

describe('the sandbox', () => {
  it('sells only fictional numbers that the numbering plan accepts, in a stable order', () => {
    for (const [country, areas] of Object.entries(SANDBOX_AREAS)) {
      for (const area of areas) {
        const all = sandboxNumbers({ country: country as 'US', areaCode: area.areaCode, limit: 2000 }, () => false);
        expect(all).toHaveLength(area.count);
        for (const n of [all[0]!, all.at(-1)!]) {
          expect(normalizePhone(n.phone).country).toBe(country);
          expect(isSandboxNumber(n.phone)).toBe(true);
        }
      }
    }
    expect(sandboxNumbers({ country: 'US', limit: 2 }, () => false).map((n) => n.phone)).toEqual(['+14155550100', '+14155550101']);
    expect(sandboxNumbers({ country: 'US', limit: 2 }, (p) => p === '+14155550100').map((n) => n.phone)).toEqual(['+14155550101', '+14155550102']);
    expect(sandboxNumbers({ country: 'GB', areaCode: '113', limit: 1 }, () => false)[0]!.phone).toBe('+441134960000');
    expect(isSandboxNumber('+14155551234')).toBe(false);
    expect(isSandboxNumber('+442079461000')).toBe(false);
    expect(isSandboxNumber('+447700900123')).toBe(false);
  });
});
