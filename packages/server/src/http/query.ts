/**
 * Query strings, checked the same way on every /v1 route: a parameter the route does not know is a
 * 400 naming it and the accepted ones (never silently ignored, so `?staus=failed` cannot return
 * everything), and a list parameter (`status=failed,undelivered`) is split on commas before validation.
 */
import type { FastifyInstance, RouteOptions, preValidationHookHandler } from 'fastify';

interface ObjectSchema {
  type?: string;
  properties?: Record<string, { type?: string }>;
  additionalProperties?: unknown;
}

/** Splits the comma-separated values of the array parameters named. */
const splitLists =
  (names: string[]): preValidationHookHandler =>
  (request, _reply, done) => {
    const query = request.query as Record<string, unknown>;
    for (const name of names) {
      const value = query[name];
      const values = Array.isArray(value) ? value : typeof value === 'string' ? [value] : undefined;
      if (values) query[name] = values.flatMap((v) => String(v).split(',')).map((v) => v.trim()).filter((v) => v !== '');
    }
    done();
  };

/** Registers the rule for every route added to `app` (and its children) from now on. */
export function strictQueryStrings(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = (route.schema ??= {});
    const given = schema.querystring as ObjectSchema | undefined;
    if (given && given.type !== 'object') return;
    // A copy: query schemas are often shared between routes (PageQuery).
    schema.querystring = given ? { ...given, additionalProperties: false } : { type: 'object', properties: {}, additionalProperties: false };
    const lists = Object.entries(given?.properties ?? {})
      .filter(([, s]) => s.type === 'array')
      .map(([name]) => name);
    if (lists.length > 0) {
      const hooks = route.preValidation === undefined ? [] : Array.isArray(route.preValidation) ? route.preValidation : [route.preValidation];
      route.preValidation = [splitLists(lists), ...hooks];
    }
  });
}
