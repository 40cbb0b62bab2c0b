/**
 * Bandwidth's callbacks (reference: bandwidth.md, bandwidth-messaging-webhooks.md, the callback
 * schemas of bandwidth-messaging-voice.openapi.json).
 *
 * Bandwidth does not sign callbacks. As it recommends, each Textback carrier account has its own
 * callback user and password, set on the Bandwidth application; every callback must carry them as
 * HTTP Basic credentials (compared in constant time), or it is refused with 403.
 *
 * Messaging callbacks are a JSON array of events: `message-received` (inbound), `message-sending`,
 * `message-sent`, `message-delivered`, `message-failed` (with `errorCode`); `message-read` (RBM) is ignored; `message.tag` is our message id on
 * texts we sent. Voice: the `disconnect` event (cause, startTime, answerTime, endTime) ends a call.
 *
 * Answering-machine detection: `machineDetectionComplete` (async mode, sent to the detection's
 * `callbackUrl`) and an `answer` event carrying `machineDetectionResult` (sync mode) give
 * `machineDetectionResult.value` (human, answering-machine, tone-detected, silence, timeout,
 * error; schemas machineDetectionCompleteCallback / machineDetectionResult of the reference
 * document, dev.bandwidth.com/docs/voice/webhooks/machineDetectionComplete), merged into the call
 * with that `callId` (use-cases/calls.ts).
 *
 * Speed-to-lead ring calls (bandwidth-voice.ts) call back on `…/agent-calls`: `answer` (answered
 * by BXML: the announcement, then Hangup) and `disconnect`, with our agent call id as `tag`.
 */
import crypto from 'node:crypto';
import { mapCarrierError } from '@textback/core';
import type { DeliveryReceipt, InboundMessage } from '../carrier.js';
import type { CallDetectionInput, CallEventInput, CallStatus } from '../../use-cases/calls.js';

export function verifyBandwidthBasic(header: string | undefined, username: string, password: string): boolean {
  // No configured password means no way in (never `user:` with an empty password).
  if (!header || !username || !password) return false;
  const expected = Buffer.from(`Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`);
  const given = Buffer.from(header.trim());
  // Hash both so the comparison takes the same time whatever the lengths.
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b) && given.length === expected.length;
}

export class BandwidthPayloadError extends Error {}

export type BandwidthMessageEvent =
  | { type: 'inbound'; message: InboundMessage }
  | { type: 'receipt'; receipt: DeliveryReceipt; messageId: string | undefined }
  | { type: 'ignored'; eventType: string };

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new BandwidthPayloadError(`missing ${what}`);
  return value;
}

/** message-failed → failed when Bandwidth refused it itself (4xxx but 47xx), undelivered when the network did. */
function failedStatus(code: number | undefined): 'failed' | 'undelivered' {
  if (code !== undefined && code >= 4000 && code < 5000 && !(code >= 4700 && code < 4800)) return 'failed';
  return 'undelivered';
}

export function parseBandwidthMessageEvents(json: unknown, carrier = 'bandwidth'): BandwidthMessageEvent[] {
  if (!Array.isArray(json)) throw new BandwidthPayloadError('the body must be a JSON array of events');
  if (json.length === 0) throw new BandwidthPayloadError('no event in the body');
  return json.map((item, i): BandwidthMessageEvent => {
    const event = need(obj(item), `[${i}]`);
    const type = need(str(event.type), `[${i}].type`);
    const message = need(obj(event.message), `[${i}].message`);
    const id = need(str(message.id), `[${i}].message.id`);
    switch (type) {
      case 'message-received': {
        const media = (Array.isArray(message.media) ? message.media : []).filter((u): u is string => typeof u === 'string' && u !== '');
        return {
          type: 'inbound',
          message: {
            carrier,
            carrierMessageId: id,
            from: need(str(message.from), `[${i}].message.from`),
            to: need(str(event.to) ?? str(message.owner), `[${i}].to`),
            body: typeof message.text === 'string' ? message.text : '',
            ...(media.length ? { media } : {}),
          },
        };
      }
      case 'message-sending':
      case 'message-sent':
      case 'message-delivered':
      case 'message-failed': {
        const tag = str(message.tag);
        if (type !== 'message-failed') {
          return { type: 'receipt', messageId: tag, receipt: { carrier, carrierMessageId: id, status: type === 'message-delivered' ? 'delivered' : 'sent' } };
        }
        const raw = event.errorCode;
        const code = typeof raw === 'number' || (typeof raw === 'string' && /^\d+$/.test(raw)) ? Number(raw) : undefined;
        return {
          type: 'receipt',
          messageId: tag,
          receipt: {
            carrier,
            carrierMessageId: id,
            status: failedStatus(code),
            errorCode: code !== undefined ? String(code) : undefined,
            reason: code !== undefined ? mapCarrierError('bandwidth', code).reason : 'carrier_unknown',
          },
        };
      }
      default:
        return { type: 'ignored', eventType: type };
    }
  });
}

