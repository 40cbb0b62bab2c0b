/**
 * Buying numbers in the app, through the API on both databases: the organization's built-in sandbox
 * account (search → buy → the number texts and receives → release), validation naming the accepted
 * values, tenancy, roles; and a Twilio account against a local fake (webhooks set on the purchase,
 * the carrier's errors in plain words, PUBLIC_BASE_URL required, a failed registration released again).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/app-context.js';
import { openDatabase } from '../../src/db/database.js';
import { createApiKey, createUser } from '../../src/use-cases/organizations.js';
import { cliJson, expectProblem, requireBuiltCli, runCli } from '../api/helpers.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';
import { createCarrierTestApp, FakeCarrierApi, json, PUBLIC_URL, TWILIO_SID, TWILIO_TOKEN } from './helpers.js';

/** A phone_numbers row for +14155550155 in `orgId` (registered behind the API's back, to race a purchase). */
function racer(orgId: string) {
  return {
    org_id: orgId,
    e164: '+14155550155',
    name: 'race',
    carrier: 'sandbox',
    capabilities: '["sms"]',
    team_id: null,
    created_at: 0,
    updated_at: 0,
    sender_type: 'long_code' as const,
    rate_per_second: null,
    daily_cap: null,
    next_send_at: null,
    last_send_at: null,
    daily_count: 0,
    daily_count_day: null,
    compliance_texts: null,
    carrier_account_id: null,
    carrier_number_id: null,
  };
}

