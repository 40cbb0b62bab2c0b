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
 * Account operations, on the Dashboard (Iris) API, HTTP Basic with the same API user, XML:
 * - numbers: `GET {dashboard}/accounts/{accountId}/inserviceNumbers`;
 * - `configureWebhooks`: the callbacks are set on the Bandwidth *applications* (see
 *   `configureWebhooks` below). This API is not in the reference OpenAPI document: element names,
 *   methods and paths follow Bandwidth's documentation, https://dev.bandwidth.com/docs/account/applications
 *   ("Create an Application" parameter table, "Fetch Specific Application Information",
 *   "Partially Update an Application"), and are checked by a loopback fake
 *   (test/carriers/bandwidth-applications.test.ts), not against a spec.
 *
 * Buying numbers (`NumberOrderingApi`), on the same Dashboard API, not checked against a spec
 * (Bandwidth publishes no machine-readable description of it; element names follow
 * https://dev.bandwidth.com/docs/numbers/guides/searchingForNumbers and …/orderingNumbers, and the
 * @bandwidth/numbers 2.0.0 client, https://github.com/Bandwidth/node-numbers):
 * - search: `GET {dashboard}/accounts/{accountId}/availableNumbers?areaCode=&localVanity=&quantity=&enableTNDetail=true`
 *   (US and Canada only), answered `<SearchResult>` with `<TelephoneNumberDetail>` (`FullNumber`,
 *   `City`, `State`); a locality is matched on `City` here;
 * - buy: `POST …/orders` with `<Order><Name/><SiteId/><PeerId/><ExistingTelephoneNumberOrderType>
 *   <TelephoneNumberList><TelephoneNumber>` (the account's `site_id` and `peer_id` settings: the
 *   location whose messaging application carries the number, so its callbacks are the application's),
 *   then `GET …/orders/{id}` once: `FAILED` (or an `<ErrorList>`) → number_unavailable with Bandwidth's
 *   description; still `RECEIVED` → taken as bought (Bandwidth completes it within seconds);
 * - release: `POST …/disconnects` with `<DisconnectTelephoneNumberOrder><name/>
 *   <DisconnectTelephoneNumberOrderType><TelephoneNumberList><TelephoneNumber>`.
 * Errors: 401 / 403 → carrier_auth_failed; other 4xx carrier_unknown with Bandwidth's `<Description>`.
 */
import {
  CarrierError,
  type AvailableNumber,
  type BoughtNumber,
  type NumberOrderingApi,
  type NumberSearch,
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
  /** The credentials Bandwidth must send with every callback (the Textback account's callback user and password). */
  callbackUsername?: string | undefined;
  callbackPassword?: string | undefined;
  /** The voice application of the numbers (its call status callback is set by `configureWebhooks` too). */
  voiceApplicationId?: string | undefined;
  /** Where numbers bought are put: the site (sub-account) and location (SIP peer) of the messaging application. */
  siteId?: string | undefined;
  peerId?: string | undefined;
}

/**
 * The callback types Textback handles on the OutboundCallbackUrl (`RequestedCallbackTypes.CallbackType`
 * of https://dev.bandwidth.com/docs/account/applications: message-delivered, message-sending, message-failed).
 */
const CALLBACK_TYPES = ['message-delivered', 'message-failed', 'message-sending'] as const;

/** Escapes text for an XML element's content. */
export function xmlText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** The text of the first `<name>` element of an XML document (unescaped), or undefined. */
export function xmlElement(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  if (!m) return undefined;
  return m[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&').trim();
}

/** A Bandwidth application as the Dashboard API returns it (the fields Textback reads). */
interface BandwidthApplication {
  serviceType: string | undefined;
  callbackUserId: string | undefined;
}

interface BandwidthErrorBody {
  type?: string;
  description?: string;
  fieldErrors?: Array<{ fieldName?: string; description?: string }>;
}

const REMEMBERED = 10_000;
const CLOCK_SKEW_MS = 60_000;

export class BandwidthCarrier implements CarrierAdapter, CarrierAccountApi, NumberOrderingApi {
  readonly kind: string;
  private readonly messagesUrl: string;
  private readonly dashboardUrl: string;
  private readonly bandwidthAccountId: string;
  private readonly applicationId: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;
  private readonly unknownRetryAfterMs: number;
  private readonly isClaimed: (id: string) => Promise<boolean>;
  private readonly callbackCredentials: { username: string; password: string } | undefined;
  private readonly voiceApplicationId: string | undefined;
  private readonly siteId: string | undefined;
  private readonly peerId: string | undefined;
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
    this.callbackCredentials =
      options.callbackUsername && options.callbackPassword ? { username: options.callbackUsername, password: options.callbackPassword } : undefined;
    this.voiceApplicationId = options.voiceApplicationId || undefined;
    this.siteId = options.siteId || undefined;
    this.peerId = options.peerId || undefined;
  }

  private accountPath(path: string): string {
    return `${this.dashboardUrl}/accounts/${encodeURIComponent(this.bandwidthAccountId)}/${path}`;
  }

  async searchAvailableNumbers(search: NumberSearch): Promise<AvailableNumber[]> {
    if (search.country === 'GB') {
      throw new CarrierError('permanent', 'unsupported_country', 'invalid_search', 'country: Bandwidth sells US and CA numbers through its numbers API; accepted: US, CA');
    }
    const query = new URLSearchParams({ enableTNDetail: 'true', quantity: String(search.limit) });
    if (search.areaCode) query.set('areaCode', search.areaCode);
    if (search.contains) query.set('localVanity', search.contains);
    const answer = await this.request('GET', `${this.accountPath('availableNumbers')}?${query.toString()}`, undefined, undefined, 'application/xml');
    if (answer.status < 200 || answer.status >= 300) throw numberFailure(answer);
    const details = [...answer.text.matchAll(/<TelephoneNumberDetail>([\s\S]*?)<\/TelephoneNumberDetail>/g)].map((m) => m[1]!);
    const entries = details.length
      ? details.map((d) => ({ digits: xmlElement(d, 'FullNumber') ?? '', city: xmlElement(d, 'City') ?? null, state: xmlElement(d, 'State') ?? null }))
      : [...answer.text.matchAll(/<TelephoneNumber>\s*(\d{10,11})\s*<\/TelephoneNumber>/g)].map((m) => ({ digits: m[1]!, city: null, state: null }));
    const wanted = search.locality?.toLowerCase();
    return entries
      .filter((e) => /^1?\d{10}$/.test(e.digits))
      .filter((e) => !wanted || (e.city ?? '').toLowerCase() === wanted)
      .map((e) => ({
        phone: `+1${e.digits.slice(-10)}`,
        locality: e.city ? titleCase(e.city) : null,
        region: e.state,
        country: search.country,
        // Bandwidth's US and CA numbers carry texts and calls once on a location with a messaging application.
        capabilities: { sms: true, voice: true, mms: true },
      }));
  }

  async buyNumber(phone: string): Promise<BoughtNumber> {
    if (!this.siteId) {
      throw new CarrierError(
        'permanent',
        'no_site_id',
        'regulatory_requirement',
        'the Bandwidth account has no settings.site_id (and settings.peer_id): the site and location numbers are ordered into, whose messaging application carries them; set them (PATCH /v1/carrier-accounts/:id) first',
      );
    }
    const digits = phone.replace(/^\+1/, '');
    const body =
      `<?xml version="1.0" encoding="UTF-8"?><Order><Name>Textback ${xmlText(phone)}</Name><SiteId>${xmlText(this.siteId)}</SiteId>` +
      (this.peerId ? `<PeerId>${xmlText(this.peerId)}</PeerId>` : '') +
      `<ExistingTelephoneNumberOrderType><TelephoneNumberList><TelephoneNumber>${xmlText(digits)}</TelephoneNumber></TelephoneNumberList></ExistingTelephoneNumberOrderType></Order>`;
    const created = await this.request('POST', this.accountPath('orders'), 'application/xml; charset=utf-8', body, 'application/xml');
    if (created.status < 200 || created.status >= 300) throw numberFailure(created);
    const orderId = xmlElement(created.text, 'id');
    let status = xmlElement(created.text, 'OrderStatus');
    let text = created.text;
    if (orderId && status !== 'COMPLETE') {
      const read = await this.request('GET', this.accountPath(`orders/${encodeURIComponent(orderId)}`), undefined, undefined, 'application/xml');
      if (read.status >= 200 && read.status < 300) {
        status = xmlElement(read.text, 'OrderStatus') ?? status;
        text = read.text;
      }
    }
    if (status === 'FAILED' || /<ErrorList>\s*<Error>/.test(text)) {
      const code = xmlElement(text, 'ErrorCode') ?? xmlElement(text, 'Code');
      const description = xmlElement(text, 'Description') ?? 'the order failed';
      throw new CarrierError('permanent', code ?? 'order_failed', 'number_unavailable', `Bandwidth order ${orderId ?? ''} for ${phone} failed${code ? ` (error ${code})` : ''}: ${description}`);
    }
    return { e164: phone, carrierNumberId: orderId, capabilities: ['sms', 'mms', 'voice'] };
  }

  async releaseNumber(phone: string): Promise<void> {
    const digits = phone.replace(/^\+1/, '');
    const body =
      `<?xml version="1.0" encoding="UTF-8"?><DisconnectTelephoneNumberOrder><name>Textback release ${xmlText(phone)}</name>` +
      `<DisconnectTelephoneNumberOrderType><TelephoneNumberList><TelephoneNumber>${xmlText(digits)}</TelephoneNumber></TelephoneNumberList></DisconnectTelephoneNumberOrderType></DisconnectTelephoneNumberOrder>`;
    const answer = await this.request('POST', this.accountPath('disconnects'), 'application/xml; charset=utf-8', body, 'application/xml');
    if (answer.status < 200 || answer.status >= 300) throw numberFailure(answer);
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

  /**
   * Points the account's Bandwidth applications at this server (https://dev.bandwidth.com/docs/account/applications):
   *
   * - the messaging application (`settings.application_id`, ServiceType `Messaging-V2`):
   *   `InboundCallbackUrl` (inbound texts) and `OutboundCallbackUrl` (delivery callbacks) = the
   *   `…/messages` URL, `InboundCallbackCreds` and `OutboundCallbackCreds` (`UserId`, `Password`) =
   *   the account's callback credentials, `RequestedCallbackTypes` = message-delivered,
   *   message-failed, message-sending;
   * - the voice application, when the account names one (`settings.voice_application_id`,
   *   ServiceType `Voice-V2`): `CallStatusCallbackUrl` (disconnect events) = the `…/calls` URL,
   *   `CallStatusMethod` POST, `CallbackCreds` (`UserId`, `Password`) = the callback credentials.
   *   Its `CallInitiatedCallbackUrl` (what answers inbound calls) is left as it is. `CallbackCreds`
   *   apply to every callback of the application, that URL's too: when the application already
   *   has credentials with another UserId, they are left alone and the step is listed as manual.
   *
   * Each application is read first (`GET {dashboard}/accounts/{accountId}/applications/{applicationId}`:
   * it must exist and be of the right ServiceType), then changed with `PATCH` on the same path and
   * an XML `<Application>` holding only those elements ("Partially Update an Application"). Not
   * `PUT`: a complete update "will replace ALL existing fields", which would erase what Textback
   * does not own (the voice application's CallInitiatedCallbackUrl and fallback credentials, whose
   * passwords the API never returns). Anything that cannot be set is returned in `manual`, with why.
   */
  async configureWebhooks(_numbers: CarrierNumber[], urls: WebhookUrls): Promise<WebhookSetupResult> {
    const result: WebhookSetupResult = { configured: [], manual: [] };
    const creds = this.callbackCredentials;
    const messaging = `messaging application ${this.applicationId}`;
    const messagingManual = (why: string) =>
      result.manual.push({ target: messaging, field: 'Callback URL (inbound and status), with the callback user and password', url: urls.messages, why });
    if (!creds) {
      messagingManual('the account has no callback credentials (settings.callback_username, credentials.callback_password): set them, then configure again');
    } else {
      try {
        await this.readApplication(this.applicationId, 'Messaging-V2');
        const credsXml = `<UserId>${xmlText(creds.username)}</UserId><Password>${xmlText(creds.password)}</Password>`;
        await this.patchApplication(
          this.applicationId,
          `<InboundCallbackUrl>${xmlText(urls.messages)}</InboundCallbackUrl>` +
            `<OutboundCallbackUrl>${xmlText(urls.messages)}</OutboundCallbackUrl>` +
            `<InboundCallbackCreds>${credsXml}</InboundCallbackCreds>` +
            `<OutboundCallbackCreds>${credsXml}</OutboundCallbackCreds>` +
            `<RequestedCallbackTypes>${CALLBACK_TYPES.map((t) => `<CallbackType>${t}</CallbackType>`).join('')}</RequestedCallbackTypes>`,
        );
        result.configured.push(
          { target: messaging, field: 'InboundCallbackUrl (with InboundCallbackCreds)', url: urls.messages },
          { target: messaging, field: 'OutboundCallbackUrl (with OutboundCallbackCreds)', url: urls.messages },
        );
      } catch (error) {
        messagingManual(error instanceof Error ? error.message : String(error));
      }
    }

    const voiceField = 'Call status (disconnect) callback URL, with the callback user and password';
    if (!this.voiceApplicationId) {
      result.manual.push({
        target: 'voice application',
        field: voiceField,
        url: urls.calls,
        why: 'the account has no voice application id (settings.voice_application_id): set it to have this configured too, or paste it',
      });
      return result;
    }
    const voice = `voice application ${this.voiceApplicationId}`;
    if (!creds) {
      result.manual.push({ target: voice, field: voiceField, url: urls.calls, why: 'the account has no callback credentials' });
      return result;
    }
    try {
      const app = await this.readApplication(this.voiceApplicationId, 'Voice-V2');
      if (app.callbackUserId && app.callbackUserId !== creds.username) {
        result.manual.push({
          target: voice,
          field: voiceField,
          url: urls.calls,
          why:
            `the voice application already has callback credentials (user ${app.callbackUserId}), which its call-initiated URL may rely on, so Textback left them: ` +
            "either give it this account's callback user and password, or make this account's callback credentials those (settings.callback_username, credentials.callback_password), then configure again",
        });
        return result;
      }
      await this.patchApplication(
        this.voiceApplicationId,
        `<CallStatusCallbackUrl>${xmlText(urls.calls)}</CallStatusCallbackUrl><CallStatusMethod>POST</CallStatusMethod>` +
          `<CallbackCreds><UserId>${xmlText(creds.username)}</UserId><Password>${xmlText(creds.password)}</Password></CallbackCreds>`,
      );
      result.configured.push({ target: voice, field: 'CallStatusCallbackUrl (with CallbackCreds)', url: urls.calls });
    } catch (error) {
      result.manual.push({ target: voice, field: voiceField, url: urls.calls, why: error instanceof Error ? error.message : String(error) });
    }
    return result;
  }

  private applicationUrl(applicationId: string): string {
    return `${this.dashboardUrl}/accounts/${encodeURIComponent(this.bandwidthAccountId)}/applications/${encodeURIComponent(applicationId)}`;
  }

  /** `GET …/applications/{id}`: the application must exist and serve `serviceType`. */
  private async readApplication(applicationId: string, serviceType: 'Messaging-V2' | 'Voice-V2'): Promise<BandwidthApplication> {
    const answer = await this.request('GET', this.applicationUrl(applicationId), undefined, undefined, 'application/xml');
    if (answer.status < 200 || answer.status >= 300) throw dashboardFailure(answer);
    const app: BandwidthApplication = {
      serviceType: xmlElement(answer.text, 'ServiceType'),
      callbackUserId: xmlElement(xmlElement(answer.text, 'CallbackCreds') ?? '', 'UserId'),
    };
    if (app.serviceType !== serviceType) {
      throw new CarrierError(
        'permanent',
        'wrong_service_type',
        'carrier_unknown',
        `Bandwidth application ${applicationId} is ${app.serviceType ? `a ${app.serviceType} application` : 'of no known service type'}, not ${serviceType}: check the account's ${serviceType === 'Voice-V2' ? 'settings.voice_application_id' : 'settings.application_id'}`,
      );
    }
    return app;
  }

  /** `PATCH …/applications/{id}` with `<Application>` holding only the given elements. */
  private async patchApplication(applicationId: string, elements: string): Promise<void> {
    const body = `<?xml version="1.0" encoding="UTF-8"?><Application>${elements}</Application>`;
    const answer = await this.request('PATCH', this.applicationUrl(applicationId), 'application/xml; charset=utf-8', body, 'application/xml');
    if (answer.status < 200 || answer.status >= 300) throw dashboardFailure(answer);
  }

  private request(method: 'GET' | 'POST' | 'PATCH', url: string, contentType?: string, body?: string, accept = 'application/json'): Promise<HttpAnswer> {
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

/**
 * A Dashboard API error answer: XML with `<ErrorCode>` and `<Description>` (in a `ResponseStatus`
 * or an `Error` element); 429 and 5xx retryable, other 4xx permanent.
 */
function dashboardFailure(answer: HttpAnswer): CarrierError {
  const code = xmlElement(answer.text, 'ErrorCode') ?? xmlElement(answer.text, 'Code');
  const description = xmlElement(answer.text, 'Description');
  const detail = `the Bandwidth Dashboard API answered ${answer.status}${code ? ` (error ${code})` : ''}${description ? `: ${description}` : ''}`;
  return transientHttpError('Bandwidth', answer, code ?? `http_${answer.status}`, detail) ?? new CarrierError('permanent', code ?? `http_${answer.status}`, 'carrier_unknown', detail);
}

function titleCase(city: string): string {
  return city.toLowerCase().replace(/\b[a-z]/g, (c) => c.toUpperCase());
}

/** A Dashboard API failure of a number search or order, with its number ordering reason (see the header). */
function numberFailure(answer: HttpAnswer): CarrierError {
  const error = dashboardFailure(answer);
  if (error.errorClass === 'retryable') return error;
  const reason = answer.status === 401 || answer.status === 403 ? 'carrier_auth_failed' : 'carrier_unknown';
  return new CarrierError(error.errorClass, error.code, reason, error.message);
}
