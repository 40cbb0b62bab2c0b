/**
 * Sign-in for people (the web app): email and password, a session per browser kept in the
 * database (only the SHA-256 of its token), idle and absolute expiry, a CSRF token bound to the
 * session, and back-off after repeated failures per email and per client address. API keys
 * (organizations.ts) are the other way in; both give the same Principal.
 */
import crypto from 'node:crypto';
import { transaction, type AppContext } from '../../app-context.js';
import type { Organization, User } from '../../db/schema.js';
import { AppError, notFound } from '../../support/errors.js';
import { newId } from '../../support/ids.js';
import type { Principal } from '../organizations.js';
import { decoyHash, hashPassword, validateNewPassword, verifyPassword } from './passwords.js';

export const SESSION_COOKIE = 'textback_session';

/** Failures after which sign-in is refused for a while, per email and per client address. */
export const EMAIL_FAILURES_ALLOWED = 5;
export const IP_FAILURES_ALLOWED = 20;
/** First lockout, doubled at each further failure, at most MAX_LOCK_MS. */
export const FIRST_LOCK_MS = 30_000;
export const MAX_LOCK_MS = 15 * 60_000;
/** Failures are forgotten after this long without another. */
export const FAILURE_MEMORY_MS = 15 * 60_000;
/** last_seen_at is written at most this often. */
const TOUCH_EVERY_MS = 60_000;

export interface SessionPolicy {
  idleMs: number;
  absoluteMs: number;
}

export function sessionPolicy(ctx: AppContext): SessionPolicy {
  return { idleMs: ctx.config.sessionIdleHours * 3_600_000, absoluteMs: ctx.config.sessionMaxDays * 86_400_000 };
}

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

/** The CSRF token of a session: an HMAC of its secret token, so it is bound to it and needs no storage. */
export function csrfTokenFor(sessionToken: string): string {
  return crypto.createHmac('sha256', sessionToken).update('textback-csrf-v1').digest('base64url');
}

export function csrfMatches(sessionToken: string, sent: string | undefined): boolean {
  if (!sent) return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const given = Buffer.from(sent);
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

export interface SignedIn {
  token: string;
  csrfToken: string;
  user: User;
  organization: Organization;
  expiresAt: number;
}

/** Thrown while a key is locked out: the HTTP layer answers 429 with Retry-After. */
export class TooManyAttempts extends AppError {
  constructor(retryAfterSeconds: number) {
    super('too_many_attempts', `too many failed sign-ins; try again in ${retryAfterSeconds} seconds`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

const throttleKeys = (email: string, ip: string | undefined) => [`email:${email}`, ...(ip ? [`ip:${ip}`] : [])];

async function checkThrottle(ctx: AppContext, keys: string[]): Promise<void> {
  const now = ctx.clock.now();
  const rows = await ctx.db.kysely.selectFrom('login_throttle').selectAll().where('key', 'in', keys).execute();
  const until = Math.max(0, ...rows.map((r) => (r.locked_until !== null && r.locked_until > now ? r.locked_until : 0)));
  if (until > now) throw new TooManyAttempts(Math.ceil((until - now) / 1000));
}

async function recordFailure(ctx: AppContext, keys: string[]): Promise<void> {
  const now = ctx.clock.now();
  await transaction(ctx, async (tx) => {
    // Forgotten failures go (a spray of made-up emails would otherwise leave a row each).
    await tx
      .deleteFrom('login_throttle')
      .where('last_failure_at', '<', now - FAILURE_MEMORY_MS)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
      .execute();
    for (const key of keys) {
      const allowed = key.startsWith('ip:') ? IP_FAILURES_ALLOWED : EMAIL_FAILURES_ALLOWED;
      const row = await tx.selectFrom('login_throttle').selectAll().where('key', '=', key).executeTakeFirst();
      const failures = row && now - row.last_failure_at < FAILURE_MEMORY_MS ? row.failures + 1 : 1;
      const over = failures - allowed + 1;
      const lockedUntil = over > 0 ? now + Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** Math.min(over - 1, 20)) : null;
      if (row) await tx.updateTable('login_throttle').set({ failures, last_failure_at: now, locked_until: lockedUntil }).where('key', '=', key).execute();
      else await tx.insertInto('login_throttle').values({ key, failures, last_failure_at: now, locked_until: lockedUntil }).onConflict((oc) => oc.column('key').doUpdateSet({ failures, last_failure_at: now, locked_until: lockedUntil })).execute();
    }
  });
}

/**
 * Signs a person in. Unknown email and wrong password get the same answer in about the same time.
 * An email used in several organizations signs in to the first (oldest) whose password matches.
 */
export async function signIn(ctx: AppContext, input: { email: string; password: string; ip?: string; userAgent?: string }): Promise<SignedIn> {
  const email = input.email.trim().toLowerCase();
  const keys = throttleKeys(email, input.ip);
  await checkThrottle(ctx, keys);
  const candidates = await ctx.db.kysely
    .selectFrom('users')
    .selectAll()
    .where('email', '=', email)
    .where('password_hash', 'is not', null)
    .where('deactivated_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .limit(5)
    .execute();
  let user: User | undefined;
  for (const c of candidates) {
    if (await verifyPassword(input.password, c.password_hash!)) {
      user = c;
      break;
    }
  }
  if (candidates.length === 0) await verifyPassword(input.password, await decoyHash());
  if (!user) {
    await recordFailure(ctx, keys);
    throw new AppError('invalid_credentials', 'the email or the password is not right');
  }
  await ctx.db.kysely.deleteFrom('login_throttle').where('key', '=', `email:${email}`).execute();
  return startSession(ctx, user, input);
}

async function startSession(ctx: AppContext, user: User, input: { ip?: string; userAgent?: string }): Promise<SignedIn> {
  const now = ctx.clock.now();
  // The user's sessions that ended unseen (expired, or idle too long) go.
  await ctx.db.kysely
    .deleteFrom('sessions')
    .where('user_id', '=', user.id)
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - sessionPolicy(ctx).idleMs)]))
    .execute();
  const token = crypto.randomBytes(32).toString('base64url');
  const expiresAt = now + sessionPolicy(ctx).absoluteMs;
  await ctx.db.kysely
    .insertInto('sessions')
    .values({
      id: newId('ses'),
      org_id: user.org_id,
      user_id: user.id,
      token_hash: sha256(token),
      created_at: now,
      last_seen_at: now,
      expires_at: expiresAt,
      ip: input.ip ?? null,
      user_agent: input.userAgent?.slice(0, 300) ?? null,
    })
    .execute();
  const organization = await ctx.db.kysely.selectFrom('organizations').selectAll().where('id', '=', user.org_id).executeTakeFirstOrThrow();
  return { token, csrfToken: csrfTokenFor(token), user, organization, expiresAt };
}

