/**
 * Carrier accounts of an organization (docs/carriers/): create one with its credentials
 * (encrypted at rest, never returned), import its numbers and attach them to teams, and print or
 * set the webhook URLs the carrier must call.
 */
import crypto from 'node:crypto';
import type { AppContext } from '../app-context.js';
import type { CarrierNumber, WebhookSetupResult, WebhookUrls } from '../carriers/carrier.js';
import { encryptCredentials, secretKey } from '../carriers/credentials.js';
import { accountAdapter, CARRIER_KINDS, forgetAccount, publicBaseUrl, webhookUrls, type CarrierKind } from '../carriers/registry.js';
import { telnyxPublicKey } from '../carriers/telnyx/telnyx-webhooks.js';
import type { CarrierAccount, PhoneNumber } from '../db/schema.js';
import { AppError, notFound } from '../support/errors.js';
import { newId } from '../support/ids.js';
import { parsePhoneField } from './contacts.js';
import { forgetNumber } from './ingest.js';
import { addNumber } from './numbers.js';

/** Per kind: the secret fields (encrypted), the plain settings, and which of each are required. */
const FIELDS: Record<CarrierKind, { secrets: string[]; required: string[]; settings: string[]; requiredSettings: string[] }> = {
  twilio: { secrets: ['account_sid', 'auth_token'], required: ['account_sid', 'auth_token'], settings: [], requiredSettings: [] },
  // connection_id: the Call Control application speed to lead rings agents from (docs/teams.md).
  telnyx: { secrets: ['api_key'], required: ['api_key'], settings: ['public_key', 'messaging_profile_id', 'connection_id'], requiredSettings: ['public_key'] },
  bandwidth: {
    secrets: ['api_user', 'api_password', 'callback_password'],
    required: ['api_user', 'api_password'],
    // voice_application_id: the voice application speed to lead rings agents through (docs/teams.md).
    settings: ['account_id', 'application_id', 'callback_username', 'dashboard_url', 'voice_application_id'],
    requiredSettings: ['account_id', 'application_id'],
  },
  sandbox: { secrets: [], required: [], settings: [], requiredSettings: [] },
};

export interface CreateCarrierAccountInput {
  kind: string;
  name?: string | undefined;
  publicBaseUrl?: string | undefined;
  apiBaseUrl?: string | undefined;
  credentials?: Record<string, string> | undefined;
  settings?: Record<string, string> | undefined;
}

export interface CarrierAccountView {
  account: CarrierAccount;
  settings: Record<string, string>;
  /** Names of the credential fields that are set (never their values). */
  credentialFields: string[];
  webhooks: WebhookUrls;
  numbers: number;
}

export interface CreatedCarrierAccount extends CarrierAccountView {
  /** Bandwidth: the callback credentials to set on the Bandwidth application, shown once (when generated). */
  callbackCredentials?: { username: string; password: string };
}

function validUrl(field: string, value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  if (!/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(value)) {
    throw new AppError('validation_failed', `${field} must be an http(s) URL without query, e.g. https://sms.example.com`, [{ field, message: 'not an http(s) URL' }]);
  }
  return value.replace(/\/+$/, '');
}

