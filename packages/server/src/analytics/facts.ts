/**
 * The raw rows analytics are computed from, read over the organization's tables for a range: one
 * query per kind of row, each on an (org_id, created_at) index. The same queries run on SQLite and
 * PostgreSQL; nothing here depends on the database's time zone.
 */
import type { AppContext } from '../app-context.js';
import type { Range } from './range.js';

/**
 * Where a search filter (the `query=` language) will plug in: a narrowing of the rows read, by the
 * attributes every fact carries. Empty means every row of the organization.
 */
export interface AnalyticsFilter {
  numberIds?: readonly string[];
  automationIds?: readonly string[];
}

export interface CallFact {
  id: string;
  contact_id: string;
  number_id: string;
  direction: 'inbound' | 'outbound';
  outcome: string | null;
  created_at: number;
  source: string | null;
}

export interface TextFact {
  id: string;
  contact_id: string;
  number_id: string;
  status: string;
  reason: string | null;
  error_code: string | null;
  rule: string | null;
  segments: number;
  automation_run_id: string | null;
  automation_id: string | null;
  variant_id: string | null;
  created_by_type: string;
  created_by_id: string | null;
  created_at: number;
  sent_at: number | null;
  source: string | null;
}

export interface InboundFact {
  id: string;
  contact_id: string;
  conversation_id: string;
  number_id: string;
  created_at: number;
  /** True for STOP, HELP, START and the like: compliance keywords, not replies. */
  keyword: boolean;
}

export interface SessionFact {
  queue_id: string;
  number_id: string;
  agent_user_id: string | null;
  created_at: number;
  accepted_at: number | null;
  ended_at: number | null;
  end_reason: string | null;
}

export interface Facts {
  range: Range;
  /** Inbound calls in the range. */
  calls: CallFact[];
  /** Outbound texts created in the range. */
  texts: TextFact[];
  /** Inbound texts in [from, to + the longer window): replies may come after the range ends. */
  inbound: InboundFact[];
  /** Answered calls (either direction) in [from, to + callback window), by contact. */
  answeredCalls: { contact_id: string; created_at: number }[];
  /** Opt-outs in [from, to + reply window). */
  optOuts: { contact_id: string; created_at: number }[];
  /** Texts sent by people (agents) in [from, to + reply window). */
  agentTexts: { conversation_id: string; created_by_id: string | null; created_at: number }[];
  sessions: SessionFact[];
  /** number id → team id. */
  teams: Map<string, string | null>;
}

export interface Windows {
  replyMs: number;
  callbackMs: number;
}

