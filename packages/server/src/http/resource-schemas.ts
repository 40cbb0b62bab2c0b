/**
 * The response schemas of the administrative resources (organization, numbers, users, teams, queues,
 * compliance, automations, carrier accounts, webhook endpoints, analytics), each a named component of
 * /openapi.json. They must name every field the resource mappers return: Fastify serializes with the
 * schema and drops what it does not name (test/support/response-schemas.ts checks it in every API test).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { STEP_TYPES } from '@textback/core';
import { Instant, Nullable, OneOf, RefTo } from './schemas.js';

const Str = Type.String();
const Int = Type.Integer();
const Num = Type.Number();
const NullableStr = Nullable(Type.String());
/** An instant that is always set (ISO 8601, UTC). */
const At = Type.String({ format: 'date-time' });
/** An open object: its keys vary (the facts of an event, a form's fields, a payload). */
const Json = Type.Record(Type.String(), Type.Unknown());
/** An array the handler may hand over read-only (the domain's frozen documents). */
const ReadonlyArray = <T extends TSchema>(item: T) => Type.Unsafe<readonly Static<T>[]>(Type.Array(item));
const Obj = <T extends Record<string, TSchema>>(props: T, options: { $id?: string; description?: string } = {}) => Type.Object(props, options);

// ---- organization, numbers, users, API keys ------------------------------------------------------

const Range = Obj({ open: Type.String({ description: 'HH:MM' }), close: Type.String({ description: 'HH:MM' }) });
export const BusinessHoursSchema = Obj(
  {
    weekly: Type.Record(Type.String(), Type.Array(Range), { description: 'mon … sun; days left out are closed' }),
    holidays: Type.Optional(Type.Array(Type.String({ description: 'YYYY-MM-DD' }))),
  },
  { $id: 'BusinessHours', description: "Weekly opening hours in the organization's time zone, and holidays" },
);

export const OrganizationSettingsSchema = Obj(
  {
    max_body_length: Int,
    default_country: Str,
    consent_scope: OneOf(['universal', 'per_number'] as const),
    quiet_hours: Type.Boolean(),
    quiet_hours_exempt_live_conversation: Type.Boolean(),
    automated_cap_per_24h: Nullable(Int),
    automated_requires_consent: Type.Boolean(),
    allowed_countries: Type.Array(Str),
    landline_policy: OneOf(['block', 'flag', 'allow'] as const),
    opt_out_language: NullableStr,
    help_text: NullableStr,
    opt_out_text: NullableStr,
    opt_in_text: NullableStr,
    auto_suppress_after_failures: Nullable(Int),
    too_short_seconds: Int,
  },
  { $id: 'OrganizationSettings' },
);

export const OrganizationSchema = Obj(
  {
    id: Str,
    object: Type.Literal('organization'),
    name: Str,
    time_zone: Str,
    business_hours: RefTo(BusinessHoursSchema),
    settings: RefTo(OrganizationSettingsSchema),
    created_at: At,
  },
  { $id: 'Organization' },
);

export const NumberSchema = Obj(
  {
    id: Str,
    object: Type.Literal('number'),
    phone: Str,
    name: Str,
    carrier: Str,
    capabilities: Type.Array(Str, { description: 'sms, mms, voice' }),
    team_id: NullableStr,
    carrier_account_id: NullableStr,
    created_at: At,
  },
  { $id: 'Number' },
);

export const UserSchema = Obj(
  {
    id: Str,
    object: Type.Literal('user'),
    email: Str,
    name: Str,
    role: OneOf(['owner', 'admin', 'supervisor', 'agent'] as const),
    has_password: Type.Boolean({ description: 'false: API keys only until a password is set' }),
    active: Type.Boolean({ description: 'false: deactivated (cannot sign in, keys refused, out of routing)' }),
    deactivated_at: Instant,
    created_at: At,
  },
  { $id: 'User' },
);

export const ApiKeySchema = Obj(
  {
    id: Str,
    object: Type.Literal('api_key'),
    user_id: Str,
    name: Str,
    prefix: Type.String({ description: 'The first characters of the key, to recognise it' }),
    created_at: At,
    last_used_at: Instant,
    revoked_at: Instant,
  },
  { $id: 'ApiKey', description: 'An API key, without the key itself' },
);

