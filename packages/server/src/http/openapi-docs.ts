/**
 * The words of the API documentation (/openapi.json, /docs) that are not beside their route: the
 * areas (tags) with what each is for, and a summary and description for every operation whose route
 * does not give its own. A route's own `summary` or `description` wins. test/api/openapi-health.test.ts
 * fails when an operation has none.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';

/** The areas of the API, in the order /docs shows them. */
export const TAGS: { name: string; description: string }[] = [
  { name: 'messages', description: 'Send texts (now, scheduled, in batches), read them and their delivery status, cancel scheduled ones.' },
  { name: 'conversations', description: 'The inbox: one conversation per contact and business number, with unread counts.' },
  { name: 'contacts', description: 'The people you text: phone, name, attributes, and their timeline and consent.' },
  { name: 'calls', description: 'Finished calls reported by a PBX, phone system or CRM, classified answered, missed, voicemail, too short or answered elsewhere.' },
  { name: 'leads', description: 'New leads from forms, email parsers and CRMs; each starts lead.created automations.' },
  { name: 'automations', description: 'Automations (missed-call text-back and others): documents with a trigger, a scope and steps; runs, dry runs and timelines. See docs/automations.md.' },
  { name: 'compliance', description: 'Consent ledger, STOP/START/HELP texts, suppression list, quiet hours, caps and countries. See docs/compliance.md.' },
  { name: 'numbers', description: "The organization's business numbers: register, change, delete; their routing and compliance settings." },
  { name: 'callbacks', description: 'Callback tasks the reply agent books when a contact asks to be called at a time, with a reminder at the due time. See docs/reply-agent.md.' },
  { name: 'teams', description: 'Teams of agents, their members and the text sent when nobody is available. See docs/teams.md.' },
  { name: 'agents', description: "Agents' status, phone and schedule, and speed-to-lead calls to them." },
  { name: 'queues', description: 'SMS queues: keywords, agents, sessions between an originator and an agent, statistics.' },
  { name: 'users', description: 'The people who use Textback and their roles: owner, admin, supervisor, agent.' },
  { name: 'api keys', description: 'API keys of users (admin): created, listed without their secret, revoked.' },
  { name: 'organization', description: "The organization's name, time zone, business hours and settings." },
  { name: 'carriers', description: 'Carrier accounts (Twilio, Telnyx, Bandwidth, sandbox): credentials, numbers and webhook URLs. See docs/carriers/.' },
  { name: 'jobs', description: "The scheduler's work for your organization (admin): sends, receipts, automation steps; retry a dead job." },
  { name: 'webhooks', description: 'Webhook subscriptions: URLs that receive signed events (Standard Webhooks), retried for three days, with a delivery log. See docs/integrations.md.' },
  { name: 'events', description: 'A live stream of what happens (server-sent events), resumable with Last-Event-ID.' },
  { name: 'sign-in', description: 'People sign in with email and password: an httpOnly session cookie, a CSRF token for every change, sign-out and password change. Scripts use API keys instead.' },
  { name: 'saved replies', description: "The organization's saved replies, with the automations' variables filled in per conversation." },
  { name: 'search', description: "Close's query language over contacts, conversations, texts and calls, and saved views. See docs/search.md." },
  { name: 'analytics', description: 'Whether text-back works: volume, the funnel, reply rates and times, experiments, by day, week or month and by automation, variant, number, team, agent, hour, weekday and source. See docs/analytics.md.' },
  { name: 'sandbox', description: 'The sandbox carrier: simulated handsets that text and call your numbers and receive your texts, and simulated failures.' },
];

interface Words {
  summary?: string;
  description: string;
}

