/**
 * Quiet hours: may a message be sent to this recipient now, and if not, when?
 *
 * Sources:
 * - Federal TCPA, 47 CFR 64.1200(c)(1): no telephone solicitation before 08:00 or after 21:00 at
 *   the called party's local time (US recipients, and recipients of unknown country).
 * - Canada: CRTC Unsolicited Telecommunications Rules, Part III: 09:00–21:30 weekdays, 10:00–18:00
 *   weekends (https://crtc.gc.ca/eng/trules-reglest.htm).
 * - Elsewhere no calling-hours law is applied: Textback's default window, 08:00–21:00 (`DEFAULT`).
 * - State mini-TCPAs: state-quiet-hours.csv (→ state-quiet-hours.data.ts), stricter windows per
 *   weekday / Saturday / Sunday / holiday, e.g. CT 09–20, TX Sunday 12–21, AL/LA no Sundays or
 *   holidays, RI 09–18 weekdays / 10–17 Saturday / none Sundays and holidays.
 * - compliance.md: conversational replies the consumer initiated are generally outside
 *   "solicitation" → `exemptLiveConversation`; apply the strictest plausible rule when the
 *   recipient's state or zone is uncertain → all given zones and states must allow the send.
 * NOT legal advice; the CSV comes from secondary sources (see its `source`/`confidence` columns).
 */
import { DateTime } from 'luxon';
import { usFederalHolidayDates } from './holidays.js';
import { STATE_QUIET_HOURS, type QuietHoursCell, type StateQuietHoursRow } from './state-quiet-hours.data.js';
import { countryForNumber, toEpochMillis, usStateForNumber, type Instant } from './time-zones.js';

/** Local-time window in minutes after midnight, half-open: [start, end). */
export interface DayWindow {
  readonly start: number;
  readonly end: number;
}
export type WindowSpec = DayWindow | 'closed';

export interface QuietHoursRuleRef {
  readonly id: string;
  readonly description: string;
  readonly source: string;
}

export interface QuietHoursRule extends QuietHoursRuleRef {
  /** Monday–Friday. */
  readonly weekday: WindowSpec;
  readonly saturday: WindowSpec;
  readonly sunday: WindowSpec;
  /** Extra restriction on holidays, intersected with the day's window; `undefined` = none. */
  readonly holiday?: WindowSpec;
}

export type QuietHoursDecision =
  | { readonly allowed: true; readonly rule: QuietHoursRuleRef }
  | { readonly allowed: false; readonly rule: QuietHoursRuleRef; readonly nextAllowedAt: number };

const MINUTE_MS = 60_000;
/** Longest search for the next open minute; every shipped rule opens at least once a week. */
const MAX_SEARCH_DAYS = 31;

const hhmm = (m: number): string => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
const describeWindow = (w: WindowSpec): string => (w === 'closed' ? 'none' : `${hhmm(w.start)}–${hhmm(w.end)}`);

function describe(label: string, r: Omit<QuietHoursRule, 'id' | 'description' | 'source'>): string {
  const holiday = r.holiday === undefined ? '' : `, holidays ${describeWindow(r.holiday)}`;
  return `${label}: Mon–Fri ${describeWindow(r.weekday)}, Sat ${describeWindow(r.saturday)}, Sun ${describeWindow(r.sunday)}${holiday} (recipient local time)`;
}

/** Federal default window, 08:00–21:00 every day (47 CFR 64.1200(c)(1)). */
export const FEDERAL_QUIET_HOURS_RULE: QuietHoursRule = (() => {
  const window = { start: 8 * 60, end: 21 * 60 };
  const days = { weekday: window, saturday: window, sunday: window };
  return {
    id: 'US-FEDERAL',
    description: describe('TCPA default window', days),
    source: 'TCPA 47 U.S.C. 227; 47 CFR 64.1200(c)(1)',
    ...days,
  };
})();

/**
 * Canada: the CRTC Unsolicited Telecommunications Rules, Part III (Telemarketing Rules): 09:00–21:30
 * on weekdays, 10:00–18:00 on Saturdays and Sundays, the recipient's local time (a province's own
 * rule may be stricter). https://crtc.gc.ca/eng/trules-reglest.htm; plain-language summary:
 * https://www.lnnte-dncl.gc.ca/ind/ntr-nrt-eng
 */
