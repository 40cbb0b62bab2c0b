import { isValidTimeZone, validateBusinessHours, type BusinessHours, type CountryCode } from '@textback/core';
import crypto from 'node:crypto';
import { transaction, type AppContext, type Tx } from '../app-context.js';
import type { Organization, Role, User } from '../db/schema.js';
import { prepared } from '../db/prepared.js';
import { AppError, notFound } from '../support/errors.js';
import { newId } from '../support/ids.js';
import { TtlCache } from '../support/ttl-cache.js';
import { validateComplianceSettings } from './compliance/settings.js';
import { validateStoredTexts } from './message-text.js';
import { hashPassword, validateNewPassword } from './auth/passwords.js';

export interface OrganizationSettings {
  /** Longest message body accepted, in characters (Close's limit: 1,000). */
  max_body_length: number;
  /** Country of numbers written without a country code (e.g. "(415) 555-0123"). */
  default_country: CountryCode;
  // Compliance (docs/compliance.md): validated by validateComplianceSettings on save.
  /** 'universal': an opt-out on one business number blocks them all; 'per_number': only that number. */
  consent_scope: 'universal' | 'per_number';
  /** Hold texts due outside the recipient's allowed hours (TCPA 08:00–21:00 and state rules). */
  quiet_hours: boolean;
  /** A reply in a live conversation (the contact wrote or called within 24 h) is not held. */
  quiet_hours_exempt_live_conversation: boolean;
  /** Most automated texts per contact in any rolling 24 h (null: no organization cap). */
  automated_cap_per_24h: number | null;
  /** Automated texts need recorded consent (implied or express), per 47 CFR 64.1200(a). */
  automated_requires_consent: boolean;
  /** Destination countries (ISO 3166-1 alpha-2); others are blocked as unsupported_country. */
  allowed_countries: string[];
  /** Numbers the numbering plan says are fixed lines: block, send with a flag, or allow. */
  landline_policy: 'block' | 'flag' | 'allow';
  /** Added to the first automated text to a contact unless it already has it (null: never). */
  opt_out_language: string | null;
  /** Answer to HELP / INFO (null: the default, naming the business and its number). */
  help_text: string | null;
  /** The one confirmation after STOP (null: the default). */
  opt_out_text: string | null;
  /** The confirmation after START (null: the default). */
  opt_in_text: string | null;
  /** Suppress a number after this many carrier failures meaning it cannot receive texts (null: never). */
  auto_suppress_after_failures: number | null;
  /** An inbound call the caller abandoned in fewer seconds than this is too_short, not missed (docs/automations.md). */
  too_short_seconds: number;
}

export const DEFAULT_SETTINGS: OrganizationSettings = {
  max_body_length: 1000,
  default_country: 'US',
  consent_scope: 'universal',
  quiet_hours: true,
  quiet_hours_exempt_live_conversation: true,
  automated_cap_per_24h: 5,
  automated_requires_consent: true,
  allowed_countries: ['US', 'CA', 'GB', 'AU'],
  landline_policy: 'block',
  opt_out_language: 'Reply STOP to opt out',
  help_text: null,
  opt_out_text: null,
  opt_in_text: null,
  auto_suppress_after_failures: 3,
  too_short_seconds: 7,
};

export const DEFAULT_BUSINESS_HOURS = {
  weekly: {
    mon: [{ open: '09:00', close: '17:00' }],
    tue: [{ open: '09:00', close: '17:00' }],
    wed: [{ open: '09:00', close: '17:00' }],
    thu: [{ open: '09:00', close: '17:00' }],
    fri: [{ open: '09:00', close: '17:00' }],
    sat: [],
    sun: [],
  },
  holidays: [] as string[],
};

export function orgSettings(org: Pick<Organization, 'settings'>): OrganizationSettings {
  return { ...DEFAULT_SETTINGS, ...(JSON.parse(org.settings) as Partial<OrganizationSettings>) };
}

const organizationQuery = prepared((db, v: { id: string }) => db.selectFrom('organizations').selectAll().where('id', '=', v.id));

