/**
 * Carrier accounts of an organization (docs/carriers/): create one with its credentials
 * (encrypted at rest, never returned), change it (name, URLs, settings, credential rotation),
 * import its numbers and attach them to teams, and print or set the webhook URLs the carrier must call.
 */
import crypto from 'node:crypto';
import { transaction, type AppContext } from '../app-context.js';
import type { CarrierNumber, WebhookSetupResult, WebhookUrls } from '../carriers/carrier.js';
import { decryptCredentials, encryptCredentials, secretKey } from '../carriers/credentials.js';
import { accountAdapter, CARRIER_KINDS, forgetAccount, publicBaseUrl, webhookUrls, type CarrierKind } from '../carriers/registry.js';
import { telnyxPublicKey } from '../carriers/telnyx/telnyx-webhooks.js';
import type { CarrierAccount, PhoneNumber } from '../db/schema.js';
import { AppError, notFound, type FieldError } from '../support/errors.js';
import { newId } from '../support/ids.js';
import { parsePhoneField } from './contacts.js';
import { forgetNumber } from './ingest.js';
import { addNumber } from './numbers.js';

/** Per kind: the secret fields (encrypted), the plain settings, and which of each are required. */
const FIELDS: Record<CarrierKind, { secrets: string[]; required: string[]; settings: string[]; requiredSettings: string[] }> = {
  // address_sid, bundle_sid: the regulatory Address and Bundle numbers are bought with (docs/carriers/README.md).
  twilio: { secrets: ['account_sid', 'auth_token'], required: ['account_sid', 'auth_token'], settings: ['address_sid', 'bundle_sid'], requiredSettings: [] },
  // connection_id: the Call Control application speed to lead rings agents from (docs/teams.md).
  telnyx: { secrets: ['api_key'], required: ['api_key'], settings: ['public_key', 'messaging_profile_id', 'connection_id'], requiredSettings: ['public_key'] },
  bandwidth: {
    secrets: ['api_user', 'api_password', 'callback_password'],
    required: ['api_user', 'api_password'],
    // voice_application_id: the voice application speed to lead rings agents through (docs/teams.md).
    // site_id, peer_id: where numbers bought are ordered into (docs/carriers/README.md).
    settings: ['account_id', 'application_id', 'callback_username', 'dashboard_url', 'voice_application_id', 'site_id', 'peer_id'],
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

/** An http(s) URL without query or fragment, trailing slashes removed; pushes an error naming `field` otherwise. */
function checkUrl(field: string, value: string, errors: FieldError[]): string {
  if (!/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(value)) {
    errors.push({ field, message: 'must be an http(s) URL without query, e.g. https://sms.example.com' });
  }
  return value.replace(/\/+$/, '');
}

const groupNoun = { credentials: 'credential', settings: 'setting' } as const;

/**
 * The fields of one group (credentials or settings) of a request, checked against the kind's lists:
 * values to set, and names given as null or "" (to remove, where the caller allows it).
 */
function pickFields(
  kind: CarrierKind,
  group: 'credentials' | 'settings',
  given: Record<string, string | null> | undefined,
  errors: FieldError[],
): { values: Record<string, string>; emptied: string[] } {
  const known = group === 'credentials' ? FIELDS[kind].secrets : FIELDS[kind].settings;
  const values: Record<string, string> = {};
  const emptied: string[] = [];
  for (const [name, value] of Object.entries(given ?? {})) {
    if (!known.includes(name)) errors.push({ field: `${group}.${name}`, message: `is not a ${kind} ${groupNoun[group]} (${known.join(', ') || 'none'})` });
    else if (typeof value === 'string' && value !== '') values[name] = value;
    else emptied.push(name);
  }
  return { values, emptied };
}

/**
 * What an account of `kind` needs whatever the request: required fields, and the formats that can be
 * checked here. `credentials` undefined: the stored ones are kept (and were checked when set).
 */
function checkAccountFields(
  kind: CarrierKind,
  credentials: Record<string, string> | undefined,
  settings: Record<string, string>,
  errors: FieldError[],
  missingWhy = 'is required',
): void {
  const spec = FIELDS[kind];
  if (credentials) for (const name of spec.required) if (!credentials[name]) errors.push({ field: `credentials.${name}`, message: missingWhy });
  for (const name of spec.requiredSettings) if (!settings[name]) errors.push({ field: `settings.${name}`, message: 'is required' });
  if (kind === 'twilio' && credentials?.account_sid && !/^AC[0-9a-fA-F]{32}$/.test(credentials.account_sid)) {
    errors.push({ field: 'credentials.account_sid', message: 'is AC followed by 32 hex digits (Twilio Console → Account info)' });
  }
  if (kind === 'telnyx' && settings.public_key) {
    try {
      telnyxPublicKey(settings.public_key);
    } catch {
      errors.push({ field: 'settings.public_key', message: 'is the 32-byte base64 public key of Mission Control → Keys & Credentials → Public Key' });
    }
  }
  // Sent to the carrier with every number bought (docs/carriers/README.md, "Buying numbers").
  for (const [name, prefix, what] of [
    ['address_sid', 'AD', 'Address'],
    ['bundle_sid', 'BU', 'Regulatory Bundle'],
  ] as const) {
    if (kind === 'twilio' && settings[name] && !new RegExp(`^${prefix}[0-9a-fA-F]{32}$`).test(settings[name])) {
      errors.push({ field: `settings.${name}`, message: `is ${prefix} followed by 32 hex digits (Twilio Console → Phone Numbers → Regulatory Compliance → ${what}es)` });
    }
  }
  for (const name of ['site_id', 'peer_id'] as const) {
    if (kind === 'bandwidth' && settings[name] && !/^\d{1,12}$/.test(settings[name])) {
      errors.push({ field: `settings.${name}`, message: `is the numeric ${name === 'site_id' ? 'site (sub-account)' : 'location (SIP peer)'} id of the Bandwidth Dashboard` });
    }
  }
  // Where the API user's credentials are sent to list numbers and set callbacks.
  if (kind === 'bandwidth' && settings.dashboard_url) checkUrl('settings.dashboard_url', settings.dashboard_url, errors);
}

function fail(errors: FieldError[]): never {
  throw new AppError('validation_failed', errors.map((e) => `${e.field} ${e.message}`).join('; '), errors);
}

const PUBLIC_URL_REQUIRED: FieldError = {
  field: 'public_base_url',
  message: 'is required (or set PUBLIC_BASE_URL): where the carrier reaches this server, e.g. https://sms.example.com',
};

export async function createCarrierAccount(ctx: AppContext, orgId: string, input: CreateCarrierAccountInput): Promise<CreatedCarrierAccount> {
  if (!(CARRIER_KINDS as readonly string[]).includes(input.kind)) {
    throw new AppError('validation_failed', `kind must be one of ${CARRIER_KINDS.join(', ')}`, [{ field: 'kind', message: 'unknown carrier' }]);
  }
  const kind = input.kind as CarrierKind;
  const errors: FieldError[] = [];
  // Empty values are as good as absent at creation.
  const credentials = pickFields(kind, 'credentials', input.credentials, errors).values;
  const settings = pickFields(kind, 'settings', input.settings, errors).values;
  checkAccountFields(kind, credentials, settings, errors);
  if (errors.length > 0) fail(errors);

  const publicUrl = input.publicBaseUrl ? checkUrl('public_base_url', input.publicBaseUrl, errors) : null;
  const apiUrl = input.apiBaseUrl ? checkUrl('api_base_url', input.apiBaseUrl, errors) : null;
  if (kind !== 'sandbox' && !publicUrl && !ctx.config.publicBaseUrl) errors.push(PUBLIC_URL_REQUIRED);
  if (errors.length > 0) fail(errors);

  const generated = kind === 'bandwidth' ? ensureCallbackCredentials(settings, credentials) : undefined;

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

/**
 * Bandwidth: the user and password Bandwidth sends with every callback, generated when absent (the
 * generated ones are returned to be shown once).
 */
function ensureCallbackCredentials(settings: Record<string, string>, credentials: Record<string, string>): { username: string; password: string } | undefined {
  settings.callback_username ??= `textback-${crypto.randomBytes(4).toString('hex')}`;
  if (credentials.callback_password) return undefined;
  credentials.callback_password = crypto.randomBytes(24).toString('base64url');
  return { username: settings.callback_username, password: credentials.callback_password };
}

export interface UpdateCarrierAccountInput {
  name?: string | undefined;
  /** null: back to PUBLIC_BASE_URL. */
  publicBaseUrl?: string | null | undefined;
  /** null: the carrier's production API. */
  apiBaseUrl?: string | null | undefined;
  /** Secrets to replace (rotation), by name; the others are kept. */
  credentials?: Record<string, string | null> | undefined;
  /** Settings to set, by name; null or "" removes an optional one; the others are kept. */
  settings?: Record<string, string | null> | undefined;
}

/**
 * Changes an account: its name, public and API URLs, settings (merged by name) and credentials
 * (the given secrets replace the stored ones, re-encrypted with a fresh IV; the others are kept).
 * Validated as at creation, against the merged result. The account's adapter is forgotten at once
 * in this process (sends, webhooks and ring calls use the new values from the next request on);
 * other processes see the change within the registry's cache time.
 *
 * Changing `public_base_url` or Bandwidth's callback credentials changes what the carrier must call
 * or send: set the webhooks again (`webhookSetup(…, apply)`, or paste them).
 */
export async function updateCarrierAccount(ctx: AppContext, orgId: string, id: string, input: UpdateCarrierAccountInput): Promise<CreatedCarrierAccount> {
  const given = (['name', 'publicBaseUrl', 'apiBaseUrl', 'credentials', 'settings'] as const).filter((k) => input[k] !== undefined);
  if (given.length === 0) {
    throw new AppError('validation_failed', 'nothing to change: give name, public_base_url, api_base_url, credentials or settings', [
      { field: 'body', message: 'has no field to change' },
    ]);
  }
  const key = secretKey(ctx.config);
  const { row, credentialFields, generated, changed } = await transaction(ctx, async (tx) => {
    // Two changes of one account at once apply one after the other (a no-op UPDATE takes the row's
    // lock on PostgreSQL; SQLite has a single writer): neither loses the other's fields.
    await tx.updateTable('carrier_accounts').set((eb) => ({ updated_at: eb.ref('updated_at') })).where('id', '=', id).where('org_id', '=', orgId).execute();
    const current = await tx.selectFrom('carrier_accounts').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
    if (!current) throw notFound('carrier account', id);
    const kind = current.kind;
    const errors: FieldError[] = [];
    const changed: string[] = [];

    let name = current.name;
    if (input.name !== undefined) {
      name = input.name.trim();
      if (name === '') errors.push({ field: 'name', message: 'must not be empty' });
      changed.push('name');
    }
    let publicUrl = current.public_base_url;
    if (input.publicBaseUrl !== undefined) {
      publicUrl = input.publicBaseUrl ? checkUrl('public_base_url', input.publicBaseUrl, errors) : null;
      changed.push('public_base_url');
    }
    let apiUrl = current.api_base_url;
    if (input.apiBaseUrl !== undefined) {
      apiUrl = input.apiBaseUrl ? checkUrl('api_base_url', input.apiBaseUrl, errors) : null;
      changed.push('api_base_url');
    }

    const newSettings = pickFields(kind, 'settings', input.settings, errors);
    const settings = { ...(JSON.parse(current.settings) as Record<string, string>), ...newSettings.values };
    for (const field of newSettings.emptied) {
      delete settings[field];
      if (kind === 'bandwidth' && field === 'callback_username') errors.push({ field: 'settings.callback_username', message: 'cannot be removed: Bandwidth callbacks are checked against it; give a new one' });
    }
    changed.push(...[...Object.keys(newSettings.values), ...newSettings.emptied].map((n) => `settings.${n}`));

    const newSecrets = pickFields(kind, 'credentials', input.credentials, errors);
    for (const name of newSecrets.emptied) errors.push({ field: `credentials.${name}`, message: 'cannot be removed: give a new value to replace it' });
    let credentials: Record<string, string> | undefined;
    let missingWhy: string | undefined;
    if (Object.keys(newSecrets.values).length > 0 && kind !== 'sandbox') {
      let stored: Record<string, string> = {};
      try {
        stored = decryptCredentials(key, current.id, current.credentials);
      } catch {
        // Lost or replaced key: the stored secrets are gone; a complete new set replaces them.
        missingWhy = 'is required: the stored credentials cannot be decrypted with the current key (TEXTBACK_SECRET_KEY), so give all of them';
      }
      credentials = { ...stored, ...newSecrets.values };
      changed.push(...Object.keys(newSecrets.values).map((n) => `credentials.${n}`));
    }
    // The merged account must be what creation accepts (formats of the kept values were checked then).
    checkAccountFields(kind, credentials, settings, errors, missingWhy);
    if (kind !== 'sandbox' && !publicUrl && !ctx.config.publicBaseUrl) errors.push(PUBLIC_URL_REQUIRED);
    if (errors.length > 0) fail(errors);

    const generated = kind === 'bandwidth' && credentials ? ensureCallbackCredentials(settings, credentials) : undefined;
    const values = {
      name,
      public_base_url: publicUrl,
      api_base_url: apiUrl,
      settings: JSON.stringify(settings),
      ...(credentials ? { credentials: encryptCredentials(key, current.id, credentials) } : {}),
      updated_at: ctx.clock.now(),
    };
    await tx.updateTable('carrier_accounts').set(values).where('id', '=', id).where('org_id', '=', orgId).execute();
    const row: CarrierAccount = { ...current, ...values };
    const credentialFields = credentials ? FIELDS[kind].secrets.filter((f) => credentials![f]) : credentialFieldsOf(row);
    return { row, credentialFields, generated, changed };
  });
  forgetAccount(ctx, id);
  // Names of what changed, never values.
  ctx.log.info({ orgId, carrierAccountId: id, kind: row.kind, changed }, 'carrier account updated');
  return { ...view(ctx, row, credentialFields, await numberCount(ctx, id)), ...(generated ? { callbackCredentials: generated } : {}) };
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

/**
 * The organization's built-in sandbox account: one per organization, id `ca_sandbox_<org id>` (stable,
 * and unique across organizations since it names its own), created the first time it is needed (listing
 * the accounts, or a route naming it). Numbers bought from the sandbox carry its id.
 */
export const sandboxAccountId = (orgId: string) => `ca_sandbox_${orgId}`;

export async function ensureSandboxAccount(ctx: AppContext, orgId: string): Promise<void> {
  const id = sandboxAccountId(orgId);
  const existing = await ctx.db.kysely.selectFrom('carrier_accounts').select('id').where('id', '=', id).executeTakeFirst();
  if (existing) return;
  const now = ctx.clock.now();
  await ctx.db.kysely
    .insertInto('carrier_accounts')
    .values({ id, org_id: orgId, kind: 'sandbox', name: 'Sandbox', credentials: '', settings: '{}', public_base_url: null, api_base_url: null, created_at: now, updated_at: now })
    // Two first requests at once: one creates it.
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export async function getRow(ctx: AppContext, orgId: string, id: string): Promise<CarrierAccount> {
  if (id === sandboxAccountId(orgId)) await ensureSandboxAccount(ctx, orgId);
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
  await ensureSandboxAccount(ctx, orgId);
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
  if (id === sandboxAccountId(orgId)) {
    throw new AppError('invalid_state', `carrier account ${id} is the organization's built-in sandbox account and cannot be deleted`);
  }
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
      `Bandwidth Dashboard → Applications → messaging application ${settings.application_id ?? ''} → Inbound and status (outbound) callback URL = ${urls.messages}`,
      `Same application → Callback user ID = ${settings.callback_username ?? '(the callback username)'}, password = the callback password shown when the account was created (or last set)`,
      `Voice application${settings.voice_application_id ? ` ${settings.voice_application_id}` : ''} → Call status (disconnect) callback URL = ${urls.calls}, with the same callback user and password`,
      'POST /v1/carrier-accounts/:id/webhooks/configure (textback carriers webhooks <id> --apply) sets all of these through the Dashboard API.',
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
    if (setup) ctx.log.info({ orgId, carrierAccountId: accountId, configured: setup.configured.length, manual: setup.manual.length }, 'carrier webhooks configured');
  }
  return { webhooks: urls, publicBaseUrl: publicBaseUrl(ctx, row), steps: steps[row.kind], setup };
}
