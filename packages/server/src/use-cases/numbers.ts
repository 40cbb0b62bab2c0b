import type { AppContext, Tx } from '../app-context.js';
import type { PhoneNumber } from '../db/schema.js';
import { AppError, notFound } from '../support/errors.js';
import { newId } from '../support/ids.js';
import { parsePhoneField } from './contacts.js';
import { forgetNumber } from './ingest.js';
import { senderTypeFor } from './compliance/pacing.js';

export async function listNumbers(ctx: AppContext, orgId: string): Promise<PhoneNumber[]> {
  return ctx.db.kysely.selectFrom('phone_numbers').selectAll().where('org_id', '=', orgId).orderBy('created_at').execute();
}

/**
 * The organization's number with this E.164, or `unknown_number`. Inside a transaction pass it as
 * `db`: SQLite has one connection, and a query outside the transaction would wait for it forever.
 */
export async function getNumberByE164(ctx: AppContext, orgId: string, e164: string, field = 'from', db: Tx = ctx.db.kysely): Promise<PhoneNumber> {
  const number = await db
    .selectFrom('phone_numbers')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('e164', '=', e164)
    .executeTakeFirst();
  if (!number) {
    throw new AppError('unknown_number', `${field}: ${e164} is not one of this organization's numbers (GET /v1/numbers lists them)`, [
      { field, message: 'not a number of this organization' },
    ]);
  }
  return number;
}

export async function getNumber(ctx: AppContext, orgId: string, id: string): Promise<PhoneNumber> {
  const n = await ctx.db.kysely.selectFrom('phone_numbers').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
  if (!n) throw notFound('number', id);
  return n;
}

export async function addNumber(
  ctx: AppContext,
  orgId: string,
  input: { e164: string; name?: string; carrier?: string; capabilities?: string[]; teamId?: string | null },
): Promise<PhoneNumber> {
  const e164 = parsePhoneField('e164', input.e164);
  const now = ctx.clock.now();
  const number: PhoneNumber = {
    id: newId('num'),
    org_id: orgId,
    e164,
    name: input.name ?? e164,
    carrier: input.carrier ?? 'sandbox',
    capabilities: JSON.stringify(input.capabilities ?? ['sms', 'mms', 'voice']),
    team_id: input.teamId ?? null,
    created_at: now,
    updated_at: now,
    // Compliance pacing (PATCH /v1/numbers/:id/compliance changes type, rate and cap).
    sender_type: senderTypeFor(e164),
    rate_per_second: null,
    daily_cap: null,
    next_send_at: null,
    last_send_at: null,
    daily_count: 0,
    daily_count_day: null,
    compliance_texts: null,
    // Carriers (docs/carriers/): set when imported from a carrier account.
    carrier_account_id: null,
    carrier_number_id: null,
  };
  forgetNumber(ctx, e164);
  try {
    await ctx.db.kysely.insertInto('phone_numbers').values(number).execute();
  } catch (error) {
    if (ctx.db.dialect.isUniqueViolation(error)) throw new AppError('conflict', `${e164} is already registered`);
    throw error;
  }
  return number;
}
