/**
 * Twilio's webhooks: the X-Twilio-Signature check and the parsers of the three requests Textback
 * takes (reference: twilio.md, twilio-signature-vectors.json).
 *
 * Signature (twilio-node 6.2 `getExpectedTwilioSignature` / `validateRequest` / `validateRequestWithBody`):
 * base64(HMAC-SHA1(authToken, url + for each parameter name in code-unit order: name + value)),
 * repeated parameters de-duplicated and sorted; the URL is the public one Twilio called, query
 * included, tried with and without the default port. A JSON body is not signed as parameters:
 * Twilio adds `bodySHA256=<hex sha256 of the raw body>` to the URL, signs the URL alone, and the
 * body must hash to it. Comparisons are constant-time.
 */
import crypto, { type KeyObject } from 'node:crypto';
import type { DeliveryReceipt, InboundMessage } from '../carrier.js';
import type { CallEventInput, CallStatus } from '../../use-cases/calls.js';
import { mapCarrierError } from '@textback/core';

export type TwilioParams = Record<string, string | string[]>;

/** Form parameters of a raw `application/x-www-form-urlencoded` body; repeated names become arrays. */
export function parseTwilioForm(raw: string): TwilioParams {
  const params: TwilioParams = {};
  for (const [name, value] of new URLSearchParams(raw)) {
    const existing = params[name];
    if (existing === undefined) params[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else params[name] = [existing, value];
  }
  return params;
}

/**
 * The auth token as an HMAC key, made once per account: HMAC over the same bytes as the token
 * string gives, without converting the token on every request.
 */
export function twilioSigningKey(authToken: string): KeyObject {
  return crypto.createSecretKey(Buffer.from(authToken, 'utf8'));
}

export function expectedTwilioSignature(authToken: string | KeyObject, url: string, params: TwilioParams): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name]!;
    if (Array.isArray(value)) for (const v of [...new Set(value)].sort()) data += name + v;
    else data += name + value;
  }
  return crypto.createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** The URL as given, and with the default port added or removed (Twilio may sign either). */
function urlVariants(url: string): string[] {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/i.exec(url);
  if (!match) return [url];
  const [, scheme, authority, rest] = match as unknown as [string, string, string, string];
  const at = authority.lastIndexOf('@');
  const userInfo = authority.slice(0, at + 1);
  const hostPort = authority.slice(at + 1);
  const colon = hostPort.indexOf(':', hostPort.lastIndexOf(']') + 1);
  const host = colon === -1 ? hostPort : hostPort.slice(0, colon);
  const defaultPort = scheme.toLowerCase() === 'https://' ? ':443' : ':80';
  return [...new Set([url, scheme + userInfo + host + rest, scheme + userInfo + host + defaultPort + rest])];
}

/**
 * A form (or GET) request: the signature over the URL and every parameter received. The URL as
 * given first; the port variants only when it does not match (one HMAC for a genuine request).
 */
export function verifyTwilioSignature(authToken: string | KeyObject, signature: string | undefined, url: string, params: TwilioParams): boolean {
  if (!signature) return false;
  if (safeEqual(signature, expectedTwilioSignature(authToken, url, params))) return true;
  return urlVariants(url).some((candidate) => candidate !== url && safeEqual(signature, expectedTwilioSignature(authToken, candidate, params)));
}

/** A JSON request: the signature over the URL (with bodySHA256) alone, and the body's hash. */
export function verifyTwilioJsonSignature(authToken: string | KeyObject, signature: string | undefined, url: string, rawBody: Buffer): boolean {
  if (!signature) return false;
  const query = url.indexOf('?') === -1 ? '' : url.slice(url.indexOf('?') + 1);
  const expectedHash = new URLSearchParams(query).get('bodySHA256');
  if (!expectedHash) return false;
  const hash = crypto.createHash('sha256').update(rawBody).digest('hex');
  return verifyTwilioSignature(authToken, signature, url, {}) && safeEqual(hash, expectedHash);
}

export class TwilioPayloadError extends Error {}

function one(params: TwilioParams, name: string): string | undefined {
  const v = params[name];
  return Array.isArray(v) ? v[0] : v;
}

function required(params: TwilioParams, name: string): string {
  const v = one(params, name);
  if (v === undefined || v.trim() === '') throw new TwilioPayloadError(`missing ${name}`);
  return v;
}

/** "A message comes in": MessageSid, From, To, Body, NumMedia and MediaUrl{N}. */
export function parseTwilioInbound(params: TwilioParams, carrier = 'twilio'): InboundMessage {
  const sid = required(params, 'MessageSid');
  const from = required(params, 'From');
  const to = required(params, 'To');
  const numMedia = Number(one(params, 'NumMedia') ?? '0');
  const media: string[] = [];
  if (Number.isInteger(numMedia) && numMedia > 0) {
    for (let i = 0; i < Math.min(numMedia, 20); i++) {
      const url = one(params, `MediaUrl${i}`);
      if (url) media.push(url);
    }
  }
  return { carrier, carrierMessageId: sid, from, to, body: one(params, 'Body') ?? '', ...(media.length ? { media } : {}) };
}

