/**
 * Webhook subscriptions (docs/integrations.md): an organization's endpoints, and the delivery of
 * every event they subscribe to, signed per Standard Webhooks
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md).
 *
 * - Enqueue: `enqueueWebhookDeliveries` runs where every event is written (use-cases/events.ts), in
 *   the event's transaction: a delivery row and its job, or nothing. An organization's enabled
 *   endpoints are cached per process (TTL 5 s; changes in this process are seen at once), so an
 *   organization without endpoints costs one map lookup per transaction.
 * - Delivery: a job of its own kind (`webhook.deliver`), one per delivery. The handler keeps its own
 *   schedule (about three days of retries, with jitter) by snoozing, records each attempt, and
 *   waits for an earlier pending delivery with the same ordering key (the event's subject).
 * - A failing endpoint holds at most MAX_IN_FLIGHT_FAILING of this process's job slots at a time (a
 *   healthy one MAX_IN_FLIGHT), each for at most the timeout; 410 Gone, or failing without a success for three days, disables it.
 */
import crypto from 'node:crypto';
import { transaction, type AppContext, type Tx } from '../app-context.js';
import { decryptCredentials, encryptCredentials, secretKey } from '../carriers/credentials.js';
import type { Db } from '../db/database.js';
import { insertRows } from '../db/insert-rows.js';
import type { WebhookAttempt, WebhookDelivery, WebhookEndpoint } from '../db/schema.js';
import { enqueue, enqueueMany } from '../jobs/job-queue.js';
import type { JobResult } from '../jobs/worker.js';
import { AppError, notFound } from '../support/errors.js';
import { newId } from '../support/ids.js';
import { TtlCache } from '../support/ttl-cache.js';
import { appendEvent, type NewEvent } from './events.js';
import { noticeFailure } from './notifications/failures.js';
import { deliveryErrorText, postWebhook, privateHostReason } from '../webhooks/outbound.js';
import { decodeCursor, olderThan, toPage, type Page } from './pagination.js';

export const WEBHOOK_DELIVERY_JOB = 'webhook.deliver';

/** The events an endpoint can subscribe to: the event log's types (docs/integrations.md). */
export const WEBHOOK_EVENT_TYPES = [
  'message.created',
  'message.status_changed',
  'message.received',
  'message.not_replied',
  'call.completed',
  'contact.consent_changed',
  'lead.created',
  'automation.run_finished',
  'queue.session_created',
  'queue.session_accepted',
  'queue.session_ended',
  'suppression.added',
  'suppression.removed',
  'webhook_endpoint.disabled',
] as const;

/** Waits before retry n (1-based): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 20 h ≈ 3 days in all. */
export const RETRY_SCHEDULE_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000, 72_000_000, 72_000_000];
/** An endpoint failing without a single success for this long is disabled. */
export const DISABLE_AFTER_MS = 3 * 24 * 3600_000;
/**
 * Attempts of one endpoint running at once in one process (of WORKER_CONCURRENCY, 32 by default):
 * a healthy endpoint may use most slots, a failing one (timeouts, errors) only a few.
 */
export const MAX_IN_FLIGHT = 24;
export const MAX_IN_FLIGHT_FAILING = 4;
export const MAX_URL_LENGTH = 2048;
const RESPONSE_BODY_CHARS = 1000;
const CACHE_TTL_MS = 5_000;

interface EndpointRoute {
  id: string;
  all: boolean;
  events: Set<string>;
}

const caches = new WeakMap<Db, TtlCache<string, EndpointRoute[]>>();
function cacheOf(db: Db): TtlCache<string, EndpointRoute[]> {
  let cache = caches.get(db);
  if (!cache) {
    cache = new TtlCache(CACHE_TTL_MS);
    caches.set(db, cache);
  }
  return cache;
}

function parseEvents(json: string): string[] {
  return JSON.parse(json) as string[];
}

/** The enabled endpoints of an organization, from the cache or the database. */
async function routesOf(tx: Tx, ctx: AppContext, orgId: string): Promise<EndpointRoute[]> {
  const cache = cacheOf(ctx.db);
  const hit = cache.get(orgId);
  if (hit) return hit;
  const rows = await tx.selectFrom('webhook_endpoints').select(['id', 'events']).where('org_id', '=', orgId).where('state', '=', 'enabled').execute();
  const routes = rows.map((r) => {
    const events = parseEvents(r.events);
    return { id: r.id, all: events.includes('*'), events: new Set(events) };
  });
  cache.set(orgId, routes);
  return routes;
}

