import { callDurationSeconds, classifyCall, parseE164Loose, type AnsweredBy, type CallClassification, type CallRecord } from '@textback/core';
import { transaction, type AppContext } from '../app-context.js';
import type { Call } from '../db/schema.js';
import { AppError, notFound } from '../support/errors.js';
import { newId } from '../support/ids.js';
import { findOrCreateContact } from './contacts.js';
import { endTextBackRuns, startRunsForEvent } from './automations/engine.js';
import { appendEvent, collectEvents } from './events.js';
import { organizationById, orgSettings } from './organizations.js';
import { recordImpliedConsent } from './compliance/consent.js';
import { decodeCursor, toPage, type Page, olderThan } from './pagination.js';
import { insertRows } from '../db/insert-rows.js';
import { prepared } from '../db/prepared.js';

/** The lookups of every call event, their SQL built once (db/prepared.ts). */
const numberOfOrg = prepared((db, v: { e164: string; orgId: string }) => db.selectFrom('phone_numbers').selectAll().where('e164', '=', v.e164).where('org_id', '=', v.orgId));
const callByExternalId = prepared((db, v: { orgId: string; externalId: string }) => db.selectFrom('calls').selectAll().where('org_id', '=', v.orgId).where('external_id', '=', v.externalId));

export const CALL_STATUSES = ['completed', 'no-answer', 'busy', 'failed', 'canceled', 'voicemail'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/** A finished call, from any source: the sandbox, a carrier webhook, or a PBX through `POST /v1/calls`. */
export interface CallEventInput {
  orgId?: string;
  from: string;
  to: string;
  direction: 'inbound' | 'outbound';
  status: CallStatus;
  durationSeconds?: number | undefined;
  answeredBy?: 'human' | 'machine' | 'unknown' | undefined;
  otherLegAnswered?: boolean;
  startedAt?: number | undefined;
  endedAt?: number | undefined;
  externalId?: string | undefined;
  /** The agent or extension that handled the call (PBX events), for automation scopes. */
  extension?: string | undefined;
  carrier: string;
}

/**
 * A carrier's answering-machine detection of one call leg (Telnyx `call.machine.detection.ended`,
 * Bandwidth `machineDetectionComplete`). It arrives on its own webhook, usually before the call
 * ends: it is kept in `call_detections` and merged into the call's `answered_by` when the call is
 * recorded, so that a call a machine answered is classified as voicemail.
 */
export interface CallDetectionInput {
  carrier: string;
  /** The carrier's id of the call leg: the same as the finished call's `externalId`. */
  externalId: string;
  answeredBy: AnsweredBy;
  from: string;
  to: string;
}

export interface RecordCallResult {
  call: Call;
  created: boolean;
}

/**
 * Stores a call with its classification (answered, missed, voicemail, too short, answered
 * elsewhere) and appends `call.completed`. Idempotent on the external id.
 */
export async function recordCall(ctx: AppContext, input: CallEventInput): Promise<RecordCallResult> {
  const from = parseE164Loose(input.from);
  const to = parseE164Loose(input.to);
  if (!from) throw new AppError('invalid_number', `from: "${input.from}" is not an E.164 number`, [{ field: 'from', message: 'not E.164' }]);
  if (!to) throw new AppError('invalid_number', `to: "${input.to}" is not an E.164 number`, [{ field: 'to', message: 'not E.164' }]);
  const businessSide = input.direction === 'inbound' ? to : from;
  const otherSide = input.direction === 'inbound' ? from : to;

  const number = input.orgId
    ? await numberOfOrg.first(ctx.db.kysely, { e164: businessSide, orgId: input.orgId })
    : await ctx.db.kysely.selectFrom('phone_numbers').selectAll().where('e164', '=', businessSide).executeTakeFirst();
  const field = input.direction === 'inbound' ? 'to' : 'from';
  if (!number) throw new AppError('unknown_number', `${field}: ${businessSide} is not one of this organization's numbers`, [{ field, message: 'unknown number' }]);

  if (input.externalId) {
    const existing = await callByExternalId.first(ctx.db.kysely, { orgId: number.org_id, externalId: input.externalId });
    if (existing) return { call: existing, created: false };
  }

  // The carrier's answering-machine detection, when it came on its own webhook (only a completed call's classification uses it).
  let answeredBy = input.answeredBy;
  if (answeredBy === undefined && input.externalId && input.status === 'completed') {
    const detected = await ctx.db.kysely
      .selectFrom('call_detections')
      .select('answered_by')
      .where('org_id', '=', number.org_id)
      .where('external_id', '=', input.externalId)
      .executeTakeFirst();
    answeredBy = detected?.answered_by;
  }

  // The events of the call, its consent and its runs' steps are written together at the end.
  const store = (runDueSteps: boolean) =>
    transaction(ctx, (tx) =>
      collectEvents(tx, ctx, async () => {
        const now = ctx.clock.now();
        // Read in the transaction: the automations started below use the same row.
        const org = await organizationById(tx, number.org_id);
        const classification = classifyWith(orgSettings(org).too_short_seconds, {
          direction: input.direction,
          status: input.status,
          durationSeconds: input.durationSeconds,
          answeredBy,
          otherLegAnswered: input.otherLegAnswered,
          startedAt: input.startedAt,
          endedAt: input.endedAt,
        });
        // What `call.duration` conditions see: the ring time of an unanswered call, the talk time of an answered one.
        const duration = callDurationSeconds(callRecord({ direction: input.direction, status: input.status, durationSeconds: input.durationSeconds, startedAt: input.startedAt, endedAt: input.endedAt }));
        const { contact, created: contactIsNew } = await findOrCreateContact(ctx, tx, number.org_id, otherSide, { source: input.direction === 'inbound' ? 'inbound_call' : 'outbound_call' });
        const call: Call = {
          id: newId('call'),
          org_id: number.org_id,
          contact_id: contact.id,
          number_id: number.id,
          direction: input.direction,
          from_e164: from,
          to_e164: to,
          status: input.status,
          duration_s: input.durationSeconds ?? null,
          answered_by: answeredBy ?? null,
          outcome: classification.outcome,
          outcome_reason: classification.reason,
          carrier: input.carrier,
          external_id: input.externalId ?? null,
          started_at: input.startedAt ?? null,
          ended_at: input.endedAt ?? now,
          created_at: now,
          extension: input.extension ?? null,
        };
        await insertRows(tx, 'calls', [call]);
        // Compliance: a contact who calls first gives implied consent (recorded once, in the ledger).
        if (input.direction === 'inbound') {
          await recordImpliedConsent(ctx, tx, { orgId: number.org_id, contact, numberId: number.id, via: 'call', evidence: { call_id: call.id } }, { consentScope: orgSettings(org).consent_scope, contactIsNew });
        }
        await appendEvent(tx, ctx, {
          orgId: number.org_id,
          type: 'call.completed',
          subjectType: 'call',
          subjectId: call.id,
          data: { contact_id: contact.id, number_id: number.id, direction: call.direction, status: call.status, outcome: call.outcome },
        });
        // A callback that connected makes a pending text-back pointless.
        if (call.outcome === 'answered') {
          await endTextBackRuns(ctx, tx, number.org_id, contact.id, 'the contact called back and the call connected');
        }
        // A zero-delay text-back is stored with the call (its steps due now run in this transaction).
        await startRunsForEvent(
          ctx,
          tx,
          {
            orgId: number.org_id,
            type: 'call.completed',
            id: call.id,
            contactId: contact.id,
            numberId: number.id,
            numberE164: number.e164,
            ...(input.extension ? { extension: input.extension } : {}),
            call: {
              outcome: classification.outcome,
              direction: input.direction,
              ...(duration !== undefined ? { durationSeconds: duration } : {}),
              number: number.e164,
            },
            at: now,
          },
          { runDueSteps, org, contact, contactIsNew, number, eventIsNew: true },
        );
        return { call, created: true };
      }),
    );
  // The same call stored meanwhile by another request (its external id is unique): that one.
  const stored = async (error: unknown): Promise<RecordCallResult | undefined> => {
    if (!input.externalId || !ctx.db.dialect.isUniqueViolation(error)) return undefined;
    const raced = await callByExternalId.first(ctx.db.kysely, { orgId: number.org_id, externalId: input.externalId });
    return raced ? { call: raced, created: false } : undefined;
  };
  try {
    return await store(true);
  } catch (error) {
    const raced = await stored(error);
    if (raced) return raced;
    // Most likely the runs' due steps failed; nothing of the call was written. The call again,
    // without them: its runs are left to their advance jobs (a failure of the call itself fails again, below).
    ctx.log.warn({ err: error, orgId: number.org_id }, "a call's transaction failed with its due automation steps; stored again without them, their advance jobs will run them");
  }
  try {
    return await store(false);
  } catch (error) {
    const raced = await stored(error);
    if (raced) return raced;
    throw error;
  }
}

type CallToClassify = {
  direction: 'inbound' | 'outbound';
  status: CallStatus;
  durationSeconds?: number | undefined;
  answeredBy?: AnsweredBy | undefined;
  otherLegAnswered?: boolean | undefined;
  startedAt?: number | undefined;
  endedAt?: number | undefined;
};

async function classify(ctx: AppContext, orgId: string, call: CallToClassify): Promise<CallClassification> {
  const org = await ctx.db.kysely.selectFrom('organizations').selectAll().where('id', '=', orgId).executeTakeFirstOrThrow();
  return classifyWith(orgSettings(org).too_short_seconds, call);
}

function classifyWith(tooShortSeconds: number, call: CallToClassify): CallClassification {
  return classifyCall(callRecord(call), { tooShortSeconds });
}

/** The core's CallRecord of a call: the ring time of an unanswered call comes from its timestamps (callDurationSeconds). */
function callRecord(call: CallToClassify): CallRecord {
  return {
    direction: call.direction,
    status: call.status,
    ...(call.durationSeconds !== undefined ? { durationSeconds: call.durationSeconds } : {}),
    ...(call.answeredBy !== undefined ? { answeredBy: call.answeredBy } : {}),
    ...(call.otherLegAnswered !== undefined ? { otherLegAnswered: call.otherLegAnswered } : {}),
    ...(call.startedAt !== undefined ? { startedAt: call.startedAt } : {}),
    ...(call.endedAt !== undefined ? { endedAt: call.endedAt } : {}),
  };
}

/**
 * Keeps a carrier's answering-machine detection for the call it names (once: the first result
 * wins). When the call was already recorded (the webhooks came out of order), its `answered_by`,
 * outcome and reason are corrected now; automations that call's earlier outcome started are not
 * run again.
 */
export async function recordCallDetection(ctx: AppContext, orgId: string, detection: CallDetectionInput): Promise<'accepted' | 'duplicate'> {
  const stored = await ctx.db.kysely
    .insertInto('call_detections')
    .values({ org_id: orgId, external_id: detection.externalId, carrier: detection.carrier, answered_by: detection.answeredBy, created_at: ctx.clock.now() })
    .onConflict((oc) => oc.columns(['org_id', 'external_id']).doNothing())
    .returning('external_id')
    .executeTakeFirst();
  if (!stored) return 'duplicate';
  const call = await ctx.db.kysely.selectFrom('calls').selectAll().where('org_id', '=', orgId).where('external_id', '=', detection.externalId).executeTakeFirst();
  if (call && call.answered_by === null) {
    // Only a completed call's classification depends on who answered.
    const classification =
      call.status === 'completed'
        ? await classify(ctx, orgId, {
            direction: call.direction,
            status: 'completed',
            durationSeconds: call.duration_s ?? undefined,
            answeredBy: detection.answeredBy,
            otherLegAnswered: call.outcome === 'answered_elsewhere',
          })
        : undefined;
    await ctx.db.kysely
      .updateTable('calls')
      .set({ answered_by: detection.answeredBy, ...(classification ? { outcome: classification.outcome, outcome_reason: classification.reason } : {}) })
      .where('id', '=', call.id)
      .where('answered_by', 'is', null)
      .execute();
    ctx.log.info({ orgId, callId: call.id, outcome: classification?.outcome ?? call.outcome, previous: call.outcome }, 'answering-machine detection merged into a call recorded before it');
  }
  return 'accepted';
}

export async function getCall(ctx: AppContext, orgId: string, id: string): Promise<Call> {
  const c = await ctx.db.kysely.selectFrom('calls').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
  if (!c) throw notFound('call', id);
  return c;
}

export async function listCalls(
  ctx: AppContext,
  orgId: string,
  filter: { limit: number; cursor?: string; contactId?: string; outcome?: string },
): Promise<Page<Call>> {
  const cursor = decodeCursor(filter.cursor);
  let q = ctx.db.kysely.selectFrom('calls').selectAll().where('org_id', '=', orgId);
  if (filter.contactId) q = q.where('contact_id', '=', filter.contactId);
  if (filter.outcome) q = q.where('outcome', '=', filter.outcome);
  if (cursor) {
    q = q.where(olderThan(cursor));
  }
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
  return toPage(rows, filter.limit, (r) => r);
}
