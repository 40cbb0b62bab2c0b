/**
 * What a carrier's webhook tells us, after its signature has been checked (http/routes/webhooks.routes.ts):
 * the fast path decides in a read or two, enqueues, and the route answers in milliseconds; the
 * scheduler does the work.
 *
 * Carriers retry webhooks (Twilio on connection failures, Telnyx and Bandwidth until they get a
 * 2xx): each kind of event is processed once, on the carrier's own ids, and a replay writes nothing:
 * - an inbound message: a stored message with that carrier id, or the pending job's unique key;
 * - a delivery receipt: a message already at (or past) that status with that carrier id, or the
 *   pending job's key `receipt:<carrier>:<id>:<status>`; applying one is idempotent anyway;
 * - a call: a stored call with that external id (the carrier's call id), or the pending job's key;
 * - an answering-machine detection: one per call leg (the `call_detections` primary key).
 */
import { parseE164Loose } from '@textback/core';
import type { AppContext } from '../app-context.js';
import type { DeliveryReceipt, InboundMessage } from '../carriers/carrier.js';
import type { LoadedAccount } from '../carriers/registry.js';
import { enqueue } from '../jobs/job-queue.js';
import { AppError } from '../support/errors.js';
import { recordCall, recordCallDetection, type CallDetectionInput, type CallEventInput } from './calls.js';
import { acceptInbound, orgOfNumber } from './ingest.js';
import { nextStatus } from './messages.js';
import { applyDeliveryReceipt } from './receive.js';
import { answerAgentCall, enqueueAgentCallStep, markAgentCallMissed } from './teams/speed-to-lead.js';

export const CARRIER_RECEIPT_JOB = 'carrier.receipt';
export const CARRIER_CALL_JOB = 'carrier.call';

export type Accepted = 'accepted' | 'duplicate' | 'ignored';

/** A speed-to-lead ring call's status, as each carrier's parser reports it. */
export interface AgentCallStatus {
  /** Our agent call id (Twilio `?c=`, Telnyx `client_state`, Bandwidth `tag`). */
  agentCallId: string;
  /** The carrier's id of the call. */
  callSid: string;
  /** answered: the agent picked up; missed: the call ended unanswered; spoken: the announcement was said (Telnyx). */
  outcome: 'answered' | 'missed' | 'spoken';
  /**
   * Telnyx: the call waits for commands once answered. Answering the ring then queues the
   * announcement (speak); a call no longer needed (another agent was first, the timeout passed)
   * is hung up instead.
   */
  speak?: boolean;
}

/**
 * A speed-to-lead ring call's status (the agent-calls webhook of Twilio, Telnyx or Bandwidth):
 * answered connects the agent (no text), unanswered marks that agent's call missed (the ring
 * timeout still decides the text). A call of another organization, with another carrier id, or
 * no longer ringing is ignored (a replay too).
 */
export async function acceptAgentCallStatus(ctx: AppContext, account: LoadedAccount, event: AgentCallStatus): Promise<Accepted> {
  const orgId = account.row.org_id;
  const db = ctx.db.kysely;
  const call = await db.selectFrom('agent_calls').select(['state', 'carrier_call_sid']).where('id', '=', event.agentCallId).where('org_id', '=', orgId).executeTakeFirst();
  if (!call || (call.carrier_call_sid !== null && call.carrier_call_sid !== event.callSid)) return 'ignored';
  if (call.carrier_call_sid === null) {
    // The webhook came before the dial job stored the carrier's answer: keep the id, so the call can be hung up.
    await db.updateTable('agent_calls').set({ carrier_call_sid: event.callSid }).where('id', '=', event.agentCallId).where('carrier_call_sid', 'is', null).execute();
  }
  if (event.outcome === 'spoken') {
    if (call.state !== 'answered') return 'duplicate';
    await enqueueAgentCallStep(db, ctx.clock, orgId, event.agentCallId, 'hang_up');
    ctx.signals.jobsEnqueued();
    return 'accepted';
  }
  const lateAnswer = async (): Promise<Accepted> => {
    // Picked up after another agent, or after the timeout: nothing to connect; end the call.
    if (event.speak && event.outcome === 'answered') {
      await enqueueAgentCallStep(db, ctx.clock, orgId, event.agentCallId, 'hang_up');
      ctx.signals.jobsEnqueued();
    }
    return 'duplicate';
  };
  if (call.state !== 'ringing') return call.state === 'answered' ? 'duplicate' : lateAnswer();
  if (event.outcome === 'missed') return (await markAgentCallMissed(ctx, orgId, event.agentCallId)) ? 'accepted' : 'duplicate';
  try {
    await answerAgentCall(ctx, orgId, event.agentCallId, { announce: event.speak === true });
    return 'accepted';
  } catch (error) {
    // Another agent answered first, or the timeout texted the lead meanwhile: nothing to do.
    if (error instanceof AppError && error.code === 'invalid_state') return lateAnswer();
    throw error;
  }
}

