/**
 * Analytics (supervisors and above, docs/analytics.md): the headline numbers, the text-back funnel,
 * any metric over time (uPlot) by day, week or month, breakdown tables, the weekday × hour heatmaps of
 * missed calls and replies, and an automation's A/B experiment with its verdict. The range and every
 * choice live in the URL, so a link reproduces the view; every count links to the inbox search that
 * lists the conversations behind it. Loaded on demand with its stylesheet.
 * The reports declare no response schema yet (no generated type): their fields are read as the docs name them.
 */
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useSearch } from '@tanstack/react-router';
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ok, type Schemas } from '../api/client';
import { atLeast, useMe } from '../auth';
import { Empty, ErrorNote, Loading } from '../ui';
import { bucketLabel, TimeSeriesChart, type Interval, type SeriesRow } from './chart';
import { formatCount, formatMetric, formatPercent, METRIC_KEYS, METRICS, NONE, searchFor, searchValue, type LinkContext, type MetricInfo, type MetricKey, type SearchScope } from './metrics';
import { describeRange, isDate, PRESETS, rangeFromSearch, todayIn, type Range } from './range';
import './analytics.css';

type AnalyticsSearch = { range?: string; from?: string; to?: string; metric?: string; every?: string; by?: string; experiment?: string; hours?: string };

const SUMMARY: MetricKey[] = ['missed_calls', 'texts_sent', 'delivered', 'delivery_rate', 'reply_rate', 'median_time_to_first_reply_seconds', 'callback_conversion', 'opt_out_rate'];
const SERIES_METRICS: MetricKey[] = METRIC_KEYS;
const INTERVALS: { id: Interval; label: string }[] = [
  { id: 'day', label: 'Day' },
  { id: 'week', label: 'Week' },
  { id: 'month', label: 'Month' },
];
const DIMENSIONS = [
  { id: 'automation', label: 'Automation' },
  { id: 'variant', label: 'Variant' },
  { id: 'number', label: 'Business number' },
  { id: 'team', label: 'Team' },
  { id: 'agent', label: 'Agent' },
  { id: 'hour', label: 'Hour of day' },
  { id: 'weekday', label: 'Weekday' },
  { id: 'source', label: 'Lead source' },
] as const;
type Dimension = (typeof DIMENSIONS)[number]['id'];
const BREAKDOWN_COLUMNS: MetricKey[] = ['missed_calls', 'texts_sent', 'delivered', 'delivery_rate', 'contacts_texted_back', 'replied', 'reply_rate', 'median_time_to_first_reply_seconds', 'called_back', 'callback_conversion', 'opted_out', 'opt_out_rate'];
const AGENT_COLUMNS: MetricKey[] = ['texts_sent', 'agent_responses', 'median_agent_first_response_seconds', 'p90_agent_first_response_seconds', 'sms_vol', 'sms_aht_seconds'];
const STAGES: Record<string, MetricKey> = { missed_calls: 'missed_calls', texts_sent: 'text_backs_sent', delivered: 'text_backs_delivered', replied: 'replied', called_back: 'called_back', opted_out: 'opted_out' };
const STAGE_LABELS: Record<string, string> = { missed_calls: 'Missed calls', texts_sent: 'Texted back', delivered: 'Text-back delivered', replied: 'Replied', called_back: 'Called back', opted_out: 'Opted out' };
const WEEKDAYS: Record<string, string> = { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' };
const hourLabel = (h: number) => `${String(h).padStart(2, '0')}:00–${String((h + 1) % 24).padStart(2, '0')}:00`;

/** The summary as GET /v1/analytics/summary answers it. */
type SummaryData = Omit<Schemas['AnalyticsSummary'], 'cost'>;

function useReport<T>(name: string, params: Record<string, unknown>, enabled: boolean, fetcher: () => Promise<T>) {
  return useQuery({ queryKey: ['analytics', name, params], queryFn: fetcher, staleTime: 60_000, enabled });
}

/** Names for the ids the breakdowns answer with (automations, numbers, teams, agents). */
function useNames() {
  const automations = useQuery({ queryKey: ['analytics', 'automations'], queryFn: async () => (await ok(api.GET('/v1/automations'))).data, staleTime: 60_000 });
  const numbers = useQuery({ queryKey: ['analytics', 'numbers'], queryFn: async () => (await ok(api.GET('/v1/numbers'))).data, staleTime: 60_000 });
  const teams = useQuery({ queryKey: ['teams'], queryFn: async () => (await ok(api.GET('/v1/teams'))).data, staleTime: 60_000 });
  const users = useQuery({ queryKey: ['users'], queryFn: async () => (await ok(api.GET('/v1/users'))).data, staleTime: 60_000 });
  return { automations: automations.data ?? [], numbers: numbers.data ?? [], teams: teams.data ?? [], users: users.data ?? [] };
}
type Names = ReturnType<typeof useNames>;

/** The variant ids of an automation's send_sms steps (its A/B experiment), in order. */
function variantsOf(automation: Schemas['Automation']): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'send_sms' && Array.isArray(o.variants)) for (const x of o.variants as { id?: unknown }[]) if (typeof x?.id === 'string') out.push(x.id);
      Object.values(o).forEach(walk);
    }
  };
  walk(automation.steps);
  return [...new Set(out)];
}

