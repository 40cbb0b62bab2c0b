/** The reply agent (docs/reply-agent.md): its settings per number, take-over / hand-back, callbacks. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import type { Callback } from '../../db/schema.js';
import { getConversationAgent, getReplyAgentSettings, listCallbacks, putReplyAgentSettings, setConversationAgent, updateCallback, type ReplyAgentSettings } from '../../use-cases/reply-agent.js';
import { principalOf } from '../auth.js';
import { errorResponses, IdParams } from '../schemas.js';

const FactText = Type.Union([Type.String({ maxLength: 1000 }), Type.Null()]);
const Facts = Type.Object(
  {
    business: Type.Optional(FactText),
    hours: Type.Optional(FactText),
    services: Type.Optional(FactText),
    address: Type.Optional(FactText),
    booking_link: Type.Optional(Type.Union([Type.String({ maxLength: 500, description: 'An http:// or https:// URL' }), Type.Null()])),
    prices: Type.Optional(FactText),
  },
  { additionalProperties: false, description: 'What the agent may say; anything else it hands off' },
);
const HandOffTo = Type.Union([Type.Literal('team'), Type.Literal('agent')], { description: "team: the number's team; agent: its first online agent, else the team" });
const Policy = Type.Object(
  {
    confidence_threshold: Type.Number({ minimum: 0, maximum: 1, description: 'Below this confidence the agent hands off' }),
    max_exchanges: Type.Integer({ minimum: 1, maximum: 50, description: 'After this many agent replies in a conversation it hands off' }),
    hand_off_to: HandOffTo,
  },
  { additionalProperties: false },
);
const Settings = Type.Object({
  number_id: Type.String(),
  enabled: Type.Boolean(),
  facts: Facts,
  policy: Policy,
  updated_at: Type.Union([Type.String(), Type.Null()]),
});
const CallbackState = Type.Union([Type.Literal('open'), Type.Literal('done'), Type.Literal('cancelled')]);
const CallbackSchema = Type.Object({
  id: Type.String(),
  contact_id: Type.String(),
  conversation_id: Type.Union([Type.String(), Type.Null()]),
  number_id: Type.Union([Type.String(), Type.Null()]),
  phone: Type.String(),
  due_at: Type.String({ description: 'ISO 8601 instant' }),
  state: CallbackState,
  assigned_user_id: Type.Union([Type.String(), Type.Null()]),
  assigned_team_id: Type.Union([Type.String(), Type.Null()]),
  note: Type.Union([Type.String(), Type.Null()]),
  reminded_at: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
  updated_at: Type.String(),
});

const settingsResource = (s: ReplyAgentSettings) => ({ ...s, updated_at: s.updated_at === null ? null : new Date(s.updated_at).toISOString() });
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const callbackResource = (c: Callback) => ({
  id: c.id,
  contact_id: c.contact_id,
  conversation_id: c.conversation_id,
  number_id: c.number_id,
  phone: c.phone,
  due_at: new Date(c.due_at).toISOString(),
  state: c.state,
  assigned_user_id: c.assigned_user_id,
  assigned_team_id: c.assigned_team_id,
  note: c.note,
  reminded_at: iso(c.reminded_at),
  created_at: new Date(c.created_at).toISOString(),
  updated_at: new Date(c.updated_at).toISOString(),
});

export const replyAgentRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/numbers/:id/reply-agent',
      {
        schema: {
          tags: ['numbers'],
          summary: "The number's reply agent",
          description: 'Whether the reply agent answers texts to this number, the facts it may use and its hand-off policy. See docs/reply-agent.md.',
          params: IdParams,
          response: { 200: Settings, ...errorResponses },
        },
      },
      async (request) => settingsResource(await getReplyAgentSettings(ctx, principalOf(request).orgId, request.params.id)),
    );

    app.put(
      '/numbers/:id/reply-agent',
      {
        schema: {
          tags: ['numbers'],
          summary: "Set the number's reply agent",
          description: 'Switches the reply agent on or off for this number and replaces its facts and hand-off policy (admin). Omitted policy fields take their defaults (0.6, 5, team).',
          params: IdParams,
          body: Type.Object(
            {
              enabled: Type.Boolean(),
              facts: Type.Optional(Facts),
              policy: Type.Optional(Type.Partial(Policy, { additionalProperties: false })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Settings, ...errorResponses },
        },
      },
      async (request) => settingsResource(await putReplyAgentSettings(ctx, principalOf(request), request.params.id, request.body)),
    );

    app.get(
      '/conversations/:id/reply-agent',
      {
        schema: {
          tags: ['conversations'],
          summary: "The reply agent in a conversation: whether the number's agent is on, and whether it still answers here",
          description:
            'state: active (it answers), handed_off (it passed the conversation to a person, `reason` says why), taken_over (a person took it), stopped (the contact opted out). `enabled` is the number\'s switch.',
          params: IdParams,
          response: {
            200: Type.Object({
              conversation_id: Type.String(),
              enabled: Type.Boolean(),
              state: Type.Union([Type.Literal('active'), Type.Literal('handed_off'), Type.Literal('taken_over'), Type.Literal('stopped')]),
              exchanges: Type.Integer({ description: 'Replies the agent sent since it last started here' }),
              reason: Type.Union([Type.String(), Type.Null()]),
              updated_at: Type.Union([Type.String(), Type.Null()]),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const r = await getConversationAgent(ctx, principalOf(request).orgId, request.params.id);
        return { ...r, updated_at: iso(r.updated_at) };
      },
    );

    app.post(
      '/conversations/:id/reply-agent',
      {
        schema: {
          tags: ['conversations'],
          summary: 'Take over from the reply agent, or hand back',
          description: 'take_over: a person has the conversation and the agent stays quiet in it; hand_back: the agent may answer again (its exchange count starts over).',
          params: IdParams,
          body: Type.Object({ action: Type.Union([Type.Literal('take_over'), Type.Literal('hand_back')]) }, { additionalProperties: false }),
          response: {
            200: Type.Object({ conversation_id: Type.String(), state: Type.Union([Type.Literal('active'), Type.Literal('handed_off'), Type.Literal('taken_over'), Type.Literal('stopped')]) }),
            ...errorResponses,
          },
        },
      },
      async (request) => setConversationAgent(ctx, principalOf(request), request.params.id, request.body.action),
    );

    app.get(
      '/callbacks',
      {
        schema: {
          tags: ['callbacks'],
          summary: 'List callbacks',
          description: 'Callback tasks booked by the reply agent, soonest due first.',
          querystring: Type.Object(
            {
              state: Type.Optional(CallbackState),
              contact: Type.Optional(Type.String({ maxLength: 100, description: 'A contact id' })),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Page size' })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ data: Type.Array(CallbackSchema) }) },
        },
      },
      async (request) => {
        const q = request.query;
        const rows = await listCallbacks(ctx, principalOf(request).orgId, { limit: q.limit ?? 50, ...(q.state ? { state: q.state } : {}), ...(q.contact ? { contactId: q.contact } : {}) });
        return { data: rows.map(callbackResource) };
      },
    );

    app.patch(
      '/callbacks/:id',
      {
        schema: {
          tags: ['callbacks'],
          summary: 'Change a callback',
          description: 'Marks it done or cancelled, assigns it to a user or team, or moves it (its reminder moves with it).',
          params: IdParams,
          body: Type.Object(
            {
              state: Type.Optional(CallbackState),
              assigned_user_id: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
              assigned_team_id: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
              due_at: Type.Optional(Type.String({ format: 'date-time', description: 'ISO 8601 instant' })),
            },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: CallbackSchema, ...errorResponses },
        },
      },
      async (request) => callbackResource(await updateCallback(ctx, principalOf(request).orgId, request.params.id, request.body)),
    );
  };
