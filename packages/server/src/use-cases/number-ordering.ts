/**
 * Buying numbers in the app (docs/carriers/README.md, "Buying numbers"): search a carrier account's
 * available numbers, buy one onto a team with its webhooks pointed at this server, release one.
 * Works the same on Twilio, Telnyx and Bandwidth accounts (their `NumberOrderingApi`) and on the
 * organization's built-in sandbox account, which sells fictional numbers (carriers/sandbox/sandbox-numbers.ts).
 *
 * Nothing is lost between the carrier and us: a number bought whose registration here then fails is
 * released at the carrier again at once; if that release fails too, the error says so and the number
 * can be imported from the account (POST /v1/carrier-accounts/:id/import-numbers).
 */
import { normalizePhone } from '@textback/core';
import type { AppContext } from '../app-context.js';
import { CarrierError, NUMBER_COUNTRIES, type AvailableNumber, type NumberCountry, type NumberSearch, type WebhookUrls } from '../carriers/carrier.js';
import { accountAdapter, publicBaseUrl, webhookUrls } from '../carriers/registry.js';
import { isSandboxNumber, SANDBOX_AREAS, sandboxNumbers } from '../carriers/sandbox/sandbox-numbers.js';
import type { CarrierAccount, PhoneNumber } from '../db/schema.js';
import { AppError, type ErrorCode } from '../support/errors.js';
import { getRow, sandboxAccountId } from './carrier-accounts.js';
import { parsePhoneField } from './contacts.js';
import { forgetNumber } from './ingest.js';
import { addNumber } from './numbers.js';

export interface SearchInput {
  country?: string | undefined;
  areaCode?: string | undefined;
  locality?: string | undefined;
  contains?: string | undefined;
  capability?: string | undefined;
  limit?: number | undefined;
}

const CAPABILITIES = ['sms', 'voice'] as const;
export const MAX_SEARCH = 50;

// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const hasControl = (text: string) => /[\u0000-\u001f\u007f]/.test(text);

function invalid(field: string, message: string): AppError {
  return new AppError('validation_failed', `${field}: ${message}`, [{ field, message }]);
}

/** The search, checked: a country of NUMBER_COUNTRIES, an area code of that country, digits to contain, a capability. */
export function checkSearch(input: SearchInput): NumberSearch {
  const country = (input.country ?? '').toUpperCase();
  if (!(NUMBER_COUNTRIES as readonly string[]).includes(country)) {
    throw invalid('country', `${input.country === undefined ? 'is required' : `"${input.country}" is not sold here`}; accepted: ${NUMBER_COUNTRIES.join(', ')}`);
  }
  const c = country as NumberCountry;
  const areaCode = input.areaCode?.trim() || undefined;
  if (areaCode !== undefined) {
    if (c === 'GB') {
      if (!/^[1-9]\d{1,4}$/.test(areaCode)) throw invalid('area_code', `"${areaCode}" is not a UK area code: 2 to 5 digits without the leading 0, e.g. 20 (London), 113 (Leeds), 7700`);
    } else {
      let inCountry = false;
      if (/^[2-9]\d{2}$/.test(areaCode)) {
        try {
          inCountry = normalizePhone(`+1${areaCode}5550100`).country === c;
        } catch {
          inCountry = false;
        }
      }
      if (!inCountry) throw invalid('area_code', `"${areaCode}" is not an area code of ${c}: 3 digits, e.g. ${SANDBOX_AREAS[c].map((a) => a.areaCode).join(', ')}`);
    }
  }
  const contains = input.contains?.trim() || undefined;
  if (contains !== undefined && !/^\d{1,10}$/.test(contains)) throw invalid('contains', `"${contains}" must be 1 to 10 digits`);
  const locality = input.locality?.trim() || undefined;
  if (locality !== undefined && (locality.length > 100 || hasControl(locality))) throw invalid('locality', 'must be a place name of at most 100 characters');
  let capabilities: Array<'sms' | 'voice'> | undefined;
  if (input.capability !== undefined) {
    if (!(CAPABILITIES as readonly string[]).includes(input.capability)) throw invalid('capability', `"${input.capability}" is not a capability; accepted: ${CAPABILITIES.join(', ')}`);
    capabilities = [input.capability as 'sms' | 'voice'];
  }
  const limit = input.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH) throw invalid('limit', `must be an integer from 1 to ${MAX_SEARCH}`);
  return { country: c, areaCode, locality, contains, capabilities, limit };
}

/** The problem+json code of a carrier's number ordering failure (CarrierError reasons of carrier.ts). */
const REASON_CODES: Record<string, ErrorCode> = {
  number_unavailable: 'number_unavailable',
  regulatory_requirement: 'regulatory_requirement',
  insufficient_balance: 'insufficient_balance',
  carrier_auth_failed: 'carrier_auth_failed',
  invalid_search: 'validation_failed',
};