export const CreatedApiKeySchema = Obj(
  {
    id: Str,
    object: Type.Literal('api_key'),
    key: Type.String({ description: 'The key: shown in this answer only' }),
    prefix: Str,
    user_id: Str,
    name: Str,
  },
  { $id: 'CreatedApiKey' },
);

// ---- teams, agents, routing -------------------------------------------------------------------

export const TeamSummarySchema = Obj(
  { id: Str, object: Type.Literal('team'), name: Str, member_ids: Type.Array(Str), created_at: At },
  { $id: 'TeamSummary', description: 'A team in the list: its members by id (GET /v1/teams/{id} has the agents and settings)' },
);

const AgentStatus = OneOf(['online', 'offline', 'busy'] as const);
export const AgentSchema = Obj(
  {
    user_id: Str,
    object: Type.Literal('agent'),
    name: Str,
    role: OneOf(['owner', 'admin', 'supervisor', 'agent'] as const),
    status: AgentStatus,
    effective_status: Type.Unsafe<'online' | 'offline' | 'busy'>({ type: 'string', enum: ['online', 'offline', 'busy'], description: 'What routing uses now: the schedule decides when one is set' }),
    mobile: NullableStr,
    schedule: Nullable(Obj({ time_zone: Str, weekly: Type.Record(Type.String(), ReadonlyArray(Range), { description: 'mon … sun' }) })),
    status_changed_at: Instant,
  },
  { $id: 'Agent' },
);

export const TeamSchema = Obj(
  {
    id: Str,
    object: Type.Literal('team'),
    name: Str,
    settings: Obj({ sms_if_unavailable: Type.Boolean(), unavailable_text: Str, ring_timeout_seconds: Int }),
    members: Type.Array(RefTo(AgentSchema)),
    created_at: At,
    updated_at: At,
  },
  { $id: 'Team' },
);

export const NumberRoutingSchema = Obj(
  {
    number_id: Str,
    object: Type.Literal('number_routing'),
    phone: Str,
    team_id: NullableStr,
    forward_texts: OneOf(['off', 'all', 'online'] as const),
    queue_id: NullableStr,
  },
  { $id: 'NumberRouting' },
);

export const AgentCallSchema = Obj(
  {
    id: Str,
    object: Type.Literal('agent_call'),
    user_id: Str,
    from: Str,
    to: Str,
    carrier: Str,
    state: OneOf(['ringing', 'answered', 'missed', 'cancelled'] as const),
    lead_id: Type.Optional(Str),
    contact_id: Type.Optional(Str),
    rings_until: Type.Optional(Instant),
    created_at: At,
    ended_at: Instant,
  },
  { $id: 'AgentCall', description: 'A speed-to-lead ring to an agent' },
);

// ---- queues ------------------------------------------------------------------------------------

export const QueueSchema = Obj(
  {
    id: Str,
    object: Type.Literal('queue'),
    name: Str,
    initiation_keyword: Str,
    initiation_message: Type.Optional(Str),
    initiation_needed_message: Type.Optional(Str),
    termination_keyword: Str,
    termination_message: Type.Optional(Str),
    no_agents_message: Type.Optional(Str),
    strategy: Type.Optional(OneOf(['round_robin', 'longest_idle', 'ring_all'] as const)),
    invite_timeout_seconds: Type.Optional(Int),
    invite_by_sms: Type.Optional(Type.Boolean()),
    numbers: Type.Array(Str, { description: 'Business numbers (E.164) whose texts it answers' }),
    created_at: At,
    updated_at: At,
  },
  { $id: 'Queue' },
);

export const QueueAgentSchema = Obj(
  {
    queue_id: Str,
    user_id: Str,
    object: Type.Literal('queue_agent'),
    sms_enabled: Type.Boolean(),
    max_sessions: Int,
    active_sessions: Int,
    last_offered_at: Instant,
    last_accepted_at: Instant,
    last_ended_at: Instant,
  },
  { $id: 'QueueAgent' },
);