export async function loadFacts(ctx: AppContext, orgId: string, range: Range, windows: Windows, filter: AnalyticsFilter = {}): Promise<Facts> {
  const db = ctx.db.kysely;
  const { from, to } = range;
  const later = to + Math.max(windows.replyMs, windows.callbackMs);

  let callsQuery = db
    .selectFrom('calls')
    .leftJoin('contacts', 'contacts.id', 'calls.contact_id')
    .select(['calls.id', 'calls.contact_id', 'calls.number_id', 'calls.direction', 'calls.outcome', 'calls.created_at', 'contacts.source'])
    .where('calls.org_id', '=', orgId)
    .where('calls.created_at', '>=', from)
    .where('calls.created_at', '<', to)
    .where('calls.direction', '=', 'inbound');
  if (filter.numberIds) callsQuery = callsQuery.where('calls.number_id', 'in', [...filter.numberIds, '']);

  let textsQuery = db
    .selectFrom('messages')
    .leftJoin('automation_runs', 'automation_runs.id', 'messages.automation_run_id')
    .leftJoin('contacts', 'contacts.id', 'messages.contact_id')
    .select([
      'messages.id',
      'messages.contact_id',
      'messages.number_id',
      'messages.status',
      'messages.reason',
      'messages.error_code',
      'messages.rule',
      'messages.segments',
      'messages.automation_run_id',
      'automation_runs.automation_id',
      'messages.variant_id',
      'messages.created_by_type',
      'messages.created_by_id',
      'messages.created_at',
      'messages.sent_at',
      'contacts.source',
    ])
    .where('messages.org_id', '=', orgId)
    .where('messages.created_at', '>=', from)
    .where('messages.created_at', '<', to)
    .where('messages.direction', '=', 'outbound');
  if (filter.numberIds) textsQuery = textsQuery.where('messages.number_id', 'in', [...filter.numberIds, '']);
  if (filter.automationIds) textsQuery = textsQuery.where('automation_runs.automation_id', 'in', [...filter.automationIds, '']);

  const inboundQuery = db
    .selectFrom('messages')
    .select(['id', 'contact_id', 'conversation_id', 'number_id', 'created_at', 'flags'])
    .where('org_id', '=', orgId)
    .where('created_at', '>=', from)
    .where('created_at', '<', later)
    .where('direction', '=', 'inbound');

  const [calls, texts, inboundRows, answeredCalls, optOuts, agentTexts, sessions, numbers] = await Promise.all([
    callsQuery.execute(),
    textsQuery.execute(),
    inboundQuery.execute(),
    db
      .selectFrom('calls')
      .select(['contact_id', 'created_at'])
      .where('org_id', '=', orgId)
      .where('created_at', '>=', from)
      .where('created_at', '<', to + windows.callbackMs)
      .where('outcome', '=', 'answered')
      .execute(),
    db
      .selectFrom('consent_events')
      .select(['contact_id', 'created_at'])
      .where('org_id', '=', orgId)
      .where('created_at', '>=', from)
      .where('created_at', '<', to + windows.replyMs)
      .where('state', '=', 'opted_out')
      .execute(),
    db
      .selectFrom('messages')
      .select(['conversation_id', 'created_by_id', 'created_at'])
      .where('org_id', '=', orgId)
      .where('created_at', '>=', from)
      .where('created_at', '<', to + windows.replyMs)
      .where('direction', '=', 'outbound')
      .where('created_by_type', '=', 'user')
      .execute(),
    db
      .selectFrom('queue_sessions')
      .select(['queue_id', 'number_id', 'agent_user_id', 'created_at', 'accepted_at', 'ended_at', 'end_reason'])
      .where('org_id', '=', orgId)
      .where('created_at', '>=', from)
      .where('created_at', '<', to)
      .execute(),
    db.selectFrom('phone_numbers').select(['id', 'team_id']).where('org_id', '=', orgId).execute(),
  ]);
  const num = (v: unknown) => Number(v);
  const nullableNum = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    range,
    calls: calls.map((c) => ({ ...c, created_at: num(c.created_at), source: c.source ?? null })),
    texts: texts.map((t) => ({
      ...t,
      automation_id: t.automation_id ?? null,
      source: t.source ?? null,
      segments: num(t.segments),
      created_at: num(t.created_at),
      sent_at: nullableNum(t.sent_at),
    })),
    inbound: inboundRows.map((m) => ({
      id: m.id,
      contact_id: m.contact_id,
      conversation_id: m.conversation_id,
      number_id: m.number_id,
      created_at: num(m.created_at),
      keyword: m.flags !== null && isKeyword(m.flags),
    })),
    answeredCalls: answeredCalls.map((c) => ({ contact_id: c.contact_id, created_at: num(c.created_at) })),
    optOuts: optOuts.map((c) => ({ contact_id: c.contact_id, created_at: num(c.created_at) })),
    agentTexts: agentTexts.map((m) => ({ ...m, created_at: num(m.created_at) })),
    sessions: sessions.map((s) => ({ ...s, created_at: num(s.created_at), accepted_at: nullableNum(s.accepted_at), ended_at: nullableNum(s.ended_at) })),
    teams: new Map(numbers.map((n) => [n.id, n.team_id])),
  };
}

function isKeyword(flags: string): boolean {
  try {
    const parsed = JSON.parse(flags) as { keyword?: unknown };
    return typeof parsed.keyword === 'string';
  } catch {
    return false;
  }
}
