import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import type { AutomationRow, AutomationRun } from '../../db/schema.js';
import { AppError } from '../../support/errors.js';
import {
  createAutomation,
  deleteAutomation,
  getAutomation,
  listAutomations,
  toAutomation,
  updateAutomation,
} from '../../use-cases/automations/automation-store.js';
import { dryRun, recentCallEvents, sampleContact, type DryRunEvent } from '../../use-cases/automations/dry-run.js';
import { createMissedCallPreset } from '../../use-cases/automations/presets.js';
import { getContact } from '../../use-cases/contacts.js';
import { requireRole } from '../../use-cases/organizations.js';
import { decodeCursor, toPage, olderThan } from '../../use-cases/pagination.js';
import { contactTimeline } from '../../use-cases/timeline.js';
import { principalOf } from '../auth.js';
import { errorResponses, IdParams, List, OneOf, Page, PageQuery, RefTo } from '../schemas.js';
import { AutomationRunSchema, AutomationSchema, DryRunSchema, TimelineEntrySchema } from '../resource-schemas.js';
import { iso } from '../resources.js';


const RUN_STATUSES: readonly AutomationRun['status'][] = ['waiting', 'running', 'completed', 'stopped', 'cancelled', 'failed'];

const automationResource = (row: AutomationRow) => ({
  id: row.id,
  object: 'automation' as const,
  ...toAutomation(row),
  preset: row.preset,
  created_at: iso(row.created_at),
  updated_at: iso(row.updated_at),
});

const runResource = (run: AutomationRun, steps: { step: string; type: string; message: string; at: number }[]) => ({
  id: run.id,
  object: 'automation_run' as const,
  automation_id: run.automation_id,
  contact_id: run.contact_id,
  trigger: run.trigger_type,
  event: JSON.parse(run.event) as unknown,
  status: run.status,
  outcome: run.outcome,
  next_at: iso(run.next_at),
  created_at: iso(run.created_at),
  finished_at: iso(run.finished_at),
  steps: steps.map((s) => ({ at: iso(s.at), step: s.step, type: s.type, message: s.message })),
});

/** Documents are validated by the domain (errors point to the step); the schema only says it is an object. */
const Document = Type.Object({}, { additionalProperties: true, description: 'An automation document: name, state, priority, scope, trigger, steps' });

