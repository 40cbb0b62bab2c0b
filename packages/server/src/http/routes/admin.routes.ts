import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import { listNumbers } from '../../use-cases/numbers.js';
import {
  checkedPasswordHash,
  createApiKey,
  createUser,
  getOrganization,
  getUser,
  listApiKeys,
  listUsers,
  orgSettings,
  requireRole,
  revokeApiKey,
  updateOrganization,
  updateUser,
} from '../../use-cases/organizations.js';
import { principalOf } from '../auth.js';
import { iso, numberResource, userResource } from '../resources.js';
import { errorResponses, IdParams, List, OneOf, RefTo } from '../schemas.js';
import { ApiKeySchema, CreatedApiKeySchema, NumberSchema, OrganizationSchema, TeamSummarySchema, UserSchema, type BusinessHoursSchema } from '../resource-schemas.js';
import type { Static } from '@sinclair/typebox';
import { transaction } from '../../app-context.js';
import type { Organization } from '../../db/schema.js';
import { AppError } from '../../support/errors.js';

const Role = OneOf(['owner', 'admin', 'supervisor', 'agent']);

const orgResource = (o: Organization) => ({
  id: o.id,
  object: 'organization' as const,
  name: o.name,
  time_zone: o.time_zone,
  business_hours: JSON.parse(o.business_hours) as Static<typeof BusinessHoursSchema>,
  settings: orgSettings(o),
  created_at: new Date(o.created_at).toISOString(),
});