export const QueueSessionSchema = Obj(
  {
    id: Str,
    object: Type.Literal('queue_session'),
    queue_id: Str,
    number_id: Str,
    contact_id: Str,
    originator: Str,
    state: OneOf(['waiting', 'active', 'ended'] as const),
    agent_id: NullableStr,
    end_reason: Nullable(Type.String({ description: 'agent, originator, opted_out, terminated, timed_out, no_agents' })),
    created_at: At,
    accepted_at: Instant,
    ended_at: Instant,
    invites: Type.Optional(Type.Array(Obj({ user_id: Str, state: Str, expires_at: At }))),
  },
  { $id: 'QueueSession' },
);

const QueueTotals = {
  sms_vol: Type.Integer({ description: 'SMS_VOL: sessions handled (accepted by an agent)' }),
  sms_aht_seconds: Nullable(Type.Number({ description: 'SMS_AHT: average handle time, accept to end' })),
  avg_wait_seconds: Nullable(Type.Number({ description: 'Average wait from the keyword to the accept' })),
};
export const QueueStatisticsSchema = Obj(
  {
    object: Type.Literal('queue_statistics'),
    queue_id: Str,
    from: Instant,
    to: Instant,
    totals: Obj({ ...QueueTotals, abandoned: Int, no_agents: Int }),
    agents: Type.Array(Obj({ ...QueueTotals, user_id: Str })),
  },
  { $id: 'QueueStatistics' },
);

// ---- compliance --------------------------------------------------------------------------------

export const SuppressionSchema = Obj(
  {
    object: Type.Literal('suppression'),
    phone: Str,
    reason: Str,
    source: Type.String({ description: 'api, import, carrier' }),
    created_at: At,
    created_by: NullableStr,
  },
  { $id: 'Suppression' },
);

export const SuppressionImportSchema = Obj(
  {
    lines: Type.Integer({ description: 'Data lines read (blank lines and the header excluded)' }),
    header: Type.Boolean(),
    imported: Int,
    already_suppressed: Int,
    rejected_count: Int,
    rejected_by_code: Obj({ invalid_number: Int, duplicate: Int, malformed: Int }),
    rejected: Type.Array(Obj({ line: Int, value: Str, code: OneOf(['invalid_number', 'duplicate', 'malformed'] as const), detail: Str })),
    rejected_truncated: Type.Boolean(),
  },
  { $id: 'SuppressionImport', description: 'What a CSV import did, with each rejected line' },
);

const ConsentState = OneOf(['opted_in', 'implied', 'opted_out', 'unknown'] as const);
export const ConsentEventSchema = Obj(
  {
    id: Str,
    object: Type.Literal('consent_event'),
    contact_id: Str,
    phone: Str,
    number_id: NullableStr,
    state: OneOf(['opted_in', 'implied', 'opted_out'] as const),
    source: Type.String({ description: 'keyword, message, call, form, manual, import, carrier' }),
    actor: Obj({ type: OneOf(['contact', 'agent', 'system'] as const), id: NullableStr }),
    evidence: Json,
    created_at: At,
  },
  { $id: 'ConsentEvent' },
);
const ConsentEventRef = RefTo(ConsentEventSchema);

export const ConsentSchema = Obj(
  {
    object: Type.Literal('consent'),
    contact_id: Str,
    phone: Str,
    scope: OneOf(['universal', 'per_number'] as const),
    state: ConsentState,
    opted_out_by: Nullable(OneOf(['contact', 'agent', 'system'] as const)),
    updated_at: Nullable(Type.String({ format: 'date-time', description: 'The last change; null when nothing was ever recorded' })),
    ledger: Type.Array(ConsentEventRef),
  },
  { $id: 'Consent' },
);

export const ConsentChangeSchema = Obj(
  {
    object: Type.Literal('consent'),
    contact_id: Str,
    state: ConsentState,
    changed: Type.Boolean({ description: 'false: it already was so (nothing recorded)' }),
    event: Type.Optional(ConsentEventRef),
  },
  { $id: 'ConsentChange' },
);

export const ComplianceSettingsSchema = Obj(
  {
    consent_scope: OneOf(['universal', 'per_number'] as const),
    quiet_hours: Type.Boolean(),
    quiet_hours_exempt_live_conversation: Type.Boolean(),
    automated_cap_per_24h: Nullable(Int),
    automated_requires_consent: Type.Boolean(),
    allowed_countries: Type.Array(Str),
    landline_policy: OneOf(['block', 'flag', 'allow'] as const),
    opt_out_language: NullableStr,
    help_text: NullableStr,
    opt_out_text: NullableStr,
    opt_in_text: NullableStr,
    auto_suppress_after_failures: Nullable(Int),
  },
  { $id: 'ComplianceSettings' },
);

