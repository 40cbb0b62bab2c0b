/**
 * Teams: their members, the "Send SMS if team unavailable" setting with its text and ring timeout,
 * and which business numbers belong to a team and forward inbound texts to it.
 */
import { transaction, type AppContext, type Tx } from '../../app-context.js';
import type { PhoneNumber, Team } from '../../db/schema.js';
import { AppError, notFound } from '../../support/errors.js';
import { newId } from '../../support/ids.js';
import { getNumber } from '../numbers.js';
import { validateStoredTexts } from '../message-text.js';
import { getOrganization, getUser, orgSettings, requireRole, type Principal } from '../organizations.js';

const maxBodyOf = async (ctx: AppContext, orgId: string) => orgSettings(await getOrganization(ctx, orgId)).max_body_length;

export interface TeamSettings {
  /** "Send SMS if team unavailable": off by default; only owners and admins turn it on. */
  sms_if_unavailable: boolean;
  /** The text the lead receives. */
  unavailable_text: string;
  /** How long online agents ring before the text goes out. */
  ring_timeout_seconds: number;
}

export const DEFAULT_TEAM_SETTINGS: TeamSettings = {
  sms_if_unavailable: false,
  unavailable_text: "Thanks for reaching out! We can't take your call right now, but we'll be in touch very soon.",
  ring_timeout_seconds: 30,
};

export function teamSettings(team: Pick<Team, 'settings'>): TeamSettings {
  return { ...DEFAULT_TEAM_SETTINGS, ...(JSON.parse(team.settings || '{}') as Partial<TeamSettings>) };
}

export async function getTeam(ctx: AppContext, orgId: string, id: string, db: Tx = ctx.db.kysely): Promise<Team> {
  const team = await db.selectFrom('teams').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
  if (!team) throw notFound('team', id);
  return team;
}

export async function teamMemberIds(db: Tx, orgId: string, teamId: string): Promise<string[]> {
  const rows = await db.selectFrom('team_members').select('user_id').where('org_id', '=', orgId).where('team_id', '=', teamId).orderBy('created_at').orderBy('user_id').execute();
  return rows.map((r) => r.user_id);
}

function checkSettings(principal: Principal, current: TeamSettings, patch: Partial<TeamSettings>, maxBody: number): TeamSettings {
  const next = { ...current, ...patch };
  if ((patch.sms_if_unavailable !== undefined && patch.sms_if_unavailable !== current.sms_if_unavailable) || (patch.unavailable_text !== undefined && patch.unavailable_text !== current.unavailable_text)) {
    // Texts to leads on the organization's behalf: owners and admins decide (as in Callingly).
    requireRole(principal, 'admin');
  }
  // Sent later to leads: checked as a body is, on save (only when it changes: a lowered limit does not lock the team).
  if (patch.unavailable_text !== undefined || current === DEFAULT_TEAM_SETTINGS) validateStoredTexts({ 'settings.unavailable_text': next.unavailable_text }, maxBody);
  return next;
}

export async function createTeam(ctx: AppContext, principal: Principal, input: { name: string; memberIds?: string[]; settings?: Partial<TeamSettings> }): Promise<Team> {
  requireRole(principal, 'supervisor');
  const settings = checkSettings(principal, DEFAULT_TEAM_SETTINGS, input.settings ?? {}, await maxBodyOf(ctx, principal.orgId));
  for (const id of input.memberIds ?? []) await getUser(ctx, principal.orgId, id);
  return transaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    const team: Team = { id: newId('team'), org_id: principal.orgId, name: input.name, settings: JSON.stringify(settings), created_at: now, updated_at: now };
    await tx.insertInto('teams').values(team).execute();
    for (const userId of new Set(input.memberIds ?? [])) {
      await tx.insertInto('team_members').values({ org_id: principal.orgId, team_id: team.id, user_id: userId, created_at: now }).execute();
    }
    return team;
  });
}

