/**
 * The analytics reports behind /v1/analytics/* and `textback report`: a summary, time series,
 * breakdowns, the text-back funnel, the weekday × hour heatmap and an automation's A/B experiment.
 */
import { analyzeExperiment, businessTimeBetween, DEFAULT_EXPERIMENT_RULES, type BusinessHours, type ExperimentResult } from '@textback/core';
import type { AppContext } from '../app-context.js';
import { AppError } from '../support/errors.js';
import { getAutomation } from '../use-cases/automations/automation-store.js';
import { loadFacts, type AnalyticsFilter, type Facts, type SqlKey, type Windows } from './facts.js';
import { MISSED_OUTCOMES, computeMetrics, emptyMetrics, type Grouping, type Metrics } from './metrics.js';
import { bucketIndex, buckets, dayNumberBucket, dayNumberWeekday, LocalClock, parseRange, WEEKDAY_NAMES, type Interval, type Range } from './range.js';

export const DIMENSIONS = ['automation', 'variant', 'number', 'team', 'agent', 'hour', 'weekday', 'source'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export interface ReportInput {
  from?: string | undefined;
  to?: string | undefined;
  tz?: string | undefined;
  /** Days after a text-back in which a reply or an opt-out counts (default 7). */
  replyWindowDays?: number | undefined;
  /** Days after a text-back in which a connected call counts as a callback (default 7). */
  callbackWindowDays?: number | undefined;
  filter?: AnalyticsFilter;
  /** Time to first reply counts only the organization's business hours. */
  businessHours?: boolean | undefined;
}

const DAY_MS = 86_400_000;
export const DEFAULT_WINDOW_DAYS = 7;
/** The most buckets a time series answers (2.7 years of days). */
export const MAX_BUCKETS = 1000;

async function resolveRange(ctx: AppContext, orgId: string, input: ReportInput, defaultFrom?: number): Promise<{ range: Range; windows: Windows }> {
  const org = await ctx.db.kysely.selectFrom('organizations').select(['time_zone', 'business_hours']).where('id', '=', orgId).executeTakeFirstOrThrow();
  let range = parseRange(input, org.time_zone, ctx.clock.now());
  if (input.from === undefined && defaultFrom !== undefined) range = { ...range, from: Math.min(defaultFrom, range.to) };
  const windows: Windows = { replyMs: (input.replyWindowDays ?? DEFAULT_WINDOW_DAYS) * DAY_MS, callbackMs: (input.callbackWindowDays ?? DEFAULT_WINDOW_DAYS) * DAY_MS };
  if (input.businessHours) {
    // The organization's hours in its own zone, whatever `tz` the report uses.
    const hours = { ...(JSON.parse(org.business_hours) as Omit<BusinessHours, 'timeZone'>), timeZone: org.time_zone };
    windows.elapsedMs = (a, b) => businessTimeBetween(hours, a, b);
  }
  return { range, windows };
}

const rangeView = (r: Range) => ({ from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString(), tz: r.zone });

const constant = (key: string): Grouping => ({ sql: { kind: 'constant', value: key }, mapKey: () => key, text: () => key, session: () => key, response: () => key });

const FULL = { responses: true, sessions: true };
const UNITS_ONLY = { responses: false, sessions: false };

function dimensionKey(dimension: Dimension, clock: LocalClock): SqlKey {
  switch (dimension) {
    case 'team':
      return { kind: 'number' };
    case 'hour':
      return { kind: 'localHour', clock };
    case 'weekday':
      return { kind: 'localDay', clock };
    default:
      return { kind: dimension };
  }
}

function dimensionGrouping(dimension: Dimension, facts: Facts, clock: LocalClock): Grouping {
  const none = () => 'none';
  const sqlKey = dimensionKey(dimension, clock);
  const orNone = (raw: string | number | null) => (raw === null ? 'none' : String(raw));
  const team = (numberId: string | null) => (numberId === null ? 'none' : (facts.teams.get(numberId) ?? 'none'));
  switch (dimension) {
    case 'automation':
      return { sql: sqlKey, mapKey: orNone, text: (t) => t.automation_id ?? 'none', session: none, response: none };
    case 'variant':
      return { sql: sqlKey, mapKey: orNone, text: (t) => t.variant_id ?? 'none', session: none, response: none };
    case 'number':
      return { sql: sqlKey, mapKey: orNone, text: (t) => t.number_id, session: (s) => s.number_id, response: (r) => r.inbound.number_id };
    case 'team':
      return { sql: sqlKey, mapKey: (raw) => team(raw === null ? null : String(raw)), text: (t) => team(t.number_id), session: (s) => team(s.number_id), response: (r) => team(r.inbound.number_id) };
    case 'agent':
      return { sql: sqlKey, mapKey: orNone, text: (t) => (t.created_by_type === 'user' && t.created_by_id ? t.created_by_id : 'none'), session: (s) => s.agent_user_id ?? 'none', response: (r) => r.agentId ?? 'none' };
    case 'source':
      return { sql: sqlKey, mapKey: orNone, text: (t) => t.source ?? 'none', session: none, response: none };
    case 'hour': {
      const key = (t: number) => String(clock.hour(t));
      return { sql: sqlKey, mapKey: orNone, text: (t) => key(t.created_at), session: (s) => key(s.created_at), response: (r) => key(r.inbound.created_at) };
    }
    case 'weekday': {
      const key = (t: number) => WEEKDAY_NAMES[clock.weekday(t)] as string;
      return {
        sql: sqlKey,
        mapKey: (raw) => (raw === null ? null : (WEEKDAY_NAMES[dayNumberWeekday(Number(raw))] as string)),
        text: (t) => key(t.created_at),
        session: (s) => key(s.created_at),
        response: (r) => key(r.inbound.created_at),
      };
    }
  }
}

/** The headline numbers of the range. */
export async function summaryReport(ctx: AppContext, orgId: string, input: ReportInput) {
  const { range, windows } = await resolveRange(ctx, orgId, input);
  const grouping = constant('all');
  const facts = await loadFacts(ctx, orgId, range, windows, { key: grouping.sql, ...FULL }, input.filter);
  const metrics = computeMetrics(facts, windows, grouping).metrics.get('all') ?? emptyMetrics();
  return {
    object: 'analytics_summary' as const,
    ...rangeView(range),
    reply_window_days: windows.replyMs / DAY_MS,
    callback_window_days: windows.callbackMs / DAY_MS,
    business_hours: windows.elapsedMs !== undefined,
    ...metrics,
  };
}

/** Every metric per local day, ISO week or month; buckets without activity are there, with zeros. */
export async function timeseriesReport(ctx: AppContext, orgId: string, input: ReportInput & { interval?: Interval | undefined }) {
  const { range, windows } = await resolveRange(ctx, orgId, input);
  const interval = input.interval ?? 'day';
  const list = buckets(range, interval);
  if (list.length > MAX_BUCKETS) {
    throw new AppError('validation_failed', `by: ${interval} from ${input.from ?? 'the default'} to ${input.to ?? 'now'} makes ${list.length} buckets, more than ${MAX_BUCKETS}: use a shorter range or by=week or by=month`, [
      { field: 'by', message: `more than ${MAX_BUCKETS} buckets` },
    ]);
  }
  const clock = new LocalClock(range.zone, range.from, range.to);
  const key = (t: number) => {
    const i = bucketIndex(list, t);
    return i === -1 ? null : (list[i]?.key ?? null);
  };
  const grouping: Grouping = {
    sql: { kind: 'localDay', clock },
    mapKey: (raw) => (raw === null ? null : dayNumberBucket(Number(raw), interval)),
    text: (t) => key(t.created_at),
    session: (s) => key(s.created_at),
    response: (r) => key(r.inbound.created_at),
  };
  const facts = await loadFacts(ctx, orgId, range, windows, { key: grouping.sql, ...FULL }, input.filter);
  const { metrics } = computeMetrics(facts, windows, grouping);
  return {
    object: 'analytics_timeseries' as const,
    ...rangeView(range),
    by: interval,
    data: list.map((b) => ({ bucket: b.key, start: new Date(b.start).toISOString(), end: new Date(b.end).toISOString(), ...(metrics.get(b.key) ?? emptyMetrics()) })),
  };
}

async function groupedFacts(ctx: AppContext, orgId: string, range: Range, windows: Windows, dimension: Dimension, needs: { responses: boolean; sessions: boolean }, filter?: AnalyticsFilter) {
  const clock = new LocalClock(range.zone, range.from, range.to);
  const facts = await loadFacts(ctx, orgId, range, windows, { key: dimensionKey(dimension, clock), ...needs }, filter);
  return { facts, grouping: dimensionGrouping(dimension, facts, clock) };
}

/** Every metric per automation, variant, number, team, agent, hour, weekday or lead source ("none" where a row has none). */
export async function breakdownReport(ctx: AppContext, orgId: string, input: ReportInput & { dimension: Dimension }) {
  const { range, windows } = await resolveRange(ctx, orgId, input);
  const { facts, grouping } = await groupedFacts(ctx, orgId, range, windows, input.dimension, FULL, input.filter);
  const { metrics } = computeMetrics(facts, windows, grouping);
  const keys = [...metrics.keys()];
  if (input.dimension === 'hour') keys.sort((a, b) => Number(a) - Number(b));
  else if (input.dimension === 'weekday') keys.sort((a, b) => WEEKDAY_NAMES.indexOf(a as never) - WEEKDAY_NAMES.indexOf(b as never));
  else keys.sort((a, b) => (a === 'none' ? 1 : b === 'none' ? -1 : a < b ? -1 : a > b ? 1 : 0));
  return { object: 'analytics_breakdown' as const, ...rangeView(range), by: input.dimension, data: keys.map((k) => ({ key: k, ...(metrics.get(k) as Metrics) })) };
}

export const FUNNEL_STAGES = ['missed_calls', 'texts_sent', 'delivered', 'replied', 'called_back', 'opted_out'] as const;

function funnelOf(m: Metrics) {
  const counts = [m.missed_calls, m.text_backs_sent, m.text_backs_delivered, m.replied, m.called_back, m.opted_out];
  return FUNNEL_STAGES.map((stage, i) => ({
    stage,
    count: counts[i] as number,
    // The share of the stage before (a fraction 0..1); opted out is a share of the delivered, like the opt-out rate.
    rate_from_previous: i === 0 ? null : ratioOf(counts[i] as number, (stage === 'opted_out' || stage === 'called_back' ? m.contacts_texted_back : counts[i - 1]) as number),
  }));
}
const ratioOf = (a: number, b: number) => (b > 0 ? a / b : null);

/** The text-back funnel, for the whole range or per group of a dimension. */
export async function funnelReport(ctx: AppContext, orgId: string, input: ReportInput & { dimension?: Dimension | undefined }) {
  const { range, windows } = await resolveRange(ctx, orgId, input);
  const base = { object: 'analytics_funnel' as const, ...rangeView(range), reply_window_days: windows.replyMs / DAY_MS, callback_window_days: windows.callbackMs / DAY_MS };
  if (!input.dimension) {
    const grouping = constant('all');
    const facts = await loadFacts(ctx, orgId, range, windows, { key: grouping.sql, ...UNITS_ONLY }, input.filter);
    const m = computeMetrics(facts, windows, grouping, []).metrics.get('all') ?? emptyMetrics();
    return { ...base, by: null, stages: funnelOf(m) };
  }
  const { facts, grouping } = await groupedFacts(ctx, orgId, range, windows, input.dimension, UNITS_ONLY, input.filter);
  const { metrics } = computeMetrics(facts, windows, grouping, []);
  return { ...base, by: input.dimension, data: [...metrics.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, m]) => ({ key, stages: funnelOf(m) })) };
}