export const CRTC_QUIET_HOURS_RULE: QuietHoursRule = (() => {
  const weekend = { start: 10 * 60, end: 18 * 60 };
  const days = { weekday: { start: 9 * 60, end: 21 * 60 + 30 }, saturday: weekend, sunday: weekend };
  return {
    id: 'CA-CRTC',
    description: describe('CRTC Telemarketing Rules window', days),
    source: 'CRTC Unsolicited Telecommunications Rules, Part III (Telemarketing Rules); https://crtc.gc.ca/eng/trules-reglest.htm',
    ...days,
  };
})();

/**
 * Where no law with calling hours is applied (a recipient outside the US and Canada): Textback's
 * default quiet hours, the same 08:00–21:00 window as the TCPA's, so nobody is texted at night.
 */
export const DEFAULT_QUIET_HOURS_RULE: QuietHoursRule = (() => {
  const window = { start: 8 * 60, end: 21 * 60 };
  const days = { weekday: window, saturday: window, sunday: window };
  return {
    id: 'DEFAULT',
    description: describe('default quiet hours (no law applied for this country)', days),
    source: "Textback's default; the organization can turn quiet hours off (quiet_hours: false)",
    ...days,
  };
})();

/** The US and its territories, where the TCPA (and, by area code, a state's rule) applies. */
const TCPA_COUNTRIES: ReadonlySet<string> = new Set(['US', 'PR', 'VI', 'GU', 'AS', 'MP']);

/**
 * The national rule for a recipient's country: the TCPA's for the US and its territories (and when
 * the country is unknown), the CRTC's for Canada, {@link DEFAULT_QUIET_HOURS_RULE} elsewhere.
 */
export function countryQuietHoursRule(country: string | undefined): QuietHoursRule {
  const code = country?.trim().toUpperCase();
  if (code === undefined || code === '' || TCPA_COUNTRIES.has(code)) return FEDERAL_QUIET_HOURS_RULE;
  if (code === 'CA') return CRTC_QUIET_HOURS_RULE;
  return DEFAULT_QUIET_HOURS_RULE;
}

/** Applied instead of quiet hours when the consumer initiated the live conversation. */
export const LIVE_CONVERSATION_EXEMPTION: QuietHoursRuleRef = {
  id: 'LIVE-CONVERSATION',
  description: 'Reply within a conversation the consumer initiated; not a telephone solicitation',
  source: 'compliance.md (quiet hours apply to solicitations, 47 CFR 64.1200(c)(1)); operator setting',
};

/** CSV cell → window. 'unknown' (PA weekend "see source") is treated as closed: strictest plausible. */
function toSpec(cell: Exclude<QuietHoursCell, null>): WindowSpec {
  return cell === 'unknown' ? 'closed' : cell;
}

function ruleFromRow(row: StateQuietHoursRow): QuietHoursRule {
  const fallback = toSpec(row.weekday ?? 'unknown');
  const days = {
    weekday: fallback,
    saturday: row.saturday === null ? fallback : toSpec(row.saturday),
    sunday: row.sunday === null ? fallback : toSpec(row.sunday),
    ...(row.holiday === null ? {} : { holiday: toSpec(row.holiday) }),
  };
  const unknown = [row.saturday, row.sunday, row.holiday].includes('unknown') ? ' [unparsed source cells treated as closed]' : '';
  return {
    id: `US-${row.jurisdiction}`,
    description: describe(`${row.jurisdiction} state rule`, days) + unknown,
    source: `${row.statute} — ${row.source} (confidence: ${row.confidence})`,
    ...days,
  };
}

/** Normalises 'tx' / 'US-TX' → 'TX'. */
function stateCode(state: string): string {
  return state.trim().toUpperCase().replace(/^US-/, '');
}

/** The state rule from state-quiet-hours.csv, or `undefined` when the state has none listed. */
export function stateQuietHoursRule(state: string): QuietHoursRule | undefined {
  const code = stateCode(state);
  const row = STATE_QUIET_HOURS.find((r) => r.jurisdiction === code && code !== 'FEDERAL');
  return row ? ruleFromRow(row) : undefined;
}

