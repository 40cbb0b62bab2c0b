/**
 * The consent ledger: every change of a contact's consent (opted in, implied, opted out) with its
 * source, actor, evidence and time. The current state is the latest change in scope; changes go
 * through core's applyConsentChange, so an opt-out the contact made (keyword, carrier STOP) can only
 * be undone by the contact, and one an agent made by an agent or the contact.
 *
 * Scope (organization setting `consent_scope`): `universal` writes and reads every change for all
 * numbers (number_id null); `per_number` records keyword and inbound changes against the number
 * they came on, and a number's state is the latest change for it or for all numbers.
 */
import {
  applyConsentChange,
  UNKNOWN_CONSENT,
  type ConsentActor,
  type ConsentChangeResult,
  type ConsentChannel,
  type ConsentRecord,
} from '@textback/core';
import type { AppContext, Tx } from '../../app-context.js';
import type { ConsentEvent, Contact } from '../../db/schema.js';
import { AppError, notFound } from '../../support/errors.js';
import { newId } from '../../support/ids.js';
import { appendEvent, type NewEvent } from '../events.js';
import { getOrganization, organizationById, orgSettings } from '../organizations.js';
import { transaction } from '../../app-context.js';
import { csvField } from './csv.js';
import { insertRows } from '../../db/insert-rows.js';

export type ConsentScopeSetting = 'universal' | 'per_number';

export interface ConsentEvidence {
  message_id?: string;
  call_id?: string;
  keyword?: string;
  /** Where an express opt-in was given (a web form's URL or name). */
  form?: string;
  /** The disclosure the contact agreed to, word for word. */
  disclosure?: string;
  note?: string;
  [key: string]: unknown;
}

export interface CurrentConsent {
  record: ConsentRecord;
  /** The ledger row that made it, if any. */
  event: ConsentEvent | undefined;
}

/** The contact's consent for sending from `numberId` (or for every number). */
export async function currentConsent(
  db: Tx,
  input: { orgId: string; contactId: string; numberId: string | null; scope: ConsentScopeSetting },
): Promise<CurrentConsent> {
  let q = db
    .selectFrom('consent_events')
    .selectAll()
    .where('org_id', '=', input.orgId)
    .where('contact_id', '=', input.contactId);
  if (input.scope === 'per_number' && input.numberId) {
    const numberId = input.numberId;
    q = q.where((eb) => eb.or([eb('number_id', 'is', null), eb('number_id', '=', numberId)]));
  }
  const event = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  return { record: event ? recordOf(event) : UNKNOWN_CONSENT, event };
}

export function recordOf(event: ConsentEvent): ConsentRecord {
  return event.state === 'opted_out'
    ? { state: 'opted_out', optOut: { by: event.actor_type, via: event.source as ConsentChannel, at: event.created_at }, updatedAt: event.created_at }
    : { state: event.state, updatedAt: event.created_at };
}

export interface ConsentChangeInput {
  orgId: string;
  contact: Pick<Contact, 'id' | 'e164'>;
  /** The number the change came through; recorded only in per_number scope (null = all numbers). */
  numberId: string | null;
  scope: ConsentScopeSetting;
  type: 'opt_in' | 'implied' | 'opt_out';
  by: ConsentActor;
  via: ConsentChannel;
  actorId?: string | null;
  evidence?: ConsentEvidence;
}

const STATE_OF = { opt_in: 'opted_in', implied: 'implied', opt_out: 'opted_out' } as const;

/**
 * Applies a change with core's rules and appends it to the ledger when it changed something
 * (`contact.consent_changed` event). A refused change (e.g. an agent undoing the contact's STOP) is
 * returned, not thrown: the caller decides (the API answers 409, an inbound text just goes on).
 */
export async function changeConsent(
  ctx: AppContext,
  tx: Tx,
  input: ConsentChangeInput,
  /** The contact's current consent for this change's scope, when the caller just read it in `tx`. */
  known?: CurrentConsent,
): Promise<ConsentChangeResult & { event?: ConsentEvent }> {
  const numberId = input.scope === 'per_number' ? input.numberId : null;
  const current = known ?? (await currentConsent(tx, { orgId: input.orgId, contactId: input.contact.id, numberId, scope: input.scope }));
  const now = ctx.clock.now();
  const result = applyConsentChange(current.record, { type: input.type, by: input.by, via: input.via, at: now });
  if (!result.ok || !result.changed) return result;
  const event = consentEventRow(input, now);
  await insertRows(tx, 'consent_events', [event]);
  await appendEvent(tx, ctx, consentChangedEvent(event));
  return { ...result, event };
}

/** The ledger row of a change that `applyConsentChange` accepted (also written in batches by receive-batch.ts). */
export function consentEventRow(input: ConsentChangeInput, now: number): ConsentEvent {
  return {
    id: newId('cns'),
    org_id: input.orgId,
    contact_id: input.contact.id,
    number_id: input.scope === 'per_number' ? input.numberId : null,
    e164: input.contact.e164,
    state: STATE_OF[input.type],
    source: input.via,
    actor_type: input.by,
    actor_id: input.actorId ?? null,
    evidence: JSON.stringify(input.evidence ?? {}),
    created_at: now,
  };
}

/** The `contact.consent_changed` event of a ledger row. */
export function consentChangedEvent(event: ConsentEvent): NewEvent {
  return {
    orgId: event.org_id,
    type: 'contact.consent_changed',
    subjectType: 'contact',
    subjectId: event.contact_id,
    data: { state: event.state, source: event.source, actor_type: event.actor_type, number_id: event.number_id, consent_event_id: event.id },
  };
}