describe.each(DIALECTS)('buying numbers (%s)', (dialect) => {
  const run = it.runIf(dialectAvailable(dialect));
  let app: TestApp;
  let org: TestOrg;
  let other: TestOrg;
  let teamId: string;
  let sandboxId: string;
  const fake = new FakeCarrierApi();

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    await fake.start();
    app = await createCarrierTestApp(dialect);
    org = await createTestOrg(app, '+14155559990');
    other = await createTestOrg(app, '+14155559991');
    const team = await api(app, org, 'POST', '/v1/teams', { name: 'Sales' });
    expect(team.status, team.raw.body).toBe(201);
    teamId = team.json.id;
  });
  afterAll(async () => {
    await app?.close();
    await fake.stop().catch(() => {});
  });

  run('every organization has a sandbox account with a stable id, its own', async () => {
    const list = (await api(app, org, 'GET', '/v1/carrier-accounts')).json.data;
    const sandbox = list.find((a: { carrier: string }) => a.carrier === 'sandbox');
    expect(sandbox).toMatchObject({ object: 'carrier_account', kind: 'sandbox', carrier: 'sandbox', name: 'Sandbox' });
    sandboxId = sandbox.id;
    expect((await api(app, org, 'GET', '/v1/carrier-accounts')).json.data.filter((a: { carrier: string }) => a.carrier === 'sandbox').map((a: { id: string }) => a.id)).toEqual([sandboxId]);
    const theirs = (await api(app, other, 'GET', '/v1/carrier-accounts')).json.data.find((a: { carrier: string }) => a.carrier === 'sandbox');
    expect(theirs.id).not.toBe(sandboxId);
    // Another organization's sandbox account is not found, on every route.
    expectProblem(await api(app, other, 'GET', `/v1/carrier-accounts/${sandboxId}`), 404, 'not_found');
    expectProblem(await api(app, other, 'GET', `/v1/carrier-accounts/${sandboxId}/available-numbers?country=US`), 404, 'not_found');
    expectProblem(await api(app, other, 'POST', `/v1/carrier-accounts/${sandboxId}/numbers`, { phone: '+12125550100', team_id: teamId }), 404, 'not_found');
    expectProblem(await api(app, org, 'DELETE', `/v1/carrier-accounts/${sandboxId}`), 409, 'invalid_state', { detail: ['built-in sandbox'] });
  });

  run('search → buy → the number texts and receives → release', async () => {
    const found = await api(app, org, 'GET', `/v1/carrier-accounts/${sandboxId}/available-numbers?country=US&area_code=212&contains=55501&limit=3`);
    expect(found.status, found.raw.body).toBe(200);
    expect(found.json.data).toEqual([
      { phone: '+12125550100', locality: 'New York', region: 'NY', country: 'US', capabilities: { sms: true, voice: true, mms: true } },
      { phone: '+12125550101', locality: 'New York', region: 'NY', country: 'US', capabilities: { sms: true, voice: true, mms: true } },
      { phone: '+12125550102', locality: 'New York', region: 'NY', country: 'US', capabilities: { sms: true, voice: true, mms: true } },
    ]);
    const bought = await api(app, org, 'POST', `/v1/carrier-accounts/${sandboxId}/numbers`, { phone: '+12125550101', team_id: teamId, name: 'NY line' });
    expect(bought.status, bought.raw.body).toBe(201);
    expect(bought.json).toMatchObject({ object: 'number', phone: '+12125550101', name: 'NY line', carrier: 'sandbox', team_id: teamId, carrier_account_id: sandboxId });
    // Sold once: gone from the search, and a second purchase (by anyone) is refused.
    const again = await api(app, org, 'GET', `/v1/carrier-accounts/${sandboxId}/available-numbers?country=US&area_code=212&limit=3`);
    expect(again.json.data.map((n: { phone: string }) => n.phone)).toEqual(['+12125550100', '+12125550102', '+12125550103']);
    const theirSandbox = (await api(app, other, 'GET', '/v1/carrier-accounts')).json.data.find((a: { carrier: string }) => a.carrier === 'sandbox').id;
    const otherTeam = (await api(app, other, 'POST', '/v1/teams', { name: 'Theirs' })).json.id;
    expectProblem(await api(app, other, 'POST', `/v1/carrier-accounts/${theirSandbox}/numbers`, { phone: '+12125550101', team_id: otherTeam }), 409, 'number_unavailable', {
      detail: ['taken meanwhile'],
      fields: ['phone'],
    });
    expectProblem(await api(app, org, 'POST', `/v1/carrier-accounts/${sandboxId}/numbers`, { phone: '+12125550101', team_id: teamId }), 409, 'conflict');
    expect((await api(app, org, 'GET', `/v1/carrier-accounts/${sandboxId}`)).json.numbers).toBe(1);

    // It receives...
    const inbound = await api(app, org, 'POST', '/v1/sandbox/messages', { from: '+15554265646', to: '+12125550101', body: 'Is this the NY line?' });
    expect(inbound.status, inbound.raw.body).toBe(201);
    await app.drain();
    // ...and texts.
    const sent = await api(app, org, 'POST', '/v1/messages', { to: '+15554265646', from: '+12125550101', body: 'It is!' });
    expect(sent.status, sent.raw.body).toBe(201);
    await app.drain();
    const inbox = (await api(app, org, 'GET', '/v1/sandbox/handsets/+15554265646/messages')).json.data;
    expect(inbox.some((m: { body: string; from?: string }) => m.body === 'It is!')).toBe(true);

    // Release needs the number repeated; the number had texts, so it is kept (detached) for its history.
    expectProblem(await api(app, org, 'DELETE', `/v1/carrier-accounts/${sandboxId}/numbers/+12125550101`), 400, 'validation_failed', { detail: ['confirm=+12125550101'], fields: ['confirm'] });
    expectProblem(await api(app, org, 'DELETE', `/v1/carrier-accounts/${sandboxId}/numbers/+12125550101?confirm=%2B12125550102`), 400, 'validation_failed', { fields: ['confirm'] });
    expectProblem(await api(app, other, 'DELETE', `/v1/carrier-accounts/${sandboxId}/numbers/+12125550101?confirm=%2B12125550101`), 404, 'not_found');
    const released = await api(app, org, 'DELETE', `/v1/carrier-accounts/${sandboxId}/numbers/+12125550101?confirm=%2B12125550101`);
    expect(released.status, released.raw.body).toBe(200);
    expect(released.json).toMatchObject({ phone: '+12125550101', released: true, kept_for_history: true, team_id: null, carrier_account_id: null });
    expect((await api(app, org, 'GET', `/v1/carrier-accounts/${sandboxId}`)).json.numbers).toBe(0);

    // A number without history is deleted, and can be bought again.
    const fresh = await api(app, org, 'POST', `/v1/carrier-accounts/${sandboxId}/numbers`, { phone: '+12125550102', team_id: teamId });
    const gone = await api(app, org, 'DELETE', `/v1/carrier-accounts/${sandboxId}/numbers/${fresh.json.id}?confirm=%2B12125550102`);
    expect(gone.json).toMatchObject({ released: true, kept_for_history: false });
    expect((await api(app, org, 'GET', '/v1/numbers')).json.data.map((n: { phone: string }) => n.phone)).not.toContain('+12125550102');
    expect((await api(app, org, 'GET', `/v1/carrier-accounts/${sandboxId}/available-numbers?country=US&area_code=212&limit=3`)).json.data[1].phone).toBe('+12125550102');
  });

  run('Canada and the UK: fictional ranges that pass the numbering plan', async () => {
    const ca = (await api(app, org, 'GET', `/v1/carrier-accounts/${sandboxId}/available-numbers?country=CA&locality=vancouver&limit=1`)).json.data;
    expect(ca).toEqual([{ phone: '+16045550100', locality: 'Vancouver', region: 'BC', country: 'CA', capabilities: { sms: true, voice: true, mms: true } }]);
    const gb = (await api(app, org, 'GET', `/v1/carrier-accounts/${sandboxId}/available-numbers?country=gb&area_code=20&contains=9460042`)).json.data;
    expect(gb.map((n: { phone: string }) => n.phone)).toEqual(['+442079460042']);
    const bought = await api(app, org, 'POST', `/v1/carrier-accounts/${sandboxId}/numbers`, { phone: '+442079460042', team_id: teamId });
    expect(bought.status, bought.raw.body).toBe(201);
    expectProblem(await api(app, org, 'POST', `/v1/carrier-accounts/${sandboxId}/numbers`, { phone: '+14155551234', team_id: teamId }), 409, 'number_unavailable', {
      detail: ['not a number the sandbox sells'],
    });
  });

  run('search and purchase input: each problem names the field and what it accepts', async () => {
    const base = `/v1/carrier-accounts/${sandboxId}`;
    expectProblem(await api(app, org, 'GET', `${base}/available-numbers`), 400, 'validation_failed', { detail: ['US, CA, GB'], fields: ['country'] });
    expectProblem(await api(app, org, 'GET', `${base}/available-numbers?country=FR`), 400, 'validation_failed', { detail: ['"FR"', 'US, CA, GB'], fields: ['country'] });
    expectProblem(await api(app, org, 'GET', `${base}/available-numbers?country=CA&area_code=415`), 400, 'validation_failed', { detail: ['not an area code of CA'], fields: ['area_code'] });
    expectProblem(await api(app, org, 'GET', `${base}/available-numbers?country=US&area_code=41`), 400, 'validation_failed', { fields: ['area_code'] });
    expectProblem(await api(app, org, 'GET', `${base}/available-numbers?country=GB&area_code=020`), 400, 'validation_failed', { detail: ['without the leading 0'], fields: ['area_code'] });
    expectProblem(await api(app, org, 'GET', `${base}/available-numbers?country=US&contains=55a`), 400, 'validation_failed', { fields: ['contains'] });
    expectProblem(await api(app, org, 'GET', `${base}/available-numbers?country=US&capability=fax`), 400, 'validation_failed', { detail: ['sms, voice'], fields: ['capability'] });
    expectProblem(await api(app, org, 'GET', `${base}/available-numbers?country=US&limit=500`), 400, 'validation_failed');
    expectProblem(await api(app, org, 'POST', `${base}/numbers`, { phone: '+12125550110', team_id: 'team_nope' }), 404, 'not_found', { fields: ['team_id'] });
    expectProblem(await api(app, org, 'POST', `${base}/numbers`, { phone: '12', team_id: teamId }), 400, 'invalid_number', { fields: ['phone'] });
    expectProblem(await api(app, org, 'POST', `${base}/numbers`, { phone: '+12125550110' }), 400, 'validation_failed');
    expectProblem(await api(app, org, 'GET', '/v1/carrier-accounts/ca_nope/available-numbers?country=US'), 404, 'not_found');
  });

  run('admins and owners only', async () => {
    const agent = await transaction(app.tb.ctx, async (tx) => {
      const user = await createUser(app.tb.ctx, tx, { orgId: org.orgId, email: `numbers-agent-${dialect}@example.com`, name: 'Agent', role: 'agent' });
      return createApiKey(app.tb.ctx, tx, { orgId: org.orgId, userId: user.id, name: 'agent' });
    });
    const as = { apiKey: agent.key };
    expectProblem(await api(app, as, 'GET', `/v1/carrier-accounts/${sandboxId}/available-numbers?country=US`), 403, 'forbidden');
    expectProblem(await api(app, as, 'POST', `/v1/carrier-accounts/${sandboxId}/numbers`, { phone: '+12125550120', team_id: teamId }), 403, 'forbidden');
    expectProblem(await api(app, as, 'DELETE', `/v1/carrier-accounts/${sandboxId}/numbers/+442079460042?confirm=%2B442079460042`), 403, 'forbidden');
  });

  describe('a Twilio account', () => {
    let twilioId: string;
    const incoming: string[] = [];

    beforeAll(async () => {
      if (!dialectAvailable(dialect)) return;
      const created = await api(app, org, 'POST', '/v1/carrier-accounts', {
        kind: 'twilio',
        public_base_url: PUBLIC_URL,
        api_base_url: fake.url,
        credentials: { account_sid: TWILIO_SID, auth_token: TWILIO_TOKEN },
      });
      twilioId = created.json.id;
    });

    run('buys with its webhooks set, and releases by its sid', async () => {
      fake.requests.length = 0;
      fake.reply = (req, res) => {
        if (req.method === 'GET' && req.url.includes('/AvailablePhoneNumbers/US/Local.json')) {
          return json(res, 200, {
            available_phone_numbers: [{ phone_number: '+14155550188', locality: 'San Francisco', region: 'CA', iso_country: 'US', capabilities: { voice: true, SMS: true, MMS: true, fax: false } }],
          });
        }
        if (req.method === 'POST' && req.url.endsWith('/IncomingPhoneNumbers.json')) {
          incoming.push(req.body);
          return json(res, 201, { sid: 'PN0123456789abcdef0123456789abcdef', phone_number: '+14155550188', capabilities: { voice: true, sms: true, mms: true } });
        }
        if (req.method === 'DELETE') return res.writeHead(204).end();
        return json(res, 404, { code: 20404, message: 'not found' });
      };
      const found = await api(app, org, 'GET', `/v1/carrier-accounts/${twilioId}/available-numbers?country=US&area_code=415&contains=55&capability=sms`);
      expect(found.json.data).toEqual([{ phone: '+14155550188', locality: 'San Francisco', region: 'CA', country: 'US', capabilities: { sms: true, voice: true, mms: true } }]);
      expect(fake.requests[0]!.url).toBe(`/2010-04-01/Accounts/${TWILIO_SID}/AvailablePhoneNumbers/US/Local.json?AreaCode=415&Contains=55&SmsEnabled=true&PageSize=20`);
      const bought = await api(app, org, 'POST', `/v1/carrier-accounts/${twilioId}/numbers`, { phone: '+14155550188', team_id: teamId });
      expect(bought.status, bought.raw.body).toBe(201);
      expect(bought.json).toMatchObject({ phone: '+14155550188', carrier: 'twilio', carrier_account_id: twilioId, team_id: teamId });
      expect(Object.fromEntries(new URLSearchParams(incoming[0]!))).toEqual({
        PhoneNumber: '+14155550188',
        SmsUrl: `${PUBLIC_URL}/webhooks/twilio/${twilioId}/messages`,
        SmsMethod: 'POST',
        StatusCallback: `${PUBLIC_URL}/webhooks/twilio/${twilioId}/calls`,
        StatusCallbackMethod: 'POST',
      });
      const released = await api(app, org, 'DELETE', `/v1/carrier-accounts/${twilioId}/numbers/+14155550188?confirm=%2B14155550188`);
      expect(released.status, released.raw.body).toBe(200);
      const del = fake.requests.at(-1)!;
      expect([del.method, del.url]).toEqual(['DELETE', `/2010-04-01/Accounts/${TWILIO_SID}/IncomingPhoneNumbers/PN0123456789abcdef0123456789abcdef.json`]);
    });

    run('a number registered elsewhere while it was being bought is released again at the carrier, and nothing is lost', async () => {
      fake.requests.length = 0;
      fake.reply = (req, res) => {
        if (req.method === 'POST') {
          // Another organization registers the same number while Twilio sells it to us.
          void app.tb.ctx.db.kysely
            .insertInto('phone_numbers')
            .values({ ...racer(other.orgId), id: `num_race_${dialect}` })
            .execute()
            .then(() => json(res, 201, { sid: 'PNrace', phone_number: '+14155550155', capabilities: { sms: true, voice: true, mms: true } }));
          return;
        }
        res.writeHead(204).end();
      };
      expectProblem(await api(app, org, 'POST', `/v1/carrier-accounts/${twilioId}/numbers`, { phone: '+14155550155', team_id: teamId }), 409, 'number_unavailable', { detail: ['taken meanwhile'] });
      expect(fake.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
        `POST /2010-04-01/Accounts/${TWILIO_SID}/IncomingPhoneNumbers.json`,
        `DELETE /2010-04-01/Accounts/${TWILIO_SID}/IncomingPhoneNumbers/PNrace.json`,
      ]);
    });

    run("another organization's Twilio account is not found on the number routes", async () => {
      expectProblem(await api(app, other, 'GET', `/v1/carrier-accounts/${twilioId}/available-numbers?country=US`), 404, 'not_found');
      expectProblem(await api(app, other, 'POST', `/v1/carrier-accounts/${twilioId}/numbers`, { phone: '+14155550144', team_id: teamId }), 404, 'not_found');
      expectProblem(await api(app, other, 'DELETE', `/v1/carrier-accounts/${twilioId}/numbers/+14155550188?confirm=%2B14155550188`), 404, 'not_found');
    });

    run('the settings sent with every purchase are checked when stored', async () => {
      expectProblem(await api(app, org, 'PATCH', `/v1/carrier-accounts/${twilioId}`, { settings: { address_sid: 'AD123', bundle_sid: 'nope' } }), 400, 'validation_failed', {
        fields: ['settings.address_sid', 'settings.bundle_sid'],
      });
      const ok = await api(app, org, 'PATCH', `/v1/carrier-accounts/${twilioId}`, { settings: { address_sid: `AD${'0'.repeat(32)}`, bundle_sid: `BU${'a'.repeat(32)}` } });
      expect(ok.status, ok.raw.body).toBe(200);
      const bw = await api(app, org, 'POST', '/v1/carrier-accounts', {
        kind: 'bandwidth',
        public_base_url: PUBLIC_URL,
        credentials: { api_user: 'u', api_password: 'p' },
        settings: { account_id: '9900000', application_id: 'app', site_id: 'site one', peer_id: '12a' },
      });
      expectProblem(bw, 400, 'validation_failed', { fields: ['settings.site_id', 'settings.peer_id'] });
      await api(app, org, 'PATCH', `/v1/carrier-accounts/${twilioId}`, { settings: { address_sid: null, bundle_sid: null } });
    });

    run("Twilio's errors in plain words", async () => {
      const answer = (status: number, code: number, message: string) => {
        fake.reply = (_req, res) => json(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
      };
      const buy = () => api(app, org, 'POST', `/v1/carrier-accounts/${twilioId}/numbers`, { phone: '+14155550177', team_id: teamId });
      answer(400, 21422, 'PhoneNumber is not available');
      expectProblem(await buy(), 409, 'number_unavailable', { detail: ['21422'] });
      answer(400, 21649, 'Bundle required');
      expectProblem(await buy(), 422, 'regulatory_requirement', { detail: ['21649', 'Bundle required'] });
      answer(400, 21631, 'Phone Number Requires an Address');
      expectProblem(await buy(), 422, 'regulatory_requirement', { detail: ['Requires an Address'] });
      answer(401, 20003, 'Authenticate');
      expectProblem(await buy(), 502, 'carrier_auth_failed', { detail: ['20003', `PATCH /v1/carrier-accounts/${twilioId}`] });
      answer(400, 21999, 'Your account balance is too low to purchase this number');
      expectProblem(await buy(), 402, 'insufficient_balance');
      answer(503, 20500, 'Service unavailable');
      expectProblem(await buy(), 503, 'unavailable');
      // Nothing was registered by any failed purchase.
      expect((await api(app, org, 'GET', '/v1/numbers')).json.data.map((n: { phone: string }) => n.phone)).not.toContain('+14155550177');
    });

    run('a real carrier needs a public URL for the webhooks: a clear 409 before anything is bought', async () => {
      const noUrl = await createCarrierTestApp(dialect);
      try {
        const o = await createTestOrg(noUrl, '+14155559992');
        const t = (await api(noUrl, o, 'POST', '/v1/teams', { name: 'T' })).json.id;
        const created = await api(noUrl, o, 'POST', '/v1/carrier-accounts', { kind: 'twilio', public_base_url: PUBLIC_URL, api_base_url: fake.url, credentials: { account_sid: TWILIO_SID, auth_token: TWILIO_TOKEN } });
        // The account's URL removed, with no PUBLIC_BASE_URL: set directly (the API refuses it too).
        await noUrl.tb.ctx.db.kysely.updateTable('carrier_accounts').set({ public_base_url: null }).where('id', '=', created.json.id).execute();
        fake.requests.length = 0;
        expectProblem(await api(noUrl, o, 'POST', `/v1/carrier-accounts/${created.json.id}/numbers`, { phone: '+14155550166', team_id: t }), 409, 'invalid_state', { detail: ['PUBLIC_BASE_URL'] });
        expect(fake.requests).toEqual([]);
      } finally {
        await noUrl.close();
      }
    });
  });
});

