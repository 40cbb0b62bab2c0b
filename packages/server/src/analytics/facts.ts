/**
 * The rows analytics are computed from, read over the organization's tables for a range. Texts and
 * calls are counted by the database, grouped by the report's key and by what the metrics tell apart
 * (status, reason, rule, ...); only delivered text-backs, the replies, callbacks and opt-outs of
 * their contacts, and (when asked) the conversations' texts for agents' response times come back
 * row by row. The same queries run on SQLite and PostgreSQL; local days and hours are computed from
 * the zone's offsets found with luxon (`LocalClock`), never with a database time-zone function.
 */
import { sql, type RawBuilder } from 'kysely';
import type { AppContext } from '../app-context.js';
import type { LocalClock, Range } from './range.js';

/**
 * Where a search filter (the `query=` language) will plug in: a narrowing of the rows read, by the
 * attributes every fact carries. Empty means every row of the organization.
 */
export interface AnalyticsFilter {
  numberIds?: readonly string[];
  automationIds?: readonly string[];
}

/** What texts and calls are grouped by, in SQL. */
export type SqlKey =
  | { kind: 'constant'; value: string }
  | { kind: 'automation' | 'variant' | 'number' | 'agent' | 'source' }
  /** The local day number (days since 1970-01-01, local time). */
  | { kind: 'localDay'; clock: LocalClock }
  /** The local hour of the day, 0..23. */
  | { kind: 'localHour'; clock: LocalClock }
  /** Local hours since 1970-01-01 (day and hour at once). */
  | { kind: 'localHourNumber'; clock: LocalClock };

export interface CallGroup {
  key: string | number | null;
  outcome: string | null;
  n: number;
}

export interface TextGroup {
  key: string | number | null;
  status: string;
  reason: string | null;
  error_code: string | null;
  rule: string | null;
  text_back: boolean;
  sent: boolean;
  n: number;
  segments: number;
}

/** A delivered text-back. */
export interface TextFact {
  id: string;
  contact_id: string;
  number_id: string;
  automation_id: string | null;
  variant_id: string | null;
  created_by_type: string;
  created_by_id: string | null;
  created_at: number;
  sent_at: number | null;
  source: string | null;
}

/** An inbound text that started an agent's response clock. */
export interface InboundFact {
  conversation_id: string;
  number_id: string;
  created_at: number;
}

/** An agent's first response to an inbound text. */
export interface ResponseFact {
  inbound: InboundFact;
  agent_id: string | null;
  answered_at: number;
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
  /** Inbound calls in the range, counted per key and outcome. */
  callGroups: CallGroup[];
  /** Outbound texts created in the range, counted per key and kind. */
  textGroups: TextGroup[];
  /** Delivered text-backs created in the range. */
  textBacks: TextFact[];
  /** Texts (not keywords) from the text-backs' contacts in [from, to + reply window). */
  replies: { contact_id: string; created_at: number }[];
  /** Answered calls (either direction) with those contacts in [from, to + callback window). */
  answeredCalls: { contact_id: string; created_at: number }[];
  /** Their opt-outs in [from, to + reply window). */
  optOuts: { contact_id: string; created_at: number }[];
  /** Agents' first responses to inbound texts of the range (empty unless asked). */
  responses: ResponseFact[];
  /** Queue sessions started in the range (empty unless asked). */
  sessions: SessionFact[];
  /** number id → team id. */
  teams: Map<string, string | null>;
}

export interface Windows {
  replyMs: number;
  callbackMs: number;
  /** How a wait is measured, in ms: wall-clock by default, the business's open hours when asked. */
  elapsedMs?: (from: number, to: number) => number;
}

