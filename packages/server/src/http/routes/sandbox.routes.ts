import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import { SANDBOX_FAILURES, type SandboxFailure } from '../../carriers/sandbox/sandbox-carrier.js';
import { CALL_OUTCOMES, handsetMessages, sandboxCall, sandboxText, setSandboxFailure } from '../../carriers/sandbox/sandbox-network.js';
import { newId } from '../../support/ids.js';
import { acceptInbound } from '../../use-cases/ingest.js';
import { sandboxHandsets } from '../../use-cases/inbox.js';
import { principalOf } from '../auth.js';
import { callResource, messageResource } from '../resources.js';
import { errorResponses, List, Phone, Ref, RefTo } from '../schemas.js';
import { HandsetMessageSchema } from '../resource-schemas.js';

export const sandboxRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/sandbox/messages',
      {
        schema: {
          tags: ['sandbox'],
          summary: 'A simulated handset texts one of your sandbox numbers',
          body: Type.Object(
            {
              from: Phone('The handset, E.164'),
              to: Phone('Your business number'),
              body: Type.String({ maxLength: 1600 }),
              media: Type.Optional(Type.Array(Type.String({ format: 'uri' }), { maxItems: 10 })),
            },
            { additionalProperties: false },
          ),
          response: { 201: Ref('Message'), 200: Ref('Message'), ...errorResponses },
        },
      },
      async (request, reply) => {
        const result = await sandboxText(ctx, principalOf(request).orgId, request.body);
        return reply.status(201).send(messageResource(result.message));
      },
    );

    app.post(
      '/sandbox/webhooks/messages',
      {
        schema: {
          tags: ['sandbox'],
          summary:
            "The sandbox carrier's inbound webhook: like a real carrier's, it is accepted at once (202) and processed by the scheduler; a retry with the same id is processed once",
          body: Type.Object(
            {
              id: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "The carrier's message id (retries repeat it)" })),
              from: Phone('The handset, E.164'),
              to: Phone('Your business number'),
              body: Type.String({ maxLength: 1600 }),
              media: Type.Optional(Type.Array(Type.String({ format: 'uri' }), { maxItems: 10 })),
            },
            { additionalProperties: false },
          ),
          response: {
            202: Type.Object({
              id: Type.String({ description: "The carrier's message id (generated when not given)" }),
              status: Type.Union([Type.Literal('accepted'), Type.Literal('duplicate')], { description: 'duplicate: this id was accepted before (processed once)' }),
            }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const id = b.id ?? newId('SB');
        const { jobId } = await acceptInbound(
          ctx,
          { carrier: 'sandbox', carrierMessageId: id, from: b.from, to: b.to, body: b.body, ...(b.media ? { media: b.media } : {}) },
          principalOf(request).orgId,
        );
        return reply.status(202).send({ id, status: jobId === null ? 'duplicate' : 'accepted' });
      },
    );

    app.post(
      '/sandbox/calls',
      {
        schema: {
          tags: ['sandbox'],
          summary: 'A simulated handset calls one of your numbers (or, outbound, is called) with a chosen outcome',
          body: Type.Object(
            {
              from: Phone('Caller'),
              to: Phone('Callee'),
              outcome: Type.Union(CALL_OUTCOMES.map((o) => Type.Literal(o))),
              direction: Type.Optional(Type.Union([Type.Literal('inbound'), Type.Literal('outbound')])),
              duration: Type.Optional(Type.Integer({ minimum: 0, maximum: 86400 })),
            },
            { additionalProperties: false },
          ),
          response: { 201: Ref('Call'), ...errorResponses },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const result = await sandboxCall(ctx, principalOf(request).orgId, {
          from: b.from,
          to: b.to,
          outcome: b.outcome,
          ...(b.direction ? { direction: b.direction } : {}),
          ...(b.duration !== undefined ? { durationSeconds: b.duration } : {}),
        });
        return reply.status(201).send(callResource(result.call));
      },
    );

    app.get(
      '/sandbox/handsets',
      {
        schema: {
          tags: ['sandbox'],
          summary: 'Simulated handsets that texted or were texted by your numbers, the most recent first',
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })) }),
          response: {
            200: Type.Object({
              data: Type.Array(
                Type.Object({
                  number: Type.String(),
                  last_message_at: Type.String({ format: 'date-time' }),
                  messages: Type.Integer({ description: 'Texts sent and received' }),
                  fail_reason: Type.Union([Type.String(), Type.Null()], { description: 'Set with PUT /v1/sandbox/destinations/:number: texts to it fail so' }),
                }),
              ),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const orgId = principalOf(request).orgId;
        const handsets = await sandboxHandsets(ctx, orgId, request.query.limit ?? 50);
        const failing =
          handsets.length === 0
            ? []
            : await ctx.db.kysely
                .selectFrom('sandbox_destinations')
                .select(['e164', 'fail_reason'])
                .where('org_id', '=', orgId)
                .where('e164', 'in', handsets.map((h) => h.number))
                .execute();
        const reasons = new Map(failing.map((f) => [f.e164, f.fail_reason]));
        return { data: handsets.map((h) => ({ ...h, last_message_at: new Date(h.last_message_at).toISOString(), fail_reason: reasons.get(h.number) ?? null })) };
      },
    );

    app.get(
      '/sandbox/handsets/:number/messages',
      {
        schema: {
          tags: ['sandbox'],
          summary: 'What a simulated handset received from (and sent to) your numbers, newest first',
          params: Type.Object({ number: Phone('The handset, E.164') }),
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })) }),
          response: { 200: List(RefTo(HandsetMessageSchema)), ...errorResponses },
        },
      },
      async (request) => {
        const rows = await handsetMessages(ctx, principalOf(request).orgId, request.params.number, request.query.limit ?? 50);
        return {
          data: rows.map((r) => ({
            id: r.id,
            direction: r.direction === 'to_handset' ? ('received' as const) : ('sent' as const),
            handset: r.handset_e164,
            business_number: r.business_e164,
            body: r.body,
            status: r.status,
            error_code: r.error_code,
            created_at: new Date(r.created_at).toISOString(),
          })),
        };
      },
    );

    app.put(
      '/sandbox/destinations/:number',
      {
        schema: {
          tags: ['sandbox'],
          summary: 'Make texts to this handset fail with a chosen reason (fail_reason null clears it)',
          params: Type.Object({ number: Phone('The handset, E.164') }),
          body: Type.Object(
            { fail_reason: Type.Union([...Object.keys(SANDBOX_FAILURES).map((k) => Type.Literal(k)), Type.Null()]) },
            { additionalProperties: false },
          ),
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await setSandboxFailure(ctx, principalOf(request).orgId, request.params.number, request.body.fail_reason as SandboxFailure | null);
        return reply.status(204).send(null);
      },
    );
  };
