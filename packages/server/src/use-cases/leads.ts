/**
 * New leads from a form, an email parser or a CRM webhook: the contact is created or updated with
 * its source, the lead is recorded, and `lead.created` automations start, in one transaction.
 */
import { transaction, type AppContext } from '../app-context.js';
import { AppError } from '../support/errors.js';
import { validateTemplateValues } from './message-text.js';
import { newId } from '../support/ids.js';
import { startRunsForEvent } from './automations/engine.js';
import { findOrCreateContact, parsePhoneField } from './contacts.js';
import { appendEvent } from './events.js';
import { changeConsent, currentConsent, recordFormConsent } from './compliance/consent.js';
import { orgSettings } from './organizations.js';

const consentScope = (org: { settings: string }) => (JSON.parse(org.settings) as { consent_scope?: 'universal' | 'per_number' }).consent_scope ?? 'universal';
import { startSpeedToLead } from './teams/speed-to-lead.js';

export interface LeadInput {
  orgId: string;
  phone: string;
  name?: string;
  source?: string;
  /** The business number the lead is for; default: the organization's first number. */
  number?: string;
  fields?: Record<string, unknown>;
  externalId?: string;
  /**
   * The lead agreed to be texted (a form with a consent checkbox): express consent, with the
   * disclosure they saw as evidence. Without it the lead's own request is implied consent, which
   * allows replies but not marketing.
   */
  consent?: { disclosure?: string; form?: string } | boolean;
}

export async function createLead(ctx: AppContext, input: LeadInput) {
  // The name fills templates ({Name}) and the agents' ring announcement.
  validateTemplateValues({ name: input.name });
  const org = await ctx.db.kysely.selectFrom('organizations').selectAll().where('id', '=', input.orgId).executeTakeFirstOrThrow();
  const country = orgSettings(org).default_country;
  const e164 = parsePhoneField('phone', input.phone, country);
  if (input.externalId) {
    const existing = await ctx.db.kysely.selectFrom('leads').selectAll().where('org_id', '=', input.orgId).where('external_id', '=', input.externalId).executeTakeFirst();
    if (existing) return { lead: existing, created: false };
  }
  return transaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    let numberQuery = tx.selectFrom('phone_numbers').selectAll().where('org_id', '=', input.orgId);
    numberQuery = input.number ? numberQuery.where('e164', '=', parsePhoneField('number', input.number, country)) : numberQuery.orderBy('created_at');
    const number = await numberQuery.executeTakeFirst();
    if (input.number && !number) throw new AppError('unknown_number', `number: ${input.number} is not one of this organization's numbers`, [{ field: 'number', message: 'unknown number' }]);
    const { contact, created } = await findOrCreateContact(ctx, tx, input.orgId, e164, {
      ...(input.name ? { name: input.name } : {}),
      ...(input.source ? { source: input.source } : {}),
    });
    if (!created) {
      await tx
        .updateTable('contacts')
        .set({ ...(input.name ? { name: input.name } : {}), ...(input.source ? { source: input.source } : {}), updated_at: now })
        .where('id', '=', contact.id)
        .execute();
    }
    const lead = {
      id: newId('lead'),
      org_id: input.orgId,
      contact_id: contact.id,
      number_id: number?.id ?? null,
      source: input.source ?? null,
      fields: JSON.stringify(input.fields ?? {}),
      external_id: input.externalId ?? null,
      created_at: now,
    };
    await tx.insertInto('leads').values(lead).execute();
    const evidence = { note: `lead ${lead.id}${lead.source ? ` from ${lead.source}` : ''}`, ...(typeof input.consent === 'object' ? input.consent : {}) };
    const current = await currentConsent(tx, { orgId: input.orgId, contactId: contact.id, numberId: number?.id ?? null, scope: consentScope(org) });
    if (input.consent) {
      await recordFormConsent(ctx, tx, { orgId: input.orgId, contact, numberId: number?.id ?? null, evidence: { form: input.source ?? 'lead', ...evidence } });
    } else if (current.record.state === 'unknown') {
      await changeConsent(ctx, tx, { orgId: input.orgId, contact, numberId: number?.id ?? null, scope: consentScope(org), type: 'implied', by: 'contact', via: 'form', evidence });
    }
    await appendEvent(tx, ctx, { orgId: input.orgId, type: 'lead.created', subjectType: 'lead', subjectId: lead.id, data: { contact_id: contact.id, source: lead.source } });
    if (number) {
      await startRunsForEvent(ctx, tx, { orgId: input.orgId, type: 'lead.created', id: lead.id, contactId: contact.id, numberId: number.id, numberE164: number.e164, at: now });
    }
    // Speed to lead (docs/teams.md): ring the number's team, or text the lead when no one can take it.
    await startSpeedToLead(ctx, tx, { lead, contact, number });
    return { lead, created: true };
  });
}
