/**
 * Teams and agents (docs/teams.md): team settings and members, agents' status, phone and schedule,
 * which numbers forward to their team, and the rings of speed to lead (with the sandbox's answer).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AGENT_STATUSES, type AgentSchedule } from '@textback/core';
import type { AppContext } from '../../app-context.js';
import type { Team } from '../../db/schema.js';
import { agentsByUser, getAgent, requireSelfOrSupervisor, updateAgent, type AgentPatch, type AgentView } from '../../use-cases/teams/agents.js';
import { answerAgentCall, listAgentCalls } from '../../use-cases/teams/speed-to-lead.js';
import {
  addTeamMember,
  createTeam,
  getNumberRouting,
  getTeam,
  removeTeamMember,
  teamMemberIds,
  teamSettings,
  updateNumberRouting,
  updateTeam,
  type NumberRouting,
} from '../../use-cases/teams/teams.js';
import { principalOf } from '../auth.js';
import { errorResponses, Id, IdParams, List, Phone, RefTo } from '../schemas.js';
import { AgentCallSchema, AgentSchema, NumberRoutingSchema, TeamSchema } from '../resource-schemas.js';
import { iso } from '../resources.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const Status = Type.Union(AGENT_STATUSES.map((s) => Type.Literal(s)));
const Range = Type.Object({ open: Type.String({ pattern: '^\\d\\d:\\d\\d$' }), close: Type.String({ pattern: '^\\d\\d:\\d\\d$' }) }, { additionalProperties: false });
const Schedule = Type.Object(
  {
    time_zone: Type.String({ minLength: 1, maxLength: 64, description: "The agent's own IANA zone, e.g. America/Chicago" }),
    weekly: Type.Record(Type.String(), Type.Array(Range, { maxItems: 8 }), { description: 'mon … sun: [{ open: "09:00", close: "17:00" }]' }),
  },
  { additionalProperties: false },
);
const SettingsPatch = Type.Object(
  {
    sms_if_unavailable: Type.Optional(Type.Boolean({ description: 'Send SMS if team unavailable (owners and admins only)' })),
    unavailable_text: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    ring_timeout_seconds: Type.Optional(Type.Integer({ minimum: 5, maximum: 300 })),
  },
  { additionalProperties: false },
);

export const agentResource = (a: AgentView) => ({
  user_id: a.user.id,
  object: 'agent' as const,
  name: a.user.name,
  role: a.user.role,
  status: a.status,
  effective_status: a.effectiveStatus,
  mobile: a.mobile,
  schedule: a.schedule ? { time_zone: a.schedule.timeZone, weekly: a.schedule.weekly } : null,
  status_changed_at: iso(a.statusChangedAt),
});

const teamResource = (t: Team, members: AgentView[]) => ({
  id: t.id,
  object: 'team' as const,
  name: t.name,
  settings: teamSettings(t),
  members: members.map(agentResource),
  created_at: iso(t.created_at),
  updated_at: iso(t.updated_at),
});

const routingResource = (r: NumberRouting) => ({
  number_id: r.number.id,
  object: 'number_routing' as const,
  phone: r.number.e164,
  team_id: r.number.team_id,
  forward_texts: r.forward,
  queue_id: r.queueId,
});

const toSchedule = (s: { time_zone: string; weekly: Record<string, { open: string; close: string }[]> }): AgentSchedule => ({
  timeZone: s.time_zone,
  weekly: s.weekly as AgentSchedule['weekly'],
});

export const teamRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    const showTeam = async (orgId: string, team: Team) => {
      const ids = await teamMemberIds(ctx.db.kysely, orgId, team.id);
      const agents = await agentsByUser(ctx, ctx.db.kysely, orgId, ids);
      return teamResource(team, ids.map((id) => agents.get(id)).filter((a): a is AgentView => a !== undefined));
    };

    app.post(
      '/teams',
      {
        schema: {
          tags: ['teams'],
          summary: 'Create a team (supervisor or above; turning on the unavailable text needs admin)',
          body: Type.Object(
            { name: Type.String({ minLength: 1, maxLength: 200 }), member_ids: Type.Optional(Type.Array(Id, { maxItems: 500 })), settings: Type.Optional(SettingsPatch) },
            { additionalProperties: false },
          ),
          response: { 201: RefTo(TeamSchema), ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const b = request.body;
        const team = await createTeam(ctx, principal, { name: b.name, ...(b.member_ids ? { memberIds: b.member_ids } : {}), ...(b.settings ? { settings: b.settings } : {}) });
        return reply.status(201).send(await showTeam(principal.orgId, team));
      },
    );

    app.get('/teams/:id', { schema: { tags: ['teams'], summary: 'A team with its settings and its agents (status, phone)', params: IdParams, response: { 200: RefTo(TeamSchema), ...errorResponses } } }, async (request) => {
      const orgId = principalOf(request).orgId;
      return showTeam(orgId, await getTeam(ctx, orgId, request.params.id));
    });

    app.patch(
      '/teams/:id',
      {
        schema: {
          tags: ['teams'],
          summary: 'Rename a team or change its settings. "Send SMS if team unavailable" and its text: owners and admins only (403 otherwise)',
          params: IdParams,
          body: Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), settings: Type.Optional(SettingsPatch) }, { additionalProperties: false }),
          response: { 200: RefTo(TeamSchema), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const team = await updateTeam(ctx, principal, request.params.id, request.body);
        return showTeam(principal.orgId, team);
      },
    );

    app.put(
      '/teams/:id/members/:userId',
      { schema: { tags: ['teams'], summary: 'Add a user to a team (supervisor or above)', params: Type.Object({ id: Id, userId: Id }), response: { 200: RefTo(TeamSchema), ...errorResponses } } },
      async (request) => {
        const principal = principalOf(request);
        await addTeamMember(ctx, principal, request.params.id, request.params.userId);
        return showTeam(principal.orgId, await getTeam(ctx, principal.orgId, request.params.id));
      },
    );

    app.delete(
      '/teams/:id/members/:userId',
      { schema: { tags: ['teams'], summary: 'Remove a user from a team (supervisor or above)', params: Type.Object({ id: Id, userId: Id }), response: { 204: Type.Null(), ...errorResponses } } },
      async (request, reply) => {
        await removeTeamMember(ctx, principalOf(request), request.params.id, request.params.userId);
        return reply.status(204).send(null);
      },
    );

    app.get('/users/:id/agent', { schema: { tags: ['agents'], summary: "A user's agent settings: status (and the status routing uses now), phone, schedule", params: IdParams, response: { 200: RefTo(AgentSchema), ...errorResponses } } }, async (request) =>
      agentResource(await getAgent(ctx, principalOf(request).orgId, request.params.id)),
    );

    app.patch(
      '/users/:id/agent',
      {
        schema: {
          tags: ['agents'],
          summary: "Set an agent's status, personal phone or weekly schedule (their own; supervisors and above: anyone's)",
          params: IdParams,
          body: Type.Object(
            {
              status: Type.Optional(Status),
              mobile: Type.Optional(Nullable(Phone('The agent\'s personal phone (E.164): forwarded texts, invites and rings go there'))),
              schedule: Type.Optional(Nullable(Schedule)),
            },
            { additionalProperties: false },
          ),
          response: { 200: RefTo(AgentSchema), ...errorResponses },
        },
      },
      async (request) => {
        const b = request.body;
        const patch: AgentPatch = {
          ...(b.status ? { status: b.status } : {}),
          ...(b.mobile !== undefined ? { mobile: b.mobile } : {}),
          ...(b.schedule !== undefined ? { schedule: b.schedule ? toSchedule(b.schedule) : null } : {}),
        };
        return agentResource(await updateAgent(ctx, principalOf(request), request.params.id, patch));
      },
    );

    app.put(
      '/users/:id/status',
      {
        schema: {
          tags: ['agents'],
          summary: "Set an agent's status: online, offline or busy (their own; supervisors and above: anyone's)",
          params: IdParams,
          body: Type.Object({ status: Status }, { additionalProperties: false }),
          response: { 200: RefTo(AgentSchema), ...errorResponses },
        },
      },
      async (request) => agentResource(await updateAgent(ctx, principalOf(request), request.params.id, { status: request.body.status })),
    );

    app.get('/numbers/:id/routing', { schema: { tags: ['numbers'], summary: "A number's team, forwarding and queue", params: IdParams, response: { 200: RefTo(NumberRoutingSchema), ...errorResponses } } }, async (request) =>
      routingResource(await getNumberRouting(ctx, principalOf(request).orgId, request.params.id)),
    );

    app.patch(
      '/numbers/:id/routing',
      {
        schema: {
          tags: ['numbers'],
          summary: "Set a number's team and whether inbound texts are forwarded to the team's agents: all, only those online, or off (admin)",
          params: IdParams,
          body: Type.Object(
            {
              team_id: Type.Optional(Nullable(Id)),
              forward_texts: Type.Optional(Type.Union([Type.Literal('off'), Type.Literal('all'), Type.Literal('online')])),
            },
            { additionalProperties: false },
          ),
          response: { 200: RefTo(NumberRoutingSchema), ...errorResponses },
        },
      },
      async (request) => {
        const b = request.body;
        return routingResource(
          await updateNumberRouting(ctx, principalOf(request), request.params.id, { ...(b.team_id !== undefined ? { teamId: b.team_id } : {}), ...(b.forward_texts ? { forward: b.forward_texts } : {}) }),
        );
      },
    );

    const callResource = (c: Awaited<ReturnType<typeof listAgentCalls>>[number] | Awaited<ReturnType<typeof answerAgentCall>>) => ({
      id: c.id,
      object: 'agent_call' as const,
      user_id: c.user_id,
      from: c.from_e164,
      to: c.to_e164,
      carrier: c.carrier,
      state: c.state,
      ...('lead_id' in c ? { lead_id: c.lead_id, contact_id: c.contact_id, rings_until: iso(c.expires_at) } : {}),
      created_at: iso(c.created_at),
      ended_at: iso(c.ended_at),
    });

    app.get(
      '/agent-calls',
      {
        schema: {
          tags: ['agents'],
          summary: 'Speed-to-lead calls to agents, newest first (state: ringing, answered, missed, cancelled)',
          querystring: Type.Object({
            state: Type.Optional(Type.Union([Type.Literal('ringing'), Type.Literal('answered'), Type.Literal('missed'), Type.Literal('cancelled')])),
            user: Type.Optional(Id),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
          }),
          response: { 200: List(RefTo(AgentCallSchema)), ...errorResponses },
        },
      },
      async (request) => {
        const q = request.query;
        const rows = await listAgentCalls(ctx, principalOf(request).orgId, { limit: q.limit ?? 50, ...(q.state ? { state: q.state } : {}), ...(q.user ? { userId: q.user } : {}) });
        return { data: rows.map(callResource) };
      },
    );

    app.post(
      '/agent-calls/:id/answer',
      { schema: { tags: ['agents'], summary: 'The agent picked up (their phone system reports it): connected to the lead, no text', params: IdParams, response: { 200: RefTo(AgentCallSchema), ...errorResponses } } },
      async (request) => {
        const principal = principalOf(request);
        const call = await ctx.db.kysely.selectFrom('agent_calls').select('user_id').where('id', '=', request.params.id).where('org_id', '=', principal.orgId).executeTakeFirst();
        if (call) requireSelfOrSupervisor(principal, call.user_id);
        return callResource(await answerAgentCall(ctx, principal.orgId, request.params.id));
      },
    );

    app.post(
      '/sandbox/agent-calls/:id/answer',
      { schema: { tags: ['sandbox'], summary: "The sandbox agent's phone picks up a speed-to-lead ring", params: IdParams, response: { 200: RefTo(AgentCallSchema), ...errorResponses } } },
      async (request) => {
        // The sandbox plays the agent's phone: any key of the organization may pick it up.
        return callResource(await answerAgentCall(ctx, principalOf(request).orgId, request.params.id, { sandboxOnly: true }));
      },
    );
  };