export const NumberComplianceSchema = Obj(
  {
    id: Str,
    object: Type.Literal('number'),
    phone: Str,
    sender_type: OneOf(['long_code', 'toll_free', 'short_code'] as const),
    rate_per_second: Nullable(Int),
    effective_rate_per_second: Num,
    min_interval_ms: Num,
    daily_cap: Nullable(Int),
    texts: Obj({ help_text: Type.Optional(NullableStr), opt_out_text: Type.Optional(NullableStr), opt_in_text: Type.Optional(NullableStr) }),
  },
  { $id: 'NumberCompliance' },
);

// ---- automations, leads, timeline ----------------------------------------------------------------

/** Steps are validated by the domain (docs/automations.md); each carries its own fields by type. */
const Step = Type.Object(
  { type: OneOf(STEP_TYPES), note: Type.Optional(Str) },
  { additionalProperties: true, description: 'A step: its fields depend on its type (docs/automations.md)' },
);
export const AutomationSchema = Obj(
  {
    id: Str,
    object: Type.Literal('automation'),
    name: Str,
    state: OneOf(['draft', 'active', 'paused'] as const),
    priority: Num,
    scope: Obj({ numbers: Type.Union([Type.Literal('all'), ReadonlyArray(Str)]), extensions: Type.Optional(ReadonlyArray(Str)) }),
    trigger: Obj({ type: OneOf(['call.completed', 'lead.created', 'message.received', 'message.not_replied'] as const), after: Type.Optional(Str) }),
    steps: ReadonlyArray(Step),
    preset: NullableStr,
    created_at: At,
    updated_at: At,
  },
  { $id: 'Automation' },
);

export const AutomationRunSchema = Obj(
  {
    id: Str,
    object: Type.Literal('automation_run'),
    automation_id: Str,
    contact_id: Str,
    trigger: Str,
    event: Type.Unknown({ description: 'The facts of the triggering event (no message bodies)' }),
    status: OneOf(['waiting', 'running', 'completed', 'stopped', 'cancelled', 'failed'] as const),
    outcome: NullableStr,
    next_at: Instant,
    created_at: At,
    finished_at: Instant,
    steps: Type.Array(Obj({ at: At, step: Str, type: Str, message: Str })),
  },
  { $id: 'AutomationRun' },
);

const CallFacts = Obj({ outcome: Str, direction: Str, durationSeconds: Type.Optional(Int), number: Type.Optional(Str) });
export const DryRunSchema = Obj(
  {
    data: Type.Array(
      Obj({
        event: Obj({ type: Str, at: Str, number: NullableStr, call: Nullable(CallFacts), contact: Obj({ id: Str, phone: Str }) }),
        matched: Type.Boolean(),
        reason: Str,
        would_send: Type.Array(Obj({ at: Str, to: Str, body: Str, step: Str, variant: NullableStr })),
        steps: Type.Array(Obj({ at: Str, step: Str, type: Str, message: Str, note: Type.Optional(Type.String({ description: "The step's note, when it has one" })) })),
        outcome: Str,
      }),
    ),
    would_send: Type.Integer({ description: 'Texts it would send, over every event' }),
  },
  { $id: 'DryRun' },
);

export const TimelineEntrySchema = Obj(
  {
    at: Str,
    kind: OneOf(['call', 'message', 'automation', 'team', 'note', 'reply_agent'] as const),
    id: Str,
    summary: Str,
    data: Json,
  },
  { $id: 'TimelineEntry' },
);

export const LeadSchema = Obj(
  { id: Str, object: Type.Literal('lead'), contact_id: Str, source: NullableStr, fields: Json, external_id: NullableStr, created_at: At },
  { $id: 'Lead' },
);

// ---- sandbox -------------------------------------------------------------------------------------

