/**
 * Twilio Programmable Messaging: sends a text with `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`
 * (form-encoded, HTTP Basic `AccountSid:AuthToken`; /work/shared/reference/twilio.md and the trimmed
 * OpenAPI document twilio-api-v2010.messages-calls.openapi.json).
 *
 * Every send carries `StatusCallback = {publicBaseUrl}/webhooks/twilio/status?m={messageId}`, so a
 * status callback maps back to our row even when the create response was lost.
 *
 * Failures become `CarrierError`s:
 * - 429 → retryable, with `retryAfterMs` from Retry-After (seconds or an HTTP date);
 * - 5xx (and 408) → retryable;
 * - other 4xx → permanent; the Twilio error `code` is mapped to our reason vocabulary by
 *   `mapCarrierError` (21211 invalid_number, 21610 opted_out, 21614 landline_or_unreachable,
 *   21408 unsupported_country, 30007 spam_filtered, … unlisted codes carrier_unknown);
 * - the connection could not be opened (refused, DNS, unreachable) → retryable: nothing was sent;
 * - a timeout, an abort or a connection lost once the request may have left, or a 2xx without a
 *   sid → unknown: Twilio may have accepted the message.
 *
 * `lookup`: Twilio's API cannot find a message by our id (no client reference field), so the
 * adapter only answers for messages whose sid it saw itself, in this process (a bounded memory of
 * recent sends: it covers a crash of the bookkeeping after a successful send, not a lost response).
 * Anything else returns null, and the caller sends again. A durable lookup will come with the
 * status-callback webhook: the callback's `?m=` names our message and carries `MessageSid`.
 */
import { mapCarrierError } from '@textback/core';
import { CarrierError, type CarrierAdapter, type OutboundMessage, type SendResult } from '../carrier.js';

export interface TwilioCarrierOptions {
  /** The carrier name numbers are registered with; defaults to 'twilio'. */
  kind?: string;
  accountSid: string;
  authToken: string;
  /** Twilio's REST origin; tests and benchmarks point it at a fake. */
  baseUrl?: string;
  /** Where Twilio can reach this server, for status callbacks (e.g. https://sms.example.com). */
  publicBaseUrl: string;
  /** Longest wait for Twilio's answer, in ms. */
  timeoutMs?: number;
}

/** Twilio's error body (a JSON object on every 4xx/5xx). */
interface TwilioErrorBody {
  code?: number | string;
  message?: string;
  more_info?: string;
  status?: number;
}

/** Connection errors raised before any byte of the request could leave: safe to retry. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
const REMEMBERED_SIDS = 10_000;

export class TwilioCarrier implements CarrierAdapter {
  readonly kind: string;
  private readonly messagesUrl: string;
  private readonly authorization: string;
  private readonly statusCallbackBase: string;
  private readonly timeoutMs: number;
  /** messageId → sid of recent successful sends (insertion-ordered; oldest evicted first). */
  private readonly sent = new Map<string, string>();

  constructor(options: TwilioCarrierOptions) {
    this.kind = options.kind ?? 'twilio';
    const baseUrl = (options.baseUrl ?? 'https://api.twilio.com').replace(/\/+$/, '');
    this.messagesUrl = `${baseUrl}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`;
    this.authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;
    this.statusCallbackBase = `${options.publicBaseUrl.replace(/\/+$/, '')}/webhooks/twilio/status`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    const form = new URLSearchParams();
    form.set('To', message.to);
    form.set('From', message.from);
    // Body or MediaUrl is required; an MMS may go without text.
    if (message.body !== '' || !message.media?.length) form.set('Body', message.body);
    for (const url of message.media ?? []) form.append('MediaUrl', url);
    form.set('StatusCallback', `${this.statusCallbackBase}?m=${encodeURIComponent(message.messageId)}`);

    let status: number;
    let headers: Headers;
    let text: string;
    try {
      const response = await fetch(this.messagesUrl, {
        method: 'POST',
        headers: {
          authorization: this.authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.status;
      headers = response.headers;
      text = await response.text();
    } catch (error) {
      throw networkError(error, this.timeoutMs);
    }

    const json = parseJson(text);
    if (status >= 200 && status < 300) {
      const sid = json && typeof json === 'object' && 'sid' in json ? (json as { sid: unknown }).sid : undefined;
      if (typeof sid !== 'string' || sid === '') {
        throw new CarrierError('unknown', `http_${status}`, 'carrier_unknown', `Twilio answered ${status} without a message sid`);
      }
      this.remember(message.messageId, sid);
      return { carrierMessageId: sid };
    }

    const body = (json && typeof json === 'object' ? json : {}) as TwilioErrorBody;
    const code = body.code !== undefined && body.code !== null ? String(body.code) : `http_${status}`;
    const detail = `Twilio answered ${status}${body.code !== undefined ? ` (error ${body.code})` : ''}: ${body.message ?? text.slice(0, 200)}`;
    if (status === 429) throw new CarrierError('retryable', code, 'rate_limited', detail, parseRetryAfter(headers.get('retry-after')));
    if (status >= 500 || status === 408) throw new CarrierError('retryable', code, 'carrier_unknown', detail);
    const reason = body.code !== undefined && body.code !== null ? mapCarrierError('twilio', body.code).reason : 'carrier_unknown';
    throw new CarrierError('permanent', code, reason, detail);
  }

  /** Only the sids this process saw (see the module comment); null otherwise. */
  async lookup(_orgId: string, messageId: string): Promise<SendResult | null> {
    const sid = this.sent.get(messageId);
    return sid ? { carrierMessageId: sid } : null;
  }

  private remember(messageId: string, sid: string): void {
    this.sent.set(messageId, sid);
    if (this.sent.size > REMEMBERED_SIDS) {
      const oldest = this.sent.keys().next().value;
      if (oldest !== undefined) this.sent.delete(oldest);
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; errors?: unknown[] };
  if (typeof e.code === 'string') return e.code;
  // Happy eyeballs: an AggregateError of every address tried.
  if (Array.isArray(e.errors)) return errorCode(e.errors[0]);
  return undefined;
}

function networkError(error: unknown, timeoutMs: number): CarrierError {
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new CarrierError('unknown', 'timeout', 'carrier_unknown', `no answer from Twilio within ${timeoutMs} ms; the message may have been accepted`);
  }
  const cause = error instanceof Error ? error.cause : undefined;
  const code = errorCode(cause) ?? errorCode(error);
  const message = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  if (code && NOT_SENT_CODES.has(code)) {
    return new CarrierError('retryable', code, 'carrier_unknown', `could not connect to Twilio (${code}): ${message}`);
  }
  return new CarrierError('unknown', code ?? 'network', 'carrier_unknown', `connection to Twilio failed after the request may have been sent: ${message}`);
}
