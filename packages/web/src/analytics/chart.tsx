/**
 * The time series as a uPlot canvas chart (bars for counts, a line for rates and durations), sized to
 * its box and redrawn on resize. The axis and the legend show the buckets in the organization's time
 * zone, as the API returns them. The canvas is described for screen readers; the same numbers are in
 * the table under it.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatMetric, METRICS, type MetricKey } from './metrics';

export type Interval = 'day' | 'week' | 'month';
export interface SeriesRow {
  bucket: string;
  start: string;
  [metric: string]: unknown;
}

const HEIGHT = 240;

/** A bucket's start as the axis shows it, in the organization's time zone. */
export function bucketLabel(start: string, interval: Interval, timeZone: string, long = false): string {
  const d = new Date(start);
  const opts: Intl.DateTimeFormatOptions =
    interval === 'month' ? { month: long ? 'long' : 'short', year: 'numeric' } : { month: 'short', day: 'numeric', ...(long ? { year: 'numeric', weekday: interval === 'day' ? 'short' : undefined } : {}) };
  try {
    const text = d.toLocaleDateString('en-US', { ...opts, timeZone });
    return interval === 'week' && long ? `Week of ${text}` : text;
  } catch {
    return start.slice(0, 10);
  }
}

export function TimeSeriesChart({ rows, metric, interval, timeZone }: { rows: SeriesRow[]; metric: MetricKey; interval: Interval; timeZone: string }) {
  const host = useRef<HTMLDivElement>(null);
  const readout = useRef<HTMLParagraphElement>(null);
  const info = METRICS[metric];
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    // Buckets are not evenly long (months, daylight-saving days): the x axis places them by index.
    const xs = rows.map((_r, i) => i);
    const ys = rows.map((r) => (typeof r[metric] === 'number' ? (r[metric] as number) : null));
    const isCount = info.kind === 'count';
    const sum = rows.reduce((n, r) => n + (typeof r[metric] === 'number' ? (r[metric] as number) : 0), 0);
    const idle = `${isCount ? `${formatMetric(metric, sum)} in all. ` : ''}Point at a ${interval} for its number.`;
    const labelOf = (i: number, long = false) => {
      const row = Number.isInteger(i) ? rows[i] : undefined;
      return row ? bucketLabel(row.start, interval, timeZone, long) : '';
    };
    // As many labels as fit, about 70 px apart, on whole buckets.
    const splits = (u: uPlot) => {
      const step = Math.max(1, Math.ceil(rows.length / Math.max(1, Math.floor(u.bbox.width / devicePixelRatio / 70))));
      return xs.filter((i) => i % step === 0);
    };
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height: HEIGHT,
      padding: [12, 12, 0, 4],
      cursor: { points: { size: 8 }, drag: { x: false, y: false } },
      legend: { show: false },
      hooks: {
        // The hovered bucket and its value, under the chart (an idle chart says what hovering does).
        setCursor: [
          (u) => {
            const i = u.cursor.idx;
            const row = i === null || i === undefined ? undefined : rows[i];
            if (readout.current) readout.current.textContent = row ? `${bucketLabel(row.start, interval, timeZone, true)}: ${formatMetric(metric, row[metric])}` : idle;
          },
        ],
      },
      scales: { x: { time: false, range: () => [-0.5, Math.max(0.5, rows.length - 0.5)] }, y: { range: (_u, _min, max) => [0, info.kind === 'rate' ? Math.max(0.05, Math.min(1, (max ?? 0) * 1.15)) : Math.max(isCount ? 4 : 60, (max ?? 0) * 1.15)] } },
      axes: [
        { stroke: '#5b6476', grid: { show: false }, ticks: { stroke: '#e4e7ec' }, splits, values: (_u, splits) => splits.map((s) => labelOf(s)), font: '11px Inter Variable, system-ui, sans-serif', space: 70 },
        {
          stroke: '#5b6476',
          grid: { stroke: '#eef0f4' },
          ticks: { show: false },
          font: '11px Inter Variable, system-ui, sans-serif',
          size: 52,
          values: (_u, splits) => splits.map((v) => (info.kind === 'count' && !Number.isInteger(v) ? '' : formatMetric(metric, v))),
        },
      ],
      series: [
        { label: interval === 'day' ? 'Day' : interval === 'week' ? 'Week' : 'Month', value: (_u, v) => (v === null ? '—' : labelOf(v, true)) },
        {
          label: info.label,
          stroke: '#2f5bea',
          width: isCount ? 0 : 2,
          fill: isCount ? 'rgba(47, 91, 234, 0.75)' : 'rgba(47, 91, 234, 0.08)',
          points: { show: !isCount && rows.length <= 62, size: 5, fill: '#2f5bea' },
          ...(isCount && uPlot.paths.bars ? { paths: uPlot.paths.bars({ size: [0.7, 48], gap: 1 }) } : {}),
          value: (_u, v) => formatMetric(metric, v),
          spanGaps: false,
        },
      ],
    };
    const plot = new uPlot(opts, [xs, ys], el);
    if (readout.current) readout.current.textContent = idle;
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [rows, metric, interval, timeZone, info]);
  const total = rows.reduce((n, r) => n + (typeof r[metric] === 'number' ? (r[metric] as number) : 0), 0);
  const described =
    rows.length === 0
      ? `${info.label}: no data`
      : `${info.label} per ${interval}, ${bucketLabel(rows[0]!.start, interval, timeZone, true)} to ${bucketLabel(rows.at(-1)!.start, interval, timeZone, true)}.${info.kind === 'count' ? ` In all: ${info.label.toLowerCase()} ${total.toLocaleString('en-US')}.` : ''} The numbers are in the table below.`;
  return (
    <>
      <div ref={host} className="uplot-host" role="img" aria-label={described} />
      <p ref={readout} className="chart-readout" aria-hidden="true" />
    </>
  );
}
