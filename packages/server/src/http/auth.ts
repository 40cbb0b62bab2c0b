import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../app-context.js';
import { AppError } from '../support/errors.js';
import { authenticate, type Principal } from '../use-cases/organizations.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/** `Authorization: Bearer <api key>` on every route of the scope; 401 without a valid, unrevoked key. */
export function requireApiKey(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1]) throw new AppError('unauthorized', 'send your API key as "Authorization: Bearer <key>"');
    const principal = await authenticate(ctx, match[1]);
    if (!principal) throw new AppError('unauthorized', 'this API key is not valid or has been revoked');
    request.principal = principal;
  });
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthorized', 'send your API key as "Authorization: Bearer <key>"');
  return request.principal;
}
