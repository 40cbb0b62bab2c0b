/**
 * Every error the API can answer, defined once with its HTTP status (as Fastify's lib/errors.js
 * does). Use cases throw AppError; the HTTP layer turns it into application/problem+json.
 */
export const ERRORS = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  invalid_number: { status: 400, title: 'Invalid phone number' },
  empty_body: { status: 400, title: 'Empty message body' },
  body_too_long: { status: 400, title: 'Message body too long' },
  malformed_json: { status: 400, title: 'Malformed JSON' },
  invalid_cursor: { status: 400, title: 'Invalid cursor' },
  bad_url: { status: 400, title: 'Malformed URL' },
  unauthorized: { status: 401, title: 'Missing or invalid API key' },
  invalid_credentials: { status: 401, title: 'Wrong email or password' },
  forbidden: { status: 403, title: 'Not allowed' },
  csrf_failed: { status: 403, title: 'Missing or wrong CSRF token' },
  not_found: { status: 404, title: 'Not found' },
  unknown_number: { status: 404, title: 'Unknown business number' },
  conflict: { status: 409, title: 'Conflict' },
  idempotency_mismatch: { status: 422, title: 'Idempotency key reused with a different request' },
  invalid_state: { status: 409, title: 'Not possible in the current state' },
  opted_out_by_contact: { status: 409, title: 'Only the contact can undo this opt-out' },
  // Buying numbers (docs/carriers/README.md).
  number_unavailable: { status: 409, title: 'The number is not available' },
  regulatory_requirement: { status: 422, title: "The carrier's regulatory requirements are not met" },
  insufficient_balance: { status: 402, title: 'The carrier account has too little balance' },
  carrier_auth_failed: { status: 502, title: "The carrier refused the account's credentials" },
  carrier_error: { status: 502, title: 'The carrier refused the request' },
  payload_too_large: { status: 413, title: 'Request too large' },
  uri_too_long: { status: 414, title: 'URI too long' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  too_many_attempts: { status: 429, title: 'Too many failed attempts' },
  internal: { status: 500, title: 'Internal error' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export interface FieldError {
  /** JSON pointer-ish path of the offending field, e.g. `body.to`. */
  field: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  /** Sent as Retry-After (429, 503). */
  retryAfterSeconds: number | undefined;
  constructor(
    readonly code: ErrorCode,
    /** What is wrong and how to fix it, for a person. Never contains message bodies or secrets. */
    readonly detail: string,
    readonly errors: FieldError[] = [],
  ) {
    super(detail);
    this.status = ERRORS[code].status;
  }
}

export const notFound = (what: string, id: string) => new AppError('not_found', `${what} ${id} does not exist`);
