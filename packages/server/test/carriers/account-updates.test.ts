/**
 * Changing a carrier account (PATCH /v1/carrier-accounts/:id, `textback carriers update`), on both
 * databases: name and URLs, settings merged and validated like creation, credential rotation
 * (re-encrypted, never returned, never logged), seen at once by sends and webhooks of this process.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/app-context.js';
import { decryptCredentials, encryptCredentials, secretKey } from '../../src/carriers/credentials.js';
import { createApiKey, createUser } from '../../src/use-cases/organizations.js';
import { cliJson, expectProblem, requireBuiltCli, runCli } from '../api/helpers.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, capturingLogger, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';
import { createCarrierTestApp, FakeCarrierApi, json, post, PUBLIC_URL, telnyxKeyPair, TELNYX_SEED, twilioForm, TWILIO_SID, TWILIO_TOKEN } from './helpers.js';

const NEW_TOKEN = 'rotated_auth_token_fedcba9876543210';
const BW_NEW_PASSWORD = 'bw-rotated-password-7f3a';
const BW_NEW_CALLBACK = 'cb-rotated-password-91c2';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe.each(DIALECTS)('changing a carrier account (%s)', (dialect) => {
  const run = it.runIf(dialectAvailable(dialect));
  let app: TestApp;
  let org: TestOrg;
  let other: TestOrg;
  let agentKey: string;
  const fake = new FakeCarrierApi();
  const { logger: capturing, lines: logLines } = capturingLogger('trace');

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    await fake.start();
    // Everything logged, at every level (credentials must never be there).
    app = await createCarrierTestApp(dialect, { logger: capturing });
    org = await createTestOrg(app, '+14155559981');
    other = await createTestOrg(app, '+14155559982');
    agentKey = (
      await transaction(app.tb.ctx, async (tx) => {
        const user = await createUser(app.tb.ctx, tx, { orgId: org.orgId, email: `agent-update-${dialect}@example.com`, name: 'Agent', role: 'agent' });
        return createApiKey(app.tb.ctx, tx, { orgId: org.orgId, userId: user.id, name: 'agent' });
      })
    ).key;
  });
  afterAll(async () => {
    await app?.close();
    await fake.stop().catch(() => {});
  });

  const twilio = async (name = 'Twilio') => {
    const res = await api(app, org, 'POST', '/v1/carrier-accounts', {
      kind: 'twilio',
      name,
      public_base_url: PUBLIC_URL,
      api_base_url: fake.url,
      credentials: { account_sid: TWILIO_SID, auth_token: TWILIO_TOKEN },
    });
    expect(res.status).toBe(201);
    return res.json;
  };
  const bandwidth = async (settings: Record<string, string> = {}) => {
    const res = await api(app, org, 'POST', '/v1/carrier-accounts', {
      kind: 'bandwidth',
      public_base_url: PUBLIC_URL,
      api_base_url: fake.url,
      credentials: { api_user: 'bw-user', api_password: 'bw-password' },
      settings: { account_id: '9900000', application_id: 'app-1', ...settings },
    });
    expect(res.status).toBe(201);
    return res.json;
  };
  const storedCredentials = async (id: string) => {
    const row = await app.tb.ctx.db.kysely.selectFrom('carrier_accounts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return { row, plain: decryptCredentials(secretKey(app.tb.ctx.config), id, row.credentials) };
  };

  run('changes the name and the public URL: the webhook URLs follow, and null goes back to PUBLIC_BASE_URL only when there is one', async () => {
    const account = await twilio();
    const res = await api(app, org, 'PATCH', `/v1/carrier-accounts/${account.id}`, { name: '  Main line  ', public_base_url: 'https://sms2.example.com/tb/' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      id: account.id,
      kind: 'twilio',
      name: 'Main line',
      public_base_url: 'https://sms2.example.com/tb',
      credentials: { account_sid: 'set', auth_token: 'set' },
      webhooks: { messages: `https://sms2.example.com/tb/webhooks/twilio/${account.id}/messages`, calls: `https://sms2.example.com/tb/webhooks/twilio/${account.id}/calls` },
    });
    expect((await api(app, org, 'GET', `/v1/carrier-accounts/${account.id}`)).json).toMatchObject({ name: 'Main line', public_base_url: 'https://sms2.example.com/tb' });
    // This server has no PUBLIC_BASE_URL: a real carrier's account cannot lose its own.
    expectProblem(await api(app, org, 'PATCH', `/v1/carrier-accounts/${account.id}`, { public_base_url: null }), 400, 'validation_failed', { fields: ['public_base_url'], detail: ['PUBLIC_BASE_URL'] });
    expectProblem(await api(app, org, 'PATCH', `/v1/carrier-accounts/${account.id}`, { public_base_url: 'ftp://x' }), 400, 'validation_failed', { fields: ['public_base_url'] });
    expectProblem(await api(app, org, 'PATCH', `/v1/carrier-accounts/${account.id}`, { api_base_url: 'not a url' }), 400, 'validation_failed', { fields: ['api_base_url'] });
    expectProblem(await api(app, org, 'PATCH', `/v1/carrier-accounts/${account.id}`, { name: '   ' }), 400, 'validation_failed', { fields: ['name'] });
    // A refused change changes nothing.
    expect((await api(app, org, 'GET', `/v1/carrier-accounts/${account.id}`)).json).toMatchObject({ name: 'Main line', public_base_url: 'https://sms2.example.com/tb', api_base_url: fake.url });
    const sandbox = (await api(app, org, 'POST', '/v1/carrier-accounts', { kind: 'sandbox', name: 'Staging', public_base_url: 'https://staging.example.com' })).json;
    expect((await api(app, org, 'PATCH', `/v1/carrier-accounts/${sandbox.id}`, { public_base_url: null, name: 'Staging 2' })).json).toMatchObject({ name: 'Staging 2', public_base_url: null });
  });

  run('settings are merged by name, validated like creation, and an optional one is removed with null', async () => {
    const keys = telnyxKeyPair(TELNYX_SEED);
    const telnyx = (
      await api(app, org, 'POST', '/v1/carrier-accounts', {
        kind: 'telnyx',
        public_base_url: PUBLIC_URL,
        credentials: { api_key: 'KEY-TELNYX-1' },
        settings: { public_key: keys.publicKeyBase64, connection_id: 'conn-1' },
      })
    ).json;
    const url = `/v1/carrier-accounts/${telnyx.id}`;
    const changed = await api(app, org, 'PATCH', url, { settings: { connection_id: 'conn-2', messaging_profile_id: 'mp-2' } });
    expect(changed.status).toBe(200);
    expect(changed.json.settings).toEqual({ public_key: keys.publicKeyBase64, connection_id: 'conn-2', messaging_profile_id: 'mp-2' });
    expect((await api(app, org, 'PATCH', url, { settings: { connection_id: null } })).json.settings).toEqual({ public_key: keys.publicKeyBase64, messaging_profile_id: 'mp-2' });
    expectProblem(await api(app, org, 'PATCH', url, { settings: { public_key: 'bm90IGEga2V5' } }), 400, 'validation_failed', { fields: ['settings.public_key'] });
    expectProblem(await api(app, org, 'PATCH', url, { settings: { public_key: null } }), 400, 'validation_failed', { fields: ['settings.public_key'] });

    const bw = await bandwidth({ voice_application_id: 'voice-1' });
    const bwUrl = `/v1/carrier-accounts/${bw.id}`;
    const moved = await api(app, org, 'PATCH', bwUrl, { settings: { application_id: 'app-2', voice_application_id: 'voice-2', account_id: '9900001', dashboard_url: 'https://dashboard.example.com/api' } });
    expect(moved.status).toBe(200);
    expect(moved.json.settings).toMatchObject({ account_id: '9900001', application_id: 'app-2', voice_application_id: 'voice-2', dashboard_url: 'https://dashboard.example.com/api', callback_username: bw.settings.callback_username });
    expectProblem(await api(app, org, 'PATCH', bwUrl, { settings: { application_id: null, callback_username: '' } }), 400, 'validation_failed', {
      fields: ['settings.callback_username', 'settings.application_id'],
    });
    expectProblem(await api(app, org, 'PATCH', bwUrl, { settings: { dashboard_url: 'ftp://dashboard' } }), 400, 'validation_failed', { fields: ['settings.dashboard_url'] });
    expect((await api(app, org, 'GET', bwUrl)).json.settings.application_id).toBe('app-2');
  });

  run('unknown fields, other carriers\' fields and emptied secrets are refused, each named', async () => {
    const account = await twilio();
    const url = `/v1/carrier-accounts/${account.id}`;
    expectProblem(await api(app, org, 'PATCH', url, { kind: 'telnyx' }), 400, 'validation_failed', { fields: ['body.kind'] });
    expectProblem(await api(app, org, 'PATCH', url, { name: 'x', webhook_secret: 'y' }), 400, 'validation_failed', { fields: ['body.webhook_secret'] });
    expectProblem(await api(app, org, 'PATCH', url, { credentials: { api_key: 'KEY' } }), 400, 'validation_failed', { fields: ['credentials.api_key'], detail: ['account_sid, auth_token'] });
    expectProblem(await api(app, org, 'PATCH', url, { settings: { connection_id: 'c' } }), 400, 'validation_failed', { fields: ['settings.connection_id'] });
    expectProblem(await api(app, org, 'PATCH', url, { credentials: { auth_token: '' } }), 400, 'validation_failed', { fields: ['credentials.auth_token'] });
    expectProblem(await api(app, org, 'PATCH', url, { credentials: { account_sid: 'nope' } }), 400, 'validation_failed', { fields: ['credentials.account_sid'] });
    expectProblem(await api(app, org, 'PATCH', url, {}), 400, 'validation_failed', { fields: ['body'] });
    expect((await storedCredentials(account.id)).plain).toEqual({ account_sid: TWILIO_SID, auth_token: TWILIO_TOKEN });
  });

  run('another organization\'s account answers 404 and an agent\'s key 403; neither changes anything', async () => {
    const account = await twilio('Unchanged');
    const url = `/v1/carrier-accounts/${account.id}`;
    expectProblem(await api(app, other, 'PATCH', url, { name: 'Taken', credentials: { auth_token: NEW_TOKEN } }), 404, 'not_found');
    expectProblem(await api(app, other, 'PATCH', '/v1/carrier-accounts/ca_does_not_exist', { name: 'x' }), 404, 'not_found');
    expectProblem(await api(app, { apiKey: agentKey }, 'PATCH', url, { name: 'Taken' }), 403, 'forbidden');
    expect((await api(app, org, 'GET', url)).json.name).toBe('Unchanged');
    expect((await storedCredentials(account.id)).plain.auth_token).toBe(TWILIO_TOKEN);
  });

  run('a rotated Twilio token is re-encrypted, never returned, and used at once by the next send and by webhook signatures', async () => {
    const account = await twilio('Rotating');
    const number = '+14155550231';
    expect((await api(app, org, 'POST', `/v1/carrier-accounts/${account.id}/import-numbers`, { numbers: [number] })).status).toBe(200);
    let n = 0;
    fake.reply = (req, res) => {
      if (req.method === 'POST' && req.url.endsWith('/Messages.json')) json(res, 201, { sid: `SMrot${String(++n).padStart(29, '0')}` });
      else json(res, 404, { code: 20404 });
    };
    fake.requests.length = 0;
    const sendAndAuth = async (body: string) => {
      const sent = await api(app, org, 'POST', '/v1/messages', { from: number, to: '+14155550123', body });
      expect(sent.status).toBe(201);
      // The number's pacing spaces its texts: let the clock reach this one's turn.
      await app.advance(10_000);
      expect((await api(app, org, 'GET', `/v1/messages/${sent.json.id}`)).json.status).toBe('sent');
      return fake.requests.at(-1)!.headers.authorization;
    };
    expect(await sendAndAuth('before rotation')).toBe(basic(TWILIO_SID, TWILIO_TOKEN));
    const before = (await storedCredentials(account.id)).row.credentials;

    const res = await api(app, org, 'PATCH', `/v1/carrier-accounts/${account.id}`, { credentials: { auth_token: NEW_TOKEN } });
    expect(res.status).toBe(200);
    expect(res.json.credentials).toEqual({ account_sid: 'set', auth_token: 'set' });
    expect(res.json).not.toHaveProperty('callback_credentials');
    expect(res.raw.body).not.toContain(NEW_TOKEN);
    expect(res.raw.body).not.toContain(TWILIO_SID);
    const { row, plain } = await storedCredentials(account.id);
    expect(plain).toEqual({ account_sid: TWILIO_SID, auth_token: NEW_TOKEN });
    expect(row.credentials).not.toBe(before);
    expect(row.credentials).not.toContain(NEW_TOKEN);
    expect(row.credentials.split('.')).toHaveLength(5);

    // This process's cached adapter was dropped: the very next send authenticates with the new token.
    expect(await sendAndAuth('after rotation')).toBe(basic(TWILIO_SID, NEW_TOKEN));
    // Webhooks: Twilio signs with the new token from now on; the old one is refused.
    const path = `/webhooks/twilio/${account.id}/messages`;
    const params = { MessageSid: 'SM11112222333344445555666677778888', AccountSid: TWILIO_SID, From: '+14155550124', To: number, Body: 'hello' };
    const stale = twilioForm(path, params, TWILIO_TOKEN);
    expect((await post(app, path, stale.payload, stale.headers)).statusCode).toBe(403);
    const fresh = twilioForm(path, params, NEW_TOKEN);
    expect((await post(app, path, fresh.payload, fresh.headers)).statusCode).toBe(200);

    const log = logLines.join('');
    expect(log).toContain('carrier account updated');
    const line = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'carrier account updated' && l.carrierAccountId === account.id);
    expect(line).toMatchObject({ orgId: org.orgId, changed: ['credentials.auth_token'] });
    expect(log).not.toContain(NEW_TOKEN);
    expect(log).not.toContain(TWILIO_TOKEN);
  });

  run('Bandwidth: a new API password and application are used by the next send; a new callback password is checked at once', async () => {
    const account = await bandwidth();
    const callback = account.callback_credentials as { username: string; password: string };
    const number = '+14155550232';
    expect((await api(app, org, 'POST', `/v1/carrier-accounts/${account.id}/import-numbers`, { numbers: [number] })).status).toBe(200);
    let n = 0;
    fake.reply = (req, res) => {
      if (req.method === 'POST' && req.url === '/users/9900000/messages') json(res, 202, { id: `bw-upd-${++n}`, owner: number, direction: 'out' });
      else json(res, 404, {});
    };
    fake.requests.length = 0;
    const send = async (body: string) => {
      const sent = await api(app, org, 'POST', '/v1/messages', { from: number, to: '+14155550125', body });
      await app.advance(10_000);
      expect((await api(app, org, 'GET', `/v1/messages/${sent.json.id}`)).json.status).toBe('sent');
      const req = fake.requests.at(-1)!;
      return { authorization: req.headers.authorization, applicationId: (JSON.parse(req.body) as { applicationId: string }).applicationId };
    };
    expect(await send('first')).toEqual({ authorization: basic('bw-user', 'bw-password'), applicationId: 'app-1' });

    const res = await api(app, org, 'PATCH', `/v1/carrier-accounts/${account.id}`, {
      credentials: { api_password: BW_NEW_PASSWORD, callback_password: BW_NEW_CALLBACK },
      settings: { application_id: 'app-2' },
    });
    expect(res.status).toBe(200);
    expect(res.json.credentials).toEqual({ api_user: 'set', api_password: 'set', callback_password: 'set' });
    expect(res.json).not.toHaveProperty('callback_credentials');
    for (const secret of [BW_NEW_PASSWORD, BW_NEW_CALLBACK, 'bw-password', callback.password]) expect(res.raw.body).not.toContain(secret);
    expect((await storedCredentials(account.id)).plain).toEqual({ api_user: 'bw-user', api_password: BW_NEW_PASSWORD, callback_password: BW_NEW_CALLBACK });
    expect(await send('second')).toEqual({ authorization: basic('bw-user', BW_NEW_PASSWORD), applicationId: 'app-2' });

    // Callbacks: the old callback password is refused at once, the new one accepted.
    const url = `/webhooks/bandwidth/${account.id}/messages`;
    const event = JSON.stringify([
      {
        type: 'message-received',
        time: '2024-01-01T00:00:00Z',
        description: 'Incoming message received',
        to: number,
        message: { id: 'bw-rotation-in-1', owner: number, applicationId: 'app-2', time: '2024-01-01T00:00:00Z', direction: 'in', to: [number], from: '+14155550126', text: 'hi' },
      },
    ]);
    expect((await post(app, url, event, { 'content-type': 'application/json', authorization: basic(callback.username, callback.password) })).statusCode).toBe(403);
    expect((await post(app, url, event, { 'content-type': 'application/json', authorization: basic(callback.username, BW_NEW_CALLBACK) })).statusCode).toBe(204);

    const log = logLines.join('');
    for (const secret of [BW_NEW_PASSWORD, BW_NEW_CALLBACK, 'bw-password', callback.password]) expect(log).not.toContain(secret);
  });

  run('credentials encrypted with a lost key: only a complete new set replaces them (and Bandwidth gets new callback credentials, shown once)', async () => {
    const account = await twilio('Lost key');
    await app.tb.ctx.db.kysely
      .updateTable('carrier_accounts')
      .set({ credentials: encryptCredentials(crypto.randomBytes(32), account.id, { account_sid: TWILIO_SID, auth_token: TWILIO_TOKEN }) })
      .where('id', '=', account.id)
      .execute();
    const url = `/v1/carrier-accounts/${account.id}`;
    expectProblem(await api(app, org, 'PATCH', url, { credentials: { auth_token: NEW_TOKEN } }), 400, 'validation_failed', { fields: ['credentials.account_sid'], detail: ['cannot be decrypted'] });
    expect((await api(app, org, 'PATCH', url, { credentials: { account_sid: TWILIO_SID, auth_token: NEW_TOKEN } })).status).toBe(200);
    expect((await storedCredentials(account.id)).plain).toEqual({ account_sid: TWILIO_SID, auth_token: NEW_TOKEN });

    const bw = await bandwidth();
    await app.tb.ctx.db.kysely
      .updateTable('carrier_accounts')
      .set({ credentials: encryptCredentials(crypto.randomBytes(32), bw.id, { api_user: 'x', api_password: 'y', callback_password: 'z' }) })
      .where('id', '=', bw.id)
      .execute();
    const res = await api(app, org, 'PATCH', `/v1/carrier-accounts/${bw.id}`, { credentials: { api_user: 'bw-user-2', api_password: BW_NEW_PASSWORD } });
    expect(res.status).toBe(200);
    expect(res.json.callback_credentials).toEqual({ username: bw.settings.callback_username, password: expect.any(String) });
    expect((await storedCredentials(bw.id)).plain).toEqual({ api_user: 'bw-user-2', api_password: BW_NEW_PASSWORD, callback_password: res.json.callback_credentials.password });
  });
});

describe('textback carriers update', () => {
  it('renames, rotates secrets (from options or the environment) and changes settings; secrets never printed; bad fields named', async () => {
    requireBuiltCli();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'textback-carriers-update-'));
    const env = { DATABASE_URL: path.join(dir, 'textback.db'), TEXTBACK_DEMO: 'false', PUBLIC_BASE_URL: 'https://sms.example.com' };
    try {
      expect((await runCli(['migrate'], env)).code).toBe(0);
      expect((await runCli(['orgs', 'create', '--name', 'Acme', '--owner-email', 'o@example.com'], env)).code).toBe(0);
      const added = cliJson(await runCli(['carriers', 'add', 'twilio', '--name', 'Main'], { ...env, TWILIO_ACCOUNT_SID: TWILIO_SID, TWILIO_AUTH_TOKEN: TWILIO_TOKEN }));
      const renamed = await runCli(['carriers', 'update', added.id, '--name', 'Renamed', '--auth-token', NEW_TOKEN], env);
      expect(cliJson(renamed)).toMatchObject({ id: added.id, name: 'Renamed', credentials: { account_sid: 'set', auth_token: 'set' } });
      const fromEnv = await runCli(['carriers', 'update', added.id, '--secrets-from-env'], { ...env, TWILIO_ACCOUNT_SID: TWILIO_SID, TWILIO_AUTH_TOKEN: 'env_rotated_token_0123456789' });
      expect(cliJson(fromEnv)).toMatchObject({ id: added.id, credentials: { auth_token: 'set' } });
      const refused = await runCli(['carriers', 'update', added.id, '--setting', 'connection_id=c-1'], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('settings.connection_id');
      const bw = cliJson(
        await runCli(['carriers', 'add', 'bandwidth', '--bandwidth-account', '9900000', '--application', 'app-1'], { ...env, BANDWIDTH_API_USER: 'u', BANDWIDTH_API_PASSWORD: 'p' }),
      );
      const moved = await runCli(['carriers', 'update', bw.id, '--voice-application', 'voice-9', '--setting', 'dashboard_url=https://dash.example.com/api', '--callback-password', 'cli-callback-secret'], env);
      expect(cliJson(moved).settings).toMatchObject({ application_id: 'app-1', voice_application_id: 'voice-9', dashboard_url: 'https://dash.example.com/api' });
      expect(moved.stderr).toContain(`textback carriers webhooks ${bw.id} --apply`);
      const unset = cliJson(await runCli(['carriers', 'update', bw.id, '--unset', 'voice_application_id'], env));
      expect(unset.settings).not.toHaveProperty('voice_application_id');
      for (const out of [renamed, fromEnv, refused, moved].flatMap((r) => [r.stdout, r.stderr])) {
        expect(out).not.toContain(NEW_TOKEN);
        expect(out).not.toContain('env_rotated_token_0123456789');
        expect(out).not.toContain('cli-callback-secret');
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
