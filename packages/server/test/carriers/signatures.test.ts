/**
 * Webhook signatures, checked against the reference vectors and against the official SDKs
 * (`twilio` 6.2.0 signs, `telnyx` 7.24.0 verifies): Textback must accept exactly what the carriers'
 * own code produces and accepts, and nothing else.
 */
import crypto from 'node:crypto';
import { TelnyxWebhook } from 'telnyx/lib/webhooks';
import twilio from 'twilio';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { verifyBandwidthBasic } from '../../src/carriers/bandwidth/bandwidth-webhooks.js';
import { telnyxPublicKey, verifyTelnyxSignature } from '../../src/carriers/telnyx/telnyx-webhooks.js';
import { expectedTwilioSignature, twilioSigningKey, verifyTwilioJsonSignature, verifyTwilioSignature, type TwilioParams } from '../../src/carriers/twilio/twilio-webhooks.js';
import { referenceJson, telnyxKeyPair, telnyxSign } from './helpers.js';

interface TwilioVector {
  id: string;
  kind: 'form' | 'json-body';
  authToken: string;
  url: string;
  params?: TwilioParams;
  rawBody?: string;
  expectedSignature: string;
  expectedSignatureWithoutPort?: string;
}

/** Deterministic pseudo-random values, so a failure is reproducible. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ALPHABET = ['a', 'Z', '0', ' ', '&', '=', '+', '%', '?', '/', 'é', '☕', '😀', '"', "'", '\n', '~', '#'];

function randomParams(rand: () => number): Record<string, string | string[]> {
  const word = (n: number) => Array.from({ length: n }, () => ALPHABET[Math.floor(rand() * ALPHABET.length)]).join('');
  const params: Record<string, string | string[]> = {};
  const count = 1 + Math.floor(rand() * 8);
  for (let i = 0; i < count; i++) {
    const name = ['Body', 'From', 'To', 'MessageSid', 'MediaUrl0', 'StatusCallbackEvent', 'b', 'B', 'body_2'][Math.floor(rand() * 9)]!;
    params[name] = rand() < 0.2 ? [word(3), word(2), word(3)] : word(Math.floor(rand() * 20));
  }
  return params;
}

describe('Twilio X-Twilio-Signature', () => {
  const vectors = referenceJson<{ vectors: TwilioVector[] }>('twilio-signature-vectors.json').vectors;

  it.each(vectors.filter((v) => v.kind === 'form').map((v) => [v.id, v] as const))('reference vector %s verifies, and its string to sign gives the expected signature', (_id, v) => {
    expect(expectedTwilioSignature(v.authToken, v.url, v.params!)).toBe(v.expectedSignature);
    expect(verifyTwilioSignature(v.authToken, v.expectedSignature, v.url, v.params!)).toBe(true);
    expect(verifyTwilioSignature('another-token', v.expectedSignature, v.url, v.params!)).toBe(false);
    const tampered = { ...v.params!, [Object.keys(v.params!)[0]!]: 'tampered' };
    expect(verifyTwilioSignature(v.authToken, v.expectedSignature, v.url, tampered)).toBe(false);
    expect(verifyTwilioSignature(v.authToken, undefined, v.url, v.params!)).toBe(false);
  });

  it('accepts the URL signed with or without the default port, as twilio-node does', () => {
    const v = vectors.find((x) => x.id === 'status-callback-port')!;
    expect(verifyTwilioSignature(v.authToken, v.expectedSignatureWithoutPort!, v.url, v.params!)).toBe(true);
    expect(verifyTwilioSignature(v.authToken, v.expectedSignature, v.url.replace(':443', ''), v.params!)).toBe(true);
    expect(twilio.validateRequest(v.authToken, v.expectedSignatureWithoutPort!, v.url, v.params!)).toBe(true);
  });

  it('the JSON variant: signature over the URL with bodySHA256, and the body must hash to it', () => {
    const v = vectors.find((x) => x.kind === 'json-body')!;
    expect(verifyTwilioJsonSignature(v.authToken, v.expectedSignature, v.url, Buffer.from(v.rawBody!))).toBe(true);
    expect(verifyTwilioJsonSignature(v.authToken, v.expectedSignature, v.url, Buffer.from(`${v.rawBody!} `))).toBe(false);
    expect(verifyTwilioJsonSignature(v.authToken, v.expectedSignature, v.url.replace(/bodySHA256=[0-9a-f]+/, 'x=1'), Buffer.from(v.rawBody!))).toBe(false);
    expect(twilio.validateRequestWithBody(v.authToken, v.expectedSignature, v.url, v.rawBody!)).toBe(true);
  });

  it('every signature the official SDK produces verifies, and changing anything breaks it (200 random requests)', () => {
    const rand = prng(42);
    for (let i = 0; i < 200; i++) {
      const token = crypto.createHash('sha1').update(String(i)).digest('hex');
      const url = `https://hooks.example.com${rand() < 0.5 ? ':443' : ''}/webhooks/twilio/ca_${i}/messages${rand() < 0.5 ? `?m=msg_${i}&x=a%20b` : ''}`;
      const params = randomParams(rand);
      const signature = twilio.getExpectedTwilioSignature(token, url, params);
      expect(expectedTwilioSignature(token, url, params)).toBe(signature);
      expect(verifyTwilioSignature(token, signature, url, params)).toBe(true);
      expect(twilio.validateRequest(token, signature, url, params)).toBe(true);
      const changed = { ...params, Extra: 'x' };
      expect(verifyTwilioSignature(token, signature, url, changed)).toBe(twilio.validateRequest(token, signature, url, changed));
      expect(verifyTwilioSignature(token, signature, url, changed)).toBe(false);
      expect(verifyTwilioSignature(token, signature, url.replace('hooks.', 'evil.'), params)).toBe(false);
    }
  });

  it('the account key made once (twilioSigningKey) signs exactly as the token string, forged or not', () => {
    const rand = prng(7);
    for (const [i, token] of ['0123456789abcdef0123456789abcdef', 'tökên ☕ with spaces', ''].entries()) {
      const key = twilioSigningKey(token);
      const url = `https://hooks.example.com/webhooks/twilio/ca_${i}/messages`;
      const params = randomParams(rand);
      const signature = twilio.getExpectedTwilioSignature(token, url, params);
      expect(expectedTwilioSignature(key, url, params)).toBe(signature);
      expect(verifyTwilioSignature(key, signature, url, params)).toBe(true);
      expect(verifyTwilioSignature(key, signature, url, { ...params, Extra: 'x' })).toBe(false);
      expect(verifyTwilioSignature(twilioSigningKey(`${token}x`), signature, url, params)).toBe(false);
    }
  });

  it('JSON bodies signed by the SDK (bodySHA256) verify; another body does not', () => {
    const rand = prng(7);
    for (let i = 0; i < 50; i++) {
      const body = JSON.stringify(randomParams(rand));
      const hash = crypto.createHash('sha256').update(body).digest('hex');
      const url = `https://hooks.example.com/webhooks/twilio/ca_1/messages?bodySHA256=${hash}`;
      const signature = twilio.getExpectedTwilioSignature('token', url, {});
      expect(verifyTwilioJsonSignature('token', signature, url, Buffer.from(body))).toBe(true);
      expect(twilio.validateRequestWithBody('token', signature, url, body)).toBe(true);
      expect(verifyTwilioJsonSignature('token', signature, url, Buffer.from(`${body}\n`))).toBe(false);
    }
  });
});

describe('Telnyx Ed25519', () => {
  interface TelnyxVector {
    id: string;
    privateKeySeedHex: string;
    publicKeyBase64: string;
    headers: Record<string, string>;
    rawBody: string;
    negatives?: Array<{ case: string; rawBody: string; headers: Record<string, string>; nowUnix?: number; expectedValid: boolean }>;
  }
  const vectors = referenceJson<{ vectors: TelnyxVector[] }>('telnyx-signature-vectors.json').vectors;
  afterEach(() => {
    vi.useRealTimers();
  });

  async function sdkAccepts(publicKey: string, body: string, headers: Record<string, string>, nowMs: number): Promise<boolean> {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(nowMs);
    try {
      await new TelnyxWebhook(publicKey).verify(body, headers);
      return true;
    } catch {
      return false;
    } finally {
      vi.useRealTimers();
    }
  }

  const ours = (v: { publicKeyBase64: string }, body: string, headers: Record<string, string>, nowMs: number) =>
    verifyTelnyxSignature(telnyxPublicKey(v.publicKeyBase64), { signature: headers['telnyx-signature-ed25519'], timestamp: headers['telnyx-timestamp'] }, Buffer.from(body, 'utf8'), nowMs).ok;

  it.each(vectors.map((v) => [v.id, v] as const))('reference vector %s verifies like the SDK, and its negatives fail', async (_id, v) => {
    const now = (Number(v.headers['telnyx-timestamp']) + 1) * 1000;
    expect(telnyxKeyPair(v.privateKeySeedHex).publicKeyBase64).toBe(v.publicKeyBase64);
    expect(ours(v, v.rawBody, v.headers, now)).toBe(true);
    expect(await sdkAccepts(v.publicKeyBase64, v.rawBody, v.headers, now)).toBe(true);
    for (const n of v.negatives ?? []) {
      const at = (n.nowUnix ?? Number(n.headers['telnyx-timestamp']) + 1) * 1000;
      expect(ours(v, n.rawBody, n.headers, at), n.case).toBe(false);
      expect(await sdkAccepts(v.publicKeyBase64, n.rawBody, n.headers, at), n.case).toBe(false);
    }
  });

  it('agrees with the SDK on freshly signed events, at the edges of the 300 s tolerance and on every kind of damage', async () => {
    const rand = prng(99);
    for (let i = 0; i < 40; i++) {
      const seed = crypto.createHash('sha256').update(`seed${i}`).digest('hex');
      const { privateKey, publicKeyBase64 } = telnyxKeyPair(seed);
      const body = JSON.stringify({ data: { event_type: 'message.received', id: `e${i}`, payload: randomParams(rand) } });
      const ts = 1_760_000_000 + i;
      const headers = { 'telnyx-timestamp': String(ts), 'telnyx-signature-ed25519': telnyxSign(privateKey, String(ts), body) };
      const cases: Array<[string, string, Record<string, string>, number]> = [
        ['fresh', body, headers, ts * 1000],
        ['300 s later', body, headers, (ts + 300) * 1000],
        ['301 s later', body, headers, (ts + 301) * 1000],
        ['301 s earlier', body, headers, (ts - 301) * 1000],
        ['body changed', `${body} `, headers, ts * 1000],
        ['other key', body, { ...headers, 'telnyx-signature-ed25519': telnyxSign(telnyxKeyPair(crypto.createHash('sha256').update(`other${seed}`).digest('hex')).privateKey, String(ts), body) }, ts * 1000],
        ['short signature', body, { ...headers, 'telnyx-signature-ed25519': headers['telnyx-signature-ed25519'].slice(0, 40) }, ts * 1000],
        ['no signature', body, { 'telnyx-timestamp': String(ts) }, ts * 1000],
      ];
      for (const [name, b, h, now] of cases) {
        const sdk = await sdkAccepts(publicKeyBase64, b, h, now);
        expect(ours({ publicKeyBase64 }, b, h, now), name).toBe(sdk);
        expect(sdk, name).toBe(name === 'fresh' || name === '300 s later');
      }
    }
  });
});

describe('Bandwidth callback credentials (HTTP Basic)', () => {
  it('accepts exactly the account credentials', () => {
    const header = `Basic ${Buffer.from('textback-1:s3cret').toString('base64')}`;
    expect(verifyBandwidthBasic(header, 'textback-1', 's3cret')).toBe(true);
    expect(verifyBandwidthBasic(` ${header} `, 'textback-1', 's3cret')).toBe(true);
    expect(verifyBandwidthBasic(header, 'textback-1', 's3cret2')).toBe(false);
    expect(verifyBandwidthBasic(header, 'textback-2', 's3cret')).toBe(false);
    expect(verifyBandwidthBasic(undefined, 'textback-1', 's3cret')).toBe(false);
    expect(verifyBandwidthBasic('Bearer s3cret', 'textback-1', 's3cret')).toBe(false);
    expect(verifyBandwidthBasic(`Basic ${Buffer.from('textback-1:').toString('base64')}`, 'textback-1', '')).toBe(false);
  });
});
