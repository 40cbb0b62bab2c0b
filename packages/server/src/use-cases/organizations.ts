import type { CountryCode } from '@textback/core';
import crypto from 'node:crypto';
import { transaction, type AppContext, type Tx } from '../app-context.js';
import type { Organization, Role, User } from '../db/schema.js';
import { AppError, notFound } from '../support/errors.js';
import { newId } from '../support/ids.js';

export interface OrganizationSettings {
  /** Longest message body accepted, in characters (Close's limit: 1,000). */
  max_body_length: number;
  /** Country of numbers written without a country code (e.g. "(415) 555-0123"). */
  default_country: CountryCode;
}

export const DEFAULT_SETTINGS: OrganizationSettings = { max_body_length: 1000, default_country: 'US' };

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

export function orgSettings(org: Organization): OrganizationSettings {
  return { ...DEFAULT_SETTINGS, ...(JSON.parse(org.settings) as Partial<OrganizationSettings>) };
}

export async function getOrganization(ctx: AppContext, orgId: string): Promise<Organization> {
  const org = await ctx.db.kysely.selectFrom('organizations').selectAll().where('id', '=', orgId).executeTakeFirst();
  if (!org) throw notFound('organization', orgId);
  return org;
}

export async function updateOrganization(
  ctx: AppContext,
  orgId: string,
  patch: { name?: string; time_zone?: string; settings?: Partial<OrganizationSettings> },
): Promise<Organization> {
  const org = await getOrganization(ctx, orgId);
  const settings = { ...orgSettings(org), ...(patch.settings ?? {}) };
  await ctx.db.kysely
    .updateTable('organizations')
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.time_zone !== undefined ? { time_zone: patch.time_zone } : {}),
      settings: JSON.stringify(settings),
      updated_at: ctx.clock.now(),
    })
    .where('id', '=', orgId)
    .execute();
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

export interface Principal {
  orgId: string;
  userId: string;
  role: Role;
  apiKeyId: string;
}

const ROLE_RANK: Record<Role, number> = { agent: 0, supervisor: 1, admin: 2, owner: 3 };

export function requireRole(principal: Principal, least: Role): void {
  if (ROLE_RANK[principal.role] < ROLE_RANK[least]) {
    throw new AppError('forbidden', `this needs the ${least} role or above; your key's user is ${principal.role}`);
  }
}

export async function authenticate(ctx: AppContext, key: string): Promise<Principal | null> {
  const row = await ctx.db.kysely
    .selectFrom('api_keys')
    .innerJoin('users', 'users.id', 'api_keys.user_id')
    .select(['api_keys.id', 'api_keys.org_id', 'api_keys.user_id', 'api_keys.revoked_at', 'users.role'])
    .where('api_keys.key_hash', '=', hashApiKey(key))
    .executeTakeFirst();
  if (!row || row.revoked_at !== null) return null;
  return { orgId: row.org_id, userId: row.user_id, role: row.role, apiKeyId: row.id };
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
  input: { orgId: string; email: string; name: string; role: Role },
): Promise<User> {
  const now = ctx.clock.now();
  const user: User = {
    id: newId('usr'),
    org_id: input.orgId,
    email: input.email.toLowerCase(),
    name: input.name,
    role: input.role,
    created_at: now,
    updated_at: now,
  };
  try {
    await db.insertInto('users').values(user).execute();
  } catch (error) {
    if (ctx.db.dialect.isUniqueViolation(error)) throw new AppError('conflict', `a user with email ${user.email} already exists`);
    throw error;
  }
  return user;
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
  input: { name: string; timeZone?: string; ownerEmail: string; ownerName?: string; apiKey?: string },
): Promise<CreatedOrganization> {
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
    const owner = await createUser(ctx, tx, { orgId: org.id, email: input.ownerEmail, name: input.ownerName ?? 'Owner', role: 'owner' });
    const key = await createApiKey(ctx, tx, { orgId: org.id, userId: owner.id, name: 'admin', ...(input.apiKey ? { key: input.apiKey } : {}) });
    return { org, owner, apiKey: key.key };
  });
}