/**
 * The country's rule ({@link countryQuietHoursRule}; the TCPA's when the country is not given)
 * followed, for the US, by the rule of every given state that has one (duplicates removed).
 */
export function defaultQuietHoursRules(states: readonly string[] = [], country?: string): QuietHoursRule[] {
  const base = countryQuietHoursRule(country);
  if (base !== FEDERAL_QUIET_HOURS_RULE) return [base];
  const codes = [...new Set(states.map(stateCode))];
  const stateRules = codes.map(stateQuietHoursRule).filter((r): r is QuietHoursRule => r !== undefined);
  return [FEDERAL_QUIET_HOURS_RULE, ...stateRules];
}

function intersect(a: WindowSpec, b: WindowSpec): WindowSpec {
  if (a === 'closed' || b === 'closed') return 'closed';
  const start = Math.max(a.start, b.start);
  const end = Math.min(a.end, b.end);
  return start < end ? { start, end } : 'closed';
}

function ruleWindow(rule: QuietHoursRule, local: DateTime, holiday: boolean): WindowSpec {
  const day = local.weekday === 6 ? rule.saturday : local.weekday === 7 ? rule.sunday : rule.weekday;
  return holiday && rule.holiday !== undefined ? intersect(day, rule.holiday) : day;
}

export interface QuietHoursInput {
  readonly now: Instant;
  /** Recipient zone, or every plausible zone (`recipientTimeZone().candidates`): all must allow. */
  readonly zone: string | readonly string[];
  /**
   * Recipient's US state(s) ('TX' or 'US-TX'). The area-code state of `e164` is added too, since a
   * state law may apply by residence or by area code (compliance.md: strictest plausible rule).
   */
  readonly state?: string | readonly string[];
  /** Recipient number; its NANP area code's region_code supplies the state when not given, and it gives the country. */
  readonly e164?: string;
  /**
   * Recipient's country (ISO 3166-1 alpha-2), which decides the national rule: US → `US-FEDERAL`
   * (TCPA), CA → `CA-CRTC`, elsewhere → `DEFAULT`. Default: the country of `e164`; unknown → US.
   */
  readonly country?: string;
  /** Local holiday dates `YYYY-MM-DD`; replaces the default US federal holidays. */
  readonly holidays?: readonly string[];
  /** Rules to apply instead of {@link defaultQuietHoursRules}; all must allow. */
  readonly rules?: readonly QuietHoursRule[];
  /** The message answers a conversation the consumer started → quiet hours do not apply. */
  readonly exemptLiveConversation?: boolean;
}

class Evaluator {
  private readonly holidayCache = new Map<number, ReadonlySet<string>>();

  constructor(
    private readonly rules: readonly QuietHoursRule[],
    private readonly holidays: ReadonlySet<string> | undefined,
  ) {}

  private isHoliday(local: DateTime): boolean {
    if (this.holidays) return this.holidays.has(local.toISODate() ?? '');
    let dates = this.holidayCache.get(local.year);
    if (!dates) {
      dates = usFederalHolidayDates(local.year);
      this.holidayCache.set(local.year, dates);
    }
    return dates.has(local.toISODate() ?? '');
  }

  /** Intersection of every rule's window for the local calendar day of `local`. */
  window(local: DateTime): WindowSpec {
    const holiday = this.isHoliday(local);
    return this.rules.reduce<WindowSpec>((acc, r) => intersect(acc, ruleWindow(r, local, holiday)), {
      start: 0,
      end: 24 * 60,
    });
  }

  isOpen(zone: string, ms: number): boolean {
    const local = DateTime.fromMillis(ms, { zone });
    const w = this.window(local);
    const minute = local.hour * 60 + local.minute;
    return w !== 'closed' && minute >= w.start && minute < w.end;
  }

  /** Most specific rule (last listed) whose window excludes `ms` in `zone`. */
  blockingRule(zone: string, ms: number): QuietHoursRule | undefined {
    const local = DateTime.fromMillis(ms, { zone });
    const holiday = this.isHoliday(local);
    const minute = local.hour * 60 + local.minute;
    return [...this.rules].reverse().find((r) => {
      const w = ruleWindow(r, local, holiday);
      return w === 'closed' || minute < w.start || minute >= w.end;
    });
  }

