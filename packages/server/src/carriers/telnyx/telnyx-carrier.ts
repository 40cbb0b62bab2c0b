/**
 * Telnyx Messaging API v2 (reference: telnyx.md, telnyx-messaging.openapi.json): a text is
 * `POST {base}/messages` with `Authorization: Bearer <API key>` and JSON `{from, to, text,
 * media_urls?, webhook_url}`; the answer is `200 {"data": {"id": "<uuid>", ...}}`.
 *
 * Every send names its own `webhook_url`: `{public}/webhooks/telnyx/{accountId}/messages?m={messageId}`,
 * so `message.sent` / `message.finalized` map back to our row even when the create response was lost.
 *
 * Failures: `{"errors": [{"code", "title", "detail"}]}`; 429 retryable after Retry-After, 5xx/408
 * retryable, other 4xx permanent with `mapCarrierError('telnyx', code)` (40300 STOP → opted_out,
 * 40001 → landline_or_unreachable, ...); network failures as in carriers/http.ts.
 *
 * `lookup`: Telnyx cannot be searched by our reference (its API retrieves a message by its own id
 * only, `GET /messages/{id}`, for 10 days). So: an id this process received is confirmed with
 * `GET /messages/{id}`; otherwise the per-message webhook settles it: after an unknown outcome
 * the send job waits `unknownRetryAfterMs` (2 min by default, Telnyx sends `message.sent` within
 * seconds of accepting) before it looks again, and by then an accepted text is already `sent`.
 *
 * Account operations: `GET {base}/phone_numbers` (paged) lists numbers with their messaging
 * profile; `PATCH {base}/messaging_profiles/{id}` sets the profile's `webhook_url` (inbound texts).
 * The call webhook (Call Control application) is printed to paste.
 */
import { mapCarrierError } from '@textback/core';
import {
  CarrierError,
  type CarrierAccountApi,
  type CarrierAdapter,
  type CarrierNumber,
  type OutboundMessage,
  type SendResult,
  type WebhookSetupResult,
  type WebhookUrls,
} from '../carrier.js';
import { carrierRequest, transientHttpError, trimSlash, type HttpAnswer } from '../http.js';

export interface TelnyxCarrierOptions {
  kind?: string;
  apiKey: string;
  /** Textback's carrier account id: part of the per-message webhook URL. */
  accountId: string;
  /** API origin with its version path; defaults to https://api.telnyx.com/v2. */
  baseUrl?: string;
  publicBaseUrl: string;
  timeoutMs?: number;
  unknownRetryAfterMs?: number;
}

interface TelnyxErrorBody {
  errors?: Array<{ code?: string | number; title?: string; detail?: string }>;
}

const REMEMBERED = 10_000;

export class TelnyxCarrier implements CarrierAdapter, CarrierAccountApi {
  readonly kind: string;
  private readonly baseUrl: string;
  private readonly authorization: string;
  private readonly webhookBase: string;
  private readonly timeoutMs: number;
  private readonly unknownRetryAfterMs: number;
  private readonly sent = new Map<string, string>();

  constructor(options: TelnyxCarrierOptions) {
    this.kind = options.kind ?? 'telnyx';
    this.baseUrl = trimSlash(options.baseUrl ?? 'https://api.telnyx.com/v2');
    this.authorization = `Bearer ${options.apiKey}`;
    this.webhookBase = `${trimSlash(options.publicBaseUrl)}/webhooks/telnyx/${encodeURIComponent(options.accountId)}/messages`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.unknownRetryAfterMs = options.unknownRetryAfterMs ?? 120_000;
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    const media = message.media ?? [];
    const body: Record<string, unknown> = {
      from: message.from,
      to: message.to,
      webhook_url: `${this.webhookBase}?m=${encodeURIComponent(message.messageId)}`,
    };
    if (message.body !== '') body.text = message.body;
    if (media.length > 0) {
      body.media_urls = media;
      body.type = 'MMS';
    }
    const answer = await this.request('POST', '/messages', body);
    if (answer.status >= 200 && answer.status < 300) {
      const id = (answer.json as { data?: { id?: unknown } } | undefined)?.data?.id;
      if (typeof id !== 'string' || id === '') {
        throw new CarrierError('unknown', `http_${answer.status}`, 'carrier_unknown', `Telnyx answered ${answer.status} without a message id`, this.unknownRetryAfterMs);
      }
      this.remember(message.messageId, id);
      return { carrierMessageId: id };
    }
    throw this.failure(answer);
  }

