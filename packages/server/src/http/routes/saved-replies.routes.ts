import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import {
  conversationVariables,
  createSavedReply,
  deleteSavedReply,
  getSavedReply,
  listSavedReplies,
  renderSavedReply,
  updateSavedReply,
} from '../../use-cases/inbox.js';
import { principalOf } from '../auth.js';
import { savedReplyResource } from '../resources.js';
import { errorResponses, Id, IdParams, Ref } from '../schemas.js';

const problems = { ...errorResponses, 403: { $ref: 'Problem#' }, 409: { $ref: 'Problem#' } };
const Name = Type.String({ minLength: 1, maxLength: 100 });
const Body = Type.String({ maxLength: 20000, description: "A message body (at most the organization's max_body_length) with template variables" });

/** Saved replies shared by the organization: everyone uses them, supervisors and above manage them. */
export const savedReplyRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/saved-replies',
      {
        schema: {
          tags: ['saved replies'],
          summary: "The organization's saved replies, by name; with ?conversation=<id>, each with its variables filled in for that conversation",
          querystring: Type.Object({ conversation: Type.Optional(Id) }),
          response: { 200: Type.Object({ data: Type.Array(Ref('SavedReply')) }), ...problems },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const replies = await listSavedReplies(ctx, principal.orgId);
        const vars = request.query.conversation ? await conversationVariables(ctx, principal, request.query.conversation) : undefined;
        return { data: replies.map((r) => savedReplyResource(r, vars ? renderSavedReply(r, vars) : undefined)) };
      },
    );

    app.get(
      '/saved-replies/:id',
      {
        schema: {
          tags: ['saved replies'],
          params: IdParams,
          querystring: Type.Object({ conversation: Type.Optional(Id) }),
          response: { 200: Ref('SavedReply'), ...problems },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const reply = await getSavedReply(ctx, principal.orgId, request.params.id);
        const vars = request.query.conversation ? await conversationVariables(ctx, principal, request.query.conversation) : undefined;
        return savedReplyResource(reply, vars ? renderSavedReply(reply, vars) : undefined);
      },
    );

    app.post(
      '/saved-replies',
      {
        schema: {
          tags: ['saved replies'],
          summary: 'Save a reply (supervisor and above)',
          body: Type.Object({ name: Name, body: Body }, { additionalProperties: false }),
          response: { 201: Ref('SavedReply'), ...problems },
        },
      },
      async (request, reply) => reply.status(201).send(savedReplyResource(await createSavedReply(ctx, principalOf(request), request.body))),
    );

    app.patch(
      '/saved-replies/:id',
      {
        schema: {
          tags: ['saved replies'],
          summary: 'Rename or rewrite a saved reply (supervisor and above)',
          params: IdParams,
          body: Type.Object({ name: Type.Optional(Name), body: Type.Optional(Body) }, { additionalProperties: false, minProperties: 1 }),
          response: { 200: Ref('SavedReply'), ...problems },
        },
      },
      async (request) => savedReplyResource(await updateSavedReply(ctx, principalOf(request), request.params.id, request.body)),
    );

    app.delete(
      '/saved-replies/:id',
      { schema: { tags: ['saved replies'], summary: 'Delete a saved reply (supervisor and above)', params: IdParams, response: { 204: Type.Null(), ...problems } } },
      async (request, reply) => {
        await deleteSavedReply(ctx, principalOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