export function Analytics() {
  const me = useMe();
  const search = useSearch({ strict: false }) as AnalyticsSearch;
  const navigate = useNavigate();
  const timeZone = me.organization.time_zone;
  const today = todayIn(timeZone);
  const range = rangeFromSearch(search, today);
  const allowed = atLeast(me.user.role, 'supervisor');
  const names = useNames();
  const setSearch = (patch: Partial<AnalyticsSearch>) => void navigate({ to: '/analytics', search: (prev: AnalyticsSearch) => clean({ ...prev, ...patch }) } as never);
  const query = { from: range.from, to: range.to };
  // Time to first reply counting the organization's open hours only (summary, time series, breakdown).
  const businessHours = search.hours === 'business';
  const withHours = businessHours ? { business_hours: true } : {};
  const summaryQuery = { ...query, ...withHours };
  const summary = useReport('summary', summaryQuery, allowed, async () => ok(api.GET('/v1/analytics/summary', { params: { query: summaryQuery } })));
  const funnel = useReport('funnel', query, allowed, async () => ok(api.GET('/v1/analytics/funnel', { params: { query } })));
  const ctx: LinkContext = {
    ...query,
    automationIds: names.automations.map((a) => String(a.id)),
    replyWindowDays: summary.data?.reply_window_days ?? 7,
    callbackWindowDays: summary.data?.callback_window_days ?? 7,
  };
  if (!allowed) {
    return (
      <div className="page">
        <Empty title="Analytics are for supervisors, admins and owners">Ask an owner or admin of your organization for the numbers you need.</Empty>
      </div>
    );
  }
  return (
    <div className="page analytics">
      <div className="page-head analytics-head">
        <div>
          <h1>Analytics</h1>
          <p className="muted">
            {describeRange(range)} · local days in {summary.data?.tz ?? timeZone}. Click a number to see the conversations behind it.
          </p>
        </div>
        <div className="head-tools">
          <RangePicker range={range} today={today} onChange={(r) => setSearch(r.preset ? { range: r.preset, from: undefined, to: undefined } : { range: undefined, from: r.from, to: r.to })} />
          <label className="check" title="Time to first reply counts only the organization's business hours: a reply that came overnight waited the open hours only.">
            <input type="checkbox" checked={businessHours} onChange={(e) => setSearch({ hours: e.target.checked ? 'business' : undefined })} /> Reply times in business hours only
          </label>
        </div>
      </div>
      <section aria-label="Summary" className="metric-cards">
        {SUMMARY.map((key) => (
          <div key={key} className="metric-card" role="group" aria-label={METRICS[key].label}>
            <div className="metric-label">
              {METRICS[key].label}
              {businessHours && METRICS[key].kind === 'duration' ? ' (business hours)' : ''}
            </div>
            <div className="metric-value">
              {summary.data ? <MetricValue metric={key} value={summary.data[key]} ctx={ctx} /> : NONE}
              {key === 'median_time_to_first_reply_seconds' && summary.data && (
                <span className="metric-sub" title={METRICS.p90_time_to_first_reply_seconds.definition}>
                  90th percentile {formatMetric('p90_time_to_first_reply_seconds', summary.data.p90_time_to_first_reply_seconds)}
                </span>
              )}
            </div>
            <div className="metric-hint clamp" title={METRICS[key].definition}>
              {METRICS[key].definition}
            </div>
          </div>
        ))}
      </section>
      <ErrorNote error={summary.error} />
      <div className="analytics-grid">
        <section className="card" aria-labelledby="funnel-title">
          <div className="section-head">
            <h2 id="funnel-title">Text-back funnel</h2>
            <CsvLink report="funnel" params={query} name="the funnel" />
          </div>
          <p className="muted small">Each step's share of the step before; called back and opted out are shares of the contacts texted back.</p>
          {funnel.isPending ? <Loading /> : funnel.error ? <ErrorNote error={funnel.error} /> : <Funnel stages={funnel.data?.stages ?? []} ctx={ctx} />}
        </section>
        <SeriesSection range={range} timeZone={summary.data?.tz ?? timeZone} search={search} setSearch={setSearch} ctx={ctx} withHours={withHours} />
      </div>
      {summary.data && (
        <div className="analytics-grid even">
          <DeliverySection summary={summary.data} ctx={ctx} />
          <PeopleSection summary={summary.data} />
        </div>
      )}
      <BreakdownSection range={range} search={search} setSearch={setSearch} ctx={ctx} names={names} withHours={withHours} />
      <HeatmapSection range={range} timeZone={summary.data?.tz ?? timeZone} />
      <ExperimentSection search={search} setSearch={setSearch} names={names} today={today} />
      <Glossary />
    </div>
  );
}

