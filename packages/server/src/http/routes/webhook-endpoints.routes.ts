/**
 * Webhook subscriptions (docs/integrations.md): endpoints, their secret (shown on creation and
 * rotation only), and the delivery log with resend. Admins and owners only.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import type { WebhookEndpoint } from '../../db/schema.js';
import { requireRole } from '../../use-cases/organizations.js';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  MAX_URL_LENGTH,
  resendWebhookDelivery,
  rotateWebhookSecret,
  updateWebhookEndpoint,
  WEBHOOK_EVENT_TYPES,
  type DeliveryView,
} from '../../use-cases/webhook-endpoints.js';
import { principalOf } from '../auth.js';
import { iso } from '../resources.js';
import { errorResponses, Id, IdParams, List, OneOf, Page, PageQuery, RefTo } from '../schemas.js';
import { WebhookDeliverySchema, WebhookEndpointSchema } from '../resource-schemas.js';

const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export const webhookEndpointResource = (e: WebhookEndpoint) => ({
  id: e.id,
  object: 'webhook_endpoint' as const,
  url: e.url,
  events: JSON.parse(e.events) as string[],
  description: e.description,
  include_bodies: e.include_bodies === 1,
  state: e.state,
  disabled_reason: e.disabled_reason,
  failing_since: isoOrNull(e.failing_since),
  consecutive_failures: e.consecutive_failures,
  created_at: iso(e.created_at),
  updated_at: iso(e.updated_at),
});

export const webhookDeliveryResource = ({ delivery: d, attempts }: DeliveryView) => ({
  id: d.id,
  object: 'webhook_delivery' as const,
  endpoint_id: d.endpoint_id,
  event_type: d.event_type,
  state: d.state,
  attempt_count: d.attempts,
  next_attempt_at: isoOrNull(d.next_attempt_at),
  last_response_code: d.last_response_code,
  created_at: iso(d.created_at),
  payload: JSON.parse(d.payload) as unknown,
  attempts: attempts.map((a) => ({
    at: iso(a.attempted_at),
    status: a.status,
    latency_ms: a.latency_ms,
    response_code: a.response_code,
    response_body: a.response_body,
    error: a.error,
  })),
});

const EVENTS_DOC = `Event types: ${WEBHOOK_EVENT_TYPES.join(', ')}; or ["*"] for all`;
const Url = Type.String({ minLength: 1, maxLength: MAX_URL_LENGTH, description: 'https URL (http only for localhost, 127.0.0.1, [::1]); no credentials' });
const Events = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 50, description: EVENTS_DOC });
const Description = Type.String({ maxLength: 500 });
const IncludeBodies = Type.Boolean({ description: 'Include the text of messages in message.* events (default true)' });
const DeliveryParams = Type.Object({ id: Id, deliveryId: Id });

export const webhookEndpointRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/webhook-endpoints',
      {
        schema: {
          tags: ['webhooks'],
          summary: 'Subscribe a URL to events',
          description: 'Creates a webhook endpoint. The answer carries its signing `secret` (Standard Webhooks `whsec_` form) once; store it to verify deliveries.',
          body: Type.Object(
            { url: Url, events: Events, description: Type.Optional(Description), include_bodies: Type.Optional(IncludeBodies), enabled: Type.Optional(Type.Boolean()) },
            { additionalProperties: false },
          ),
          response: { 201: RefTo(WebhookEndpointSchema), ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        const b = request.body;
        const { endpoint, secret } = await createWebhookEndpoint(ctx, principal.orgId, {
          url: b.url,
          events: b.events,
          description: b.description,
          includeBodies: b.include_bodies,
          enabled: b.enabled,
        });
        return reply.status(201).send({ ...webhookEndpointResource(endpoint), secret });
      },
    );

    app.get(
      '/webhook-endpoints',
      { schema: { tags: ['webhooks'], summary: "The organization's webhook endpoints", description: 'Every webhook endpoint, oldest first, without secrets.', response: { 200: List(RefTo(WebhookEndpointSchema)) } } },
      async (request) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        return { data: (await listWebhookEndpoints(ctx, principal.orgId)).map(webhookEndpointResource) };
      },
    );

    app.get(
      '/webhook-endpoints/:id',
      { schema: { tags: ['webhooks'], summary: 'A webhook endpoint', description: 'One webhook endpoint, its state and health, without its secret.', params: IdParams, response: { 200: RefTo(WebhookEndpointSchema), ...errorResponses } } },
      async (request) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        return webhookEndpointResource(await getWebhookEndpoint(ctx, principal.orgId, request.params.id));
      },
    );

    app.patch(
      '/webhook-endpoints/:id',
      {
        schema: {
          tags: ['webhooks'],
          summary: 'Change a webhook endpoint',
          description: 'Changes the URL, events, description or include_bodies; `enabled: true` re-enables a disabled endpoint, `false` pauses it.',
          params: IdParams,
          body: Type.Object(
            {
              url: Type.Optional(Url),
              events: Type.Optional(Events),
              description: Type.Optional(Type.Union([Description, Type.Null()])),
              include_bodies: Type.Optional(IncludeBodies),
              enabled: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          response: { 200: RefTo(WebhookEndpointSchema), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        const b = request.body;
        return webhookEndpointResource(
          await updateWebhookEndpoint(ctx, principal.orgId, request.params.id, {
            url: b.url,
            events: b.events,
            description: b.description,
            includeBodies: b.include_bodies,
            enabled: b.enabled,
          }),
        );
      },
    );

    app.delete(
      '/webhook-endpoints/:id',
      { schema: { tags: ['webhooks'], summary: 'Delete a webhook endpoint', description: 'Deletes the endpoint; its pending deliveries are cancelled.', params: IdParams, response: { 204: Type.Null(), ...errorResponses } } },
      async (request, reply) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        await deleteWebhookEndpoint(ctx, principal.orgId, request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/webhook-endpoints/:id/rotate-secret',
      {
        schema: {
          tags: ['webhooks'],
          summary: "Replace a webhook endpoint's secret",
          description: 'Generates a new signing secret, shown once in the answer; deliveries from now on are signed with it.',
          params: IdParams,
          response: { 200: RefTo(WebhookEndpointSchema), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        const { endpoint, secret } = await rotateWebhookSecret(ctx, principal.orgId, request.params.id);
        return { ...webhookEndpointResource(endpoint), secret };
      },
    );

    app.get(
      '/webhook-endpoints/:id/deliveries',
      {
        schema: {
          tags: ['webhooks'],
          summary: "A webhook endpoint's delivery log",
          description: 'Deliveries, newest first, each with its payload and every attempt (status, latency, response code, the first 1,000 characters of the answer).',
          params: IdParams,
          querystring: Type.Object({ ...PageQuery, state: Type.Optional(OneOf(['pending', 'succeeded', 'failed', 'cancelled'] as const, { description: 'Only deliveries in this state' })) }),
          response: { 200: Page(RefTo(WebhookDeliverySchema)), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        const q = request.query;
        const page = await listWebhookDeliveries(ctx, principal.orgId, request.params.id, { limit: q.limit ?? 50, cursor: q.cursor, state: q.state });
        return { data: page.data.map(webhookDeliveryResource), next_cursor: page.next_cursor };
      },
    );

    app.post(
      '/webhook-endpoints/:id/deliveries/:deliveryId/resend',
      {
        schema: {
          tags: ['webhooks'],
          summary: 'Send a delivery again',
          description: 'Sends the delivery again now, with the same webhook-id (receivers deduplicate on it), and retries it as a new delivery would be.',
          params: DeliveryParams,
          response: { 202: RefTo(WebhookDeliverySchema), ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        const d = await resendWebhookDelivery(ctx, principal.orgId, request.params.id, request.params.deliveryId);
        return reply.status(202).send(webhookDeliveryResource({ delivery: d, attempts: [] }));
      },
    );
  };
