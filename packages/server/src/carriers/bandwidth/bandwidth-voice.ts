/**
 * Bandwidth Voice API v2 for speed to lead (reference: bandwidth-messaging-voice.openapi.json,
 * operations `createCall` and `updateCall`, schemas `createCall`, `updateCall`, `callStateEnum`,
 * `answerCallback`, `disconnectCallback`; contract-tested against that document with Prism in
 * test/carriers/contract.test.ts).
 *
 * - Ring: `POST {voice}/accounts/{accountId}/calls`, HTTP Basic (the API user), JSON
 *   `{from, to, applicationId, answerUrl, answerMethod, disconnectUrl, disconnectMethod, username,
 *   password, callTimeout, tag}`; answer `201` with `callId`. `applicationId` is the Bandwidth
 *   *voice* application the business number belongs to (the account's `settings.voice_application_id`;
 *   messaging and voice applications are distinct). `answerUrl` and `disconnectUrl` are
 *   `{public}/webhooks/bandwidth/{account}/agent-calls`; `username` / `password` are the account's
 *   callback credentials, which Bandwidth sends back as HTTP Basic on both callbacks (the same
 *   protection as every Bandwidth webhook of Textback; the spec requires https for them).
 *   `callTimeout` (1 to 300 s) is how long the agent's phone rings; `tag` carries our agent call id
 *   and comes back in every callback of the call.
 * - Hang up: `POST {voice}/accounts/{accountId}/calls/{callId}` `{"state": "completed"}` ("hang up
 *   the call if it is answered, cancel it if it is an unanswered outbound call"); `200`. A call
 *   that already ended is refused with a 4xx (the spec lists 404 and 409): permanent, nothing to stop.
 *
 * The agent hears the announcement through the answer callback's response (BXML SpeakSentence,
 * then Hangup: bandwidth-webhooks.ts `agentCallBxml`), so no command is needed for it.
 */
import { CarrierError, type AgentCallApi, type AgentCallRequest } from '../carrier.js';
import { basicAuth, carrierRequest, transientHttpError, trimSlash, type HttpAnswer } from '../http.js';
import type { LoadedAccount } from '../registry.js';

/** The spec's bounds of `callTimeout`. */
export const BANDWIDTH_CALL_TIMEOUT = { min: 1, max: 300 } as const;

export interface BandwidthVoiceOptions {
  bandwidthAccountId: string;
  /** The Bandwidth voice application of the business numbers. */
  voiceApplicationId: string;
  apiUser: string;
  apiPassword: string;
  /** The credentials Bandwidth must send back on the callbacks (the Textback account's callback credentials). */
  callbackUsername: string;
  callbackPassword: string;
  /** Textback's carrier account id: part of the callback URL. */
  accountId: string;
  publicBaseUrl: string;
  /** Voice API origin with its version path; defaults to https://voice.bandwidth.com/api/v2 (the spec's server). */
  baseUrl?: string;
  timeoutMs?: number;
}

export class BandwidthVoice implements AgentCallApi {
  readonly kind = 'bandwidth';
  private readonly callsUrl: string;
  private readonly authorization: string;
  private readonly options: BandwidthVoiceOptions;
  /** Where Bandwidth sends the answer and disconnect callbacks of a ring call. */
  readonly callbackUrl: string;
  private readonly timeoutMs: number;

  constructor(options: BandwidthVoiceOptions) {
    this.options = options;
    this.callsUrl = `${trimSlash(options.baseUrl ?? 'https://voice.bandwidth.com/api/v2')}/accounts/${encodeURIComponent(options.bandwidthAccountId)}/calls`;
    this.authorization = basicAuth(options.apiUser, options.apiPassword);
    this.callbackUrl = `${trimSlash(options.publicBaseUrl)}/webhooks/bandwidth/${encodeURIComponent(options.accountId)}/agent-calls`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async placeAgentCall(call: AgentCallRequest): Promise<string> {
    const answer = await this.request(this.callsUrl, {
      from: call.from,
      to: call.to,
      applicationId: this.options.voiceApplicationId,
      answerUrl: this.callbackUrl,
      answerMethod: 'POST',
      disconnectUrl: this.callbackUrl,
      disconnectMethod: 'POST',
      username: this.options.callbackUsername,
      password: this.options.callbackPassword,
      callTimeout: Math.min(BANDWIDTH_CALL_TIMEOUT.max, Math.max(BANDWIDTH_CALL_TIMEOUT.min, Math.ceil(call.timeoutSeconds))),
      tag: call.agentCallId,
    });
    if (answer.status >= 200 && answer.status < 300) {
      const id = (answer.json as { callId?: unknown } | undefined)?.callId;
      if (typeof id !== 'string' || id === '') throw new CarrierError('unknown', `http_${answer.status}`, 'carrier_unknown', `Bandwidth answered ${answer.status} without a callId`);
      return id;
    }
    throw bandwidthVoiceFailure(answer);
  }

  async hangUpAgentCall(callId: string): Promise<void> {
    const answer = await this.request(`${this.callsUrl}/${encodeURIComponent(callId)}`, { state: 'completed' });
    if (answer.status < 200 || answer.status >= 300) throw bandwidthVoiceFailure(answer);
  }

  private request(url: string, json: unknown): Promise<HttpAnswer> {
    return carrierRequest({
      carrier: 'Bandwidth',
      method: 'POST',
      url,
      headers: { authorization: this.authorization, accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(json),
      timeoutMs: this.timeoutMs,
    });
  }
}

/** A Voice API error (`voiceApiError`: type, description, id): 429 and 5xx retryable, other 4xx permanent. */
export function bandwidthVoiceFailure(answer: HttpAnswer): CarrierError {
  const body = (answer.json && typeof answer.json === 'object' ? answer.json : {}) as { type?: string; description?: string };
  const code = body.type ? body.type : `http_${answer.status}`;
  const detail = `Bandwidth answered ${answer.status}${body.type ? ` (${body.type})` : ''}: ${body.description ?? `HTTP ${answer.status}`}`;
  return transientHttpError('Bandwidth', answer, code, detail) ?? new CarrierError('permanent', code, 'carrier_unknown', detail);
}

/**
 * The account's Voice API client, or the reason there is none: placing calls needs the voice
 * application (`settings.voice_application_id`) and the callback credentials.
 */
export function bandwidthVoiceFor(account: LoadedAccount, publicBaseUrl: string): BandwidthVoice | { unavailable: string } {
  const { settings: s, credentials: c, row } = account;
  if (!s.voice_application_id) return { unavailable: 'the Bandwidth account has no voice application id (settings.voice_application_id)' };
  if (!s.callback_username || !c.callback_password) return { unavailable: 'the Bandwidth account has no callback credentials' };
  return new BandwidthVoice({
    bandwidthAccountId: s.account_id!,
    voiceApplicationId: s.voice_application_id,
    apiUser: c.api_user!,
    apiPassword: c.api_password!,
    callbackUsername: s.callback_username,
    callbackPassword: c.callback_password,
    accountId: row.id,
    publicBaseUrl,
    ...(row.api_base_url ? { baseUrl: row.api_base_url } : {}),
  });
}
