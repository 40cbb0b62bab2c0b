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
 *
 * Buying numbers (`NumberOrderingApi`), checked against the telnyx npm package 7.24.0's types
 * (resources/available-phone-numbers.d.ts, number-orders.d.ts, phone-numbers/phone-numbers.d.ts;
 * query arrays comma-separated as its internal/utils/query.js sends them):
 * - search: `GET /available_phone_numbers?filter[country_code]=&filter[national_destination_code]=
 *   &filter[locality]=&filter[phone_number][contains]=&filter[features]=sms,voice&filter[limit]=`;
 * - buy: `POST /number_orders {phone_numbers: [{phone_number}], messaging_profile_id, connection_id?}`
 *   (the account's settings), then the messaging profile's `webhook_url` is set (as configureWebhooks
 *   does). An order whose number has `requirements_met: false` waits for regulatory documents:
 *   regulatory_requirement, naming the order; an order answered with status `failure`: number_unavailable;
 * - release: `GET /phone_numbers?filter[phone_number]=` for its id, then `DELETE /phone_numbers/{id}`.
 * Errors: 401 / 403 (Telnyx 10009 authentication failed, 10010 not authorized) → carrier_auth_failed;
 * 402, or a title or detail naming the balance → insufficient_balance; other 4xx with the number named
 * "not available" → number_unavailable (https://developers.telnyx.com/development/api-fundamentals/api-errors).
 */
import { mapCarrierError } from '@textback/core';
import {
  CarrierError,
  type CarrierAccountApi,
  type CarrierAdapter,
  type AvailableNumber,
  type BoughtNumber,
  type CarrierNumber,
  type NumberOrderingApi,
  type NumberSearch,
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
  /** Numbers bought are put on this messaging profile (its webhook_url receives their texts)... */
  messagingProfileId?: string | undefined;
  /** ...and this Call Control application (calls). */
  connectionId?: string | undefined;
}

interface TelnyxAvailableNumber {
  phone_number?: string;
  region_information?: Array<{ region_name?: string; region_type?: string }>;
  features?: Array<{ name?: string }>;
  cost_information?: { currency?: string; monthly_cost?: string };
}

interface TelnyxOrderedNumber {
  id?: string;
  phone_number?: string;
  status?: string;
  requirements_met?: boolean;
  regulatory_requirements?: Array<{ requirement_id?: string; field_type?: string }>;
}

interface TelnyxErrorBody {
  errors?: Array<{ code?: string | number; title?: string; detail?: string }>;
}

const REMEMBERED = 10_000;

export class TelnyxCarrier implements CarrierAdapter, CarrierAccountApi, NumberOrderingApi {
  readonly kind: string;
  private readonly baseUrl: string;
  private readonly authorization: string;
  private readonly webhookBase: string;
  private readonly timeoutMs: number;
  private readonly unknownRetryAfterMs: number;
  private readonly sent = new Map<string, string>();
  private readonly messagingProfileId: string | undefined;
  private readonly connectionId: string | undefined;

  constructor(options: TelnyxCarrierOptions) {
    this.kind = options.kind ?? 'telnyx';
    this.baseUrl = trimSlash(options.baseUrl ?? 'https://api.telnyx.com/v2');
    this.authorization = `Bearer ${options.apiKey}`;
    this.webhookBase = `${trimSlash(options.publicBaseUrl)}/webhooks/telnyx/${encodeURIComponent(options.accountId)}/messages`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.unknownRetryAfterMs = options.unknownRetryAfterMs ?? 120_000;
    this.messagingProfileId = options.messagingProfileId || undefined;
    this.connectionId = options.connectionId || undefined;
  }

  async searchAvailableNumbers(search: NumberSearch): Promise<AvailableNumber[]> {
    const query = new URLSearchParams({ 'filter[country_code]': search.country });
    if (search.areaCode) query.set('filter[national_destination_code]', search.areaCode);
    if (search.locality) query.set('filter[locality]', search.locality);
    if (search.contains) query.set('filter[phone_number][contains]', search.contains);
    if (search.capabilities?.length) query.set('filter[features]', search.capabilities.join(','));
    query.set('filter[limit]', String(search.limit));
    const answer = await this.request('GET', `/available_phone_numbers?${query.toString()}`);
    if (answer.status < 200 || answer.status >= 300) throw telnyxNumberFailure(answer);
    const listed = (answer.json as { data?: TelnyxAvailableNumber[] } | undefined)?.data ?? [];
    return listed
      .filter((n) => typeof n.phone_number === 'string')
      .map((n) => {
        const region = (type: string) => n.region_information?.find((r) => r.region_type === type)?.region_name ?? null;
        const features = new Set((n.features ?? []).map((f) => f.name));
        const cost = n.cost_information;
        return {
          phone: n.phone_number!,
          locality: region('location') ?? region('rate_center'),
          region: region('state'),
          country: region('country_code') ?? search.country,
          capabilities: { sms: features.has('sms'), voice: features.has('voice'), mms: features.has('mms') },
          ...(cost?.monthly_cost ? { monthlyPrice: `${cost.monthly_cost}${cost.currency ? ` ${cost.currency}` : ''}` } : {}),
        };
      });
  }

  async buyNumber(phone: string, urls: WebhookUrls): Promise<BoughtNumber> {
    if (!this.messagingProfileId) {
      throw new CarrierError(
        'permanent',
        'no_messaging_profile',
        'regulatory_requirement',
        'the Telnyx account has no settings.messaging_profile_id: a number bought without a messaging profile cannot text; set it (PATCH /v1/carrier-accounts/:id) first',
      );
    }
    const order: Record<string, unknown> = { phone_numbers: [{ phone_number: phone }], messaging_profile_id: this.messagingProfileId };
    if (this.connectionId) order.connection_id = this.connectionId;
    const answer = await this.request('POST', '/number_orders', order);
    if (answer.status < 200 || answer.status >= 300) throw telnyxNumberFailure(answer);
    const data = (answer.json as { data?: { id?: string; status?: string; phone_numbers?: TelnyxOrderedNumber[] } } | undefined)?.data;
    const ordered = data?.phone_numbers?.find((n) => n.phone_number === phone) ?? data?.phone_numbers?.[0];
    if (data?.status === 'failure' || ordered?.status === 'failure') {
      throw new CarrierError('permanent', 'order_failure', 'number_unavailable', `Telnyx could not fill number order ${data?.id ?? ''} for ${phone}: the number is no longer available`);
    }
    if (ordered?.requirements_met === false) {
      const fields = (ordered.regulatory_requirements ?? []).map((r) => r.field_type ?? r.requirement_id).filter(Boolean);
      throw new CarrierError(
        'permanent',
        'requirements_not_met',
        'regulatory_requirement',
        `Telnyx holds number order ${data?.id ?? ''} for ${phone} until its regulatory requirements are met${fields.length ? ` (${fields.join(', ')})` : ''}: provide them in Mission Control → Numbers → Number orders`,
      );
    }
    // Inbound texts of the profile's numbers go to its webhook_url: point it at us (as configureWebhooks does).
    await this.configureWebhooks([{ e164: phone, messagingProfileId: this.messagingProfileId }], urls);
    return { e164: ordered?.phone_number ?? phone, carrierNumberId: undefined, capabilities: ['sms', 'mms', 'voice'] };
  }

  async releaseNumber(phone: string, carrierNumberId?: string | null): Promise<void> {
    let id = carrierNumberId ?? undefined;
    if (!id) {
      const answer = await this.request('GET', `/phone_numbers?${new URLSearchParams({ 'filter[phone_number]': phone }).toString()}`);
      if (answer.status < 200 || answer.status >= 300) throw telnyxNumberFailure(answer);
      id = (answer.json as { data?: Array<{ id?: string; phone_number?: string }> } | undefined)?.data?.find((n) => n.phone_number === phone)?.id;
      if (!id) return;
    }
    const answer = await this.request('DELETE', `/phone_numbers/${encodeURIComponent(id)}`);
    if (answer.status === 404) return;
    if (answer.status < 200 || answer.status >= 300) throw telnyxNumberFailure(answer);
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

  private request(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, json?: unknown): Promise<HttpAnswer> {
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

/** A Telnyx number search or order failure, with its number ordering reason (see the header). */
export function telnyxNumberFailure(answer: HttpAnswer): CarrierError {
  const error = telnyxFailure(answer);
  if (error.errorClass === 'retryable') return error;
  const text = error.message.toLowerCase();
  const reason =
    answer.status === 401 || answer.status === 403 || error.code === '10009' || error.code === '10010'
      ? 'carrier_auth_failed'
      : answer.status === 402 || /balance|insufficient funds/.test(text)
        ? 'insufficient_balance'
        : /not available|no longer available|unavailable/.test(text)
          ? 'number_unavailable'
          : /requirement|bundle|address/.test(text)
            ? 'regulatory_requirement'
            : 'carrier_unknown';
  return new CarrierError(error.errorClass, error.code, reason, error.message);
}
