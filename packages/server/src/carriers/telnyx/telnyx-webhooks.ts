/**
 * Telnyx's webhooks (reference: telnyx.md, telnyx-signature-vectors.json, the `webhooks` of
 * telnyx-messaging.openapi.json).
 *
 * Signature (telnyx npm 7.24 `TelnyxWebhook.verify`): `telnyx-signature-ed25519` is the base64
 * Ed25519 signature of `${telnyx-timestamp}|${raw body}` with the account's public key (base64,
 * 32 bytes, from Mission Control). Refused: a missing or non-numeric timestamp, one more than
 * 300 s from now (either way: replays and clock games), a signature that is not 64 bytes, and of
 * course one that does not verify. The raw bytes are verified, never re-serialised JSON.
 *
 * Envelope: `{"data": {"event_type", "id", "occurred_at", "payload": {...}}, "meta": {...}}`.
 *
 * Answering-machine detection: `call.machine.detection.ended` (`result`: human, machine, not_sure;
 * the CallMachineDetectionEnded webhook of the reference document) and, with premium detection,
 * `call.machine.premium.detection.ended` (human_residence, human_business, machine, silence,
 * fax_detected; developers.telnyx.com, Dial `answering_machine_detection`) become a detection of
 * the call leg, merged into the call's `answered_by` (use-cases/calls.ts).
 *
 * Speed-to-lead ring calls (telnyx-call-control.ts) report on their own URL (`…/agent-calls`):
 * `call.answered`, `call.hangup` and `call.speak.ended`, with our agent call id in `client_state`.
 */
import crypto from 'node:crypto';
import { mapCarrierError } from '@textback/core';
import type { DeliveryReceipt, InboundMessage } from '../carrier.js';
import type { CallDetectionInput, CallEventInput, CallStatus } from '../../use-cases/calls.js';

export const TELNYX_TOLERANCE_SECONDS = 300;

/** The DER prefix of an Ed25519 SubjectPublicKeyInfo, before the 32 raw key bytes. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function telnyxPublicKey(base64: string): crypto.KeyObject {
  const raw = Buffer.from(base64.trim(), 'base64');
  if (raw.length !== 32) throw new Error(`a Telnyx public key is 32 bytes (base64); got ${raw.length}`);
  return crypto.createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

export type TelnyxVerdict = { ok: true } | { ok: false; why: 'unsigned' | 'stale' | 'forged' };

export function verifyTelnyxSignature(
  publicKey: crypto.KeyObject,
  headers: { signature: string | undefined; timestamp: string | undefined },
  rawBody: Buffer,
  nowMs: number,
  toleranceSeconds = TELNYX_TOLERANCE_SECONDS,
): TelnyxVerdict {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp) return { ok: false, why: 'unsigned' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, why: 'forged' };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSeconds) return { ok: false, why: 'stale' };
  const sig = Buffer.from(signature, 'base64');
  if (sig.length !== 64) return { ok: false, why: 'forged' };
  const signed = Buffer.concat([Buffer.from(`${timestamp}|`, 'utf8'), rawBody]);
  return crypto.verify(null, signed, publicKey, sig) ? { ok: true } : { ok: false, why: 'forged' };
}

export class TelnyxPayloadError extends Error {}

export type TelnyxEvent =
  | { type: 'inbound'; eventId: string; message: InboundMessage }
  | { type: 'receipt'; eventId: string; receipt: DeliveryReceipt; messageId: string | undefined }
  | { type: 'call'; eventId: string; call: Omit<CallEventInput, 'orgId'> }
  | { type: 'detection'; eventId: string; detection: CallDetectionInput }
  | { type: 'ignored'; eventId: string; eventType: string };

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new TelnyxPayloadError(`missing ${what}`);
  return value;
}

/** to[].status → our status; undefined when it says nothing new (delivery_unconfirmed: no DLR came). */
export function telnyxMessageStatus(status: string): DeliveryReceipt['status'] | undefined {
  switch (status) {
    case 'queued':
    case 'sending':
    case 'sent':
    case 'delivery_unconfirmed':
      return 'sent';
    case 'delivered':
      return 'delivered';
    case 'sending_failed':
      return 'failed';
    case 'delivery_failed':
    case 'expired':
      return 'undelivered';
    default:
      return undefined;
  }
}

/** hangup_cause → the generic call status (same classification as every other source). */
export function telnyxHangupStatus(cause: string): CallStatus {
  switch (cause) {
    case 'normal_clearing':
    case 'time_limit':
      return 'completed';
    case 'originator_cancel':
      return 'canceled';
    case 'no_answer':
    case 'timeout':
      return 'no-answer';
    case 'user_busy':
    case 'call_rejected':
      return 'busy';
    default:
      // not_found, unspecified
      return 'failed';
  }
}

