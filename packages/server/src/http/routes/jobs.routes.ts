import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import { listJobs, retryJob } from '../../jobs/job-queue.js';
import { AppError, notFound } from '../../support/errors.js';
import { requireRole } from '../../use-cases/organizations.js';
import { decodeCursor, encodeCursor } from '../../use-cases/pagination.js';
import { principalOf } from '../auth.js';
import { jobResource } from '../resources.js';
import { errorResponses, IdParams, Page, PageQuery, Ref } from '../schemas.js';

const JobState = Type.Union(['pending', 'running', 'completed', 'dead', 'cancelled'].map((s) => Type.Literal(s)));

export const jobRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/jobs',
      {
        schema: {
          tags: ['jobs'],
          summary: "The organization's scheduled work (sends, receipts, automation steps), newest first",
          querystring: Type.Object({ ...PageQuery, state: Type.Optional(JobState), kind: Type.Optional(Type.String()) }),
          response: { 200: Page(Ref('Job')) },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        const q = request.query;
        const limit = q.limit ?? 50;
        const before = decodeCursor(q.cursor);
        const rows = await listJobs(ctx.db.kysely, {
          orgId: principal.orgId,
          limit: limit + 1,
          ...(q.state ? { state: q.state as never } : {}),
          ...(q.kind ? { kind: q.kind } : {}),
          ...(before ? { before } : {}),
        });
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        return { data: page.map(jobResource), next_cursor: rows.length > limit && last ? encodeCursor(last) : null };
      },
    );

    app.post(
      '/jobs/:id/retry',
      { schema: { tags: ['jobs'], summary: 'Run a dead or cancelled job again', params: IdParams, response: { 200: Ref('Job'), ...errorResponses } } },
      async (request) => {
        const principal = principalOf(request);
        requireRole(principal, 'admin');
        const job = await ctx.db.kysely.selectFrom('jobs').selectAll().where('id', '=', request.params.id).where('org_id', '=', principal.orgId).executeTakeFirst();
        if (!job) throw notFound('job', request.params.id);
        if (!(await retryJob(ctx.db.kysely, ctx.clock, job.id, principal.orgId))) {
          throw new AppError('invalid_state', `job ${job.id} is ${job.state}; only dead or cancelled jobs can be retried (and not while a newer one with its key is pending)`);
        }
        ctx.signals.jobsEnqueued();
        const updated = await ctx.db.kysely.selectFrom('jobs').selectAll().where('id', '=', job.id).executeTakeFirstOrThrow();
        return jobResource(updated);
      },
    );
  };
