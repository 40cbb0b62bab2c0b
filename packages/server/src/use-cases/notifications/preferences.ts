/**
 * Each user's email notification preferences (docs/notifications.md), and the cached answer to
 * "who in this organization wants an email about a new text?" that the receive path asks.
 */
import type { AppContext, Tx } from '../../app-context.js';
import type { Db } from '../../db/database.js';
import { AppError, type FieldError } from '../../support/errors.js';
import { TtlCache } from '../../support/ttl-cache.js';
import { getUser, type Principal } from '../organizations.js';

export interface NewTextPreferences {
  /** Conversations assigned to the user. */
  assigned_to_me: boolean;
  /** Conversations of one of the user's teams. */
  my_teams: boolean;
  /** Conversations assigned to nobody (no user, no team). */
  unassigned: boolean;
  /** The business numbers whose conversations count: their ids, or "all". */
  numbers: string[] | 'all';
}

export interface NotificationPreferences {
  email_new_texts: NewTextPreferences;
  /** Failures of the organization (owners and admins only). */
  email_failures: boolean;
  /** Put the newest text (its first 60 characters) in the subject; off: the subject names only the contact. */
  include_body_in_subject: boolean;
}

export const DEFAULT_PREFERENCES: NotificationPreferences = {
  email_new_texts: { assigned_to_me: false, my_teams: false, unassigned: false, numbers: 'all' },
  email_failures: false,
  include_body_in_subject: false,
};

export type PreferencesPatch = {
  email_new_texts?: Partial<NewTextPreferences>;
  email_failures?: boolean;
  include_body_in_subject?: boolean;
};

const wantsNewTexts = (p: NotificationPreferences) => p.email_new_texts.assigned_to_me || p.email_new_texts.my_teams || p.email_new_texts.unassigned;

/** Self, or an admin or owner for anyone of the organization; another organization's user is not found. */
async function visibleUser(ctx: AppContext, principal: Principal, userId: string) {
  const user = await getUser(ctx, principal.orgId, userId);
  if (user.id !== principal.userId && principal.role !== 'admin' && principal.role !== 'owner') {
    throw new AppError('forbidden', "only admins and owners can see or change another user's notifications");
  }
  return user;
}

export async function getPreferences(ctx: AppContext, principal: Principal, userId: string): Promise<NotificationPreferences> {
  const user = await visibleUser(ctx, principal, userId);
  return storedPreferences(ctx.db, user.id);
}

async function storedPreferences(db: Db, userId: string): Promise<NotificationPreferences> {
  const row = await db.kysely.selectFrom('notification_preferences').select('settings').where('user_id', '=', userId).executeTakeFirst();
  return row ? (JSON.parse(row.settings) as NotificationPreferences) : structuredClone(DEFAULT_PREFERENCES);
}

/** Fields left out keep their value. Every problem is reported, each naming its field. */
export async function updatePreferences(ctx: AppContext, principal: Principal, userId: string, patch: PreferencesPatch): Promise<NotificationPreferences> {
  const user = await visibleUser(ctx, principal, userId);
  const current = await storedPreferences(ctx.db, user.id);
  const next: NotificationPreferences = {
    email_new_texts: { ...current.email_new_texts, ...(patch.email_new_texts ?? {}) },
    email_failures: patch.email_failures ?? current.email_failures,
    include_body_in_subject: patch.include_body_in_subject ?? current.include_body_in_subject,
  };
  const problems: FieldError[] = [];
  const numbers = next.email_new_texts.numbers;
  if (Array.isArray(numbers)) {
    const unique = [...new Set(numbers)];
    const known = unique.length === 0 ? [] : await ctx.db.kysely.selectFrom('phone_numbers').select('id').where('org_id', '=', user.org_id).where('id', 'in', unique).execute();
    const ids = new Set(known.map((r) => r.id));
    numbers.forEach((id, i) => {
      if (!ids.has(id)) problems.push({ field: `email_new_texts.numbers[${i}]`, message: `no business number ${id} in this organization` });
    });
    next.email_new_texts.numbers = unique;
  }
  if (next.email_failures && user.role !== 'owner' && user.role !== 'admin') {
    problems.push({ field: 'email_failures', message: `only owners and admins get failure emails; this user is ${user.role === 'agent' ? 'an agent' : 'a supervisor'}` });
  }
  if (problems.length > 0) throw new AppError('validation_failed', problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  const now = ctx.clock.now();
  const row = { user_id: user.id, org_id: user.org_id, settings: JSON.stringify(next), active: wantsNewTexts(next) || next.email_failures ? 1 : 0, updated_at: now };
  await ctx.db.kysely
    .insertInto('notification_preferences')
    .values(row)
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ settings: row.settings, active: row.active, updated_at: now }))
    .execute();
  subscribers.get(ctx.db)?.delete(user.org_id);
  return next;
}

/** A user who wants emails, with the teams they belong to. */
export interface Subscriber {
  userId: string;
  role: string;
  preferences: NotificationPreferences;
  teamIds: Set<string>;
}

const SUBSCRIBERS_TTL_MS = 30_000;
const subscribers = new WeakMap<Db, TtlCache<string, Subscriber[]>>();

/**
 * The organization's users who asked for any email, cached for 30 s per process (a change made
 * here is seen at once, one made by another process within the TTL). An organization where nobody
 * asked costs one cached map lookup per text.
 */
export async function subscribersOf(ctx: AppContext, orgId: string, executor: Tx = ctx.db.kysely): Promise<Subscriber[]> {
  let cache = subscribers.get(ctx.db);
  if (!cache) {
    cache = new TtlCache(SUBSCRIBERS_TTL_MS);
    subscribers.set(ctx.db, cache);
  }
  const now = ctx.clock.now();
  const hit = cache.get(orgId, now);
  if (hit) return hit;
  // Read with the caller's transaction: on SQLite another connection's read would wait for it.
  const rows = await executor
    .selectFrom('notification_preferences as p')
    .innerJoin('users as u', 'u.id', 'p.user_id')
    .select(['p.user_id', 'p.settings', 'u.role'])
    .where('p.org_id', '=', orgId)
    .where('p.active', '=', 1)
    .execute();
  const memberships =
    rows.length === 0
      ? []
      : await executor.selectFrom('team_members').select(['user_id', 'team_id']).where('org_id', '=', orgId).where('user_id', 'in', rows.map((r) => r.user_id)).execute();
  const list = rows.map((r) => ({
    userId: r.user_id,
    role: r.role,
    preferences: JSON.parse(r.settings) as NotificationPreferences,
    teamIds: new Set(memberships.filter((m) => m.user_id === r.user_id).map((m) => m.team_id)),
  }));
  cache.set(orgId, list, now);
  return list;
}

/** Whether a new text in this conversation is one the user asked to be emailed about. */
export function wantsText(s: Subscriber, c: { numberId: string; assignedUserId: string | null; assignedTeamId: string | null }): boolean {
  const p = s.preferences.email_new_texts;
  if (p.numbers !== 'all' && !p.numbers.includes(c.numberId)) return false;
  if (c.assignedUserId !== null) return (p.assigned_to_me && c.assignedUserId === s.userId) || (p.my_teams && c.assignedTeamId !== null && s.teamIds.has(c.assignedTeamId));
  if (c.assignedTeamId !== null) return p.my_teams && s.teamIds.has(c.assignedTeamId);
  return p.unassigned;
}
