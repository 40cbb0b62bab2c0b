/**
 * Test-only guard: every 2xx JSON answer of a /v1 route is checked against the response schema the
 * route declares, before Fastify serializes it. Serialization (fast-json-stringify) silently drops
 * properties the schema does not name, so a field the resource mapper returns but the schema forgets
 * would vanish from the API: here it is a violation (objects are checked as closed:
 * additionalProperties false unless the schema says otherwise). A 2xx JSON answer without a schema
 * is one too. createTestApp installs it; its close() fails with the violations.
 */
import AjvCompiler from '@fastify/ajv-compiler';
import type { FastifyInstance } from 'fastify';

type Schema = Record<string, unknown>;
type Validate = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string; params?: Record<string, unknown> }[] | null };
type CompileFor = (route: { schema: unknown }) => Validate;
const ajvPool = AjvCompiler() as unknown as (externalSchemas: Record<string, unknown>, options: { customOptions: object }) => CompileFor;

/**
 * Routes whose 2xx answer is not a JSON document, so it has no response schema: 204 No Content, the
 * event stream (text/event-stream) and CSV exports. Carrier webhooks (/webhooks/...) are outside /v1
 * and answer what each carrier expects.
 */
export const NOT_JSON_ROUTES: Record<string, string> = {
  'POST /v1/auth/logout': '204 No Content',
  'POST /v1/auth/password': '204 No Content',
  'PUT /v1/sandbox/destinations/{number}': '204 No Content',
  'GET /v1/events': 'text/event-stream (Server-Sent Events)',
  'DELETE /v1/numbers/{id}': '204 No Content',
  'DELETE /v1/api-keys/{id}': '204 No Content',
  'GET /v1/suppressions/export': 'text/csv',
  'DELETE /v1/suppressions/{number}': '204 No Content',
  'GET /v1/consent/export': 'text/csv',
  'DELETE /v1/automations/{id}': '204 No Content',
  'DELETE /v1/teams/{id}/members/{userId}': '204 No Content',
  'DELETE /v1/queues/{id}': '204 No Content',
  'DELETE /v1/queues/{id}/agents/{userId}': '204 No Content',
  'DELETE /v1/carrier-accounts/{id}': '204 No Content',
  'DELETE /v1/saved-replies/{id}': '204 No Content',
  'DELETE /v1/views/{id}': '204 No Content',
  'GET /v1/views/{id}/export.csv': 'text/csv',
  'DELETE /v1/webhook-endpoints/{id}': '204 No Content',
};

/** A copy of `schema` in which every object that lists its properties accepts no others (unless it says so). */
export function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema as Schema)) {
    // Keyword values that are maps of schemas or schemas; `enum`/`const`/`examples`/`default` hold data.
    out[k] = k === 'enum' || k === 'const' || k === 'examples' || k === 'default' ? v : closed(v);
  }
  if (out.properties && out.additionalProperties === undefined && out.patternProperties === undefined) out.additionalProperties = false;
  return out;
}

/** The schema Fastify uses for this status: the code, then `2xx`, then `default`. */
function schemaFor(responses: Record<string, unknown> | undefined, status: number): unknown {
  if (!responses) return undefined;
  const picked = responses[String(status)] ?? responses[`${String(status)[0]}xx`] ?? responses.default;
  // The OpenAPI form { description, content: { 'application/json': { schema } } } is not used here; a plain schema is.
  return picked;
}

/** An empty schema (`{}`, Type.Unknown()) says nothing: the generated web types would be `unknown`. */
export function saysNothing(schema: unknown): boolean {
  return !!schema && typeof schema === 'object' && Object.keys(schema).filter((k) => k !== 'description' && k !== 'title').length === 0;
}

export interface ResponseGuard {
  /** Each answer that does not match its schema, or has none: "GET /v1/x 200: /data/0 must NOT have additional properties (foo)". */
  violations: string[];
  /** Install on a Fastify instance before its routes are added (createTextback's instrumentHttp). */
  instrument(app: FastifyInstance): void;
  /** Checks one answer (exported for the guard's own test). */
  check(route: string, status: number, responses: Record<string, unknown> | undefined, payload: unknown): string[];
}

export function responseGuard(sharedSchemas: () => Record<string, unknown>): ResponseGuard {
  const cache = new WeakMap<object, Validate>();
  let compile: CompileFor | undefined;
  const compiler = () => {
    if (!compile) {
      const shared = Object.fromEntries(Object.entries(sharedSchemas()).map(([id, s]) => [id, closed(s)]));
      compile = ajvPool(shared, { customOptions: { allErrors: true, coerceTypes: false, removeAdditional: false, useDefaults: false, strict: false } });
    }
    return compile;
  };

  const check: ResponseGuard['check'] = (route, status, responses, payload) => {
    const schema = schemaFor(responses, status);
    if (schema === undefined) return [`${route} ${status}: answers JSON but declares no response schema for ${status}`];
    if (saysNothing(schema)) return [`${route} ${status}: its response schema says nothing (Type.Unknown()): name the fields`];
    let validate = cache.get(schema as object);
    if (!validate) {
      validate = compiler()({ schema: closed(schema) });
      cache.set(schema as object, validate);
    }
    // As JSON would carry it (undefined properties vanish, dates become text).
    const json: unknown = payload === undefined ? undefined : JSON.parse(JSON.stringify(payload));
    if (validate(json)) return [];
    return (validate.errors ?? []).map((e) => `${route} ${status}: ${e.instancePath || '(the answer)'} ${e.message ?? 'is invalid'}${e.params?.additionalProperty ? ` (${String(e.params.additionalProperty)})` : ''}`);
  };

  const violations: string[] = [];
  return {
    violations,
    check,
    instrument(app) {
      app.addHook('preSerialization', async (request, reply, payload) => {
        const url = request.routeOptions.url ?? '';
        if (!url.startsWith('/v1/') || reply.statusCode < 200 || reply.statusCode >= 300) return payload;
        if (typeof payload !== 'object' || payload === null || Buffer.isBuffer(payload) || typeof (payload as { pipe?: unknown }).pipe === 'function') return payload;
        const route = `${request.method} ${url.replace(/:(\w+)/g, '{$1}')}`;
        const responses = (request.routeOptions.schema as { response?: Record<string, unknown> } | undefined)?.response;
        violations.push(...check(route, reply.statusCode, responses, payload));
        return payload;
      });
    },
  };
}