/** False when every organization of these events is known (cached) to have no enabled endpoint: no work at all. */
export function mayHaveWebhooks(ctx: AppContext, events: ReadonlyArray<{ event: NewEvent }>): boolean {
  const cache = cacheOf(ctx.db);
  for (const { event } of events) {
    const routes = cache.get(event.orgId);
    if (routes === undefined || routes.length > 0) return true;
  }
  return false;
}

/** The ordering key of an event: its subject (a text's events, a call's, a contact's go out in order). */
const orderingKey = (e: NewEvent) => `${e.subjectType}:${e.subjectId}`;

/**
 * Called with the events of a transaction as they are written: one delivery and one job per event
 * and subscribed endpoint, in the same transaction.
 */
export async function enqueueWebhookDeliveries(tx: Tx, ctx: AppContext, events: ReadonlyArray<{ event: NewEvent; at: number }>): Promise<void> {
  const routes = new Map<string, EndpointRoute[]>();
  for (const { event } of events) {
    if (!routes.has(event.orgId)) routes.set(event.orgId, await routesOf(tx, ctx, event.orgId));
  }
  const deliveries: WebhookDelivery[] = [];
  const now = ctx.clock.now();
  for (const { event, at } of events) {
    for (const route of routes.get(event.orgId)!) {
      if (!route.all && !route.events.has(event.type)) continue;
      deliveries.push({
        id: newId('msg'),
        org_id: event.orgId,
        endpoint_id: route.id,
        event_type: event.type,
        ordering_key: orderingKey(event),
        payload: JSON.stringify({
          type: event.type,
          timestamp: new Date(at).toISOString(),
          data: { object: event.subjectType, id: event.subjectId, ...(event.data ?? {}) },
        }),
        state: 'pending',
        attempts: 0,
        next_attempt_at: now,
        last_response_code: null,
        created_at: now,
        updated_at: now,
      });
    }
  }
  if (deliveries.length === 0) return;
  await insertRows(tx, 'webhook_deliveries', deliveries);
  await enqueueMany(
    tx,
    ctx.clock,
    deliveries.map((d) => ({ kind: WEBHOOK_DELIVERY_JOB, orgId: d.org_id, payload: { deliveryId: d.id }, uniqueKey: `webhook:${d.id}`, maxAttempts: 1000 })),
  );
}

// ---------------------------------------------------------------------------------------------
// Endpoints

export interface EndpointInput {
  url?: string;
  events?: string[];
  description?: string | null;
  includeBodies?: boolean;
  enabled?: boolean;
}

/** `whsec_` and 24 random bytes in base64, the Standard Webhooks form. */
export function newWebhookSecret(): string {
  return `whsec_${crypto.randomBytes(24).toString('base64')}`;
}

export function validateWebhookUrl(url: string, allowPrivate = false): string {
  const bad = (message: string) => new AppError('validation_failed', `url: ${message}`, [{ field: 'url', message }]);
  if (url.length > MAX_URL_LENGTH) throw bad(`must be at most ${MAX_URL_LENGTH} characters`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw bad('must be an absolute URL, e.g. https://crm.example.com/textback');
  }
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && local)) {
    throw bad('must use https (http is accepted only for localhost, 127.0.0.1 and [::1])');
  }
  if (parsed.username || parsed.password) throw bad('must not contain credentials (user:password@); receivers verify the signature instead');
  if (parsed.hash) throw bad('must not contain a #fragment');
  const reason = allowPrivate ? null : privateHostReason(parsed);
  if (reason) throw bad(`${reason}: this server does not deliver to its own machine or a private network unless WEBHOOK_ALLOW_PRIVATE_URLS=true is set`);
  return parsed.toString();
}