export const HandsetMessageSchema = Obj(
  {
    id: Str,
    direction: Type.Union([Type.Literal('received'), Type.Literal('sent')], { description: 'received: the handset got it from your number; sent: it texted your number' }),
    handset: Str,
    business_number: Str,
    body: Str,
    status: Str,
    error_code: NullableStr,
    created_at: At,
  },
  { $id: 'HandsetMessage' },
);

// ---- carrier accounts --------------------------------------------------------------------------

const WebhookUrls = Obj({ messages: Str, calls: Str, status: Type.Optional(Str) });
const Setup = Nullable(
  Obj({
    configured: Type.Array(Obj({ target: Str, field: Str, url: Str })),
    manual: Type.Array(Obj({ target: Str, field: Str, url: Str, why: Str })),
  }),
);
const carrierAccountFields = {
  id: Str,
  object: Type.Literal('carrier_account'),
  kind: OneOf(['twilio', 'telnyx', 'bandwidth', 'sandbox'] as const),
  carrier: OneOf(['twilio', 'telnyx', 'bandwidth', 'sandbox'] as const, { description: 'The same as kind' }),
  name: Str,
  public_base_url: NullableStr,
  api_base_url: NullableStr,
  settings: Type.Record(Type.String(), Type.String()),
  credentials: Type.Record(Type.String(), Type.Literal('set'), { description: 'Which credentials are stored, never their values' }),
  webhooks: WebhookUrls,
  numbers: Type.Integer({ description: 'Numbers sending through it' }),
  created_at: At,
  callback_credentials: Type.Optional(Obj({ username: Str, password: Str }, { description: "Bandwidth: the callback credentials to set on the application, shown once (when generated)" })),
};
export const CarrierAccountSchema = Obj(carrierAccountFields, { $id: 'CarrierAccount' });

export const CarrierWebhooksSchema = Obj(
  { webhooks: WebhookUrls, public_base_url: NullableStr, steps: Type.Array(Str), webhook_setup: Type.Optional(Setup) },
  { $id: 'CarrierWebhooks', description: 'The webhook URLs to paste and where; after configure, what was set through the API' },
);

const numberFields = NumberSchema.properties;
export const AccountNumberSchema = Obj(
  {
    ...numberFields,
    created: Type.Optional(Type.Boolean({ description: 'Import: newly registered (false: it was already)' })),
    released: Type.Optional(Type.Boolean()),
    kept_for_history: Type.Optional(Type.Boolean({ description: 'Released but kept (it has texts, calls or consent records)' })),
  },
  { $id: 'AccountNumber', description: 'A number of a carrier account' },
);

export const NumberImportSchema = Obj(
  {
    imported: Type.Array(RefTo(AccountNumberSchema)),
    skipped: Type.Array(Obj({ phone: Str, reason: Str })),
    webhooks: WebhookUrls,
    webhook_setup: Setup,
  },
  { $id: 'NumberImport' },
);

export const AvailableNumberSchema = Obj(
  {
    phone: Str,
    locality: NullableStr,
    region: NullableStr,
    country: Str,
    capabilities: Obj({ sms: Type.Boolean(), voice: Type.Boolean(), mms: Type.Boolean() }),
    monthly_price: Type.Optional(Type.String({ description: 'As the carrier says it: "1.15 USD"' })),
  },
  { $id: 'AvailableNumber' },
);

// ---- webhook endpoints -----------------------------------------------------------------------

export const WebhookEndpointSchema = Obj(
  {
    id: Str,
    object: Type.Literal('webhook_endpoint'),
    url: Str,
    events: Type.Array(Str),
    description: NullableStr,
    include_bodies: Type.Boolean(),
    state: OneOf(['enabled', 'disabled'] as const),
    disabled_reason: NullableStr,
    failing_since: Instant,
    consecutive_failures: Int,
    created_at: At,
    updated_at: At,
    secret: Type.Optional(Type.String({ description: 'The signing secret (whsec_…): only in the answers to creation and rotation' })),
  },
  { $id: 'WebhookEndpoint' },
);