const clean = (s: AnalyticsSearch): AnalyticsSearch => Object.fromEntries(Object.entries(s).filter(([, v]) => typeof v === 'string' && v !== '')) as AnalyticsSearch;

/** A count that links to the inbox search for the conversations behind it (when search can say which). */
function MetricValue({ metric, value, ctx, scope }: { metric: MetricKey; value: unknown; ctx: LinkContext; scope?: SearchScope | null }) {
  const text = formatMetric(metric, value);
  const q = scope === null || typeof value !== 'number' || value === 0 ? null : searchFor(metric, ctx, scope);
  if (!q) return <>{text}</>;
  return (
    <Link to="/inbox/$view" params={{ view: 'all' }} search={{ q }} className="metric-link" title={`${METRICS[metric].label}: open the conversations behind this number`}>
      {text}
    </Link>
  );
}

function RangePicker({ range, today, onChange }: { range: Range; today: string; onChange: (r: Range) => void }) {
  const [draft, setDraft] = useState({ from: range.from, to: range.to });
  useEffect(() => setDraft({ from: range.from, to: range.to }), [range.from, range.to]);
  const valid = isDate(draft.from) && isDate(draft.to) && draft.from <= draft.to;
  return (
    <div className="range-picker" role="group" aria-label="Date range">
      <div className="segmented presets">
        {PRESETS.map((p) => (
          <button key={p.id} type="button" className={`btn small ${range.preset === p.id ? 'on' : ''}`} aria-pressed={range.preset === p.id} onClick={() => onChange({ from: '', to: '', preset: p.id })}>
            {p.label}
          </button>
        ))}
      </div>
      <form
        className="range-dates"
        aria-label="Custom dates"
        onSubmit={(e) => {
          e.preventDefault();
          if (valid) onChange({ ...draft, preset: null });
        }}
      >
        <label className="field inline">
          <span>From</span>
          <input type="date" value={draft.from} max={draft.to || today} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
        </label>
        <label className="field inline">
          <span>To</span>
          <input type="date" value={draft.to} min={draft.from} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
        </label>
        <button className="btn small" disabled={!valid || (draft.from === range.from && draft.to === range.to && range.preset === null)}>
          Apply
        </button>
      </form>
    </div>
  );
}

