/**
 * Ranges, buckets and local time for analytics. Bucket boundaries are computed in the zone with
 * luxon (a day of 23 or 25 hours is one day), and events are assigned to buckets by their instant:
 * no database time-zone functions (SQLite has none).
 */
import { DateTime, IANAZone } from 'luxon';
import { AppError } from '../support/errors.js';

export type Interval = 'day' | 'week' | 'month';
export const INTERVALS: readonly Interval[] = ['day', 'week', 'month'];

export interface Range {
  /** Inclusive start, epoch ms. */
  from: number;
  /** Exclusive end, epoch ms. */
  to: number;
  zone: string;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

function parseBound(field: 'from' | 'to', value: string, zone: string): number {
  if (DATE_ONLY.test(value)) {
    const day = DateTime.fromISO(value, { zone });
    if (!day.isValid) throw new AppError('validation_failed', `${field}: "${value}" is not a calendar date`, [{ field, message: 'not a calendar date' }]);
    // A date means the whole local day: `from` its start, `to` the end of it (the next day's start).
    return (field === 'from' ? day.startOf('day') : day.plus({ days: 1 }).startOf('day')).toMillis();
  }
  const instant = DateTime.fromISO(value, { zone, setZone: true });
  if (!instant.isValid || !/T/.test(value)) {
    throw new AppError('validation_failed', `${field}: "${value}" is not a date (2026-03-01) or an instant (2026-03-01T09:00:00Z or with an offset)`, [
      { field, message: 'not a date or an instant' },
    ]);
  }
  return instant.toMillis();
}

/**
 * The range of a request: `from` and `to` as dates (whole local days, both included) or instants;
 * by default the 30 local days up to now. `from` after `to` is refused naming both.
 */
export function parseRange(input: { from?: string | undefined; to?: string | undefined; tz?: string | undefined }, orgZone: string, now: number): Range {
  const zone = input.tz ?? orgZone;
  if (!IANAZone.isValidZone(zone)) {
    throw new AppError('validation_failed', `tz: "${zone}" is not an IANA time zone (for example America/New_York or UTC)`, [{ field: 'tz', message: 'not an IANA time zone' }]);
  }
  const to = input.to !== undefined ? parseBound('to', input.to, zone) : now + 1;
  const from = input.from !== undefined ? parseBound('from', input.from, zone) : DateTime.fromMillis(to - 1, { zone }).startOf('day').minus({ days: 29 }).toMillis();
  // A date `to` names a whole day: from must not be after that day's start.
  const toStart = input.to !== undefined && DATE_ONLY.test(input.to) ? DateTime.fromISO(input.to, { zone }).startOf('day').toMillis() : to;
  if (from > toStart) {
    throw new AppError('validation_failed', `from (${input.from ?? DateTime.fromMillis(from, { zone }).toISO()}) is after to (${input.to ?? DateTime.fromMillis(to, { zone }).toISO()})`, [
      { field: 'from', message: 'after to' },
      { field: 'to', message: 'before from' },
    ]);
  }
  return { from, to, zone };
}

export interface Bucket {
  /** The local date the bucket starts on (yyyy-mm-dd), or the month (yyyy-mm). */
  key: string;
  /** Inclusive start and exclusive end, clipped to the range. */
  start: number;
  end: number;
}

/** The range cut into local days, ISO weeks (Monday to Sunday) or months. */
export function buckets(range: Range, interval: Interval): Bucket[] {
  const out: Bucket[] = [];
  let cursor = DateTime.fromMillis(range.from, { zone: range.zone }).startOf(interval === 'week' ? 'week' : interval);
  while (cursor.toMillis() < range.to) {
    const next = cursor.plus({ [`${interval}s`]: 1 }).startOf(interval === 'week' ? 'week' : interval);
    out.push({
      key: interval === 'month' ? cursor.toFormat('yyyy-MM') : cursor.toFormat('yyyy-MM-dd'),
      start: Math.max(cursor.toMillis(), range.from),
      end: Math.min(next.toMillis(), range.to),
    });
    cursor = next;
  }
  return out;
}

/** The index of the bucket holding `t` (binary search on the starts), or -1 outside them. */
export function bucketIndex(list: readonly Bucket[], t: number): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const b = list[mid] as Bucket;
    if (t < b.start) hi = mid - 1;
    else if (t >= b.end) lo = mid + 1;
    else return mid;
  }
  return -1;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
const STEP = 6 * HOUR;

/**
 * Local hour and weekday of instants in one zone, fast: the zone's UTC offsets over a span are
 * found once with luxon (sampled every 6 hours, each change located to the millisecond by
 * bisection), then each instant is its offset away from UTC.
 */
export class LocalClock {
  /** Where each offset starts (the first is -Infinity) and the offset from then on, in ms. */
  readonly starts: number[] = [];
  readonly offsets: number[] = [];

  constructor(
    readonly zone: string,
    from: number,
    to: number,
  ) {
    const offsetAt = (t: number) => DateTime.fromMillis(t, { zone }).offset * 60_000;
    let t = from - DAY;
    let offset = offsetAt(t);
    this.starts.push(-Infinity);
    this.offsets.push(offset);
    const end = to + DAY;
    while (t < end) {
      const next = t + STEP;
      const nextOffset = offsetAt(next);
      if (nextOffset !== offset) {
        let lo = t;
        let hi = next;
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if (offsetAt(mid) === offset) lo = mid;
          else hi = mid;
        }
        this.starts.push(hi);
        this.offsets.push(nextOffset);
        offset = nextOffset;
      }
      t = next;
    }
  }

  private offset(t: number): number {
    let i = this.starts.length - 1;
    while (i > 0 && t < (this.starts[i] as number)) i--;
    return this.offsets[i] as number;
  }

  /** The local day number (days since 1970-01-01 in local time). */
  day(t: number): number {
    return Math.floor((t + this.offset(t)) / DAY);
  }

  /** 0..23. */
  hour(t: number): number {
    const local = t + this.offset(t);
    return Math.floor((((local % DAY) + DAY) % DAY) / HOUR);
  }

  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  weekday(t: number): number {
    const day = Math.floor((t + this.offset(t)) / DAY);
    return ((((day + 3) % 7) + 7) % 7) + 1;
  }
}

export const WEEKDAY_NAMES = ['', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** The local date (yyyy-mm-dd) of a local day number. */
export function dayNumberDate(day: number): string {
  return new Date(day * DAY).toISOString().slice(0, 10);
}

/** ISO weekday (1 = Monday) of a local day number (day 0, 1970-01-01, was a Thursday). */
export function dayNumberWeekday(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

/** The bucket key (as `buckets` names them) of a local day number. */
export function dayNumberBucket(day: number, interval: Interval): string {
  if (interval === 'day') return dayNumberDate(day);
  if (interval === 'month') return dayNumberDate(day).slice(0, 7);
  return dayNumberDate(day - (dayNumberWeekday(day) - 1));
}