export function validateWebhookEvents(events: string[]): string[] {
  const accepted = `accepted: ${WEBHOOK_EVENT_TYPES.join(', ')}, or ["*"] for all`;
  if (events.length === 0) throw new AppError('validation_failed', 'events: at least one event', [{ field: 'events', message: `at least one event (${accepted})` }]);
  const known = new Set<string>(WEBHOOK_EVENT_TYPES);
  const errors = events.flatMap((e, i) => (e === '*' || known.has(e) ? [] : [{ field: `events/${i}`, message: `unknown event ${JSON.stringify(e)} (${accepted})` }]));
  if (events.includes('*') && events.length > 1) errors.push({ field: 'events', message: '"*" subscribes to every event and stands alone' });
  if (errors.length > 0) throw new AppError('validation_failed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
  return [...new Set(events)];
}

export async function createWebhookEndpoint(
  ctx: AppContext,
  orgId: string,
  input: Required<Pick<EndpointInput, 'url' | 'events'>> & EndpointInput,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const url = validateWebhookUrl(input.url, ctx.config.webhookAllowPrivateUrls);
  const events = validateWebhookEvents(input.events);
  const id = newId('we');
  const secret = newWebhookSecret();
  const now = ctx.clock.now();
  const endpoint: WebhookEndpoint = {
    id,
    org_id: orgId,
    url,
    events: JSON.stringify(events),
    description: input.description ?? null,
    include_bodies: input.includeBodies === false ? 0 : 1,
    secret: encryptCredentials(secretKey(ctx.config), id, { secret }),
    state: input.enabled === false ? 'disabled' : 'enabled',
    disabled_reason: input.enabled === false ? 'disabled by an admin' : null,
    failing_since: null,
    consecutive_failures: 0,
    created_at: now,
    updated_at: now,
  };
  await ctx.db.kysely.insertInto('webhook_endpoints').values(endpoint).execute();
  cacheOf(ctx.db).delete(orgId);
  ctx.log.info({ orgId, endpointId: id }, 'webhook endpoint created');
  return { endpoint, secret };
}

export async function listWebhookEndpoints(ctx: AppContext, orgId: string): Promise<WebhookEndpoint[]> {
  return ctx.db.kysely.selectFrom('webhook_endpoints').selectAll().where('org_id', '=', orgId).orderBy('created_at').orderBy('id').execute();
}

export async function getWebhookEndpoint(ctx: AppContext, orgId: string, id: string): Promise<WebhookEndpoint> {
  const row = await ctx.db.kysely.selectFrom('webhook_endpoints').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('webhook endpoint', id);
  return row;
}

export async function updateWebhookEndpoint(ctx: AppContext, orgId: string, id: string, input: EndpointInput): Promise<WebhookEndpoint> {
  const current = await getWebhookEndpoint(ctx, orgId, id);
  const set: Partial<WebhookEndpoint> = { updated_at: ctx.clock.now() };
  if (input.url !== undefined) set.url = validateWebhookUrl(input.url, ctx.config.webhookAllowPrivateUrls);
  if (input.events !== undefined) set.events = JSON.stringify(validateWebhookEvents(input.events));
  if (input.description !== undefined) set.description = input.description;
  if (input.includeBodies !== undefined) set.include_bodies = input.includeBodies ? 1 : 0;
  if (input.enabled === true && current.state === 'disabled') Object.assign(set, { state: 'enabled', disabled_reason: null, failing_since: null, consecutive_failures: 0 });
  if (input.enabled === false && current.state === 'enabled') Object.assign(set, { state: 'disabled', disabled_reason: 'disabled by an admin' });
  await ctx.db.kysely.updateTable('webhook_endpoints').set(set).where('org_id', '=', orgId).where('id', '=', id).execute();
  cacheOf(ctx.db).delete(orgId);
  return { ...current, ...set };
}

export async function deleteWebhookEndpoint(ctx: AppContext, orgId: string, id: string): Promise<void> {
  await getWebhookEndpoint(ctx, orgId, id);
  await transaction(ctx, async (tx) => {
    await tx.deleteFrom('webhook_endpoints').where('org_id', '=', orgId).where('id', '=', id).execute();
    // Pending deliveries end when their job runs (the endpoint is gone).
  });
  cacheOf(ctx.db).delete(orgId);
  ctx.log.info({ orgId, endpointId: id }, 'webhook endpoint deleted');
}

export async function rotateWebhookSecret(ctx: AppContext, orgId: string, id: string): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const current = await getWebhookEndpoint(ctx, orgId, id);
  const secret = newWebhookSecret();
  const stored = encryptCredentials(secretKey(ctx.config), id, { secret });
  const now = ctx.clock.now();
  await ctx.db.kysely.updateTable('webhook_endpoints').set({ secret: stored, updated_at: now }).where('org_id', '=', orgId).where('id', '=', id).execute();
  ctx.log.info({ orgId, endpointId: id }, 'webhook endpoint secret rotated');
  return { endpoint: { ...current, secret: stored, updated_at: now }, secret };
}

