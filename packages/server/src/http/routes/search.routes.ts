/** Search: the parsed query, the language's fields, saved views and their CSV export (docs/search.md). */
import { Readable } from 'node:stream';
import { FIELDS, HAS, SORTABLE } from '@textback/core';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { contactsCsv, createView, deleteView, explainQuery, getView, listViews, parseSearch, updateView } from '../../use-cases/search.js';
import { principalOf } from '../auth.js';
import { viewResource } from '../resources.js';
import { errorResponses, IdParams, Ref, RefTo, SearchHeaders } from '../schemas.js';
import { SearchExplainSchema, SearchFieldsSchema } from '../resource-schemas.js';

/** The time zone of a search's dates: the `tz` parameter, else the `X-TZ` header, else the organization's (undefined). */
export function searchTimeZone(request: FastifyRequest, tz: string | undefined): string | undefined {
  const header = request.headers['x-tz'];
  return tz ?? (typeof header === 'string' && header !== '' ? header : undefined);
}

const ViewName = Type.String({ minLength: 1, maxLength: 100 });
const ViewQuery = Type.String({ maxLength: 2000, description: 'A search query (docs/search.md)' });

export const searchRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/search/explain',
      {
        schema: {
          tags: ['search'],
          summary: 'The parsed query: each term with its position, what it tests, dates resolved (for hints); 400 invalid_query with the position of an error',
          querystring: Type.Object({ query: Type.String({ maxLength: 2000 }), tz: Type.Optional(Type.String({ maxLength: 64 })) }),
          headers: SearchHeaders,
          response: { 200: RefTo(SearchExplainSchema), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        return explainQuery(await parseSearch(ctx, principal.orgId, request.query.query, searchTimeZone(request, request.query.tz)));
      },
    );

    app.get(
      '/search/fields',
      { schema: { tags: ['search'], summary: 'The fields of the search language, has: predicates and sortable fields (for suggestions as you type)', response: { 200: RefTo(SearchFieldsSchema) } } },
      async () => ({
        fields: FIELDS.map((f) => ({ name: f.name, scope: f.scope, type: f.type, meaning: f.meaning, ...(f.values ? { values: Object.keys(f.values) } : {}) })),
        has: HAS.map((h) => ({ name: h.name, meaning: h.meaning, means: h.means })),
        sortable: SORTABLE,
      }),
    );

    app.get('/views', { schema: { tags: ['search'], summary: "Saved views: the organization's shared ones and your own", response: { 200: Type.Object({ data: Type.Array(Ref('View')) }) } } }, async (request) => ({
      data: (await listViews(ctx, principalOf(request))).map(viewResource),
    }));

    app.post(
      '/views',
      {
        schema: {
          tags: ['search'],
          summary: 'Save a search as a view (personal unless shared: true); its query is checked',
          body: Type.Object({ name: ViewName, query: ViewQuery, shared: Type.Optional(Type.Boolean({ default: false })) }, { additionalProperties: false }),
          response: { 201: Ref('View'), ...errorResponses },
        },
      },
      async (request, reply) => reply.status(201).send(viewResource(await createView(ctx, principalOf(request), request.body))),
    );

    app.get('/views/:id', { schema: { tags: ['search'], params: IdParams, response: { 200: Ref('View'), ...errorResponses } } }, async (request) =>
      viewResource(await getView(ctx, principalOf(request), request.params.id)),
    );

    app.patch(
      '/views/:id',
      {
        schema: {
          tags: ['search'],
          summary: "Change a view (its owner; a shared view also an admin)",
          params: IdParams,
          body: Type.Object({ name: Type.Optional(ViewName), query: Type.Optional(ViewQuery), shared: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
          response: { 200: Ref('View'), ...errorResponses },
        },
      },
      async (request) => viewResource(await updateView(ctx, principalOf(request), request.params.id, request.body)),
    );

    app.delete('/views/:id', { schema: { tags: ['search'], params: IdParams, response: { 204: Type.Null(), ...errorResponses } } }, async (request, reply) => {
      await deleteView(ctx, principalOf(request), request.params.id);
      return reply.status(204).send(null);
    });

    app.get(
      '/views/:id/export.csv',
      {
        schema: {
          tags: ['search'],
          summary: "The view's contacts as CSV: id,phone,name,source,created_at,failed_sms,sms_sent,sms_received,missed_calls,latest_sms_status",
          params: IdParams,
          querystring: Type.Object({ tz: Type.Optional(Type.String({ maxLength: 64 })) }),
          headers: SearchHeaders,
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const view = await getView(ctx, principal, request.params.id);
        const parsed = await parseSearch(ctx, principal.orgId, view.query, searchTimeZone(request, request.query.tz));
        const filename = `${view.name.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-|-$/g, '') || 'view'}.csv`;
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${filename}"`)
          .send(Readable.from(contactsCsv(ctx, principal, parsed)));
      },
    );
  };
