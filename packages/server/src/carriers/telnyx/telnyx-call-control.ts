/**
 * Telnyx Call Control for speed to lead: ringing an agent's mobile, speaking the announcement when
 * they pick up, and hanging up the calls no longer needed.
 *
 * These endpoints are NOT in the reference OpenAPI document (telnyx-messaging.openapi.json covers
 * messaging and the call webhooks only). Fields follow Telnyx's documentation, checked against
 * https://developers.telnyx.com/api-reference/call-commands/dial and the request types of the
 * official SDK generated from Telnyx's OpenAPI (team-telnyx/telnyx-node `src/resources/calls/calls.ts`
 * `CallDialParams`, `src/resources/calls/actions.ts` `hangup` / `speak`); tests run against a
 * loopback fake that asserts those fields (test/carriers/agent-calls-voice.test.ts).
 *
 * - Dial: `POST {base}/calls` with `Authorization: Bearer <API key>` and JSON
 *   `{connection_id, to, from, webhook_url, timeout_secs, client_state, command_id}`; answer
 *   `{"data": {"call_control_id", "call_leg_id", "call_session_id", "is_alive", "record_type": "call"}}`.
 *   `connection_id` is the Call Control application (the account's `settings.connection_id`);
 *   `timeout_secs` is how long Telnyx waits for an answer (5 to 600 s; then `call.hangup` with
 *   `hangup_cause: timeout`); `webhook_url` overrides the application's URL for this call's events
 *   (`call.initiated`, `call.answered`, `call.hangup`, `call.speak.ended`); `client_state` (base64)
 *   comes back in each of them and carries our agent call id, under the webhook's Ed25519
 *   signature; `command_id` makes a retried dial a no-op ("Telnyx will ignore other Dial commands
 *   with the same command_id").
 * - Hang up: `POST {base}/calls/{call_control_id}/actions/hangup` `{command_id}`; a command on a
 *   call that already ended is refused with a 4xx (permanent: nothing to stop).
 * - Speak: `POST {base}/calls/{call_control_id}/actions/speak` `{payload, voice, language, command_id}`.
 *
 * Failures are classed as for messages (telnyxFailure): 429 and 5xx retryable, other 4xx permanent.
 */
import { CarrierError, type AgentCallApi, type AgentCallRequest } from '../carrier.js';
import { carrierRequest, trimSlash, type HttpAnswer } from '../http.js';
import type { LoadedAccount } from '../registry.js';
import { telnyxFailure } from './telnyx-carrier.js';

/** Telnyx's documented bounds of `timeout_secs`. */
export const TELNYX_TIMEOUT_SECS = { min: 5, max: 600 } as const;

export interface TelnyxCallControlOptions {
  apiKey: string;
  /** The Call Control application (formerly connection) the calls are placed from. */
  connectionId: string;
  /** Textback's carrier account id: part of the webhook URL. */
  accountId: string;
  publicBaseUrl: string;
  /** API origin with its version path; defaults to https://api.telnyx.com/v2. */
  baseUrl?: string;
  timeoutMs?: number;
}

export class TelnyxCallControl implements AgentCallApi {
  readonly kind = 'telnyx';
  private readonly baseUrl: string;
  private readonly authorization: string;
  private readonly connectionId: string;
  /** Where this call's events go: `{public}/webhooks/telnyx/{accountId}/agent-calls`. */
  readonly webhookUrl: string;
  private readonly timeoutMs: number;

  constructor(options: TelnyxCallControlOptions) {
    this.baseUrl = trimSlash(options.baseUrl ?? 'https://api.telnyx.com/v2');
    this.authorization = `Bearer ${options.apiKey}`;
    this.connectionId = options.connectionId;
    this.webhookUrl = `${trimSlash(options.publicBaseUrl)}/webhooks/telnyx/${encodeURIComponent(options.accountId)}/agent-calls`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async placeAgentCall(call: AgentCallRequest): Promise<string> {
    const answer = await this.request('/calls', {
      connection_id: this.connectionId,
      to: call.to,
      from: call.from,
      webhook_url: this.webhookUrl,
      timeout_secs: Math.min(TELNYX_TIMEOUT_SECS.max, Math.max(TELNYX_TIMEOUT_SECS.min, Math.ceil(call.timeoutSeconds))),
      client_state: encodeClientState(call.agentCallId),
      command_id: `dial-${call.agentCallId}`,
    });
    if (answer.status >= 200 && answer.status < 300) {
      const id = (answer.json as { data?: { call_control_id?: unknown } } | undefined)?.data?.call_control_id;
      if (typeof id !== 'string' || id === '') throw new CarrierError('unknown', `http_${answer.status}`, 'carrier_unknown', `Telnyx answered ${answer.status} without a call_control_id`);
      return id;
    }
    throw telnyxFailure(answer);
  }

  async hangUpAgentCall(callControlId: string, agentCallId: string): Promise<void> {
    const answer = await this.request(`/calls/${encodeURIComponent(callControlId)}/actions/hangup`, { command_id: `hangup-${agentCallId}` });
    if (answer.status < 200 || answer.status >= 300) throw telnyxFailure(answer);
  }

  async announce(callControlId: string, agentCallId: string, words: string): Promise<void> {
    const answer = await this.request(`/calls/${encodeURIComponent(callControlId)}/actions/speak`, {
      payload: words,
      voice: 'female',
      language: 'en-US',
      command_id: `announce-${agentCallId}`,
    });
    if (answer.status < 200 || answer.status >= 300) throw telnyxFailure(answer);
  }

  private request(path: string, json: unknown): Promise<HttpAnswer> {
    return carrierRequest({
      carrier: 'Telnyx',
      method: 'POST',
      url: `${this.baseUrl}${path}`,
      headers: { authorization: this.authorization, accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(json),
      timeoutMs: this.timeoutMs,
    });
  }
}

/** `client_state` must be base64 (Telnyx docs); ours is the agent call id. */
export function encodeClientState(agentCallId: string): string {
  return Buffer.from(agentCallId, 'utf8').toString('base64');
}

/**
 * The account's Call Control client, or the reason there is none (no `settings.connection_id`:
 * Telnyx needs a Call Control application to place calls from).
 */
export function telnyxCallControlFor(account: LoadedAccount, publicBaseUrl: string): TelnyxCallControl | { unavailable: string } {
  const connectionId = account.settings.connection_id;
  if (!connectionId) return { unavailable: 'the Telnyx account has no Call Control connection id (settings.connection_id)' };
  return new TelnyxCallControl({
    apiKey: account.credentials.api_key!,
    connectionId,
    accountId: account.row.id,
    publicBaseUrl,
    ...(account.row.api_base_url ? { baseUrl: account.row.api_base_url } : {}),
  });
}