/**
 * An answering-machine detection (Telnyx, Bandwidth): kept for the call it names and merged into
 * it when it is recorded. Either side may be the business number (404 when neither is one of the
 * account organization's).
 */
export async function acceptCallDetection(ctx: AppContext, account: LoadedAccount, detection: CallDetectionInput): Promise<Accepted> {
  const orgId = account.row.org_id;
  const sides = [parseE164Loose(detection.to), parseE164Loose(detection.from)].filter((n): n is string => n !== null);
  let ours = false;
  for (const side of sides) if ((await orgOfNumber(ctx, side)) === orgId) ours = true;
  if (!ours) throw new AppError('unknown_number', 'neither side of the call is a business number registered with Textback for this account');
  return recordCallDetection(ctx, orgId, detection);
}

/** An inbound text: the same fast path as the sandbox's webhook (acceptInbound), scoped to the account's organization. */
export async function acceptCarrierInbound(ctx: AppContext, account: LoadedAccount, inbound: InboundMessage): Promise<Accepted> {
  const { jobId } = await acceptInbound(ctx, inbound, account.row.org_id);
  return jobId === null ? 'duplicate' : 'accepted';
}

export interface ReceiptJobPayload {
  orgId: string;
  messageId: string;
  receipt: DeliveryReceipt;
}

/**
 * A delivery receipt. `messageId` is our id when the carrier echoes it (Twilio's `?m=`, Telnyx's
 * `?m=`, Bandwidth's tag); otherwise the carrier id finds the message. A receipt for a message
 * that is not this organization's (another system on the same carrier account) is ignored.
 */
export async function acceptCarrierReceipt(ctx: AppContext, account: LoadedAccount, receipt: DeliveryReceipt, messageId?: string): Promise<Accepted> {
  let q = ctx.db.kysely
    .selectFrom('messages')
    .select(['id', 'status', 'carrier_message_id', 'direction'])
    .where('org_id', '=', account.row.org_id)
    .where('carrier', '=', receipt.carrier);
  q = messageId ? q.where('id', '=', messageId) : q.where('carrier_message_id', '=', receipt.carrierMessageId);
  const message = await q.executeTakeFirst();
  if (!message || message.direction !== 'outbound') return 'ignored';
  if (message.carrier_message_id === receipt.carrierMessageId && nextStatus(message.status, receipt.status) === message.status) return 'duplicate';
  const payload: ReceiptJobPayload = { orgId: account.row.org_id, messageId: message.id, receipt };
  await enqueue(ctx.db.kysely, ctx.clock, {
    kind: CARRIER_RECEIPT_JOB,
    orgId: account.row.org_id,
    payload,
    uniqueKey: `receipt:${receipt.carrier}:${receipt.carrierMessageId}:${receipt.status}`,
    maxAttempts: 20,
  });
  ctx.signals.jobsEnqueued();
  return 'accepted';
}

export async function runCarrierReceiptJob(ctx: AppContext, payload: ReceiptJobPayload): Promise<void> {
  await applyDeliveryReceipt(ctx, { ...payload.receipt, messageId: payload.messageId });
}

export interface CallJobPayload {
  call: CallEventInput & { orgId: string };
}

/** A finished call: the business side must be one of the account organization's numbers (404 otherwise). */
export async function acceptCarrierCall(ctx: AppContext, account: LoadedAccount, call: Omit<CallEventInput, 'orgId'>): Promise<Accepted> {
  const orgId = account.row.org_id;
  const business = parseE164Loose(call.direction === 'inbound' ? call.to : call.from);
  if (!business || (await orgOfNumber(ctx, business)) !== orgId) {
    throw new AppError('unknown_number', `${call.direction === 'inbound' ? 'to' : 'from'}: the business number is not registered with Textback for this account`);
  }
  if (!call.externalId) throw new AppError('validation_failed', 'the call has no id');
  const existing = await ctx.db.kysely.selectFrom('calls').select('id').where('org_id', '=', orgId).where('external_id', '=', call.externalId).executeTakeFirst();
  if (existing) return 'duplicate';
  const payload: CallJobPayload = { call: { ...call, orgId } };
  await enqueue(ctx.db.kysely, ctx.clock, {
    kind: CARRIER_CALL_JOB,
    orgId,
    payload,
    uniqueKey: `call:${orgId}:${call.externalId}`,
    maxAttempts: 20,
  });
  ctx.signals.jobsEnqueued();
  return 'accepted';
}

export async function runCarrierCallJob(ctx: AppContext, payload: CallJobPayload, jobId: string): Promise<void> {
  try {
    await recordCall(ctx, payload.call);
  } catch (error) {
    if (error instanceof AppError && error.code === 'unknown_number') {
      ctx.log.warn({ jobId }, 'call for a number that is no longer registered; dropped');
      return;
    }
    throw error;
  }
}