  async lookup(_orgId: string, messageId: string): Promise<SendResult | null> {
    const id = this.sent.get(messageId);
    if (!id) return null;
    const answer = await this.request('GET', `/messages/${encodeURIComponent(id)}`);
    if (answer.status >= 200 && answer.status < 300) return { carrierMessageId: id };
    if (answer.status === 404) return null;
    const error = this.failure(answer);
    throw new CarrierError('retryable', error.code, error.reason, `looking the message up failed: ${error.message}`, error.retryAfterMs);
  }

  async listNumbers(): Promise<CarrierNumber[]> {
    const numbers: CarrierNumber[] = [];
    for (let page = 1; page <= 50; page++) {
      const answer = await this.request('GET', `/phone_numbers?page[number]=${page}&page[size]=250`);
      if (answer.status < 200 || answer.status >= 300) throw this.failure(answer);
      const body = answer.json as
        | { data?: Array<{ id?: string; phone_number?: string; messaging_profile_id?: string | null; connection_name?: string | null }>; meta?: { total_pages?: number } }
        | undefined;
      for (const n of body?.data ?? []) {
        if (!n.phone_number) continue;
        numbers.push({
          e164: n.phone_number,
          carrierNumberId: n.id,
          name: n.connection_name ?? undefined,
          messagingProfileId: n.messaging_profile_id ?? undefined,
          capabilities: ['sms', 'mms', 'voice'],
        });
      }
      if (!body?.meta?.total_pages || page >= body.meta.total_pages) break;
    }
    return numbers;
  }

  async configureWebhooks(numbers: CarrierNumber[], urls: WebhookUrls): Promise<WebhookSetupResult> {
    const result: WebhookSetupResult = { configured: [], manual: [] };
    const profiles = new Set(numbers.map((n) => n.messagingProfileId).filter((p): p is string => !!p));
    for (const profile of profiles) {
      try {
        const answer = await this.request('PATCH', `/messaging_profiles/${encodeURIComponent(profile)}`, { webhook_url: urls.messages, webhook_api_version: '2' });
        if (answer.status < 200 || answer.status >= 300) throw this.failure(answer);
        result.configured.push({ target: `messaging profile ${profile}`, field: 'webhook_url', url: urls.messages });
      } catch (error) {
        result.manual.push({ target: `messaging profile ${profile}`, field: 'Inbound webhook URL', url: urls.messages, why: error instanceof Error ? error.message : String(error) });
      }
    }
    for (const n of numbers.filter((x) => !x.messagingProfileId)) {
      result.manual.push({ target: n.e164, field: 'Messaging profile', url: urls.messages, why: 'the number has no messaging profile: assign one whose inbound webhook URL is this' });
    }
    result.manual.push({ target: 'Call Control application (voice)', field: 'Webhook URL', url: urls.calls, why: 'set on the Call Control application that handles these numbers' });
    return result;
  }

  private request(method: 'GET' | 'POST' | 'PATCH', path: string, json?: unknown): Promise<HttpAnswer> {
    return carrierRequest({
      carrier: 'Telnyx',
      method,
      url: `${this.baseUrl}${path}`,
      headers: { authorization: this.authorization, accept: 'application/json', ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      timeoutMs: this.timeoutMs,
      unknownRetryAfterMs: this.unknownRetryAfterMs,
    });
  }

  private failure(answer: HttpAnswer): CarrierError {
    return telnyxFailure(answer);
  }

  private remember(messageId: string, id: string): void {
    this.sent.set(messageId, id);
    if (this.sent.size > REMEMBERED) {
      const oldest = this.sent.keys().next().value;
      if (oldest !== undefined) this.sent.delete(oldest);
    }
  }
}

/**
 * A Telnyx error answer as a CarrierError: `{"errors": [{"code", "title", "detail"}]}`; 429 and
 * 5xx/408 retryable, other 4xx permanent (messaging codes mapped by `mapCarrierError`).
 */
export function telnyxFailure(answer: HttpAnswer): CarrierError {
  const first = ((answer.json && typeof answer.json === 'object' ? answer.json : {}) as TelnyxErrorBody).errors?.[0];
  const hasCode = first?.code !== undefined && first.code !== null && String(first.code) !== '';
  const code = hasCode ? String(first!.code) : `http_${answer.status}`;
  const detail = `Telnyx answered ${answer.status}${hasCode ? ` (error ${code})` : ''}: ${first?.title ?? answer.text.slice(0, 200)}${first?.detail ? ` — ${first.detail}` : ''}`;
  const transient = transientHttpError('Telnyx', answer, code, detail);
  if (transient) return transient;
  return new CarrierError('permanent', code, hasCode ? mapCarrierError('telnyx', code).reason : 'carrier_unknown', detail);
}
