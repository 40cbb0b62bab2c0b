/**
 * What a text must be to be sent: the one check of message bodies, used when a text is sent
 * (`validateBody`) and when a text that will be sent later is saved (compliance texts, automation
 * templates, queue and team texts, suppression reasons): a stored text the send path would refuse
 * is refused on save, with its field named, so it can never silence what depends on it (a STOP
 * confirmation, a queue's answer).
 */
import { AppError, type FieldError } from '../support/errors.js';

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface TextProblem {
  code: 'empty_body' | 'validation_failed' | 'body_too_long';
  detail: string;
  error: FieldError;
}

/** The first problem of a text to send (empty, NUL, unpaired surrogate, over `maxLength` characters), or null. */
export function textProblem(body: string, maxLength: number, field: string): TextProblem | null {
  if (body.trim().length === 0) return { code: 'empty_body', detail: `${field} is empty: write the text to send`, error: { field, message: 'must not be empty' } };
  // PostgreSQL cannot store NUL, and an unpaired surrogate is not text: refuse both rather than
  // store something else than was sent.
  if (body.includes('\u0000')) {
    return { code: 'validation_failed', detail: `${field} contains a NUL character (\\u0000); remove it`, error: { field, message: 'must not contain NUL characters' } };
  }
  if (UNPAIRED_SURROGATE.test(body)) {
    return { code: 'validation_failed', detail: `${field} contains an unpaired UTF-16 surrogate, which is not valid Unicode text`, error: { field, message: 'must be valid Unicode' } };
  }
  const length = [...body].length;
  if (length > maxLength) {
    return {
      code: 'body_too_long',
      detail: `${field} has ${length} characters; this organization's limit is ${maxLength}. Shorten it or raise settings.max_body_length`,
      error: { field, message: `at most ${maxLength} characters` },
    };
  }
  return null;
}

/** Checks a body against the organization's limit; returns it unchanged. */
export function validateBody(body: string, maxLength: number, field = 'body'): string {
  const problem = textProblem(body, maxLength, field);
  if (problem) throw new AppError(problem.code, problem.detail, [problem.error]);
  return body;
}

/**
 * Values that end up inside texts (names and attributes filling templates): no NUL, no unpaired
 * surrogate, so that a text built from them can be sent. Empty is allowed.
 */
export function validateTemplateValues(values: Record<string, unknown>): void {
  const strings = Object.fromEntries(Object.entries(values).filter(([, v]) => typeof v === 'string'));
  validateStoredTexts(strings, undefined, { allowEmpty: true });
}

/**
 * Errors of stored texts that will be sent later, checked exactly as a body (null and undefined
 * are "not set" and pass). For validations that collect every field's errors before refusing.
 */
export function storedTextErrors(texts: Record<string, unknown>, maxLength = Number.POSITIVE_INFINITY, options: { allowEmpty?: boolean } = {}): FieldError[] {
  const errors: FieldError[] = [];
  for (const [field, value] of Object.entries(texts)) {
    if (value === null || value === undefined) continue;
    if (options.allowEmpty && value === '') continue;
    if (typeof value !== 'string') {
      errors.push({ field, message: 'must be a text' });
      continue;
    }
    const problem = textProblem(value, maxLength, field);
    if (problem) errors.push(problem.error);
  }
  return errors;
}

/** Refuses stored texts the send path would refuse: one `validation_failed` naming every bad field. */
export function validateStoredTexts(texts: Record<string, unknown>, maxLength?: number, options: { allowEmpty?: boolean } = {}): void {
  const errors = storedTextErrors(texts, maxLength, options);
  if (errors.length > 0) throw new AppError('validation_failed', errors.map((e) => `${e.field} ${e.message}`).join('; '), errors);
}