/** The generic status of a call that ended with this cause, answered or not. */
export function bandwidthDisconnectStatus(cause: string, answered: boolean): CallStatus {
  if (answered) return 'completed';
  switch (cause) {
    case 'busy':
    case 'rejected':
      return 'busy';
    case 'timeout':
      return 'no-answer';
    case 'cancel':
    case 'hangup':
      // The caller hung up before anyone answered.
      return 'canceled';
    default:
      return 'failed';
  }
}

/** A voice callback: the `disconnect` event becomes a call; anything else is ignored (undefined). */
export function parseBandwidthCallEvent(json: unknown, carrier = 'bandwidth'): Omit<CallEventInput, 'orgId'> | undefined {
  const event = obj(json);
  if (!event) throw new BandwidthPayloadError('the body must be a JSON object');
  const type = need(str(event.eventType), 'eventType');
  if (type !== 'disconnect') return undefined;
  const time = (v: unknown) => (str(v) ? Date.parse(str(v)!) : NaN);
  const startedAt = time(event.startTime);
  const answeredAt = time(event.answerTime);
  const endedAt = Number.isNaN(time(event.endTime)) ? time(event.eventTime) : time(event.endTime);
  const answered = !Number.isNaN(answeredAt);
  const from = answered ? answeredAt : startedAt;
  const duration = !Number.isNaN(from) && !Number.isNaN(endedAt) ? Math.max(0, Math.round((endedAt - from) / 1000)) : undefined;
  return {
    from: need(str(event.from), 'from'),
    to: need(str(event.to), 'to'),
    direction: event.direction === 'outbound' ? 'outbound' : 'inbound',
    status: bandwidthDisconnectStatus(need(str(event.cause), 'cause'), answered),
    durationSeconds: duration,
    ...(Number.isNaN(startedAt) ? {} : { startedAt }),
    ...(Number.isNaN(endedAt) ? {} : { endedAt }),
    externalId: need(str(event.callId), 'callId'),
    carrier,
  };
}

/** machineDetectionResult.value → who answered: answering-machine and tone-detected are a machine; silence, timeout, error undetermined. */
export function bandwidthAnsweredBy(value: string): CallDetectionInput['answeredBy'] {
  if (value === 'human') return 'human';
  if (value === 'answering-machine' || value === 'tone-detected') return 'machine';
  return 'unknown';
}

/**
 * A voice callback with an answering-machine result (`machineDetectionComplete`, or `answer`
 * with `machineDetectionResult`); undefined for any other callback.
 */
export function parseBandwidthDetection(json: unknown, carrier = 'bandwidth'): CallDetectionInput | undefined {
  const event = obj(json);
  if (!event) throw new BandwidthPayloadError('the body must be a JSON object');
  const type = need(str(event.eventType), 'eventType');
  const result = obj(event.machineDetectionResult);
  if (type !== 'machineDetectionComplete' && !(type === 'answer' && result)) return undefined;
  return {
    carrier,
    externalId: need(str(event.callId), 'callId'),
    answeredBy: bandwidthAnsweredBy(need(str(result?.value), 'machineDetectionResult.value')),
    from: need(str(event.from), 'from'),
    to: need(str(event.to), 'to'),
  };
}

/** What a speed-to-lead ring call's callback says about the agent's phone. */
export interface BandwidthAgentCallEvent {
  /** Our agent call id, from `tag`. */
  agentCallId: string;
  callSid: string;
  /** answered: `answer`, or a `disconnect` with an `answerTime` (the answer callback was lost); missed: a disconnect before any answer. */
  outcome: 'answered' | 'missed';
  /** The `answer` callback: Bandwidth waits for the BXML of the call in its response. */
  isAnswer: boolean;
}

/** A ring call's callback; undefined for the events it has no use for. */
export function parseBandwidthAgentCallEvent(json: unknown): BandwidthAgentCallEvent | undefined {
  const event = obj(json);
  if (!event) throw new BandwidthPayloadError('the body must be a JSON object');
  const type = need(str(event.eventType), 'eventType');
  if (type !== 'answer' && type !== 'disconnect') return undefined;
  const agentCallId = need(str(event.tag), 'tag');
  const callSid = need(str(event.callId), 'callId');
  const answered = type === 'answer' || str(event.answerTime) !== undefined;
  return { agentCallId, callSid, outcome: answered ? 'answered' : 'missed', isAnswer: type === 'answer' };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

/** The BXML answered to a ring call's `answer` callback: the words, then hang up. */
export function agentCallBxml(words: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Response><SpeakSentence>${escapeXml(words)}</SpeakSentence><Hangup/></Response>`;
}