/** Parses a verified webhook body. `query` is the webhook URL's query (our `?m=` on message webhooks). */
export function parseTelnyxEvent(json: unknown, query: URLSearchParams, carrier = 'telnyx'): TelnyxEvent {
  const data = need(obj(obj(json)?.data), 'data');
  const eventType = need(str(data.event_type), 'data.event_type');
  const eventId = need(str(data.id), 'data.id');
  const payload = need(obj(data.payload), 'data.payload');
  const occurredAt = str(data.occurred_at) ? Date.parse(str(data.occurred_at)!) : NaN;

  switch (eventType) {
    case 'message.received': {
      const id = need(str(payload.id), 'payload.id');
      const from = need(str(obj(payload.from)?.phone_number), 'payload.from.phone_number');
      const to = need(Array.isArray(payload.to) ? str(obj(payload.to[0])?.phone_number) : undefined, 'payload.to[0].phone_number');
      const media = (Array.isArray(payload.media) ? payload.media : []).map((m) => str(obj(m)?.url)).filter((u): u is string => !!u);
      const text = typeof payload.text === 'string' ? payload.text : '';
      return { type: 'inbound', eventId, message: { carrier, carrierMessageId: id, from, to, body: text, ...(media.length ? { media } : {}) } };
    }
    case 'message.sent':
    case 'message.finalized': {
      const id = need(str(payload.id), 'payload.id');
      const first = Array.isArray(payload.to) ? obj(payload.to[0]) : undefined;
      const rawStatus = need(str(first?.status), 'payload.to[0].status');
      const status = telnyxMessageStatus(rawStatus);
      if (!status) return { type: 'ignored', eventId, eventType: `${eventType}:${rawStatus}` };
      const error = Array.isArray(payload.errors) ? obj(payload.errors[0]) : undefined;
      const code = error?.code !== undefined && error.code !== null ? String(error.code) : undefined;
      const failed = status === 'failed' || status === 'undelivered';
      return {
        type: 'receipt',
        eventId,
        messageId: query.get('m') ?? undefined,
        receipt: {
          carrier,
          carrierMessageId: id,
          status,
          ...(failed ? { errorCode: code, reason: code ? mapCarrierError('telnyx', code).reason : 'carrier_unknown' } : {}),
        },
      };
    }
    case 'call.hangup': {
      const legId = need(str(payload.call_leg_id) ?? str(payload.call_control_id), 'payload.call_leg_id');
      const cause = need(str(payload.hangup_cause), 'payload.hangup_cause');
      const startedAt = str(payload.start_time) ? Date.parse(str(payload.start_time)!) : NaN;
      const endedAt = str(payload.end_time) ? Date.parse(str(payload.end_time)!) : occurredAt;
      const duration = !Number.isNaN(startedAt) && !Number.isNaN(endedAt) ? Math.max(0, Math.round((endedAt - startedAt) / 1000)) : undefined;
      return {
        type: 'call',
        eventId,
        call: {
          from: need(str(payload.from), 'payload.from'),
          to: need(str(payload.to), 'payload.to'),
          direction: payload.direction === 'outgoing' ? 'outbound' : 'inbound',
          status: telnyxHangupStatus(cause),
          durationSeconds: duration,
          ...(Number.isNaN(startedAt) ? {} : { startedAt }),
          ...(Number.isNaN(endedAt) ? {} : { endedAt }),
          externalId: legId,
          carrier,
        },
      };
    }
    case 'call.machine.detection.ended':
    case 'call.machine.premium.detection.ended': {
      const result = need(str(payload.result), 'payload.result');
      return {
        type: 'detection',
        eventId,
        detection: {
          carrier,
          // The same id as call.hangup's externalId (the documented example has call_leg_id only).
          externalId: need(str(payload.call_leg_id) ?? str(payload.call_control_id), 'payload.call_leg_id'),
          answeredBy: telnyxAnsweredBy(result),
          from: need(str(payload.from), 'payload.from'),
          to: need(str(payload.to), 'payload.to'),
        },
      };
    }
    default:
      return { type: 'ignored', eventId, eventType };
  }
}

/** An AMD result → who answered: human_* → human; machine, fax_detected → machine; not_sure, silence, anything new → unknown. */
export function telnyxAnsweredBy(result: string): CallDetectionInput['answeredBy'] {
  if (result === 'human' || result.startsWith('human_')) return 'human';
  if (result === 'machine' || result === 'fax_detected') return 'machine';
  return 'unknown';
}

/** What a speed-to-lead ring call's webhook says about the agent's phone. */
export interface TelnyxAgentCallEvent {
  /** Our agent call id, from `client_state`. */
  agentCallId: string;
  /** Telnyx's call_control_id (what the hang-up and speak commands take). */
  callSid: string;
  /**
   * answered: the agent picked up (`call.answered`, or a `call.hangup` after an answer whose
   * `call.answered` was lost or comes late); missed: it ended unanswered (no_answer, timeout,
   * busy, rejected, ...); spoken: the announcement was said (`call.speak.ended`).
   */
  outcome: 'answered' | 'missed' | 'spoken';
  /** `call.answered`: the announcement is due (speak), or the call must end if no longer needed. */
  speak: boolean;
}

/** A verified webhook of a ring call; `event` is undefined for the events it has no use for (call.initiated, ...). */
export function parseTelnyxAgentCallEvent(json: unknown): { eventId: string; eventType: string; event?: TelnyxAgentCallEvent } {
  const data = need(obj(obj(json)?.data), 'data');
  const eventType = need(str(data.event_type), 'data.event_type');
  const eventId = need(str(data.id), 'data.id');
  const payload = need(obj(data.payload), 'data.payload');
  if (eventType !== 'call.answered' && eventType !== 'call.hangup' && eventType !== 'call.speak.ended') return { eventId, eventType };
  const state = need(str(payload.client_state), 'payload.client_state');
  const agentCallId = Buffer.from(state, 'base64').toString('utf8');
  if (!/^[\w-]{1,100}$/.test(agentCallId)) throw new TelnyxPayloadError('payload.client_state is not one of our agent calls');
  const callSid = need(str(payload.call_control_id), 'payload.call_control_id');
  const outcome =
    eventType === 'call.answered' ? 'answered' : eventType === 'call.speak.ended' ? 'spoken' : telnyxHangupStatus(need(str(payload.hangup_cause), 'payload.hangup_cause')) === 'completed' ? 'answered' : 'missed';
  return { eventId, eventType, event: { agentCallId, callSid, outcome, speak: eventType === 'call.answered' } };
}
