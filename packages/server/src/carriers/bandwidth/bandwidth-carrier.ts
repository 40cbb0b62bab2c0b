/**
 * Bandwidth Messaging API v2 (reference: bandwidth.md, bandwidth-messaging-voice.openapi.json): a
 * text is `POST {base}/users/{accountId}/messages` with HTTP Basic (API user and password) and
 * JSON `{applicationId, to: [to], from, text, media?, tag}`; the answer is `202` with the message
 * (`id`). `tag` carries our message id: Bandwidth echoes it in every callback of the message.
 *
 * Failures: 400 `{"type", "description", "fieldErrors"}` and other 4xx are permanent
 * (carrier_unknown: Bandwidth's synchronous errors carry no delivery code); 429
 * (max-message-queue-size-exceeded) retryable after Retry-After; 5xx retryable; network as in
 * carriers/http.ts. Delivery failures arrive later as `message-failed` callbacks with an
 * `errorCode` (4xxx/5xxx/9xxx), mapped by `mapCarrierError('bandwidth', …)`.
 *
 * `lookup`: Bandwidth cannot be searched by tag. In order: an id this process received; the
 * callbacks (they carry our tag: a `message-delivered` / `-failed` / `-sending` moves the message
 * on, so the send job stops); with a hint, the list API
 * `GET {base}/users/{accountId}/messages?sourceTn=&destinationTn=&messageDirection=OUTBOUND&fromDateTime=`
 * (receive time at or after our message's creation), skipping ids already recorded on another of
 * our messages. The list has no text, so two texts to the same person within the window are told
 * apart only by that. After an unknown outcome the send job waits `unknownRetryAfterMs` first.
 *
 * Account operations: numbers come from the Dashboard API (`GET {dashboard}/accounts/{accountId}/inserviceNumbers`,
 * XML); callback URLs and their Basic credentials are set on the Bandwidth application by hand
 * (printed by `textback carriers webhooks`), as the Dashboard's application API is not part of the
 * reference documents.
 */
import {
  CarrierError,
  type CarrierAccountApi,
  type CarrierAdapter,
  type CarrierNumber,
  type LookupHint,
  type OutboundMessage,
  type SendResult,
  type WebhookSetupResult,
  type WebhookUrls,
} from '../carrier.js';
import { basicAuth, carrierRequest, transientHttpError, trimSlash, type HttpAnswer } from '../http.js';

export interface BandwidthCarrierOptions {
  kind?: string;
  /** Bandwidth account id (the `{accountId}` of the API paths). */
  bandwidthAccountId: string;
  applicationId: string;
  apiUser: string;
  apiPassword: string;
  /** Messaging API origin with its version path; defaults to https://messaging.bandwidth.com/api/v2. */
  baseUrl?: string;
  /** Dashboard API origin (numbers); defaults to https://dashboard.bandwidth.com/api. */
  dashboardUrl?: string;
  timeoutMs?: number;
  unknownRetryAfterMs?: number;
  isClaimed?: (id: string) => Promise<boolean>;
}

interface BandwidthErrorBody {
  type?: string;
  description?: string;
  fieldErrors?: Array<{ fieldName?: string; description?: string }>;
}

const REMEMBERED = 10_000;
const CLOCK_SKEW_MS = 60_000;

export class BandwidthCarrier implements CarrierAdapter, CarrierAccountApi {
  readonly kind: string;
  private readonly messagesUrl: string;
  private readonly dashboardUrl: string;
  private readonly bandwidthAccountId: string;
  private readonly applicationId: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;
  private readonly unknownRetryAfterMs: number;
  private readonly isClaimed: (id: string) => Promise<boolean>;
  private readonly sent = new Map<string, string>();

  constructor(options: BandwidthCarrierOptions) {
    this.kind = options.kind ?? 'bandwidth';
    this.bandwidthAccountId = options.bandwidthAccountId;
    this.messagesUrl = `${trimSlash(options.baseUrl ?? 'https://messaging.bandwidth.com/api/v2')}/users/${encodeURIComponent(options.bandwidthAccountId)}/messages`;
    this.dashboardUrl = trimSlash(options.dashboardUrl ?? 'https://dashboard.bandwidth.com/api');
    this.applicationId = options.applicationId;
    this.authorization = basicAuth(options.apiUser, options.apiPassword);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.unknownRetryAfterMs = options.unknownRetryAfterMs ?? 120_000;
    this.isClaimed = options.isClaimed ?? (async () => false);
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    const body: Record<string, unknown> = {
      applicationId: this.applicationId,
      to: [message.to],
      from: message.from,
      text: message.body,
      tag: message.messageId,
    };
    if (message.media?.length) body.media = message.media;
    const answer = await this.request('POST', this.messagesUrl, 'application/json', JSON.stringify(body));
    if (answer.status >= 200 && answer.status < 300) {
      const id = (answer.json as { id?: unknown } | undefined)?.id;
      if (typeof id !== 'string' || id === '') {
        throw new CarrierError('unknown', `http_${answer.status}`, 'carrier_unknown', `Bandwidth answered ${answer.status} without a message id`, this.unknownRetryAfterMs);
      }
      this.remember(message.messageId, id);
      return { carrierMessageId: id };
    }
    throw this.failure(answer);
  }