/** The contact's ledger, newest first, and its current state for all numbers. */
export async function contactConsent(ctx: AppContext, orgId: string, contactId: string) {
  const contact = await ctx.db.kysely.selectFrom('contacts').selectAll().where('id', '=', contactId).where('org_id', '=', orgId).executeTakeFirst();
  if (!contact) throw notFound('contact', contactId);
  const org = await getOrganization(ctx, orgId);
  const scope = orgSettings(org).consent_scope;
  const ledger = await ctx.db.kysely
    .selectFrom('consent_events')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('contact_id', '=', contactId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  const current = await currentConsent(ctx.db.kysely, { orgId, contactId, numberId: null, scope: 'universal' });
  return { contact, scope, current, ledger };
}

/**
 * An agent's opt-out or opt-in through the API. Refused with 409 `opted_out_by_contact` when the
 * contact opted out themself (STOP, carrier report): only the contact can undo that, by texting START.
 */
export async function agentConsentChange(
  ctx: AppContext,
  input: { orgId: string; contactId: string; state: 'opted_in' | 'opted_out'; numberId?: string | null; actorId: string; evidence?: ConsentEvidence },
): Promise<ConsentEvent | undefined> {
  const org = await getOrganization(ctx, input.orgId);
  const scope = orgSettings(org).consent_scope;
  const contact = await ctx.db.kysely.selectFrom('contacts').select(['id', 'e164']).where('id', '=', input.contactId).where('org_id', '=', input.orgId).executeTakeFirst();
  if (!contact) throw notFound('contact', input.contactId);
  const result = await transaction(ctx, (tx) =>
    changeConsent(ctx, tx, {
      orgId: input.orgId,
      contact,
      numberId: input.numberId ?? null,
      scope,
      type: input.state === 'opted_in' ? 'opt_in' : 'opt_out',
      by: 'agent',
      via: input.evidence?.form ? 'form' : 'manual',
      actorId: input.actorId,
      ...(input.evidence ? { evidence: input.evidence } : {}),
    }),
  );
  if (!result.ok) {
    throw new AppError(
      result.refusal.code === 'opted_out_by_contact' ? 'opted_out_by_contact' : 'invalid_state',
      `${result.refusal.reason} (${result.refusal.code})`,
    );
  }
  return result.event;
}

/** Records implied consent for a contact who wrote or called first (nothing if consent is already known). */
export async function recordImpliedConsent(
  ctx: AppContext,
  tx: Tx,
  input: { orgId: string; contact: Pick<Contact, 'id' | 'e164'>; numberId: string; via: 'message' | 'call'; evidence: ConsentEvidence },
  /** What the caller knows from `tx`: the organization's consent scope; the contact was created in it (no ledger yet). */
  known: { consentScope?: ConsentScopeSetting; contactIsNew?: boolean } = {},
): Promise<void> {
  const scope = known.consentScope ?? orgSettings(await organizationById(tx, input.orgId)).consent_scope;
  // Only the first contact-initiated interaction records anything: unknown → implied.
  const current: CurrentConsent = known.contactIsNew
    ? { record: UNKNOWN_CONSENT, event: undefined }
    : await currentConsent(tx, { orgId: input.orgId, contactId: input.contact.id, numberId: input.numberId, scope });
  if (current.record.state !== 'unknown') return;
  // Universal scope reads every change, as just read (a new contact has none in any scope); per number, changeConsent reads its own scope.
  await changeConsent(ctx, tx, { ...input, scope, type: 'implied', by: 'contact' }, scope === 'universal' || known.contactIsNew ? current : undefined);
}

/** The organization's whole ledger as CSV lines (header first), oldest first, read in pages. */
export async function* exportConsentCsv(ctx: AppContext, orgId: string): AsyncGenerator<string> {
  yield 'id,contact_id,phone,number_id,state,source,actor_type,actor_id,evidence,created_at\n';
  let after: { at: number; id: string } | null = null;
  for (;;) {
    let q = ctx.db.kysely.selectFrom('consent_events').selectAll().where('org_id', '=', orgId);
    if (after) {
      const { at, id } = after;
      q = q.where((eb) => eb.or([eb('created_at', '>', at), eb.and([eb('created_at', '=', at), eb('id', '>', id)])]));
    }
    const rows = await q.orderBy('created_at').orderBy('id').limit(5000).execute();
    if (rows.length === 0) return;
    yield rows
      .map((r) =>
        [r.id, r.contact_id, r.e164, r.number_id, r.state, r.source, r.actor_type, r.actor_id, r.evidence]
          .map((v, i) => csvField(v, i !== 2))
          .concat(new Date(r.created_at).toISOString())
          .join(','),
      )
      .join('\n')
      .concat('\n');
    const last = rows[rows.length - 1]!;
    after = { at: last.created_at, id: last.id };
  }
}

/**
 * Express consent given on a form (a lead's web form, a CRM import), recorded by Textback itself in
 * the caller's transaction, with the form and the disclosure the contact agreed to as evidence. A
 * contact's own opt-out still wins (returned as a refusal, not thrown).
 */
export async function recordFormConsent(
  ctx: AppContext,
  tx: Tx,
  input: { orgId: string; contact: Pick<Contact, 'id' | 'e164'>; numberId?: string | null; evidence: ConsentEvidence },
): Promise<ConsentChangeResult> {
  const org = await tx.selectFrom('organizations').select('settings').where('id', '=', input.orgId).executeTakeFirstOrThrow();
  const scope = (JSON.parse(org.settings) as { consent_scope?: ConsentScopeSetting }).consent_scope ?? 'universal';
  return changeConsent(ctx, tx, { orgId: input.orgId, contact: input.contact, numberId: input.numberId ?? null, scope, type: 'opt_in', by: 'system', via: 'form', evidence: input.evidence });
}
