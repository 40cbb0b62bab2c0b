/**
 * Twilio Programmable Messaging: sends a text with `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`
 * (form-encoded, HTTP Basic `AccountSid:AuthToken`; https://www.twilio.com/docs/messaging/api/message-resource
 * and Twilio's OpenAPI document, https://github.com/twilio/twilio-oai/blob/d50069b44ea8cd23141385bdb6db48f16ff75bb5/spec/json/twilio_api_v2010.json,
 * trimmed in test/fixtures/carriers).
 *
 * Every send carries `StatusCallback = {publicBaseUrl}/webhooks/twilio/{accountId}/status?m={messageId}`,
 * so a status callback maps back to our row even when the create response was lost.
 *
 * Failures become `CarrierError`s:
 * - 429 → retryable, with `retryAfterMs` from Retry-After (seconds or an HTTP date);
 * - 5xx (and 408) → retryable;
 * - other 4xx → permanent; the Twilio error `code` is mapped to our reason vocabulary by
 *   `mapCarrierError` (21211 invalid_number, 21610 opted_out, 21614 landline_or_unreachable,
 *   21408 unsupported_country, 30007 spam_filtered, … unlisted codes carrier_unknown);
 * - the connection could not be opened (refused, DNS, unreachable) → retryable: nothing was sent;
 * - a timeout, an abort or a connection lost once the request may have left, or a 2xx without a
 *   sid → unknown: Twilio may have accepted the message. The send job waits `unknownRetryAfterMs`
 *   (time for the status callback, which names our message, to arrive) and then looks it up.
 *
 * `lookup`: Twilio cannot find a message by our id (no client reference field). In order:
 * 1. the sids this process received (a crash of the bookkeeping after a successful send);
 * 2. the status callback: it names our message (`?m=`), and applying it moves the message to
 *    `sent`, so the send job never gets here once it has arrived;
 * 3. with a hint, the list API: `GET …/Messages.json?To=&From=&PageSize=50` (newest first), keeping
 *    outbound messages with our exact body, created at or after our message, whose sid is not
 *    already another message of ours (`isClaimed`). `DateSent` is not used as a filter: a message
 *    still queued at Twilio has no date_sent yet. A list that cannot be read throws retryable.
 *
 * Account operations (carrier-accounts use case): `listNumbers` reads IncomingPhoneNumbers, and
 * `configureWebhooks` sets each number's SmsUrl and (call) StatusCallback through the same API.
 *
 * Buying numbers (`NumberOrderingApi`), checked against the twilio npm package 6.2.0's types and
 * request code (lib/rest/api/v2010/account/availablePhoneNumberCountry/local.d.ts and mobile.d.ts,
 * lib/rest/api/v2010/account/incomingPhoneNumber.d.ts):
 * - search: `GET …/AvailablePhoneNumbers/{country}/Local.json` for US and CA, `Mobile.json` for GB
 *   (UK numbers that can text are mobile numbers), with `AreaCode`, `InLocality`, `Contains`,
 *   `SmsEnabled`, `VoiceEnabled`, `PageSize`; answer `available_phone_numbers[]`;
 * - buy: `POST …/IncomingPhoneNumbers.json` with `PhoneNumber`, `SmsUrl` + `SmsMethod` (inbound
 *   texts), `StatusCallback` + `StatusCallbackMethod` (call events), and the account's `AddressSid`
 *   / `BundleSid` settings when set (the regulatory requirements of GB and other countries).
 *   `VoiceUrl` is left as it is: Textback answers no calls itself (docs/carriers/twilio.md);
 * - release: `DELETE …/IncomingPhoneNumbers/{Sid}.json` (the sid found by `PhoneNumber` when not known).
 * Error codes (https://www.twilio.com/docs/api/errors/<code>): 20003 authentication → carrier_auth_failed;
 * 21422 (number not available) and 21452 (no numbers found) → number_unavailable; 21631 (an address
 * is required), 21615 (a local address), 21649 (a regulatory bundle) → regulatory_requirement; a
 * message naming the balance or funds → insufficient_balance.
 *
 * Speed to lead: `placeAgentCall` rings an agent's mobile with `POST …/Calls.json`, and
 * `cancelAgentCall` stops the other agents' phones once one answered.
 */
