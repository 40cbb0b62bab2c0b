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
 * Speed to lead: `placeAgentCall` rings an agent's mobile with `POST …/Calls.json`, and
 * `cancelAgentCall` stops the other agents' phones once one answered.
 */
import { mapCarrierError } from '@textback/core';
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

const REMEMBERED_SIDS = 10_000;
/** Clocks differ: a Twilio date_created up to this much before our id's time still counts. */
const CLOCK_SKEW_MS = 60_000;

export class TwilioCarrier implements CarrierAdapter, CarrierAccountApi {
  readonly kind: string;
  private readonly baseUrl: string;
  private readonly accountUrl: string;
  private readonly authorization: string;
  private readonly statusCallbackBase: string;
  private readonly agentCallbackBase: string;
  private readonly timeoutMs: number;
  private readonly unknownRetryAfterMs: number;
  private readonly isClaimed: (sid: string) => Promise<boolean>;
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

  private request(method: 'GET' | 'POST', url: string, form?: URLSearchParams): Promise<HttpAnswer> {
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