/** An organization's row, read in `db` (a transaction sees its own writes); it must exist. */
export async function organizationById(db: Tx, id: string): Promise<Organization> {
  const org = await organizationQuery.first(db, { id });
  if (!org) throw new Error(`organization ${id} does not exist`);
  return org;
}

export async function getOrganization(ctx: AppContext, orgId: string): Promise<Organization> {
  const org = await organizationQuery.first(ctx.db.kysely, { id: orgId });
  if (!org) throw notFound('organization', orgId);
  return org;
}

/**
 * The organization for reads on every request that only need its time zone and settings (search):
 * kept 5 s per process. A change made in this process is seen at once; one made by another process
 * (or straight in the database) within 5 s. Saves a round trip per search on PostgreSQL.
 */
const organizations = new TtlCache<string, Organization>(5_000);
export async function getOrganizationBriefly(ctx: AppContext, orgId: string): Promise<Organization> {
  const cached = organizations.get(orgId);
  if (cached) return cached;
  const org = await getOrganization(ctx, orgId);
  organizations.set(orgId, org);
  return org;
}

export async function updateOrganization(
  ctx: AppContext,
  orgId: string,
  patch: { name?: string; time_zone?: string; business_hours?: { weekly: unknown; holidays?: string[] }; settings?: Partial<OrganizationSettings> },
): Promise<Organization> {
  // The name is in texts (the default STOP, START and HELP answers, {Business} in templates).
  if (patch.name !== undefined) validateStoredTexts({ name: patch.name });
  const org = await getOrganization(ctx, orgId);
  const timeZone = patch.time_zone ?? org.time_zone;
  if (!isValidTimeZone(timeZone)) {
    throw new AppError('validation_failed', `time_zone: "${timeZone}" is not an IANA time zone (e.g. America/Chicago)`, [{ field: 'time_zone', message: 'unknown time zone' }]);
  }
  if (patch.business_hours) {
    const hours = { timeZone, weekly: patch.business_hours.weekly, holidays: patch.business_hours.holidays ?? [] } as BusinessHours;
    const problems = validateBusinessHours(hours);
    if (problems.length > 0) {
      throw new AppError(
        'validation_failed',
        problems.map((p) => `business_hours.${p.path}: ${p.message}`).join('; '),
        problems.map((p) => ({ field: `business_hours.${p.path}`, message: p.message })),
      );
    }
  }
  const settings = { ...orgSettings(org), ...(patch.settings ?? {}) };
  // A custom help text is checked when it is set (a rename does not invalidate the one in force).
  validateComplianceSettings(settings, patch.name ?? org.name, 'settings', patch.settings?.help_text !== undefined);
  await ctx.db.kysely
    .updateTable('organizations')
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.time_zone !== undefined ? { time_zone: patch.time_zone } : {}),
      ...(patch.business_hours ? { business_hours: JSON.stringify({ weekly: patch.business_hours.weekly, holidays: patch.business_hours.holidays ?? [] }) } : {}),
      settings: JSON.stringify(settings),
      updated_at: ctx.clock.now(),
    })
    .where('id', '=', orgId)
    .execute();
  organizations.delete(orgId);
  return getOrganization(ctx, orgId);
}

// ---------------------------------------------------------------------------------------------
// API keys: random, shown once, stored as SHA-256, revocable.

const KEY_PREFIX = 'tbk_';

export function hashApiKey(key: string): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

export function generateApiKey(): string {
  return `${KEY_PREFIX}${crypto.randomBytes(24).toString('base64url')}`;
}

/** Who is calling: a user, through one of their API keys or a signed-in session (same checks either way). */
export interface Principal {
  orgId: string;
  userId: string;
  role: Role;
  /** The API key used, or null for a session. */
  apiKeyId: string | null;
  /** The browser session used, or null for an API key. */
  sessionId: string | null;
}

const ROLE_RANK: Record<Role, number> = { agent: 0, supervisor: 1, admin: 2, owner: 3 };

export function requireRole(principal: Principal, least: Role): void {
  if (ROLE_RANK[principal.role] < ROLE_RANK[least]) {
    throw new AppError('forbidden', `this needs the ${least} role or above; you are ${principal.role}`);
  }
}

/** Authenticated keys, briefly: revoking in this process takes effect at once, elsewhere within the TTL. */
const principals = new TtlCache<string, Principal | null>(10_000);

