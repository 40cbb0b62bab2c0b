/**
 * Date values of the search language, resolved in a time zone (the organization's, or the one the
 * request names) at an instant `now`. A value is a period [from, to) in epoch milliseconds:
 *
 * | written | period |
 * |---|---|
 * | `today`, `yesterday`, `tomorrow` | that local day (23 or 25 hours on a DST change) |
 * | `this week`, `last week` | Monday 00:00 to the next Monday 00:00 |
 * | `this month`, `last month`, `this year`, `last year` | the calendar period |
 * | `3 days ago`, `2 weeks ago` | that local day |
 * | `2026-03-08` | that local day; `2026-03` the month |
 * | `2026-03-08T09:30`, `2026-03-08T09:30:00Z` | that instant (local when no offset is given) |
 * | `-7d`, `-12h`, `-30m`, `-2w` | the instant that long before now |
 *
 * An instant is the one-millisecond period [t, t + 1), so that every comparison reads the same:
 * `field:v` is within v (an instant: at or after it), `> v` after it, `>= v` from its start,
 * `< v` before it, `<= v` up to its end.
 */
import { DateTime } from 'luxon';

export interface Period {
  from: number;
  to: number;
  /** A single instant rather than a day or longer: `field:v` then means "since v". */
  instant: boolean;
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** The period `text` names, or null when it is not a date this language knows. */
export function resolveDate(text: string, now: number, zone: string): Period | null {
  const t = text.trim().toLowerCase().replace(/\s+/g, ' ');
  const today = DateTime.fromMillis(now, { zone }).startOf('day');
  const day = (d: DateTime): Period => ({ from: d.toMillis(), to: d.plus({ days: 1 }).toMillis(), instant: false });
  const span = (start: DateTime, unit: 'week' | 'month' | 'year'): Period => ({
    from: start.toMillis(),
    to: start.plus({ [`${unit}s`]: 1 }).toMillis(),
    instant: false,
  });
  switch (t) {
    case 'today':
      return day(today);
    case 'yesterday':
      return day(today.minus({ days: 1 }));
    case 'tomorrow':
      return day(today.plus({ days: 1 }));
    case 'this week':
      return span(today.startOf('week'), 'week');
    case 'last week':
      return span(today.startOf('week').minus({ weeks: 1 }), 'week');
    case 'this month':
      return span(today.startOf('month'), 'month');
    case 'last month':
      return span(today.startOf('month').minus({ months: 1 }), 'month');
    case 'this year':
      return span(today.startOf('year'), 'year');
    case 'last year':
      return span(today.startOf('year').minus({ years: 1 }), 'year');
  }
  const ago = /^(\d{1,4}) (day|week)s? ago$/.exec(t);
  if (ago) return day(today.minus({ [`${ago[2]}s`]: Number(ago[1]) }));
  const relative = /^-(\d{1,6})([mhdw])$/.exec(t);
  if (relative) {
    const at = now - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS];
    return { from: at, to: at + 1, instant: true };
  }
  if (/^\d{4}-\d{2}$/.test(t)) {
    const month = DateTime.fromISO(t, { zone });
    return month.isValid ? span(month.startOf('month'), 'month') : null;
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) {
    const d = DateTime.fromISO(t, { zone });
    return d.isValid ? day(d.startOf('day')) : null;
  }
  if (/^\d{4}-\d{2}-\d{2}t\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(z|[+-]\d{2}:?\d{2})?$/.test(t)) {
    const d = DateTime.fromISO(t.toUpperCase(), { zone, setZone: false });
    if (!d.isValid) return null;
    const at = d.toMillis();
    return { from: at, to: at + 1, instant: true };
  }
  return null;
}

/** What a date may look like, for error messages. */
export const DATE_FORMS =
  'today, yesterday, this week, last week, this month, last month, "3 days ago", -7d, 2026-03-08 or 2026-03-08T09:30:00Z';
