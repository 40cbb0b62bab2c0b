/**
 * Carrier accounts: credentials encrypted at rest and never returned, numbers imported from the
 * carrier's API and attached to teams, webhook URLs printed and set, sends routed through the
 * number's own account; and the CLI that does the same.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptCredentials, encryptCredentials, keyFilePath, secretKey } from '../../src/carriers/credentials.js';
import { loadConfig } from '../../src/config/config.js';
import { createUser } from '../../src/use-cases/organizations.js';
import { createApiKey } from '../../src/use-cases/organizations.js';
import { transaction } from '../../src/app-context.js';
import { expectProblem, requireBuiltCli, runCli, cliJson } from '../api/helpers.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';
import { createCarrierTestApp, FakeCarrierApi, json, PUBLIC_URL, TEST_SECRET_KEY, TWILIO_SID, TWILIO_TOKEN } from './helpers.js';

describe('credentials at rest', () => {
  const key = crypto.randomBytes(32);

  it('round-trips, binds the ciphertext to its account, and names a wrong key', () => {
    const stored = encryptCredentials(key, 'ca_1', { auth_token: 'very-secret' });
    expect(stored).not.toContain('very-secret');
    expect(stored.split('.')).toHaveLength(5);
    expect(decryptCredentials(key, 'ca_1', stored)).toEqual({ auth_token: 'very-secret' });
    expect(encryptCredentials(key, 'ca_1', { auth_token: 'very-secret' })).not.toBe(stored); // fresh IV
    expect(() => decryptCredentials(key, 'ca_2', stored)).toThrow(/could not be decrypted/);
    expect(() => decryptCredentials(crypto.randomBytes(32), 'ca_1', stored)).toThrow(/encrypted with another key/);
    const parts = stored.split('.');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => decryptCredentials(key, 'ca_1', parts.join('.'))).toThrow(/could not be decrypted/);
  });

  it('without TEXTBACK_SECRET_KEY, generates one key file (mode 0600) beside the SQLite database and keeps using it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'textback-key-'));
    try {
      const config = { ...loadConfig({}), databaseUrl: path.join(dir, 'db', 'textback.db'), secretKey: undefined };
      expect(keyFilePath(config)).toBe(path.join(dir, 'db', 'textback.key'));
      const first = secretKey(config);
      expect(first).toHaveLength(32);
      expect(fs.statSync(keyFilePath(config)).mode & 0o777).toBe(0o600);
      expect(secretKey({ ...config })).toEqual(first);
      expect(secretKey({ ...config, secretKey: TEST_SECRET_KEY })).not.toEqual(first);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a TEXTBACK_SECRET_KEY that is not 32 bytes, without echoing it', () => {
    expect(() => loadConfig({ TEXTBACK_SECRET_KEY: 'short-secret' })).toThrow(/TEXTBACK_SECRET_KEY must be 32 bytes/);
    expect(() => loadConfig({ TEXTBACK_SECRET_KEY: 'short-secret' })).not.toThrow(/short-secret/);
    expect(loadConfig({ TEXTBACK_SECRET_KEY: crypto.randomBytes(32).toString('hex') }).secretKey).toHaveLength(64);
    expect(() => loadConfig({ PUBLIC_BASE_URL: 'sms.example.com' })).toThrow(/PUBLIC_BASE_URL/);
  });
});

describe.each(DIALECTS)('carrier accounts (%s)', (dialect) => {
  const run = it.runIf(dialectAvailable(dialect));
  let app: TestApp;
  let org: TestOrg;
  let other: TestOrg;
  const fake = new FakeCarrierApi();
  const fake2 = new FakeCarrierApi();

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    await fake.start();
    await fake2.start();
    app = await createCarrierTestApp(dialect);
    org = await createTestOrg(app, '+14155559998');
    other = await createTestOrg(app, '+14155559997');
  });
  afterAll(async () => {
    await app?.close();
    await fake.stop().catch(() => {});
    await fake2.stop().catch(() => {});
  });

  const twilioAccount = (apiBase = fake.url) => ({
    kind: 'twilio',
    name: 'Main Twilio',
    public_base_url: PUBLIC_URL,
    api_base_url: apiBase,
    credentials: { account_sid: TWILIO_SID, auth_token: TWILIO_TOKEN },
  });

  run('credentials are stored encrypted and never returned', async () => {
    const created = await api(app, org, 'POST', '/v1/carrier-accounts', twilioAccount());
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      object: 'carrier_account',
      kind: 'twilio',
      credentials: { account_sid: 'set', auth_token: 'set' },
      webhooks: {
        messages: `${PUBLIC_URL}/webhooks/twilio/${created.json.id}/messages`,
        calls: `${PUBLIC_URL}/webhooks/twilio/${created.json.id}/calls`,
        status: `${PUBLIC_URL}/webhooks/twilio/${created.json.id}/status`,
      },
    });
    for (const res of [created, await api(app, org, 'GET', `/v1/carrier-accounts/${created.json.id}`), await api(app, org, 'GET', '/v1/carrier-accounts')]) {
      expect(res.raw.body).not.toContain(TWILIO_TOKEN);
      expect(res.raw.body).not.toContain(TWILIO_SID);
    }
    const row = await app.tb.ctx.db.kysely.selectFrom('carrier_accounts').selectAll().where('id', '=', created.json.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(TWILIO_TOKEN);
    expect(JSON.stringify(row)).not.toContain(TWILIO_SID);
    expect(decryptCredentials(secretKey(app.tb.ctx.config), row.id, row.credentials)).toEqual({ account_sid: TWILIO_SID, auth_token: TWILIO_TOKEN });
  });

  run('validation says what is missing or wrong, per carrier', async () => {
    expectProblem(await api(app, org, 'POST', '/v1/carrier-accounts', { kind: 'twilio', public_base_url: PUBLIC_URL, credentials: { account_sid: 'nope' } }), 400, 'validation_failed', {
      fields: ['credentials.auth_token', 'credentials.account_sid'],
    });
    expectProblem(await api(app, org, 'POST', '/v1/carrier-accounts', { kind: 'telnyx', public_base_url: PUBLIC_URL, credentials: { api_key: 'k' }, settings: { public_key: 'bm90IGEga2V5' } }), 400, 'validation_failed', {
      fields: ['settings.public_key'],
    });
    expectProblem(await api(app, org, 'POST', '/v1/carrier-accounts', { kind: 'bandwidth', public_base_url: PUBLIC_URL, credentials: { api_user: 'u', api_password: 'p', auth_token: 'x' } }), 400, 'validation_failed', {
      fields: ['credentials.auth_token', 'settings.account_id', 'settings.application_id'],
    });
    expectProblem(await api(app, org, 'POST', '/v1/carrier-accounts', { ...twilioAccount(), public_base_url: undefined }), 400, 'validation_failed', { fields: ['public_base_url'] });
    expectProblem(await api(app, org, 'POST', '/v1/carrier-accounts', { ...twilioAccount(), public_base_url: 'ftp://x' }), 400, 'validation_failed', { fields: ['public_base_url'] });
  });

  run('admins only; another organization\'s account is not found', async () => {
    const agent = await transaction(app.tb.ctx, async (tx) => {
      const user = await createUser(app.tb.ctx, tx, { orgId: org.orgId, email: `agent-${dialect}@example.com`, name: 'Agent', role: 'agent' });
      return createApiKey(app.tb.ctx, tx, { orgId: org.orgId, userId: user.id, name: 'agent' });
    });
    expectProblem(await api(app, { apiKey: agent.key }, 'GET', '/v1/carrier-accounts'), 403, 'forbidden');
    const mine = (await api(app, org, 'GET', '/v1/carrier-accounts')).json.data[0];
    expectProblem(await api(app, other, 'GET', `/v1/carrier-accounts/${mine.id}`), 404, 'not_found');
    expectProblem(await api(app, other, 'DELETE', `/v1/carrier-accounts/${mine.id}`), 404, 'not_found');
    // Only its own built-in sandbox account.
    expect((await api(app, other, 'GET', '/v1/carrier-accounts')).json.data.map((a: { id: string; kind: string }) => [a.id, a.kind])).toEqual([[`ca_sandbox_${other.orgId}`, 'sandbox']]);
  });

  run('imports the Twilio account\'s numbers (paged), attaches them to a team and sets their webhooks', async () => {
    const account = (await api(app, org, 'POST', '/v1/carrier-accounts', twilioAccount())).json;
    const team = await api(app, org, 'POST', '/v1/teams', { name: `Sales ${dialect}` });
    expect(team.status).toBe(201);
    const base = `/2010-04-01/Accounts/${TWILIO_SID}/IncomingPhoneNumbers`;
    fake.reply = (req, res) => {
      if (req.method === 'GET' && req.url === `${base}.json?PageSize=1000`) {
        json(res, 200, {
          incoming_phone_numbers: [{ sid: 'PN00000000000000000000000000000001', phone_number: '+14155550161', friendly_name: 'Front desk', capabilities: { sms: true, mms: true, voice: true } }],
          next_page_uri: `${base}.json?PageSize=1000&Page=1&PageToken=PA1`,
        });
      } else if (req.method === 'GET' && req.url.startsWith(`${base}.json?PageSize=1000&Page=1`)) {
        json(res, 200, {
          incoming_phone_numbers: [
            { sid: 'PN00000000000000000000000000000002', phone_number: '+14155550162', friendly_name: 'Sales', capabilities: { sms: true, mms: false, voice: true } },
            { sid: 'PN00000000000000000000000000000003', phone_number: other.number, friendly_name: 'Not ours', capabilities: { sms: true } },
          ],
          next_page_uri: null,
        });
      } else if (req.method === 'POST' && req.url.startsWith(`${base}/PN`)) {
        json(res, 200, { sid: req.url.slice(base.length + 1, -5) });
      } else json(res, 404, { code: 20404, message: 'not found', status: 404 });
    };
    fake.requests.length = 0;
    const res = await api(app, org, 'POST', `/v1/carrier-accounts/${account.id}/import-numbers`, { team_id: team.json.id, configure_webhooks: true });
    expect(res.status).toBe(200);
    expect(res.json.imported.map((n: { phone: string }) => n.phone)).toEqual(['+14155550161', '+14155550162']);
    expect(res.json.imported[0]).toMatchObject({ carrier: 'twilio', carrier_account_id: account.id, team_id: team.json.id, name: 'Front desk', created: true });
    expect(res.json.imported[1].capabilities).toEqual(['sms', 'voice']);
    expect(res.json.skipped).toEqual([{ phone: other.number, reason: 'registered to another organization' }]);
    const updates = fake.requests.filter((r) => r.method === 'POST');
    expect(updates).toHaveLength(2);
    const form = new URLSearchParams(updates[0]!.body);
    expect(Object.fromEntries(form)).toEqual({ SmsUrl: account.webhooks.messages, SmsMethod: 'POST', StatusCallback: account.webhooks.calls, StatusCallbackMethod: 'POST' });
    expect(res.json.webhook_setup.configured).toHaveLength(4);
    expect((await api(app, org, 'GET', `/v1/carrier-accounts/${account.id}`)).json.numbers).toBe(2);
    // The number in the other organization is untouched.
    const theirs = await app.tb.ctx.db.kysely.selectFrom('phone_numbers').selectAll().where('e164', '=', other.number).executeTakeFirstOrThrow();
    expect(theirs).toMatchObject({ org_id: other.orgId, carrier: 'sandbox', carrier_account_id: null });
  });

  run('imports Telnyx numbers and sets the messaging profile\'s webhook; Bandwidth numbers from the Dashboard API', async () => {
    const pub = crypto.generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
    const telnyx = (await api(app, org, 'POST', '/v1/carrier-accounts', { kind: 'telnyx', public_base_url: PUBLIC_URL, api_base_url: fake2.url, credentials: { api_key: 'KEYX' }, settings: { public_key: pub } })).json;
    const bandwidth = await api(app, org, 'POST', '/v1/carrier-accounts', {
      kind: 'bandwidth',
      public_base_url: PUBLIC_URL,
      api_base_url: fake2.url,
      credentials: { api_user: 'u', api_password: 'p' },
      settings: { account_id: '9900000', application_id: 'app-1', dashboard_url: fake2.url },
    });
    expect(bandwidth.json.callback_credentials).toMatchObject({ username: expect.stringMatching(/^textback-/), password: expect.any(String) });
    expect((await api(app, org, 'GET', `/v1/carrier-accounts/${bandwidth.json.id}`)).raw.body).not.toContain(bandwidth.json.callback_credentials.password);
    fake2.reply = (req, res) => {
      if (req.method === 'GET' && req.url.startsWith('/phone_numbers?')) {
        json(res, 200, { data: [{ id: '1293384261075731499', phone_number: '+14155550171', messaging_profile_id: 'mp-1' }], meta: { total_pages: 1 } });
      } else if (req.method === 'PATCH' && req.url === '/messaging_profiles/mp-1') {
        json(res, 200, { data: { id: 'mp-1' } });
      } else if (req.method === 'GET' && req.url.startsWith('/accounts/9900000/inserviceNumbers')) {
        res.writeHead(200, { 'content-type': 'application/xml' });
        res.end('<TNs><TotalCount>2</TotalCount><TelephoneNumbers><Count>2</Count><TelephoneNumber>4155550181</TelephoneNumber><TelephoneNumber>4155550182</TelephoneNumber></TelephoneNumbers></TNs>');
      } else json(res, 404, {});
    };
    const t = await api(app, org, 'POST', `/v1/carrier-accounts/${telnyx.id}/import-numbers`, { configure_webhooks: true });
    expect(t.json.imported.map((n: { phone: string }) => n.phone)).toEqual(['+14155550171']);
    expect(t.json.webhook_setup.configured).toEqual([{ target: 'messaging profile mp-1', field: 'webhook_url', url: telnyx.webhooks.messages }]);
    const patch = fake2.requests.find((r) => r.method === 'PATCH')!;
    expect(patch.headers.authorization).toBe('Bearer KEYX');
    expect(JSON.parse(patch.body)).toEqual({ webhook_url: telnyx.webhooks.messages, webhook_api_version: '2' });
    const b = await api(app, org, 'POST', `/v1/carrier-accounts/${bandwidth.json.id}/import-numbers`, { configure_webhooks: true });
    expect(b.json.imported.map((n: { phone: string }) => n.phone)).toEqual(['+14155550181', '+14155550182']);
    expect(b.json.webhook_setup.manual.map((m: { url: string }) => m.url)).toEqual([bandwidth.json.webhooks.messages, bandwidth.json.webhooks.calls]);
    const steps = (await api(app, org, 'GET', `/v1/carrier-accounts/${bandwidth.json.id}/webhooks`)).json.steps.join('\n');
    expect(steps).toContain(bandwidth.json.webhooks.messages);
    expect(steps).toContain(bandwidth.json.callback_credentials.username);
    expect(steps).not.toContain(bandwidth.json.callback_credentials.password);
  });

  run('each send goes out through its number\'s own account; sandbox numbers stay on the sandbox', async () => {
    const second = (await api(app, org, 'POST', '/v1/carrier-accounts', twilioAccount(fake2.url))).json;
    expect((await api(app, org, 'POST', `/v1/carrier-accounts/${second.id}/import-numbers`, { numbers: ['+14155550191'] })).status).toBe(200);
    let n = 0;
    const twilioReply = (tag: string) => (req: { method: string; url: string }, res: import('node:http').ServerResponse) => {
      if (req.method === 'POST' && req.url.endsWith('/Messages.json')) json(res, 201, { sid: `SM${tag}${String(++n).padStart(30, '0')}` });
      else json(res, 404, { code: 20404 });
    };
    fake.reply = twilioReply('aa');
    fake2.reply = twilioReply('bb');
    fake.requests.length = 0;
    fake2.requests.length = 0;
    const viaFirst = await api(app, org, 'POST', '/v1/messages', { from: '+14155550161', to: '+14155550123', body: 'first account' });
    const viaSecond = await api(app, org, 'POST', '/v1/messages', { from: '+14155550191', to: '+14155550123', body: 'second account' });
    const viaSandbox = await api(app, org, 'POST', '/v1/messages', { from: org.number, to: '+14155550123', body: 'sandbox' });
    await app.drain();
    expect((await api(app, org, 'GET', `/v1/messages/${viaFirst.json.id}`)).json.carrier_message_id).toMatch(/^SMaa/);
    expect((await api(app, org, 'GET', `/v1/messages/${viaSecond.json.id}`)).json.carrier_message_id).toMatch(/^SMbb/);
    expect((await api(app, org, 'GET', `/v1/messages/${viaSandbox.json.id}`)).json).toMatchObject({ carrier: 'sandbox', status: 'sent' });
    expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(fake2.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(new URLSearchParams(fake2.requests[0]!.body).get('StatusCallback')).toContain(`/webhooks/twilio/${second.id}/status?m=${viaSecond.json.id}`);
  });

  run('an account with numbers is only deleted with release_numbers, which moves them to the sandbox', async () => {
    const account = (await api(app, org, 'POST', '/v1/carrier-accounts', { kind: 'sandbox', name: 'Staging' })).json;
    expect((await api(app, org, 'POST', `/v1/carrier-accounts/${account.id}/import-numbers`, { numbers: ['+14155550199'] })).json.imported).toHaveLength(1);
    expectProblem(await api(app, org, 'DELETE', `/v1/carrier-accounts/${account.id}`), 409, 'invalid_state', { detail: ['release_numbers=true'] });
    expect((await api(app, org, 'DELETE', `/v1/carrier-accounts/${account.id}?release_numbers=true`)).status).toBe(204);
    expectProblem(await api(app, org, 'GET', `/v1/carrier-accounts/${account.id}`), 404, 'not_found');
    const number = await app.tb.ctx.db.kysely.selectFrom('phone_numbers').selectAll().where('e164', '=', '+14155550199').executeTakeFirstOrThrow();
    expect(number).toMatchObject({ carrier: 'sandbox', carrier_account_id: null });
    // Webhooks of a deleted account are unknown.
    expect((await app.http.inject({ method: 'POST', url: `/webhooks/twilio/${account.id}/messages`, payload: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).statusCode).toBe(404);
  });
});

describe('the textback carriers command', () => {
  it('adds, lists, prints webhooks, imports and removes an account; secrets never printed back', async () => {
    requireBuiltCli();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'textback-carriers-cli-'));
    const env = { DATABASE_URL: path.join(dir, 'textback.db'), TEXTBACK_DEMO: 'false', PUBLIC_BASE_URL: 'https://sms.example.com' };
    try {
      expect((await runCli(['migrate'], env)).code).toBe(0);
      expect((await runCli(['orgs', 'create', '--name', 'Acme', '--owner-email', 'o@example.com'], env)).code).toBe(0);
      const added = cliJson(await runCli(['carriers', 'add', 'twilio', '--name', 'Main'], { ...env, TWILIO_ACCOUNT_SID: TWILIO_SID, TWILIO_AUTH_TOKEN: TWILIO_TOKEN }));
      expect(added).toMatchObject({ kind: 'twilio', name: 'Main', webhooks: { messages: expect.stringMatching(/^https:\/\/sms\.example\.com\/webhooks\/twilio\/ca_/) } });
      expect(fs.statSync(path.join(dir, 'textback.key')).mode & 0o777).toBe(0o600);
      const list = await runCli(['carriers', 'list'], env);
      expect(list.stdout).toContain(added.id);
      const imported = await runCli(['carriers', 'import', added.id, '--number', '+14155550142'], env);
      expect(imported.stdout).toContain('imported +14155550142');
      const hooks = await runCli(['carriers', 'webhooks', added.id], env);
      expect(hooks.stdout).toContain(`https://sms.example.com/webhooks/twilio/${added.id}/messages`);
      expect(hooks.stdout).toContain('A message comes in');
      const refused = await runCli(['carriers', 'remove', added.id], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('release_numbers');
      expect((await runCli(['carriers', 'remove', added.id, '--release-numbers'], env)).stdout).toContain('moved to the sandbox');
      for (const out of [added, list.stdout, imported.stdout, hooks.stdout].map((o) => JSON.stringify(o))) {
        expect(out).not.toContain(TWILIO_TOKEN);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
