import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import { createContact, getContact, listContacts, updateContact } from '../../use-cases/contacts.js';
import { principalOf } from '../auth.js';
import { contactResource } from '../resources.js';
import { errorResponses, IdParams, PageQuery, Phone, Ref, SearchHeaders, SearchPage, SearchParams } from '../schemas.js';
import { searchContacts } from '../../use-cases/search.js';
import { AppError } from '../../support/errors.js';
import { searchTimeZone } from './search.routes.js';

const ContactFields = {
  name: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
  source: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
  time_zone: Type.Optional(Type.Union([Type.String({ maxLength: 64, description: 'IANA zone, e.g. America/Chicago' }), Type.Null()])),
  attributes: Type.Optional(Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), { description: 'Free attributes; null removes one' })),
};

export const contactRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/contacts',
      {
        schema: {
          tags: ['contacts'],
          body: Type.Object({ phone: Phone('E.164 or a national number'), ...ContactFields }, { additionalProperties: false }),
          response: { 201: Ref('Contact'), ...errorResponses },
        },
      },
      async (request, reply) => reply.status(201).send(contactResource(await createContact(ctx, principalOf(request).orgId, request.body))),
    );

    app.get(
      '/contacts',
      {
        schema: {
          tags: ['contacts'],
          summary: 'Contacts, newest first (or in the query\'s sort: order); query searches with the search language (docs/search.md), q the name and number',
          querystring: Type.Object({ ...PageQuery, ...SearchParams, q: Type.Optional(Type.String({ maxLength: 100 })), source: Type.Optional(Type.String()) }),
          headers: SearchHeaders,
          response: { 200: SearchPage(Ref('Contact')), ...errorResponses },
        },
      },
      async (request) => {
        const q = request.query;
        if (q.query !== undefined) {
          if (q.q !== undefined || q.source !== undefined) {
            const field = q.q !== undefined ? 'q' : 'source';
            throw new AppError('validation_failed', `${field}: cannot be combined with query; write it in the query (e.g. source:lead)`, [{ field, message: 'cannot be combined with query' }]);
          }
          const page = await searchContacts(ctx, principalOf(request), {
            query: q.query,
            limit: q.limit ?? 50,
            cursor: q.cursor,
            timeZone: searchTimeZone(request, q.tz),
            includeTotal: q.include_total === true,
          });
          return { ...page, data: page.data.map(contactResource) };
        }
        const page = await listContacts(ctx, principalOf(request).orgId, {
          limit: q.limit ?? 50,
          ...(q.cursor ? { cursor: q.cursor } : {}),
          ...(q.q ? { q: q.q } : {}),
          ...(q.source ? { source: q.source } : {}),
        });
        return { data: page.data.map(contactResource), next_cursor: page.next_cursor };
      },
    );

    app.get(
      '/contacts/:id',
      { schema: { tags: ['contacts'], params: IdParams, response: { 200: Ref('Contact'), ...errorResponses } } },
      async (request) => contactResource(await getContact(ctx, principalOf(request).orgId, request.params.id)),
    );

    app.patch(
      '/contacts/:id',
      {
        schema: {
          tags: ['contacts'],
          params: IdParams,
          body: Type.Object(ContactFields, { additionalProperties: false }),
          response: { 200: Ref('Contact'), ...errorResponses },
        },
      },
      async (request) => contactResource(await updateContact(ctx, principalOf(request).orgId, request.params.id, request.body)),
    );
  };