/** The principal of a session token, or null when it is unknown, idle too long or past its absolute expiry. */
export async function authenticateSession(ctx: AppContext, token: string): Promise<Principal | null> {
  if (token.length < 20 || token.length > 100) return null;
  const now = ctx.clock.now();
  const row = await ctx.db.kysely
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['sessions.id', 'sessions.org_id', 'sessions.user_id', 'sessions.last_seen_at', 'sessions.expires_at', 'users.role'])
    .where('sessions.token_hash', '=', sha256(token))
    .where('users.deactivated_at', 'is', null)
    .executeTakeFirst();
  if (!row) return null;
  if (row.expires_at <= now || row.last_seen_at + sessionPolicy(ctx).idleMs <= now) {
    await ctx.db.kysely.deleteFrom('sessions').where('id', '=', row.id).execute();
    return null;
  }
  if (now - row.last_seen_at >= TOUCH_EVERY_MS) {
    await ctx.db.kysely.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', row.id).execute();
  }
  return { orgId: row.org_id, userId: row.user_id, role: row.role, apiKeyId: null, sessionId: row.id };
}

export async function signOut(ctx: AppContext, sessionId: string): Promise<void> {
  await ctx.db.kysely.deleteFrom('sessions').where('id', '=', sessionId).execute();
}

/** Sets a user's password (no check of the old one: the CLI, an admin, the first start). Ends every session of the user but `keepSessionId`. */
export async function setPassword(ctx: AppContext, orgId: string, userId: string, password: string, keepSessionId?: string | null): Promise<void> {
  validateNewPassword(password);
  const hash = await hashPassword(password);
  const now = ctx.clock.now();
  const result = await ctx.db.kysely
    .updateTable('users')
    .set({ password_hash: hash, password_changed_at: now, updated_at: now })
    .where('id', '=', userId)
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw notFound('user', userId);
  let q = ctx.db.kysely.deleteFrom('sessions').where('user_id', '=', userId);
  if (keepSessionId) q = q.where('id', '!=', keepSessionId);
  await q.execute();
}

/** A signed-in person changes their own password: the current one must match; their other sessions end. */
export async function changePassword(ctx: AppContext, principal: Principal, input: { current: string; next: string }): Promise<void> {
  const user = await ctx.db.kysely.selectFrom('users').selectAll().where('id', '=', principal.userId).where('org_id', '=', principal.orgId).executeTakeFirst();
  if (!user) throw notFound('user', principal.userId);
  if (!user.password_hash || !(await verifyPassword(input.current, user.password_hash))) {
    throw new AppError('validation_failed', 'current_password is not your current password', [{ field: 'current_password', message: 'is not your current password' }]);
  }
  validateNewPassword(input.next, 'new_password');
  await setPassword(ctx, principal.orgId, principal.userId, input.next, principal.sessionId);
}
