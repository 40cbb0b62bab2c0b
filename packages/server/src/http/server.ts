/** The HTTP API: Fastify, JSON, versioned under /v1, every route schema-validated, OpenAPI at /openapi.json. */
import { webhookEndpointRoutes } from './routes/webhook-endpoints.routes.js';
import AjvCompiler, { type ValidatorFactory } from '@fastify/ajv-compiler';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.js';
import cookie from '@fastify/cookie';
import { requireAuth } from './auth.js';
import { loginRoutes, SessionSchema, sessionRoutes } from './routes/auth.routes.js';
import { frameworkErrors, registerErrorHandling } from './problem.js';
import { strictQueryStrings } from './query.js';
import { documentOperations, TAGS } from './openapi-docs.js';
import { defaultWebRoot, registerWebApp, type WebApp } from './web.js';
import { adminRoutes } from './routes/admin.routes.js';
import { analyticsRoutes } from './routes/analytics.routes.js';
import { automationRoutes } from './routes/automations.routes.js';
import { leadRoutes } from './routes/leads.routes.js';
import { queueRoutes } from './routes/queues.routes.js';
import { teamRoutes } from './routes/teams.routes.js';
import { notificationRoutes } from './routes/notifications.routes.js';
import { callRoutes } from './routes/calls.routes.js';
import { complianceRoutes } from './routes/compliance.routes.js';
import { contactRoutes } from './routes/contacts.routes.js';
import { conversationRoutes } from './routes/conversations.routes.js';
import { replyAgentRoutes } from './routes/reply-agent.routes.js';
import { eventRoutes } from './routes/events.routes.js';
import { jobRoutes } from './routes/jobs.routes.js';
import { messageRoutes } from './routes/messages.routes.js';
import { numberRoutes } from './routes/numbers.routes.js';
import { sandboxRoutes } from './routes/sandbox.routes.js';
import { carrierAccountRoutes } from './routes/carrier-accounts.routes.js';
import { webhookRoutes } from './routes/webhooks.routes.js';
import { savedReplyRoutes } from './routes/saved-replies.routes.js';
import { searchRoutes } from './routes/search.routes.js';
import { RESOURCE_SCHEMAS } from './resource-schemas.js';
import { CallSchema, ContactSchema, ConversationSchema, JobSchema, MessageSchema, NoteSchema, Problem, SavedReplySchema, ViewSchema } from './schemas.js';

export interface HttpOptions {
  /** True when the database answers and the workers (if any run here) are alive. */
  health: () => Promise<{ ok: boolean; checks: Record<string, string> }>;
  /** Called before any route is added: its hooks apply to every route (tests validate answers against their schemas). */
  instrument?: (app: FastifyInstance) => void;
}

export type Api = FastifyInstance;

type CompileFor = (route: { httpPart?: string }) => unknown;
const ajvPool = AjvCompiler() as unknown as (externalSchemas: unknown, options?: { customOptions?: object }) => CompileFor;

/**
 * Query strings, path parameters and headers arrive as text and are coerced to their schema's types
 * (`?limit=3`); JSON bodies are not: `"body": 42` is a wrong type, not the text "42".
 */
const buildValidator = ((externalSchemas: unknown, options: { customOptions?: object } = {}) => {
  const coercing = ajvPool(externalSchemas, options);
  const strict = ajvPool(externalSchemas, { ...options, customOptions: { ...options.customOptions, coerceTypes: false } });
  return (route: { httpPart?: string }) => (route.httpPart === 'body' ? strict(route) : coercing(route));
}) as unknown as ValidatorFactory;

/** A speech bubble: the mark of the docs page (and its icon), and the name beside it. */
const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path fill="#2563eb" d="M4 4h24a2 2 0 0 1 2 2v15a2 2 0 0 1-2 2H13l-7 6v-6H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';
const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 40"><path fill="#ffffff" d="M4 6h28a2 2 0 0 1 2 2v18a2 2 0 0 1-2 2H15l-8 7v-7H4a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2z"/>' +
  '<text x="44" y="28" fill="#ffffff" font-family="Helvetica, Arial, sans-serif" font-size="22" font-weight="bold">Textback API</text></svg>';

