/**
 * Agents: the users who take conversations. Each has a status (online, offline, busy), optionally
 * a weekly schedule in their own time zone (which then decides online/offline), and a personal
 * phone that receives forwarded texts, invites and rings, and whose texts to a business number are
 * the agent's replies and commands.
 */
import { effectiveAgentStatus, parseE164Loose, validateAgentSchedule, type AgentSchedule, type AgentStatus } from '@textback/core';
import { transaction, type AppContext, type Tx } from '../../app-context.js';
import type { Agent, User } from '../../db/schema.js';
import { AppError } from '../../support/errors.js';
import { findOrCreateContact, parsePhoneField } from '../contacts.js';
import { appendEvent } from '../events.js';
import { enqueueQueueDispatch } from './common.js';
import { getOrganization, getUser, orgSettings, requireRole, type Principal } from '../organizations.js';

export interface AgentView {
  user: User;
  status: AgentStatus;
  /** What routing uses now: the schedule's verdict when one is set. */
  effectiveStatus: AgentStatus;
  mobile: string | null;
  schedule: AgentSchedule | null;
  statusChangedAt: number | null;
}

const defaults = (user: User): Agent => ({
  user_id: user.id,
  org_id: user.org_id,
  status: 'offline',
  status_changed_at: null,
  mobile_e164: null,
  schedule: null,
  created_at: user.created_at,
  updated_at: user.updated_at,
});

export function toAgentView(user: User, row: Agent | undefined, now: number): AgentView {
  const agent = row ?? defaults(user);
  const schedule = agent.schedule ? (JSON.parse(agent.schedule) as AgentSchedule) : null;
  return {
    user,
    status: agent.status,
    // A deactivated user is offline whatever their own switch says: no forwarding, queue or call reaches them.
    effectiveStatus: user.deactivated_at != null ? 'offline' : effectiveAgentStatus({ status: agent.status, schedule }, now),
    mobile: agent.mobile_e164,
    schedule,
    statusChangedAt: agent.status_changed_at,
  };
}

export async function getAgent(ctx: AppContext, orgId: string, userId: string): Promise<AgentView> {
  const user = await getUser(ctx, orgId, userId);
  const row = await ctx.db.kysely.selectFrom('agents').selectAll().where('user_id', '=', userId).executeTakeFirst();
  return toAgentView(user, row, ctx.clock.now());
}

/** Agents by user id (users without an agent row are offline, without a phone). */
export async function agentsByUser(ctx: AppContext, db: Tx, orgId: string, userIds: readonly string[]): Promise<Map<string, AgentView>> {
  if (userIds.length === 0) return new Map();
  const users = await db.selectFrom('users').selectAll().where('org_id', '=', orgId).where('id', 'in', [...userIds]).execute();
  const rows = await db.selectFrom('agents').selectAll().where('org_id', '=', orgId).where('user_id', 'in', [...userIds]).execute();
  const now = ctx.clock.now();
  return new Map(users.map((u) => [u.id, toAgentView(u, rows.find((r) => r.user_id === u.id), now)]));
}

/** The active members of a team as agents, in the order they joined (deactivated users receive nothing). */
export async function teamAgents(ctx: AppContext, db: Tx, orgId: string, teamId: string): Promise<AgentView[]> {
  const members = await db.selectFrom('team_members').select('user_id').where('org_id', '=', orgId).where('team_id', '=', teamId).orderBy('created_at').orderBy('user_id').execute();
  const byUser = await agentsByUser(ctx, db, orgId, members.map((m) => m.user_id));
  return members.map((m) => byUser.get(m.user_id)).filter((a): a is AgentView => a !== undefined && a.user.deactivated_at == null);
}

/** The agent whose personal phone this is, in the organization. */
export async function agentByMobile(db: Tx, orgId: string, e164: string): Promise<Agent | undefined> {
  return db.selectFrom('agents').selectAll().where('org_id', '=', orgId).where('mobile_e164', '=', e164).executeTakeFirst();
}

export interface AgentPatch {
  status?: AgentStatus;
  mobile?: string | null;
  schedule?: AgentSchedule | null;
}