  async lookup(_orgId: string, messageId: string, hint?: LookupHint): Promise<SendResult | null> {
    const known = this.sent.get(messageId);
    if (known) return { carrierMessageId: known };
    if (!hint) return null;
    const query = new URLSearchParams({
      sourceTn: hint.from,
      destinationTn: hint.to,
      messageDirection: 'OUTBOUND',
      fromDateTime: new Date(hint.createdAt - CLOCK_SKEW_MS).toISOString(),
      limit: '50',
    });
    const answer = await this.request('GET', `${this.messagesUrl}?${query.toString()}`);
    if (answer.status < 200 || answer.status >= 300) {
      const error = this.failure(answer);
      throw new CarrierError('retryable', error.code, error.reason, `looking the message up failed: ${error.message}`, error.retryAfterMs);
    }
    const listed = ((answer.json as { messages?: Array<{ messageId?: string; receiveTime?: string }> } | undefined)?.messages ?? [])
      .filter((m) => typeof m.messageId === 'string' && m.messageId !== '')
      .sort((a, b) => Date.parse(a.receiveTime ?? '') - Date.parse(b.receiveTime ?? ''));
    for (const m of listed) {
      if (!(await this.isClaimed(m.messageId!))) return { carrierMessageId: m.messageId! };
    }
    return null;
  }

  async listNumbers(): Promise<CarrierNumber[]> {
    const numbers: CarrierNumber[] = [];
    for (let page = 1; page <= 50; page++) {
      const url = `${this.dashboardUrl}/accounts/${encodeURIComponent(this.bandwidthAccountId)}/inserviceNumbers?page=${page}&size=1000`;
      const answer = await this.request('GET', url, undefined, undefined, 'application/xml');
      if (answer.status < 200 || answer.status >= 300) throw this.failure(answer);
      const found = [...answer.text.matchAll(/<TelephoneNumber>\s*\+?(\d{10,15})\s*<\/TelephoneNumber>/g)].map((m) => m[1]!);
      for (const digits of found) numbers.push({ e164: digits.length === 10 ? `+1${digits}` : `+${digits}`, capabilities: ['sms', 'mms', 'voice'] });
      if (found.length < 1000) break;
    }
    return numbers;
  }

  async configureWebhooks(_numbers: CarrierNumber[], urls: WebhookUrls): Promise<WebhookSetupResult> {
    const why = 'set on the Bandwidth application in the Dashboard, with the callback user and password of this account';
    return {
      configured: [],
      manual: [
        { target: `messaging application ${this.applicationId}`, field: 'Callback URL (inbound and status)', url: urls.messages, why },
        { target: 'voice application', field: 'Call status (disconnect) callback URL', url: urls.calls, why },
      ],
    };
  }

  private request(method: 'GET' | 'POST', url: string, contentType?: string, body?: string, accept = 'application/json'): Promise<HttpAnswer> {
    return carrierRequest({
      carrier: 'Bandwidth',
      method,
      url,
      headers: { authorization: this.authorization, accept, ...(contentType ? { 'content-type': contentType } : {}) },
      ...(body !== undefined ? { body } : {}),
      timeoutMs: this.timeoutMs,
      unknownRetryAfterMs: this.unknownRetryAfterMs,
    });
  }

  private failure(answer: HttpAnswer): CarrierError {
    const body = (answer.json && typeof answer.json === 'object' ? answer.json : {}) as BandwidthErrorBody;
    const code = body.type ? body.type : `http_${answer.status}`;
    const fields = (body.fieldErrors ?? []).map((f) => `${f.fieldName ?? '?'}: ${f.description ?? ''}`).join('; ');
    const detail = `Bandwidth answered ${answer.status}${body.type ? ` (${body.type})` : ''}: ${body.description ?? answer.text.slice(0, 200)}${fields ? ` [${fields}]` : ''}`;
    const transient = transientHttpError('Bandwidth', answer, code, detail);
    if (transient) return transient;
    const invalidTo = (body.fieldErrors ?? []).some((f) => f.fieldName === 'to');
    return new CarrierError('permanent', code, invalidTo ? 'invalid_number' : 'carrier_unknown', detail);
  }

  private remember(messageId: string, id: string): void {
    this.sent.set(messageId, id);
    if (this.sent.size > REMEMBERED) {
      const oldest = this.sent.keys().next().value;
      if (oldest !== undefined) this.sent.delete(oldest);
    }
  }
}
