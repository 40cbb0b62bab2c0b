/**
 * Carrier accounts (docs/carriers/): an organization's Twilio, Telnyx and Bandwidth accounts (and
 * named sandbox accounts). Credentials go in and never come out; admins only.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import type { AvailableNumber, WebhookSetupResult } from '../../carriers/carrier.js';
import {
  createCarrierAccount,
  deleteCarrierAccount,
  getCarrierAccount,
  importNumbers,
  listCarrierAccounts,
  updateCarrierAccount,
  webhookSetup,
  type CarrierAccountView,
} from '../../use-cases/carrier-accounts.js';
import { buyNumber, MAX_SEARCH, releaseNumber, searchAvailableNumbers } from '../../use-cases/number-ordering.js';
import { requireRole } from '../../use-cases/organizations.js';
import { principalOf } from '../auth.js';
import { numberResource, iso } from '../resources.js';
import { errorResponses, Id, IdParams, List, Phone, RefTo } from '../schemas.js';
import { AccountNumberSchema, AvailableNumberSchema, CarrierAccountSchema, CarrierWebhooksSchema, NumberImportSchema } from '../resource-schemas.js';


export const carrierAccountResource = (v: CarrierAccountView) => ({
  id: v.account.id,
  object: 'carrier_account' as const,
  kind: v.account.kind,
  /** The same as `kind` (the carrier), under the name the web app reads. */
  carrier: v.account.kind,
  name: v.account.name,
  public_base_url: v.account.public_base_url,
  api_base_url: v.account.api_base_url,
  settings: v.settings,
  /** Which credentials are stored: never their values. */
  credentials: Object.fromEntries(v.credentialFields.map((f) => [f, 'set' as const])),
  webhooks: v.webhooks,
  numbers: v.numbers,
  created_at: iso(v.account.created_at),
});

const availableResource = (n: AvailableNumber) => ({
  phone: n.phone,
  locality: n.locality,
  region: n.region,
  country: n.country,
  capabilities: n.capabilities,
  ...(n.monthlyPrice ? { monthly_price: n.monthlyPrice } : {}),
});

const setupResource = (s: WebhookSetupResult | null) => (s ? { configured: s.configured, manual: s.manual } : null);

const Strings = (description: string) => Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 512 }), { description });
const NullableStrings = (description: string) =>
  Type.Record(Type.String({ maxLength: 64 }), Type.Union([Type.String({ maxLength: 512 }), Type.Null()]), { description });

const CREDENTIALS_DOC = 'twilio: account_sid, auth_token; telnyx: api_key; bandwidth: api_user, api_password, callback_password';
const SETTINGS_DOC =
  'telnyx: public_key, messaging_profile_id, connection_id (Call Control, for ringing agents); bandwidth: account_id, application_id, callback_username, dashboard_url, voice_application_id (for ringing agents)';