function Funnel({ stages, ctx }: { stages: NonNullable<Schemas['AnalyticsFunnel']['stages']>; ctx: LinkContext }) {
  const max = Math.max(1, ...stages.map((s) => Number(s.count)));
  return (
    <ol className="funnel" aria-label="Funnel">
      {stages.map((s, i) => {
        const metric = STAGES[s.stage];
        return (
          <li key={s.stage} className="funnel-row" title={metric ? METRICS[metric].definition : undefined}>
            <span className="funnel-label">{STAGE_LABELS[s.stage] ?? s.stage}</span>
            <span className="funnel-track" aria-hidden="true">
              <span className="funnel-bar" style={{ width: `${(Number(s.count) / max) * 100}%` }} />
            </span>
            <span className="funnel-count">{metric ? <MetricValue metric={metric} value={s.count} ctx={ctx} /> : formatCount(s.count)}</span>
            <span className="funnel-rate muted">{i === 0 ? '' : formatPercent(s.rate_from_previous)}</span>
          </li>
        );
      })}
    </ol>
  );
}

type SetSearch = (patch: Partial<AnalyticsSearch>) => void;

/** A labelled select whose name is its label only (a select inside its label would add its option to the name). */
function Picker({ id, label, value, onChange, title, children }: { id: string; label: string; value: string; onChange: (v: string) => void; title?: string; children: ReactNode }) {
  return (
    <div className="field inline picker">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} title={title}>
        {children}
      </select>
    </div>
  );
}

