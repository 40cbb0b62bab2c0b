/**
 * One error handler for the whole API: every error becomes application/problem+json (RFC 9457)
 * with a `code`, a `detail` that says what to fix, and, for invalid fields, `errors[]`.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERRORS, type ErrorCode, type FieldError } from '../support/errors.js';

export function sendProblem(reply: FastifyReply, code: ErrorCode, detail: string, errors: FieldError[] = []): FastifyReply {
  const { status, title } = ERRORS[code];
  return reply
    .status(status)
    .type('application/problem+json')
    .send({ type: `https://textback.dev/problems/${code.replace(/_/g, '-')}`, title, status, code, detail, ...(errors.length ? { errors } : {}) });
}

interface AjvError {
  instancePath: string;
  schemaPath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
  /** With Ajv's `verbose` option: the schema object holding the failed keyword. */
  parentSchema?: { properties?: Record<string, unknown>; description?: string };
}

/** What a value of these formats looks like, for people (Ajv says `must match format "date-time"`). */
const FORMATS: Record<string, string> = {
  'date-time': 'must be an ISO 8601 date-time with a time zone, e.g. 2026-01-15T09:30:00-05:00',
  email: 'must be an email address',
  uri: 'must be a URL, e.g. https://example.com/photo.jpg',
};

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
const plural = (n: unknown, word: string) => `${String(n)} ${word}${n === 1 ? '' : 's'}`;

