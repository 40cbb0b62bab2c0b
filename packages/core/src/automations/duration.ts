/**
 * Durations in automation documents are short strings: `15s`, `3m`, `2h`,
 * `7d`, `1w`, or a combination from largest to smallest unit such as `1h30m`.
 * Units: s (seconds), m (minutes), h (hours), d (days, 24 h), w (weeks).
 */

const UNIT_MS = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
type Unit = keyof typeof UNIT_MS;
const UNITS = Object.keys(UNIT_MS) as Unit[];
const DURATION = /^(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?$/;
const PART = /(\d+)([wdhms])/g;

/**
 * Parses a duration string into milliseconds.
 * @throws {RangeError} on anything else, e.g. `15`, `1.5h`, `3 min`, `30m1h`.
 */
export function parseDuration(text: string): number {
  if (typeof text !== 'string' || text === '' || !DURATION.test(text)) {
    throw new RangeError(`invalid duration ${JSON.stringify(text)} (use a whole number and a unit: 15s, 3m, 2h, 7d, or 1h30m)`);
  }
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(PART)) ms += Number(amount) * UNIT_MS[unit as Unit];
  return ms;
}

/** True when {@link parseDuration} would accept `text`. */
export function isDuration(text: unknown): text is string {
  return typeof text === 'string' && text !== '' && DURATION.test(text);
}

/** Formats milliseconds in the same notation, largest units first: 5_400_000 → `1h30m`. Sub-second remainders are dropped. */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.floor(ms / 1000) * 1000);
  let out = '';
  for (const unit of UNITS) {
    const amount = Math.floor(rest / UNIT_MS[unit]);
    if (amount > 0) {
      out += `${amount}${unit}`;
      rest -= amount * UNIT_MS[unit];
    }
  }
  return out === '' ? '0s' : out;
}
