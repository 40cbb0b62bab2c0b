import { InvalidPhoneNumberError, normalizePhone, type CountryCode } from '@textback/core';
import { sql } from 'kysely';
import type { AppContext, Tx } from '../app-context.js';
import type { Contact } from '../db/schema.js';
import { AppError, notFound } from '../support/errors.js';
import { validateTemplateValues } from './message-text.js';
import { newId } from '../support/ids.js';
import { getOrganization, orgSettings } from './organizations.js';
import { decodeCursor, toPage, type Page, olderThan } from './pagination.js';
import { insertRowsReturning } from '../db/insert-rows.js';
import { prepared } from '../db/prepared.js';

const contactByE164 = prepared((db, v: { orgId: string; e164: string }) => db.selectFrom('contacts').selectAll().where('org_id', '=', v.orgId).where('e164', '=', v.e164));

/** Validates and normalizes a phone number given through the API, or throws `invalid_number` naming the field. */
export function parsePhoneField(field: string, input: string, defaultCountry?: CountryCode): string {
  try {
    return normalizePhone(input, defaultCountry).e164;
  } catch (error) {
    if (error instanceof InvalidPhoneNumberError) {
      const hint = `write it in E.164 (+, country code and number, e.g. +14155550123)${defaultCountry ? ` or as a national number of ${defaultCountry}` : ''}`;
      throw new AppError('invalid_number', `${field}: ${error.message}; ${hint}`, [{ field, message: error.message }]);
    }
    throw error;
  }
}

export interface ContactInput {
  name?: string | null;
  source?: string | null;
  time_zone?: string | null;
  attributes?: Record<string, unknown>;
}

/** Finds the organization's contact with this number, or creates it. Safe under concurrency. */
export async function findOrCreateContact(
  ctx: AppContext,
  tx: Tx,
  orgId: string,
  e164: string,
  defaults: ContactInput = {},
): Promise<{ contact: Contact; created: boolean }> {
  const existing = await contactByE164.first(tx, { orgId, e164 });
  if (existing) return { contact: existing, created: false };
  const contact = newContactRow(orgId, e164, defaults, ctx.clock.now());
  const [inserted] = await insertRowsReturning(tx, 'contacts', [contact], {
    key: 'new-e164',
    build: (q) => q.onConflict((oc) => oc.columns(['org_id', 'e164']).doNothing()).returning('id'),
  });
  if (inserted) return { contact, created: true };
  // Created by a concurrent transaction meanwhile.
  const raced = await contactByE164.first(tx, { orgId, e164 });
  if (!raced) throw new Error(`contact ${e164} of ${orgId} was neither inserted nor found`);
  return { contact: raced, created: false };
}

/** A new contact's row (inserted one at a time above, or in batches by receive-batch.ts). */
export function newContactRow(orgId: string, e164: string, defaults: ContactInput, now: number): Contact {
  return {
    id: newId('ct'),
    org_id: orgId,
    e164,
    name: defaults.name ?? null,
    source: defaults.source ?? null,
    time_zone: defaults.time_zone ?? null,
    attributes: JSON.stringify(defaults.attributes ?? {}),
    created_at: now,
    updated_at: now,
  };
}

/** A contact's name and attributes fill templates ({Name}, {attr.plan}): they must be sendable text. */
function validateContactInput(input: ContactInput): void {
  validateTemplateValues({ name: input.name, ...Object.fromEntries(Object.entries(input.attributes ?? {}).map(([k, v]) => [`attributes.${k}`, v])) });
}

export async function createContact(ctx: AppContext, orgId: string, input: ContactInput & { phone: string }): Promise<Contact> {
  validateContactInput(input);
  const org = await getOrganization(ctx, orgId);
  const e164 = parsePhoneField('phone', input.phone, orgSettings(org).default_country);
  return ctx.db.kysely.transaction().execute(async (tx) => {
    const { contact, created } = await findOrCreateContact(ctx, tx, orgId, e164, input);
    if (!created) throw new AppError('conflict', `a contact with phone ${e164} already exists: ${contact.id}`);
    return contact;
  });
}

export async function getContact(ctx: AppContext, orgId: string, id: string): Promise<Contact> {
  const contact = await ctx.db.kysely.selectFrom('contacts').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
  if (!contact) throw notFound('contact', id);
  return contact;
}

export async function updateContact(ctx: AppContext, orgId: string, id: string, patch: ContactInput): Promise<Contact> {
  validateContactInput(patch);
  const contact = await getContact(ctx, orgId, id);
  const attributes = patch.attributes ? { ...(JSON.parse(contact.attributes) as object), ...patch.attributes } : undefined;
  // A null attribute value removes the attribute.
  if (attributes) for (const [k, v] of Object.entries(attributes)) if (v === null) delete (attributes as Record<string, unknown>)[k];
  await ctx.db.kysely
    .updateTable('contacts')
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.source !== undefined ? { source: patch.source } : {}),
      ...(patch.time_zone !== undefined ? { time_zone: patch.time_zone } : {}),
      ...(attributes ? { attributes: JSON.stringify(attributes) } : {}),
      updated_at: ctx.clock.now(),
    })
    .where('id', '=', id)
    .where('org_id', '=', orgId)
    .execute();
  return getContact(ctx, orgId, id);
}

export async function listContacts(
  ctx: AppContext,
  orgId: string,
  filter: { limit: number; cursor?: string; q?: string; source?: string },
): Promise<Page<Contact>> {
  const cursor = decodeCursor(filter.cursor);
  let q = ctx.db.kysely.selectFrom('contacts').selectAll().where('org_id', '=', orgId);
  if (filter.source) q = q.where('source', '=', filter.source);
  if (filter.q) {
    const like = `%${filter.q.toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) =>
      eb.or([sql<boolean>`lower(coalesce(name, '')) like ${like} escape '\\'`, sql<boolean>`e164 like ${like} escape '\\'`]),
    );
  }
  if (cursor) {
    q = q.where(olderThan(cursor));
  }
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
  return toPage(rows, filter.limit, (r) => r);
}
