/**
 * Analytics (docs/analytics.md): the summary, time series, breakdowns, funnel, heatmap and A/B
 * experiments of the organization, as JSON or CSV (`Accept: text/csv` or `?format=csv`).
 * Supervisor role or above.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { breakdownCsv, experimentCsv, funnelCsv, heatmapCsv, summaryCsv, timeseriesCsv } from '../../analytics/csv.js';
import { INTERVALS } from '../../analytics/range.js';
import { breakdownReport, DIMENSIONS, experimentReport, funnelReport, heatmapReport, summaryReport, timeseriesReport, type ReportInput } from '../../analytics/report.js';
import { requireRole } from '../../use-cases/organizations.js';
import { principalOf } from '../auth.js';
import { errorResponses, IdParams, OneOf, RefTo } from '../schemas.js';
import { AnalyticsBreakdownSchema, AnalyticsExperimentSchema, AnalyticsFunnelSchema, AnalyticsHeatmapSchema, AnalyticsSummarySchema, AnalyticsTimeseriesSchema } from '../resource-schemas.js';

const Window = (what: string) => Type.Optional(Type.Integer({ minimum: 1, maximum: 90, description: `Days after a text-back in which ${what} counts (default 7)` }));

/** Every analytics route takes these; each declares the rest (`by`). */
const RangeQuery = {
  from: Type.Optional(Type.String({ maxLength: 40, description: 'Start: a date (2026-03-01, the start of that local day) or an instant (2026-03-01T09:00:00Z). Default: 29 days before `to`' })),
  to: Type.Optional(Type.String({ maxLength: 40, description: 'End: a date (the whole local day is included) or an instant (exclusive). Default: now' })),
  tz: Type.Optional(Type.String({ maxLength: 64, description: "IANA time zone of the days, weeks, months, hours and weekdays. Default: the organization's" })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { description: 'csv: the same as Accept: text/csv' })),
  reply_window_days: Window('a reply or an opt-out'),
  callback_window_days: Window('a connected call'),
  // A search filter (`query=`, the search language) plugs in here: compile it into an AnalyticsFilter (analytics/facts.ts).
};
/** Only where time to first reply is shown. */
const BusinessHoursQuery = {
  business_hours: Type.Optional(Type.Boolean({ description: "true: time to first reply counts only the organization's business hours (a reply overnight waited the open hours only)" })),
};
const Dimension = OneOf(DIMENSIONS, { description: DIMENSIONS.join(', ') });
const RangeOnly = Type.Object(RangeQuery, { additionalProperties: false });

type RangeQueryType = Static<typeof RangeOnly> & { business_hours?: boolean };

function input(q: RangeQueryType): ReportInput {
  return { from: q.from, to: q.to, tz: q.tz, replyWindowDays: q.reply_window_days, callbackWindowDays: q.callback_window_days, businessHours: q.business_hours };
}

function wantsCsv(request: FastifyRequest, q: RangeQueryType): boolean {
  if (q.format) return q.format === 'csv';
  const accept = String(request.headers.accept ?? '');
  return /\btext\/csv\b/.test(accept) && !/\bapplication\/json\b/.test(accept.split(',')[0] ?? '');
}

function sendCsv(reply: FastifyReply, name: string, body: string) {
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`).send(body);
}

const tags = ['analytics'];

export const analyticsRoutes =
  (ctx: AppContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/analytics/summary',
      {
        schema: {
          tags,
          summary: 'The headline numbers of a range (docs/analytics.md); rates are fractions 0..1',
          querystring: Type.Object({ ...RangeQuery, ...BusinessHoursQuery }, { additionalProperties: false }),
          response: { 200: RefTo(AnalyticsSummarySchema), ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requireRole(principal, 'supervisor');
        const report = await summaryReport(ctx, principal.orgId, input(request.query));
        return wantsCsv(request, request.query) ? sendCsv(reply, 'summary', summaryCsv(report)) : report;
      },
    );

    app.get(
      '/analytics/timeseries',
      {
        schema: {
          tags,
          summary: "Every metric per local day, ISO week or month of the range (the organization's time zone, or tz)",
          querystring: Type.Object({ ...RangeQuery, ...BusinessHoursQuery, by: Type.Optional(OneOf(INTERVALS, { description: 'day (default), week or month' })) }, { additionalProperties: false }),
          response: { 200: RefTo(AnalyticsTimeseriesSchema), ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requireRole(principal, 'supervisor');
        const report = await timeseriesReport(ctx, principal.orgId, { ...input(request.query), interval: request.query.by });
        return wantsCsv(request, request.query) ? sendCsv(reply, 'timeseries', timeseriesCsv(report)) : report;
      },
    );

    app.get(
      '/analytics/breakdown',
      {
        schema: {
          tags,
          summary: 'Every metric per automation, variant, number, team, agent, hour of day, weekday or lead source',
          querystring: Type.Object({ ...RangeQuery, ...BusinessHoursQuery, by: Dimension }, { additionalProperties: false }),
          response: { 200: RefTo(AnalyticsBreakdownSchema), ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requireRole(principal, 'supervisor');
        const report = await breakdownReport(ctx, principal.orgId, { ...input(request.query), dimension: request.query.by });
        return wantsCsv(request, request.query) ? sendCsv(reply, `breakdown-${request.query.by}`, breakdownCsv(report)) : report;
      },
    );

    app.get(
      '/analytics/funnel',
      {
        schema: {
          tags,
          summary: 'The text-back funnel: missed calls → texts sent → delivered → replied → called back → opted out; optionally per group (by)',
          querystring: Type.Object({ ...RangeQuery, by: Type.Optional(Dimension) }, { additionalProperties: false }),
          response: { 200: RefTo(AnalyticsFunnelSchema), ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requireRole(principal, 'supervisor');
        const report = await funnelReport(ctx, principal.orgId, { ...input(request.query), dimension: request.query.by });
        return wantsCsv(request, request.query) ? sendCsv(reply, 'funnel', funnelCsv(report)) : report;
      },
    );

    app.get(
      '/analytics/heatmap',
      { schema: { tags, summary: 'Missed calls and first replies by local weekday (mon..sun) × hour (0..23)', querystring: RangeOnly, response: { 200: RefTo(AnalyticsHeatmapSchema), ...errorResponses } } },
      async (request, reply) => {
        const principal = principalOf(request);
        requireRole(principal, 'supervisor');
        const report = await heatmapReport(ctx, principal.orgId, input(request.query));
        return wantsCsv(request, request.query) ? sendCsv(reply, 'heatmap', heatmapCsv(report)) : report;
      },
    );

    app.get(
      '/analytics/experiments/:id',
      {
        schema: {
          tags,
          summary: "An automation's A/B experiment: each variant's delivered contacts, replies, reply rate with its 95% Wilson interval, chance to beat the others, expected loss, and the verdict. Default range: since the automation was created",
          params: IdParams,
          querystring: RangeOnly,
          response: { 200: RefTo(AnalyticsExperimentSchema), ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requireRole(principal, 'supervisor');
        const report = await experimentReport(ctx, principal.orgId, request.params.id, input(request.query));
        return wantsCsv(request, request.query) ? sendCsv(reply, `experiment-${request.params.id}`, experimentCsv(report)) : report;
      },
    );
  };