import { mapCarrierError } from '@textback/core';
import {
  CarrierError,
  type CarrierAccountApi,
  type CarrierAdapter,
  type AvailableNumber,
  type BoughtNumber,
  type CarrierNumber,
  type LookupHint,
  type NumberOrderingApi,
  type NumberSearch,
  type OutboundMessage,
  type SendResult,
  type WebhookSetupResult,
  type WebhookUrls,
} from '../carrier.js';
import { basicAuth, carrierRequest, parseRetryAfter, trimSlash, type HttpAnswer } from '../http.js';

export { parseRetryAfter };

export interface TwilioCarrierOptions {
  /** The carrier name numbers are registered with; defaults to 'twilio'. */
  kind?: string;
  accountSid: string;
  authToken: string;
  /** Textback's carrier account id: part of the status callback URL. */
  accountId?: string;
  /** Twilio's REST origin; tests and benchmarks point it at a fake. */
  baseUrl?: string;
  /** Where Twilio can reach this server, for status callbacks (e.g. https://sms.example.com). */
  publicBaseUrl: string;
  /** Longest wait for Twilio's answer, in ms. */
  timeoutMs?: number;
  /** After an unknown outcome, how long the send job waits before looking the message up. */
  unknownRetryAfterMs?: number;
  /** True when this sid is already recorded on one of our messages (lookups skip it). */
  isClaimed?: (sid: string) => Promise<boolean>;
  /** Regulatory: the Address (AD…) and Bundle (BU…) new numbers are bought with, when the country needs them. */
  addressSid?: string | undefined;
  bundleSid?: string | undefined;
}

/** Twilio's error body (a JSON object on every 4xx/5xx). */
interface TwilioErrorBody {
  code?: number | string;
  message?: string;
  more_info?: string;
  status?: number;
}

interface TwilioListedMessage {
  sid?: string;
  body?: string | null;
  direction?: string | null;
  date_created?: string | null;
  from?: string | null;
  to?: string | null;
}

interface TwilioIncomingNumber {
  sid?: string;
  phone_number?: string;
  friendly_name?: string | null;
  capabilities?: { sms?: boolean; mms?: boolean; voice?: boolean; fax?: boolean } | null;
}

interface TwilioAvailableNumber {
  phone_number?: string;
  locality?: string | null;
  region?: string | null;
  iso_country?: string | null;
  capabilities?: Record<string, boolean> | null;
}

/** Twilio error codes of number searches and purchases (https://www.twilio.com/docs/api/errors). */
const TWILIO_NUMBER_REASONS: Record<string, string> = {
  '20003': 'carrier_auth_failed',
  '21422': 'number_unavailable',
  '21452': 'number_unavailable',
  '21615': 'regulatory_requirement',
  '21631': 'regulatory_requirement',
  '21649': 'regulatory_requirement',
};

const REMEMBERED_SIDS = 10_000;
/** Clocks differ: a Twilio date_created up to this much before our id's time still counts. */
const CLOCK_SKEW_MS = 60_000;

export class TwilioCarrier implements CarrierAdapter, CarrierAccountApi, NumberOrderingApi {
  readonly kind: string;
  private readonly baseUrl: string;
  private readonly accountUrl: string;
  private readonly authorization: string;
  private readonly statusCallbackBase: string;
  private readonly agentCallbackBase: string;
  private readonly timeoutMs: number;
  private readonly unknownRetryAfterMs: number;
  private readonly isClaimed: (sid: string) => Promise<boolean>;
  private readonly addressSid: string | undefined;
  private readonly bundleSid: string | undefined;
  /** messageId → sid of recent successful sends (insertion-ordered; oldest evicted first). */
  private readonly sent = new Map<string, string>();

  constructor(options: TwilioCarrierOptions) {
    this.kind = options.kind ?? 'twilio';
    this.baseUrl = trimSlash(options.baseUrl ?? 'https://api.twilio.com');
    this.accountUrl = `${this.baseUrl}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}`;
    this.authorization = basicAuth(options.accountSid, options.authToken);
    const hooks = `${trimSlash(options.publicBaseUrl)}/webhooks/twilio`;
    this.statusCallbackBase = options.accountId ? `${hooks}/${encodeURIComponent(options.accountId)}/status` : `${hooks}/status`;
    this.agentCallbackBase = options.accountId ? `${hooks}/${encodeURIComponent(options.accountId)}/agent-calls` : `${hooks}/agent-calls`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.unknownRetryAfterMs = options.unknownRetryAfterMs ?? 60_000;
    this.isClaimed = options.isClaimed ?? (async () => false);
    this.addressSid = options.addressSid || undefined;
    this.bundleSid = options.bundleSid || undefined;
  }

