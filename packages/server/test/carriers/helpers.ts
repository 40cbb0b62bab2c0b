/** Shared pieces of the carrier tests: the reference documents, a scriptable fake carrier API, signed webhooks. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import twilio from 'twilio';
import type { Config } from '../../src/config/config.js';
import type { Logger } from '../../src/support/logger.js';
import type { DialectName } from '../support/databases.js';
import { api, createTestApp, type TestApp, type TestOrg } from '../support/test-app.js';

/** The carriers' published documents the tests check against (sources and licences: its README.md). */
export const REFERENCE_DIR = fileURLToPath(new URL('../fixtures/carriers/', import.meta.url));

export function reference(name: string): string {
  return fs.readFileSync(path.join(REFERENCE_DIR, name), 'utf8');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- reference documents are free-form JSON
export function referenceJson<T = any>(name: string): T {
  return JSON.parse(reference(name)) as T;
}

/** The JSON examples of bandwidth-messaging-webhooks.md (the code blocks after `POST /your_url`), by event type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- documented examples, free-form JSON
export function bandwidthDocExamples(): Array<{ type: string; events: any[] }> {
  const md = reference('bandwidth-messaging-webhooks.md');
  const blocks = [...md.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks
    .map((block) => {
      const start = block.indexOf('[');
      return JSON.parse(block.slice(start)) as any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    })
    .map((events) => ({ type: String(events[0].type), events }));
}

export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Reply = (req: Seen, res: http.ServerResponse) => void;

/** A local stand-in for a carrier's REST API: records each request and answers with `reply`. */
export class FakeCarrierApi {
  readonly requests: Seen[] = [];
  reply: Reply = (_req, res) => json(res, 404, {});
  private server!: http.Server;
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
        this.requests.push(seen);
        this.reply(seen, res);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

export function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export const TWILIO_SID = 'AC0123456789abcdef0123456789abcdef';
export const TWILIO_TOKEN = 'test_auth_token_0123456789abcdef';
export const PUBLIC_URL = 'https://hooks.example.com';

/** The first Telnyx vector's key pair (RFC 8032 test-1 seed). */
export function telnyxKeyPair(seedHex: string): { privateKey: crypto.KeyObject; publicKeyBase64: string } {
  const privateKey = crypto.createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seedHex, 'hex')]), format: 'der', type: 'pkcs8' });
  const spki = crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return { privateKey, publicKeyBase64: spki.subarray(spki.length - 32).toString('base64') };
}

export function telnyxSign(privateKey: crypto.KeyObject, timestamp: string, rawBody: string): string {
  return crypto.sign(null, Buffer.from(`${timestamp}|${rawBody}`, 'utf8'), privateKey).toString('base64');
}

export interface Accounts {
  twilio: string;
  telnyx: string;
  bandwidth: string;
  bandwidthCallback: { username: string; password: string };
  telnyxKey: crypto.KeyObject;
}

export const TELNYX_SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';

/** One account of each carrier for `org`, pointed at `apiBase` (a fake, or nothing), with `numbers` imported. */
export async function createAccounts(
  app: TestApp,
  org: TestOrg,
  apiBase: string,
  numbers: { twilio: string[]; telnyx: string[]; bandwidth: string[] },
  /** Extra settings per kind (Telnyx `connection_id`, Bandwidth `voice_application_id`). */
  settings: { telnyx?: Record<string, string>; bandwidth?: Record<string, string> } = {},
): Promise<Accounts> {
  const tw = await api(app, org, 'POST', '/v1/carrier-accounts', {
    kind: 'twilio',
    public_base_url: PUBLIC_URL,
    api_base_url: apiBase,
    credentials: { account_sid: TWILIO_SID, auth_token: TWILIO_TOKEN },
  });
  if (tw.status !== 201) throw new Error(`twilio account: ${tw.status} ${JSON.stringify(tw.json)}`);
  const keys = telnyxKeyPair(TELNYX_SEED);
  const tx = await api(app, org, 'POST', '/v1/carrier-accounts', {
    kind: 'telnyx',
    public_base_url: PUBLIC_URL,
    api_base_url: apiBase,
    credentials: { api_key: 'KEY0123456789' },
    settings: { public_key: keys.publicKeyBase64, ...settings.telnyx },
  });
  if (tx.status !== 201) throw new Error(`telnyx account: ${tx.status} ${JSON.stringify(tx.json)}`);
  const bw = await api(app, org, 'POST', '/v1/carrier-accounts', {
    kind: 'bandwidth',
    public_base_url: PUBLIC_URL,
    api_base_url: apiBase,
    credentials: { api_user: 'bw-user', api_password: 'bw-password' },
    settings: { account_id: '9900000', application_id: '93de2206-9669-4e07-948d-329f4b722ee2', ...settings.bandwidth },
  });
  if (bw.status !== 201) throw new Error(`bandwidth account: ${bw.status} ${JSON.stringify(bw.json)}`);
  for (const [id, list] of [
    [tw.json.id, numbers.twilio],
    [tx.json.id, numbers.telnyx],
    [bw.json.id, numbers.bandwidth],
  ] as const) {
    if (list.length === 0) continue;
    const res = await api(app, org, 'POST', `/v1/carrier-accounts/${id}/import-numbers`, { numbers: list });
    if (res.status !== 200) throw new Error(`import: ${res.status} ${JSON.stringify(res.json)}`);
  }
  return { twilio: tw.json.id, telnyx: tx.json.id, bandwidth: bw.json.id, bandwidthCallback: bw.json.callback_credentials, telnyxKey: keys.privateKey };
}

/** A Twilio form webhook signed by the official SDK, for the public URL of `path`. */
export function twilioForm(pathAndQuery: string, params: Record<string, string | string[]>, token = TWILIO_TOKEN) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const value of Array.isArray(v) ? v : [v]) body.append(k, value);
  const signature = twilio.getExpectedTwilioSignature(token, `${PUBLIC_URL}${pathAndQuery}`, params);
  return { payload: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature } };
}

export async function post(app: TestApp, url: string, payload: string, headers: Record<string, string>) {
  return app.http.inject({ method: 'POST', url, payload, headers });
}

export async function countRows(app: TestApp, table: 'jobs' | 'messages' | 'calls'): Promise<number> {
  const row = await app.tb.ctx.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A config key for the tests (never the key file under ./data). */
export const TEST_SECRET_KEY = crypto.createHash('sha256').update('textback carrier tests').digest('base64');

/** createTestApp with a logger of our own (to read what was logged) and a credentials key. */
export async function createCarrierTestApp(dialect: DialectName, options: { logger?: Logger; config?: Partial<Config> } = {}): Promise<TestApp> {
  return createTestApp(dialect, { config: { secretKey: TEST_SECRET_KEY, ...options.config }, ...(options.logger ? { logger: options.logger } : {}) });
}