export async function updateTeam(ctx: AppContext, principal: Principal, id: string, patch: { name?: string; settings?: Partial<TeamSettings> }): Promise<Team> {
  requireRole(principal, 'supervisor');
  const team = await getTeam(ctx, principal.orgId, id);
  const settings = checkSettings(principal, teamSettings(team), patch.settings ?? {}, await maxBodyOf(ctx, principal.orgId));
  await ctx.db.kysely
    .updateTable('teams')
    .set({ ...(patch.name !== undefined ? { name: patch.name } : {}), settings: JSON.stringify(settings), updated_at: ctx.clock.now() })
    .where('id', '=', id)
    .where('org_id', '=', principal.orgId)
    .execute();
  return getTeam(ctx, principal.orgId, id);
}

export async function addTeamMember(ctx: AppContext, principal: Principal, teamId: string, userId: string): Promise<void> {
  requireRole(principal, 'supervisor');
  await getTeam(ctx, principal.orgId, teamId);
  await getUser(ctx, principal.orgId, userId);
  await ctx.db.kysely
    .insertInto('team_members')
    .values({ org_id: principal.orgId, team_id: teamId, user_id: userId, created_at: ctx.clock.now() })
    .onConflict((oc) => oc.columns(['team_id', 'user_id']).doNothing())
    .execute();
}

export async function removeTeamMember(ctx: AppContext, principal: Principal, teamId: string, userId: string): Promise<void> {
  requireRole(principal, 'supervisor');
  await getTeam(ctx, principal.orgId, teamId);
  await ctx.db.kysely.deleteFrom('team_members').where('org_id', '=', principal.orgId).where('team_id', '=', teamId).where('user_id', '=', userId).execute();
}

export type ForwardMode = 'off' | 'all' | 'online';

export interface NumberRouting {
  number: PhoneNumber;
  forward: ForwardMode;
  queueId: string | null;
}

export async function getNumberRouting(ctx: AppContext, orgId: string, numberId: string): Promise<NumberRouting> {
  const number = await getNumber(ctx, orgId, numberId);
  const fwd = await ctx.db.kysely.selectFrom('number_forwarding').select('mode').where('number_id', '=', numberId).executeTakeFirst();
  const queue = await ctx.db.kysely.selectFrom('queue_numbers').select('queue_id').where('number_id', '=', numberId).executeTakeFirst();
  return { number, forward: fwd?.mode ?? 'off', queueId: queue?.queue_id ?? null };
}

/**
 * A number's team and whether its inbound texts are forwarded to the team's agents (all of them
 * or only those online). A queue's number cannot forward: the queue answers its texts.
 */
export async function updateNumberRouting(ctx: AppContext, principal: Principal, numberId: string, patch: { teamId?: string | null; forward?: ForwardMode }): Promise<NumberRouting> {
  requireRole(principal, 'admin');
  const orgId = principal.orgId;
  const number = await getNumber(ctx, orgId, numberId);
  if (patch.teamId) await getTeam(ctx, orgId, patch.teamId);
  await transaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    if (patch.teamId !== undefined) await tx.updateTable('phone_numbers').set({ team_id: patch.teamId, updated_at: now }).where('id', '=', numberId).execute();
    const teamId = patch.teamId !== undefined ? patch.teamId : number.team_id;
    if (patch.forward === 'off') {
      await tx.deleteFrom('number_forwarding').where('number_id', '=', numberId).execute();
    } else if (patch.forward) {
      if (!teamId) throw new AppError('validation_failed', 'forward_texts: this number has no team to forward to; set team_id too', [{ field: 'forward_texts', message: 'the number has no team' }]);
      const queue = await tx.selectFrom('queue_numbers').select('queue_id').where('number_id', '=', numberId).executeTakeFirst();
      if (queue) throw new AppError('conflict', `forward_texts: ${number.e164} is a number of queue ${queue.queue_id}, which answers its texts; remove it from the queue first`);
      const mode = patch.forward;
      await tx
        .insertInto('number_forwarding')
        .values({ number_id: numberId, org_id: orgId, mode, updated_at: now })
        .onConflict((oc) => oc.column('number_id').doUpdateSet({ mode, updated_at: now }))
        .execute();
    } else if (patch.teamId === null) {
      await tx.deleteFrom('number_forwarding').where('number_id', '=', numberId).execute();
    }
  });
  return getNumberRouting(ctx, orgId, numberId);
}