export async function createCarrierAccount(ctx: AppContext, orgId: string, input: CreateCarrierAccountInput): Promise<CreatedCarrierAccount> {
  if (!(CARRIER_KINDS as readonly string[]).includes(input.kind)) {
    throw new AppError('validation_failed', `kind must be one of ${CARRIER_KINDS.join(', ')}`, [{ field: 'kind', message: 'unknown carrier' }]);
  }
  const kind = input.kind as CarrierKind;
  const spec = FIELDS[kind];
  const credentials: Record<string, string> = {};
  const settings: Record<string, string> = {};
  const errors: Array<{ field: string; message: string }> = [];
  for (const [name, value] of Object.entries(input.credentials ?? {})) {
    if (!spec.secrets.includes(name)) errors.push({ field: `credentials.${name}`, message: `is not a ${kind} credential (${spec.secrets.join(', ') || 'none'})` });
    else if (typeof value === 'string' && value !== '') credentials[name] = value;
  }
  for (const [name, value] of Object.entries(input.settings ?? {})) {
    if (!spec.settings.includes(name)) errors.push({ field: `settings.${name}`, message: `is not a ${kind} setting (${spec.settings.join(', ') || 'none'})` });
    else if (typeof value === 'string' && value !== '') settings[name] = value;
  }
  for (const name of spec.required) if (!credentials[name]) errors.push({ field: `credentials.${name}`, message: 'is required' });
  for (const name of spec.requiredSettings) if (!settings[name]) errors.push({ field: `settings.${name}`, message: 'is required' });
  if (kind === 'twilio' && credentials.account_sid && !/^AC[0-9a-fA-F]{32}$/.test(credentials.account_sid)) {
    errors.push({ field: 'credentials.account_sid', message: 'is AC followed by 32 hex digits (Twilio Console → Account info)' });
  }
  if (kind === 'telnyx' && settings.public_key) {
    try {
      telnyxPublicKey(settings.public_key);
    } catch {
      errors.push({ field: 'settings.public_key', message: 'is the 32-byte base64 public key of Mission Control → Keys & Credentials → Public Key' });
    }
  }
  if (errors.length > 0) throw new AppError('validation_failed', errors.map((e) => `${e.field} ${e.message}`).join('; '), errors);

  const publicUrl = validUrl('public_base_url', input.publicBaseUrl);
  const apiUrl = validUrl('api_base_url', input.apiBaseUrl);
  if (kind !== 'sandbox' && !publicUrl && !ctx.config.publicBaseUrl) {
    throw new AppError('validation_failed', 'public_base_url is required (or set PUBLIC_BASE_URL): where the carrier reaches this server, e.g. https://sms.example.com', [
      { field: 'public_base_url', message: 'is required' },
    ]);
  }

  let generated: { username: string; password: string } | undefined;
  if (kind === 'bandwidth') {
    settings.callback_username ??= `textback-${crypto.randomBytes(4).toString('hex')}`;
    if (!credentials.callback_password) {
      credentials.callback_password = crypto.randomBytes(24).toString('base64url');
      generated = { username: settings.callback_username, password: credentials.callback_password };
    }
  }

  const id = newId('ca');
  const now = ctx.clock.now();
  const row: CarrierAccount = {
    id,
    org_id: orgId,
    kind,
    name: input.name?.trim() || `${kind[0]!.toUpperCase()}${kind.slice(1)}`,
    credentials: encryptCredentials(secretKey(ctx.config), id, credentials),
    settings: JSON.stringify(settings),
    public_base_url: publicUrl,
    api_base_url: apiUrl,
    created_at: now,
    updated_at: now,
  };
  await ctx.db.kysely.insertInto('carrier_accounts').values(row).execute();
  ctx.log.info({ orgId, carrierAccountId: id, kind }, 'carrier account created');
  return { ...view(ctx, row, Object.keys(credentials), 0), ...(generated ? { callbackCredentials: generated } : {}) };
}

function view(ctx: AppContext, row: CarrierAccount, credentialFields: string[], numbers: number): CarrierAccountView {
  return { account: row, settings: JSON.parse(row.settings) as Record<string, string>, credentialFields, webhooks: webhookUrls(ctx, row), numbers };
}