  /** Earliest instant ≥ `from` at which `zone` is open. */
  nextOpen(zone: string, from: number): number {
    if (this.isOpen(zone, from)) return from;
    const first = DateTime.fromMillis(from, { zone }).set({ hour: 12, minute: 0, second: 0, millisecond: 0 });
    for (let i = 0; i <= MAX_SEARCH_DAYS; i++) {
      const day = first.plus({ days: i });
      const w = this.window(day);
      if (w === 'closed') continue;
      const start = wallClockInstant(day, w.start, zone);
      if (start >= from) return this.backToOpeningMinute(zone, start, from);
    }
    throw new RangeError(`quiet hours: no allowed minute within ${MAX_SEARCH_DAYS} days in ${zone}`);
  }

  /**
   * When the window start falls in a DST gap luxon moves it forward by the gap's length (02:30 →
   * 03:30 on a spring-forward day); walk back to the first minute that is actually open.
   */
  private backToOpeningMinute(zone: string, start: number, from: number): number {
    let t = start;
    for (let i = 0; i < 180 && t - MINUTE_MS >= from && this.isOpen(zone, t - MINUTE_MS); i++) t -= MINUTE_MS;
    return t;
  }
}

/** First instant whose wall clock in `zone` reads `minutes` on `day`'s date (earlier one if repeated). */
function wallClockInstant(day: DateTime, minutes: number, zone: string): number {
  const wanted = { year: day.year, month: day.month, day: day.day, hour: Math.floor(minutes / 60), minute: minutes % 60 };
  const dt = DateTime.fromObject(wanted, { zone });
  const earlier = dt.minus({ hours: 1 });
  const same = (d: DateTime): boolean =>
    d.year === wanted.year && d.month === wanted.month && d.day === wanted.day && d.hour === wanted.hour && d.minute === wanted.minute;
  return same(earlier) ? earlier.toMillis() : dt.toMillis();
}

/**
 * Decides whether a message may be sent at `now`.
 * Allowed → `{ allowed: true, rule }` with the most specific rule in force. Not allowed →
 * `{ allowed: false, rule, nextAllowedAt }`: the most specific rule that excludes `now`, and the
 * first minute (epoch ms) at which every rule allows sending in every zone — computed on the local
 * wall clock, so it is correct across DST changes.
 */
export function quietHoursDecision(input: QuietHoursInput): QuietHoursDecision {
  if (input.exemptLiveConversation) return { allowed: true, rule: LIVE_CONVERSATION_EXEMPTION };

  const now = toEpochMillis(input.now);
  const zones: readonly string[] = typeof input.zone === 'string' ? [input.zone] : input.zone;
  if (zones.length === 0) throw new RangeError('quietHoursDecision: at least one zone is required');

  const states = typeof input.state === 'string' ? [input.state] : [...(input.state ?? [])];
  const areaCodeState = input.e164 === undefined ? undefined : usStateForNumber(input.e164);
  if (areaCodeState !== undefined) states.push(areaCodeState);

  const country = input.country ?? (input.e164 === undefined ? undefined : countryForNumber(input.e164));
  const rules = input.rules ?? defaultQuietHoursRules(states, country);
  const evaluator = new Evaluator(rules, input.holidays ? new Set(input.holidays) : undefined);
  const mostSpecific: QuietHoursRuleRef = rules[rules.length - 1] ?? FEDERAL_QUIET_HOURS_RULE;

  const blocking = zones.map((z) => evaluator.blockingRule(z, now)).find((r) => r !== undefined);
  if (!blocking) return { allowed: true, rule: ref(mostSpecific) };

  // Advance until every zone is open at the same instant.
  let t = now;
  for (let i = 0; i < 1000; i++) {
    const next = Math.max(...zones.map((z) => evaluator.nextOpen(z, t)));
    if (next === t) return { allowed: false, rule: ref(blocking), nextAllowedAt: t };
    t = next;
  }
  throw new RangeError('quiet hours: the zones never share an allowed minute');
}

function ref(rule: QuietHoursRuleRef): QuietHoursRuleRef {
  return { id: rule.id, description: rule.description, source: rule.source };
}