export const adminRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get('/organization', { schema: { tags: ['organization'], response: { 200: RefTo(OrganizationSchema), ...errorResponses } } }, async (request) => orgResource(await getOrganization(ctx, principalOf(request).orgId)));

    app.patch(
      '/organization',
      {
        schema: {
          tags: ['organization'],
          body: Type.Object(
            {
              name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
              time_zone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
              business_hours: Type.Optional(
                Type.Object(
                  {
                    weekly: Type.Object(
                      Object.fromEntries(
                        ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [
                          d,
                          Type.Optional(Type.Array(Type.Object({ open: Type.String({ description: 'HH:MM' }), close: Type.String({ description: 'HH:MM' }) }, { additionalProperties: false }))),
                        ]),
                      ),
                      { additionalProperties: false, description: 'Days left out are closed' },
                    ),
                    holidays: Type.Optional(Type.Array(Type.String({ description: 'YYYY-MM-DD, closed all day' }))),
                  },
                  { additionalProperties: false, description: "Weekly opening hours in the organization's time zone, and holidays" },
                ),
              ),
              settings: Type.Optional(
                Type.Object(
                  {
                    max_body_length: Type.Optional(Type.Integer({ minimum: 1, maximum: 1600 })),
                    too_short_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 120, description: 'Inbound calls abandoned sooner are too_short, not missed' })),
                  },
                  { additionalProperties: false },
                ),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: RefTo(OrganizationSchema), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        return orgResource(await updateOrganization(ctx, principal.orgId, request.body as Parameters<typeof updateOrganization>[2]));
      },
    );

    app.get('/numbers', { schema: { tags: ['numbers'], summary: "The organization's business numbers", response: { 200: List(RefTo(NumberSchema)) } } }, async (request) => ({
      data: (await listNumbers(ctx, principalOf(request).orgId)).map(numberResource),
    }));

    app.get('/teams', { schema: { tags: ['teams'], response: { 200: List(RefTo(TeamSummarySchema)) } } }, async (request) => {
      const orgId = principalOf(request).orgId;
      const teams = await ctx.db.kysely.selectFrom('teams').selectAll().where('org_id', '=', orgId).orderBy('created_at').execute();
      const members = await ctx.db.kysely.selectFrom('team_members').select(['team_id', 'user_id']).where('org_id', '=', orgId).execute();
      return {
        data: teams.map((t) => ({
          id: t.id,
          object: 'team' as const,
          name: t.name,
          member_ids: members.filter((m) => m.team_id === t.id).map((m) => m.user_id),
          created_at: new Date(t.created_at).toISOString(),
        })),
      };
    });

    app.get('/users', { schema: { tags: ['users'], response: { 200: List(RefTo(UserSchema)) } } }, async (request) => ({ data: (await listUsers(ctx, principalOf(request).orgId)).map(userResource) }));

    app.get('/users/:id', { schema: { tags: ['users'], params: IdParams, response: { 200: RefTo(UserSchema), ...errorResponses } } }, async (request) =>
      userResource(await getUser(ctx, principalOf(request).orgId, request.params.id)),
    );

    app.patch(
      '/users/:id',
      {
        schema: {
          tags: ['users'],
          summary: "Rename a user, change their role, deactivate or reactivate them (admin and above; owner for an owner)",
          description:
            'The last active owner cannot lose the role nor be deactivated, and nobody deactivates themselves. A new role applies to their open sessions at once. ' +
            '`active: false` signs them out everywhere, stops their API keys, returns their open conversations to Unassigned and takes them out of routing; their history stays. `active: true` lets them sign in again.',
          params: IdParams,
          body: Type.Object(
            {
              name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
              role: Type.Optional(Role),
              active: Type.Optional(Type.Boolean({ description: 'false: deactivate; true: reactivate' })),
            },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: RefTo(UserSchema), ...errorResponses, 403: { $ref: 'Problem#' }, 409: { $ref: 'Problem#' } },
        },
      },
      async (request) => userResource(await updateUser(ctx, principalOf(request), request.params.id, request.body)),
    );

    app.post(
      '/users',
      {
        schema: {
          tags: ['users'],
          body: Type.Object(
            {
              email: Type.String({ format: 'email', maxLength: 200 }),
              name: Type.String({ minLength: 1, maxLength: 200 }),
              role: Role,
              password: Type.Optional(Type.String({ maxLength: 1000, description: 'Their sign-in password, 10 to 200 characters (without it: API keys only until one is set)' })),
            },
            { additionalProperties: false },
          ),
          response: { 201: RefTo(UserSchema), ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requireRole(principal, request.body.role === 'owner' ? 'owner' : 'admin');
        const { password, ...fields } = request.body;
        const passwordHash = password !== undefined ? await checkedPasswordHash(password) : undefined;
        const user = await transaction(ctx, (tx) => createUser(ctx, tx, { orgId: principal.orgId, ...fields, ...(passwordHash ? { passwordHash } : {}) }));
        return reply.status(201).send(userResource(user));
      },
    );

    app.get('/api-keys', { schema: { tags: ['api keys'], response: { 200: List(RefTo(ApiKeySchema)) } } }, async (request) => {
      const principal = principalOf(request);
      requireRole(principal, 'admin');
      const keys = await listApiKeys(ctx, principal.orgId);
      return { data: keys.map((k) => ({ ...k, object: 'api_key' as const, created_at: iso(k.created_at), last_used_at: iso(k.last_used_at), revoked_at: iso(k.revoked_at) })) };
    });

    app.post(
      '/api-keys',
      {
        schema: {
          tags: ['api keys'],
          summary: 'Create an API key for a user; the key is in this response only',
          body: Type.Object(
            { user_id: Type.Optional(Type.String({ minLength: 1, description: 'Whose key it is (their role applies); default: yours' })), name: Type.String({ minLength: 1, maxLength: 100 }) },
            { additionalProperties: false },
          ),
          response: { 201: RefTo(CreatedApiKeySchema), ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        const user = await getUser(ctx, principal.orgId, request.body.user_id ?? principal.userId);
        if (user.deactivated_at != null) throw new AppError('invalid_state', `user ${user.id} is deactivated: reactivate them first`, [{ field: 'user_id', message: 'this user is deactivated' }]);
        const key = await transaction(ctx, (tx) => createApiKey(ctx, tx, { orgId: principal.orgId, userId: user.id, name: request.body.name }));
        return reply.status(201).send({ id: key.id, object: 'api_key' as const, key: key.key, prefix: key.prefix, user_id: user.id, name: request.body.name });
      },
    );

    app.delete('/api-keys/:id', { schema: { tags: ['api keys'], summary: 'Revoke a key', params: IdParams, response: { 204: Type.Null(), ...errorResponses } } }, async (request, reply) => {
      const principal = principalOf(request);
      requireRole(principal, 'admin');
      await revokeApiKey(ctx, principal.orgId, request.params.id);
      return reply.status(204).send(null);
    });
  };
