/**
 * The fast path of inbound webhooks: a carrier (or the sandbox, playing one) tells us about an
 * inbound text; we check that the number is ours, enqueue it, and answer in milliseconds. The
 * scheduler then stores it with its contact, conversation and event (`receiveInboundMessage`), runs
 * keywords, routing and automations. Carriers retry webhooks: the pending job's key and the
 * messages table's unique carrier id make a retried webhook a no-op.
 */
import { parseE164Loose } from '@textback/core';
import type { AppContext } from '../app-context.js';
import type { InboundMessage } from '../carriers/carrier.js';
import { GroupCommitter, type AlreadyDone } from '../jobs/group-commit.js';
import { AppError } from '../support/errors.js';
import { TtlCache } from '../support/ttl-cache.js';
import { receiveInboundMessage } from './receive.js';

export const INBOUND_JOB = 'inbound.message';

/** Per database (tests open several in one process). */
const numberOrgsByDb = new WeakMap<object, TtlCache<string, string | null>>();

/** The organization owning a business number (cached briefly: numbers rarely move). */
export async function orgOfNumber(ctx: AppContext, e164: string): Promise<string | null> {
  let numberOrgs = numberOrgsByDb.get(ctx.db);
  if (!numberOrgs) {
    numberOrgs = new TtlCache<string, string | null>(10_000);
    numberOrgsByDb.set(ctx.db, numberOrgs);
  }
  const cached = numberOrgs.get(e164);
  if (cached !== undefined) return cached;
  const row = await ctx.db.kysely.selectFrom('phone_numbers').select('org_id').where('e164', '=', e164).executeTakeFirst();
  const orgId = row?.org_id ?? null;
  numberOrgs.set(e164, orgId);
  return orgId;
}

export function forgetNumber(ctx: AppContext, e164: string): void {
  numberOrgsByDb.get(ctx.db)?.delete(e164);
}

const committers = new WeakMap<object, GroupCommitter>();

/** A retried webhook whose message is already stored writes nothing (checked in the batch's INSERT). */
const alreadyStored: AlreadyDone = {
  table: 'messages',
  columns: ['carrier', 'carrier_message_id'],
  values: (job) => {
    const p = job.payload as InboundMessage;
    return [p.carrier, p.carrierMessageId];
  },
};

const inboundKey = (carrier: string, carrierMessageId: string) => `inbound:${carrier}:${carrierMessageId}`;

/** Webhooks arriving together are committed together (see jobs/group-commit.ts). */
function committerFor(ctx: AppContext): GroupCommitter {
  let committer = committers.get(ctx.db);
  if (!committer) {
    committer = new GroupCommitter(ctx.db, ctx.clock, () => ctx.signals.jobsEnqueued(), alreadyStored);
    committers.set(ctx.db, committer);
  }
  return committer;
}

/** `jobId` is null when the message is already stored (a retried webhook): nothing was written. */
export async function acceptInbound(ctx: AppContext, inbound: InboundMessage, expectedOrgId?: string): Promise<{ jobId: string | null; orgId: string }> {
  const to = parseE164Loose(inbound.to);
  if (!to) throw new AppError('invalid_number', `to: "${inbound.to}" is not an E.164 number`, [{ field: 'to', message: 'not E.164' }]);
  const orgId = await orgOfNumber(ctx, to);
  if (!orgId || (expectedOrgId && orgId !== expectedOrgId)) {
    throw new AppError('unknown_number', `to: ${to} is not a number registered with Textback`, [{ field: 'to', message: 'unknown number' }]);
  }
  const jobId = await committerFor(ctx).enqueue({
    kind: INBOUND_JOB,
    orgId,
    payload: { ...inbound, to },
    uniqueKey: inboundKey(inbound.carrier, inbound.carrierMessageId),
    maxAttempts: 20,
  });
  return { jobId, orgId };
}

/** The job: the full inbound path, then the message body is removed from the job's payload. */
export async function runInboundJob(ctx: AppContext, payload: InboundMessage, jobId: string): Promise<void> {
  // An emptied payload: the message was stored before its body left the job (a worker that died
  // before recording the job's completion). Nothing left to do.
  if (isEmptied(payload)) return;
  try {
    await receiveInboundMessage(ctx, payload);
  } catch (error) {
    // A number removed since the webhook was accepted: nothing to deliver to.
    if (error instanceof AppError && error.code === 'unknown_number') {
      ctx.log.warn({ jobId }, 'inbound message for a number that is no longer registered; dropped');
    } else {
      throw error;
    }
  }
  await ctx.db.kysely.updateTable('jobs').set({ payload: '{}' }).where('id', '=', jobId).execute();
}

/** True for a job payload already emptied (`{}`) after its message was stored. */
export function isEmptied(payload: Partial<InboundMessage> | null | undefined): boolean {
  return !payload || typeof payload.carrierMessageId !== 'string';
}
