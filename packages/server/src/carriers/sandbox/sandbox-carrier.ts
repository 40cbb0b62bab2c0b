/**
 * The sandbox carrier: a carrier that needs no account. Texts sent through it land in simulated
 * handsets (rows of `sandbox_messages`); a receipt comes back a moment later through the same
 * `applyDeliveryReceipt` path that real carriers' webhooks take. Destinations can be set to fail
 * with a chosen reason, to exercise failure paths.
 */
import type { AppContext } from '../../app-context.js';
import { enqueue } from '../../jobs/job-queue.js';
import { newId } from '../../support/ids.js';
import type { CarrierAdapter, OutboundMessage, SendResult } from '../carrier.js';

export const SANDBOX = 'sandbox';
export const SANDBOX_RECEIPT_JOB = 'sandbox.receipt';

/** Failures a sandbox destination can simulate, with the carrier code and normalized reason they report. */
export const SANDBOX_FAILURES = {
  landline: { code: '30006', reason: 'landline_or_unreachable', status: 'undelivered' },
  unreachable: { code: '30003', reason: 'landline_or_unreachable', status: 'undelivered' },
  'spam-filtered': { code: '30007', reason: 'spam_filtered', status: 'undelivered' },
} as const;
export type SandboxFailure = keyof typeof SANDBOX_FAILURES;

export interface SandboxReceiptPayload {
  orgId: string;
  messageId: string;
  carrierMessageId: string;
  failure: SandboxFailure | null;
}

export class SandboxCarrier implements CarrierAdapter {
  readonly kind = SANDBOX;

  constructor(
    private readonly ctx: () => AppContext,
    private readonly receiptDelayMs: number,
  ) {}

  async send(message: OutboundMessage): Promise<SendResult> {
    const ctx = this.ctx();
    return ctx.db.kysely.transaction().execute(async (tx) => {
      // Our message id is the sandbox API's idempotency key: sending twice delivers once.
      const existing = await tx.selectFrom('sandbox_messages').select('id').where('client_ref', '=', message.messageId).executeTakeFirst();
      if (existing) return { carrierMessageId: existing.id };
      const destination = await tx
        .selectFrom('sandbox_destinations')
        .select('fail_reason')
        .where('org_id', '=', message.orgId)
        .where('e164', '=', message.to)
        .executeTakeFirst();
      const failure = (destination?.fail_reason as SandboxFailure | undefined) ?? null;
      const id = newId('SB');
      const now = ctx.clock.now();
      await tx
        .insertInto('sandbox_messages')
        .values({
          id,
          org_id: message.orgId,
          handset_e164: message.to,
          business_e164: message.from,
          direction: 'to_handset',
          // A failed destination never receives the text.
          body: failure ? '' : message.body,
          client_ref: message.messageId,
          status: failure ? 'undelivered' : 'delivered',
          error_code: failure ? SANDBOX_FAILURES[failure].code : null,
          created_at: now,
        })
        .execute();
      const payload: SandboxReceiptPayload = { orgId: message.orgId, messageId: message.messageId, carrierMessageId: id, failure };
      await enqueue(tx, ctx.clock, { kind: SANDBOX_RECEIPT_JOB, orgId: message.orgId, payload, runAt: now + this.receiptDelayMs });
      return { carrierMessageId: id };
    });
  }

  async lookup(orgId: string, messageId: string): Promise<SendResult | null> {
    const row = await this.ctx()
      .db.kysely.selectFrom('sandbox_messages')
      .select('id')
      .where('org_id', '=', orgId)
      .where('client_ref', '=', messageId)
      .executeTakeFirst();
    return row ? { carrierMessageId: row.id } : null;
  }
}
