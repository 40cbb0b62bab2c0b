/**
 * Carriers' webhooks (docs/carriers/): outside /v1 and its API keys, each authenticated the
 * carrier's way, per carrier account:
 *
 *   POST /webhooks/twilio/:accountId/messages | status | calls | agent-calls   X-Twilio-Signature
 *   POST /webhooks/telnyx/:accountId/messages | calls | agent-calls   Ed25519 (telnyx-signature-ed25519, telnyx-timestamp)
 *   POST /webhooks/bandwidth/:accountId/messages | calls | agent-calls   HTTP Basic (the account's callback credentials)
 *
 * Order: the account (404), the signature over the raw bytes (403: forged, stale or unsigned;
 * nothing is read further and nothing written), the payload (400), the business number (404),
 * then the fast path (use-cases/carrier-events.ts) and the answer each carrier expects: empty
 * TwiML for Twilio, 200 for Telnyx, 204 for Bandwidth (a ring call's `answer` callback gets its
 * BXML). Bodies are never logged.
 *
 * The URL Twilio signed is rebuilt from the account's public base URL (else PUBLIC_BASE_URL, else
 * the request's X-Forwarded-Proto/-Host or Host) plus the path and query as received: set
 * `public_base_url` when a proxy sits in front.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { KeyObject } from 'node:crypto';
import type { AppContext } from '../../app-context.js';
import {
  agentCallBxml,
  BandwidthPayloadError,
  parseBandwidthAgentCallEvent,
  parseBandwidthCallEvent,
  parseBandwidthDetection,
  parseBandwidthMessageEvents,
  verifyBandwidthBasic,
} from '../../carriers/bandwidth/bandwidth-webhooks.js';
import { loadAccount, publicBaseUrl, type LoadedAccount } from '../../carriers/registry.js';
import { parseTelnyxAgentCallEvent, parseTelnyxEvent, TelnyxPayloadError, telnyxPublicKey, verifyTelnyxSignature } from '../../carriers/telnyx/telnyx-webhooks.js';
import {
  EMPTY_TWIML,
  parseTwilioAgentCall,
  parseTwilioCall,
  parseTwilioForm,
  parseTwilioInbound,
  parseTwilioStatus,
  TwilioPayloadError,
  twilioSigningKey,
  verifyTwilioJsonSignature,
  verifyTwilioSignature,
  type TwilioParams,
} from '../../carriers/twilio/twilio-webhooks.js';
import { AppError } from '../../support/errors.js';
import { acceptAgentCallStatus, acceptCallDetection, acceptCarrierCall, acceptCarrierInbound, acceptCarrierReceipt, type Accepted } from '../../use-cases/carrier-events.js';
import { agentCallAnnouncement } from '../../use-cases/teams/speed-to-lead.js';
import { sendProblem } from '../problem.js';

/** No carrier sends more than a few kilobytes; anything above this is refused with 413 unread. */
export const WEBHOOK_BODY_LIMIT = 64 * 1024;

const HOOKS: Record<string, readonly string[]> = {
  twilio: ['messages', 'status', 'calls', 'agent-calls'],
  telnyx: ['messages', 'calls', 'agent-calls'],
  bandwidth: ['messages', 'calls', 'agent-calls'],
};

class PayloadError extends Error {}

const telnyxKeys = new WeakMap<LoadedAccount, KeyObject>();
const twilioKeys = new WeakMap<LoadedAccount, KeyObject>();

function jsonOf(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    // Never the parser's message: it quotes the body.
    throw new PayloadError('the body is not valid JSON');
  }
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

const publicBases = new WeakMap<LoadedAccount, string | null>();

/** The URL the carrier called, as it sees it (see the module comment). */
function publicUrl(ctx: AppContext, account: LoadedAccount, request: FastifyRequest): string {
  let configured = publicBases.get(account);
  if (configured === undefined) {
    configured = publicBaseUrl(ctx, account.row) ?? null;
    publicBases.set(account, configured);
  }
  const base =
    configured ??
    `${firstHeader(request.headers['x-forwarded-proto'])?.split(',')[0]?.trim() ?? request.protocol}://${firstHeader(request.headers['x-forwarded-host'])?.split(',')[0]?.trim() ?? request.headers.host ?? 'localhost'}`;
  return `${base}${request.url}`;
}

