/** Email notification preferences of a user (docs/notifications.md). */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import { getPreferences, updatePreferences } from '../../use-cases/notifications/preferences.js';
import { principalOf } from '../auth.js';
import { errorResponses, Id, IdParams } from '../schemas.js';

const Numbers = Type.Union([Type.Literal('all'), Type.Array(Id, { maxItems: 500 })], {
  description: 'The business numbers whose conversations count: "all", or a list of number ids',
});

const NewTexts = Type.Object(
  {
    assigned_to_me: Type.Optional(Type.Boolean({ description: 'Conversations assigned to this user' })),
    my_teams: Type.Optional(Type.Boolean({ description: "Conversations of one of this user's teams" })),
    unassigned: Type.Optional(Type.Boolean({ description: 'Conversations assigned to no user and no team' })),
    numbers: Type.Optional(Numbers),
  },
  { additionalProperties: false },
);

const Body = Type.Object(
  {
    email_new_texts: Type.Optional(NewTexts),
    email_failures: Type.Optional(Type.Boolean({ description: "The organization's failures (owners and admins only)" })),
    include_body_in_subject: Type.Optional(Type.Boolean({ description: 'Put the newest text in the subject (default: the subject names only the contact)' })),
  },
  { additionalProperties: false },
);

/** What GET and PUT answer: every field, with its value. */
const Preferences = Type.Object(
  {
    email_new_texts: Type.Object({ assigned_to_me: Type.Boolean(), my_teams: Type.Boolean(), unassigned: Type.Boolean(), numbers: Numbers }),
    email_failures: Type.Boolean(),
    include_body_in_subject: Type.Boolean(),
  },
  { description: 'A user\'s email notifications (docs/notifications.md)' },
);

export const notificationRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/users/:id/notifications',
      {
        schema: {
          tags: ['users'],
          summary: "A user's email notifications",
          description: 'Which new texts and failures the user is emailed about. Their own, or anyone\'s for admins and owners.',
          params: IdParams,
          response: { 200: Preferences, ...errorResponses },
        },
      },
      async (request) => getPreferences(ctx, principalOf(request), request.params.id),
    );

    app.put(
      '/users/:id/notifications',
      {
        schema: {
          tags: ['users'],
          summary: "Set a user's email notifications",
          description:
            'Fields left out keep their value. New texts: in conversations assigned to the user, to their teams, or to nobody, on all or some business numbers. Failures: owners and admins only. Their own, or anyone\'s for admins and owners.',
          params: IdParams,
          body: Body,
          response: { 200: Preferences, ...errorResponses },
        },
      },
      async (request) => updatePreferences(ctx, principalOf(request), request.params.id, request.body),
    );
  };
