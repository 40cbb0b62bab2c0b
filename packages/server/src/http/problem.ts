/**
 * One error handler for the whole API: every error becomes application/problem+json (RFC 9457)
 * with a `code`, a `detail` that says what to fix, and, for invalid fields, `errors[]`.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { AppError, ERRORS, type ErrorCode, type FieldError } from '../support/errors.js';

export function sendProblem(reply: FastifyReply, code: ErrorCode, detail: string, errors: FieldError[] = [], extra: Record<string, unknown> = {}): FastifyReply {
  const { status, title } = ERRORS[code];
  return reply
    .status(status)
    .type('application/problem+json')
    .send({ ...extra, type: `https://textback.dev/problems/${code.replace(/_/g, '-')}`, title, status, code, detail, ...(errors.length ? { errors } : {}) });
}

interface AjvError {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** What a value of these formats looks like, for people (Ajv says `must match format "date-time"`). */
const FORMATS: Record<string, string> = {
  'date-time': 'must be an ISO 8601 date-time with a time zone, e.g. 2026-01-15T09:30:00-05:00',
  email: 'must be an email address',
  uri: 'must be a URL, e.g. https://example.com/photo.jpg',
};

function fieldErrors(context: string, validation: AjvError[]): FieldError[] {
  return validation.map((v) => {
    let path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
    if (v.keyword === 'required') path = [path, String(v.params.missingProperty)].filter(Boolean).join('.');
    if (v.keyword === 'additionalProperties') path = [path, String(v.params.additionalProperty)].filter(Boolean).join('.');
    const field = [context, path].filter(Boolean).join('.');
    const message =
      v.keyword === 'additionalProperties'
        ? 'is not a known field'
        : v.keyword === 'required'
          ? 'is required'
          : v.keyword === 'format' && typeof v.params.format === 'string' && v.params.format in FORMATS
            ? FORMATS[v.params.format]!
            : (v.message ?? 'is invalid');
    return { field, message };
  });
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError & { validation?: AjvError[]; validationContext?: string }, request, reply) => {
    if (error instanceof AppError) return sendProblem(reply, error.code, error.detail, error.errors, error.extra);
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
      return reply.status(error.statusCode).type('application/problem+json').send({ title: error.message, status: error.statusCode, code: error.code ?? 'bad_request', detail: error.message });
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, 'internal', 'something went wrong on our side; the request id in the logs says where');
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}; see /openapi.json`),
  );
}
