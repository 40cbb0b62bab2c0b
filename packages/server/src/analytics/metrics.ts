/**
 * Every metric of docs/analytics.md, computed from the facts of a range and grouped by a key (a
 * bucket of time, an automation, a variant, an hour of the day, ...). Pure: no I/O.
 */
import { queueStatistics, quantile, ratio } from '@textback/core';
import type { CallGroup, Facts, InboundFact, SessionFact, SqlKey, TextFact, TextGroup, Windows } from './facts.js';

export const MISSED_OUTCOMES = new Set(['missed', 'voicemail']);

export interface AgentResponse {
  inbound: InboundFact;
  agentId: string | null;
  seconds: number;
}

/** How each kind of fact is grouped; null leaves it out. */
export interface Grouping {
  /** Texts and calls are grouped by the database on this key... */
  sql: SqlKey;
  /** ...which becomes the group's name here. */
  mapKey(raw: string | number | null): string | null;
  /** A delivered text-back's group: the same as its row's in SQL. */
  text(t: TextFact): string | null;
  session(s: SessionFact): string | null;
  response(r: AgentResponse): string | null;
}

export interface Metrics {
  missed_calls: number;
  calls_by_outcome: Record<string, number>;
  texts_created: number;
  texts_sent: number;
  delivered: number;
  failed: number;
  failed_by_reason: Record<string, number>;
  failed_by_error_code: Record<string, number>;
  held: number;
  held_by_rule: Record<string, number>;
  blocked: number;
  blocked_by_rule: Record<string, number>;
  segments: number;
  cost: null;
  delivery_rate: number | null;
  block_rate: number | null;
  text_backs_sent: number;
  text_backs_delivered: number;
  contacts_texted_back: number;
  replied: number;
  reply_rate: number | null;
  median_time_to_first_reply_seconds: number | null;
  p90_time_to_first_reply_seconds: number | null;
  called_back: number;
  callback_conversion: number | null;
  opted_out: number;
  opt_out_rate: number | null;
  agent_responses: number;
  median_agent_first_response_seconds: number | null;
  p90_agent_first_response_seconds: number | null;
  sms_vol: number;
  sms_aht_seconds: number | null;
  queue_avg_wait_seconds: number | null;
  queue_abandoned: number;
}

/** The numeric (not map) metrics, in the order of docs/analytics.md: the columns of tables and CSV. */
export const SCALAR_METRICS = [
  'missed_calls',
  'texts_created',
  'texts_sent',
  'delivered',
  'failed',
  'held',
  'blocked',
  'segments',
  'cost',
  'delivery_rate',
  'block_rate',
  'text_backs_sent',
  'text_backs_delivered',
  'contacts_texted_back',
  'replied',
  'reply_rate',
  'median_time_to_first_reply_seconds',
  'p90_time_to_first_reply_seconds',
  'called_back',
  'callback_conversion',
  'opted_out',
  'opt_out_rate',
  'agent_responses',
  'median_agent_first_response_seconds',
  'p90_agent_first_response_seconds',
  'sms_vol',
  'sms_aht_seconds',
  'queue_avg_wait_seconds',
  'queue_abandoned',
] as const satisfies readonly (keyof Metrics)[];

/** A delivered text-back's contact and when it was sent: the unit of replies, callbacks and opt-outs. */
export interface TextBackUnit {
  contactId: string;
  at: number;
  firstReplyAt: number | null;
  calledBack: boolean;
  optedOut: boolean;
}

class Group {
  calls: CallGroup[] = [];
  texts: TextGroup[] = [];
  textBacks: TextFact[] = [];
  sessions: SessionFact[] = [];
  responses: number[] = [];
  /** contact → the first delivered text-back of the group. */
  firstTextBack = new Map<string, number>();
}

const count = (map: Record<string, number>, key: string | null, n = 1) => {
  const k = key ?? 'unknown';
  map[k] = (map[k] ?? 0) + n;
};

