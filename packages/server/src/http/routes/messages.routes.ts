import { MESSAGE_STATUSES, previewSegments } from '@textback/core';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import { AppError } from '../../support/errors.js';
import { cancelMessage, getMessage, listMessages, sendMessage } from '../../use-cases/messages.js';
import { createdByOf, principalOf } from '../auth.js';
import { assignOnReply } from '../../use-cases/inbox.js';
import { getConversation } from '../../use-cases/conversations.js';
import { normalizePhone } from '@textback/core';
import { messageResource } from '../resources.js';
import { errorResponses, IdParams, ListOf, Page, PageQuery, Phone, Ref, SegmentCountSchema } from '../schemas.js';

const SendBody = Type.Object(
  {
    to: Phone('Recipient, E.164 or a national number of a supported country'),
    from: Type.Optional(Phone("One of the organization's numbers; defaults to the number the contact last talked to")),
    body: Type.String({ maxLength: 20000, description: "The text; at most the organization's max_body_length characters (default 1,000)" }),
    send_at: Type.Optional(Type.String({ format: 'date-time', description: 'Schedule for later (ISO 8601)' })),
  },
  { additionalProperties: false },
);


/** One text: to a number, or as a reply in a conversation (its contact, from its business number). */
const SendOneBody = Type.Object(
  {
    to: Type.Optional(Phone('Recipient, E.164 or a national number of a supported country; or give conversation_id')),
    conversation_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "Reply in this conversation: to its contact, from its business number" })),
    from: SendBody.properties.from,
    body: SendBody.properties.body,
    send_at: SendBody.properties.send_at,
  },
  // `to` is required unless conversation_id is given.
  { additionalProperties: false, if: { not: { required: ['conversation_id'] } }, then: { required: ['to'] } },
);

export const messageRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/messages',
      {
        schema: {
          tags: ['messages'],
          summary: 'Send a text (now or at send_at). Idempotent with the Idempotency-Key header.',
          description:
            'Give `to`, or `conversation_id` to reply in a conversation. A reply by a signed-in person (session cookie) to a conversation nobody is assigned to assigns it to them.',
          headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) }),
          body: SendOneBody,
          response: { 201: { $ref: 'Message#' }, 200: { $ref: 'Message#' }, ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const sendAt = request.body.send_at ? Date.parse(request.body.send_at) : undefined;
        const { to, from } = await recipientOf(ctx, principal.orgId, request.body);
        const result = await sendMessage(ctx, {
          orgId: principal.orgId,
          to,
          body: request.body.body,
          ...(from !== undefined ? { from } : {}),
          ...(sendAt !== undefined ? { sendAt } : {}),
          ...(request.headers['idempotency-key'] ? { idempotencyKey: request.headers['idempotency-key'] } : {}),
          createdBy: createdByOf(principal),
        });
        if (principal.sessionId && !result.replayed) await assignOnReply(ctx, principal, result.message.conversation_id);
        return reply.status(result.replayed ? 200 : 201).send(messageResource(result.message));
      },
    );

    app.post(
      '/messages/batch',
      {
        schema: {
          tags: ['messages'],
          summary: 'Send up to 100 texts in one request; each is accepted or refused on its own, as POST /v1/messages would',
          description:
            'Answers 200 with one result per text, in order: `{ index, ok: true, replayed, message }` or `{ index, ok: false, error }` (the problem+json the single endpoint would answer). ' +
            'With an Idempotency-Key header, text i uses the key `<key>#<i>`: repeating the request returns the same messages and sends nothing twice.',
          headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 240 })) }),
          body: Type.Object({ messages: Type.Array(SendBody, { minItems: 1, maxItems: 100 }) }, { additionalProperties: false }),
          response: {
            200: Type.Object({
              accepted: Type.Integer({ description: 'Texts stored (new or replayed)' }),
              refused: Type.Integer(),
              data: Type.Array(
                Type.Union([
                  Type.Object({ index: Type.Integer(), ok: Type.Literal(true), replayed: Type.Boolean({ description: 'Seen before with this Idempotency-Key: nothing sent twice' }), message: Ref('Message') }),
                  Type.Object({
                    index: Type.Integer(),
                    ok: Type.Literal(false),
                    error: Type.Object(
                      {
                        code: Type.String(),
                        status: Type.Integer(),
                        detail: Type.String(),
                        errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
                      },
                      { description: 'The problem the single endpoint would answer' },
                    ),
                  }),
                ]),
              ),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const key = request.headers['idempotency-key'];
        // Submitted together, so they are stored together (use-cases/accept-batch.ts).
        const settled = await Promise.allSettled(
          request.body.messages.map((m, i) => {
            const sendAt = m.send_at ? Date.parse(m.send_at) : undefined;
            return sendMessage(ctx, {
              orgId: principal.orgId,
              to: m.to,
              body: m.body,
              ...(m.from !== undefined ? { from: m.from } : {}),
              ...(sendAt !== undefined ? { sendAt } : {}),
              ...(key ? { idempotencyKey: `${key}#${i}` } : {}),
              createdBy: createdByOf(principal),
            });
          }),
        );
        const data = settled.map((s, index) => {
          if (s.status === 'fulfilled') return { index, ok: true as const, replayed: s.value.replayed, message: messageResource(s.value.message) };
          const error = s.reason instanceof AppError ? s.reason : undefined;
          if (!error) request.log.error({ err: s.reason, index }, 'a text of a batch failed');
          const code = error?.code ?? 'internal';
          return {
            index,
            ok: false as const,
            error: {
              code,
              status: error?.status ?? 500,
              detail: error?.detail ?? 'something went wrong on our side; the request id in the logs says where',
              ...(error?.errors.length ? { errors: error.errors.map((e) => ({ ...e, field: `messages[${index}].${e.field.replace(/^body\./, '')}` })) } : {}),
            },
          };
        });
        const accepted = data.filter((d) => d.ok).length;
        return { accepted, refused: data.length - accepted, data };
      },
    );

    app.post(
      '/messages/preview',
      {
        schema: {
          tags: ['messages'],
          summary: 'Count segments and encoding of a body without sending, before and after smart encoding',
          body: Type.Object({ body: Type.String({ maxLength: 20000 }) }, { additionalProperties: false }),
          response: {
            200: Type.Object({
              ...SegmentCountSchema.properties,
              smart_encoded: Type.Object({ ...SegmentCountSchema.properties, text: Type.String() }),
            }),
          },
        },
      },
      async (request) => {
        const p = previewSegments(request.body.body);
        return {
          encoding: p.original.encoding,
          segments: p.original.segments,
          characters: p.original.characters,
          smart_encoded: { encoding: p.smartEncoded.encoding, segments: p.smartEncoded.segments, characters: p.smartEncoded.characters, text: p.smartEncoded.text },
        };
      },
    );

    app.get(
      '/messages/:id',
      { schema: { tags: ['messages'], params: IdParams, response: { 200: { $ref: 'Message#' }, ...errorResponses } } },
      async (request) => messageResource(await getMessage(ctx, principalOf(request).orgId, request.params.id)),
    );

    app.post(
      '/messages/:id/cancel',
      { schema: { tags: ['messages'], summary: 'Cancel a scheduled or queued text', params: IdParams, response: { 200: { $ref: 'Message#' }, ...errorResponses } } },
      async (request) => messageResource(await cancelMessage(ctx, principalOf(request).orgId, request.params.id)),
    );

    app.get(
      '/messages',
      {
        schema: {
          tags: ['messages'],
          summary: 'Messages, newest first',
          querystring: Type.Object({
            ...PageQuery,
            contact: Type.Optional(Type.String({ description: 'Contact id' })),
            conversation: Type.Optional(Type.String({ description: 'Conversation id' })),
            direction: Type.Optional(Type.Union([Type.Literal('inbound'), Type.Literal('outbound')])),
            status: Type.Optional(ListOf(MESSAGE_STATUSES, 'Status')),
          }),
          response: { 200: Page(Ref('Message')) },
        },
      },
      async (request) => {
        const q = request.query;
        const page = await listMessages(ctx, principalOf(request).orgId, {
          limit: q.limit ?? 50,
          ...(q.cursor ? { cursor: q.cursor } : {}),
          ...(q.contact ? { contactId: q.contact } : {}),
          ...(q.conversation ? { conversationId: q.conversation } : {}),
          ...(q.direction ? { direction: q.direction } : {}),
          ...(q.status ? { statuses: q.status } : {}),
        });
        return { data: page.data.map(messageResource), next_cursor: page.next_cursor };
      },
    );
  };

