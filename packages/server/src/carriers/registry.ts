/**
 * Which adapter carries a message: the carrier account of its number when it has one (Twilio,
 * Telnyx, Bandwidth or a named sandbox account, with that account's credentials), otherwise the
 * server-wide adapter of the number's carrier kind in `ctx.carriers` (the sandbox; fakes in tests
 * and benchmarks). Accounts are decrypted once and their adapters kept, per database, for a few
 * seconds (another process's change is seen after that; this process's at once).
 */
import { carrierFor, type AppContext } from '../app-context.js';
import type { CarrierAccount, Message } from '../db/schema.js';
import { AppError } from '../support/errors.js';
import { TtlCache } from '../support/ttl-cache.js';
import { BandwidthCarrier } from './bandwidth/bandwidth-carrier.js';
import type { CarrierAccountApi, CarrierAdapter, LookupHint, NumberOrderingApi, WebhookUrls } from './carrier.js';
import { decryptCredentials, secretKey } from './credentials.js';
import { trimSlash } from './http.js';
import { TelnyxCarrier } from './telnyx/telnyx-carrier.js';
import { TwilioCarrier } from './twilio/twilio-carrier.js';

export const CARRIER_KINDS = ['twilio', 'telnyx', 'bandwidth', 'sandbox'] as const;
export type CarrierKind = (typeof CARRIER_KINDS)[number];

export interface LoadedAccount {
  row: CarrierAccount;
  credentials: Record<string, string>;
  settings: Record<string, string>;
}

interface Entry {
  account: LoadedAccount;
  adapter?: CarrierAdapter & Partial<CarrierAccountApi> & Partial<NumberOrderingApi>;
}

const ACCOUNT_TTL_MS = 10_000;
const caches = new WeakMap<object, TtlCache<string, Entry | null>>();

function cacheOf(ctx: AppContext): TtlCache<string, Entry | null> {
  let cache = caches.get(ctx.db);
  if (!cache) {
    cache = new TtlCache<string, Entry | null>(ACCOUNT_TTL_MS, 1000);
    caches.set(ctx.db, cache);
  }
  return cache;
}

export function forgetAccount(ctx: AppContext, accountId: string): void {
  cacheOf(ctx).delete(accountId);
}

async function entry(ctx: AppContext, accountId: string): Promise<Entry | null> {
  const cache = cacheOf(ctx);
  const cached = cache.get(accountId);
  if (cached !== undefined) return cached;
  const row = await ctx.db.kysely.selectFrom('carrier_accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
  const value: Entry | null = row
    ? {
        account: {
          row,
          credentials: row.kind === 'sandbox' ? {} : decryptCredentials(secretKey(ctx.config), row.id, row.credentials),
          settings: JSON.parse(row.settings) as Record<string, string>,
        },
      }
    : null;
  cache.set(accountId, value);
  return value;
}

/** The account with its decrypted credentials, or undefined (webhooks: decides 404). */
export async function loadAccount(ctx: AppContext, accountId: string): Promise<LoadedAccount | undefined> {
  return (await entry(ctx, accountId))?.account;
}

/** Where the carrier reaches this server for this account: its own URL, else PUBLIC_BASE_URL. */
export function publicBaseUrl(ctx: AppContext, account: Pick<CarrierAccount, 'public_base_url'>): string | undefined {
  const base = account.public_base_url ?? ctx.config.publicBaseUrl;
  return base ? trimSlash(base) : undefined;
}

/** The webhook URLs of an account (what to paste into the carrier's console). */
export function webhookUrls(ctx: AppContext, account: Pick<CarrierAccount, 'id' | 'kind' | 'public_base_url'>): WebhookUrls {
  const base = publicBaseUrl(ctx, account) ?? 'https://YOUR-PUBLIC-HOST';
  const root = `${base}/webhooks/${account.kind}/${account.id}`;
  return { messages: `${root}/messages`, calls: `${root}/calls`, ...(account.kind === 'twilio' ? { status: `${root}/status` } : {}) };
}

/** True when a carrier message id is already recorded on one of our messages (lookups skip it). */
function claimedBy(ctx: AppContext, kind: string): (id: string) => Promise<boolean> {
  return async (id) =>
    (await ctx.db.kysely.selectFrom('messages').select('id').where('carrier', '=', kind).where('carrier_message_id', '=', id).executeTakeFirst()) !== undefined;
}

function build(ctx: AppContext, account: LoadedAccount): CarrierAdapter & Partial<CarrierAccountApi> & Partial<NumberOrderingApi> {
  const { row, credentials: c, settings: s } = account;
  const base = row.api_base_url ?? undefined;
  const publicUrl = publicBaseUrl(ctx, row) ?? 'https://invalid.example';
  switch (row.kind) {
    case 'twilio':
      return new TwilioCarrier({
        accountSid: c.account_sid!,
        authToken: c.auth_token!,
        accountId: row.id,
        publicBaseUrl: publicUrl,
        isClaimed: claimedBy(ctx, 'twilio'),
        ...(base ? { baseUrl: base } : {}),
        addressSid: s.address_sid,
        bundleSid: s.bundle_sid,
      });
    case 'telnyx':
      return new TelnyxCarrier({
        apiKey: c.api_key!,
        accountId: row.id,
        publicBaseUrl: publicUrl,
        ...(base ? { baseUrl: base } : {}),
        messagingProfileId: s.messaging_profile_id,
        connectionId: s.connection_id,
      });
    case 'bandwidth':
      return new BandwidthCarrier({
        bandwidthAccountId: s.account_id!,
        applicationId: s.application_id!,
        apiUser: c.api_user!,
        apiPassword: c.api_password!,
        isClaimed: claimedBy(ctx, 'bandwidth'),
        ...(base ? { baseUrl: base } : {}),
        ...(s.dashboard_url ? { dashboardUrl: s.dashboard_url } : {}),
        // configureWebhooks sets these on the Bandwidth applications.
        callbackUsername: s.callback_username,
        callbackPassword: c.callback_password,
        voiceApplicationId: s.voice_application_id,
        siteId: s.site_id,
        peerId: s.peer_id,
      });
    case 'sandbox':
      return carrierFor(ctx, 'sandbox');
  }
}

/** The adapter of a carrier account (kept while the account is cached). */
export async function accountAdapter(ctx: AppContext, accountId: string): Promise<CarrierAdapter & Partial<CarrierAccountApi> & Partial<NumberOrderingApi>> {
  const found = await entry(ctx, accountId);
  if (!found) throw new AppError('not_found', `carrier account ${accountId} does not exist`);
  found.adapter ??= build(ctx, found.account);
  return found.adapter;
}

/**
 * The adapter that sends this message: its number's account, or the server-wide one of its kind.
 * Lookups get the message's details, for carriers that can only be searched by them.
 */
export async function carrierForMessage(ctx: AppContext, message: Message, number?: { carrier_account_id: string | null }): Promise<CarrierAdapter> {
  // The caller may already have read the number (the batch send reads all of a batch's at once).
  number ??= await ctx.db.kysely.selectFrom('phone_numbers').select('carrier_account_id').where('id', '=', message.number_id).executeTakeFirst();
  const adapter = number?.carrier_account_id ? await accountAdapter(ctx, number.carrier_account_id) : carrierFor(ctx, message.carrier);
  const hint: LookupHint = { from: message.from_e164, to: message.to_e164, body: message.body, createdAt: message.created_at };
  return {
    kind: adapter.kind,
    send: (m) => adapter.send(m),
    lookup: (orgId, messageId) => adapter.lookup(orgId, messageId, hint),
  };
}