/** Missed calls and first replies by local weekday (mon..sun) × hour (0..23). */
export async function heatmapReport(ctx: AppContext, orgId: string, input: ReportInput) {
  const { range, windows } = await resolveRange(ctx, orgId, input);
  const clock = new LocalClock(range.zone, range.from, range.to + windows.replyMs);
  const grouping: Grouping = { sql: { kind: 'localHourNumber', clock }, mapKey: () => 'all', text: () => 'all', session: () => null, response: () => null };
  const facts = await loadFacts(ctx, orgId, range, windows, { key: grouping.sql, ...UNITS_ONLY }, input.filter);
  const grid = () => Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  const missed = grid();
  const replies = grid();
  for (const c of facts.callGroups) {
    if (c.outcome === null || !MISSED_OUTCOMES.has(c.outcome) || c.key === null) continue;
    const hours = Number(c.key);
    (missed[dayNumberWeekday(Math.floor(hours / 24)) - 1] as number[])[hours % 24]! += c.n;
  }
  const units = computeMetrics(facts, windows, grouping, []).units.get('all') ?? [];
  for (const u of units) if (u.firstReplyAt !== null) (replies[clock.weekday(u.firstReplyAt) - 1] as number[])[clock.hour(u.firstReplyAt)]! += 1;
  return { object: 'analytics_heatmap' as const, ...rangeView(range), weekdays: WEEKDAY_NAMES.slice(1), hours: 24, missed_calls: missed, replies };
}