/** By `METHOD /path` as routes are declared (`:id`). */
const OPERATIONS: Record<string, Words> = {
  'POST /v1/messages': {
    description:
      "Answers 201 with the message (200 when the Idempotency-Key was seen before: the same message, nothing sent twice). The text passes the compliance gate: it may come back `held` (quiet hours) or `blocked` (opted out, suppressed, ...). `to` is E.164 or a national number of the organization's default country; `from` must be one of the organization's numbers (404 unknown_number otherwise).",
  },
  'GET /v1/messages': {
    description:
      'Filter by contact, conversation, direction and status (several statuses separated by commas, e.g. `status=failed,undelivered`). Paginated: pass `limit` and the previous page\'s `next_cursor` as `cursor`. An unknown parameter or value is a 400 listing the accepted ones.',
  },
  'POST /v1/messages/preview': { description: 'How many segments a body takes in GSM-7 or UCS-2, and what smart encoding (replacing curly quotes and the like) would save. Sends nothing and stores nothing.' },
  'GET /v1/messages/:id': { summary: 'One message', description: 'The message with its status, reason and timestamps. Another organization\'s message is 404, like one that does not exist.' },
  'POST /v1/messages/:id/cancel': { description: 'Only a scheduled, held or queued text can be cancelled; any other status answers 409 invalid_state.' },
  'POST /v1/contacts': { summary: 'Create a contact', description: "A phone (E.164 or national in the organization's default country) and optional name, source, time zone and attributes. 409 when a contact with that phone exists." },
  'GET /v1/contacts': { description: 'Paginated with `limit` and `cursor`. `q` searches name and number; `source` filters by where the contact came from.' },
  'GET /v1/contacts/:id': { summary: 'One contact', description: 'The contact with its attributes. Its messages are at GET /v1/messages?contact=, its history at GET /v1/contacts/{id}/timeline.' },
  'PATCH /v1/contacts/:id': { summary: 'Change a contact', description: 'Only the fields given change. The phone identifies the contact and does not change here.' },
  'GET /v1/conversations': { summary: 'Conversations, newest activity first', description: 'The inbox. Filter by status (open, closed), contact or assigned user; paginated with `limit` and `cursor`.' },
  'GET /v1/conversations/:id': { summary: 'One conversation', description: 'The conversation between a contact and a business number, with its unread count.' },
  'POST /v1/conversations/:id/read': { description: 'Sets the unread count to zero.' },
  'POST /v1/conversations/:id/unread': { description: 'Marks the conversation unread again, as if its last inbound text had not been seen.' },
  'GET /v1/conversations/:id/notes': { description: 'Internal notes of the conversation, newest first: never sent to the contact.' },
  'POST /v1/conversations/:id/notes': { description: 'Adds an internal note (author: the signed-in user or the key\'s user). It is shown in the thread and the contact timeline, never sent.' },
  'GET /v1/search/explain': { description: 'The query as parsed: each clause with its position and dates resolved to instants in the zone (tz or X-TZ, else the organization\'s). A query that does not parse answers 400 invalid_query with its position.' },
  'GET /v1/search/fields': { description: 'Every field with its type, meaning and accepted values, for suggestions as a query is typed.' },
  'GET /v1/views': { description: 'Shared views of the organization and your personal ones, by name (no pagination).' },
  'POST /v1/views': { description: 'The query is checked as a search is; a shared view is seen by everyone in the organization.' },
  'GET /v1/views/:id': { summary: 'One saved view', description: "Someone else's personal view, or another organization's, answers 404." },
  'PATCH /v1/views/:id': { description: 'A shared view can be changed by its owner or an admin.' },
  'DELETE /v1/views/:id': { summary: 'Delete a saved view', description: 'By its owner, or an admin for a shared view; answers 204.' },
  'GET /v1/views/:id/export.csv': { description: 'Every contact the view finds, with its counters (failed_sms, sms_sent, sms_received, missed_calls, latest_sms_status), as CSV.' },
  'GET /v1/analytics/summary': { description: "The headline numbers of a range, named as in docs/analytics.md. `from` and `to` are dates (whole local days) or instants, `from` after `to` is a 400 naming both; days and hours are the organization's time zone unless `tz` names another. Rates are fractions from 0 to 1. JSON, or CSV with `Accept: text/csv` or `format=csv`. Supervisor and above." },
  'GET /v1/analytics/timeseries': { description: "Every metric per local day, week or month (`by`). `from` and `to` are dates (whole local days) or instants, `from` after `to` is a 400 naming both; days and hours are the organization's time zone unless `tz` names another. Rates are fractions from 0 to 1. JSON, or CSV with `Accept: text/csv` or `format=csv`. Supervisor and above." },
  'GET /v1/analytics/breakdown': { description: "Every metric per automation, variant, number, team, agent, hour of day, weekday or lead source (`by`); rows without one are under `none`, so the rows add up to the summary. `from` and `to` are dates (whole local days) or instants, `from` after `to` is a 400 naming both; days and hours are the organization's time zone unless `tz` names another. Rates are fractions from 0 to 1. JSON, or CSV with `Accept: text/csv` or `format=csv`. Supervisor and above." },
  'GET /v1/analytics/funnel': { description: "Missed calls, texts sent, delivered, replied, called back and opted out, optionally per `by`. `from` and `to` are dates (whole local days) or instants, `from` after `to` is a 400 naming both; days and hours are the organization's time zone unless `tz` names another. Rates are fractions from 0 to 1. JSON, or CSV with `Accept: text/csv` or `format=csv`. Supervisor and above." },
  'GET /v1/analytics/heatmap': { description: "Missed calls and first replies by weekday and local hour. `from` and `to` are dates (whole local days) or instants, `from` after `to` is a 400 naming both; days and hours are the organization's time zone unless `tz` names another. Rates are fractions from 0 to 1. JSON, or CSV with `Accept: text/csv` or `format=csv`. Supervisor and above." },
  'GET /v1/analytics/experiments/:id': { description: "An automation's A/B variants: delivered, replies, reply rate with its 95% Wilson interval, chance to beat the others, expected loss, and the verdict (a winner, or too early to tell and about how many more texts it needs). An automation without variants answers 409. `from` and `to` are dates (whole local days) or instants, `from` after `to` is a 400 naming both; days and hours are the organization's time zone unless `tz` names another. Rates are fractions from 0 to 1. JSON, or CSV with `Accept: text/csv` or `format=csv`. Supervisor and above." },
  'POST /v1/auth/login': { description: 'Answers the user, the organization and the CSRF token, and sets the session cookie. Unknown email and wrong password answer the same 401; repeated failures answer 429 with Retry-After.' },
  'GET /v1/auth/session': { description: 'A fresh CSRF token for the session; 401 without one.' },
  'GET /v1/me': { description: 'Works with a session or an API key (then csrf_token is null).' },
  'POST /v1/auth/logout': { description: 'Deletes the session and clears the cookie; 204.' },
  'POST /v1/auth/password': { description: 'A wrong current_password answers 400 naming it; the new password must be 10 to 200 characters.' },
  'GET /v1/sandbox/handsets': { description: 'Numbers that have texted or been texted through the sandbox, newest first, with their message count and any failure set for them.' },
  'GET /v1/saved-replies': { description: 'All of them, by name (no pagination). Variables: {Name}, {Agent}, {attr.<name>}, as in automations.' },
  'POST /v1/saved-replies': { description: 'The body is checked as a message body is (length, characters, variables).' },
  'GET /v1/saved-replies/:id': { summary: 'One saved reply', description: 'With its variables; another organization\'s id answers 404.' },
  'PATCH /v1/saved-replies/:id': { description: 'Name and body, each optional, checked as on creation.' },
  'DELETE /v1/saved-replies/:id': { description: 'Answers 204; conversations keep the texts sent with it.' },
  'GET /v1/conversations/:id/messages': { summary: "A conversation's messages, newest first", description: 'Paginated with `limit` and `cursor`.' },
  'POST /v1/calls': {
    description:
      'Report a finished call so that automations (missed-call text-back) can act on it. The call is classified from its status, duration and timestamps; a call already reported with the same external_id is answered again, not stored twice.',
  },
  'GET /v1/calls': { summary: 'Calls, newest first', description: 'Filter by contact or outcome (answered, missed, voicemail, too_short, answered_elsewhere); paginated with `limit` and `cursor`.' },
  'GET /v1/calls/:id': { summary: 'One call', description: 'The call with its outcome and the reason for it.' },
  'GET /v1/jobs': { description: 'Admin role. Filter by state and kind; paginated with `limit` and `cursor`. A dead job shows its last error.' },
  'POST /v1/jobs/:id/retry': { description: 'Admin role. The job runs again now, with its attempts counted from zero.' },
  'POST /v1/sandbox/messages': { description: 'The text arrives through the same inbound path as a real carrier\'s: stored, keywords (STOP, HELP) applied, automations started.' },
  'POST /v1/sandbox/webhooks/messages': { description: 'For testing webhook retries and ordering against the sandbox, exactly as carriers deliver them.' },
  'POST /v1/sandbox/calls': { description: 'Outcomes: answered, no-answer, busy, voicemail, failed, canceled. The call is recorded and classified like one from a real carrier.' },
  'GET /v1/sandbox/handsets/:number/messages': { description: 'Texts your numbers sent to this simulated handset (with their delivery) and the texts it sent.' },
  'PUT /v1/sandbox/destinations/:number': { description: 'Reasons: landline, unreachable, spam-filtered. Texts to the handset then end failed or undelivered with that reason, as a real carrier reports it.' },
  'GET /v1/events': { description: 'Events: message.created, message.received, message.status_changed, call.completed and more. `once=true` sends what is there and closes (for polling clients).' },
  'GET /v1/organization': { summary: 'Your organization', description: 'Name, time zone, business hours and settings (max_body_length, too_short_seconds, ...).' },
  'PATCH /v1/organization': { summary: 'Change your organization (admin)', description: 'Only the fields given change; settings are merged. Business hours are weekly opening times in the organization\'s time zone, plus holidays.' },
  'GET /v1/numbers': { description: 'Every number, oldest first, in one list (no pagination: it takes no query parameter).' },
  'GET /v1/teams': { summary: 'Teams', description: 'Every team with its member ids, in one list (no pagination).' },
  'POST /v1/teams': { description: 'A name, optional members and settings (ring timeout, the text sent when no agent is available).' },
  'GET /v1/users': { summary: 'Users', description: 'Every user of the organization with their role, in one list (no pagination).' },
  'POST /v1/users': { summary: 'Create a user (admin; owner to create an owner)', description: 'An email, a name and a role: owner, admin, supervisor or agent. Give them a key with POST /v1/api-keys.' },
  'GET /v1/users/:id': { summary: 'One user', description: 'The user with their role. Agent settings are at GET /v1/users/{id}/agent.' },
  'GET /v1/api-keys': { summary: 'API keys (admin)', description: 'Every key with its prefix, user, last use and revocation; never the key itself.' },
  'POST /v1/api-keys': { description: 'Admin role. The key has the role of its user. Store it: it is stored hashed and shown only here.' },
  'DELETE /v1/api-keys/:id': { description: 'Admin role. The key stops working at once in this process, within seconds elsewhere.' },
  'GET /v1/suppressions': { description: 'Numbers never texted, whatever their consent. Filter by reason or source; paginated with `limit` and `cursor`.' },
  'POST /v1/suppressions': { description: 'Texts to a suppressed number are blocked with reason `suppressed`.' },
  'GET /v1/suppressions/export': { description: 'text/csv, the whole list in one file (no pagination).' },
  'POST /v1/suppressions/import': { description: '`reason` (query) applies to lines without one. The report lists each rejected line with its reason.' },
  'GET /v1/suppressions/:number': { description: 'The entry for this number, or 404 when it is not suppressed.' },
  'DELETE /v1/suppressions/:number': { description: 'Texts to the number are allowed again, subject to its consent.' },
  'GET /v1/contacts/:id/consent': { description: 'Consent per business number or for every number, with who changed it, how and when.' },
  'POST /v1/contacts/:id/consent': { description: 'Appends to the ledger; nothing in it is ever changed or removed.' },
  'GET /v1/consent/export': { description: 'text/csv, the whole ledger in one file (no pagination), for audits.' },
  'GET /v1/compliance/settings': { description: 'Quiet hours, caps, allowed countries, landline handling and the STOP/START/HELP texts. See docs/compliance.md.' },
  'PATCH /v1/compliance/settings': { description: 'Only the fields given change.' },
  'GET /v1/numbers/:id/compliance': { description: 'Sender type (long code, toll-free, short code) decides the default rate.' },
  'PATCH /v1/numbers/:id/compliance': { description: "Only the fields given change; a keyword text set to null falls back to the organization's." },
  'GET /v1/automations': { summary: 'Automations', description: 'Every automation, highest priority first, in one list (no pagination).' },
  'POST /v1/automations': {
    summary: 'Create an automation (supervisor or above)',
    description: 'A document with name, state, priority, scope, trigger and steps (docs/automations.md). Errors point to the step (`steps[2].template`); a scope number that is not the organization\'s is 404 unknown_number.',
  },
  'POST /v1/automations/presets/missed-call-text-back': { description: 'Supervisor or above. The result is an ordinary automation: read it, dry-run it, change any step.' },
  'GET /v1/automations/:id': { summary: 'One automation', description: 'The automation\'s document, state and priority.' },
  'PATCH /v1/automations/:id': { summary: 'Change an automation (supervisor or above)', description: 'The fields given replace the document\'s (name, state, priority, scope, trigger, steps); the result is validated as on create.' },
  'DELETE /v1/automations/:id': { summary: 'Delete an automation (supervisor or above)', description: 'Deletes it with its runs and their history; waiting runs never continue. To keep the history, pause it instead.' },
  'GET /v1/automations/:id/runs': { description: 'Filter by contact or status; paginated with `limit` and `cursor`.' },
  'POST /v1/automations/:id/dry-run': { description: 'Nothing is sent or stored: use it to check a new automation against real traffic before turning it on.' },
  'GET /v1/contacts/:id/timeline': { description: 'Why each text was or was not sent, in one place.' },
  'POST /v1/leads': { description: 'Give a phone and any fields; they become contact attributes usable in templates.' },
  'GET /v1/teams/:id': { description: 'Members with their agent status and phone, and the team\'s settings.' },
  'PATCH /v1/teams/:id': { description: 'Only the fields given change.' },
  'PUT /v1/teams/:id/members/:userId': { description: 'Adding a member twice changes nothing.' },
  'DELETE /v1/teams/:id/members/:userId': { description: 'The user stays in the organization.' },
  'GET /v1/users/:id/agent': { description: 'The status routing uses now takes the weekly schedule into account.' },
  'PATCH /v1/users/:id/agent': { description: 'Only the fields given change. The phone is where speed-to-lead calls and SMS invites go.' },
  'PUT /v1/users/:id/status': { description: 'Forwarding, speed to lead and queues read it when they route the next text or lead.' },
  'GET /v1/numbers/:id/routing': { description: 'Where inbound texts to the number go.' },
  'PATCH /v1/numbers/:id/routing': { description: 'A number that serves a queue cannot forward its texts (409).' },
  'GET /v1/agent-calls': { description: 'Filter by state and user; `limit` caps the list (no cursor).' },
  'POST /v1/agent-calls/:id/answer': { description: 'The other agents stop being rung.' },
  'POST /v1/sandbox/agent-calls/:id/answer': { description: 'For trying speed to lead without a phone system.' },
  'GET /v1/queues': { description: 'Every queue with its keywords, texts and numbers, in one list (no pagination).' },
  'POST /v1/queues': { description: 'A name, the initiation and termination keywords, the texts sent and the numbers it serves.' },
  'GET /v1/queues/:id': { summary: 'One SMS queue', description: 'The queue with its keywords, texts, strategy and numbers.' },
  'PATCH /v1/queues/:id': { description: 'Only the fields given change.' },
  'DELETE /v1/queues/:id': { description: 'Its sessions, invites and agents go with it, and its numbers no longer serve a queue.' },
  'GET /v1/queues/:id/agents': { description: 'Per agent: whether SMS is enabled, their maximum and current sessions.' },
  'PUT /v1/queues/:id/agents/:userId': { description: 'An agent with SMS disabled or a maximum of 0 is not invited.' },
  'DELETE /v1/queues/:id/agents/:userId': { description: 'Supervisor or above.' },
  'GET /v1/queues/:id/statistics': { description: '`from` and `to` are dates or date-times; `from` after `to` is a 400 naming both.' },
  'GET /v1/queue-sessions': { description: 'Filter by state, queue and agent; paginated with `limit` and `cursor`.' },
  'GET /v1/queue-sessions/:id': { summary: 'One queue session', description: 'The session with its originator, agent, state and invites.' },
  'POST /v1/queue-sessions/:id/accept': { description: 'An agent who was not invited, or an invite already taken, is refused.' },
  'POST /v1/queue-sessions/:id/end': { description: 'A session already ended answers 409 invalid_state.' },
  'POST /v1/queue-sessions/:id/messages': { description: 'The text passes the compliance gate like any other.' },
  'POST /v1/carrier-accounts': { description: 'Admin role. Each kind needs its own credentials and settings (docs/carriers/); the response names the webhook URLs to set.' },
  'GET /v1/carrier-accounts': { description: 'Admin role. Every account in one list (no pagination), with its settings and webhook URLs, never its credentials.' },
  'GET /v1/carrier-accounts/:id': { summary: 'One carrier account', description: 'Its settings, the names of the credentials set (never their values), its webhook URLs and how many numbers use it.' },
  'PATCH /v1/carrier-accounts/:id': { description: 'Admin role. A setting or credential given as null or "" is removed where that is allowed.' },
  'DELETE /v1/carrier-accounts/:id': { description: 'Admin role. Refused (409) while numbers send through it, unless release_numbers=true.' },
  'POST /v1/carrier-accounts/:id/import-numbers': { description: 'Admin role. Numbers registered to another organization are skipped, each with the reason.' },
  'GET /v1/carrier-accounts/:id/webhooks': { description: "Admin role. The URLs are built from the account's public URL or PUBLIC_BASE_URL, which the carrier must be able to reach." },
  'POST /v1/carrier-accounts/:id/webhooks/configure': { description: "Admin role. Answers what was set; what the carrier's API cannot set is left to do by hand (GET /v1/carrier-accounts/{id}/webhooks says where)." },
};

/** Fills in the summary, description and tag of every route added to `app` from now on. */
export function documentOperations(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const words = methods.map((m) => OPERATIONS[`${m} ${route.url}`]).find(Boolean);
    if (!words) return;
    const schema = (route.schema ??= {}) as { summary?: string; description?: string };
    schema.summary ??= words.summary;
    schema.description ??= words.description;
  });
}