function queryOf(request: FastifyRequest): URLSearchParams {
  const i = request.url.indexOf('?');
  return new URLSearchParams(i === -1 ? '' : request.url.slice(i + 1));
}

export const webhookRoutes =
  (ctx: AppContext): FastifyPluginAsync =>
  async (app) => {
    // Signatures are over the raw bytes: every body is kept as a Buffer, whatever its type. The
    // carriers' two types are named: Fastify caches the parser it finds for a named type, while
    // the catch-all is looked for again (its Content-Type parsed anew) on every request.
    app.removeAllContentTypeParsers();
    const keepRaw = (_request: FastifyRequest, body: Buffer, done: (error: null, body: Buffer) => void) => done(null, body);
    for (const type of ['application/x-www-form-urlencoded', 'application/json', '*']) {
      app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, keepRaw);
    }

    app.post<{ Params: { kind: string; accountId: string; hook: string } }>(
      '/:kind/:accountId/:hook',
      { schema: { hide: true }, bodyLimit: WEBHOOK_BODY_LIMIT },
      async (request, reply) => {
        const { kind, accountId, hook } = request.params;
        // Fields of every log line of this webhook (no per-request child logger: it costs on the hot path).
        const ids = { carrier: kind, carrierAccountId: accountId, hook };
        const log = request.log;
        if (!HOOKS[kind]?.includes(hook)) return sendProblem(reply, 'not_found', `no webhook ${kind}/${hook}`);
        const account = await loadAccount(ctx, accountId);
        if (!account || account.row.kind !== kind) return sendProblem(reply, 'not_found', `no ${kind} carrier account ${accountId}`);
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);

        const refuse = (why: string) => {
          log.warn({ ...ids, why }, 'webhook refused: authentication failed; nothing written');
          return sendProblem(reply, 'forbidden', 'the webhook could not be authenticated for this carrier account');
        };

        try {
          let outcome: Accepted[];
          switch (kind) {
            case 'twilio': {
              const signature = firstHeader(request.headers['x-twilio-signature']);
              let key = twilioKeys.get(account);
              if (!key) {
                key = twilioSigningKey(account.credentials.auth_token ?? '');
                twilioKeys.set(account, key);
              }
              const url = publicUrl(ctx, account, request);
              const isJson = (request.headers['content-type'] ?? '').toLowerCase().startsWith('application/json');
              let params: TwilioParams;
              if (isJson) {
                if (!verifyTwilioJsonSignature(key, signature, url, raw)) return await refuse(signature ? 'forged' : 'unsigned');
                const body = jsonOf(raw);
                if (!body || typeof body !== 'object' || Array.isArray(body)) throw new PayloadError('the body must be a JSON object');
                params = Object.fromEntries(Object.entries(body).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
              } else {
                params = parseTwilioForm(raw.toString('utf8'));
                if (!verifyTwilioSignature(key, signature, url, params)) return await refuse(signature ? 'forged' : 'unsigned');
              }
              const accepted = await twilioEvent(ctx, account, hook, params, request);
              // The fields are only put together when the line is written (this is every Twilio webhook).
              if (ctx.log.isLevelEnabled('info')) log.info({ ...ids, outcome: [accepted] }, 'webhook accepted');
              return await reply.status(200).type('text/xml').send(EMPTY_TWIML);
            }
            case 'telnyx': {
              let key = telnyxKeys.get(account);
              if (!key) {
                key = telnyxPublicKey(account.settings.public_key ?? '');
                telnyxKeys.set(account, key);
              }
              const verdict = verifyTelnyxSignature(
                key,
                { signature: firstHeader(request.headers['telnyx-signature-ed25519']), timestamp: firstHeader(request.headers['telnyx-timestamp']) },
                raw,
                ctx.clock.now(),
              );
              if (!verdict.ok) return await refuse(verdict.why);
              if (hook === 'agent-calls') {
                // A speed-to-lead ring call (telnyx-call-control.ts): our agent call id is in the signed client_state.
                const ring = parseTelnyxAgentCallEvent(jsonOf(raw));
                outcome = [ring.event ? await acceptAgentCallStatus(ctx, account, ring.event) : 'ignored'];
                log.info({ ...ids, outcome, eventId: ring.eventId, eventType: ring.eventType }, 'webhook accepted');
                return await reply.status(200).send();
              }
              const event = parseTelnyxEvent(jsonOf(raw), queryOf(request));
              switch (event.type) {
                case 'inbound':
                  outcome = [await acceptCarrierInbound(ctx, account, event.message)];
                  break;
                case 'receipt':
                  outcome = [await acceptCarrierReceipt(ctx, account, event.receipt, event.messageId)];
                  break;
                case 'call':
                  outcome = [await acceptCarrierCall(ctx, account, event.call)];
                  break;
                case 'detection':
                  outcome = [await acceptCallDetection(ctx, account, event.detection)];
                  break;
                default:
                  outcome = ['ignored'];
              }
              log.info({ ...ids, outcome, eventId: event.eventId }, 'webhook accepted');
              return await reply.status(200).send();
            }
            default: {
              if (!verifyBandwidthBasic(request.headers.authorization, account.settings.callback_username ?? '', account.credentials.callback_password ?? '')) {
                return await refuse(request.headers.authorization ? 'wrong credentials' : 'no credentials');
              }
              const body = jsonOf(raw);
              if (hook === 'agent-calls') {
                // A speed-to-lead ring call (bandwidth-voice.ts): our agent call id is its tag.
                const ring = parseBandwidthAgentCallEvent(body);
                outcome = [ring ? await acceptAgentCallStatus(ctx, account, ring) : 'ignored'];
                log.info({ ...ids, outcome }, 'webhook accepted');
                if (!ring?.isAnswer) return await reply.status(204).send();
                // The answer callback waits for the call's BXML: who the lead is, or that the call is no longer needed.
                const words = await agentCallAnnouncement(ctx, account.row.org_id, ring.agentCallId, ring.callSid);
                return await reply.status(200).type('application/xml').send(agentCallBxml(words));
              }
              if (hook === 'calls') {
                const detection = parseBandwidthDetection(body);
                const call = detection ? undefined : parseBandwidthCallEvent(body);
                outcome = [detection ? await acceptCallDetection(ctx, account, detection) : call ? await acceptCarrierCall(ctx, account, call) : 'ignored'];
              } else {
                outcome = [];
                for (const event of parseBandwidthMessageEvents(body)) {
                  if (event.type === 'inbound') outcome.push(await acceptCarrierInbound(ctx, account, event.message));
                  else if (event.type === 'receipt') outcome.push(await acceptCarrierReceipt(ctx, account, event.receipt, event.messageId));
                  else outcome.push('ignored');
                }
              }
              log.info({ ...ids, outcome }, 'webhook accepted');
              return await reply.status(204).send();
            }
          }
        } catch (error) {
          return payloadFailure(error, reply, log, ids);
        }
      },
    );
  };