/** Sorted instants per contact. */
function indexByContact(rows: readonly { contact_id: string; created_at: number }[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of rows) {
    const list = out.get(r.contact_id);
    if (list) list.push(r.created_at);
    else out.set(r.contact_id, [r.created_at]);
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}

/** The first instant in the sorted list that is after `t` and at most `t + window`, or null. */
function firstWithin(list: readonly number[] | undefined, t: number, window: number): number | null {
  if (!list) return null;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  const found = list[lo];
  return found !== undefined && found <= t + window ? found : null;
}

/** Agents' first responses (found by the database, see agentResponseRows in facts.ts), in seconds. */
export function agentResponses(facts: Facts): AgentResponse[] {
  return facts.responses.map((r) => ({ inbound: r.inbound, agentId: r.agent_id, seconds: (r.answered_at - r.inbound.created_at) / 1000 }));
}

export interface Computed {
  metrics: Map<string, Metrics>;
  /** The units behind the reply metrics, per group (for the heatmap of replies). */
  units: Map<string, TextBackUnit[]>;
}

/** Every metric, per group. */
export function computeMetrics(facts: Facts, windows: Windows, grouping: Grouping, responses: AgentResponse[] = agentResponses(facts)): Computed {
  const groups = new Map<string, Group>();
  const group = (key: string | null): Group | null => {
    if (key === null) return null;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = new Group()));
    return g;
  };
  for (const c of facts.callGroups) group(grouping.mapKey(c.key))?.calls.push(c);
  for (const t of facts.textGroups) group(grouping.mapKey(t.key))?.texts.push(t);
  for (const t of facts.textBacks) group(grouping.text(t))?.textBacks.push(t);
  for (const s of facts.sessions) group(grouping.session(s))?.sessions.push(s);
  for (const r of responses) group(grouping.response(r))?.responses.push(r.seconds);

  const replies = indexByContact(facts.replies);
  const answered = indexByContact(facts.answeredCalls);
  const optOuts = indexByContact(facts.optOuts);

  const metrics = new Map<string, Metrics>();
  const units = new Map<string, TextBackUnit[]>();
  for (const [key, g] of groups) {
    const m: Metrics = {
      missed_calls: 0,
      calls_by_outcome: {},
      texts_created: g.texts.reduce((a, t) => a + t.n, 0),
      texts_sent: 0,
      delivered: 0,
      failed: 0,
      failed_by_reason: {},
      failed_by_error_code: {},
      held: 0,
      held_by_rule: {},
      blocked: 0,
      blocked_by_rule: {},
      segments: 0,
      cost: null,
      delivery_rate: null,
      block_rate: null,
      text_backs_sent: 0,
      text_backs_delivered: 0,
      contacts_texted_back: 0,
      replied: 0,
      reply_rate: null,
      median_time_to_first_reply_seconds: null,
      p90_time_to_first_reply_seconds: null,
      called_back: 0,
      callback_conversion: null,
      opted_out: 0,
      opt_out_rate: null,
      agent_responses: g.responses.length,
      median_agent_first_response_seconds: quantile(g.responses, 0.5),
      p90_agent_first_response_seconds: quantile(g.responses, 0.9),
      sms_vol: 0,
      sms_aht_seconds: null,
      queue_avg_wait_seconds: null,
      queue_abandoned: 0,
    };
    for (const c of g.calls) {
      count(m.calls_by_outcome, c.outcome, c.n);
      if (c.outcome !== null && MISSED_OUTCOMES.has(c.outcome)) m.missed_calls += c.n;
    }
    for (const t of g.texts) {
      if (t.sent) {
        m.texts_sent += t.n;
        m.segments += t.segments;
        if (t.text_back) m.text_backs_sent += t.n;
      }
      if (t.status === 'delivered') {
        m.delivered += t.n;
        if (t.text_back) m.text_backs_delivered += t.n;
      }
      if (t.status === 'failed' || t.status === 'undelivered') {
        m.failed += t.n;
        count(m.failed_by_reason, t.reason, t.n);
        count(m.failed_by_error_code, t.error_code, t.n);
      }
      if (t.status === 'held') {
        m.held += t.n;
        count(m.held_by_rule, t.rule, t.n);
      }
      if (t.status === 'blocked') {
        m.blocked += t.n;
        count(m.blocked_by_rule, t.rule, t.n);
      }
    }
    const firstTextBack = new Map<string, number>();
    for (const t of g.textBacks) {
      const at = t.sent_at ?? t.created_at;
      const known = firstTextBack.get(t.contact_id);
      if (known === undefined || at < known) firstTextBack.set(t.contact_id, at);
    }
    const list: TextBackUnit[] = [];
    const times: number[] = [];
    for (const [contactId, at] of firstTextBack) {
      const firstReplyAt = firstWithin(replies.get(contactId), at, windows.replyMs);
      const unit = {
        contactId,
        at,
        firstReplyAt,
        calledBack: firstWithin(answered.get(contactId), at, windows.callbackMs) !== null,
        optedOut: firstWithin(optOuts.get(contactId), at, windows.replyMs) !== null,
      };
      list.push(unit);
      if (firstReplyAt !== null) {
        m.replied++;
        times.push((windows.elapsedMs ? windows.elapsedMs(at, firstReplyAt) : firstReplyAt - at) / 1000);
      }
      if (unit.calledBack) m.called_back++;
      if (unit.optedOut) m.opted_out++;
    }
    units.set(key, list);
    m.contacts_texted_back = firstTextBack.size;
    m.reply_rate = ratio(m.replied, m.contacts_texted_back);
    m.callback_conversion = ratio(m.called_back, m.contacts_texted_back);
    m.opt_out_rate = ratio(m.opted_out, m.contacts_texted_back);
    m.median_time_to_first_reply_seconds = quantile(times, 0.5);
    m.p90_time_to_first_reply_seconds = quantile(times, 0.9);
    m.delivery_rate = ratio(m.delivered, m.texts_sent);
    m.block_rate = ratio(m.blocked, m.texts_created);
    const q = queueStatistics(g.sessions.map((s) => ({ createdAt: s.created_at, acceptedAt: s.accepted_at, endedAt: s.ended_at, endReason: s.end_reason })));
    m.sms_vol = q.sms_vol;
    m.sms_aht_seconds = q.sms_aht_seconds;
    m.queue_avg_wait_seconds = q.avg_wait_seconds;
    m.queue_abandoned = q.abandoned;
    metrics.set(key, m);
  }
  return { metrics, units };
}

/** The metrics of an empty group. */
export function emptyMetrics(): Metrics {
  return blank();
}

function blank(): Metrics {
  return {
    missed_calls: 0, calls_by_outcome: {}, texts_created: 0, texts_sent: 0, delivered: 0, failed: 0, failed_by_reason: {}, failed_by_error_code: {}, held: 0, held_by_rule: {}, blocked: 0,
    blocked_by_rule: {}, segments: 0, cost: null, delivery_rate: null, block_rate: null, text_backs_sent: 0, text_backs_delivered: 0, contacts_texted_back: 0, replied: 0, reply_rate: null,
    median_time_to_first_reply_seconds: null, p90_time_to_first_reply_seconds: null, called_back: 0, callback_conversion: null, opted_out: 0, opt_out_rate: null, agent_responses: 0,
    median_agent_first_response_seconds: null, p90_agent_first_response_seconds: null, sms_vol: 0, sms_aht_seconds: null, queue_avg_wait_seconds: null, queue_abandoned: 0,
  };
}
