/**
 * The metrics of docs/analytics.md as the dashboards show them: the API's name, a label, the docs'
 * one-sentence definition (word for word, without the Markdown backticks; a browser test compares them
 * with the docs), how to format a value, and the inbox search that finds the conversations behind a count.
 */
import { addDays } from './range.js';

export type MetricKind = 'count' | 'rate' | 'duration';
export interface MetricInfo {
  label: string;
  /** A shorter column header, where the label is long. */
  short?: string;
  definition: string;
  kind: MetricKind;
}

const FAILED = 'Outbound texts that failed or were undelivered, in total, per normalized reason (landline_or_unreachable, …) and per carrier error code.';
const REPLY_TIME =
  "From the text-back to the contact's first reply, median and 90th percentile, over the contacts who replied; with business_hours=true (summary, time series, breakdown; --business-hours in the CLI) only the organization's open hours count, so a reply that came overnight waited the open hours only.";
const AGENT_TIME = "Agents' first response time to an inbound text, median and 90th percentile; per agent in the breakdown by agent (the agent who answered).";

export const METRICS = {
  missed_calls: { label: 'Missed calls', kind: 'count', definition: 'Inbound calls classified missed or voicemail.' },
  texts_created: { label: 'Texts created', kind: 'count', definition: 'Outbound texts created, whatever became of them (including held, blocked and scheduled).' },
  texts_sent: { label: 'Texts sent', kind: 'count', definition: 'Outbound texts handed to a carrier (sent, delivered, undelivered or failed).' },
  delivered: { label: 'Delivered', kind: 'count', definition: 'Outbound texts whose carrier reported delivery.' },
  failed: { label: 'Failed', kind: 'count', definition: FAILED },
  held: { label: 'Held', kind: 'count', definition: 'Outbound texts held now (quiet hours, daily caps), per rule (US-TX, …).' },
  blocked: { label: 'Blocked', kind: 'count', definition: 'Outbound texts the compliance gate refused, per rule (CONSENT, SUPPRESSION, …).' },
  segments: { label: 'Segments', kind: 'count', definition: 'Segments of the texts sent.' },
  delivery_rate: { label: 'Delivery rate', kind: 'rate', definition: 'delivered ÷ texts_sent.' },
  block_rate: { label: 'Block rate', kind: 'rate', definition: 'The suppression/block rate: blocked ÷ texts_created.' },
  text_backs_sent: { label: 'Text-backs sent', kind: 'count', definition: 'Text-backs handed to a carrier.' },
  text_backs_delivered: { label: 'Text-backs delivered', kind: 'count', definition: 'Text-backs delivered.' },
  contacts_texted_back: { label: 'Contacts texted back', kind: 'count', definition: 'Contacts with a delivered text-back: the denominator of the reply rate, callback conversion and opt-out rate.' },
  replied: {
    label: 'Replied',
    kind: 'count',
    definition: 'Contacts texted back who sent a text (not a keyword such as STOP, HELP or START) within the reply window after it; a contact who replies twice counts once.',
  },
  reply_rate: { label: 'Reply rate', kind: 'rate', definition: 'replied ÷ contacts_texted_back.' },
  median_time_to_first_reply_seconds: { label: 'Median time to first reply', short: 'Median reply time', kind: 'duration', definition: REPLY_TIME },
  p90_time_to_first_reply_seconds: { label: 'Time to first reply, 90th percentile', kind: 'duration', definition: REPLY_TIME },
  called_back: { label: 'Called back', kind: 'count', definition: 'Contacts with an answered (connected) call, in either direction, within the callback window after their text-back.' },
  callback_conversion: { label: 'Callback conversion', kind: 'rate', definition: 'called_back ÷ contacts_texted_back.' },
  opted_out: { label: 'Opted out', kind: 'count', definition: 'Contacts who opted out (the consent ledger) within the reply window after their text-back.' },
  opt_out_rate: { label: 'Opt-out rate', kind: 'rate', definition: 'opted_out ÷ contacts_texted_back.' },
  agent_responses: {
    label: 'Agent responses',
    kind: 'count',
    definition:
      "Inbound texts (not keywords) that an agent answered: in each conversation, the first inbound text since the last agent's text starts the clock and the next text a person (user) sends there stops it.",
  },
  median_agent_first_response_seconds: { label: 'Median agent first response', short: 'Median first response', kind: 'duration', definition: AGENT_TIME },
  p90_agent_first_response_seconds: { label: 'Agent first response, 90th percentile', short: 'First response, p90', kind: 'duration', definition: AGENT_TIME },
  sms_vol: { label: 'SMS_VOL (sessions accepted)', short: 'SMS_VOL', kind: 'count', definition: "Queue sessions an agent accepted (NetSapiens' SMS_VOL), as in GET /v1/queues/:id/statistics." },
  sms_aht_seconds: { label: 'SMS_AHT (average handling time)', short: 'SMS_AHT', kind: 'duration', definition: 'Average handling time, accept to end, of ended sessions (SMS_AHT).' },
  queue_avg_wait_seconds: { label: 'Queue average wait', kind: 'duration', definition: "Average wait from a session's start to its accept." },
  queue_abandoned: { label: 'Queue abandoned', kind: 'count', definition: "Sessions ended before any agent accepted (the originator's end keyword or the invite timeout)." },
} as const satisfies Record<string, MetricInfo>;

