/**
 * The sandbox's simulated phone network: handsets that text and call business numbers, and the
 * receipts of texts sent to them. Inbound texts and calls enter Textback through the same use cases
 * as a real carrier's webhooks, so nothing downstream can tell the difference.
 */
import { parseE164Loose } from '@textback/core';
import type { AppContext } from '../../app-context.js';
import { AppError } from '../../support/errors.js';
import { newId } from '../../support/ids.js';
import { recordCall, type CallEventInput } from '../../use-cases/calls.js';
import { applyDeliveryReceipt, receiveInboundMessage } from '../../use-cases/receive.js';
import { parsePhoneField } from '../../use-cases/contacts.js';
import { getNumberByE164 } from '../../use-cases/numbers.js';
import { SANDBOX, SANDBOX_FAILURES, type SandboxFailure, type SandboxReceiptPayload } from './sandbox-carrier.js';

function handsetNumber(field: string, input: string): string {
  // Handsets may use fictional numbers (+1 555 …) that no numbering plan knows, as in examples.
  const e164 = parseE164Loose(input);
  if (!e164) throw new AppError('invalid_number', `${field}: "${input}" is not a phone number in E.164 form (+ and 8 to 15 digits)`, [{ field, message: 'not E.164' }]);
  return e164;
}

/** A handset texts one of the organization's numbers. */
export async function sandboxText(ctx: AppContext, orgId: string, input: { from: string; to: string; body: string; media?: string[] }) {
  const from = handsetNumber('from', input.from);
  const number = await getNumberByE164(ctx, orgId, parsePhoneField('to', input.to), 'to');
  if (number.carrier !== SANDBOX) throw new AppError('invalid_state', `to: ${number.e164} is on ${number.carrier}, not the sandbox carrier`);
  const id = newId('SB');
  await ctx.db.kysely
    .insertInto('sandbox_messages')
    .values({
      id,
      org_id: orgId,
      handset_e164: from,
      business_e164: number.e164,
      direction: 'from_handset',
      body: input.body,
      client_ref: null,
      status: 'sent',
      error_code: null,
      created_at: ctx.clock.now(),
    })
    .execute();
  return receiveInboundMessage(ctx, { carrier: SANDBOX, carrierMessageId: id, from, to: number.e164, body: input.body, ...(input.media ? { media: input.media } : {}) });
}

export const CALL_OUTCOMES = ['answered', 'no-answer', 'busy', 'voicemail', 'failed', 'canceled'] as const;
export type SandboxCallOutcome = (typeof CALL_OUTCOMES)[number];

/** Default length of a simulated call: talk time when answered, ring time otherwise (a no-answer rings ~25 s). */
const SANDBOX_CALL_SECONDS: Record<SandboxCallOutcome, number> = {
  answered: 95,
  'no-answer': 25,
  busy: 0,
  voicemail: 24,
  failed: 0,
  canceled: 12,
};

/** A handset calls one of the organization's numbers (or is called by it) with a chosen outcome. */
export async function sandboxCall(
  ctx: AppContext,
  orgId: string,
  input: { from: string; to: string; outcome: SandboxCallOutcome; direction?: 'inbound' | 'outbound'; durationSeconds?: number },
) {
  const direction = input.direction ?? 'inbound';
  const handset = handsetNumber(direction === 'inbound' ? 'from' : 'to', direction === 'inbound' ? input.from : input.to);
  const business = await getNumberByE164(
    ctx,
    orgId,
    parsePhoneField(direction === 'inbound' ? 'to' : 'from', direction === 'inbound' ? input.to : input.from),
    direction === 'inbound' ? 'to' : 'from',
  );
  const now = ctx.clock.now();
  // Seconds the call lasted: the conversation when answered, how long it rang otherwise.
  const duration = input.durationSeconds ?? SANDBOX_CALL_SECONDS[input.outcome];
  const event: CallEventInput = {
    orgId,
    from: direction === 'inbound' ? handset : business.e164,
    to: direction === 'inbound' ? business.e164 : handset,
    direction,
    status: input.outcome === 'answered' ? 'completed' : input.outcome,
    durationSeconds: duration,
    answeredBy: input.outcome === 'answered' ? 'human' : input.outcome === 'voicemail' ? 'machine' : undefined,
    // An answered call (a person or a voicemail box) rang 20 s first; an unanswered one rang for its whole duration.
    startedAt: now - (duration + (input.outcome === 'answered' || input.outcome === 'voicemail' ? 20 : 0)) * 1000,
    endedAt: now,
    externalId: newId('SBCALL'),
    carrier: SANDBOX,
  };
  return recordCall(ctx, event);
}

/** Makes texts to a destination fail with a chosen reason (or clears it with null). */
export async function setSandboxFailure(ctx: AppContext, orgId: string, phone: string, failure: SandboxFailure | null): Promise<void> {
  const e164 = handsetNumber('number', phone);
  await ctx.db.kysely.deleteFrom('sandbox_destinations').where('org_id', '=', orgId).where('e164', '=', e164).execute();
  if (failure) {
    if (!(failure in SANDBOX_FAILURES)) throw new AppError('validation_failed', `fail_reason must be one of ${Object.keys(SANDBOX_FAILURES).join(', ')}`);
    await ctx.db.kysely.insertInto('sandbox_destinations').values({ org_id: orgId, e164, fail_reason: failure, created_at: ctx.clock.now() }).execute();
  }
}

/** What a handset received from (and sent to) the organization's numbers, newest first. */
export async function handsetMessages(ctx: AppContext, orgId: string, phone: string, limit = 50) {
  const e164 = handsetNumber('number', phone);
  return ctx.db.kysely
    .selectFrom('sandbox_messages')
    .select(['id', 'handset_e164', 'business_e164', 'direction', 'body', 'status', 'error_code', 'created_at'])
    .where('org_id', '=', orgId)
    .where('handset_e164', '=', e164)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** The job that plays the carrier's delivery webhook for a sandbox send. */
export async function runSandboxReceipt(ctx: AppContext, payload: SandboxReceiptPayload): Promise<void> {
  const failure = payload.failure ? SANDBOX_FAILURES[payload.failure] : null;
  await applyDeliveryReceipt(ctx, {
    carrier: SANDBOX,
    messageId: payload.messageId,
    carrierMessageId: payload.carrierMessageId,
    status: failure ? failure.status : 'delivered',
    errorCode: failure?.code,
    reason: failure?.reason,
  });
}