/** MessageStatus → our status; undefined for statuses that say nothing about an outbound text. */
export function twilioMessageStatus(status: string): DeliveryReceipt['status'] | undefined {
  switch (status) {
    // All mean Twilio has the message: our `sent` is "accepted by the carrier".
    case 'accepted':
    case 'scheduled':
    case 'queued':
    case 'sending':
    case 'sent':
      return 'sent';
    case 'delivered':
    case 'read':
    case 'partially_delivered':
      return 'delivered';
    case 'undelivered':
      return 'undelivered';
    case 'failed':
      return 'failed';
    default:
      // receiving / received (inbound), canceled (Twilio-side scheduling, unused): nothing to apply.
      return undefined;
  }
}

export interface TwilioStatusCallback {
  receipt: DeliveryReceipt;
  /** Our message id, from the `?m=` of the StatusCallback URL we set. */
  messageId: string | undefined;
}

/** A message status callback; undefined when the status is not one to apply. */
export function parseTwilioStatus(params: TwilioParams, query: URLSearchParams, carrier = 'twilio'): TwilioStatusCallback | undefined {
  const sid = required(params, 'MessageSid');
  const rawStatus = one(params, 'MessageStatus') ?? one(params, 'SmsStatus');
  if (!rawStatus) throw new TwilioPayloadError('missing MessageStatus');
  const status = twilioMessageStatus(rawStatus);
  if (!status) return undefined;
  const errorCode = one(params, 'ErrorCode');
  const failed = status === 'failed' || status === 'undelivered';
  return {
    messageId: query.get('m') ?? undefined,
    receipt: {
      carrier,
      carrierMessageId: sid,
      status,
      ...(failed && errorCode ? { errorCode, reason: mapCarrierError('twilio', errorCode).reason } : {}),
      ...(failed && !errorCode ? { reason: 'carrier_unknown' } : {}),
    },
  };
}

const FINAL_CALL_STATUSES = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

function answeredBy(value: string | undefined): CallEventInput['answeredBy'] {
  if (!value) return undefined;
  if (value === 'human') return 'human';
  if (value.startsWith('machine') || value === 'fax') return 'machine';
  return 'unknown';
}

/**
 * A call status callback (CallStatus, CallDuration, AnsweredBy, Direction), or the `action` request
 * of a `<Dial>` (DialCallStatus, DialCallDuration: the forwarded leg, which tells a missed call
 * from an answered one). Undefined for progress events (initiated, ringing, in-progress) and for
 * the child legs of a Dial (their parent call is the one that counts).
 */
export function parseTwilioCall(params: TwilioParams, carrier = 'twilio'): Omit<CallEventInput, 'orgId'> | undefined {
  const sid = required(params, 'CallSid');
  const dialStatus = one(params, 'DialCallStatus');
  const rawStatus = dialStatus ?? required(params, 'CallStatus');
  const status = (dialStatus === 'answered' ? 'completed' : rawStatus) as CallStatus;
  if (!FINAL_CALL_STATUSES.has(status)) return undefined;
  const direction = one(params, 'Direction') ?? 'inbound';
  if (direction === 'outbound-dial' && one(params, 'ParentCallSid')) return undefined;
  // CallDuration is talk time: 0 for a call nobody answered, which says nothing about how long it
  // rang. Unanswered calls go without a duration (never "too short" on Twilio's say-so).
  const durationText = status !== 'completed' ? undefined : dialStatus ? one(params, 'DialCallDuration') : one(params, 'CallDuration');
  const duration = durationText !== undefined && /^\d+$/.test(durationText) ? Number(durationText) : undefined;
  const timestamp = one(params, 'Timestamp');
  const endedAt = timestamp ? Date.parse(timestamp) : NaN;
  return {
    from: required(params, 'From'),
    to: required(params, 'To'),
    direction: direction === 'inbound' ? 'inbound' : 'outbound',
    status,
    durationSeconds: duration,
    answeredBy: answeredBy(one(params, 'AnsweredBy')),
    ...(Number.isNaN(endedAt) ? {} : { endedAt }),
    externalId: sid,
    carrier,
  };
}

export interface TwilioAgentCallStatus {
  /** Our agent call id, from the `?c=` of the StatusCallback URL we set. */
  agentCallId: string;
  callSid: string;
  outcome: 'answered' | 'missed';
}

/**
 * A status callback of a speed-to-lead ring call (CallSid, CallStatus): answered/in-progress →
 * answered; no-answer, busy, failed, canceled → missed; undefined for the others (initiated,
 * ringing, and `completed`, which follows an answer).
 */
export function parseTwilioAgentCall(params: TwilioParams, query: URLSearchParams): TwilioAgentCallStatus | undefined {
  const agentCallId = query.get('c');
  if (!agentCallId) throw new TwilioPayloadError('missing c (the agent call) in the callback URL');
  const callSid = required(params, 'CallSid');
  const status = required(params, 'CallStatus');
  if (status === 'answered' || status === 'in-progress') return { agentCallId, callSid, outcome: 'answered' };
  if (status === 'no-answer' || status === 'busy' || status === 'failed' || status === 'canceled') return { agentCallId, callSid, outcome: 'missed' };
  return undefined;
}

/** The body Twilio expects from a messaging or voice webhook that has nothing to say. */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';