async function numberCount(ctx: AppContext, accountId: string): Promise<number> {
  const row = await ctx.db.kysely
    .selectFrom('phone_numbers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('carrier_account_id', '=', accountId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

async function getRow(ctx: AppContext, orgId: string, id: string): Promise<CarrierAccount> {
  const row = await ctx.db.kysely.selectFrom('carrier_accounts').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
  if (!row) throw notFound('carrier account', id);
  return row;
}

/** Credential field names are kept in the clear only as "which are set": read them without decrypting values out. */
function credentialFieldsOf(row: CarrierAccount): string[] {
  const spec = FIELDS[row.kind];
  return row.kind === 'sandbox' ? [] : spec.secrets.filter((f) => spec.required.includes(f) || (row.kind === 'bandwidth' && f === 'callback_password'));
}

export async function getCarrierAccount(ctx: AppContext, orgId: string, id: string): Promise<CarrierAccountView> {
  const row = await getRow(ctx, orgId, id);
  return view(ctx, row, credentialFieldsOf(row), await numberCount(ctx, id));
}

export async function listCarrierAccounts(ctx: AppContext, orgId: string): Promise<CarrierAccountView[]> {
  const rows = await ctx.db.kysely.selectFrom('carrier_accounts').selectAll().where('org_id', '=', orgId).orderBy('created_at').orderBy('id').execute();
  const counts = await ctx.db.kysely
    .selectFrom('phone_numbers')
    .select(['carrier_account_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('org_id', '=', orgId)
    .where('carrier_account_id', 'is not', null)
    .groupBy('carrier_account_id')
    .execute();
  const byAccount = new Map(counts.map((c) => [c.carrier_account_id, Number(c.n)]));
  return rows.map((r) => view(ctx, r, credentialFieldsOf(r), byAccount.get(r.id) ?? 0));
}

/**
 * Deletes an account. Refused while numbers send through it, unless `releaseNumbers`: those numbers
 * then fall back to the sandbox carrier (nothing is sent for real until they get another account).
 */
export async function deleteCarrierAccount(ctx: AppContext, orgId: string, id: string, options: { releaseNumbers?: boolean } = {}): Promise<{ released: string[] }> {
  await getRow(ctx, orgId, id);
  const numbers = await ctx.db.kysely.selectFrom('phone_numbers').select(['id', 'e164']).where('carrier_account_id', '=', id).execute();
  if (numbers.length > 0 && !options.releaseNumbers) {
    throw new AppError(
      'invalid_state',
      `carrier account ${id} still carries ${numbers.length} number(s); delete with release_numbers=true to move them to the sandbox carrier`,
    );
  }
  await ctx.db.kysely.transaction().execute(async (tx) => {
    if (numbers.length > 0) {
      await tx
        .updateTable('phone_numbers')
        .set({ carrier: 'sandbox', carrier_account_id: null, carrier_number_id: null, updated_at: ctx.clock.now() })
        .where('carrier_account_id', '=', id)
        .execute();
    }
    await tx.deleteFrom('carrier_accounts').where('id', '=', id).where('org_id', '=', orgId).execute();
  });
  for (const n of numbers) forgetNumber(ctx, n.e164);
  forgetAccount(ctx, id);
  ctx.log.info({ orgId, carrierAccountId: id, released: numbers.length }, 'carrier account deleted');
  return { released: numbers.map((n) => n.e164) };
}

export interface ImportNumbersInput {
  /** Import only these (E.164); without it, every number the carrier's API lists. */
  numbers?: string[] | undefined;
  /** The team every imported number is attached to... */
  teamId?: string | undefined;
  /** ...or per number. */
  teams?: Record<string, string> | undefined;
  /** Also point the numbers' webhooks at this server where the carrier's API allows it. */
  configureWebhooks?: boolean | undefined;
}

export interface ImportResult {
  imported: Array<{ number: PhoneNumber; created: boolean }>;
  skipped: Array<{ phone: string; reason: string }>;
  webhooks: WebhookUrls;
  setup: WebhookSetupResult | null;
}

export async function importNumbers(ctx: AppContext, orgId: string, accountId: string, input: ImportNumbersInput): Promise<ImportResult> {
  const row = await getRow(ctx, orgId, accountId);
  const teamIds = new Set([input.teamId, ...Object.values(input.teams ?? {})].filter((t): t is string => !!t));
  if (teamIds.size > 0) {
    const found = await ctx.db.kysely.selectFrom('teams').select('id').where('org_id', '=', orgId).where('id', 'in', [...teamIds]).execute();
    const missing = [...teamIds].filter((t) => !found.some((f) => f.id === t));
    if (missing.length > 0) throw new AppError('validation_failed', `team ${missing.join(', ')} does not exist`, [{ field: 'team_id', message: 'unknown team' }]);
  }
  const teamFor = (e164: string) => input.teams?.[e164] ?? input.teamId ?? null;
  const adapter = await accountAdapter(ctx, accountId);

  let candidates: CarrierNumber[];
  // The carrier's list gives each number's id (to set its webhooks): read it unless told which numbers, without webhooks to set.
  const explicit = input.numbers !== undefined && input.numbers.length > 0;
  const listed = row.kind !== 'sandbox' && adapter.listNumbers && (!explicit || input.configureWebhooks) ? await adapter.listNumbers() : [];
  if (explicit) {
    const wanted = input.numbers!.map((n, i) => parsePhoneField(`numbers[${i}]`, n));
    candidates = wanted.map((e164) => listed.find((l) => l.e164 === e164) ?? { e164 });
  } else {
    if (row.kind === 'sandbox') throw new AppError('validation_failed', 'a sandbox account has no carrier API to list numbers from: give `numbers`', [{ field: 'numbers', message: 'is required' }]);
    candidates = listed;
  }

  const result: ImportResult = { imported: [], skipped: [], webhooks: webhookUrls(ctx, row), setup: null };
  for (const candidate of candidates) {
    let e164: string;
    try {
      e164 = parsePhoneField('number', candidate.e164);
    } catch {
      result.skipped.push({ phone: candidate.e164, reason: 'not a valid phone number' });
      continue;
    }
    const existing = await ctx.db.kysely.selectFrom('phone_numbers').selectAll().where('e164', '=', e164).executeTakeFirst();
    if (existing && existing.org_id !== orgId) {
      result.skipped.push({ phone: e164, reason: 'registered to another organization' });
      continue;
    }
    const now = ctx.clock.now();
    const team = teamFor(e164);
    const created = !existing;
    if (!existing) {
      await addNumber(ctx, orgId, {
        e164,
        carrier: row.kind,
        teamId: team,
        ...(candidate.name ? { name: candidate.name } : {}),
        ...(candidate.capabilities?.length ? { capabilities: candidate.capabilities } : {}),
      });
    }
    await ctx.db.kysely
      .updateTable('phone_numbers')
      .set({
        carrier: row.kind,
        carrier_account_id: row.id,
        // Keep the id learnt at an earlier import from this account when the carrier was not asked this time.
        carrier_number_id: candidate.carrierNumberId ?? (existing?.carrier_account_id === row.id ? existing.carrier_number_id : null),
        updated_at: now,
        ...(team ? { team_id: team } : {}),
      })
      .where('e164', '=', e164)
      .where('org_id', '=', orgId)
      .execute();
    forgetNumber(ctx, e164);
    const number = await ctx.db.kysely.selectFrom('phone_numbers').selectAll().where('e164', '=', e164).executeTakeFirstOrThrow();
    result.imported.push({ number, created });
  }
  if (input.configureWebhooks && row.kind !== 'sandbox' && adapter.configureWebhooks) {
    result.setup = await adapter.configureWebhooks(
      candidates.filter((c) => result.imported.some((i) => i.number.e164 === c.e164)),
      result.webhooks,
    );
  }
  ctx.log.info({ orgId, carrierAccountId: accountId, imported: result.imported.length, skipped: result.skipped.length }, 'carrier numbers imported');
  return result;
}

export interface WebhookInstructions {
  webhooks: WebhookUrls;
  publicBaseUrl: string | undefined;
  steps: string[];
  setup: WebhookSetupResult | null;
}

/** The URLs to paste (and where), and with `apply`, what could be set through the carrier's API. */
export async function webhookSetup(ctx: AppContext, orgId: string, accountId: string, apply = false): Promise<WebhookInstructions> {
  const row = await getRow(ctx, orgId, accountId);
  const urls = webhookUrls(ctx, row);
  const settings = JSON.parse(row.settings) as Record<string, string>;
  const steps: Record<CarrierKind, string[]> = {
    twilio: [
      `Twilio Console → Phone Numbers → Manage → Active numbers → each number → Messaging: "A message comes in" = Webhook, ${urls.messages}, HTTP POST`,
      `Same page → Voice: "Call status changes" = ${urls.calls} (and, to detect missed calls behind a <Dial>, use it as the Dial's action URL)`,
      'Delivery receipts need nothing: every text Textback sends names its own StatusCallback.',
    ],
    telnyx: [
      `Mission Control → Messaging → your messaging profile → Inbound: "Send a webhook to the following URL" = ${urls.messages}, API version 2`,
      `Voice → Call Control applications → your application → Webhook URL = ${urls.calls}`,
      'Delivery receipts need nothing: every text Textback sends names its own webhook_url.',
    ],
    bandwidth: [
      `Bandwidth Dashboard → Applications → messaging application ${settings.application_id ?? ''} → Callback URL = ${urls.messages}`,
      `Same application → Callback user ID = ${settings.callback_username ?? '(the callback username)'}, password = the callback password shown when the account was created`,
      `Voice application → Call status (disconnect) callback URL = ${urls.calls}, with the same callback user and password`,
    ],
    sandbox: ['The sandbox needs no webhook: use POST /v1/sandbox/messages and /v1/sandbox/calls.'],
  };
  let setup: WebhookSetupResult | null = null;
  if (apply && row.kind !== 'sandbox') {
    const adapter = await accountAdapter(ctx, accountId);
    const numbers = await ctx.db.kysely.selectFrom('phone_numbers').selectAll().where('carrier_account_id', '=', accountId).execute();
    let targets: CarrierNumber[] = numbers.map((n) => ({ e164: n.e164, carrierNumberId: n.carrier_number_id ?? undefined }));
    // Telnyx sets the webhook on each number's messaging profile, which only its API knows.
    if (row.kind === 'telnyx' && adapter.listNumbers) targets = (await adapter.listNumbers()).filter((l) => numbers.some((n) => n.e164 === l.e164));
    if (adapter.configureWebhooks) setup = await adapter.configureWebhooks(targets, urls);
  }
  return { webhooks: urls, publicBaseUrl: publicBaseUrl(ctx, row), steps: steps[row.kind], setup };
}