export function parseInstant(field: string, value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new AppError('validation_failed', `${field} is not an ISO 8601 date-time`, [{ field, message: 'not a date-time' }]);
  return ms;
}

/** `to` and `from` of a text: given, or those of the conversation it replies in (they must then agree with it). */
async function recipientOf(ctx: AppContext, orgId: string, body: { to?: string; from?: string; conversation_id?: string }): Promise<{ to: string; from?: string }> {
  if (!body.conversation_id) {
    if (body.to === undefined) throw new AppError('validation_failed', 'body.to is required (or give conversation_id to reply in a conversation)', [{ field: 'body.to', message: 'is required' }]);
    return { to: body.to, ...(body.from !== undefined ? { from: body.from } : {}) };
  }
  const conversation = await getConversation(ctx, orgId, body.conversation_id).catch((error: unknown) => {
    if (error instanceof AppError && error.code === 'not_found') {
      throw new AppError('validation_failed', `conversation_id: there is no conversation ${body.conversation_id}`, [{ field: 'body.conversation_id', message: 'no such conversation' }]);
    }
    throw error;
  });
  const [contact, number] = await Promise.all([
    ctx.db.kysely.selectFrom('contacts').select('e164').where('id', '=', conversation.contact_id).executeTakeFirstOrThrow(),
    ctx.db.kysely.selectFrom('phone_numbers').select('e164').where('id', '=', conversation.number_id).executeTakeFirstOrThrow(),
  ]);
  const same = (given: string, e164: string) => {
    try {
      return normalizePhone(given).e164 === e164;
    } catch {
      return given === e164;
    }
  };
  if (body.to !== undefined && !same(body.to, contact.e164)) {
    throw new AppError('validation_failed', `to: ${body.to} is not the contact of conversation ${conversation.id}; leave out to when replying in a conversation`, [{ field: 'body.to', message: 'is not the conversation\'s contact' }]);
  }
  if (body.from !== undefined && !same(body.from, number.e164)) {
    throw new AppError('validation_failed', `from: ${body.from} is not the business number of conversation ${conversation.id}; leave out from when replying in a conversation`, [{ field: 'body.from', message: 'is not the conversation\'s number' }]);
  }
  return { to: contact.e164, from: number.e164 };
}
