/**
 * A seeded history of missed calls, text-backs, replies, callbacks, opt-outs, agents' answers and
 * queue sessions, written straight into the tables, with known true reply rates per variant, hour
 * and lead source. The same seed gives the same history. Tests compute every metric again from the
 * returned rows, independently of the analytics code.
 */
import type { Insertable } from 'kysely';
import type { Db } from '../../src/db/database.js';
import type {
  AutomationRunsTable,
  CallsTable,
  ConsentEventsTable,
  ContactsTable,
  ConversationsTable,
  MessagesTable,
  QueueSessionsTable,
  QueuesTable,
  UsersTable,
} from '../../src/db/schema.js';

/** mulberry32: a small seeded PRNG (public domain). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface HistoryOptions {
  seed: number;
  orgId: string;
  numberId: string;
  numberE164: string;
  automationId: string;
  /** Variant id → true reply rate before the source and hour factors. */
  variants: Record<string, number>;
  /** Lead source → factor on the reply rate (null = contacts without a source). */
  sources?: Record<string, number>;
  /** Reply-rate factor for text-backs sent outside 08:00–20:00 UTC. */
  nightFactor?: number;
  start: number;
  days: number;
  contacts: number;
}

export interface History {
  contacts: Insertable<ContactsTable>[];
  conversations: Insertable<ConversationsTable>[];
  users: Insertable<UsersTable>[];
  runs: Insertable<AutomationRunsTable>[];
  calls: Insertable<CallsTable>[];
  messages: Insertable<MessagesTable>[];
  consents: Insertable<ConsentEventsTable>[];
  queues: Insertable<QueuesTable>[];
  sessions: Insertable<QueueSessionsTable>[];
  /** The automation document (its variants) to store with the automation. */
  document: string;
  agentIds: string[];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const OUTCOMES = ['missed', 'missed', 'missed', 'voicemail', 'answered', 'too_short'] as const;

export function generateHistory(o: HistoryOptions): History {
  const rnd = seededRandom(o.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const sources = o.sources ?? { google: 1.2, facebook: 0.8, referral: 1 };
  const sourceNames = [...Object.keys(sources), null];
  const variantIds = Object.keys(o.variants);
  const h: History = {
    contacts: [],
    conversations: [],
    users: [],
    runs: [],
    calls: [],
    messages: [],
    consents: [],
    queues: [],
    sessions: [],
    // A document the domain accepts (scope, a known trigger): GET /v1/automations serializes it with its schema.
    document: JSON.stringify({ scope: { numbers: 'all' }, trigger: { type: 'call.completed' }, steps: [{ id: 's1', type: 'send_sms', variants: variantIds.map((id) => ({ id, template: `Sorry we missed you (${id})`, weight: 1 })) }] }),
    agentIds: [`usr_agent_a_${o.seed}`, `usr_agent_b_${o.seed}`],
  };
  for (const id of h.agentIds) h.users.push({ id, org_id: o.orgId, email: `${id}@example.com`, name: id, role: 'agent', created_at: o.start, updated_at: o.start });
  const queueId = `que_${o.seed}`;
  h.queues.push({
    id: queueId,
    org_id: o.orgId,
    name: 'Support',
    initiation_keyword: 'SUPPORT',
    initiation_message: 'hi',
    initiation_needed_message: 'text SUPPORT',
    termination_keyword: 'END',
    termination_message: 'bye',
    no_agents_message: 'none',
    strategy: 'round_robin',
    invite_timeout_s: 60,
    invite_by_sms: 0,
    created_at: o.start,
    updated_at: o.start,
  });

  let seq = 0;
  const id = (prefix: string) => `${prefix}_${o.seed}_${String(++seq).padStart(7, '0')}`;
  const message = (m: MessageInput, contactE164: string) => messageRow({ ...m, id: m.id ?? id('msg') }, o, contactE164);

  for (let i = 0; i < o.contacts; i++) {
    const contactId = id('con');
    const e164 = `+1555${String(1_000_000 + i).slice(-7)}`;
    const source = pick(sourceNames);
    const callAt = o.start + Math.floor(rnd() * o.days * DAY);
    h.contacts.push({ id: contactId, org_id: o.orgId, e164, name: null, source, time_zone: null, attributes: '{}', created_at: callAt, updated_at: callAt });
    const conversationId = id('cnv');
    h.conversations.push({ id: conversationId, org_id: o.orgId, contact_id: contactId, number_id: o.numberId, status: 'open', assigned_user_id: null, assigned_team_id: null, unread_count: 0, last_message_at: null, created_at: callAt, updated_at: callAt });
    const outcome = pick(OUTCOMES);
    const call = (at: number, outcomeOf: string, direction: 'inbound' | 'outbound' = 'inbound'): Insertable<CallsTable> => ({
      id: id('call'),
      org_id: o.orgId,
      contact_id: contactId,
      number_id: o.numberId,
      direction,
      from_e164: direction === 'inbound' ? e164 : o.numberE164,
      to_e164: direction === 'inbound' ? o.numberE164 : e164,
      status: outcomeOf === 'answered' ? 'completed' : 'no-answer',
      duration_s: outcomeOf === 'answered' ? 60 : 0,
      answered_by: null,
      outcome: outcomeOf,
      outcome_reason: null,
      carrier: 'sandbox',
      external_id: null,
      started_at: at,
      ended_at: at + 60_000,
      created_at: at,
      extension: null,
    });
    h.calls.push(call(callAt, outcome));
    if (outcome !== 'missed' && outcome !== 'voicemail') continue;

    // The text-back, 15 seconds later.
    const variant = pick(variantIds);
    const runId = id('run');
    const textAt = callAt + 15_000;
    h.runs.push({
      id: runId,
      org_id: o.orgId,
      automation_id: o.automationId,
      contact_id: contactId,
      number_id: o.numberId,
      trigger_type: 'call.missed',
      event_id: `evt_${runId}`,
      event: '{}',
      priority: 0,
      status: 'completed',
      run_state: '{}',
      outcome: null,
      next_at: null,
      created_at: callAt,
      updated_at: textAt,
      finished_at: textAt,
    });
    const fate = rnd();
    const status = fate < 0.8 ? 'delivered' : fate < 0.86 ? 'failed' : fate < 0.9 ? 'undelivered' : fate < 0.95 ? 'blocked' : fate < 0.97 ? 'held' : 'sent';
    const sent = status !== 'blocked' && status !== 'held';
    const sentAt = sent ? textAt + 1000 : null;
    h.messages.push(
      message(
        {
          contact_id: contactId,
          conversation_id: conversationId,
          direction: 'outbound',
          status,
          created_at: textAt,
          sent_at: sentAt,
          delivered_at: status === 'delivered' ? textAt + 3000 : null,
          automation_run_id: runId,
          variant_id: variant,
          automated: 1,
          segments: 1 + Math.floor(rnd() * 2),
          reason: status === 'failed' || status === 'undelivered' ? pick(['landline_or_unreachable', 'carrier_violation', 'unknown']) : status === 'blocked' ? pick(['opted_out', 'suppressed']) : status === 'held' ? 'quiet_hours' : null,
          error_code: status === 'failed' || status === 'undelivered' ? pick(['30003', '30006', '30007']) : null,
          rule: status === 'blocked' ? pick(['CONSENT', 'SUPPRESSION']) : status === 'held' ? 'US-TX' : null,
        },
        e164,
      ),
    );
    if (status !== 'delivered') continue;

    const utcHour = new Date(textAt).getUTCHours();
    const rate = (o.variants[variant] as number) * (source === null ? 1 : (sources[source] as number)) * (utcHour >= 8 && utcHour < 20 ? 1 : (o.nightFactor ?? 0.6));
    const sentInstant = sentAt as number;
    // Replies: some within minutes, some days later, some after the 7-day window; some contacts reply twice.
    if (rnd() < rate) {
      const delay = pick([30_000, 90_000, 5 * 60_000, 40 * 60_000, 3 * HOUR, 2 * DAY, 6.5 * DAY, 7 * DAY, 8 * DAY]) + Math.floor(rnd() * 60_000);
      const firstReply = sentInstant + delay;
      h.messages.push(message({ contact_id: contactId, conversation_id: conversationId, direction: 'inbound', status: 'received', created_at: firstReply }, e164));
      let after = firstReply;
      if (rnd() < 0.6) {
        // An agent answers.
        const agentAt = firstReply + Math.floor(rnd() * 2 * HOUR) + 1000;
        h.messages.push(
          message({ contact_id: contactId, conversation_id: conversationId, direction: 'outbound', status: 'delivered', created_at: agentAt, sent_at: agentAt + 500, created_by_type: 'user', created_by_id: pick(h.agentIds) }, e164),
        );
        after = agentAt;
      }
      if (rnd() < 0.3) h.messages.push(message({ contact_id: contactId, conversation_id: conversationId, direction: 'inbound', status: 'received', created_at: after + 10 * 60_000 }, e164));
    }
    // STOP: an inbound keyword (not a reply) and an opt-out in the ledger.
    if (rnd() < 0.05) {
      const stopAt = sentInstant + pick([60_000, 3 * DAY, 9 * DAY]);
      const stop = message({ contact_id: contactId, conversation_id: conversationId, direction: 'inbound', status: 'received', created_at: stopAt, flags: JSON.stringify({ keyword: 'opt_out', matched: 'STOP' }) }, e164);
      h.messages.push(stop);
      h.consents.push({ id: id('cev'), org_id: o.orgId, contact_id: contactId, number_id: null, e164, state: 'opted_out', source: 'keyword', actor_type: 'contact', actor_id: null, evidence: '{}', created_at: stopAt });
    }
    // Callbacks: a connected call within or after 7 days, or a call that was missed again.
    const callback = rnd();
    if (callback < 0.2) h.calls.push(call(sentInstant + pick([20 * 60_000, 2 * DAY, 6 * DAY, 8 * DAY]), 'answered', rnd() < 0.5 ? 'inbound' : 'outbound'));
    else if (callback < 0.25) h.calls.push(call(sentInstant + HOUR, 'missed'));
  }

  // Queue sessions: handled, abandoned and with no agents.
  for (let i = 0; i < Math.max(5, Math.floor(o.contacts / 20)); i++) {
    // One session per contact: a number holds one open session per contact.
    const contact = h.contacts[(i * 7) % h.contacts.length] as (typeof h.contacts)[number];
    const at = o.start + Math.floor(rnd() * o.days * DAY);
    const kind = rnd();
    const accepted = kind < 0.7 ? at + Math.floor(rnd() * 120_000) : null;
    const ended = accepted !== null ? (rnd() < 0.9 ? accepted + Math.floor(rnd() * 1_800_000) : null) : at + 60_000;
    h.sessions.push({
      id: id('qss'),
      org_id: o.orgId,
      queue_id: queueId,
      number_id: o.numberId,
      contact_id: contact.id,
      originator_e164: contact.e164,
      state: ended === null ? 'active' : 'ended',
      agent_user_id: accepted !== null ? pick(h.agentIds) : null,
      end_reason: accepted !== null ? (ended === null ? null : 'agent') : kind < 0.85 ? 'terminated' : kind < 0.95 ? 'timed_out' : 'no_agents',
      created_at: at,
      accepted_at: accepted,
      ended_at: ended,
      updated_at: at,
    });
  }
  return h;
}

export type MessageInput = Partial<Insertable<MessagesTable>> & Pick<Insertable<MessagesTable>, 'contact_id' | 'conversation_id' | 'direction' | 'status' | 'created_at'>;

/** A full messages row with defaults (outbound from the number, inbound to it). */
export function messageRow(m: MessageInput, o: Pick<HistoryOptions, 'orgId' | 'numberId' | 'numberE164'>, contactE164: string): Insertable<MessagesTable> {
  return {
    id: `msg_${m.contact_id}_${m.created_at}_${m.direction}`,
    org_id: o.orgId,
    number_id: o.numberId,
    from_e164: m.direction === 'inbound' ? contactE164 : o.numberE164,
    to_e164: m.direction === 'inbound' ? o.numberE164 : contactE164,
    body: 'x',
    media: null,
    reason: null,
    error_code: null,
    encoding: 'GSM-7',
    segments: 1,
    carrier: 'sandbox',
    carrier_message_id: null,
    idempotency_key: null,
    created_by_type: m.direction === 'inbound' ? 'contact' : 'system',
    created_by_id: null,
    scheduled_at: null,
    sent_at: null,
    delivered_at: null,
    failed_at: null,
    updated_at: m.created_at,
    automation_run_id: null,
    variant_id: null,
    rule: null,
    held_until: null,
    flags: null,
    automated: 0,
    purpose: null,
    send_slot_at: null,
    ...m,
  };
}

/** Writes a history (and its automation) into the database, in chunks. */
export async function insertHistory(db: Db, h: History, o: Pick<HistoryOptions, 'orgId' | 'automationId' | 'start'>): Promise<void> {
  const k = db.kysely;
  await k
    .insertInto('automations')
    .values({ id: o.automationId, org_id: o.orgId, name: 'Missed-call text-back (A/B)', state: 'active', priority: 0, trigger_type: 'call.missed', document: h.document, preset: null, created_at: o.start, updated_at: o.start })
    .execute();
  const chunks = async <T>(table: string, rows: T[]) => {
    for (let i = 0; i < rows.length; i += 200) await k.insertInto(table as never).values(rows.slice(i, i + 200) as never).execute();
  };
  await chunks('users', h.users);
  await chunks('queues', h.queues);
  await chunks('contacts', h.contacts);
  await chunks('conversations', h.conversations);
  await chunks('automation_runs', h.runs);
  await chunks('calls', h.calls);
  await chunks('messages', h.messages);
  await chunks('consent_events', h.consents);
  await chunks('queue_sessions', h.sessions);
}