export const carrierAccountRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/carrier-accounts',
      {
        schema: {
          tags: ['carriers'],
          summary: 'Add a carrier account (credentials are encrypted at rest and never returned)',
          body: Type.Object(
            {
              kind: Type.Union([Type.Literal('twilio'), Type.Literal('telnyx'), Type.Literal('bandwidth'), Type.Literal('sandbox')]),
              name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
              public_base_url: Type.Optional(Type.String({ maxLength: 500, description: 'Where the carrier reaches this server (default PUBLIC_BASE_URL)' })),
              api_base_url: Type.Optional(Type.String({ maxLength: 500, description: "The carrier's API origin, when not production (tests)" })),
              credentials: Type.Optional(Strings(`${CREDENTIALS_DOC} (generated if absent)`)),
              settings: Type.Optional(Strings(SETTINGS_DOC)),
            },
            { additionalProperties: false },
          ),
          response: { 201: RefTo(CarrierAccountSchema), ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        const b = request.body;
        const created = await createCarrierAccount(ctx, principal.orgId, {
          kind: b.kind,
          name: b.name,
          publicBaseUrl: b.public_base_url,
          apiBaseUrl: b.api_base_url,
          credentials: b.credentials,
          settings: b.settings,
        });
        return reply.status(201).send({
          ...carrierAccountResource(created),
          // Shown once: Bandwidth's callback credentials, to set on the Bandwidth application.
          ...(created.callbackCredentials ? { callback_credentials: created.callbackCredentials } : {}),
        });
      },
    );

    app.get('/carrier-accounts', { schema: { tags: ['carriers'], summary: "The organization's carrier accounts", response: { 200: List(RefTo(CarrierAccountSchema)) } } }, async (request) => {
      const principal = principalOf(request);
      requireRole(principal, 'admin');
      return { data: (await listCarrierAccounts(ctx, principal.orgId)).map(carrierAccountResource) };
    });

    app.get('/carrier-accounts/:id', { schema: { tags: ['carriers'], params: IdParams, response: { 200: RefTo(CarrierAccountSchema), ...errorResponses } } }, async (request) => {
      const principal = principalOf(request);
      requireRole(principal, 'admin');
      return carrierAccountResource(await getCarrierAccount(ctx, principal.orgId, request.params.id));
    });

    app.patch(
      '/carrier-accounts/:id',
      {
        schema: {
          tags: ['carriers'],
          summary: 'Change a carrier account: name, URLs, settings (merged), credentials (rotation; never returned)',
          params: IdParams,
          body: Type.Object(
            {
              name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
              public_base_url: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()], { description: 'null: back to PUBLIC_BASE_URL' })),
              api_base_url: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()], { description: "null: the carrier's production API" })),
              credentials: Type.Optional(Strings(`Secrets to replace, by name (the others are kept): ${CREDENTIALS_DOC}`)),
              settings: Type.Optional(NullableStrings(`Settings to set, by name (the others are kept; null removes an optional one): ${SETTINGS_DOC}`)),
            },
            { additionalProperties: false },
          ),
          response: { 200: RefTo(CarrierAccountSchema), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        const b = request.body;
        const updated = await updateCarrierAccount(ctx, principal.orgId, request.params.id, {
          name: b.name,
          publicBaseUrl: b.public_base_url,
          apiBaseUrl: b.api_base_url,
          credentials: b.credentials,
          settings: b.settings,
        });
        return {
          ...carrierAccountResource(updated),
          // Shown once, only when generated (Bandwidth credentials re-entered without a callback password).
          ...(updated.callbackCredentials ? { callback_credentials: updated.callbackCredentials } : {}),
        };
      },
    );

    app.delete(
      '/carrier-accounts/:id',
      {
        schema: {
          tags: ['carriers'],
          summary: 'Delete a carrier account (release_numbers=true moves its numbers to the sandbox)',
          params: IdParams,
          querystring: Type.Object({ release_numbers: Type.Optional(Type.Boolean()) }),
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        await deleteCarrierAccount(ctx, principal.orgId, request.params.id, { releaseNumbers: request.query.release_numbers === true });
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/carrier-accounts/:id/import-numbers',
      {
        schema: {
          tags: ['carriers'],
          summary: "Import the account's numbers from the carrier's API (or the listed ones), attach them to teams, optionally set their webhooks",
          params: IdParams,
          body: Type.Object(
            {
              numbers: Type.Optional(Type.Array(Phone('E.164'), { maxItems: 1000 })),
              team_id: Type.Optional(Id),
              teams: Type.Optional(Type.Record(Type.String({ maxLength: 40 }), Id, { description: '{ "+14155550100": "team_…" }' })),
              configure_webhooks: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          response: { 200: RefTo(NumberImportSchema), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        const b = request.body;
        const result = await importNumbers(ctx, principal.orgId, request.params.id, {
          numbers: b.numbers,
          teamId: b.team_id,
          teams: b.teams,
          configureWebhooks: b.configure_webhooks,
        });
        return {
          imported: result.imported.map((i) => ({ ...numberResource(i.number), carrier_account_id: i.number.carrier_account_id, created: i.created })),
          skipped: result.skipped,
          webhooks: result.webhooks,
          webhook_setup: setupResource(result.setup),
        };
      },
    );

    app.get('/carrier-accounts/:id/webhooks', { schema: { tags: ['carriers'], summary: 'The webhook URLs to paste, and where', params: IdParams, response: { 200: RefTo(CarrierWebhooksSchema), ...errorResponses } } }, async (request) => {
      const principal = principalOf(request);
      requireRole(principal, 'admin');
      const w = await webhookSetup(ctx, principal.orgId, request.params.id, false);
      return { webhooks: w.webhooks, public_base_url: w.publicBaseUrl ?? null, steps: w.steps };
    });

    app.post(
      '/carrier-accounts/:id/webhooks/configure',
      { schema: { tags: ['carriers'], summary: "Point the account's numbers at this server through the carrier's API, where it allows", params: IdParams, response: { 200: RefTo(CarrierWebhooksSchema), ...errorResponses } } },
      async (request) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        const w = await webhookSetup(ctx, principal.orgId, request.params.id, true);
        return { webhooks: w.webhooks, public_base_url: w.publicBaseUrl ?? null, steps: w.steps, webhook_setup: setupResource(w.setup) };
      },
    );
      app.get(
      '/carrier-accounts/:id/available-numbers',
      {
        schema: {
          tags: ['carriers'],
          summary: 'Numbers the account can buy: by country, area code or locality, digits it contains, capability',
          description:
            "Owner or admin. `country` is required (US, CA, GB); `area_code` is 3 digits in the US and Canada, without the leading 0 in the UK; 400 names the field and the accepted values. The organization's sandbox account (`carrier: \"sandbox\"`) sells fictional numbers. Carrier failures: 502 carrier_auth_failed, 503 unavailable. See docs/carriers/README.md#buying-numbers.",
          params: IdParams,
          querystring: Type.Object(
            {
              country: Type.Optional(Type.String({ maxLength: 8, description: 'US, CA or GB (required)' })),
              area_code: Type.Optional(Type.String({ maxLength: 8, description: 'US/CA: 3 digits (415); GB: without the 0 (20, 113)' })),
              locality: Type.Optional(Type.String({ maxLength: 100, description: 'A city' })),
              contains: Type.Optional(Type.String({ maxLength: 16, description: 'Digits the number contains' })),
              capability: Type.Optional(Type.String({ maxLength: 16, description: 'sms or voice' })),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_SEARCH, default: 20 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: List(RefTo(AvailableNumberSchema)), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        const q = request.query;
        const found = await searchAvailableNumbers(ctx, principal.orgId, request.params.id, {
          country: q.country,
          areaCode: q.area_code,
          locality: q.locality,
          contains: q.contains,
          capability: q.capability,
          limit: q.limit,
        });
        return { data: found.map(availableResource) };
      },
    );

    app.post(
      '/carrier-accounts/:id/numbers',
      {
        schema: {
          tags: ['carriers'],
          summary: 'Buy a number onto a team, with its webhooks pointed at this server, in one step',
          description:
            'Owner or admin. 201 with the number. 409 number_unavailable (taken meanwhile), 422 regulatory_requirement (the requirement is named), 402 insufficient_balance, 502 carrier_auth_failed, 409 invalid_state when a real carrier has no PUBLIC_BASE_URL for the webhooks. A number bought but not registered is released again at once.',
          params: IdParams,
          body: Type.Object(
            {
              phone: Phone('The number to buy, in E.164 (from available-numbers)'),
              team_id: Id,
              name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            },
            { additionalProperties: false },
          ),
          response: { 201: RefTo(AccountNumberSchema), ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        const b = request.body;
        const number = await buyNumber(ctx, principal.orgId, request.params.id, { phone: b.phone, teamId: b.team_id, name: b.name });
        return reply.status(201).send({ ...numberResource(number), carrier_account_id: number.carrier_account_id });
      },
    );

    app.delete(
      '/carrier-accounts/:id/numbers/:number',
      {
        schema: {
          tags: ['carriers'],
          summary: 'Release a number at the carrier and remove it here',
          description:
            'Owner or admin. `confirm` must repeat the number in E.164 (400 naming the expected value otherwise); `:number` is the number in E.164 or its id. A number with history (texts, calls, consent records) is kept, detached from the account and its team (`kept_for_history: true`); one without is deleted.',
          params: Type.Object({ id: Id, number: Type.String({ minLength: 1, maxLength: 64, description: 'The number in E.164, or its id' }) }),
          querystring: Type.Object({ confirm: Type.Optional(Type.String({ maxLength: 40 })) }, { additionalProperties: false }),
          response: { 200: RefTo(AccountNumberSchema), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        const result = await releaseNumber(ctx, principal.orgId, request.params.id, request.params.number, request.query.confirm);
        return { ...numberResource(result.number), carrier_account_id: result.number.carrier_account_id, released: true, kept_for_history: result.kept };
      },
    );
  };