export async function buildHttpServer(ctx: AppContext, options: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    bodyLimit: ctx.config.bodyLimitBytes,
    // verbose: errors carry their schema, so problem.ts can list the accepted fields and values.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true, verbose: true } },
    frameworkErrors,
    return503OnClosing: true,
    schemaController: { compilersFactory: { buildValidator } },
    trustProxy: ctx.config.trustProxy,
  }).withTypeProvider<TypeBoxTypeProvider>();
  options.instrument?.(app as unknown as FastifyInstance);
  // The API speaks JSON only: anything else is 415, not a string for the schema to reject.
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('principal', undefined);
  app.decorateRequest('sessionToken', undefined);
  // Parses the Cookie header and sets cookies: the web app's session (http/auth.ts).
  await app.register(cookie);

  const web: { app?: WebApp } = {}; // registered below, after the API's own routes
  registerErrorHandling(app, (request, reply) => web.app?.fallback(request, reply) ?? false);
  for (const schema of [Problem, SessionSchema, MessageSchema, ContactSchema, ConversationSchema, NoteSchema, SavedReplySchema, CallSchema, JobSchema, ViewSchema, ...RESOURCE_SCHEMAS]) app.addSchema(schema);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Textback API',
        version: '1',
        description:
          'Self-hosted SMS engine. Authenticate with `Authorization: Bearer <api key>` (scripts), or sign in with POST /v1/auth/login (browsers: the textback_session cookie, ' +
          'plus the X-CSRF-Token header on every POST, PUT, PATCH and DELETE). Errors are application/problem+json naming each invalid field and what it accepts. ' +
          'Lists are newest first, paginated with `limit` and `cursor`; short administrative lists (numbers, teams, users, ...) come whole. A query parameter a route does not know is refused (400), never ignored.',
      },
      tags: TAGS,
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'textback_session' } },
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (json.$id as string | undefined) ?? `def-${i}` },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // Textback's own name and mark, not Swagger UI's.
    logo: { type: 'image/svg+xml', content: Buffer.from(LOGO_SVG), href: '/docs' },
    theme: { title: 'Textback API', favicon: [{ filename: 'favicon.svg', rel: 'icon', sizes: 'any', type: 'image/svg+xml', content: Buffer.from(ICON_SVG) }] },
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get('/health', { schema: { hide: true } }, async (_request, reply) => {
    const result = await options.health();
    return reply.status(result.ok ? 200 : 503).send({ status: result.ok ? 'ok' : 'unavailable', ...result.checks });
  });

  // The web app at / (packages/web/dist, or TEXTBACK_WEB_ROOT).
  web.app = await registerWebApp(app, ctx.config.webRoot ?? defaultWebRoot());

  // Carriers' webhooks: outside /v1, authenticated by each carrier's signature (docs/carriers/).
  await app.register(webhookRoutes(ctx), { prefix: '/webhooks' });

  // Sign-in needs no credentials; its routes follow the same query and documentation rules as the rest.
  await app.register(
    async (auth) => {
      strictQueryStrings(auth);
      documentOperations(auth);
      await auth.register(loginRoutes(ctx));
    },
    { prefix: '/v1' },
  );
  await app.register(
    async (v1) => {
      strictQueryStrings(v1);
      documentOperations(v1);
      requireAuth(v1, ctx);
      await v1.register(sessionRoutes(ctx));
      await v1.register(messageRoutes(ctx));
      await v1.register(contactRoutes(ctx));
      await v1.register(conversationRoutes(ctx));
      await v1.register(replyAgentRoutes(ctx));
      await v1.register(callRoutes(ctx));
      await v1.register(jobRoutes(ctx));
      await v1.register(sandboxRoutes(ctx));
      await v1.register(eventRoutes(ctx));
      await v1.register(adminRoutes(ctx));
      await v1.register(numberRoutes(ctx));
      await v1.register(complianceRoutes(ctx));
      await v1.register(automationRoutes(ctx));
      await v1.register(leadRoutes(ctx));
      await v1.register(teamRoutes(ctx));
      await v1.register(notificationRoutes(ctx));
      await v1.register(queueRoutes(ctx));
      await v1.register(carrierAccountRoutes(ctx));
      await v1.register(savedReplyRoutes(ctx));
      await v1.register(searchRoutes(ctx));
      await v1.register(analyticsRoutes(ctx));
      await v1.register(webhookEndpointRoutes(ctx));
    },
    { prefix: '/v1' },
  );
  return app as unknown as FastifyInstance;
}