export const WebhookDeliverySchema = Obj(
  {
    id: Str,
    object: Type.Literal('webhook_delivery'),
    endpoint_id: Str,
    event_type: Str,
    state: OneOf(['pending', 'succeeded', 'failed', 'cancelled'] as const),
    attempt_count: Int,
    next_attempt_at: Instant,
    last_response_code: Nullable(Int),
    created_at: At,
    payload: Type.Unknown({ description: 'The event as delivered' }),
    attempts: Type.Array(
      Obj({ at: At, status: OneOf(['succeeded', 'failed'] as const), latency_ms: Int, response_code: Nullable(Int), response_body: NullableStr, error: NullableStr }),
    ),
  },
  { $id: 'WebhookDelivery' },
);


// ---- search ------------------------------------------------------------------------------------

/** A node of a parsed query: and/or (items), not (item), text (value), sms/call (where), field (scope, field, test). */
const QueryNode = Type.Object(
  { kind: Type.String({ description: 'and, or, not, text, sms, call, field' }), pos: Type.Integer({ description: 'Where it starts in the query' }), end: Type.Integer() },
  { additionalProperties: true, description: 'A term of the query: its kind, its place (pos..end) and the fields of its kind' },
);
export const SearchExplainSchema = Obj(
  {
    object: Type.Literal('search'),
    query: Str,
    time_zone: Str,
    sort: Obj({ field: Str, direction: OneOf(['asc', 'desc'] as const) }),
    where: Nullable(QueryNode),
  },
  { $id: 'SearchExplain', description: 'The parsed query, each term with its position' },
);

export const SearchFieldsSchema = Obj(
  {
    fields: Type.Array(Obj({ name: Str, scope: Str, type: Str, meaning: Str, values: Type.Optional(Type.Array(Str)) })),
    has: Type.Array(Obj({ name: Str, meaning: Str, means: Type.String({ description: 'The query it stands for' }) })),
    sortable: ReadonlyArray(Str),
  },
  { $id: 'SearchFields' },
);


// ---- analytics (docs/analytics.md) -------------------------------------------------------------

const Counts = Type.Record(Type.String(), Num);
const Rate = Nullable(Type.Number({ description: 'A fraction 0..1; null when there is nothing to divide by' }));
const Seconds = Nullable(Num);
/** Every metric of a range or group (docs/analytics.md): counts, rates (fractions 0..1) and times in seconds. */
const metricFields = {
  missed_calls: Num,
  calls_by_outcome: Counts,
  texts_created: Num,
  texts_sent: Num,
  delivered: Num,
  failed: Num,
  failed_by_reason: Counts,
  failed_by_error_code: Counts,
  held: Num,
  held_by_rule: Counts,
  blocked: Num,
  blocked_by_rule: Counts,
  segments: Num,
  cost: Type.Null({ description: 'Not known yet' }),
  delivery_rate: Rate,
  block_rate: Rate,
  text_backs_sent: Num,
  text_backs_delivered: Num,
  contacts_texted_back: Num,
  replied: Num,
  reply_rate: Rate,
  median_time_to_first_reply_seconds: Seconds,
  p90_time_to_first_reply_seconds: Seconds,
  called_back: Num,
  callback_conversion: Rate,
  opted_out: Num,
  opt_out_rate: Rate,
  agent_responses: Num,
  median_agent_first_response_seconds: Seconds,
  p90_agent_first_response_seconds: Seconds,
  sms_vol: Num,
  sms_aht_seconds: Seconds,
  queue_avg_wait_seconds: Seconds,
  queue_abandoned: Num,
};
const rangeFields = { from: Type.String({ format: 'date-time' }), to: Type.String({ format: 'date-time' }), tz: Str };
const Dimension = OneOf(['automation', 'variant', 'number', 'team', 'agent', 'hour', 'weekday', 'source'] as const);

export const AnalyticsSummarySchema = Obj(
  {
    object: Type.Literal('analytics_summary'),
    ...rangeFields,
    reply_window_days: Num,
    callback_window_days: Num,
    business_hours: Type.Boolean({ description: 'Times to first reply count business hours only' }),
    ...metricFields,
  },
  { $id: 'AnalyticsSummary' },
);

export const AnalyticsTimeseriesSchema = Obj(
  {
    object: Type.Literal('analytics_timeseries'),
    ...rangeFields,
    by: OneOf(['day', 'week', 'month'] as const),
    data: Type.Array(Obj({ bucket: Type.String({ description: '2026-03-01, 2026-W09 or 2026-03' }), start: Type.String({ format: 'date-time' }), end: Type.String({ format: 'date-time' }), ...metricFields })),
  },
  { $id: 'AnalyticsTimeseries' },
);

