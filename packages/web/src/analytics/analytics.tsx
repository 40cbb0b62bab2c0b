/**
 * Analytics (supervisors and above): the headline numbers, the text-back funnel, texts per day and
 * the reply rate per A/B variant over a range of local days. Loaded on demand with its stylesheet.
 * Names and definitions as in docs/analytics.md; rates are fractions 0..1, null when there is nothing to divide by.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok, type Untyped } from '../api/client';
import { atLeast, useMe } from '../auth';
import { Empty, ErrorNote, Loading } from '../ui';
import './analytics.css';

const PRESETS = [7, 30, 90] as const;
type Range = { from: string; to: string };

/** A local date as YYYY-MM-DD. */
const isoDate = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
function lastDays(n: number, now = new Date()): Range {
  const from = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (n - 1));
  return { from: isoDate(from), to: isoDate(now) };
}

const NONE = '—';
const count = (v: unknown) => (typeof v === 'number' ? v.toLocaleString() : NONE);
const percent = (v: unknown) => (typeof v === 'number' ? `${(v * 100).toFixed(1)}%` : NONE);
function duration(v: unknown): string {
  if (typeof v !== 'number') return NONE;
  if (v < 60) return `${Math.round(v)} s`;
  if (v < 3600) return `${Math.round(v / 60)} min`;
  if (v < 86_400) return `${(v / 3600).toFixed(1)} h`;
  return `${(v / 86_400).toFixed(1)} d`;
}

const CARDS = [
  { key: 'missed_calls', label: 'Missed calls', hint: 'Inbound calls missed or sent to voicemail.', show: count },
  { key: 'texts_sent', label: 'Texts sent', hint: 'Outbound texts handed to a carrier.', show: count },
  { key: 'delivery_rate', label: 'Delivery rate', hint: 'Delivered ÷ texts sent.', show: percent },
  { key: 'reply_rate', label: 'Reply rate', hint: 'Contacts texted back who replied in the reply window.', show: percent },
  { key: 'median_time_to_first_reply_seconds', label: 'Median time to first reply', hint: 'From the text-back to the first reply, over contacts who replied.', show: duration },
  { key: 'opt_out_rate', label: 'Opt-out rate', hint: 'Contacts texted back who opted out in the reply window.', show: percent },
] as const;

const STAGES: Record<string, string> = { missed_calls: 'Missed calls', texts_sent: 'Texts sent', delivered: 'Delivered', replied: 'Replied', called_back: 'Called back', opted_out: 'Opted out' };
const SERIES = [
  { key: 'texts_sent', label: 'Texts sent', className: 's1' },
  { key: 'delivered', label: 'Delivered', className: 's2' },
  { key: 'replied', label: 'Replied', className: 's3' },
] as const;

// The reports declare no response schema yet (so no generated type): their fields are read as docs/analytics.md names them.
function useReport(name: string, range: Range, enabled: boolean, fetcher: () => Promise<Untyped>) {
  return useQuery({ queryKey: ['analytics', name, range.from, range.to], queryFn: fetcher, staleTime: 60_000, enabled });
}

export function Analytics() {
  const me = useMe();
  const [range, setRange] = useState<Range>(() => lastDays(30));
  const allowed = atLeast(me.user.role, 'supervisor');
  const query = { from: range.from, to: range.to };
  const summary = useReport('summary', range, allowed, async () => ok(api.GET('/v1/analytics/summary', { params: { query } })));
  const funnel = useReport('funnel', range, allowed, async () => ok(api.GET('/v1/analytics/funnel', { params: { query } })));
  const series = useReport('timeseries', range, allowed, async () => ok(api.GET('/v1/analytics/timeseries', { params: { query: { ...query, by: 'day' } } })));
  const variants = useReport('variant', range, allowed, async () => ok(api.GET('/v1/analytics/breakdown', { params: { query: { ...query, by: 'variant' } } })));
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
          <p className="muted">Local days, in the organization's time zone. Definitions as in the analytics guide.</p>
        </div>
        <RangePicker range={range} onChange={setRange} />
      </div>
      <section aria-label="Summary" className="metric-cards">
        {CARDS.map((c) => (
          <div key={c.key} className="metric-card" role="group" aria-label={c.label}>
            <div className="metric-label">{c.label}</div>
            <div className="metric-value">{summary.data ? c.show(summary.data[c.key]) : NONE}</div>
            <div className="metric-hint">{c.hint}</div>
          </div>
        ))}
      </section>
      <ErrorNote error={summary.error} />
      <div className="analytics-grid">
        <section className="card" aria-labelledby="funnel-title">
          <h2 id="funnel-title">Text-back funnel</h2>
          {funnel.isPending ? <Loading /> : funnel.error ? <ErrorNote error={funnel.error} /> : <Funnel stages={funnel.data.stages} />}
        </section>
        <section className="card" aria-labelledby="series-title">
          <h2 id="series-title">Texts per day</h2>
          {series.isPending ? <Loading /> : series.error ? <ErrorNote error={series.error} /> : <LineChart rows={series.data.data} />}
        </section>
      </div>
      <section className="card" aria-labelledby="variants-title">
        <h2 id="variants-title">By variant</h2>
        {variants.isPending ? <Loading /> : variants.error ? <ErrorNote error={variants.error} /> : <VariantTable rows={variants.data.data} />}
      </section>
    </div>
  );
}