export async function authenticate(ctx: AppContext, key: string): Promise<Principal | null> {
  const hash = hashApiKey(key);
  const cached = principals.get(hash);
  if (cached !== undefined) return cached;
  const principal = await lookupKey(ctx, hash);
  principals.set(hash, principal);
  return principal;
}

async function lookupKey(ctx: AppContext, hash: string): Promise<Principal | null> {
  const row = await ctx.db.kysely
    .selectFrom('api_keys')
    .innerJoin('users', 'users.id', 'api_keys.user_id')
    .select(['api_keys.id', 'api_keys.org_id', 'api_keys.user_id', 'api_keys.revoked_at', 'users.role'])
    .where('api_keys.key_hash', '=', hash)
    .where('users.deactivated_at', 'is', null)
    .executeTakeFirst();
  if (!row || row.revoked_at !== null) return null;
  return { orgId: row.org_id, userId: row.user_id, role: row.role, apiKeyId: row.id, sessionId: null };
}

export async function createApiKey(
  ctx: AppContext,
  db: Tx,
  input: { orgId: string; userId: string; name: string; key?: string },
): Promise<{ id: string; key: string; prefix: string }> {
  const key = input.key ?? generateApiKey();
  const id = newId('key');
  const prefix = key.slice(0, 10);
  await db
    .insertInto('api_keys')
    .values({
      id,
      org_id: input.orgId,
      user_id: input.userId,
      name: input.name,
      key_hash: hashApiKey(key),
      prefix,
      created_at: ctx.clock.now(),
      last_used_at: null,
      revoked_at: null,
    })
    .execute();
  return { id, key, prefix };
}

export async function revokeApiKey(ctx: AppContext, orgId: string, id: string): Promise<void> {
  principals.clear();
  const result = await ctx.db.kysely
    .updateTable('api_keys')
    .set({ revoked_at: ctx.clock.now() })
    .where('id', '=', id)
    .where('org_id', '=', orgId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) {
    const exists = await ctx.db.kysely.selectFrom('api_keys').select('id').where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
    if (!exists) throw notFound('API key', id);
  }
}

export async function listApiKeys(ctx: AppContext, orgId: string) {
  return ctx.db.kysely
    .selectFrom('api_keys')
    .select(['id', 'user_id', 'name', 'prefix', 'created_at', 'last_used_at', 'revoked_at'])
    .where('org_id', '=', orgId)
    .orderBy('created_at', 'desc')
    .execute();
}

// ---------------------------------------------------------------------------------------------
// Users

export async function createUser(
  ctx: AppContext,
  db: Tx,
  /** passwordHash: from hashPassword, computed before the transaction (scrypt takes a while). */
  input: { orgId: string; email: string; name: string; role: Role; passwordHash?: string },
): Promise<User> {
  const now = ctx.clock.now();
  const user: User = {
    id: newId('usr'),
    org_id: input.orgId,
    email: input.email.trim().toLowerCase(),
    name: input.name,
    role: input.role,
    created_at: now,
    updated_at: now,
    password_hash: input.passwordHash ?? null,
    password_changed_at: input.passwordHash !== undefined ? now : null,
    deactivated_at: null,
  };
  try {
    await db.insertInto('users').values(user).execute();
  } catch (error) {
    if (ctx.db.dialect.isUniqueViolation(error)) throw new AppError('conflict', `a user with email ${user.email} already exists`);
    throw error;
  }
  return user;
}

/** Validates a new password (10 to 200 characters) and hashes it. */
export async function checkedPasswordHash(password: string, field = 'password'): Promise<string> {
  validateNewPassword(password, field);
  return hashPassword(password);
}