function carrierProblem(account: CarrierAccount, error: unknown, doing: string): unknown {
  if (!(error instanceof CarrierError)) return error;
  if (error.errorClass !== 'permanent') {
    return new AppError('unavailable', `${doing}: ${account.kind} could not be reached or did not answer in time; try again (${error.message})`);
  }
  const code = REASON_CODES[error.reason] ?? 'carrier_error';
  const fix = code === 'carrier_auth_failed' ? `; check the account's credentials (PATCH /v1/carrier-accounts/${account.id})` : '';
  return new AppError(code, `${doing}: ${error.message}${fix}`);
}

async function orderingAccount(ctx: AppContext, orgId: string, accountId: string) {
  const row = await getRow(ctx, orgId, accountId);
  if (row.kind === 'sandbox') return { row, api: undefined };
  const adapter = await accountAdapter(ctx, accountId);
  if (!adapter.searchAvailableNumbers || !adapter.buyNumber || !adapter.releaseNumber) {
    throw new AppError('invalid_state', `carrier account ${accountId} (${row.kind}) cannot buy numbers through Textback`);
  }
  return { row, api: adapter as Required<Pick<typeof adapter, 'searchAvailableNumbers' | 'buyNumber' | 'releaseNumber'>> };
}

async function registered(ctx: AppContext, candidates: string[]): Promise<Set<string>> {
  if (candidates.length === 0) return new Set();
  const rows = await ctx.db.kysely.selectFrom('phone_numbers').select('e164').where('e164', 'in', candidates).execute();
  return new Set(rows.map((r) => r.e164));
}

export async function searchAvailableNumbers(ctx: AppContext, orgId: string, accountId: string, input: SearchInput): Promise<AvailableNumber[]> {
  const search = checkSearch(input);
  const { row, api } = await orderingAccount(ctx, orgId, accountId);
  if (!api) {
    // Every candidate the search could give, then those not registered yet (by any organization).
    const all = sandboxNumbers({ ...search, limit: 10_000 }, () => false);
    const taken = await registered(ctx, all.map((n) => n.phone));
    return sandboxNumbers(search, (e164) => taken.has(e164));
  }
  try {
    return await api.searchAvailableNumbers(search);
  } catch (error) {
    throw carrierProblem(row, error, `searching ${row.kind} numbers in ${search.country}`);
  }
}

export interface BuyInput {
  phone: string;
  teamId: string;
  name?: string | undefined;
}

/** Buys a number and registers it on a team, its webhooks pointed at this server, in one step. */
export async function buyNumber(ctx: AppContext, orgId: string, accountId: string, input: BuyInput): Promise<PhoneNumber> {
  const phone = parsePhoneField('phone', input.phone);
  const team = await ctx.db.kysely.selectFrom('teams').select('id').where('id', '=', input.teamId).where('org_id', '=', orgId).executeTakeFirst();
  if (!team) throw new AppError('not_found', `team_id: team ${input.teamId} does not exist (GET /v1/teams lists them)`, [{ field: 'team_id', message: 'unknown team' }]);
  const name = input.name?.trim();
  if (input.name !== undefined && (!name || name.length > 200 || hasControl(name))) {
    throw invalid('name', "a number's name is 1 to 200 characters of text, on one line");
  }
  const { row, api } = await orderingAccount(ctx, orgId, accountId);
  const existing = await ctx.db.kysely.selectFrom('phone_numbers').select(['org_id']).where('e164', '=', phone).executeTakeFirst();
  if (existing?.org_id === orgId) throw new AppError('conflict', `phone: ${phone} is already one of this organization's numbers (GET /v1/numbers)`, [{ field: 'phone', message: 'already registered' }]);
  if (existing) throw new AppError('number_unavailable', `phone: ${phone} was taken meanwhile; search again for another`, [{ field: 'phone', message: 'not available' }]);

  let carrierNumberId: string | null = null;
  let capabilities = ['sms', 'mms', 'voice'];
  if (!api) {
    if (!isSandboxNumber(phone)) {
      throw new AppError('number_unavailable', `phone: ${phone} is not a number the sandbox sells (its fictional ranges: docs/carriers/README.md); search for one first`, [
        { field: 'phone', message: 'not available' },
      ]);
    }
  } else {
    if (!publicBaseUrl(ctx, row)) {
      throw new AppError(
        'invalid_state',
        `carrier account ${row.id} has no public URL for the number's webhooks: set PUBLIC_BASE_URL (or the account's public_base_url) before buying, so its texts reach this server`,
      );
    }
    const urls: WebhookUrls = webhookUrls(ctx, row);
    try {
      const bought = await api.buyNumber(phone, urls);
      carrierNumberId = bought.carrierNumberId ?? null;
      if (bought.capabilities.length > 0) capabilities = bought.capabilities;
    } catch (error) {
      throw carrierProblem(row, error, `buying ${phone} from ${row.kind}`);
    }
  }

  try {
    const number = await addNumber(ctx, orgId, { e164: phone, carrier: row.kind, teamId: team.id, capabilities, ...(name ? { name } : {}) });
    await ctx.db.kysely
      .updateTable('phone_numbers')
      .set({ carrier_account_id: row.id, carrier_number_id: carrierNumberId, updated_at: ctx.clock.now() })
      .where('id', '=', number.id)
      .execute();
    forgetNumber(ctx, phone);
    ctx.log.info({ orgId, carrierAccountId: row.id, numberId: number.id }, 'number bought');
    return { ...number, carrier_account_id: row.id, carrier_number_id: carrierNumberId };
  } catch (error) {
    // Registered by someone else between our check and our insert.
    const taken = error instanceof AppError && error.code === 'conflict';
    const problem = taken ? new AppError('number_unavailable', `phone: ${phone} was taken meanwhile; search again for another`, [{ field: 'phone', message: 'not available' }]) : error;
    if (!api) throw problem;
    // Bought but not registered: give it back, so that nothing is paid for unseen.
    try {
      await api.releaseNumber(phone, carrierNumberId);
      ctx.log.warn({ orgId, carrierAccountId: row.id }, 'number bought, not registered, released again');
    } catch {
      ctx.log.error({ orgId, carrierAccountId: row.id }, 'number bought, not registered, and releasing it failed: import it from the account');
      throw new AppError(
        'internal',
        `${phone} was bought from ${row.kind} but could not be registered, and releasing it failed: it is on carrier account ${row.id}; import it with POST /v1/carrier-accounts/${row.id}/import-numbers`,
      );
    }
    throw problem;
  }
}