function SeriesSection({ range, timeZone, search, setSearch, ctx, withHours }: { range: Range; timeZone: string; search: AnalyticsSearch; setSearch: SetSearch; ctx: LinkContext; withHours: object }) {
  const metric: MetricKey = SERIES_METRICS.includes(search.metric as MetricKey) ? (search.metric as MetricKey) : 'texts_sent';
  const interval: Interval = INTERVALS.some((i) => i.id === search.every) ? (search.every as Interval) : 'day';
  const params = { from: range.from, to: range.to, by: interval, ...withHours };
  const series = useReport('timeseries', params, true, async () => ok(api.GET('/v1/analytics/timeseries', { params: { query: params } })));
  const rows = (series.data?.data ?? []) as SeriesRow[];
  return (
    <section className="card" aria-labelledby="series-title">
      <div className="section-head">
        <h2 id="series-title">{METRICS[metric].label} over time</h2>
        <div className="section-tools">
          <Picker id="series-metric" label="Metric" value={metric} onChange={(v) => setSearch({ metric: v === 'texts_sent' ? undefined : v })} title={METRICS[metric].definition}>
            {SERIES_METRICS.map((k) => (
              <option key={k} value={k}>
                {METRICS[k].label}
              </option>
            ))}
          </Picker>
          <div className="segmented" role="group" aria-label="Granularity">
            {INTERVALS.map((i) => (
              <button key={i.id} type="button" className={`btn small ${interval === i.id ? 'on' : ''}`} aria-pressed={interval === i.id} onClick={() => setSearch({ every: i.id === 'day' ? undefined : i.id })}>
                {i.label}
              </button>
            ))}
          </div>
          <CsvLink report="timeseries" params={params} name="every metric over time" />
        </div>
      </div>
      <p className="metric-hint">{METRICS[metric].definition}</p>
      {series.isPending ? <Loading /> : series.error ? <ErrorNote error={series.error} /> : <TimeSeriesChart rows={rows} metric={metric} interval={interval} timeZone={timeZone} />}
      {rows.length > 0 && (
        <details className="series-table">
          <summary>Show the numbers</summary>
          <div className="table-scroll" tabIndex={0} role="region" aria-label={`${METRICS[metric].label} per ${interval}`}>
            <table className="table analytics-table">
              <thead>
                <tr>
                  <th scope="col">{INTERVALS.find((i) => i.id === interval)?.label}</th>
                  <th scope="col">{METRICS[metric].label}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => {
                  const from = String(r.bucket).length === 10 ? String(r.bucket) : r.start.slice(0, 10);
                  return (
                    <tr key={r.bucket}>
                      <th scope="row">{bucketLabel(r.start, interval, timeZone, true)}</th>
                      <td>
                        <MetricValue metric={metric} value={r[metric]} ctx={{ ...ctx, ...bucketDates(r, interval, timeZone, from) }} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </section>
  );
}

/** A bucket's local dates (first and last day), clipped by nothing: the search reads them in the same zone. */
function bucketDates(r: SeriesRow, interval: Interval, timeZone: string, fallback: string): { from: string; to: string } {
  const local = (iso: string) => todayIn(timeZone, new Date(iso));
  const from = local(r.start) || fallback;
  if (interval === 'day') return { from, to: from };
  const end = typeof r.end === 'string' ? local(new Date(Date.parse(r.end) - 1).toISOString()) : from;
  return { from, to: end };
}

function groupLabel(by: Dimension, key: string, names: Names): string {
  if (key === 'none') {
    return { automation: 'No automation', variant: 'No variant', number: 'No number', team: 'No team', agent: 'No agent', hour: 'None', weekday: 'None', source: 'No lead source' }[by];
  }
  switch (by) {
    case 'automation':
      return names.automations.find((a) => a.id === key)?.name ?? key;
    case 'variant':
      return `Variant ${key}`;
    case 'number': {
      const n = names.numbers.find((x) => x.id === key);
      return n ? (n.name ? `${n.name} (${n.phone})` : n.phone) : key;
    }
    case 'team':
      return names.teams.find((t) => t.id === key)?.name ?? key;
    case 'agent': {
      const u = names.users.find((x) => x.id === key);
      return u ? (u.name ?? u.email) : key;
    }
    case 'hour':
      return hourLabel(Number(key));
    case 'weekday':
      return WEEKDAYS[key] ?? key;
    case 'source':
      return key;
  }
}

/** What the search language can say about a group; null when it cannot (hour, weekday, team, agent). */
function groupScope(by: Dimension, key: string, names: Names): SearchScope | null {
  if (key === 'none') return null;
  switch (by) {
    case 'automation':
      return { sms: [`automation:${searchValue(key)}`] };
    case 'variant':
      return { sms: [`variant:${searchValue(key)}`] };
    case 'number': {
      const phone = names.numbers.find((x) => x.id === key)?.phone;
      return phone ? { sms: [`number:${searchValue(phone)}`], call: [`number:${searchValue(phone)}`] } : null;
    }
    case 'source':
      return { contact: [`source:${searchValue(key)}`] };
    default:
      return null;
  }
}

function BreakdownSection({ range, search, setSearch, ctx, names, withHours }: { range: Range; search: AnalyticsSearch; setSearch: SetSearch; ctx: LinkContext; names: Names; withHours: object }) {
  const by: Dimension = DIMENSIONS.some((d) => d.id === search.by) ? (search.by as Dimension) : 'variant';
  const params = { from: range.from, to: range.to, by, ...withHours };
  const report = useReport('breakdown', params, true, async () => ok(api.GET('/v1/analytics/breakdown', { params: { query: params } })));
  const rows = (report.data?.data ?? []);
  const columns = by === 'agent' ? AGENT_COLUMNS : BREAKDOWN_COLUMNS;
  const linkable = by === 'automation' || by === 'variant' || by === 'number' || by === 'source';
  return (
    <section className="card" aria-labelledby="breakdown-title">
      <div className="section-head">
        <h2 id="breakdown-title">Breakdown by {DIMENSIONS.find((d) => d.id === by)?.label.toLowerCase()}</h2>
        <div className="section-tools">
          <CsvLink report="breakdown" params={params} name={`every metric by ${by}`} />
          <Picker id="breakdown-by" label="Break down by" value={by} onChange={(v) => setSearch({ by: v === 'variant' ? undefined : v })}>
            {DIMENSIONS.map((d) => (
              <option key={d.id} value={d.id}>
                {d.label}
              </option>
            ))}
          </Picker>
        </div>
      </div>
      {!linkable && <p className="muted small">The inbox search cannot select by {DIMENSIONS.find((d) => d.id === by)?.label.toLowerCase()}: these numbers do not link to conversations.</p>}
      {report.isPending ? (
        <Loading />
      ) : report.error ? (
        <ErrorNote error={report.error} />
      ) : rows.length === 0 ? (
        <p className="muted">Nothing in this range.</p>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-label={`Breakdown by ${by}, scrolls sideways`}>
          <table className="table analytics-table">
            <thead>
              <tr>
                <th scope="col">{DIMENSIONS.find((d) => d.id === by)?.label}</th>
                {columns.map((k) => (
                  <th key={k} scope="col" title={`${METRICS[k].label}: ${METRICS[k].definition}`}>
                    {(METRICS[k] as MetricInfo).short ?? METRICS[k].label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const scope = groupScope(by, String(r.key), names);
                return (
                  <tr key={r.key}>
                    <th scope="row" className={r.key === 'none' ? 'muted' : undefined}>
                      {groupLabel(by, String(r.key), names)}
                    </th>
                    {columns.map((k) => (
                      <td key={k}>
                        <MetricValue metric={k} value={r[k]} ctx={ctx} scope={scope} />
                      </td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function HeatmapSection({ range, timeZone }: { range: Range; timeZone: string }) {
  const params = { from: range.from, to: range.to };
  const report = useReport('heatmap', params, true, async () => ok(api.GET('/v1/analytics/heatmap', { params: { query: params } })));
  return (
    <section className="card" aria-labelledby="heatmap-title">
      <div className="section-head">
        <h2 id="heatmap-title">When calls are missed and contacts reply</h2>
        <CsvLink report="heatmap" params={params} name="the heatmaps" />
      </div>
      <p className="muted small">Per local weekday and hour in {report.data?.tz ?? timeZone}. Darker is more; hover or focus a cell for its count.</p>
      {report.isPending ? (
        <Loading />
      ) : report.error ? (
        <ErrorNote error={report.error} />
      ) : (
        <div className="heatmaps">
          <Heatmap title="Missed calls" noun={['missed call', 'missed calls']} weekdays={report.data.weekdays} grid={report.data.missed_calls} definition={METRICS.missed_calls.definition} />
          <Heatmap title="Replies" noun={['first reply', 'first replies']} weekdays={report.data.weekdays} grid={report.data.replies} definition="Contacts' first replies to a text-back, at the hour they replied." />
        </div>
      )}
    </section>
  );
}

function Heatmap({ title, noun, weekdays, grid, definition }: { title: string; noun: [string, string]; weekdays: string[]; grid: number[][]; definition: string }) {
  const max = Math.max(1, ...grid.flat());
  const total = grid.flat().reduce((a, b) => a + b, 0);
  return (
    <figure className="heatmap">
      <figcaption>
        <strong>{title}</strong> <span className="muted">{total.toLocaleString('en-US')} in all · {definition}</span>
      </figcaption>
      <div className="table-scroll" tabIndex={0} role="region" aria-label={`${title} by weekday and hour, scrolls sideways`}>
        <table className="heatmap-table" aria-label={`${title} by weekday and hour`}>
          <thead>
            <tr>
              <td />
              {Array.from({ length: 24 }, (_, h) => (
                <th key={h} scope="col" aria-label={hourLabel(h)}>
                  {h % 3 === 0 ? h : ''}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {weekdays.map((d, i) => (
              <tr key={d}>
                <th scope="row">{(WEEKDAYS[d] ?? d).slice(0, 3)}</th>
                {(grid[i] ?? []).map((n, h) => {
                  const level = n === 0 ? 0 : Math.max(1, Math.ceil((n / max) * 5));
                  const label = `${WEEKDAYS[d] ?? d} ${hourLabel(h)}: ${n.toLocaleString('en-US')} ${n === 1 ? noun[0] : noun[1]}`;
                  return (
                    <td key={h} className={`heat l${level}`} title={label} aria-label={label}>
                      {n > 0 ? n : ''}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}

function ExperimentSection({ search, setSearch, names, today }: { search: AnalyticsSearch; setSearch: SetSearch; names: Names; today: string }) {
  const candidates = useMemo(() => names.automations.filter((a) => variantsOf(a).length > 0), [names.automations]);
  const chosen = candidates.find((a) => a.id === search.experiment) ?? candidates[0];
  const report = useQuery({
    queryKey: ['analytics', 'experiment', chosen?.id],
    queryFn: async () => ok(api.GET('/v1/analytics/experiments/{id}', { params: { path: { id: String(chosen?.id) } } })),
    enabled: !!chosen,
    staleTime: 60_000,
  });
  return (
    <section className="card" aria-labelledby="experiment-title">
      <div className="section-head">
        <h2 id="experiment-title">A/B experiment</h2>
        {candidates.length > 1 && (
          <Picker id="experiment-automation" label="Automation" value={chosen?.id ?? ''} onChange={(v) => setSearch({ experiment: v })}>
            {candidates.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </Picker>
        )}
      </div>
      {!chosen ? (
        <p className="muted">No automation has A/B variants. Give a “Send a text” step several variants to compare their reply rates here.</p>
      ) : report.isPending ? (
        <Loading />
      ) : report.error ? (
        <ErrorNote error={report.error} />
      ) : (
        <ExperimentCard report={report.data} name={String(chosen.name)} today={today} automationIds={names.automations.map((a) => String(a.id))} />
      )}
    </section>
  );
}

function Verdict({ report }: { report: Schemas['AnalyticsExperiment'] }): ReactNode {
  if (report.verdict === 'winner') return <>Variant {report.winner} wins</>;
  const n = report.more_texts_needed;
  return <>Too early to tell{typeof n === 'number' && n > 0 ? `: about ${n.toLocaleString('en-US')} more texts needed` : ''}</>;
}

function ExperimentCard({ report, name, today, automationIds }: { report: Schemas['AnalyticsExperiment']; name: string; today: string; automationIds: string[] }) {
  const from = todayIn(report.tz, new Date(report.from));
  const ctx: LinkContext = { from, to: today, automationIds, replyWindowDays: report.reply_window_days };
  const scope = (variant: string): SearchScope => ({ sms: [`automation:${searchValue(report.automation_id)}`, `variant:${searchValue(variant)}`] });
  const reason = String(report.reason ?? '');
  return (
    <div className="experiment" role="group" aria-label={`Experiment: ${name}`}>
      <p className="muted small">
        “{name}”, since {describeRange({ from, to: from })}. A winner needs every variant at {report.rules.min_delivered}+ delivered, a {formatPercent(report.rules.min_chance_to_beat, 0)} chance to beat the others and an expected loss under{' '}
        {(report.rules.max_expected_loss * 100).toFixed(1)} percentage points.
      </p>
      <p className={`verdict ${report.verdict === 'winner' ? 'won' : 'early'}`} role="status">
        <strong>
          <Verdict report={report} />
        </strong>
        {reason && <span className="verdict-reason">{reason.charAt(0).toUpperCase() + reason.slice(1)}.</span>}
      </p>
      <div className="table-scroll" tabIndex={0} role="region" aria-label="Variants, scrolls sideways">
        <table className="table analytics-table">
          <thead>
            <tr>
              <th scope="col">Variant</th>
              <th scope="col" title="Text-backs of this variant handed to a carrier.">
                Texts sent
              </th>
              <th scope="col" title={METRICS.contacts_texted_back.definition}>
                Delivered
              </th>
              <th scope="col" title={METRICS.replied.definition}>
                Replies
              </th>
              <th scope="col" title={`${METRICS.reply_rate.definition} The range is the 95% Wilson score interval.`}>
                Reply rate (95% interval)
              </th>
              <th scope="col" title="The probability that this variant's true reply rate is the highest of all variants.">
                Chance to beat
              </th>
              <th scope="col" title="How much reply rate choosing this variant would lose on average if another variant is in fact better.">
                Expected loss
              </th>
              <th scope="col" title={METRICS.callback_conversion.definition}>
                Callback conversion
              </th>
              <th scope="col" title={METRICS.opt_out_rate.definition}>
                Opt-out rate
              </th>
            </tr>
          </thead>
          <tbody>
            {(report.variants).map((v) => (
              <tr key={v.id} className={report.winner === v.id ? 'winner' : undefined}>
                <th scope="row">
                  Variant {v.id}
                  {report.winner === v.id && <span className="winner-chip">Winner</span>}
                </th>
                <td>{formatCount(v.texts_sent)}</td>
                <td>
                  <MetricValue metric="contacts_texted_back" value={v.delivered} ctx={ctx} scope={scope(v.id)} />
                </td>
                <td>
                  <MetricValue metric="replied" value={v.replies} ctx={ctx} scope={scope(v.id)} />
                </td>
                <td>
                  {formatPercent(v.reply_rate)}
                  {v.reply_rate_interval && (
                    <span className="interval">
                      {' '}
                      ({formatPercent(v.reply_rate_interval.low)}–{formatPercent(v.reply_rate_interval.high)})
                    </span>
                  )}
                </td>
                <td>{formatPercent(v.chance_to_beat)}</td>
                <td>{typeof v.expected_loss === 'number' ? `${(v.expected_loss * 100).toFixed(2)} pts` : NONE}</td>
                <td>{formatPercent(v.callback_conversion)}</td>
                <td>{formatPercent(v.opt_out_rate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** The report as a CSV file (the API's `format=csv`, with the same range and choices). */
function CsvLink({ report, params, name }: { report: string; params: Record<string, unknown>; name: string }) {
  const qs = new URLSearchParams(Object.entries({ ...params, format: 'csv' }).map(([k, v]) => [k, String(v)]));
  return (
    <a className="btn small csv-link" href={`/v1/analytics/${report}?${qs}`} download aria-label={`Download ${name} as CSV`}>
      CSV
    </a>
  );
}

const humanize = (key: string) => (key === 'unknown' ? 'Unknown' : `${key.charAt(0).toUpperCase()}${key.slice(1).replace(/_/g, ' ')}`);

/** Texts that did not reach anyone: failed (per reason and carrier error code), held and blocked (per rule). */
function DeliverySection({ summary, ctx }: { summary: SummaryData; ctx: LinkContext }) {
  const groups: { metric: MetricKey; parts: [string, Record<string, number>, (key: string) => SearchScope | null][] }[] = [
    {
      metric: 'failed',
      parts: [
        ['By reason', summary.failed_by_reason ?? {}, (k) => (k === 'unknown' ? null : { sms: [`reason:${searchValue(k)}`] })],
        ['By carrier error code', summary.failed_by_error_code ?? {}, (k) => (k === 'unknown' ? null : { sms: [`error_code:${searchValue(k)}`] })],
      ],
    },
    { metric: 'held', parts: [['By rule', summary.held_by_rule ?? {}, () => null]] },
    { metric: 'blocked', parts: [['By rule', summary.blocked_by_rule ?? {}, () => null]] },
  ];
  return (
    <section className="card" aria-labelledby="delivery-title">
      <h2 id="delivery-title">Texts that did not go out</h2>
      <p className="muted small">
        Delivery rate {formatPercent(summary.delivery_rate)} · block rate {formatPercent(summary.block_rate)} · {formatCount(summary.segments)} segments sent.
      </p>
      <dl className="figures">
        {groups.map(({ metric, parts }) => (
          <div key={metric} className="figure-group">
            <dt title={METRICS[metric].definition}>{METRICS[metric].label}</dt>
            <dd className="figure-total">
              <MetricValue metric={metric} value={summary[metric]} ctx={ctx} />
            </dd>
            {parts.map(([title, counts, scope]) =>
              Object.keys(counts).length === 0 ? null : (
                <dd key={title} className="figure-parts">
                  <span className="muted">{title}:</span>{' '}
                  {Object.entries(counts)
                    .sort((a, b) => b[1] - a[1])
                    .map(([k, n], i) => (
                      <span key={k} className="figure-part">
                        {i > 0 ? ', ' : ''}
                        {humanize(k)} <MetricValue metric={metric} value={n} ctx={ctx} scope={scope(k)} />
                      </span>
                    ))}
                </dd>
              ),
            )}
          </div>
        ))}
      </dl>
    </section>
  );
}

const PEOPLE: MetricKey[] = ['agent_responses', 'median_agent_first_response_seconds', 'p90_agent_first_response_seconds', 'sms_vol', 'sms_aht_seconds', 'queue_avg_wait_seconds', 'queue_abandoned'];

/** Agents' response times and the queues (SMS_VOL, SMS_AHT); per agent in the breakdown by agent. */
function PeopleSection({ summary }: { summary: SummaryData }) {
  return (
    <section className="card" aria-labelledby="people-title">
      <h2 id="people-title">Agents and queues</h2>
      <p className="muted small">Per agent: break down by agent below.</p>
      <dl className="figures two">
        {PEOPLE.map((k) => (
          <div key={k} className="figure-group">
            <dt title={METRICS[k].definition}>{METRICS[k].label}</dt>
            <dd className="figure-total">{formatMetric(k, summary[k])}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function Glossary() {
  return (
    <details className="card glossary">
      <summary>
        <h2>What the numbers mean</h2>
      </summary>
      <dl>
        {METRIC_KEYS.map((k) => (
          <div key={k}>
            <dt>
              {METRICS[k].label} <code>{k}</code>
            </dt>
            <dd>{METRICS[k].definition}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}
