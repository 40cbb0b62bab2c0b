import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import { getConversation, listConversations, markConversationRead } from '../../use-cases/conversations.js';
import { listMessages } from '../../use-cases/messages.js';
import { principalOf } from '../auth.js';
import { conversationResource, messageResource } from '../resources.js';
import { errorResponses, IdParams, Page, PageQuery, Ref } from '../schemas.js';

export const conversationRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/conversations',
      {
        schema: {
          tags: ['conversations'],
          querystring: Type.Object({
            ...PageQuery,
            status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('closed')])),
            contact: Type.Optional(Type.String()),
            assigned_user: Type.Optional(Type.String()),
          }),
          response: { 200: Page(Ref('Conversation')) },
        },
      },
      async (request) => {
        const q = request.query;
        const page = await listConversations(ctx, principalOf(request).orgId, {
          limit: q.limit ?? 50,
          ...(q.cursor ? { cursor: q.cursor } : {}),
          ...(q.status ? { status: q.status } : {}),
          ...(q.contact ? { contactId: q.contact } : {}),
          ...(q.assigned_user ? { assignedUserId: q.assigned_user } : {}),
        });
        return { data: page.data.map(conversationResource), next_cursor: page.next_cursor };
      },
    );

    app.get(
      '/conversations/:id',
      { schema: { tags: ['conversations'], params: IdParams, response: { 200: Ref('Conversation'), ...errorResponses } } },
      async (request) => conversationResource(await getConversation(ctx, principalOf(request).orgId, request.params.id)),
    );

    app.post(
      '/conversations/:id/read',
      { schema: { tags: ['conversations'], summary: 'Mark as read', params: IdParams, response: { 200: Ref('Conversation'), ...errorResponses } } },
      async (request) => {
        const principal = principalOf(request);
        return conversationResource(await markConversationRead(ctx, principal.orgId, request.params.id, principal.userId));
      },
    );

    app.get(
      '/conversations/:id/messages',
      {
        schema: {
          tags: ['conversations'],
          params: IdParams,
          querystring: Type.Object(PageQuery),
          response: { 200: Page(Ref('Message')), ...errorResponses },
        },
      },
      async (request) => {
        const orgId = principalOf(request).orgId;
        await getConversation(ctx, orgId, request.params.id);
        const page = await listMessages(ctx, orgId, {
          limit: request.query.limit ?? 50,
          conversationId: request.params.id,
          ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
        });
        return { data: page.data.map(messageResource), next_cursor: page.next_cursor };
      },
    );
  };