  async searchAvailableNumbers(search: NumberSearch): Promise<AvailableNumber[]> {
    const query = new URLSearchParams();
    if (search.areaCode) query.set('AreaCode', search.areaCode);
    if (search.locality) query.set('InLocality', search.locality);
    if (search.contains) query.set('Contains', search.contains);
    if (search.capabilities?.includes('sms')) query.set('SmsEnabled', 'true');
    if (search.capabilities?.includes('voice')) query.set('VoiceEnabled', 'true');
    query.set('PageSize', String(search.limit));
    const type = search.country === 'GB' ? 'Mobile' : 'Local';
    const answer = await this.request('GET', `${this.accountUrl}/AvailablePhoneNumbers/${search.country}/${type}.json?${query.toString()}`);
    if (answer.status < 200 || answer.status >= 300) throw this.numberFailure(answer);
    const listed = (answer.json as { available_phone_numbers?: TwilioAvailableNumber[] } | undefined)?.available_phone_numbers ?? [];
    return listed
      .filter((n) => typeof n.phone_number === 'string')
      .map((n) => {
        // The API spells them SMS and MMS; the SDK's model lower-cases them.
        const caps = (n.capabilities ?? {}) as Record<string, boolean | undefined>;
        return {
          phone: n.phone_number!,
          locality: n.locality ?? null,
          region: n.region ?? null,
          country: n.iso_country ?? search.country,
          capabilities: { sms: (caps.SMS ?? caps.sms) === true, voice: (caps.voice ?? caps.Voice) === true, mms: (caps.MMS ?? caps.mms) === true },
        };
      });
  }

  async buyNumber(phone: string, urls: WebhookUrls): Promise<BoughtNumber> {
    const form = new URLSearchParams({ PhoneNumber: phone, SmsUrl: urls.messages, SmsMethod: 'POST', StatusCallback: urls.calls, StatusCallbackMethod: 'POST' });
    if (this.addressSid) form.set('AddressSid', this.addressSid);
    if (this.bundleSid) form.set('BundleSid', this.bundleSid);
    const answer = await this.request('POST', `${this.accountUrl}/IncomingPhoneNumbers.json`, form);
    if (answer.status < 200 || answer.status >= 300) throw this.numberFailure(answer);
    const n = (answer.json ?? {}) as TwilioIncomingNumber;
    const caps = (n.capabilities ?? {}) as Record<string, boolean | undefined>;
    return {
      e164: n.phone_number ?? phone,
      carrierNumberId: n.sid,
      capabilities: (['sms', 'mms', 'voice'] as const).filter((c) => (caps[c] ?? caps[c.toUpperCase()]) === true),
    };
  }

  async releaseNumber(phone: string, carrierNumberId?: string | null): Promise<void> {
    let sid = carrierNumberId ?? undefined;
    if (!sid) {
      const answer = await this.request('GET', `${this.accountUrl}/IncomingPhoneNumbers.json?${new URLSearchParams({ PhoneNumber: phone }).toString()}`);
      if (answer.status < 200 || answer.status >= 300) throw this.numberFailure(answer);
      sid = (answer.json as { incoming_phone_numbers?: TwilioIncomingNumber[] } | undefined)?.incoming_phone_numbers?.find((n) => n.phone_number === phone)?.sid;
      // Not on the account any more: nothing to release.
      if (!sid) return;
    }
    const answer = await this.request('DELETE', `${this.accountUrl}/IncomingPhoneNumbers/${encodeURIComponent(sid)}.json`);
    if (answer.status === 404) return;
    if (answer.status < 200 || answer.status >= 300) throw this.numberFailure(answer);
  }

