/** Shared pieces of the API's JSON schemas (TypeBox: one definition gives the schema and the type). */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

export const Phone = (description: string) => Type.String({ minLength: 1, maxLength: 40, description });
export const Id = Type.String({ minLength: 1, maxLength: 64 });
export const IdParams = Type.Object({ id: Id });

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Page size' })),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'next_cursor of the previous page' })),
};

/** One of these values (OpenAPI `enum`; a wrong value answers "must be one of ..."). */
export const OneOf = <const T extends string>(values: readonly T[], options: { description?: string } = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });

/** Several of these values, comma-separated in a query string (`status=failed,undelivered`) or repeated. */
export const ListOf = <T extends string>(values: readonly T[], description: string) =>
  Type.Array(OneOf(values), { minItems: 1, description: `${description}: one or more of ${values.join(', ')}, separated by commas` });

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) });

/** The search parameters of a list (docs/search.md). */
export const SearchParams = {
  query: Type.Optional(Type.String({ maxLength: 2000, description: 'A search query (docs/search.md), e.g. `sms(created:today status:error)`; an invalid one is 400 invalid_query with its position' })),
  tz: Type.Optional(Type.String({ maxLength: 64, description: "IANA time zone of the query's dates (default: the X-TZ header, else the organization's)" })),
  include_total: Type.Optional(Type.Boolean({ description: 'Also count every matching row (total)' })),
};

/** `X-TZ`: the time zone of a search's dates, when `tz` is not given. */
export const SearchHeaders = Type.Object({ 'x-tz': Type.Optional(Type.String({ maxLength: 64, description: "IANA time zone of the query's dates" })) });

export const SearchPage = <T extends TSchema>(item: T) =>
  Type.Object({
    data: Type.Array(item),
    next_cursor: Type.Union([Type.String(), Type.Null()]),
    total: Type.Optional(Type.Integer({ description: 'With include_total=true: every row matching' })),
  });

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    detail: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
    position: Type.Optional(Type.Integer({ description: 'invalid_query: where in the query the error is (offset from 0)' })),
  },
  { $id: 'Problem', description: 'application/problem+json' },
);

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
export const Instant = Nullable(Type.String({ format: 'date-time' }));

export const MessageSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('message'),
    direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]),
    from: Type.String(),
    to: Type.String(),
    body: Type.String(),
    media: Type.Array(Type.String()),
    status: Type.String({ description: 'scheduled, held, queued, sending, sent, delivered, undelivered, failed, cancelled, blocked, received' }),
    reason: Nullable(Type.String({ description: 'Why it failed, was blocked or is held: opted_out, suppressed, quiet_hours, cap_reached, unsupported_country, landline_or_unreachable, ...' })),
    error_code: Nullable(Type.String()),
    status_detail: Nullable(
      Type.String({
        description:
          'Why it is held, blocked, failed or undelivered, in plain words: "held for quiet hours until 2026-01-16T14:00:00.000Z (rule US-TX)", "undelivered: the carrier says +1 415 555 0803 is a landline or unreachable (30006)"',
      }),
    ),
    rule: Nullable(Type.String({ description: 'The compliance rule that held or blocked it (US-FEDERAL, US-TX, CONSENT, SUPPRESSION, COUNTRY, ...)' })),
    held_until: Instant,
    flags: Type.Record(Type.String(), Type.Unknown(), { description: 'keyword (opt_out, opt_in, help) on inbound keywords, likely_opt_out, landline' }),
    encoding: Type.Union([Type.Literal('GSM-7'), Type.Literal('UCS-2')]),
    segments: Type.Integer(),
    carrier: Type.String(),
    carrier_message_id: Nullable(Type.String()),
    contact_id: Type.String(),
    conversation_id: Type.String(),
    number_id: Type.String(),
    created_by: Type.Object({ type: Type.String(), id: Nullable(Type.String()) }),
    automation_id: Nullable(Type.String({ description: "The automation that sent it (an automation's text), else null" })),
    automation_run_id: Nullable(Type.String({ description: 'The run of that automation (GET /v1/automations/:id/runs), else null' })),
    variant_id: Nullable(Type.String({ description: "The A/B variant of the automation's send_sms step it was written from, else null" })),
    scheduled_at: Instant,
    sent_at: Instant,
    delivered_at: Instant,
    failed_at: Instant,
    created_at: Instant,
    updated_at: Instant,
  },
  { $id: 'Message' },
);

export const ContactSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('contact'),
    phone: Type.String(),
    name: Nullable(Type.String()),
    source: Nullable(Type.String()),
    time_zone: Nullable(Type.String()),
    attributes: Type.Record(Type.String(), Type.Unknown()),
    created_at: Instant,
    updated_at: Instant,
  },
  { $id: 'Contact' },
);

