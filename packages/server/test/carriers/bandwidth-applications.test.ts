/**
 * Bandwidth's callbacks set through the Dashboard API's applications (bandwidth-carrier.ts
 * `configureWebhooks`). This API is not in the reference OpenAPI document: a loopback fake asserts
 * what Bandwidth's documentation says (https://dev.bandwidth.com/docs/account/applications): the
 * path `/accounts/{accountId}/applications/{applicationId}` of the Dashboard API, HTTP Basic with the
 * API user, `GET` (the application and its ServiceType) then `PATCH` ("Partially Update an
 * Application") with `Content-Type: application/xml` and an `<Application>` holding exactly
 * InboundCallbackUrl, OutboundCallbackUrl, InboundCallbackCreds and OutboundCallbackCreds
 * (UserId, Password), RequestedCallbackTypes (CallbackType) on the messaging application;
 * CallStatusCallbackUrl, CallStatusMethod and CallbackCreds on the voice application.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BandwidthCarrier } from '../../src/carriers/bandwidth/bandwidth-carrier.js';
import type { WebhookUrls } from '../../src/carriers/carrier.js';
import { DIALECTS, dialectAvailable } from '../support/databases.js';
import { api, capturingLogger, createTestOrg, type TestApp, type TestOrg } from '../support/test-app.js';
import { createCarrierTestApp, FakeCarrierApi, post, PUBLIC_URL, type Seen } from './helpers.js';

const ACCOUNT = '9900000';
const MESSAGING_APP = 'd4d1b41d-4c05-47d0-838a-34e4f14e4e3e';
const VOICE_APP = 'd775585a-ed5b-4a49-8b96-f68c0a993ebe';
/** Characters XML must escape, in the callback password. */
const CALLBACK_PASSWORD = `cb&<pass>"'-9f2`;
const API_AUTH = `Basic ${Buffer.from('bw-api-user:bw-api-password').toString('base64')}`;

// --- A small, strict XML reader (elements and text only, as the Dashboard API uses): a malformed body throws.

interface XmlNode {
  name: string;
  children: XmlNode[];
  text: string;
}

function parseXml(xml: string): XmlNode {
  const s = xml.replace(/^<\?xml[^?]*\?>/, '').trim();
  let i = 0;
  const element = (): XmlNode => {
    const open = /^<([A-Za-z][\w.-]*)>/.exec(s.slice(i));
    if (!open) throw new Error(`expected an element at ${i}: ${s.slice(i, i + 40)}`);
    i += open[0].length;
    const node: XmlNode = { name: open[1]!, children: [], text: '' };
    for (;;) {
      if (s.startsWith(`</${node.name}>`, i)) {
        i += node.name.length + 3;
        return node;
      }
      if (s.startsWith('</', i)) throw new Error(`</${node.name}> expected at ${i}: ${s.slice(i, i + 40)}`);
      if (s[i] === '<') {
        node.children.push(element());
        continue;
      }
      const next = s.indexOf('<', i);
      if (next < 0) throw new Error(`unclosed <${node.name}>`);
      const raw = s.slice(i, next);
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(raw)) throw new Error(`unescaped & in <${node.name}>`);
      node.text += raw.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
      i = next;
    }
  };
  const root = element();
  if (i !== s.length) throw new Error(`content after the root element: ${s.slice(i, i + 40)}`);
  return root;
}