function RangePicker({ range, onChange }: { range: Range; onChange: (r: Range) => void }) {
  const [draft, setDraft] = useState(range);
  const preset = PRESETS.find((n) => {
    const r = lastDays(n);
    return r.from === range.from && r.to === range.to;
  });
  const set = (r: Range) => {
    setDraft(r);
    onChange(r);
  };
  return (
    <div className="range-picker" role="group" aria-label="Date range">
      <div className="segmented">
        {PRESETS.map((n) => (
          <button key={n} type="button" className={`btn small ${preset === n ? 'on' : ''}`} aria-pressed={preset === n} onClick={() => set(lastDays(n))}>
            Last {n} days
          </button>
        ))}
      </div>
      <form
        className="range-dates"
        onSubmit={(e) => {
          e.preventDefault();
          if (draft.from && draft.to && draft.from <= draft.to) onChange(draft);
        }}
      >
        <label className="field inline">
          <span className="sr-only">From</span>
          <input type="date" value={draft.from} max={draft.to} onChange={(e) => setDraft({ ...draft, from: e.target.value })} aria-label="From" />
        </label>
        <span className="muted" aria-hidden="true">
          –
        </span>
        <label className="field inline">
          <span className="sr-only">To</span>
          <input type="date" value={draft.to} min={draft.from} onChange={(e) => setDraft({ ...draft, to: e.target.value })} aria-label="To" />
        </label>
        <button className="btn small" disabled={!draft.from || !draft.to || draft.from > draft.to || (draft.from === range.from && draft.to === range.to)}>
          Apply
        </button>
      </form>
    </div>
  );
}

function Funnel({ stages }: { stages: Untyped[] }) {
  const max = Math.max(1, ...stages.map((s) => Number(s.count)));
  return (
    <ol className="funnel" aria-label="Funnel">
      {stages.map((s, i) => (
        <li key={s.stage} className="funnel-row">
          <span className="funnel-label">{STAGES[s.stage] ?? s.stage}</span>
          <span className="funnel-track" aria-hidden="true">
            <span className="funnel-bar" style={{ width: `${(Number(s.count) / max) * 100}%` }} />
          </span>
          <span className="funnel-count">{count(s.count)}</span>
          <span className="funnel-rate muted">{i === 0 ? '' : percent(s.rate_from_previous)}</span>
        </li>
      ))}
    </ol>
  );
}

function LineChart({ rows }: { rows: Untyped[] }) {
  const W = 560;
  const H = 200;
  const pad = { l: 34, r: 10, t: 10, b: 24 };
  const max = Math.max(1, ...rows.flatMap((r) => SERIES.map((s) => Number(r[s.key]))));
  const x = (i: number) => pad.l + (rows.length <= 1 ? 0 : (i / (rows.length - 1)) * (W - pad.l - pad.r));
  const y = (v: number) => H - pad.b - (v / max) * (H - pad.t - pad.b);
  const ticks = [0, Math.round(max / 2), max].filter((v, i, a) => a.indexOf(v) === i);
  const total = (k: (typeof SERIES)[number]['key']) => rows.reduce((n: number, r) => n + Number(r[k]), 0);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Texts per day from ${rows[0]?.bucket ?? ''} to ${rows.at(-1)?.bucket ?? ''}: ${SERIES.map((s) => `${s.label.toLowerCase()} ${total(s.key)}`).join(', ')}`}>
        {ticks.map((t) => (
          <g key={t}>
            <line className="grid" x1={pad.l} x2={W - pad.r} y1={y(t)} y2={y(t)} />
            <text className="axis" x={pad.l - 6} y={y(t) + 4} textAnchor="end">
              {t}
            </text>
          </g>
        ))}
        {rows.length > 0 && (
          <>
            <text className="axis" x={pad.l} y={H - 6} textAnchor="start">
              {rows[0]!.bucket}
            </text>
            <text className="axis" x={W - pad.r} y={H - 6} textAnchor="end">
              {rows.at(-1)!.bucket}
            </text>
          </>
        )}
        {SERIES.map((s) => (
          <polyline key={s.key} className={`line ${s.className}`} points={rows.map((r, i) => `${x(i).toFixed(1)},${y(Number(r[s.key])).toFixed(1)}`).join(' ')} />
        ))}
      </svg>
      <figcaption className="legend">
        {SERIES.map((s) => (
          <span key={s.key} className="legend-item">
            <span className={`swatch ${s.className}`} aria-hidden="true" />
            {s.label} <strong>{total(s.key).toLocaleString()}</strong>
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

function VariantTable({ rows }: { rows: Untyped[] }) {
  if (rows.length === 0) return <p className="muted">Nothing in this range.</p>;
  return (
    <table className="table analytics-table">
      <thead>
        <tr>
          <th scope="col">Variant</th>
          <th scope="col">Text-backs sent</th>
          <th scope="col">Contacts texted back</th>
          <th scope="col">Replied</th>
          <th scope="col">Reply rate</th>
          <th scope="col">Callback conversion</th>
          <th scope="col">Opt-out rate</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key}>
            <th scope="row">{r.key === 'none' ? <span className="muted">No variant</span> : r.key}</th>
            <td>{count(r.text_backs_sent)}</td>
            <td>{count(r.contacts_texted_back)}</td>
            <td>{count(r.replied)}</td>
            <td>{percent(r.reply_rate)}</td>
            <td>{percent(r.callback_conversion)}</td>
            <td>{percent(r.opt_out_rate)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