describe('the command line', () => {
  it('textback numbers search, buy and release on the sandbox account', async () => {
    requireBuiltCli();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'textback-numbers-cli-'));
    const env = { DATABASE_URL: path.join(dir, 'textback.db'), TEXTBACK_DEMO: 'false' };
    try {
      expect((await runCli(['migrate'], env)).code).toBe(0);
      const org = cliJson(await runCli(['orgs', 'create', '--name', 'Acme', '--owner-email', 'o@example.com'], env));
      const db = openDatabase(env.DATABASE_URL);
      try {
        await db.kysely.insertInto('teams').values({ id: 'team_cli', org_id: org.org_id, name: 'Sales', settings: '{}', created_at: 0, updated_at: 0 }).execute();
      } finally {
        await db.close();
      }
      const found = await runCli(['numbers', 'search', 'sandbox', '--country', 'CA', '--area-code', '416', '--contains', '555010', '--limit', '2'], env);
      expect(found.stdout.trim().split('\n')).toEqual(['+14165550100  Toronto, ON  sms,mms,voice', '+14165550101  Toronto, ON  sms,mms,voice']);
      const bought = cliJson(await runCli(['numbers', 'buy', 'sandbox', '+14165550101', '--team', 'team_cli'], env));
      expect(bought).toMatchObject({ phone: '+14165550101', carrier: 'sandbox', team_id: 'team_cli', carrier_account_id: `ca_sandbox_${org.org_id}` });
      const bad = await runCli(['numbers', 'search', 'sandbox', '--country', 'FR'], env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('accepted: US, CA, GB');
      const unconfirmed = await runCli(['numbers', 'release', 'sandbox', '+14165550101', '--confirm', '+14165550100'], env);
      expect(unconfirmed.code).toBe(1);
      expect(unconfirmed.stderr).toContain('confirm=+14165550101');
      expect((await runCli(['numbers', 'release', 'sandbox', '+14165550101', '--confirm', '+14165550101'], env)).stdout).toContain('released +14165550101');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
