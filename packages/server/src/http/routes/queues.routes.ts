/**
 * SMS queues (docs/teams.md): queues and their agents (supervisors and above manage them), the
 * sessions agents accept, text in and end, and statistics per queue and agent.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { QUEUE_STRATEGIES } from '@textback/core';
import type { AppContext } from '../../app-context.js';
import type { QueueAgent, QueueSession } from '../../db/schema.js';
import { AppError } from '../../support/errors.js';
import { createQueue, deleteQueue, getQueue, listQueueAgents, listQueues, queueInput, queueView, removeQueueAgent, setQueueAgent, updateQueue, type QueueView } from '../../use-cases/teams/queues.js';
import { acceptSession, endSession, getSession, listSessions, queueStatisticsReport, sendSessionMessage } from '../../use-cases/teams/sessions.js';
import { principalOf } from '../auth.js';
import { messageResource, iso } from '../resources.js';
import { errorResponses, Id, IdParams, List, Page, PageQuery, Phone, Ref, RefTo } from '../schemas.js';
import { QueueAgentSchema, QueueSchema, QueueSessionSchema, QueueStatisticsSchema } from '../resource-schemas.js';


const queueResource = ({ queue: q, numbers }: QueueView) => ({
  id: q.id,
  object: 'queue' as const,
  ...queueInput(q, numbers),
  created_at: iso(q.created_at),
  updated_at: iso(q.updated_at),
});

const queueAgentResource = (a: QueueAgent) => ({
  queue_id: a.queue_id,
  user_id: a.user_id,
  object: 'queue_agent' as const,
  sms_enabled: a.sms_enabled === 1,
  max_sessions: a.max_sessions,
  active_sessions: a.active_sessions,
  last_offered_at: iso(a.last_offered_at),
  last_accepted_at: iso(a.last_accepted_at),
  last_ended_at: iso(a.last_ended_at),
});

const sessionResource = (s: QueueSession & { invites?: { user_id: string; state: string; expires_at: number }[] }) => ({
  id: s.id,
  object: 'queue_session' as const,
  queue_id: s.queue_id,
  number_id: s.number_id,
  contact_id: s.contact_id,
  originator: s.originator_e164,
  state: s.state,
  agent_id: s.agent_user_id,
  end_reason: s.end_reason,
  created_at: iso(s.created_at),
  accepted_at: iso(s.accepted_at),
  ended_at: iso(s.ended_at),
  ...(s.invites ? { invites: s.invites.map((i) => ({ user_id: i.user_id, state: i.state, expires_at: iso(i.expires_at) })) } : {}),
});

const Keyword = (description: string) => Type.String({ minLength: 1, maxLength: 40, description });
const Text = (description: string) => Type.String({ minLength: 1, maxLength: 1600, description });
const QueueFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  initiation_keyword: Keyword('The exact word (any case) that starts a session; not STOP, HELP, START or the like'),
  initiation_message: Type.Optional(Text('Sent when a session starts')),
  initiation_needed_message: Type.Optional(Text('Sent to anyone not in a session who texts anything but the keyword')),
  termination_keyword: Keyword('The word that ends a session'),
  termination_message: Type.Optional(Text('Sent when the originator ends the session')),
  no_agents_message: Type.Optional(Text('Sent when no agent is available (SMS enabled, online, under their maximum), or no one accepted')),
  strategy: Type.Optional(Type.Union(QUEUE_STRATEGIES.map((s) => Type.Literal(s)))),
  invite_timeout_seconds: Type.Optional(Type.Integer({ minimum: 5, maximum: 3600, description: 'Seconds an invite waits before moving on (default 60)' })),
  invite_by_sms: Type.Optional(Type.Boolean({ description: "Also text invites to the agent's phone (default false)" })),
  numbers: Type.Array(Phone('A business number of the organization'), { minItems: 1, maxItems: 50 }),
};

function parseInstant(field: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new AppError('validation_failed', `${field}: "${value}" is not a date (2026-01-15) or date-time (2026-01-15T09:00:00Z)`, [{ field, message: 'not a date' }]);
  return ms;
}

export const queueRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get('/queues', { schema: { tags: ['queues'], summary: 'SMS queues', response: { 200: List(RefTo(QueueSchema)) } } }, async (request) => ({ data: (await listQueues(ctx, principalOf(request).orgId)).map(queueResource) }));

    app.post(
      '/queues',
      {
        schema: {
          tags: ['queues'],
          summary: 'Create an SMS queue (supervisor or above). Keywords that collide with STOP/HELP-type keywords are refused',
          body: Type.Object(QueueFields, { additionalProperties: false }),
          response: { 201: RefTo(QueueSchema), ...errorResponses },
        },
      },
      async (request, reply) => reply.status(201).send(queueResource(await createQueue(ctx, principalOf(request), request.body))),
    );

    app.get('/queues/:id', { schema: { tags: ['queues'], params: IdParams, response: { 200: RefTo(QueueSchema), ...errorResponses } } }, async (request) => {
      const orgId = principalOf(request).orgId;
      return queueResource(await queueView(ctx, await getQueue(ctx, orgId, request.params.id)));
    });

    app.patch(
      '/queues/:id',
      {
        schema: {
          tags: ['queues'],
          summary: 'Change a queue (supervisor or above)',
          params: IdParams,
          body: Type.Partial(Type.Object(QueueFields), { additionalProperties: false }),
          response: { 200: RefTo(QueueSchema), ...errorResponses },
        },
      },
      async (request) => queueResource(await updateQueue(ctx, principalOf(request), request.params.id, request.body)),
    );

    app.delete(
      '/queues/:id',
      { schema: { tags: ['queues'], summary: 'Delete a queue and its history (supervisor or above); refused while a session is open', params: IdParams, response: { 204: Type.Null(), ...errorResponses } } },
      async (request, reply) => {
        await deleteQueue(ctx, principalOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.get('/queues/:id/agents', { schema: { tags: ['queues'], summary: "The queue's agents: SMS enabled, max and active sessions", params: IdParams, response: { 200: List(RefTo(QueueAgentSchema)), ...errorResponses } } }, async (request) => ({
      data: (await listQueueAgents(ctx, principalOf(request).orgId, request.params.id)).map(queueAgentResource),
    }));

    app.put(
      '/queues/:id/agents/:userId',
      {
        schema: {
          tags: ['queues'],
          summary: "Add an agent to the queue or change their SMS settings (supervisor or above); max_sessions must be at least 1 to take sessions",
          params: Type.Object({ id: Id, userId: Id }),
          body: Type.Object({ sms_enabled: Type.Boolean(), max_sessions: Type.Integer({ minimum: 0, maximum: 100 }) }, { additionalProperties: false }),
          response: { 200: RefTo(QueueAgentSchema), ...errorResponses },
        },
      },
      async (request) => queueAgentResource(await setQueueAgent(ctx, principalOf(request), request.params.id, request.params.userId, request.body)),
    );

    app.delete(
      '/queues/:id/agents/:userId',
      { schema: { tags: ['queues'], summary: 'Remove an agent from the queue (refused while they hold a session)', params: Type.Object({ id: Id, userId: Id }), response: { 204: Type.Null(), ...errorResponses } } },
      async (request, reply) => {
        await removeQueueAgent(ctx, principalOf(request), request.params.id, request.params.userId);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/queues/:id/statistics',
      {
        schema: {
          tags: ['queues'],
          summary: 'SMS_VOL, SMS_AHT, average wait before accept and abandoned sessions, for the queue and each agent, over sessions started in [from, to)',
          params: IdParams,
          querystring: Type.Object({
            from: Type.Optional(Type.String({ description: 'Start (date or date-time); default 7 days ago' })),
            to: Type.Optional(Type.String({ description: 'End, exclusive; default: now (inclusive)' })),
          }),
          response: { 200: RefTo(QueueStatisticsSchema), ...errorResponses },
        },
      },
      async (request) => {
        const orgId = principalOf(request).orgId;
        await getQueue(ctx, orgId, request.params.id);
        const now = ctx.clock.now();
        // Default: up to now, inclusive.
        const to = parseInstant('to', request.query.to, now + 1);
        const from = parseInstant('from', request.query.from, to - 7 * 24 * 3600 * 1000);
        if (from > to) {
          const shown = (field: string, given: string | undefined, ms: number) => `${field} (${given ?? `${new Date(ms).toISOString()}, the default`})`;
          throw new AppError('validation_failed', `${shown('from', request.query.from, from)} is after ${shown('to', request.query.to, to)}: give a from before the to`, [
            { field: 'querystring.from', message: 'must be before to' },
            { field: 'querystring.to', message: 'must be after from' },
          ]);
        }
        const report = await queueStatisticsReport(ctx, orgId, request.params.id, { from, to });
        return { object: 'queue_statistics' as const, ...report, from: iso(report.from), to: iso(report.to) };
      },
    );

    app.get(
      '/queue-sessions',
      {
        schema: {
          tags: ['queues'],
          summary: 'Queue sessions, newest first, with their invites',
          querystring: Type.Object({
            ...PageQuery,
            state: Type.Optional(Type.Union([Type.Literal('waiting'), Type.Literal('active'), Type.Literal('ended')])),
            queue: Type.Optional(Id),
            agent: Type.Optional(Id),
          }),
          response: { 200: Page(RefTo(QueueSessionSchema)), ...errorResponses },
        },
      },
      async (request) => {
        const q = request.query;
        const page = await listSessions(ctx, principalOf(request).orgId, {
          limit: q.limit ?? 50,
          ...(q.cursor ? { cursor: q.cursor } : {}),
          ...(q.state ? { state: q.state } : {}),
          ...(q.queue ? { queueId: q.queue } : {}),
          ...(q.agent ? { agentId: q.agent } : {}),
        });
        return { data: page.data.map(sessionResource), next_cursor: page.next_cursor };
      },
    );

    app.get('/queue-sessions/:id', { schema: { tags: ['queues'], params: IdParams, response: { 200: RefTo(QueueSessionSchema), ...errorResponses } } }, async (request) =>
      sessionResource(await getSession(ctx, principalOf(request).orgId, request.params.id)),
    );

    app.post(
      '/queue-sessions/:id/accept',
      { schema: { tags: ['queues'], summary: "Accept an invite: the first to accept owns the session, within the agent's maximum (409 at the maximum)", params: IdParams, response: { 200: RefTo(QueueSessionSchema), ...errorResponses } } },
      async (request) => sessionResource(await acceptSession(ctx, principalOf(request), request.params.id)),
    );

    app.post(
      '/queue-sessions/:id/end',
      { schema: { tags: ['queues'], summary: 'End a session (its agent, or a supervisor)', params: IdParams, response: { 200: RefTo(QueueSessionSchema), ...errorResponses } } },
      async (request) => sessionResource(await endSession(ctx, principalOf(request), request.params.id)),
    );

    app.post(
      '/queue-sessions/:id/messages',
      {
        schema: {
          tags: ['queues'],
          summary: "The session's agent texts the originator through the queue's number",
          params: IdParams,
          body: Type.Object({ body: Type.String({ minLength: 1, maxLength: 1600 }) }, { additionalProperties: false }),
          response: { 201: Ref('Message'), ...errorResponses },
        },
      },
      async (request, reply) => {
        const key = request.headers['idempotency-key'];
        const message = await sendSessionMessage(ctx, principalOf(request), request.params.id, request.body.body, typeof key === 'string' ? key : undefined);
        return reply.status(201).send(messageResource(message));
      },
    );
  };