// ---------------------------------------------------------------------------------------------
// Signing and delivery

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed with the secret's decoded bytes. */
export function signStandardWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  return `v1,${crypto.createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

const inFlight = new Map<string, number>();

function backoffWithJitter(attempts: number, random = Math.random): number {
  const base = RETRY_SCHEDULE_MS[Math.min(attempts, RETRY_SCHEDULE_MS.length) - 1]!;
  return Math.round(base * (0.9 + 0.2 * random()));
}

/** The job: one attempt of one delivery (or a snooze behind an earlier delivery of the same subject). */
export async function runWebhookDelivery(ctx: AppContext, deliveryId: string): Promise<JobResult> {
  const db = ctx.db.kysely;
  const delivery = await db.selectFrom('webhook_deliveries').selectAll().where('id', '=', deliveryId).executeTakeFirst();
  if (!delivery || delivery.state !== 'pending') return;
  const endpoint = await db.selectFrom('webhook_endpoints').selectAll().where('id', '=', delivery.endpoint_id).executeTakeFirst();
  const now = ctx.clock.now();
  if (!endpoint || endpoint.state !== 'enabled') {
    await db.updateTable('webhook_deliveries').set({ state: 'cancelled', next_attempt_at: null, updated_at: now }).where('id', '=', deliveryId).where('state', '=', 'pending').execute();
    return;
  }
  // In order per subject: an earlier pending delivery of the same subject to this endpoint goes first.
  const earlier = await db
    .selectFrom('webhook_deliveries')
    .select(['id', 'next_attempt_at'])
    .where('endpoint_id', '=', delivery.endpoint_id)
    .where('ordering_key', '=', delivery.ordering_key)
    .where('state', '=', 'pending')
    .where('id', '<', delivery.id)
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  if (earlier) {
    // Woken when the earlier one ends (wakeNextInOrder); the snooze is a fallback.
    const until = Math.max(earlier.next_attempt_at ?? now, now) + 1_000;
    await db.updateTable('webhook_deliveries').set({ next_attempt_at: until }).where('id', '=', deliveryId).where('state', '=', 'pending').execute();
    return { snoozeUntil: until };
  }
  const running = inFlight.get(endpoint.id) ?? 0;
  if (running >= (endpoint.failing_since === null ? MAX_IN_FLIGHT : MAX_IN_FLIGHT_FAILING)) return { snoozeUntil: now + 100 };
  inFlight.set(endpoint.id, running + 1);
  let outcome: { ok: boolean; code: number | null; body: string | null; error: string | null; latency: number };
  const started = performance.now();
  try {
    const body = await deliveryBody(ctx, endpoint, delivery);
    const secret = decryptCredentials(secretKey(ctx.config), endpoint.id, endpoint.secret).secret!;
    const timestamp = Math.floor(now / 1000);
    const answer = await postWebhook(
      endpoint.url,
      {
        'content-type': 'application/json',
        'user-agent': 'Textback-Webhooks/1',
        'webhook-id': delivery.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signStandardWebhook(secret, delivery.id, timestamp, body),
      },
      body,
      { timeoutMs: ctx.config.webhookTimeoutMs, allowPrivate: ctx.config.webhookAllowPrivateUrls },
    );
    outcome = { ok: answer.status >= 200 && answer.status < 300, code: answer.status, body: answer.text.slice(0, RESPONSE_BODY_CHARS), error: null, latency: 0 };
  } catch (error) {
    outcome = { ok: false, code: null, body: null, error: deliveryErrorText(error).slice(0, 200), latency: 0 };
  } finally {
    const left = (inFlight.get(endpoint.id) ?? 1) - 1;
    if (left <= 0) inFlight.delete(endpoint.id);
    else inFlight.set(endpoint.id, left);
  }
  outcome.latency = Math.round(performance.now() - started);
  return recordAttempt(ctx, endpoint, delivery, outcome);
}

async function deliveryBody(ctx: AppContext, endpoint: WebhookEndpoint, delivery: WebhookDelivery): Promise<string> {
  if (!endpoint.include_bodies || !delivery.event_type.startsWith('message.')) return delivery.payload;
  const payload = JSON.parse(delivery.payload) as { data: { object?: string; id?: string } };
  if (payload.data.object !== 'message' || !payload.data.id) return delivery.payload;
  const message = await ctx.db.kysely.selectFrom('messages').select('body').where('id', '=', payload.data.id).where('org_id', '=', delivery.org_id).executeTakeFirst();
  if (!message) return delivery.payload;
  return JSON.stringify({ ...payload, data: { ...payload.data, body: message.body } });
}

async function recordAttempt(
  ctx: AppContext,
  endpoint: WebhookEndpoint,
  delivery: WebhookDelivery,
  outcome: { ok: boolean; code: number | null; body: string | null; error: string | null; latency: number },
): Promise<JobResult> {
  const now = ctx.clock.now();
  const attempts = delivery.attempts + 1;
  let snoozeUntil: number | undefined;
  let disable: string | undefined;
  await transaction(ctx, async (tx) => {
    await insertRows(tx, 'webhook_attempts', [
      {
        id: newId('wa'),
        delivery_id: delivery.id,
        attempted_at: now,
        status: outcome.ok ? 'succeeded' : 'failed',
        latency_ms: outcome.latency,
        response_code: outcome.code,
        response_body: outcome.body,
        error: outcome.error,
      },
    ]);
    if (outcome.ok) {
      await tx
        .updateTable('webhook_deliveries')
        .set({ state: 'succeeded', attempts, next_attempt_at: null, last_response_code: outcome.code, updated_at: now })
        .where('id', '=', delivery.id)
        .execute();
      await wakeNextInOrder(tx, now, delivery);
      if (endpoint.failing_since !== null || endpoint.consecutive_failures !== 0) {
        await tx.updateTable('webhook_endpoints').set({ failing_since: null, consecutive_failures: 0 }).where('id', '=', endpoint.id).execute();
      }
      return;
    }
    const failingSince = endpoint.failing_since ?? now;
    if (outcome.code === 410) disable = 'the endpoint answered 410 Gone';
    else if (now - failingSince >= DISABLE_AFTER_MS) disable = 'no successful delivery for 3 days';
    const givenUp = disable !== undefined || attempts > RETRY_SCHEDULE_MS.length;
    const next = givenUp ? null : now + backoffWithJitter(attempts);
    await tx
      .updateTable('webhook_deliveries')
      .set({ state: givenUp ? 'failed' : 'pending', attempts, next_attempt_at: next, last_response_code: outcome.code, updated_at: now })
      .where('id', '=', delivery.id)
      .execute();
    if (givenUp) await wakeNextInOrder(tx, now, delivery);
    const endpointSet: Partial<WebhookEndpoint> = { failing_since: failingSince, consecutive_failures: endpoint.consecutive_failures + 1 };
    if (disable) Object.assign(endpointSet, { state: 'disabled', disabled_reason: disable, updated_at: now });
    await tx.updateTable('webhook_endpoints').set(endpointSet).where('id', '=', endpoint.id).execute();
    if (disable) {
      cacheOf(ctx.db).delete(endpoint.org_id);
      // The notice to admins (email) listens for this event.
      await appendEvent(tx, ctx, {
        orgId: endpoint.org_id,
        type: 'webhook_endpoint.disabled',
        subjectType: 'webhook_endpoint',
        subjectId: endpoint.id,
        data: { reason: disable, failing_since: new Date(failingSince).toISOString(), last_response_code: outcome.code },
      });
      // And an email to the owners and admins who asked for failure emails (docs/notifications.md).
      await noticeFailure(ctx, tx, {
        orgId: endpoint.org_id,
        kind: 'webhook_disabled',
        subjectId: endpoint.id,
        data: { url: endpoint.url, host: new URL(endpoint.url).host, reason: disable, last_answer: outcome.code === null ? 'no answer' : `HTTP ${outcome.code}` },
      });
    }
    if (next !== null) snoozeUntil = next;
  });
  if (disable) {
    cacheOf(ctx.db).delete(endpoint.org_id);
    ctx.log.warn({ orgId: endpoint.org_id, endpointId: endpoint.id, reason: disable }, 'webhook endpoint disabled');
  }
  return snoozeUntil === undefined ? undefined : { snoozeUntil };
}

/** The next pending delivery of the same subject and endpoint, waiting behind this one, runs now. */
async function wakeNextInOrder(tx: Tx, now: number, delivery: WebhookDelivery): Promise<void> {
  const next = await tx
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('endpoint_id', '=', delivery.endpoint_id)
    .where('ordering_key', '=', delivery.ordering_key)
    .where('state', '=', 'pending')
    .where('id', '>', delivery.id)
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  if (!next) return;
  await tx.updateTable('webhook_deliveries').set({ next_attempt_at: now }).where('id', '=', next.id).execute();
  await tx.updateTable('jobs').set({ run_at: now, updated_at: now }).where('unique_key', '=', `webhook:${next.id}`).where('state', '=', 'pending').execute();
}

// ---------------------------------------------------------------------------------------------
// The delivery log

export interface DeliveryView {
  delivery: WebhookDelivery;
  attempts: WebhookAttempt[];
}

export async function listWebhookDeliveries(
  ctx: AppContext,
  orgId: string,
  endpointId: string,
  options: { limit: number; cursor?: string; state?: WebhookDelivery['state'] },
): Promise<Page<DeliveryView>> {
  await getWebhookEndpoint(ctx, orgId, endpointId);
  const cursor = decodeCursor(options.cursor);
  let q = ctx.db.kysely.selectFrom('webhook_deliveries').selectAll().where('org_id', '=', orgId).where('endpoint_id', '=', endpointId);
  if (options.state) q = q.where('state', '=', options.state);
  if (cursor) q = q.where(olderThan(cursor));
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit + 1).execute();
  const ids = rows.slice(0, options.limit).map((r) => r.id);
  const attempts = ids.length === 0 ? [] : await ctx.db.kysely.selectFrom('webhook_attempts').selectAll().where('delivery_id', 'in', ids).orderBy('attempted_at').orderBy('id').execute();
  const byDelivery = new Map<string, WebhookAttempt[]>();
  for (const a of attempts) {
    const list = byDelivery.get(a.delivery_id) ?? [];
    list.push(a);
    byDelivery.set(a.delivery_id, list);
  }
  return toPage(rows, options.limit, (delivery) => ({ delivery, attempts: byDelivery.get(delivery.id) ?? [] }));
}

/** Sends a delivery again (same webhook-id), now; the endpoint must be enabled. */
export async function resendWebhookDelivery(ctx: AppContext, orgId: string, endpointId: string, deliveryId: string): Promise<WebhookDelivery> {
  const endpoint = await getWebhookEndpoint(ctx, orgId, endpointId);
  const delivery = await ctx.db.kysely
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('endpoint_id', '=', endpointId)
    .where('id', '=', deliveryId)
    .executeTakeFirst();
  if (!delivery) throw notFound('webhook delivery', deliveryId);
  if (endpoint.state !== 'enabled') throw new AppError('invalid_state', `webhook endpoint ${endpointId} is disabled; enable it (PATCH {"enabled": true}) before resending`);
  const now = ctx.clock.now();
  await transaction(ctx, async (tx) => {
    await tx.updateTable('webhook_deliveries').set({ state: 'pending', attempts: 0, next_attempt_at: now, updated_at: now }).where('id', '=', deliveryId).execute();
    await enqueue(tx, ctx.clock, { kind: WEBHOOK_DELIVERY_JOB, orgId, payload: { deliveryId }, uniqueKey: `webhook:${deliveryId}`, replace: true, maxAttempts: 1000 });
  });
  return { ...delivery, state: 'pending', attempts: 0, next_attempt_at: now, updated_at: now };
}