async function twilioEvent(ctx: AppContext, account: LoadedAccount, hook: string, params: TwilioParams, request: FastifyRequest): Promise<Accepted> {
  if (hook === 'messages') return acceptCarrierInbound(ctx, account, parseTwilioInbound(params));
  if (hook === 'status') {
    const status = parseTwilioStatus(params, queryOf(request));
    return status ? acceptCarrierReceipt(ctx, account, status.receipt, status.messageId) : 'ignored';
  }
  if (hook === 'agent-calls') {
    const agentCall = parseTwilioAgentCall(params, queryOf(request));
    return agentCall ? acceptAgentCallStatus(ctx, account, agentCall) : 'ignored';
  }
  const call = parseTwilioCall(params);
  return call ? acceptCarrierCall(ctx, account, call) : 'ignored';
}

function payloadFailure(error: unknown, reply: FastifyReply, log: FastifyRequest['log'], ids: Record<string, string>): FastifyReply {
  if (error instanceof PayloadError || error instanceof TwilioPayloadError || error instanceof TelnyxPayloadError || error instanceof BandwidthPayloadError) {
    log.warn({ ...ids, problem: error.message }, 'webhook refused: malformed payload; nothing written');
    return sendProblem(reply, 'validation_failed', `the webhook payload is not valid: ${error.message}`);
  }
  if (error instanceof AppError) {
    log.warn({ ...ids, code: error.code }, 'webhook refused; nothing written');
    return sendProblem(reply, error.code, error.detail, error.errors);
  }
  throw error;
}
