/** Words and formats people read: phone numbers, times in a zone, statuses and reasons in plain words. */

/** +14155550123 -> (415) 555-0123 for North America; other numbers stay in E.164 (unambiguous everywhere). */
export function formatPhone(e164: string | null | undefined): string {
  if (!e164) return '';
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  if (m) return `(${m[1]}) ${m[2]}-${m[3]}`;
  return e164;
}

export function zoneName(zone: string | null | undefined): string {
  if (!zone) return '';
  const city = zone.split('/').pop() ?? zone;
  return city.replace(/_/g, ' ');
}

/**
 * One Intl.DateTimeFormat per set of options, made once: `toLocaleString` with options builds a new
 * formatter on every call, which is most of the time an inbox of 50 rows spends on its dates.
 * Throws RangeError for an unknown time zone, as `toLocaleString` does.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = JSON.stringify(options);
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(undefined, options);
    formatters.set(key, f);
  }
  return f;
}

/** "3:05 PM" today, "Tue" this week, "May 3" this year, else "May 3, 2025". */
export function shortTime(iso: string | null | undefined, now = new Date()): string {
  if (!iso) return '';
  const d = new Date(iso);
  const sameDay = d.toDateString() === now.toDateString();
  if (sameDay) return formatter({ hour: 'numeric', minute: '2-digit' }).format(d);
  const days = (now.getTime() - d.getTime()) / 86_400_000;
  if (days < 6 && days > 0) return formatter({ weekday: 'short' }).format(d);
  if (d.getFullYear() === now.getFullYear()) return formatter({ month: 'short', day: 'numeric' }).format(d);
  return formatter({ month: 'short', day: 'numeric', year: 'numeric' }).format(d);
}

/** A full date and time, in a time zone when given ("May 3, 8:00 AM"). */
export function dateTime(iso: string | number | Date | null | undefined, timeZone?: string | null): string {
  if (iso == null) return '';
  const d = new Date(iso);
  try {
    return formatter({ month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', ...(timeZone ? { timeZone } : {}) }).format(d);
  } catch {
    return d.toLocaleString();
  }
}

export function timeOnly(iso: string | number | Date, timeZone?: string | null): string {
  try {
    return formatter({ hour: 'numeric', minute: '2-digit', ...(timeZone ? { timeZone } : {}) }).format(new Date(iso));
  } catch {
    return new Date(iso).toLocaleTimeString();
  }
}

const STATUS_WORDS: Record<string, string> = {
  scheduled: 'Scheduled',
  held: 'Held',
  queued: 'Queued',
  sending: 'Sending',
  sent: 'Sent',
  delivered: 'Delivered',
  undelivered: 'Not delivered',
  failed: 'Failed',
  cancelled: 'Cancelled',
  blocked: 'Blocked',
  received: 'Received',
};
export const statusWord = (status: string) => STATUS_WORDS[status] ?? status;

const REASONS: Record<string, string> = {
  landline_or_unreachable: 'The number is a landline or cannot receive texts',
  landline: 'The number is a landline and cannot receive texts',
  unreachable: 'The phone could not be reached',
  spam_filtered: 'The carrier filtered it as spam',
  'spam-filtered': 'The carrier filtered it as spam',
  carrier_rejected: 'The carrier refused it',
  invalid_number: 'The number is not a valid phone number',
  opted_out: 'The contact texted STOP: they have opted out',
  suppressed: 'The number is on your do-not-contact list',
  cap_reached: 'The limit of automated texts to this contact was reached',
  unsupported_country: "The number's country is not allowed in compliance settings",
  quiet_hours: "Quiet hours in the contact's time zone",
  no_consent: 'The contact has not agreed to automated texts',
  blocked_by_carrier: 'Blocked by the carrier',
  unknown: 'The carrier did not say why',
};
export function reasonWords(reason: string | null | undefined): string {
  if (!reason) return '';
  return REASONS[reason] ?? reason.replace(/[_-]/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

const RULES: Record<string, string> = {
  quiet_hours: 'quiet hours',
  state_quiet_hours: "the state's quiet-hours law",
  rate: 'the number’s sending rate',
  daily_cap: 'the number’s daily cap',
};
export const ruleWords = (rule: string | null | undefined) => (rule ? (RULES[rule] ?? rule.replace(/[_-]/g, ' ')) : '');

export function initials(name: string | null | undefined, fallback = '#'): string {
  const parts = (name ?? '').trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return fallback;
  return ((parts[0]?.[0] ?? '') + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '')).toUpperCase();
}

/** The variables a saved reply can use, as automations have them ({Name}, {Business}, {Agent}, {Number}, {attr.x}). */
export function templateVars(input: { contactName?: string | null; business?: string | null; agent?: string | null; number?: string | null; attributes?: Record<string, unknown> }) {
  const vars: Record<string, string | undefined> = {
    Name: input.contactName?.trim().split(/\s+/)[0] || undefined,
    Business: input.business ?? undefined,
    Agent: input.agent ?? undefined,
    Number: input.number ? formatPhone(input.number) : undefined,
  };
  for (const [k, v] of Object.entries(input.attributes ?? {})) if (typeof v === 'string' || typeof v === 'number') vars[`attr.${k}`] = String(v);
  return vars;
}
