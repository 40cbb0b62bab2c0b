import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import { getConversation } from '../../use-cases/conversations.js';
import { addNote, inboxRow, listInbox, listNotes, setConversationRead, updateConversation } from '../../use-cases/inbox.js';
import { listMessages } from '../../use-cases/messages.js';
import { principalOf } from '../auth.js';
import { conversationResource, messageResource, noteResource } from '../resources.js';
import { errorResponses, Id, IdParams, OneOf, Page, PageQuery, Ref } from '../schemas.js';

const problems = { ...errorResponses, 403: { $ref: 'Problem#' } };

export const conversationRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/conversations',
      {
        schema: {
          tags: ['conversations'],
          summary: 'The inbox: conversations by their last message, newest first, each with its contact and last message',
          querystring: Type.Object({
            ...PageQuery,
            status: Type.Optional(
              OneOf(['open', 'done', 'snoozed', 'closed'], {
                description: 'open: not done and not snoozed; snoozed: snoozed until later; done (closed is the same)',
              }),
            ),
            assigned: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'me, unassigned (no person), or a user id' })),
            team: Type.Optional(Id),
            number: Type.Optional(Id),
            has: Type.Optional(
              OneOf(['failed', 'scheduled', 'opted_out'], {
                description: 'failed: the last text sent failed or was undelivered; scheduled: a text is scheduled or held; opted_out: the contact opted out',
              }),
            ),
            contact: Type.Optional(Id),
            assigned_user: Type.Optional(Type.String({ description: 'Same as assigned=<user id>' })),
          }),
          response: { 200: Page(Ref('Conversation')), ...problems },
        },
      },
      async (request) => {
        const q = request.query;
        const assigned = q.assigned ?? q.assigned_user;
        const page = await listInbox(ctx, principalOf(request), {
          limit: q.limit ?? 50,
          ...(q.cursor ? { cursor: q.cursor } : {}),
          ...(q.status ? { status: q.status } : {}),
          ...(assigned ? { assigned } : {}),
          ...(q.team ? { teamId: q.team } : {}),
          ...(q.number ? { numberId: q.number } : {}),
          ...(q.has ? { has: q.has } : {}),
          ...(q.contact ? { contactId: q.contact } : {}),
        });
        return { data: page.data.map(conversationResource), next_cursor: page.next_cursor };
      },
    );

    app.get(
      '/conversations/:id',
      { schema: { tags: ['conversations'], params: IdParams, response: { 200: Ref('Conversation'), ...problems } } },
      async (request) => {
        const orgId = principalOf(request).orgId;
        return conversationResource(await inboxRow(ctx, orgId, await getConversation(ctx, orgId, request.params.id)));
      },
    );

    app.patch(
      '/conversations/:id',
      {
        schema: {
          tags: ['conversations'],
          summary: 'Mark done or reopen, snooze, assign to a person or a team',
          description:
            'status done also ends a snooze; snoozed_until (in the future) keeps it open and out of the open list until then; null wakes it. ' +
            'Anyone may assign a conversation to themselves, to a team, or unassign it; assigning it to another person needs the supervisor role.',
          params: IdParams,
          body: Type.Object(
            {
              status: Type.Optional(OneOf(['open', 'done'])),
              snoozed_until: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
              assigned_user_id: Type.Optional(Type.Union([Id, Type.Null()])),
              assigned_team_id: Type.Optional(Type.Union([Id, Type.Null()])),
            },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: Ref('Conversation'), ...problems },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const updated = await updateConversation(ctx, principal, request.params.id, request.body);
        return conversationResource(await inboxRow(ctx, principal.orgId, updated));
      },
    );

    for (const [path, read] of [
      ['read', true],
      ['unread', false],
    ] as const) {
      app.post(
        `/conversations/:id/${path}`,
        { schema: { tags: ['conversations'], summary: read ? 'Mark as read' : 'Mark as unread', params: IdParams, response: { 200: Ref('Conversation'), ...problems } } },
        async (request) => {
          const principal = principalOf(request);
          return conversationResource(await inboxRow(ctx, principal.orgId, await setConversationRead(ctx, principal, request.params.id, read)));
        },
      );
    }

    app.get(
      '/conversations/:id/notes',
      {
        schema: {
          tags: ['conversations'],
          summary: 'Internal notes of a conversation, newest first',
          params: IdParams,
          querystring: Type.Object({ limit: PageQuery.limit }),
          response: { 200: Type.Object({ data: Type.Array(Ref('Note')) }), ...problems },
        },
      },
      async (request) => {
        const orgId = principalOf(request).orgId;
        await getConversation(ctx, orgId, request.params.id);
        return { data: (await listNotes(ctx, orgId, { conversationId: request.params.id, limit: request.query.limit ?? 50 })).map(noteResource) };
      },
    );

    app.post(
      '/conversations/:id/notes',
      {
        schema: {
          tags: ['conversations'],
          summary: 'Add an internal note (never sent to the contact; shown in the thread and the contact timeline)',
          params: IdParams,
          body: Type.Object({ body: Type.String({ maxLength: 20000, description: 'Up to 5,000 characters' }) }, { additionalProperties: false }),
          response: { 201: Ref('Note'), ...problems },
        },
      },
      async (request, reply) => reply.status(201).send(noteResource(await addNote(ctx, principalOf(request), request.params.id, request.body.body))),
    );

    app.get(
      '/conversations/:id/messages',
      {
        schema: {
          tags: ['conversations'],
          params: IdParams,
          querystring: Type.Object(PageQuery),
          response: { 200: Page(Ref('Message')), ...problems },
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