export const automationRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get('/automations', { schema: { tags: ['automations'], response: { 200: List(RefTo(AutomationSchema)) } } }, async (request) => ({
      data: (await listAutomations(ctx, principalOf(request).orgId)).map(automationResource),
    }));

    app.post('/automations', { schema: { tags: ['automations'], body: Document, response: { 201: RefTo(AutomationSchema), ...errorResponses } } }, async (request, reply) => {
      const principal = principalOf(request);
      requireRole(principal, 'supervisor');
      return reply.status(201).send(automationResource(await createAutomation(ctx, principal.orgId, request.body)));
    });

    app.post(
      '/automations/presets/missed-call-text-back',
      {
        schema: {
          tags: ['automations'],
          summary: 'Create the missed-call text-back automation with default texts (active unless state says otherwise)',
          body: Type.Object(
            {
              business_name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
              numbers: Type.Optional(Type.Union([Type.Literal('all'), Type.Array(Type.String(), { minItems: 1 })])),
              state: Type.Optional(Type.Union([Type.Literal('draft'), Type.Literal('active'), Type.Literal('paused')])),
              voicemail_delay: Type.Optional(Type.String({ description: 'Text calls that reached voicemail after this delay, e.g. "20m" (default: skip them)' })),
              follow_up_after: Type.Optional(Type.Union([Type.String(), Type.Literal(false)], { description: 'Default "2h"; false for none' })),
            },
            { additionalProperties: false },
          ),
          response: { 201: RefTo(AutomationSchema), ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requireRole(principal, 'supervisor');
        const b = request.body ?? {};
        const row = await createMissedCallPreset(ctx, {
          orgId: principal.orgId,
          ...(b.business_name ? { businessName: b.business_name } : {}),
          ...(b.numbers ? { numbers: b.numbers } : {}),
          ...(b.state ? { state: b.state } : {}),
          ...(b.voicemail_delay ? { voicemail: { delay: b.voicemail_delay } } : {}),
          ...(b.follow_up_after !== undefined ? { followUp: b.follow_up_after === false ? false : { after: b.follow_up_after } } : {}),
        });
        return reply.status(201).send(automationResource(row));
      },
    );

    app.get('/automations/:id', { schema: { tags: ['automations'], params: IdParams, response: { 200: RefTo(AutomationSchema), ...errorResponses } } }, async (request) =>
      automationResource(await getAutomation(ctx, principalOf(request).orgId, request.params.id)),
    );

    app.patch('/automations/:id', { schema: { tags: ['automations'], params: IdParams, body: Document, response: { 200: RefTo(AutomationSchema), ...errorResponses } } }, async (request) => {
      const principal = principalOf(request);
      requireRole(principal, 'supervisor');
      return automationResource(await updateAutomation(ctx, principal.orgId, request.params.id, request.body as Record<string, unknown>));
    });

    app.delete('/automations/:id', { schema: { tags: ['automations'], params: IdParams, response: { 204: Type.Null(), ...errorResponses } } }, async (request, reply) => {
      const principal = principalOf(request);
      requireRole(principal, 'supervisor');
      await deleteAutomation(ctx, principal.orgId, request.params.id);
      return reply.status(204).send(null);
    });

    app.get(
      '/automations/:id/runs',
      {
        schema: {
          tags: ['automations'],
          summary: 'Runs, newest first, each with every step taken and why a text was or was not sent',
          params: IdParams,
          querystring: Type.Object({ ...PageQuery, contact: Type.Optional(Type.String()), status: Type.Optional(OneOf(RUN_STATUSES)) }),
          response: { 200: Page(RefTo(AutomationRunSchema)), ...errorResponses },
        },
      },
      async (request) => {
        const orgId = principalOf(request).orgId;
        await getAutomation(ctx, orgId, request.params.id);
        const limit = request.query.limit ?? 50;
        const cursor = decodeCursor(request.query.cursor);
        let q = ctx.db.kysely.selectFrom('automation_runs').selectAll().where('org_id', '=', orgId).where('automation_id', '=', request.params.id);
        if (request.query.contact) q = q.where('contact_id', '=', request.query.contact);
        if (request.query.status) q = q.where('status', '=', request.query.status);
        if (cursor) q = q.where(olderThan(cursor));
        const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
        const ids = rows.map((r) => r.id);
        const steps = ids.length
          ? await ctx.db.kysely.selectFrom('automation_trace').select(['run_id', 'step', 'type', 'message', 'at']).where('run_id', 'in', ids).orderBy('seq').execute()
          : [];
        return toPage(rows, limit, (r) => runResource(r, steps.filter((s) => s.run_id === r.id)));
      },
    );

    app.post(
      '/automations/:id/dry-run',
      {
        schema: {
          tags: ['automations'],
          summary: 'What the automation would send, to whom and when, for a sample event or the last N days of real calls; sends nothing',
          params: IdParams,
          body: Type.Object(
            {
              event: Type.Optional(
                Type.Object(
                  {
                    type: Type.Optional(Type.Union(['call.completed', 'lead.created', 'message.received', 'message.not_replied'].map((t) => Type.Literal(t)))),
                    at: Type.Optional(Type.String({ format: 'date-time' })),
                    number: Type.Optional(Type.String()),
                    call: Type.Optional(
                      Type.Object({
                        outcome: Type.Union(['answered', 'missed', 'voicemail', 'too_short', 'answered_elsewhere'].map((t) => Type.Literal(t))),
                        direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]),
                        duration: Type.Optional(Type.Integer({ minimum: 0 })),
                      }),
                    ),
                    contact_id: Type.Optional(Type.String()),
                  },
                  { additionalProperties: false },
                ),
              ),
              replay_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 90, description: "Replay the organization's calls of the last N days" })),
            },
            { additionalProperties: false },
          ),
          response: { 200: RefTo(DryRunSchema), ...errorResponses },
        },
      },
      async (request) => {
        const orgId = principalOf(request).orgId;
        const row = await getAutomation(ctx, orgId, request.params.id);
        const automation = toAutomation(row);
        let events: DryRunEvent[];
        if (request.body.replay_days) {
          events = await recentCallEvents(ctx, orgId, request.body.replay_days);
        } else if (request.body.event) {
          const e = request.body.event;
          const contact = e.contact_id ? await getContact(ctx, orgId, e.contact_id) : undefined;
          const numbers = automation.scope.numbers;
          const number = e.number ?? (numbers === 'all' ? (await ctx.db.kysely.selectFrom('phone_numbers').select('e164').where('org_id', '=', orgId).executeTakeFirst())?.e164 : numbers[0]);
          events = [
            {
              type: (e.type as DryRunEvent['type'] | undefined) ?? automation.trigger.type,
              at: e.at ? Date.parse(e.at) : ctx.clock.now(),
              ...(number ? { number } : {}),
              ...(e.call ? { call: { outcome: e.call.outcome as never, direction: e.call.direction, ...(e.call.duration !== undefined ? { durationSeconds: e.call.duration } : {}), ...(number ? { number } : {}) } } : {}),
              contact: sampleContact(contact),
            },
          ];
        } else {
          throw new AppError('validation_failed', 'give an event (a sample) or replay_days (real calls)', [{ field: 'body', message: 'event or replay_days is required' }]);
        }
        const results = await dryRun(ctx, orgId, automation, row.id, events);
        return { data: results, would_send: results.reduce((n, r) => n + r.would_send.length, 0) };
      },
    );

    app.get(
      '/contacts/:id/timeline',
      { schema: { tags: ['contacts'], summary: 'Calls, messages and automation steps and decisions, in order', params: IdParams, response: { 200: List(RefTo(TimelineEntrySchema)), ...errorResponses } } },
      async (request) => ({ data: await contactTimeline(ctx, principalOf(request).orgId, request.params.id) }),
    );
  };
