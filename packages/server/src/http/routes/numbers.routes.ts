/** Business numbers: register, read, change and delete them (admin role for changes). */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import { deleteNumber, getNumber, registerNumber, updateNumber } from '../../use-cases/numbers.js';
import { requireRole } from '../../use-cases/organizations.js';
import { principalOf } from '../auth.js';
import { numberResource } from '../resources.js';
import { errorResponses, Id, IdParams, Phone, RefTo } from '../schemas.js';
import { NumberSchema } from '../resource-schemas.js';

const Name = Type.String({ minLength: 1, maxLength: 200, description: 'How people call it, e.g. "Main line" (default: the number)' });
const TeamId = Type.Union([Id, Type.Null()], { description: 'The team its texts and calls go to (GET /v1/teams); null for none' });
const AccountId = Type.Union([Id, Type.Null()], { description: 'The carrier account it sends through (GET /v1/carrier-accounts); null or left out: the sandbox carrier' });

const conflict = { 409: { $ref: 'Problem#' } };

export const numberRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/numbers',
      {
        schema: {
          tags: ['numbers'],
          summary: 'Register a business number (admin)',
          description:
            'Registers a number the organization owns at its carrier, as `textback numbers add` does. `phone` is E.164 or a national number of the organization\'s default country. ' +
            'Without `carrier_account_id` the number uses the sandbox carrier. Answers 400 invalid_number for a phone that is not a number, 404 for a team or carrier account ' +
            'that is not this organization\'s, and 409 when the number is already registered. To bring every number of a carrier account at once, use POST /v1/carrier-accounts/{id}/import-numbers.',
          body: Type.Object(
            {
              phone: Phone('The number, E.164 (+14155550123) or national'),
              name: Type.Optional(Name),
              team_id: Type.Optional(TeamId),
              carrier_account_id: Type.Optional(AccountId),
            },
            { additionalProperties: false },
          ),
          response: { 201: RefTo(NumberSchema), ...errorResponses, ...conflict },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        const b = request.body;
        const number = await registerNumber(ctx, principal.orgId, { phone: b.phone, name: b.name, teamId: b.team_id, carrierAccountId: b.carrier_account_id });
        return reply.status(201).send(numberResource(number));
      },
    );

    app.get(
      '/numbers/:id',
      {
        schema: {
          tags: ['numbers'],
          summary: 'A business number',
          description: 'Its phone, name, carrier and team. Routing (forwarding, queue) is at GET /v1/numbers/{id}/routing, pacing and texts at GET /v1/numbers/{id}/compliance.',
          params: IdParams,
          response: { 200: RefTo(NumberSchema), ...errorResponses },
        },
      },
      async (request) => numberResource(await getNumber(ctx, principalOf(request).orgId, request.params.id)),
    );

    app.patch(
      '/numbers/:id',
      {
        schema: {
          tags: ['numbers'],
          summary: "Change a number's name, team or carrier account (admin)",
          description:
            'Only the fields given change. `team_id: null` detaches it from its team (and stops forwarding its texts); `carrier_account_id: null` moves it to the sandbox carrier. ' +
            'The phone itself cannot change: register the new number and delete this one.',
          params: IdParams,
          body: Type.Object({ name: Type.Optional(Name), team_id: Type.Optional(TeamId), carrier_account_id: Type.Optional(AccountId) }, { additionalProperties: false }),
          response: { 200: RefTo(NumberSchema), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        const b = request.body;
        return numberResource(await updateNumber(ctx, principal.orgId, request.params.id, { name: b.name, teamId: b.team_id, carrierAccountId: b.carrier_account_id }));
      },
    );

    app.delete(
      '/numbers/:id',
      {
        schema: {
          tags: ['numbers'],
          summary: 'Delete a number that was never used (admin)',
          description:
            'Deletes a number added by mistake. A number with history (messages, calls, conversations, consent records, leads, automation runs) is kept and the request answers 409: ' +
            'its conversations and consent records must stay readable. A number that serves a queue or is named in an automation\'s scope answers 409 naming them.',
          params: IdParams,
          response: { 204: Type.Null(), ...errorResponses, ...conflict },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        await deleteNumber(ctx, principal.orgId, request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