export interface ExperimentReport {
  object: 'analytics_experiment';
  automation_id: string;
  from: string;
  to: string;
  tz: string;
  reply_window_days: number;
  rules: { min_delivered: number; min_chance_to_beat: number; max_expected_loss: number };
  verdict: ExperimentResult['verdict'];
  winner: string | null;
  more_texts_needed: number | null;
  reason: string;
  variants: (ExperimentResult['variants'][number] & { callback_conversion: number | null; opt_out_rate: number | null; texts_sent: number })[];
}

/** The variant ids an automation's send_sms steps declare, in order. */
function declaredVariants(document: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'send_sms' && Array.isArray(o.variants)) for (const x of o.variants) if (x && typeof (x as { id?: unknown }).id === 'string') out.push((x as { id: string }).id);
      Object.values(o).forEach(walk);
    }
  };
  walk(JSON.parse(document));
  return [...new Set(out)];
}

/** An automation's A/B experiment: each variant's delivered contacts and replies, and the verdict. */
export async function experimentReport(ctx: AppContext, orgId: string, automationId: string, input: ReportInput): Promise<ExperimentReport> {
  const automation = await getAutomation(ctx, orgId, automationId);
  const { range, windows } = await resolveRange(ctx, orgId, input, automation.created_at);
  const grouping: Grouping = {
    sql: { kind: 'variant' },
    mapKey: (raw) => (raw === null ? 'none' : String(raw)),
    text: (t) => (t.automation_id === automationId ? (t.variant_id ?? 'none') : null),
    session: () => null,
    response: () => null,
  };
  const facts = await loadFacts(ctx, orgId, range, windows, { key: grouping.sql, ...UNITS_ONLY }, { ...input.filter, automationIds: [automationId] });
  const { metrics } = computeMetrics(facts, windows, grouping, []);
  const ids = [...new Set([...declaredVariants(automation.document), ...[...metrics.keys()].filter((k) => k !== 'none')])];
  if (ids.length === 0) throw new AppError('invalid_state', `automation ${automationId} has no A/B variants: give a send_sms step "variants" to run an experiment`);
  const rows = ids.map((id) => metrics.get(id) ?? emptyMetrics());
  const result = analyzeExperiment(ids.map((id, i) => ({ id, delivered: (rows[i] as Metrics).contacts_texted_back, replies: (rows[i] as Metrics).replied })));
  return {
    object: 'analytics_experiment',
    automation_id: automationId,
    ...rangeView(range),
    reply_window_days: windows.replyMs / DAY_MS,
    rules: { min_delivered: DEFAULT_EXPERIMENT_RULES.minDelivered, min_chance_to_beat: DEFAULT_EXPERIMENT_RULES.minChanceToBeat, max_expected_loss: DEFAULT_EXPERIMENT_RULES.maxExpectedLoss },
    verdict: result.verdict,
    winner: result.winner,
    more_texts_needed: result.more_texts_needed,
    reason: result.reason,
    variants: result.variants.map((v, i) => ({ ...v, texts_sent: (rows[i] as Metrics).text_backs_sent, callback_conversion: (rows[i] as Metrics).callback_conversion, opt_out_rate: (rows[i] as Metrics).opt_out_rate })),
  };
}

