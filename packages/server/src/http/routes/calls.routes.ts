import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import { CALL_STATUSES, getCall, listCalls, recordCall } from '../../use-cases/calls.js';
import { principalOf } from '../auth.js';
import { callResource } from '../resources.js';
import { errorResponses, IdParams, Page, PageQuery, Phone, Ref } from '../schemas.js';

export const callRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/calls',
      {
        schema: {
          tags: ['calls'],
          summary: 'A finished call from any PBX, phone system or CRM; idempotent on external_id',
          body: Type.Object(
            {
              from: Phone('Caller, E.164'),
              to: Phone('Callee, E.164'),
              direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]),
              status: Type.Union(CALL_STATUSES.map((s) => Type.Literal(s))),
              duration: Type.Optional(
                Type.Integer({
                  minimum: 0,
                  maximum: 86400,
                  description:
                    'Seconds: the conversation (talk time) when answered. For an unanswered call the ring time is ended_at - started_at when both are given (PBXs report 0 talk time for it), else this value; under 7 s of ringing is too_short',
                }),
              ),
              answered_by: Type.Optional(Type.Union([Type.Literal('human'), Type.Literal('machine'), Type.Literal('unknown')])),
              answered_elsewhere: Type.Optional(Type.Boolean({ description: 'Another leg of the same call was answered' })),
              started_at: Type.Optional(Type.String({ format: 'date-time' })),
              ended_at: Type.Optional(Type.String({ format: 'date-time' })),
              external_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
              extension: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'The agent or extension that handled the call (automation scopes can name some)' })),
            },
            { additionalProperties: false },
          ),
          response: { 201: Ref('Call'), 200: Ref('Call'), ...errorResponses },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const result = await recordCall(ctx, {
          orgId: principalOf(request).orgId,
          from: b.from,
          to: b.to,
          direction: b.direction,
          status: b.status,
          durationSeconds: b.duration,
          answeredBy: b.answered_by,
          ...(b.answered_elsewhere !== undefined ? { otherLegAnswered: b.answered_elsewhere } : {}),
          startedAt: b.started_at ? Date.parse(b.started_at) : undefined,
          endedAt: b.ended_at ? Date.parse(b.ended_at) : undefined,
          externalId: b.external_id,
          ...(b.extension ? { extension: b.extension } : {}),
          carrier: 'api',
        });
        return reply.status(result.created ? 201 : 200).send(callResource(result.call));
      },
    );

    app.get(
      '/calls',
      {
        schema: {
          tags: ['calls'],
          querystring: Type.Object({ ...PageQuery, contact: Type.Optional(Type.String()), outcome: Type.Optional(Type.String()) }),
          response: { 200: Page(Ref('Call')) },
        },
      },
      async (request) => {
        const q = request.query;
        const page = await listCalls(ctx, principalOf(request).orgId, {
          limit: q.limit ?? 50,
          ...(q.cursor ? { cursor: q.cursor } : {}),
          ...(q.contact ? { contactId: q.contact } : {}),
          ...(q.outcome ? { outcome: q.outcome } : {}),
        });
        return { data: page.data.map(callResource), next_cursor: page.next_cursor };
      },
    );

    app.get(
      '/calls/:id',
      { schema: { tags: ['calls'], params: IdParams, response: { 200: Ref('Call'), ...errorResponses } } },
      async (request) => callResource(await getCall(ctx, principalOf(request).orgId, request.params.id)),
    );
  };
