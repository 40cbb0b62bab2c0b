import type { AppContext, Tx } from '../app-context.js';
import type { PhoneNumber } from '../db/schema.js';
import { AppError, notFound } from '../support/errors.js';
import { newId } from '../support/ids.js';
import { parsePhoneField } from './contacts.js';
import { forgetNumber } from './ingest.js';
import { senderTypeFor } from './compliance/pacing.js';
import { getOrganization, orgSettings } from './organizations.js';

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
  input: { e164: string; name?: string; carrier?: string; capabilities?: string[]; teamId?: string | null; carrierAccountId?: string | null },
  field = 'e164',
): Promise<PhoneNumber> {
  const e164 = parsePhoneField(field, input.e164);
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
    carrier_account_id: input.carrierAccountId ?? null,
    carrier_number_id: null,
  };
  forgetNumber(ctx, e164);
  try {
    await ctx.db.kysely.insertInto('phone_numbers').values(number).execute();
  } catch (error) {
    if (ctx.db.dialect.isUniqueViolation(error)) throw duplicate(field, e164);
    throw error;
  }
  return number;
}

const duplicate = (field: string, e164: string) =>
  new AppError('conflict', `${field}: ${e164} is already registered (GET /v1/numbers lists this organization's numbers)`, [{ field, message: 'already registered' }]);

export interface NumberInput {
  phone: string;
  name?: string | undefined;
  /** The team its texts and calls go to; null or left out: none. */
  teamId?: string | null | undefined;
  /** The carrier account it sends through; null or left out: the sandbox carrier. */
  carrierAccountId?: string | null | undefined;
}

function checkName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const trimmed = name.trim();
  // eslint-disable-next-line no-control-regex
  if (trimmed === '' || trimmed.length > 200 || /[\u0000-\u001f\u007f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(trimmed)) {
    throw new AppError('validation_failed', 'name: a number\'s name is 1 to 200 characters of text, on one line', [{ field: 'name', message: 'must be 1 to 200 characters of text, on one line' }]);
  }
  return trimmed;
}

async function checkTeam(ctx: AppContext, orgId: string, teamId: string | null | undefined): Promise<void> {
  if (!teamId) return;
  const team = await ctx.db.kysely.selectFrom('teams').select('id').where('id', '=', teamId).where('org_id', '=', orgId).executeTakeFirst();
  if (!team) throw new AppError('not_found', `team_id: team ${teamId} does not exist (GET /v1/teams lists them)`, [{ field: 'team_id', message: 'unknown team' }]);
}

/** The carrier a number sends through: the account's kind, or the sandbox without an account. */
async function carrierOf(ctx: AppContext, orgId: string, accountId: string | null | undefined): Promise<string> {
  if (!accountId) return 'sandbox';
  const account = await ctx.db.kysely.selectFrom('carrier_accounts').select(['id', 'kind']).where('id', '=', accountId).where('org_id', '=', orgId).executeTakeFirst();
  if (!account) {
    throw new AppError('not_found', `carrier_account_id: carrier account ${accountId} does not exist (GET /v1/carrier-accounts lists them)`, [
      { field: 'carrier_account_id', message: 'unknown carrier account' },
    ]);
  }
  return account.kind;
}

/**
 * Registers a business number (POST /v1/numbers, `textback numbers add`): a valid phone number
 * (E.164, or national in the organization's default country), not registered yet, on a team and a
 * carrier account of this organization (the sandbox carrier when no account is named).
 */
export async function registerNumber(ctx: AppContext, orgId: string, input: NumberInput): Promise<PhoneNumber> {
  const org = await getOrganization(ctx, orgId);
  const e164 = parsePhoneField('phone', input.phone, orgSettings(org).default_country);
  const name = checkName(input.name);
  await checkTeam(ctx, orgId, input.teamId);
  const carrier = await carrierOf(ctx, orgId, input.carrierAccountId);
  const existing = await ctx.db.kysely.selectFrom('phone_numbers').select('id').where('e164', '=', e164).executeTakeFirst();
  if (existing) throw duplicate('phone', e164);
  const number = await addNumber(ctx, orgId, { e164, carrier, teamId: input.teamId ?? null, carrierAccountId: input.carrierAccountId ?? null, ...(name ? { name } : {}) }, 'phone');
  ctx.log.info({ orgId, numberId: number.id, carrier }, 'number registered');
  return number;
}

