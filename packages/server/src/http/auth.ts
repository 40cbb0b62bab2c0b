import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app-context.js';
import { AppError } from '../support/errors.js';
import { authenticate, type Principal } from '../use-cases/organizations.js';
import { authenticateSession, csrfMatches, SESSION_COOKIE } from '../use-cases/auth/sessions.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
    /** The session cookie's token when the request was authenticated by it. */
    sessionToken: string | undefined;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const HOW = 'send your API key as "Authorization: Bearer <key>", or sign in (POST /v1/auth/login)';

/**
 * Every route of the scope needs a caller: `Authorization: Bearer <api key>` (scripts), or the
 * `textback_session` cookie of a signed-in browser. A cookie request that changes something must
 * also carry `X-CSRF-Token` (the session's token from sign-in): another site can make the browser
 * send the cookie, not the header. Either way the route sees the same Principal.
 */
export function requireAuth(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match?.[1]) throw new AppError('unauthorized', HOW);
      const principal = await authenticate(ctx, match[1]);
      if (!principal) throw new AppError('unauthorized', 'this API key is not valid or has been revoked');
      request.principal = principal;
      return;
    }
    const token = request.cookies[SESSION_COOKIE];
    if (!token) throw new AppError('unauthorized', HOW);
    const principal = await authenticateSession(ctx, token);
    if (!principal) {
      clearSessionCookie(request, reply, ctx);
      throw new AppError('unauthorized', 'your session has ended; sign in again (POST /v1/auth/login)');
    }
    if (!SAFE_METHODS.has(request.method)) {
      const sent = request.headers['x-csrf-token'];
      if (!csrfMatches(token, typeof sent === 'string' ? sent : undefined)) {
        throw new AppError('csrf_failed', `a ${request.method} made with the session cookie needs the X-CSRF-Token header: the csrf_token of POST /v1/auth/login or GET /v1/auth/session`);
      }
    }
    request.principal = principal;
    request.sessionToken = token;
  });
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthorized', HOW);
  return request.principal;
}

/** Who a message says created it: the API key, or the signed-in user. */
export function createdByOf(principal: Principal): { type: 'api_key' | 'user'; id: string } {
  return principal.apiKeyId ? { type: 'api_key', id: principal.apiKeyId } : { type: 'user', id: principal.userId };
}

/** Secure when the request came over HTTPS (directly, or per X-Forwarded-Proto with TRUST_PROXY) or the public URL is https. */
function secure(request: FastifyRequest, ctx: AppContext): boolean {
  return request.protocol === 'https' || (ctx.config.publicBaseUrl?.startsWith('https:') ?? false);
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, ctx: AppContext, token: string, expiresAt: number): void {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: secure(request, ctx),
    path: '/',
    maxAge: Math.max(0, Math.floor((expiresAt - ctx.clock.now()) / 1000)),
  });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply, ctx: AppContext): void {
  reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure: secure(request, ctx), path: '/' });
}