export const AnalyticsBreakdownSchema = Obj(
  {
    object: Type.Literal('analytics_breakdown'),
    ...rangeFields,
    by: Dimension,
    data: Type.Array(Obj({ key: Type.String({ description: 'The group: an id, an hour, a weekday, a source, or "none"' }), ...metricFields })),
  },
  { $id: 'AnalyticsBreakdown' },
);

const FunnelStages = Type.Array(
  Obj({
    stage: OneOf(['missed_calls', 'texts_sent', 'delivered', 'replied', 'called_back', 'opted_out'] as const),
    count: Num,
    rate_from_previous: Rate,
  }),
);
export const AnalyticsFunnelSchema = Obj(
  {
    object: Type.Literal('analytics_funnel'),
    ...rangeFields,
    reply_window_days: Num,
    callback_window_days: Num,
    by: Nullable(Dimension),
    stages: Type.Optional(FunnelStages),
    data: Type.Optional(Type.Array(Obj({ key: Str, stages: FunnelStages }))),
  },
  { $id: 'AnalyticsFunnel', description: 'Without `by`: the stages; with it: the stages of each group (data)' },
);

export const AnalyticsHeatmapSchema = Obj(
  {
    object: Type.Literal('analytics_heatmap'),
    ...rangeFields,
    weekdays: Type.Array(Str, { description: 'mon … sun: the rows' }),
    hours: Type.Integer({ description: '24: the columns' }),
    missed_calls: Type.Array(Type.Array(Num)),
    replies: Type.Array(Type.Array(Num)),
  },
  { $id: 'AnalyticsHeatmap' },
);

export const AnalyticsExperimentSchema = Obj(
  {
    object: Type.Literal('analytics_experiment'),
    automation_id: Str,
    ...rangeFields,
    reply_window_days: Num,
    rules: Obj({ min_delivered: Num, min_chance_to_beat: Num, max_expected_loss: Num }),
    verdict: OneOf(['winner', 'too_early_to_tell'] as const),
    winner: NullableStr,
    more_texts_needed: Nullable(Num),
    reason: Str,
    variants: Type.Array(
      Obj({
        id: Str,
        delivered: Num,
        replies: Num,
        reply_rate: Rate,
        reply_rate_interval: Nullable(Obj({ low: Num, high: Num }, { description: '95% Wilson interval' })),
        chance_to_beat: Num,
        expected_loss: Num,
        texts_sent: Num,
        callback_conversion: Rate,
        opt_out_rate: Rate,
      }),
    ),
  },
  { $id: 'AnalyticsExperiment' },
);

/** Every component above, for server.ts to register (each becomes components.schemas.<$id>). */
export const RESOURCE_SCHEMAS: TSchema[] = [
  BusinessHoursSchema,
  OrganizationSettingsSchema,
  OrganizationSchema,
  NumberSchema,
  UserSchema,
  ApiKeySchema,
  CreatedApiKeySchema,
  TeamSummarySchema,
  AgentSchema,
  TeamSchema,
  NumberRoutingSchema,
  AgentCallSchema,
  QueueSchema,
  QueueAgentSchema,
  QueueSessionSchema,
  QueueStatisticsSchema,
  SuppressionSchema,
  SuppressionImportSchema,
  ConsentEventSchema,
  ConsentSchema,
  ConsentChangeSchema,
  ComplianceSettingsSchema,
  NumberComplianceSchema,
  AutomationSchema,
  AutomationRunSchema,
  DryRunSchema,
  TimelineEntrySchema,
  LeadSchema,
  HandsetMessageSchema,
  CarrierAccountSchema,
  CarrierWebhooksSchema,
  AccountNumberSchema,
  NumberImportSchema,
  AvailableNumberSchema,
  WebhookEndpointSchema,
  WebhookDeliverySchema,
  SearchExplainSchema,
  SearchFieldsSchema,
  AnalyticsSummarySchema,
  AnalyticsTimeseriesSchema,
  AnalyticsBreakdownSchema,
  AnalyticsFunnelSchema,
  AnalyticsHeatmapSchema,
  AnalyticsExperimentSchema,
];