/** Tables whose rows are a number's history (or use it): a number with any is kept when released. */
const HISTORY = ['messages', 'calls', 'conversations', 'consent_events', 'automation_runs', 'leads', 'team_inbound', 'team_forwards', 'lead_rings', 'queue_sessions', 'queue_numbers'] as const;

export interface ReleaseResult {
  number: PhoneNumber;
  /** True when the number had history and was kept (detached: sandbox carrier, no account, no team); false when deleted. */
  kept: boolean;
}

/**
 * Releases a number at the carrier and removes it here. `confirm` must be the number in E.164. A
 * number with history (texts, calls, consent records...) is kept so its history stays readable,
 * detached from the account and its team (as deleting a carrier account does); one without is deleted.
 */
export async function releaseNumber(ctx: AppContext, orgId: string, accountId: string, phoneOrId: string, confirm: string | undefined): Promise<ReleaseResult> {
  const { row, api } = await orderingAccount(ctx, orgId, accountId);
  const byId = !phoneOrId.startsWith('+');
  const query = ctx.db.kysely.selectFrom('phone_numbers').selectAll().where('org_id', '=', orgId);
  const number = byId ? await query.where('id', '=', phoneOrId).executeTakeFirst() : await query.where('e164', '=', parsePhoneField('phone', phoneOrId)).executeTakeFirst();
  const onAccount = number && (number.carrier_account_id === row.id || (row.id === sandboxAccountId(orgId) && number.carrier === 'sandbox' && number.carrier_account_id === null));
  if (!number || !onAccount) throw new AppError('not_found', `number ${phoneOrId} is not a number of carrier account ${row.id}`);
  if (confirm !== number.e164) {
    throw new AppError('validation_failed', `confirm: releasing a number cannot be undone; repeat the number to confirm: confirm=${number.e164}`, [
      { field: 'confirm', message: `must be ${number.e164}` },
    ]);
  }
  if (api) {
    try {
      await api.releaseNumber(number.e164, number.carrier_number_id);
    } catch (error) {
      throw carrierProblem(row, error, `releasing ${number.e164} at ${row.kind}`);
    }
  }
  const kept = await ctx.db.kysely.transaction().execute(async (tx) => {
    let history = false;
    for (const table of HISTORY) {
      const found = await tx.selectFrom(table).select('number_id').where('number_id', '=', number.id).limit(1).executeTakeFirst();
      if (found) {
        history = true;
        break;
      }
    }
    await tx.deleteFrom('number_forwarding').where('number_id', '=', number.id).execute();
    if (history) {
      await tx
        .updateTable('phone_numbers')
        .set({ carrier: 'sandbox', carrier_account_id: null, carrier_number_id: null, team_id: null, updated_at: ctx.clock.now() })
        .where('id', '=', number.id)
        .execute();
    } else {
      await tx.deleteFrom('phone_numbers').where('id', '=', number.id).execute();
    }
    return history;
  });
  forgetNumber(ctx, number.e164);
  ctx.log.info({ orgId, carrierAccountId: row.id, numberId: number.id, kept }, 'number released');
  return { number: kept ? { ...number, carrier: 'sandbox', carrier_account_id: null, carrier_number_id: null, team_id: null } : number, kept };
}