/** An agent changes their own settings; supervisors and above change anyone's. */
export function requireSelfOrSupervisor(principal: Principal, userId: string): void {
  if (principal.userId !== userId) requireRole(principal, 'supervisor');
}

/** Sets an agent's status, phone or schedule. The phone becomes a contact (named after the agent) so texts can reach it. */
export async function updateAgent(ctx: AppContext, principal: Principal, userId: string, patch: AgentPatch): Promise<AgentView> {
  requireSelfOrSupervisor(principal, userId);
  const orgId = principal.orgId;
  const user = await getUser(ctx, orgId, userId);
  const org = await getOrganization(ctx, orgId);
  let mobile: string | null | undefined;
  if (patch.mobile !== undefined) {
    mobile = patch.mobile === null ? null : parseAgentPhone(patch.mobile, orgSettings(org).default_country);
  }
  if (patch.schedule) {
    // Paths as the API names them (time_zone, weekly.mon[0].close).
    const errors = validateAgentSchedule(patch.schedule).map((e) => ({ ...e, path: e.path === 'timeZone' ? 'time_zone' : e.path }));
    if (errors.length > 0) {
      throw new AppError(
        'validation_failed',
        errors.map((e) => `schedule.${e.path}: ${e.message}`).join('; '),
        errors.map((e) => ({ field: `schedule.${e.path}`, message: e.message })),
      );
    }
  }
  await transaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    if (mobile) {
      const business = await tx.selectFrom('phone_numbers').select('id').where('e164', '=', mobile).executeTakeFirst();
      if (business) throw new AppError('validation_failed', `mobile: ${mobile} is a business number, not a personal phone`, [{ field: 'mobile', message: 'a business number' }]);
      const other = await agentByMobile(tx, orgId, mobile);
      if (other && other.user_id !== userId) throw new AppError('conflict', `mobile: ${mobile} is already the phone of another agent (${other.user_id})`);
      // The phone is a contact like any other recipient; its zone (the schedule's, else the
      // organization's) decides its quiet hours, whatever the number's area code says.
      const { contact } = await findOrCreateContact(ctx, tx, orgId, mobile, { name: user.name, source: 'agent' });
      const zone = patch.schedule?.timeZone ?? contact.time_zone ?? org.time_zone;
      if (contact.time_zone !== zone) await tx.updateTable('contacts').set({ time_zone: zone, updated_at: now }).where('id', '=', contact.id).execute();
    }
    const existing = await tx.selectFrom('agents').selectAll().where('user_id', '=', userId).executeTakeFirst();
    const next: Agent = {
      ...(existing ?? { ...defaults(user), created_at: now }),
      ...(patch.status !== undefined ? { status: patch.status, status_changed_at: now } : {}),
      ...(mobile !== undefined ? { mobile_e164: mobile } : {}),
      ...(patch.schedule !== undefined ? { schedule: patch.schedule ? JSON.stringify({ timeZone: patch.schedule.timeZone, weekly: patch.schedule.weekly }) : null } : {}),
      updated_at: now,
    };
    if (existing) {
      const { user_id: _u, org_id: _o, created_at: _c, ...changes } = next;
      await tx.updateTable('agents').set(changes).where('user_id', '=', userId).execute();
    } else {
      await tx.insertInto('agents').values(next).execute();
    }
    if (patch.status !== undefined && patch.status !== existing?.status) {
      await appendEvent(tx, ctx, { orgId, type: 'agent.status_changed', subjectType: 'user', subjectId: userId, data: { status: patch.status } });
    }
    // Online (or offline) now: the lines of the agent's queues may move, or have no one left.
    if (patch.status !== undefined || patch.schedule !== undefined) {
      const queues = await tx.selectFrom('queue_agents').select('queue_id').where('user_id', '=', userId).execute();
      for (const q of queues) await enqueueQueueDispatch(ctx, tx, orgId, q.queue_id);
    }
  });
  return getAgent(ctx, orgId, userId);
}

function parseAgentPhone(input: string, country: Parameters<typeof parsePhoneField>[2]): string {
  try {
    return parsePhoneField('mobile', input, country);
  } catch (error) {
    // Sandbox handsets may use fictional numbers (+1 555 …), as in the examples.
    const loose = parseE164Loose(input);
    if (loose) return loose;
    throw error;
  }
}