export interface Needs {
  key: SqlKey;
  /** Agents' response times. */
  responses: boolean;
  /** Queue sessions. */
  sessions: boolean;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Inbound texts that are compliance keywords carry {"keyword": ...} in their flags (use-cases/compliance/keywords.ts). */
const KEYWORD_FLAG = '%"keyword":%';

/** `column + the zone's offset at column`, as SQL: one CASE branch per offset change in the range. */
function localMs(column: string, clock: LocalClock): RawBuilder<number> {
  const ref = sql.ref(column);
  if (clock.offsets.length === 1) return sql<number>`(${ref} + ${sql.lit(clock.offsets[0] as number)})`;
  const branches = clock.starts.slice(1).map((start, i) => sql`when ${ref} < ${sql.lit(start)} then ${sql.lit(clock.offsets[i] as number)}`);
  return sql<number>`(${ref} + case ${sql.join(branches, sql` `)} else ${sql.lit(clock.offsets[clock.offsets.length - 1] as number)} end)`;
}

function keySql(key: SqlKey, table: 'messages' | 'calls'): RawBuilder<string | number | null> {
  const col = (c: string) => `${table}.${c}`;
  switch (key.kind) {
    case 'constant':
      return sql<string>`${sql.lit(key.value)}`;
    case 'automation':
      return table === 'messages' ? sql<string>`${sql.ref('automation_runs.automation_id')}` : sql<null>`null`;
    case 'variant':
      return table === 'messages' ? sql<string>`${sql.ref('messages.variant_id')}` : sql<null>`null`;
    case 'number':
      return sql<string>`${sql.ref(col('number_id'))}`;
    case 'agent':
      return table === 'messages' ? sql<string>`case when ${sql.ref('messages.created_by_type')} = 'user' then ${sql.ref('messages.created_by_id')} end` : sql<null>`null`;
    case 'source':
      return sql<string>`${sql.ref('contacts.source')}`;
    case 'localDay':
      return sql<number>`${localMs(col('created_at'), key.clock)} / ${sql.lit(DAY)}`;
    case 'localHour':
      return sql<number>`(${localMs(col('created_at'), key.clock)} % ${sql.lit(DAY)}) / ${sql.lit(HOUR)}`;
    case 'localHourNumber':
      return sql<number>`${localMs(col('created_at'), key.clock)} / ${sql.lit(HOUR)}`;
  }
}

export async function loadFacts(ctx: AppContext, orgId: string, range: Range, windows: Windows, needs: Needs, filter: AnalyticsFilter = {}): Promise<Facts> {
  const db = ctx.db.kysely;
  const { from, to } = range;
  const ordinals = (n: number) => Array.from({ length: n }, (_, i) => sql.raw(String(i + 1)));
  const joinsContacts = needs.key.kind === 'source';
  const joinsRuns = needs.key.kind === 'automation' || filter.automationIds !== undefined;

  let callsQuery = db
    .selectFrom('calls')
    .$if(joinsContacts, (q) => q.leftJoin('contacts', 'contacts.id', 'calls.contact_id'))
    .select((eb) => [keySql(needs.key, 'calls').as('k'), 'calls.outcome', eb.fn.countAll().as('n')])
    .where('calls.org_id', '=', orgId)
    .where('calls.created_at', '>=', from)
    .where('calls.created_at', '<', to)
    .where('calls.direction', '=', 'inbound')
    .groupBy(ordinals(2));
  if (filter.numberIds) callsQuery = callsQuery.where('calls.number_id', 'in', [...filter.numberIds, '']);
  // An automation's report counts no calls: a call belongs to no automation.
  if (filter.automationIds) callsQuery = callsQuery.where(sql<boolean>`1 = 0`);

  let textsQuery = db
    .selectFrom('messages')
    .$if(joinsRuns, (q) => q.leftJoin('automation_runs', 'automation_runs.id', 'messages.automation_run_id'))
    .$if(joinsContacts, (q) => q.leftJoin('contacts', 'contacts.id', 'messages.contact_id'))
    .select((eb) => [
      keySql(needs.key, 'messages').as('k'),
      'messages.status',
      'messages.reason',
      'messages.error_code',
      'messages.rule',
      sql<number>`case when ${sql.ref('messages.automation_run_id')} is null then 0 else 1 end`.as('text_back'),
      sql<number>`case when ${sql.ref('messages.sent_at')} is not null or ${sql.ref('messages.status')} in ('sent', 'delivered', 'undelivered', 'failed') then 1 else 0 end`.as('sent'),
      eb.fn.countAll().as('n'),
      eb.fn.sum('messages.segments').as('segments'),
    ])
    .where('messages.org_id', '=', orgId)
    .where('messages.created_at', '>=', from)
    .where('messages.created_at', '<', to)
    .where('messages.direction', '=', 'outbound')
    .groupBy(ordinals(7));
  if (filter.numberIds) textsQuery = textsQuery.where('messages.number_id', 'in', [...filter.numberIds, '']);
  if (filter.automationIds) textsQuery = textsQuery.where(sql.ref('automation_runs.automation_id'), 'in', [...filter.automationIds, '']);

  // Delivered text-backs in the range (the partial index messages_org_text_back_idx, migration 0017).
  let textBacksQuery = db
    .selectFrom('messages')
    .leftJoin('automation_runs', 'automation_runs.id', 'messages.automation_run_id')
    .leftJoin('contacts', 'contacts.id', 'messages.contact_id')
    .select([
      'messages.id',
      'messages.contact_id',
      'messages.number_id',
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
    .where('messages.automation_run_id', 'is not', null)
    .where('messages.direction', '=', 'outbound')
    .where('messages.status', '=', 'delivered');
  if (filter.numberIds) textBacksQuery = textBacksQuery.where('messages.number_id', 'in', [...filter.numberIds, '']);
  if (filter.automationIds) textBacksQuery = textBacksQuery.where('automation_runs.automation_id', 'in', [...filter.automationIds, '']);

  /** The contacts of those text-backs: replies, callbacks and opt-outs are read for them only. */
  const textedBack = db
    .selectFrom('messages')
    .select('messages.contact_id')
    .where('messages.org_id', '=', orgId)
    .where('messages.created_at', '>=', from)
    .where('messages.created_at', '<', to)
    .where('messages.automation_run_id', 'is not', null)
    .where('messages.direction', '=', 'outbound')
    .where('messages.status', '=', 'delivered');

  const [calls, texts, textBacks, replies, answeredCalls, optOuts, responses, sessions, numbers] = await Promise.all([
    callsQuery.execute(),
    textsQuery.execute(),
    textBacksQuery.execute(),
    db
      .selectFrom('messages')
      .select(['contact_id', 'created_at'])
      .where('org_id', '=', orgId)
      .where('contact_id', 'in', textedBack)
      .where('direction', '=', 'inbound')
      .where('created_at', '>=', from)
      .where('created_at', '<', to + windows.replyMs)
      .where((eb) => eb.or([eb('flags', 'is', null), eb('flags', 'not like', KEYWORD_FLAG)]))
      .execute(),
    db
      .selectFrom('calls')
      .select(['contact_id', 'created_at'])
      .where('org_id', '=', orgId)
      .where('contact_id', 'in', textedBack)
      .where('created_at', '>=', from)
      .where('created_at', '<', to + windows.callbackMs)
      .where('outcome', '=', 'answered')
      .execute(),
    db
      .selectFrom('consent_events')
      .select(['contact_id', 'created_at'])
      .where('org_id', '=', orgId)
      .where('contact_id', 'in', textedBack)
      .where('created_at', '>=', from)
      .where('created_at', '<', to + windows.replyMs)
      .where('state', '=', 'opted_out')
      .execute(),
    needs.responses ? agentResponseRows(ctx, orgId, range, windows) : [],
    needs.sessions
      ? db
          .selectFrom('queue_sessions')
          .select(['queue_id', 'number_id', 'agent_user_id', 'created_at', 'accepted_at', 'ended_at', 'end_reason'])
          .where('org_id', '=', orgId)
          .where('created_at', '>=', from)
          .where('created_at', '<', to)
          .execute()
      : [],
    db.selectFrom('phone_numbers').select(['id', 'team_id']).where('org_id', '=', orgId).execute(),
  ]);
  const num = (v: unknown) => Number(v);
  const nullableNum = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const rawKey = (k: unknown) => (k === null || k === undefined ? null : typeof k === 'string' && needs.key.kind !== 'localDay' && needs.key.kind !== 'localHour' && needs.key.kind !== 'localHourNumber' ? k : Number(k));
  return {
    range,
    callGroups: calls.map((c) => ({ key: rawKey(c.k), outcome: c.outcome, n: num(c.n) })),
    textGroups: texts.map((t) => ({
      key: rawKey(t.k),
      status: t.status,
      reason: t.reason,
      error_code: t.error_code,
      rule: t.rule,
      text_back: num(t.text_back) === 1,
      sent: num(t.sent) === 1,
      n: num(t.n),
      segments: num(t.segments),
    })),
    textBacks: textBacks.map((t) => ({ ...t, automation_id: t.automation_id ?? null, source: t.source ?? null, created_at: num(t.created_at), sent_at: nullableNum(t.sent_at) })),
    replies: replies.map((r) => ({ contact_id: r.contact_id, created_at: num(r.created_at) })),
    answeredCalls: answeredCalls.map((c) => ({ contact_id: c.contact_id, created_at: num(c.created_at) })),
    optOuts: optOuts.map((c) => ({ contact_id: c.contact_id, created_at: num(c.created_at) })),
    responses: responses.map((r) => ({
      inbound: { conversation_id: r.conversation_id, number_id: r.number_id, created_at: num(r.inbound_at) },
      agent_id: r.agent_id,
      answered_at: num(r.answered_at),
    })),
    sessions: sessions.map((s) => ({ ...s, created_at: num(s.created_at), accepted_at: nullableNum(s.accepted_at), ended_at: nullableNum(s.ended_at) })),
    teams: new Map(numbers.map((n) => [n.id, n.team_id])),
  };
}

/**
 * Agents' first responses, found by the database in one pass over the conversation's texts that
 * matter: inbound texts of the range (not keywords) and texts sent by people until the reply
 * window's end, in order (an inbound text first at the same millisecond). Counting the people's
 * texts as they come cuts a conversation into stretches; the first inbound text of a stretch is
 * answered by the next text a person sends (the running minimum ahead of it). The agent is read
 * from that text by the conversation index.
 */
async function agentResponseRows(ctx: AppContext, orgId: string, range: Range, windows: Windows) {
  const { rows } = await sql<{ conversation_id: string; number_id: string; inbound_at: number; answered_at: number; agent_id: string | null }>`
    with ev as (
      select conversation_id, number_id, direction, created_at,
             sum(case when direction = 'outbound' then 1 else 0 end)
               over (partition by conversation_id order by created_at, direction, id rows between unbounded preceding and current row) as stretch,
             min(case when direction = 'outbound' then created_at end)
               over (partition by conversation_id order by created_at, direction, id rows between current row and unbounded following) as answered_at
        from messages
       where org_id = ${orgId}
         and created_at >= ${range.from}
         and created_at < ${range.to + windows.replyMs}
         and ((direction = 'inbound' and created_at < ${range.to} and (flags is null or flags not like ${KEYWORD_FLAG}))
              or (direction = 'outbound' and created_by_type = 'user'))
    ),
    waiting as (
      select conversation_id, min(number_id) as number_id, min(created_at) as inbound_at, min(answered_at) as answered_at
        from ev where direction = 'inbound' group by conversation_id, stretch
    )
    select w.conversation_id, w.number_id, w.inbound_at, w.answered_at,
           (select min(a.created_by_id) from messages a
             where a.conversation_id = w.conversation_id and a.created_at = w.answered_at
               and a.direction = 'outbound' and a.created_by_type = 'user') as agent_id
      from waiting w
     where w.answered_at is not null`.execute(ctx.db.kysely);
  return rows;
}
