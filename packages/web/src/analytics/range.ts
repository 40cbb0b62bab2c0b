/**
 * The dashboards' date range: presets (today, last 7/30/90 days, this month, last month) or custom
 * local dates, resolved in the organization's time zone (the API's days are its local days), and
 * kept in the URL (`?range=7d`, or `?from=2026-11-01&to=2026-11-30`) so a link reproduces the view.
 */

export const PRESETS = [
  { id: 'today', label: 'Today' },
  { id: '7d', label: 'Last 7 days' },
  { id: '30d', label: 'Last 30 days' },
  { id: '90d', label: 'Last 90 days' },
  { id: 'this-month', label: 'This month' },
  { id: 'last-month', label: 'Last month' },
] as const;
export type PresetId = (typeof PRESETS)[number]['id'];
export const DEFAULT_PRESET: PresetId = '30d';

export interface Range {
  /** Local dates, YYYY-MM-DD, both included. */
  from: string;
  to: string;
  /** The preset it came from; null for custom dates. */
  preset: PresetId | null;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
export const isDate = (s: unknown): s is string => typeof s === 'string' && DATE.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`));

/** Today's date in a time zone, YYYY-MM-DD. */
export function todayIn(timeZone: string, now = new Date()): string {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  } catch {
    return now.toISOString().slice(0, 10);
  }
}

export function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function presetRange(id: PresetId, today: string): Range {
  const [y, m] = today.split('-').map(Number) as [number, number];
  const monthStart = (year: number, month: number) => new Date(Date.UTC(year, month - 1, 1)).toISOString().slice(0, 10);
  switch (id) {
    case 'today':
      return { from: today, to: today, preset: id };
    case '7d':
      return { from: addDays(today, -6), to: today, preset: id };
    case '30d':
      return { from: addDays(today, -29), to: today, preset: id };
    case '90d':
      return { from: addDays(today, -89), to: today, preset: id };
    case 'this-month':
      return { from: monthStart(y, m), to: today, preset: id };
    case 'last-month':
      return { from: monthStart(y, m - 1), to: addDays(monthStart(y, m), -1), preset: id };
  }
}

/** The range a URL's search params describe: custom dates win over a preset; the default is the last 30 days. */
export function rangeFromSearch(search: { range?: string | undefined; from?: string | undefined; to?: string | undefined }, today: string): Range {
  if (isDate(search.from) && isDate(search.to) && search.from <= search.to) return { from: search.from, to: search.to, preset: null };
  const preset = PRESETS.find((p) => p.id === search.range)?.id ?? DEFAULT_PRESET;
  return presetRange(preset, today);
}

/** "Nov 1 – Nov 30, 2026": the range in words. */
export function describeRange(r: { from: string; to: string }): string {
  const f = (d: string, year: boolean) => new Date(`${d}T12:00:00Z`).toLocaleDateString('en-US', { timeZone: 'UTC', month: 'short', day: 'numeric', ...(year ? { year: 'numeric' } : {}) });
  if (r.from === r.to) return f(r.from, true);
  return `${f(r.from, r.from.slice(0, 4) !== r.to.slice(0, 4))} – ${f(r.to, true)}`;
}