export type MetricKey = keyof typeof METRICS;
export const METRIC_KEYS = Object.keys(METRICS) as MetricKey[];

export const NONE = '—';
export const formatCount = (v: unknown) => (typeof v === 'number' ? v.toLocaleString('en-US') : NONE);
export const formatPercent = (v: unknown, digits = 1) => (typeof v === 'number' ? `${(v * 100).toFixed(digits)}%` : NONE);
export function formatDuration(v: unknown): string {
  if (typeof v !== 'number') return NONE;
  if (v < 60) return `${Math.round(v)} s`;
  if (v < 3600) return `${Math.round(v / 60)} min`;
  if (v < 86_400) return `${(v / 3600).toFixed(1)} h`;
  return `${(v / 86_400).toFixed(1)} d`;
}
export function formatMetric(key: MetricKey, v: unknown): string {
  const kind = METRICS[key].kind;
  return kind === 'rate' ? formatPercent(v) : kind === 'duration' ? formatDuration(v) : formatCount(v);
}

// ---- Click-through: the inbox search (docs/search.md) that lists the conversations behind a count ----

/** A group of a breakdown that the search language can express; null for the others (hour, weekday, team, agent). */
export interface SearchScope {
  /** Inside sms(…): automation:…, variant:…, number:… */
  sms?: string[];
  /** Inside call(…): number:… */
  call?: string[];
  /** At the top level: source:… */
  contact?: string[];
}

/** A value as the search language reads it: quoted unless it is one plain word. */
export const searchValue = (v: string) => (/^[\w.+:@-]+$/.test(v) && !/^(and|or|not)$/i.test(v) ? v : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);


export interface LinkContext {
  /** Local dates (YYYY-MM-DD) in the organization's time zone, `to` included: search dates are local too. */
  from: string;
  to: string;
  /** The automations whose texts are text-backs (every automation unless a scope names one). */
  automationIds: string[];
  replyWindowDays?: number;
  callbackWindowDays?: number;
}

/**
 * The search for the contacts (and so the conversations) behind a count, or null when the language
 * cannot say it. It finds the same contacts as the metric except where search has no word for
 * "after that text-back": a contact texted back in the range who also texted (or called, or opted out)
 * before it is listed too.
 */
export function searchFor(metric: string, c: LinkContext, scope: SearchScope = {}): string | null {
  const created = `created:>=${c.from} created:<=${c.to}`;
  const sms = (...terms: string[]) => `sms(${[...terms, ...(scope.sms ?? []), created].join(' ')})`;
  const contact = (scope.contact ?? []).join(' ');
  const join = (...parts: string[]) => [contact, ...parts].filter(Boolean).join(' ');
  const automations = scope.sms?.some((t) => t.startsWith('automation:')) ? '' : c.automationIds.length === 0 ? null : c.automationIds.length === 1 ? `automation:${searchValue(c.automationIds[0]!)}` : `(${c.automationIds.map((id) => `automation:${searchValue(id)}`).join(' or ')})`;
  const textedBack = automations === null ? null : sms('direction:outgoing status:delivered', ...(automations ? [automations] : []));
  const replyEnd = addDays(c.to, c.replyWindowDays ?? 7);
  const callbackEnd = addDays(c.to, c.callbackWindowDays ?? 7);
  switch (metric) {
    case 'missed_calls': {
      if (scope.sms?.length && !scope.call?.length) return null;
      const inner = [...(scope.call ?? []), created].join(' ');
      return join(`(call(direction:incoming status:missed ${inner}) or call(direction:incoming status:voicemail ${inner}))`);
    }
    case 'texts_created':
      return join(sms('direction:outgoing'));
    case 'texts_sent':
      return join(sms('direction:outgoing', '(status:sent or status:delivered or status:error)'));
    case 'delivered':
      return join(sms('direction:outgoing status:delivered'));
    case 'failed':
      return join(sms('direction:outgoing status:error'));
    case 'held':
      return join(sms('direction:outgoing status:held'));
    case 'blocked':
      return join(sms('direction:outgoing status:blocked'));
    case 'text_backs_sent':
      return automations === null ? null : join(sms('direction:outgoing', '(status:sent or status:delivered or status:error)', ...(automations ? [automations] : [])));
    case 'text_backs_delivered':
    case 'contacts_texted_back':
      return textedBack && join(textedBack);
    case 'replied':
      return textedBack && join(textedBack, `sms(direction:incoming created:>=${c.from} created:<=${replyEnd})`);
    case 'called_back':
      return textedBack && join(textedBack, `call(status:answered created:>=${c.from} created:<=${callbackEnd})`);
    case 'opted_out':
      return textedBack && join(textedBack, 'opted_out:true');
    default:
      return null;
  }
}