  /** A number ordering failure, with its reason (see the header). */
  private numberFailure(answer: HttpAnswer): CarrierError {
    const error = this.failure(answer);
    if (error.errorClass === 'retryable') return error;
    const message = ((answer.json as TwilioErrorBody | undefined)?.message ?? '').toLowerCase();
    const reason = TWILIO_NUMBER_REASONS[error.code] ?? (answer.status === 401 ? 'carrier_auth_failed' : /balance|funds/.test(message) ? 'insufficient_balance' : 'carrier_unknown');
    return new CarrierError(error.errorClass, error.code, reason, error.message);
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    const form = new URLSearchParams();
    form.set('To', message.to);
    form.set('From', message.from);
    // Body or MediaUrl is required; an MMS may go without text.
    if (message.body !== '' || !message.media?.length) form.set('Body', message.body);
    for (const url of message.media ?? []) form.append('MediaUrl', url);
    form.set('StatusCallback', `${this.statusCallbackBase}?m=${encodeURIComponent(message.messageId)}`);

    const answer = await this.request('POST', `${this.accountUrl}/Messages.json`, form);
    if (answer.status >= 200 && answer.status < 300) {
      const sid = (answer.json as { sid?: unknown } | undefined)?.sid;
      if (typeof sid !== 'string' || sid === '') {
        throw new CarrierError('unknown', `http_${answer.status}`, 'carrier_unknown', `Twilio answered ${answer.status} without a message sid`, this.unknownRetryAfterMs);
      }
      this.remember(message.messageId, sid);
      return { carrierMessageId: sid };
    }
    throw this.failure(answer);
  }

  /**
   * Rings an agent (speed to lead): `POST …/Calls.json` with inline TwiML, a ring timeout, and a
   * StatusCallback on `{publicBaseUrl}/webhooks/twilio/{accountId}/agent-calls?c={agentCallId}`
   * for the answered and completed events. Returns the CallSid.
   */
  async placeAgentCall(call: { agentCallId: string; from: string; to: string; twiml: string; timeoutSeconds: number }): Promise<string> {
    const form = new URLSearchParams();
    form.set('To', call.to);
    form.set('From', call.from);
    form.set('Twiml', call.twiml);
    form.set('Timeout', String(call.timeoutSeconds));
    form.set('StatusCallback', `${this.agentCallbackBase}?c=${encodeURIComponent(call.agentCallId)}`);
    form.set('StatusCallbackMethod', 'POST');
    form.append('StatusCallbackEvent', 'answered');
    form.append('StatusCallbackEvent', 'completed');
    const answer = await this.request('POST', `${this.accountUrl}/Calls.json`, form);
    if (answer.status >= 200 && answer.status < 300) {
      const sid = (answer.json as { sid?: unknown } | undefined)?.sid;
      if (typeof sid !== 'string' || sid === '') throw new CarrierError('unknown', `http_${answer.status}`, 'carrier_unknown', `Twilio answered ${answer.status} without a call sid`);
      return sid;
    }
    throw this.failure(answer);
  }

  /** Stops a ring call no longer needed (another agent answered): `POST …/Calls/{Sid}.json` with Status=canceled. */
  async cancelAgentCall(callSid: string): Promise<void> {
    const answer = await this.request('POST', `${this.accountUrl}/Calls/${encodeURIComponent(callSid)}.json`, new URLSearchParams({ Status: 'canceled' }));
    if (answer.status < 200 || answer.status >= 300) throw this.failure(answer);
  }

  async lookup(_orgId: string, messageId: string, hint?: LookupHint): Promise<SendResult | null> {
    const sid = this.sent.get(messageId);
    if (sid) return { carrierMessageId: sid };
    if (!hint) return null;
    const query = new URLSearchParams({ To: hint.to, From: hint.from, PageSize: '50' });
    const answer = await this.request('GET', `${this.accountUrl}/Messages.json?${query.toString()}`);
    if (answer.status < 200 || answer.status >= 300) {
      const error = this.failure(answer);
      // A lookup that fails must not lead to a blind resend: retry the job later.
      throw new CarrierError('retryable', error.code, error.reason, `looking the message up failed: ${error.message}`, error.retryAfterMs);
    }
    const listed = ((answer.json as { messages?: TwilioListedMessage[] } | undefined)?.messages ?? []).filter(
      (m) =>
        typeof m.sid === 'string' &&
        (m.direction ?? '').startsWith('outbound') &&
        (m.body ?? '') === hint.body &&
        (parseTwilioDate(m.date_created) ?? 0) >= hint.createdAt - CLOCK_SKEW_MS,
    );
    // Oldest first: with two identical texts, the first one Twilio accepted is the first we sent.
    listed.sort((a, b) => (parseTwilioDate(a.date_created) ?? 0) - (parseTwilioDate(b.date_created) ?? 0));
    for (const m of listed) {
      if (!(await this.isClaimed(m.sid!))) return { carrierMessageId: m.sid! };
    }
    return null;
  }