/** Renames a user or changes their role. Admins manage roles; only an owner gives or takes the owner role, and the last owner keeps it. */
export async function updateUser(ctx: AppContext, principal: Principal, userId: string, patch: { name?: string; role?: Role; active?: boolean }): Promise<User> {
  requireRole(principal, 'admin');
  const user = await getUser(ctx, principal.orgId, userId);
  const deactivating = patch.active === false && user.deactivated_at == null;
  const reactivating = patch.active === true && user.deactivated_at != null;
  if ((patch.role !== undefined && patch.role !== user.role) || deactivating || reactivating) {
    if (patch.role === 'owner' || user.role === 'owner') requireRole(principal, 'owner');
  }
  if (deactivating && userId === principal.userId) {
    throw new AppError('invalid_state', 'you cannot deactivate yourself: ask another admin', [{ field: 'active', message: 'you cannot deactivate yourself' }]);
  }
  const losesOwner = user.role === 'owner' && user.deactivated_at == null && ((patch.role !== undefined && patch.role !== 'owner') || deactivating);
  if (losesOwner) {
    const owners = await ctx.db.kysely
      .selectFrom('users')
      .select('id')
      .where('org_id', '=', principal.orgId)
      .where('role', '=', 'owner')
      .where('deactivated_at', 'is', null)
      .execute();
    if (owners.length <= 1) throw new AppError('invalid_state', `user ${userId} is the organization's only owner who can sign in: make someone else owner first`);
  }
  const now = ctx.clock.now();
  const deactivatedAt = deactivating ? now : reactivating ? null : user.deactivated_at;
  await transaction(ctx, async (tx) => {
    await tx
      .updateTable('users')
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.role !== undefined ? { role: patch.role } : {}),
        ...(deactivating || reactivating ? { deactivated_at: deactivatedAt } : {}),
        updated_at: now,
      })
      .where('id', '=', userId)
      .where('org_id', '=', principal.orgId)
      .execute();
    if (deactivating) {
      // Signed out everywhere, and their open conversations go back to Unassigned so no lead waits on them.
      await tx.deleteFrom('sessions').where('user_id', '=', userId).execute();
      await tx
        .updateTable('conversations')
        .set({ assigned_user_id: null, updated_at: now })
        .where('org_id', '=', principal.orgId)
        .where('assigned_user_id', '=', userId)
        .where('status', '=', 'open')
        .execute();
    }
  });
  // API keys are cached briefly with their user's role and state.
  if (patch.role !== undefined || deactivating || reactivating) principals.clear();
  const { active: _active, ...fields } = patch;
  return { ...user, ...fields, deactivated_at: deactivatedAt, updated_at: now };
}

export async function listUsers(ctx: AppContext, orgId: string): Promise<User[]> {
  return ctx.db.kysely.selectFrom('users').selectAll().where('org_id', '=', orgId).orderBy('created_at').execute();
}

export async function getUser(ctx: AppContext, orgId: string, userId: string): Promise<User> {
  const user = await ctx.db.kysely.selectFrom('users').selectAll().where('id', '=', userId).where('org_id', '=', orgId).executeTakeFirst();
  if (!user) throw notFound('user', userId);
  return user;
}

// ---------------------------------------------------------------------------------------------
// Organizations with their owner

export interface CreatedOrganization {
  org: Organization;
  owner: User;
  apiKey: string;
}

export async function createOrganization(
  ctx: AppContext,
  input: { name: string; timeZone?: string; ownerEmail: string; ownerName?: string; apiKey?: string; ownerPassword?: string },
): Promise<CreatedOrganization> {
  validateStoredTexts({ name: input.name });
  const passwordHash = input.ownerPassword !== undefined ? await checkedPasswordHash(input.ownerPassword) : undefined;
  return transaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    const org: Organization = {
      id: newId('org'),
      name: input.name,
      time_zone: input.timeZone ?? 'America/New_York',
      business_hours: JSON.stringify(DEFAULT_BUSINESS_HOURS),
      settings: JSON.stringify(DEFAULT_SETTINGS),
      created_at: now,
      updated_at: now,
    };
    await tx.insertInto('organizations').values(org).execute();
    const owner = await createUser(ctx, tx, {
      orgId: org.id,
      email: input.ownerEmail,
      name: input.ownerName ?? 'Owner',
      role: 'owner',
      ...(passwordHash !== undefined ? { passwordHash } : {}),
    });
    const key = await createApiKey(ctx, tx, { orgId: org.id, userId: owner.id, name: 'admin', ...(input.apiKey ? { key: input.apiKey } : {}) });
    return { org, owner, apiKey: key.key };
  });
}