/** One Ajv error in words (the field is named by the caller). */
function describe(v: AjvError, context: string): string {
  const p = v.params;
  switch (v.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties': {
      const known = Object.keys(v.parentSchema?.properties ?? {});
      const noun = context === 'body' ? 'field' : 'parameter';
      return known.length ? `is not a known ${noun} (accepted: ${known.join(', ')})` : `is not a known ${noun} (this route takes none)`;
    }
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map(show).join(', ')}`;
    case 'const':
      return `must be ${show(p.allowedValue)}`;
    case 'type':
      return `must be ${String(p.type).replace(/,/g, ' or ')}`;
    case 'minLength':
      return p.limit === 1 ? 'must not be empty' : `must be at least ${plural(p.limit, 'character')}`;
    case 'maxLength':
      return `must be at most ${plural(p.limit, 'character')}`;
    case 'minItems':
      return `must have at least ${plural(p.limit, 'item')}`;
    case 'maxItems':
      return `must have at most ${plural(p.limit, 'item')}`;
    case 'minimum':
      return `must be at least ${String(p.limit)}`;
    case 'maximum':
      return `must be at most ${String(p.limit)}`;
    case 'exclusiveMinimum':
      return `must be more than ${String(p.limit)}`;
    case 'exclusiveMaximum':
      return `must be less than ${String(p.limit)}`;
    case 'format':
      return typeof p.format === 'string' && p.format in FORMATS ? FORMATS[p.format]! : `must be a valid ${String(p.format)}`;
    case 'pattern':
      return v.parentSchema?.description ? `must be ${v.parentSchema.description}` : `must match the pattern ${String(p.pattern)}`;
    default:
      return v.message ?? 'is invalid';
  }
}

/**
 * A union (`anyOf`) in one message: "must be one of inbound, outbound" rather than one error per
 * branch and "must match a schema in anyOf". A branch whose type matched but whose value did not
 * (a string too long, say) speaks for itself instead.
 */
function describeAnyOf(anyOf: AjvError, branches: AjvError[], context: string): string[] {
  const byBranch = new Map<string, AjvError[]>();
  for (const b of branches) {
    const index = b.schemaPath.slice(anyOf.schemaPath.length + 1).split('/')[0]!;
    byBranch.set(index, [...(byBranch.get(index) ?? []), b]);
  }
  const shallow = (e: AjvError) => e.instancePath === anyOf.instancePath && (e.keyword === 'type' || e.keyword === 'const' || e.keyword === 'enum');
  const matchedType = [...byBranch.values()].find((errors) => !errors.some(shallow));
  if (matchedType) return [...new Set(matchedType.map((e) => describe(e, context)))];
  const values: string[] = [];
  const types: string[] = [];
  // A literal (`{ type: 'string', const: 'all' }`) is its value, not its type.
  const literal = new Set([...byBranch].filter(([, errors]) => errors.some((e) => e.keyword === 'const' || e.keyword === 'enum')).map(([index]) => index));
  for (const e of branches.filter(shallow)) {
    if (e.keyword === 'type' && literal.has(e.schemaPath.slice(anyOf.schemaPath.length + 1).split('/')[0]!)) continue;
    if (e.keyword === 'const') values.push(show(e.params.allowedValue));
    else if (e.keyword === 'enum') values.push(...(e.params.allowedValues as unknown[]).map(show));
    else types.push(...String(e.params.type).split(','));
  }
  const v = [...new Set(values)];
  const t = [...new Set(types)];
  if (v.length > 1) return [`must be one of ${v.join(', ')}${t.length ? `, or ${t.join(' or ')}` : ''}`];
  return [`must be ${[...t, ...v].join(' or ')}`];
}

/** Ajv's errors as one entry per field, in words, naming accepted values and fields. */
export function fieldErrors(context: string, validation: AjvError[]): FieldError[] {
  const anyOfs = validation.filter((v) => v.keyword === 'anyOf' || v.keyword === 'oneOf');
  // A branch error is below the union in the schema and at (or under) the same value: a union in an
  // array's items has one schema path for every item.
  const within = (v: AjvError, a: AjvError) =>
    v !== a && v.schemaPath.startsWith(`${a.schemaPath}/`) && (v.instancePath === a.instancePath || v.instancePath.startsWith(`${a.instancePath}/`));
  const inBranch = (v: AjvError) => anyOfs.some((a) => within(v, a));
  const messages = new Map<string, string[]>();
  for (const v of validation) {
    // An if/then failure comes with the error of the `then` that failed (e.g. a required field): that one names the field.
    if (inBranch(v) || v.keyword === 'if') continue;
    let path = v.instancePath.replace(/^\//, '').split('/');
    // A query parameter given as a list (status=a,b) is still one parameter.
    if (context === 'querystring') path = path.filter((segment) => !/^\d+$/.test(segment));
    if (v.keyword === 'required') path.push(String(v.params.missingProperty));
    if (v.keyword === 'additionalProperties') path.push(String(v.params.additionalProperty));
    const field = [context, ...path].filter(Boolean).join('.');
    const said =
      v.keyword === 'anyOf' || v.keyword === 'oneOf'
        ? describeAnyOf(v, validation.filter((b) => within(b, v)), context)
        : [describe(v, context)];
    const list = messages.get(field) ?? [];
    for (const m of said) if (!list.includes(m)) list.push(m);
    messages.set(field, list);
  }
  return [...messages].map(([field, list]) => ({ field, message: list.join(' and ') }));
}

/** `pageFallback`: answers unknown GETs that ask for HTML with the web app (http/web.ts). */
export function registerErrorHandling(app: FastifyInstance, pageFallback?: (request: FastifyRequest, reply: FastifyReply) => boolean): void {
  app.setErrorHandler((error: FastifyError & { validation?: AjvError[]; validationContext?: string }, request, reply) => {
    if (error instanceof AppError) {
      if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
      return sendProblem(reply, error.code, error.detail, error.errors);
    }
    if (error.validation) {
      const errors = fieldErrors(error.validationContext ?? 'body', error.validation);
      return sendProblem(reply, 'validation_failed', errors.map((e) => `${e.field} ${e.message}`).join('; '), errors);
    }
    switch (error.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendProblem(reply, 'malformed_json', 'the request body is not valid JSON; send a JSON object with Content-Type: application/json');
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendProblem(reply, 'payload_too_large', `the request body is larger than this server accepts (${request.routeOptions.bodyLimit ?? 'the limit'} bytes)`);
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendProblem(reply, 'unsupported_media_type', `Content-Type ${request.headers['content-type'] ?? '(none)'} is not accepted here; send application/json`);
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      if (error.statusCode === 400 && error instanceof SyntaxError) return sendProblem(reply, 'malformed_json', 'the request body is not valid JSON');
      // Any other client error Fastify raises: still problem+json, titled by its status.
      const title = STATUS_CODES[error.statusCode] ?? 'Bad Request';
      const code = title.toLowerCase().replace(/[^a-z0-9]+/g, '_');
      return reply
        .status(error.statusCode)
        .type('application/problem+json')
        .send({ type: `https://textback.dev/problems/${code.replace(/_/g, '-')}`, title, status: error.statusCode, code, detail: error.message });
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, 'internal', 'something went wrong on our side; the request id in the logs says where');
  });
  app.setNotFoundHandler((request, reply) => {
    if (pageFallback?.(request, reply)) return reply;
    return sendProblem(reply, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}; see /openapi.json`);
  });
}

/**
 * Errors Fastify raises before any route runs (Fastify's `frameworkErrors` option): a path with a
 * malformed % escape, or a path parameter longer than the router accepts. Problem+json like the rest.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split('?')[0] ?? '';
  const shown = path.length > 80 ? `${path.slice(0, 80)}…` : path;
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void sendProblem(reply, 'uri_too_long', `a part of the path ${shown} is longer than any id this API accepts; check the URL`);
    return;
  }
  if (error.code === 'FST_ERR_BAD_URL') {
    void sendProblem(reply, 'bad_url', `the path ${shown} has a malformed % escape; percent-encode it (e.g. + as %2B, % as %25)`);
    return;
  }
  void sendProblem(reply, 'validation_failed', error.message);
}
