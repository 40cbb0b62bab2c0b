/**
 * Compliance through the API: the suppression list (with CSV import and export), each contact's
 * consent ledger and agents' opt-outs / opt-ins, the ledger export, the organization's compliance
 * settings and each number's sender type, rate, daily cap and keyword texts.
 */
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import type { ConsentEvent, PhoneNumber, Suppression } from '../../db/schema.js';
import { AppError } from '../../support/errors.js';
import { agentConsentChange, contactConsent, exportConsentCsv } from '../../use-cases/compliance/consent.js';
import { DEFAULT_RATES, SENDER_TYPES, sendInterval } from '../../use-cases/compliance/pacing.js';
import { helpTextErrors, type NumberComplianceTexts } from '../../use-cases/compliance/settings.js';
import { storedTextErrors } from '../../use-cases/message-text.js';
import {
  addSuppression,
  exportSuppressionsCsv,
  getSuppression,
  importSuppressions,
  listSuppressions,
  removeSuppression,
} from '../../use-cases/compliance/suppressions.js';
import { getNumber, getNumberByE164 } from '../../use-cases/numbers.js';
import { getOrganization, orgSettings, requireRole, updateOrganization, type OrganizationSettings } from '../../use-cases/organizations.js';
import { parsePhoneField } from '../../use-cases/contacts.js';
import { principalOf } from '../auth.js';
import { errorResponses, IdParams, Page, PageQuery, Phone, RefTo } from '../schemas.js';
import { ComplianceSettingsSchema, ConsentChangeSchema, ConsentSchema, NumberComplianceSchema, SuppressionImportSchema, SuppressionSchema } from '../resource-schemas.js';
import { iso } from '../resources.js';

/** Large enough for a 1,000,000-line DNC file. */
const IMPORT_BODY_LIMIT = 256 * 1024 * 1024;


const suppressionResource = (s: Suppression) => ({
  object: 'suppression' as const,
  phone: s.e164,
  reason: s.reason,
  source: s.source,
  created_at: iso(s.created_at),
  created_by: s.created_by,
});

const consentEventResource = (e: ConsentEvent) => ({
  id: e.id,
  object: 'consent_event' as const,
  contact_id: e.contact_id,
  phone: e.e164,
  number_id: e.number_id,
  state: e.state,
  source: e.source,
  actor: { type: e.actor_type, id: e.actor_id },
  evidence: JSON.parse(e.evidence) as Record<string, unknown>,
  created_at: iso(e.created_at),
});

const COMPLIANCE_KEYS = [
  'consent_scope',
  'quiet_hours',
  'quiet_hours_exempt_live_conversation',
  'automated_cap_per_24h',
  'automated_requires_consent',
  'allowed_countries',
  'landline_policy',
  'opt_out_language',
  'help_text',
  'opt_out_text',
  'opt_in_text',
  'auto_suppress_after_failures',
] as const satisfies readonly (keyof OrganizationSettings)[];

const complianceSettings = (s: OrganizationSettings) => Object.fromEntries(COMPLIANCE_KEYS.map((k) => [k, s[k]])) as Pick<OrganizationSettings, (typeof COMPLIANCE_KEYS)[number]>;

const numberComplianceResource = (n: PhoneNumber) => ({
  id: n.id,
  object: 'number' as const,
  phone: n.e164,
  sender_type: n.sender_type,
  rate_per_second: n.rate_per_second,
  effective_rate_per_second: n.rate_per_second ?? DEFAULT_RATES[n.sender_type],
  min_interval_ms: sendInterval(n.sender_type, n.rate_per_second),
  daily_cap: n.daily_cap,
  texts: (n.compliance_texts ? JSON.parse(n.compliance_texts) : {}) as NumberComplianceTexts,
});

const NullableText = (max: number, description: string) => Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: max }), Type.Null()], { description }));

