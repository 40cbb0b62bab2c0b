import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import { createLead } from '../../use-cases/leads.js';
import { principalOf } from '../auth.js';
import { errorResponses, Phone, RefTo } from '../schemas.js';
import { LeadSchema } from '../resource-schemas.js';

export const leadRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/leads',
      {
        schema: {
          tags: ['leads'],
          summary: 'A new lead (form, email parser, CRM): creates or updates the contact and starts lead.created automations; idempotent on external_id',
          body: Type.Object(
            {
              phone: Phone('The lead, E.164 or national'),
              name: Type.Optional(Type.String({ maxLength: 200 })),
              source: Type.Optional(Type.String({ maxLength: 100 })),
              number: Type.Optional(Phone('Business number the lead is for')),
              fields: Type.Optional(Type.Record(Type.String({ maxLength: 100 }), Type.Unknown())),
              external_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
              consent: Type.Optional(
                Type.Union([
                  Type.Boolean(),
                  Type.Object(
                    { disclosure: Type.Optional(Type.String({ maxLength: 2000 })), form: Type.Optional(Type.String({ maxLength: 500 })) },
                    { additionalProperties: false },
                  ),
                ], { description: 'The lead agreed to texts (express consent); give the disclosure they saw as evidence' }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: RefTo(LeadSchema), 201: RefTo(LeadSchema), ...errorResponses },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const { lead, created } = await createLead(ctx, {
          orgId: principalOf(request).orgId,
          phone: b.phone,
          ...(b.name ? { name: b.name } : {}),
          ...(b.source ? { source: b.source } : {}),
          ...(b.number ? { number: b.number } : {}),
          ...(b.fields ? { fields: b.fields } : {}),
          ...(b.external_id ? { externalId: b.external_id } : {}),
          ...(b.consent !== undefined ? { consent: b.consent } : {}),
        });
        return reply.status(created ? 201 : 200).send({
          id: lead.id,
          object: 'lead' as const,
          contact_id: lead.contact_id,
          source: lead.source,
          fields: JSON.parse(lead.fields) as Record<string, unknown>,
          external_id: lead.external_id,
          created_at: new Date(lead.created_at).toISOString(),
        });
      },
    );
  };