type Shape = string | { [name: string]: Shape | Shape[] };
/** An element as plain data: text, or its children by name (repeated names become arrays). */
function shape(node: XmlNode): Shape {
  if (node.children.length === 0) return node.text.trim();
  const out: Record<string, Shape | Shape[]> = {};
  for (const child of node.children) {
    const value = shape(child);
    const seen = out[child.name];
    out[child.name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}
const xmlBody = (req: Seen) => {
  const root = parseXml(req.body);
  return { [root.name]: shape(root) };
};

// --- The fake Dashboard API: applications by id, as documented answers.

const messagingApp = (id = MESSAGING_APP) =>
  `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><ApplicationProvisioningResponse><Application><ApplicationId>${id}</ApplicationId><ServiceType>Messaging-V2</ServiceType><AppName>Textback</AppName><InboundCallbackUrl>https://old.example.com</InboundCallbackUrl></Application></ApplicationProvisioningResponse>`;
const voiceApp = (id = VOICE_APP, callbackUser?: string) =>
  `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><ApplicationProvisioningResponse><Application><ApplicationId>${id}</ApplicationId><ServiceType>Voice-V2</ServiceType><AppName>Front desk</AppName><CallInitiatedCallbackUrl>https://pbx.example.com/answer</CallInitiatedCallbackUrl>${callbackUser ? `<CallbackCreds><UserId>${callbackUser}</UserId></CallbackCreds>` : ''}</Application></ApplicationProvisioningResponse>`;
const NOT_FOUND = '<ApplicationProvisioningResponse><ResponseStatus><ErrorCode>12655</ErrorCode><Description>Application not found</Description></ResponseStatus></ApplicationProvisioningResponse>';

function dashboard(fake: FakeCarrierApi, apps: Map<string, string>, status: (req: Seen) => number | undefined = () => undefined) {
  fake.reply = (req, res) => {
    const m = new RegExp(`^/api/accounts/${ACCOUNT}/applications/([^/?]+)$`).exec(req.url);
    const app = m ? apps.get(decodeURIComponent(m[1]!)) : undefined;
    const forced = status(req);
    res.writeHead(forced ?? (app && (req.method === 'GET' || req.method === 'PATCH') ? 200 : 404), { 'content-type': 'application/xml' });
    res.end(forced ? '' : app ?? NOT_FOUND);
  };
}

const URLS: WebhookUrls = { messages: `${PUBLIC_URL}/webhooks/bandwidth/ca_1/messages?x=1&y=2`, calls: `${PUBLIC_URL}/webhooks/bandwidth/ca_1/calls` };

describe('Bandwidth applications: configureWebhooks against the documented Dashboard API', () => {
  const fake = new FakeCarrierApi();
  const apps = new Map<string, string>();
  beforeAll(async () => {
    await fake.start();
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    apps.clear();
    apps.set(MESSAGING_APP, messagingApp());
    apps.set(VOICE_APP, voiceApp());
    dashboard(fake, apps);
  });
  const carrier = (options: Partial<ConstructorParameters<typeof BandwidthCarrier>[0]> = {}) =>
    new BandwidthCarrier({
      bandwidthAccountId: ACCOUNT,
      applicationId: MESSAGING_APP,
      apiUser: 'bw-api-user',
      apiPassword: 'bw-api-password',
      dashboardUrl: `${fake.url}/api`,
      callbackUsername: 'textback-1a2b3c4d',
      callbackPassword: CALLBACK_PASSWORD,
      voiceApplicationId: VOICE_APP,
      ...options,
    });

  it('reads each application, then PATCHes only the documented callback elements, escaped, with the API user', async () => {
    const setup = await carrier().configureWebhooks([], URLS);
    expect(setup.manual).toEqual([]);
    expect(setup.configured).toEqual([
      { target: `messaging application ${MESSAGING_APP}`, field: 'InboundCallbackUrl (with InboundCallbackCreds)', url: URLS.messages },
      { target: `messaging application ${MESSAGING_APP}`, field: 'OutboundCallbackUrl (with OutboundCallbackCreds)', url: URLS.messages },
      { target: `voice application ${VOICE_APP}`, field: 'CallStatusCallbackUrl (with CallbackCreds)', url: URLS.calls },
    ]);
    expect(fake.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      `GET /api/accounts/${ACCOUNT}/applications/${MESSAGING_APP}`,
      `PATCH /api/accounts/${ACCOUNT}/applications/${MESSAGING_APP}`,
      `GET /api/accounts/${ACCOUNT}/applications/${VOICE_APP}`,
      `PATCH /api/accounts/${ACCOUNT}/applications/${VOICE_APP}`,
    ]);
    for (const req of fake.requests) expect(req.headers.authorization).toBe(API_AUTH);
    const [, messaging, , voice] = fake.requests;
    expect(messaging!.headers['content-type']).toMatch(/^application\/xml/);
    const creds = { UserId: 'textback-1a2b3c4d', Password: CALLBACK_PASSWORD };
    expect(xmlBody(messaging!)).toEqual({
      Application: {
        InboundCallbackUrl: URLS.messages,
        OutboundCallbackUrl: URLS.messages,
        InboundCallbackCreds: creds,
        OutboundCallbackCreds: creds,
        RequestedCallbackTypes: { CallbackType: ['message-delivered', 'message-failed', 'message-sending'] },
      },
    });
    expect(voice!.headers['content-type']).toMatch(/^application\/xml/);
    // Not CallInitiatedCallbackUrl (what answers the calls), not AppName or ServiceType.
    expect(xmlBody(voice!)).toEqual({ Application: { CallStatusCallbackUrl: URLS.calls, CallStatusMethod: 'POST', CallbackCreds: creds } });
  });

  it('a voice application whose callback credentials are another user\'s is left alone and listed as manual', async () => {
    apps.set(VOICE_APP, voiceApp(VOICE_APP, 'pbx-user'));
    const setup = await carrier().configureWebhooks([], URLS);
    expect(setup.configured.map((c) => c.field)).toEqual(['InboundCallbackUrl (with InboundCallbackCreds)', 'OutboundCallbackUrl (with OutboundCallbackCreds)']);
    expect(setup.manual).toEqual([{ target: `voice application ${VOICE_APP}`, field: expect.stringContaining('Call status'), url: URLS.calls, why: expect.stringContaining('pbx-user') }]);
    expect(fake.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
    // The same user (set by an earlier run): changed again.
    apps.set(VOICE_APP, voiceApp(VOICE_APP, 'textback-1a2b3c4d'));
    expect((await carrier().configureWebhooks([], URLS)).manual).toEqual([]);
  });

  it('an application of the wrong service type, a missing one and a failing API are manual steps, with why', async () => {
    const swapped = await carrier({ applicationId: VOICE_APP, voiceApplicationId: MESSAGING_APP }).configureWebhooks([], URLS);
    expect(swapped.configured).toEqual([]);
    expect(swapped.manual.map((m) => [m.url, m.why])).toEqual([
      [URLS.messages, expect.stringMatching(/is a Voice-V2 application, not Messaging-V2.*settings\.application_id/)],
      [URLS.calls, expect.stringMatching(/is a Messaging-V2 application, not Voice-V2.*settings\.voice_application_id/)],
    ]);
    expect(fake.requests.filter((r) => r.method === 'PATCH')).toEqual([]);

    const missing = await carrier({ applicationId: 'nope' }).configureWebhooks([], URLS);
    expect(missing.manual).toEqual([
      { target: 'messaging application nope', field: expect.stringContaining('Callback URL'), url: URLS.messages, why: 'the Bandwidth Dashboard API answered 404 (error 12655): Application not found' },
    ]);
    expect(missing.configured.map((c) => c.url)).toEqual([URLS.calls]);

    dashboard(fake, apps, (req) => (req.method === 'PATCH' ? 503 : undefined));
    const down = await carrier().configureWebhooks([], URLS);
    expect(down.configured).toEqual([]);
    expect(down.manual.map((m) => m.why)).toEqual([expect.stringContaining('503'), expect.stringContaining('503')]);
  });

  it('without a voice application id or callback credentials, nothing is guessed', async () => {
    const noVoice = await carrier({ voiceApplicationId: undefined }).configureWebhooks([], URLS);
    expect(noVoice.configured).toHaveLength(2);
    expect(noVoice.manual).toEqual([{ target: 'voice application', field: expect.any(String), url: URLS.calls, why: expect.stringContaining('settings.voice_application_id') }]);
    fake.requests.length = 0;
    const noCreds = await carrier({ callbackPassword: undefined }).configureWebhooks([], URLS);
    expect(noCreds.configured).toEqual([]);
    expect(noCreds.manual.map((m) => m.url)).toEqual([URLS.messages, URLS.calls]);
    expect(fake.requests).toEqual([]);
  });
});

describe.each(DIALECTS)('Bandwidth webhooks configured through the API (%s)', (dialect) => {
  const run = it.runIf(dialectAvailable(dialect));
  let app: TestApp;
  let org: TestOrg;
  const fake = new FakeCarrierApi();
  const apps = new Map<string, string>();
  const { logger: capturing, lines: logLines } = capturingLogger('trace');

  beforeAll(async () => {
    if (!dialectAvailable(dialect)) return;
    await fake.start();
    app = await createCarrierTestApp(dialect, { logger: capturing });
    org = await createTestOrg(app, '+14155559983');
  });
  afterAll(async () => {
    await app?.close();
    await fake.stop().catch(() => {});
  });

  run('POST …/webhooks/configure sets both applications to the account\'s URLs and callback credentials, which the webhooks then accept', async () => {
    apps.set(MESSAGING_APP, messagingApp());
    apps.set(VOICE_APP, voiceApp());
    dashboard(fake, apps);
    const created = await api(app, org, 'POST', '/v1/carrier-accounts', {
      kind: 'bandwidth',
      public_base_url: PUBLIC_URL,
      api_base_url: fake.url,
      credentials: { api_user: 'bw-api-user', api_password: 'bw-api-password' },
      settings: { account_id: ACCOUNT, application_id: MESSAGING_APP, voice_application_id: VOICE_APP, dashboard_url: `${fake.url}/api` },
    });
    expect(created.status).toBe(201);
    const account = created.json;
    const callback = account.callback_credentials as { username: string; password: string };
    const res = await api(app, org, 'POST', `/v1/carrier-accounts/${account.id}/webhooks/configure`);
    expect(res.status).toBe(200);
    expect(res.json.webhook_setup).toEqual({
      configured: [
        { target: `messaging application ${MESSAGING_APP}`, field: expect.stringContaining('InboundCallbackUrl'), url: account.webhooks.messages },
        { target: `messaging application ${MESSAGING_APP}`, field: expect.stringContaining('OutboundCallbackUrl'), url: account.webhooks.messages },
        { target: `voice application ${VOICE_APP}`, field: expect.stringContaining('CallStatusCallbackUrl'), url: account.webhooks.calls },
      ],
      manual: [],
    });
    expect(res.raw.body).not.toContain(callback.password);
    const patches = fake.requests.filter((r) => r.method === 'PATCH');
    expect(patches.map((p) => p.url)).toEqual([`/api/accounts/${ACCOUNT}/applications/${MESSAGING_APP}`, `/api/accounts/${ACCOUNT}/applications/${VOICE_APP}`]);
    const messaging = xmlBody(patches[0]!) as { Application: Record<string, { UserId: string; Password: string } | string> };
    expect(messaging.Application.InboundCallbackUrl).toBe(`${PUBLIC_URL}/webhooks/bandwidth/${account.id}/messages`);
    expect(messaging.Application.InboundCallbackCreds).toEqual({ UserId: callback.username, Password: callback.password });
    const voice = xmlBody(patches[1]!) as { Application: Record<string, { UserId: string; Password: string } | string> };
    expect(voice.Application.CallStatusCallbackUrl).toBe(`${PUBLIC_URL}/webhooks/bandwidth/${account.id}/calls`);
    expect(voice.Application.CallbackCreds).toEqual({ UserId: callback.username, Password: callback.password });

    // What was set on the applications is what Textback checks on Bandwidth's callbacks.
    const set = messaging.Application.OutboundCallbackCreds as { UserId: string; Password: string };
    const authorization = `Basic ${Buffer.from(`${set.UserId}:${set.Password}`).toString('base64')}`;
    const disconnect = JSON.stringify({ eventType: 'disconnect', callId: 'c-configured-1', from: '+14155550140', to: '+14155559983', direction: 'inbound', cause: 'timeout', startTime: '2024-01-01T00:00:00Z', endTime: '2024-01-01T00:00:30Z', accountId: ACCOUNT, applicationId: VOICE_APP });
    const callsUrl = `/webhooks/bandwidth/${account.id}/calls`;
    expect((await post(app, callsUrl, disconnect, { 'content-type': 'application/json', authorization })).statusCode).toBe(204);
    const wrong = `Basic ${Buffer.from(`${set.UserId}:not-${set.Password}`).toString('base64')}`;
    expect((await post(app, callsUrl, disconnect, { 'content-type': 'application/json', authorization: wrong })).statusCode).toBe(403);

    // The steps name the voice application and the way to apply them.
    const steps = (await api(app, org, 'GET', `/v1/carrier-accounts/${account.id}/webhooks`)).json.steps.join('\n');
    expect(steps).toContain(`Voice application ${VOICE_APP}`);
    expect(steps).toContain('webhooks/configure');
    const log = logLines.join('');
    expect(log).toContain('carrier webhooks configured');
    expect(log).not.toContain(callback.password);
    expect(log).not.toContain('bw-api-password');
  });
});
