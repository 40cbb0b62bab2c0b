import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import type { Organization, User } from '../../db/schema.js';
import { AppError } from '../../support/errors.js';
import { changePassword, csrfTokenFor, signIn, signOut } from '../../use-cases/auth/sessions.js';
import { getOrganization, getUser } from '../../use-cases/organizations.js';
import { clearSessionCookie, principalOf, setSessionCookie } from '../auth.js';

const SessionUser = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('supervisor'), Type.Literal('agent')]),
});
const SessionOrganization = Type.Object({ id: Type.String(), name: Type.String(), time_zone: Type.String() });

export const SessionSchema = Type.Object(
  {
    user: SessionUser,
    organization: SessionOrganization,
    csrf_token: Type.Union([Type.String(), Type.Null()], {
      description: 'Send it as X-CSRF-Token on every POST, PUT, PATCH and DELETE made with the session cookie (null when called with an API key)',
    }),
    auth: Type.Union([Type.Literal('session'), Type.Literal('api_key')], { description: 'How this request was authenticated' }),
  },
  { $id: 'Session' },
);

const problems = { 400: { $ref: 'Problem#' }, 401: { $ref: 'Problem#' }, 403: { $ref: 'Problem#' }, 429: { $ref: 'Problem#' } };

const sessionBody = (user: User, org: Organization, csrfToken: string | null, auth: 'session' | 'api_key') => ({
  user: { id: user.id, email: user.email, name: user.name, role: user.role },
  organization: { id: org.id, name: org.name, time_zone: org.time_zone },
  csrf_token: csrfToken,
  auth,
});

/** POST /v1/auth/login: the one route under /v1 that needs no caller. */
export const loginRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/auth/login',
      {
        schema: {
          tags: ['sign-in'],
          summary: 'Sign in with email and password: sets the httpOnly textback_session cookie and returns the CSRF token',
          description:
            'Wrong email or password: 401 invalid_credentials (the same for both). After 5 failures for an email (20 for a client address) within 15 minutes, ' +
            'sign-in is refused with 429 too_many_attempts and Retry-After for 30 seconds, doubling at each further failure up to 15 minutes.',
          security: [],
          body: Type.Object({ email: Type.String({ minLength: 1, maxLength: 320 }), password: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false }),
          response: { 200: { $ref: 'Session#' }, ...problems },
        },
      },
      async (request, reply) => {
        const userAgent = request.headers['user-agent'];
        const signed = await signIn(ctx, {
          email: request.body.email,
          password: request.body.password,
          ip: request.ip,
          ...(userAgent ? { userAgent } : {}),
        });
        request.log.info({ userId: signed.user.id, orgId: signed.user.org_id }, 'signed in');
        setSessionCookie(request, reply, ctx, signed.token, signed.expiresAt);
        reply.header('cache-control', 'no-store');
        return sessionBody(signed.user, signed.organization, signed.csrfToken, 'session');
      },
    );
  };

/** Routes of a signed-in person (or an API key's user), inside the authenticated scope. */
export const sessionRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    const current = async (request: Parameters<typeof principalOf>[0]) => {
      const principal = principalOf(request);
      const [user, org] = await Promise.all([getUser(ctx, principal.orgId, principal.userId), getOrganization(ctx, principal.orgId)]);
      return sessionBody(user, org, request.sessionToken ? csrfTokenFor(request.sessionToken) : null, principal.sessionId ? 'session' : 'api_key');
    };

    app.get(
      '/auth/session',
      { schema: { tags: ['sign-in'], summary: 'The signed-in user, organization and CSRF token (401 when not signed in)', response: { 200: { $ref: 'Session#' }, ...problems } } },
      async (request, reply) => {
        if (!principalOf(request).sessionId) throw new AppError('unauthorized', 'no session: sign in with POST /v1/auth/login (this request used an API key)');
        reply.header('cache-control', 'no-store');
        return current(request);
      },
    );

    app.get(
      '/me',
      { schema: { tags: ['sign-in'], summary: 'Who is calling: the user and organization of the session or API key', response: { 200: { $ref: 'Session#' }, ...problems } } },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        return current(request);
      },
    );

    app.post(
      '/auth/logout',
      { schema: { tags: ['sign-in'], summary: 'Sign out: ends this session and clears the cookie', response: { 204: Type.Null(), ...problems } } },
      async (request, reply) => {
        const principal = principalOf(request);
        if (principal.sessionId) await signOut(ctx, principal.sessionId);
        clearSessionCookie(request, reply, ctx);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/auth/password',
      {
        schema: {
          tags: ['sign-in'],
          summary: "Change your own password (10 to 200 characters); your other sessions end",
          body: Type.Object({ current_password: Type.String({ minLength: 1, maxLength: 1000 }), new_password: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false }),
          response: { 204: Type.Null(), ...problems },
        },
      },
      async (request, reply) => {
        await changePassword(ctx, principalOf(request), { current: request.body.current_password, next: request.body.new_password });
        return reply.status(204).send(null);
      },
    );
  };