/**
 * Changes a number's name, team (null: none, which also stops forwarding its texts, as
 * PATCH /v1/numbers/:id/routing does) or carrier account (null: the sandbox carrier).
 */
export async function updateNumber(
  ctx: AppContext,
  orgId: string,
  id: string,
  patch: { name?: string | undefined; teamId?: string | null | undefined; carrierAccountId?: string | null | undefined },
): Promise<PhoneNumber> {
  const number = await getNumber(ctx, orgId, id);
  const name = checkName(patch.name);
  await checkTeam(ctx, orgId, patch.teamId);
  const carrier = patch.carrierAccountId !== undefined ? await carrierOf(ctx, orgId, patch.carrierAccountId) : undefined;
  await ctx.db.kysely.transaction().execute(async (tx) => {
    await tx
      .updateTable('phone_numbers')
      .set({
        updated_at: ctx.clock.now(),
        ...(name !== undefined ? { name } : {}),
        ...(patch.teamId !== undefined ? { team_id: patch.teamId } : {}),
        // Another account: the carrier's own id of the number belonged to the old one.
        ...(carrier !== undefined && patch.carrierAccountId !== number.carrier_account_id ? { carrier, carrier_account_id: patch.carrierAccountId ?? null, carrier_number_id: null } : {}),
      })
      .where('id', '=', id)
      .where('org_id', '=', orgId)
      .execute();
    if (patch.teamId === null) await tx.deleteFrom('number_forwarding').where('number_id', '=', id).execute();
  });
  forgetNumber(ctx, number.e164);
  return getNumber(ctx, orgId, id);
}

/** Tables whose rows are a number's history: they keep it (see deleteNumber). */
const HISTORY = [
  ['messages', 'message'],
  ['calls', 'call'],
  ['conversations', 'conversation'],
  ['consent_events', 'consent record'],
  ['leads', 'lead'],
  ['automation_runs', 'automation run'],
] as const;

/**
 * Deletes a number that has no history: one added by mistake, or never used. A number that has
 * texted, been called or recorded consent is kept, refused with 409: its conversations, messages,
 * calls and consent records (evidence of opt-ins and opt-outs) refer to it and stay readable. A
 * number in an automation's scope or serving a queue is refused too, naming them: change those first.
 */
export async function deleteNumber(ctx: AppContext, orgId: string, id: string): Promise<void> {
  const number = await getNumber(ctx, orgId, id);
  const db = ctx.db.kysely;
  const history: string[] = [];
  for (const [table, noun] of HISTORY) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll().as('n'))
      .where('number_id', '=', id)
      .executeTakeFirstOrThrow();
    const n = Number(row.n);
    if (n > 0) history.push(`${n} ${noun}${n === 1 ? '' : 's'}`);
  }
  if (history.length > 0) {
    throw new AppError(
      'invalid_state',
      `number ${number.e164} has history (${history.join(', ')}) and is kept so that it stays readable; only a number that never texted or was called can be deleted`,
    );
  }
  const queue = await db.selectFrom('queue_numbers').select('queue_id').where('number_id', '=', id).executeTakeFirst();
  if (queue) throw new AppError('invalid_state', `number ${number.e164} serves queue ${queue.queue_id}; remove it from the queue first (PATCH /v1/queues/${queue.queue_id})`);
  const automations = await db.selectFrom('automations').select(['id', 'document']).where('org_id', '=', orgId).execute();
  const scoped = automations.filter((a) => {
    const numbers = (JSON.parse(a.document) as { scope?: { numbers?: unknown } }).scope?.numbers;
    return Array.isArray(numbers) && numbers.includes(number.e164);
  });
  if (scoped.length > 0) {
    throw new AppError('invalid_state', `number ${number.e164} is in the scope of automation ${scoped.map((a) => a.id).join(', ')}; change their scope first`);
  }
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('number_forwarding').where('number_id', '=', id).execute();
    await tx.deleteFrom('phone_numbers').where('id', '=', id).where('org_id', '=', orgId).execute();
  });
  forgetNumber(ctx, number.e164);
  ctx.log.info({ orgId, numberId: id }, 'number deleted');
}
