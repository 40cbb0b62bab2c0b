import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CarrierError, type OutboundMessage } from '../carrier.js';
import { parseRetryAfter, TwilioCarrier } from './twilio-carrier.js';

const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'secret-token';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  form: URLSearchParams;
}

type Reply = (req: http.IncomingMessage, res: http.ServerResponse, seen: Seen) => void;

/** A local stand-in for api.twilio.com: records each request and answers with `reply`. */
let server: http.Server;
let baseUrl: string;
let reply: Reply;
const requests: Seen[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, form: new URLSearchParams(raw) };
      requests.push(seen);
      reply(req, res, seen);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
afterEach(() => {
  requests.length = 0;
});

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function twilioError(code: number, status = 400) {
  return { code, message: `error ${code}`, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

const carrier = (options: { timeoutMs?: number; base?: string } = {}) =>
  new TwilioCarrier({
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    baseUrl: options.base ?? baseUrl,
    publicBaseUrl: 'https://sms.example.com/',
    timeoutMs: options.timeoutMs ?? 2000,
  });

const message: OutboundMessage = { messageId: 'msg_01J0TEST', orgId: 'org_1', from: '+14159434591', to: '+14155550123', body: 'Hello & welcome' };

async function failure(promise: Promise<unknown>): Promise<CarrierError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CarrierError);
  return error as CarrierError;
}

describe('TwilioCarrier.send', () => {
  it('creates the message with a form-encoded POST and Basic auth, and returns the sid', async () => {
    reply = (_req, res) => json(res, 201, { sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued' });
    const result = await carrier().send({ ...message, media: ['https://example.com/a.png', 'https://example.com/b.jpg'] });

    expect(result).toEqual({ carrierMessageId: 'SM0123456789abcdef0123456789abcdef' });
    expect(requests).toHaveLength(1);
    const seen = requests[0]!;
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
    expect(seen.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(seen.headers.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`);
    expect(seen.form.get('To')).toBe('+14155550123');
    expect(seen.form.get('From')).toBe('+14159434591');
    expect(seen.form.get('Body')).toBe('Hello & welcome');
    expect(seen.form.getAll('MediaUrl')).toEqual(['https://example.com/a.png', 'https://example.com/b.jpg']);
    expect(seen.form.get('StatusCallback')).toBe('https://sms.example.com/webhooks/twilio/status?m=msg_01J0TEST');
  });

  it('leaves Body out of a media-only message', async () => {
    reply = (_req, res) => json(res, 201, { sid: 'MM1' });
    await carrier().send({ ...message, body: '', media: ['https://example.com/a.png'] });
    expect(requests[0]!.form.has('Body')).toBe(false);
    expect(requests[0]!.form.getAll('MediaUrl')).toEqual(['https://example.com/a.png']);
  });

  it('treats 429 as retryable, with the delay from Retry-After', async () => {
    reply = (_req, res) => json(res, 429, twilioError(20429, 429), { 'retry-after': '7' });
    const error = await failure(carrier().send(message));
    expect(error).toMatchObject({ errorClass: 'retryable', code: '20429', reason: 'rate_limited', retryAfterMs: 7000 });
  });

  it('treats 5xx as retryable', async () => {
    reply = (_req, res) => json(res, 503, { code: 20503, message: 'Service unavailable', status: 503 });
    expect(await failure(carrier().send(message))).toMatchObject({ errorClass: 'retryable', code: '20503' });
    reply = (_req, res) => {
      res.writeHead(502);
      res.end('<html>bad gateway</html>');
    };
    expect(await failure(carrier().send(message))).toMatchObject({ errorClass: 'retryable', code: 'http_502' });
  });

  it.each([
    [21211, 'invalid_number'],
    [21610, 'opted_out'],
    [21614, 'landline_or_unreachable'],
    [21408, 'unsupported_country'],
    [30007, 'spam_filtered'],
    [29999, 'carrier_unknown'],
  ])('maps a 4xx with Twilio error %i to a permanent failure (%s)', async (code, reason) => {
    reply = (_req, res) => json(res, 400, twilioError(code));
    const error = await failure(carrier().send(message));
    expect(error).toMatchObject({ errorClass: 'permanent', code: String(code), reason });
    expect(error.message).toContain(String(code));
  });

  it('treats a 4xx without a Twilio code as permanent, carrier_unknown', async () => {
    reply = (_req, res) => {
      res.writeHead(404);
      res.end('not found');
    };
    expect(await failure(carrier().send(message))).toMatchObject({ errorClass: 'permanent', code: 'http_404', reason: 'carrier_unknown' });
  });

  it('reports unknown when Twilio does not answer in time (the message may have been accepted)', async () => {
    reply = () => {}; // never answers
    const error = await failure(carrier({ timeoutMs: 150 }).send(message));
    expect(error).toMatchObject({ errorClass: 'unknown', code: 'timeout' });
    expect(requests).toHaveLength(1);
  });

  it('reports unknown when the connection drops after the request was sent', async () => {
    reply = (req) => req.socket.destroy();
    expect(await failure(carrier().send(message))).toMatchObject({ errorClass: 'unknown' });
  });

  it('reports unknown for a success without a sid', async () => {
    reply = (_req, res) => json(res, 201, { status: 'queued' });
    expect(await failure(carrier().send(message))).toMatchObject({ errorClass: 'unknown' });
  });

  it('treats a refused connection as retryable: nothing was sent', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await failure(carrier({ base: `http://127.0.0.1:${port}` }).send(message))).toMatchObject({ errorClass: 'retryable', code: 'ECONNREFUSED' });
  });
});

describe('TwilioCarrier.lookup', () => {
  it('knows only the sids this adapter received', async () => {
    const twilio = carrier();
    expect(await twilio.lookup('org_1', message.messageId)).toBeNull();
    reply = (_req, res) => json(res, 201, { sid: 'SM42' });
    await twilio.send(message);
    expect(await twilio.lookup('org_1', message.messageId)).toEqual({ carrierMessageId: 'SM42' });
    expect(await carrier().lookup('org_1', message.messageId)).toBeNull();
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
