/** CSV (RFC 4180) of every analytics report: one header line, then rows; rates as fractions. */
import { csvField } from '../use-cases/compliance/csv.js';
import { SCALAR_METRICS, type Metrics } from './metrics.js';

const line = (values: readonly (string | number | null)[]) => values.map((v) => csvField(v, typeof v === 'string')).join(',');
const table = (header: readonly string[], rows: readonly (readonly (string | number | null)[])[]) => [line(header), ...rows.map(line)].join('\r\n') + '\r\n';
const scalars = (m: Metrics) => SCALAR_METRICS.map((k) => m[k]);

const MAPS = ['calls_by_outcome', 'failed_by_reason', 'failed_by_error_code', 'held_by_rule', 'blocked_by_rule'] as const;

export function summaryCsv(s: Metrics & { from: string; to: string; tz: string }): string {
  const rows: (string | number | null)[][] = [
    ['from', s.from],
    ['to', s.to],
    ['tz', s.tz],
    ...SCALAR_METRICS.map((k) => [k, s[k]]),
  ];
  for (const map of MAPS) for (const [k, v] of Object.entries(s[map])) rows.push([`${map}.${k}`, v]);
  return table(['metric', 'value'], rows);
}

export function timeseriesCsv(r: { data: (Metrics & { bucket: string; start: string; end: string })[] }): string {
  return table(['bucket', 'start', 'end', ...SCALAR_METRICS], r.data.map((d) => [d.bucket, d.start, d.end, ...scalars(d)]));
}

export function breakdownCsv(r: { by: string; data: (Metrics & { key: string })[] }): string {
  return table([r.by, ...SCALAR_METRICS], r.data.map((d) => [d.key, ...scalars(d)]));
}

type Stage = { stage: string; count: number; rate_from_previous: number | null };
export function funnelCsv(r: { by: string | null; stages?: Stage[]; data?: { key: string; stages: Stage[] }[] }): string {
  if (r.stages) return table(['stage', 'count', 'rate_from_previous'], r.stages.map((s) => [s.stage, s.count, s.rate_from_previous]));
  return table([r.by ?? 'key', 'stage', 'count', 'rate_from_previous'], (r.data ?? []).flatMap((g) => g.stages.map((s) => [g.key, s.stage, s.count, s.rate_from_previous])));
}

export function heatmapCsv(r: { weekdays: readonly string[]; missed_calls: number[][]; replies: number[][] }): string {
  const rows: (string | number)[][] = [];
  for (const metric of ['missed_calls', 'replies'] as const) {
    r[metric].forEach((hours, d) => hours.forEach((n, h) => rows.push([metric, r.weekdays[d] as string, h, n])));
  }
  return table(['metric', 'weekday', 'hour', 'count'], rows);
}

export function experimentCsv(r: {
  verdict: string;
  winner: string | null;
  variants: { id: string; texts_sent: number; delivered: number; replies: number; reply_rate: number | null; reply_rate_interval: { low: number; high: number } | null; chance_to_beat: number; expected_loss: number; callback_conversion: number | null; opt_out_rate: number | null }[];
}): string {
  return table(
    ['variant', 'texts_sent', 'delivered', 'replies', 'reply_rate', 'reply_rate_low', 'reply_rate_high', 'chance_to_beat', 'expected_loss', 'callback_conversion', 'opt_out_rate', 'verdict', 'winner'],
    r.variants.map((v) => [v.id, v.texts_sent, v.delivered, v.replies, v.reply_rate, v.reply_rate_interval?.low ?? null, v.reply_rate_interval?.high ?? null, v.chance_to_beat, v.expected_loss, v.callback_conversion, v.opt_out_rate, r.verdict, r.winner]),
  );
}