  async listNumbers(): Promise<CarrierNumber[]> {
    const numbers: CarrierNumber[] = [];
    let url: string | null = `${this.accountUrl}/IncomingPhoneNumbers.json?PageSize=1000`;
    for (let page = 0; url && page < 50; page++) {
      const answer = await this.request('GET', url);
      if (answer.status < 200 || answer.status >= 300) throw this.failure(answer);
      const body = answer.json as { incoming_phone_numbers?: TwilioIncomingNumber[]; next_page_uri?: string | null } | undefined;
      for (const n of body?.incoming_phone_numbers ?? []) {
        if (!n.phone_number) continue;
        const caps = n.capabilities ?? {};
        numbers.push({
          e164: n.phone_number,
          carrierNumberId: n.sid,
          name: n.friendly_name ?? undefined,
          capabilities: (['sms', 'mms', 'voice'] as const).filter((c) => caps[c] === true),
        });
      }
      url = body?.next_page_uri ? `${this.baseUrl}${body.next_page_uri}` : null;
    }
    return numbers;
  }

  async configureWebhooks(numbers: CarrierNumber[], urls: WebhookUrls): Promise<WebhookSetupResult> {
    const result: WebhookSetupResult = { configured: [], manual: [] };
    for (const n of numbers) {
      if (!n.carrierNumberId) {
        result.manual.push({ target: n.e164, field: 'A message comes in', url: urls.messages, why: 'the number was not imported from this Twilio account' });
        continue;
      }
      const form = new URLSearchParams({ SmsUrl: urls.messages, SmsMethod: 'POST', StatusCallback: urls.calls, StatusCallbackMethod: 'POST' });
      try {
        const answer = await this.request('POST', `${this.accountUrl}/IncomingPhoneNumbers/${encodeURIComponent(n.carrierNumberId)}.json`, form);
        if (answer.status < 200 || answer.status >= 300) throw this.failure(answer);
        result.configured.push({ target: n.e164, field: 'SmsUrl', url: urls.messages }, { target: n.e164, field: 'StatusCallback (calls)', url: urls.calls });
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        result.manual.push({ target: n.e164, field: 'A message comes in', url: urls.messages, why }, { target: n.e164, field: 'Call status changes', url: urls.calls, why });
      }
    }
    return result;
  }

  private request(method: 'GET' | 'POST' | 'DELETE', url: string, form?: URLSearchParams): Promise<HttpAnswer> {
    return carrierRequest({
      carrier: 'Twilio',
      method,
      url,
      headers: {
        authorization: this.authorization,
        accept: 'application/json',
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: form.toString() } : {}),
      timeoutMs: this.timeoutMs,
      unknownRetryAfterMs: this.unknownRetryAfterMs,
    });
  }

  private failure(answer: HttpAnswer): CarrierError {
    const body = (answer.json && typeof answer.json === 'object' ? answer.json : {}) as TwilioErrorBody;
    const hasCode = body.code !== undefined && body.code !== null;
    const code = hasCode ? String(body.code) : `http_${answer.status}`;
    const detail = `Twilio answered ${answer.status}${hasCode ? ` (error ${body.code})` : ''}: ${body.message ?? answer.text.slice(0, 200)}`;
    if (answer.status === 429) return new CarrierError('retryable', code, 'rate_limited', detail, parseRetryAfter(answer.headers.get('retry-after')));
    if (answer.status >= 500 || answer.status === 408) return new CarrierError('retryable', code, 'carrier_unknown', detail, parseRetryAfter(answer.headers.get('retry-after')));
    const reason = hasCode ? mapCarrierError('twilio', body.code!).reason : 'carrier_unknown';
    return new CarrierError('permanent', code, reason, detail);
  }

  private remember(messageId: string, sid: string): void {
    this.sent.set(messageId, sid);
    if (this.sent.size > REMEMBERED_SIDS) {
      const oldest = this.sent.keys().next().value;
      if (oldest !== undefined) this.sent.delete(oldest);
    }
  }
}

/** Twilio dates are RFC 2822 ("Thu, 24 Aug 2023 05:01:45 +0000"). */
function parseTwilioDate(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