const SettingsPatch = Type.Object(
  {
    consent_scope: Type.Optional(Type.Union([Type.Literal('universal'), Type.Literal('per_number')])),
    quiet_hours: Type.Optional(Type.Boolean()),
    quiet_hours_exempt_live_conversation: Type.Optional(Type.Boolean()),
    automated_cap_per_24h: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 10000 }), Type.Null()])),
    automated_requires_consent: Type.Optional(Type.Boolean()),
    allowed_countries: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z]{2}$' }), { maxItems: 250 })),
    landline_policy: Type.Optional(Type.Union([Type.Literal('block'), Type.Literal('flag'), Type.Literal('allow')])),
    opt_out_language: NullableText(500, 'Added to the first automated text; null: never'),
    help_text: NullableText(500, 'Must name the business, say how to opt out, "Msg & data rates may apply" and a contact'),
    opt_out_text: NullableText(500, 'The one confirmation after STOP'),
    opt_in_text: NullableText(500, 'The confirmation after START'),
    auto_suppress_after_failures: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 10000 }), Type.Null()])),
  },
  { additionalProperties: false },
);

const ConsentEvidence = Type.Object(
  {
    form: Type.Optional(Type.String({ maxLength: 500, description: 'Where the contact opted in (a form URL or name)' })),
    disclosure: Type.Optional(Type.String({ maxLength: 2000, description: 'The disclosure text the contact agreed to' })),
    message_id: Type.Optional(Type.String({ maxLength: 64 })),
    note: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);

const NumberParams = Type.Object({ number: Phone('The suppressed number, E.164') });

function csvReply(filename: string, lines: AsyncGenerator<string>) {
  return { filename, stream: Readable.from(lines) };
}

export const complianceRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    // CSV bodies (the import) are text; only in this plugin's scope.
    app.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT }, (_request, body, done) => done(null, body));

    // ---- suppression list ----------------------------------------------------------------------

    app.get(
      '/suppressions',
      {
        schema: {
          tags: ['compliance'],
          summary: 'The suppression (do-not-contact) list, newest first',
          querystring: Type.Object({ ...PageQuery, reason: Type.Optional(Type.String()), source: Type.Optional(Type.String()) }),
          response: { 200: Page(RefTo(SuppressionSchema)) },
        },
      },
      async (request) => {
        const q = request.query;
        const page = await listSuppressions(ctx, principalOf(request).orgId, {
          limit: q.limit ?? 50,
          ...(q.cursor ? { cursor: q.cursor } : {}),
          ...(q.reason ? { reason: q.reason } : {}),
          ...(q.source ? { source: q.source } : {}),
        });
        return { data: page.data.map(suppressionResource), next_cursor: page.next_cursor };
      },
    );

    app.post(
      '/suppressions',
      {
        schema: {
          tags: ['compliance'],
          summary: 'Add a number to the suppression list (200 with the existing entry if it is already there)',
          body: Type.Object(
            { phone: Phone('E.164 or a national number'), reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) },
            { additionalProperties: false },
          ),
          response: { 200: RefTo(SuppressionSchema), 201: RefTo(SuppressionSchema), ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const result = await addSuppression(ctx, {
          orgId: principal.orgId,
          phone: request.body.phone,
          ...(request.body.reason ? { reason: request.body.reason } : {}),
          source: 'api',
          createdBy: principal.userId,
        });
        return reply.status(result.created ? 201 : 200).send(suppressionResource(result.suppression));
      },
    );

    app.get(
      '/suppressions/export',
      { schema: { tags: ['compliance'], summary: 'The whole suppression list as CSV: phone,reason,source,created_at,created_by' } },
      async (request, reply) => {
        const principal = principalOf(request);
        const { filename, stream } = csvReply('suppressions.csv', exportSuppressionsCsv(ctx, principal.orgId));
        return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).send(stream);
      },
    );

    app.post(
      '/suppressions/import',
      {
        bodyLimit: IMPORT_BODY_LIMIT,
        schema: {
          tags: ['compliance'],
          summary:
            'Import a CSV of numbers (Content-Type: text/csv; columns phone[,reason], header optional). Answers a report with each rejected line: invalid_number, duplicate or malformed',
          querystring: Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Reason for lines without one' })) }),
          response: { 200: RefTo(SuppressionImportSchema), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        if (typeof request.body !== 'string') {
          throw new AppError('unsupported_media_type', 'send the CSV as the request body with Content-Type: text/csv');
        }
        return importSuppressions(ctx, {
          orgId: principal.orgId,
          csv: request.body,
          createdBy: principal.userId,
          ...(request.query.reason ? { defaultReason: request.query.reason } : {}),
        });
      },
    );

    app.get(
      '/suppressions/:number',
      { schema: { tags: ['compliance'], summary: 'One suppressed number', params: NumberParams, response: { 200: RefTo(SuppressionSchema), ...errorResponses } } },
      async (request) => suppressionResource(await getSuppression(ctx, principalOf(request).orgId, request.params.number)),
    );

    app.delete(
      '/suppressions/:number',
      { schema: { tags: ['compliance'], summary: 'Remove a number from the suppression list (admin)', params: NumberParams, response: { 204: Type.Null(), ...errorResponses } } },
      async (request, reply) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        await removeSuppression(ctx, principal.orgId, request.params.number);
        return reply.status(204).send(null);
      },
    );

    // ---- consent ---------------------------------------------------------------------------------

    app.get(
      '/contacts/:id/consent',
      { schema: { tags: ['compliance'], summary: "A contact's consent: the current state and the ledger, newest first", params: IdParams, response: { 200: RefTo(ConsentSchema), ...errorResponses } } },
      async (request) => {
        const { contact, scope, current, ledger } = await contactConsent(ctx, principalOf(request).orgId, request.params.id);
        return {
          object: 'consent' as const,
          contact_id: contact.id,
          phone: contact.e164,
          scope,
          state: current.record.state,
          opted_out_by: current.record.optOut ? current.record.optOut.by : null,
          updated_at: iso(current.record.updatedAt ?? null),
          ledger: ledger.map(consentEventResource),
        };
      },
    );

    app.post(
      '/contacts/:id/consent',
      {
        schema: {
          tags: ['compliance'],
          summary:
            "An agent records an opt-in (with its evidence) or an opt-out. An opt-out the contact made (STOP) can only be undone by the contact: 409 opted_out_by_contact",
          params: IdParams,
          body: Type.Object(
            {
              state: Type.Union([Type.Literal('opted_in'), Type.Literal('opted_out')]),
              number: Type.Optional(Phone('Per-number scope: the business number it applies to; omitted = every number')),
              evidence: Type.Optional(ConsentEvidence),
            },
            { additionalProperties: false },
          ),
          response: { 200: RefTo(ConsentChangeSchema), 201: RefTo(ConsentChangeSchema), ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const body = request.body;
        const numberId = body.number ? (await getNumberByE164(ctx, principal.orgId, parsePhoneField('number', body.number), 'number')).id : null;
        const event = await agentConsentChange(ctx, {
          orgId: principal.orgId,
          contactId: request.params.id,
          state: body.state,
          numberId,
          actorId: principal.userId,
          ...(body.evidence ? { evidence: body.evidence } : {}),
        });
        const { current } = await contactConsent(ctx, principal.orgId, request.params.id);
        return reply.status(event ? 201 : 200).send({
          object: 'consent' as const,
          contact_id: request.params.id,
          state: current.record.state,
          changed: Boolean(event),
          ...(event ? { event: consentEventResource(event) } : {}),
        });
      },
    );

    app.get(
      '/consent/export',
      {
        schema: {
          tags: ['compliance'],
          summary: "The organization's consent ledger as CSV, oldest first: id,contact_id,phone,number_id,state,source,actor_type,actor_id,evidence,created_at",
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requireRole(principal, 'supervisor');
        const { filename, stream } = csvReply('consent-ledger.csv', exportConsentCsv(ctx, principal.orgId));
        return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).send(stream);
      },
    );

    // ---- settings --------------------------------------------------------------------------------

    app.get('/compliance/settings', { schema: { tags: ['compliance'], summary: "The organization's compliance settings", response: { 200: RefTo(ComplianceSettingsSchema) } } }, async (request) =>
      complianceSettings(orgSettings(await getOrganization(ctx, principalOf(request).orgId))),
    );

    app.patch(
      '/compliance/settings',
      {
        schema: {
          tags: ['compliance'],
          summary: 'Change compliance settings (admin). A help text must name the business, say how to opt out, "Msg & data rates may apply" and a contact',
          body: SettingsPatch,
          response: { 200: RefTo(ComplianceSettingsSchema), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        const patch = { ...request.body } as Partial<OrganizationSettings>;
        if (patch.allowed_countries) patch.allowed_countries = [...new Set(patch.allowed_countries.map((c) => c.toUpperCase()))];
        return complianceSettings(orgSettings(await updateOrganization(ctx, principal.orgId, { settings: patch })));
      },
    );

    app.get(
      '/numbers/:id/compliance',
      { schema: { tags: ['compliance'], summary: "A number's sender type, rate, daily cap and keyword texts", params: IdParams, response: { 200: RefTo(NumberComplianceSchema), ...errorResponses } } },
      async (request) => numberComplianceResource(await getNumber(ctx, principalOf(request).orgId, request.params.id)),
    );

    app.patch(
      '/numbers/:id/compliance',
      {
        schema: {
          tags: ['compliance'],
          summary: "Change a number's sender type, rate (messages per second), daily cap and keyword texts (admin)",
          params: IdParams,
          body: Type.Object(
            {
              sender_type: Type.Optional(Type.Union(SENDER_TYPES.map((t) => Type.Literal(t)))),
              rate_per_second: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 1000 }), Type.Null()])),
              daily_cap: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 10_000_000 }), Type.Null()])),
              help_text: NullableText(500, "This number's HELP answer; null: the organization's"),
              opt_out_text: NullableText(500, "This number's STOP confirmation; null: the organization's"),
              opt_in_text: NullableText(500, "This number's START confirmation; null: the organization's"),
            },
            { additionalProperties: false },
          ),
          response: { 200: RefTo(NumberComplianceSchema), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        const number = await getNumber(ctx, principal.orgId, request.params.id);
        const org = await getOrganization(ctx, principal.orgId);
        const b = request.body;
        const texts: NumberComplianceTexts = number.compliance_texts ? (JSON.parse(number.compliance_texts) as NumberComplianceTexts) : {};
        for (const key of ['help_text', 'opt_out_text', 'opt_in_text'] as const) if (b[key] !== undefined) texts[key] = b[key];
        const errors = [
          ...helpTextErrors(texts.help_text, org.name, 'help_text', orgSettings(org).max_body_length),
          // Sent later (the STOP and START confirmations): checked as a body is, on save.
          ...storedTextErrors({ opt_out_text: b.opt_out_text, opt_in_text: b.opt_in_text }, orgSettings(org).max_body_length),
        ];
        if (errors.length) throw new AppError('validation_failed', errors.map((e) => `${e.field} ${e.message}`).join('; '), errors);
        await ctx.db.kysely
          .updateTable('phone_numbers')
          .set({
            ...(b.sender_type !== undefined ? { sender_type: b.sender_type } : {}),
            ...(b.rate_per_second !== undefined ? { rate_per_second: b.rate_per_second } : {}),
            ...(b.daily_cap !== undefined ? { daily_cap: b.daily_cap } : {}),
            compliance_texts: JSON.stringify(texts),
            updated_at: ctx.clock.now(),
          })
          .where('id', '=', number.id)
          .where('org_id', '=', principal.orgId)
          .execute();
        return numberComplianceResource(await getNumber(ctx, principal.orgId, number.id));
      },
    );
  };