export const ConversationSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('conversation'),
    contact_id: Type.String(),
    number_id: Type.String(),
    status: Type.Union([Type.Literal('open'), Type.Literal('done')], { description: 'done: handled (new traffic reopens it); a snoozed conversation is open with snoozed_until' }),
    snoozed_until: Nullable(Type.String({ format: 'date-time', description: 'Out of the open list until then (new inbound texts wake it)' })),
    assigned_user_id: Nullable(Type.String()),
    assigned_team_id: Nullable(Type.String()),
    unread_count: Type.Integer(),
    read: Type.Boolean(),
    last_message_at: Instant,
    created_at: Instant,
    updated_at: Instant,
    contact: Type.Object({ id: Type.String(), name: Nullable(Type.String()), phone: Type.String() }),
    last_message: Nullable(
      Type.Object({
        id: Type.String(),
        direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]),
        body: Type.String({ description: 'The first 160 characters' }),
        status: Type.String(),
        created_at: Instant,
      }),
    ),
  },
  { $id: 'Conversation' },
);

export const NoteSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('note'),
    body: Type.String(),
    conversation_id: Type.String(),
    contact_id: Type.String(),
    author: Nullable(Type.Object({ id: Type.String(), name: Nullable(Type.String()) })),
    created_at: Instant,
  },
  { $id: 'Note', description: 'An internal note: never sent to the contact' },
);

export const SavedReplySchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('saved_reply'),
    name: Type.String(),
    body: Type.String({ description: 'A template: {Name}, {Business}, {Agent}, {Number}, {attr.<name>}, with a fallback as {Name|there}' }),
    variables: Type.Array(Type.String(), { description: 'The variables the body uses' }),
    rendered: Type.Optional(Type.String({ description: 'The body with the variables of ?conversation= filled in' })),
    created_by: Nullable(Type.String()),
    created_at: Instant,
    updated_at: Instant,
  },
  { $id: 'SavedReply' },
);

export const CallSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('call'),
    direction: Type.String(),
    from: Type.String(),
    to: Type.String(),
    status: Type.String(),
    duration_seconds: Nullable(Type.Integer()),
    answered_by: Nullable(Type.String()),
    outcome: Nullable(Type.String({ description: 'answered, missed, voicemail, too_short, answered_elsewhere' })),
    outcome_reason: Nullable(Type.String()),
    carrier: Type.String(),
    external_id: Nullable(Type.String()),
    extension: Nullable(Type.String()),
    contact_id: Type.String(),
    number_id: Type.String(),
    started_at: Instant,
    ended_at: Instant,
    created_at: Instant,
  },
  { $id: 'Call' },
);

export const JobSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('job'),
    kind: Type.String(),
    state: Type.String({ description: 'pending, running, completed, dead, cancelled' }),
    run_at: Instant,
    attempts: Type.Integer(),
    max_attempts: Type.Integer(),
    unique_key: Nullable(Type.String()),
    last_error: Nullable(Type.String()),
    created_at: Instant,
    finished_at: Instant,
  },
  { $id: 'Job' },
);

export const ViewSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('view'),
    name: Type.String(),
    query: Type.String(),
    shared: Type.Boolean({ description: 'true: every user of the organization sees it; false: its owner only' }),
    owner_user_id: Type.String(),
    created_at: Instant,
    updated_at: Instant,
  },
  { $id: 'View' },
);

export const SegmentCountSchema = Type.Object({
  encoding: Type.Union([Type.Literal('GSM-7'), Type.Literal('UCS-2')]),
  segments: Type.Integer(),
  characters: Type.Integer(),
});

export const errorResponses = {
  400: { $ref: 'Problem#' },
  401: { $ref: 'Problem#' },
  404: { $ref: 'Problem#' },
};

/** A reference to one of the shared schemas above (by $id). */
export const Ref = (id: string) => Type.Unsafe<unknown>({ $ref: `${id}#` });

/**
 * A reference to a shared schema that keeps its type, so `reply.code(n).send(...)` is type-checked against
 * it (a handler's plain return is not, once the route also lists the Problem refs, typed unknown). What
 * the answer really holds is checked by the response guard of the API tests (test/support/response-schemas.ts).
 */
export const RefTo = <T extends TSchema>(schema: T) => Type.Unsafe<Static<T>>({ $ref: `${schema.$id as string}#` });

/** `{ data: [...] }`: a short list that comes whole (no cursor). */
export const List = <T extends TSchema>(item: T) => Type.Object({ data: Type.Array(item) });

