/**
 * Seeded data for the search tests: two organizations with contacts, conversations, texts, calls,
 * consent changes, suppressions, users, teams, numbers and automations, drawn from a fixed-seed
 * generator (the same rows on every run and on both databases), and the whole of it read back as
 * core's SearchRows for the in-memory evaluation.
 */
import type { SearchRows } from '@textback/core';
import { DateTime } from 'luxon';
import { transaction } from '../../src/app-context.js';
import type { Database } from '../../src/db/schema.js';
import { createUser } from '../../src/use-cases/organizations.js';
import { addNumber } from '../../src/use-cases/numbers.js';
import type { TestApp, TestOrg } from '../support/test-app.js';
import { createTestOrg } from '../support/test-app.js';
import type { Insertable } from 'kysely';

export const ZONE = 'America/New_York';
/** Wednesday 2026-03-11 15:00 in New York: the week of the spring DST change (Sunday 2026-03-08). */
export const NOW = DateTime.fromISO('2026-03-11T15:00:00', { zone: ZONE }).toMillis();
const DAY = 86_400_000;

/** Mulberry32: a small deterministic generator. */
function generator(seed: number) {
  let a = seed;
  const next = () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
  };
}

const NAMES = [null, 'Ann Lee', 'Joanne Smith', 'Bob', "bob o'neil", 'Zed Zimmer', 'ann', 'María López', 'Carl 100%', 'Dee_Dee', 'Eve Adams', 'Frank'];
const SOURCES = [null, 'inbound_call', 'lead', 'sms', 'Web Form'];
const BODIES = ['Is the water heater fixed?', 'Call me back please', 'STOP', 'thanks!', 'price 100% off_now', 'Water leak in the kitchen', 'see you at 415', 'ok', 'Reply STOP to opt out'];
const OUT_STATUSES = ['queued', 'sent', 'delivered', 'delivered', 'undelivered', 'failed', 'failed', 'blocked', 'cancelled', 'scheduled'];
const OUTCOMES = ['answered', 'missed', 'missed', 'voicemail', 'too_short', 'answered_elsewhere', null];
const CONSENT = ['opted_in', 'implied', 'opted_out'] as const;

export interface SeededOrg extends TestOrg {
  users: string[];
  teams: string[];
  numbers: { id: string; e164: string }[];
  contacts: { id: string; e164: string }[];
  automations: { id: string; name: string }[];
}

/** A time in the last `days` days, sometimes exactly a local midnight (the edge of `today`, `yesterday`, ...). */
function when(r: ReturnType<typeof generator>, days = 20): number {
  if (r.chance(0.1)) return DateTime.fromMillis(NOW, { zone: ZONE }).startOf('day').minus({ days: r.int(days) }).toMillis();
  return NOW - r.int(days * DAY);
}

export async function seedOrg(app: TestApp, seed: number, numberSuffix: string, others: { contacts: { id: string }[]; conversations: string[] } | null = null): Promise<SeededOrg> {
  const r = generator(seed);
  const db = app.tb.ctx.db.kysely;
  const ctx = app.tb.ctx;
  const org = await createTestOrg(app, `+1415555${numberSuffix}`);
  const agent1 = await transaction(ctx, (tx) => createUser(ctx, tx, { orgId: org.orgId, email: `agent1.${seed}@example.com`, name: 'Agent One', role: 'agent' }));
  const agent2 = await transaction(ctx, (tx) => createUser(ctx, tx, { orgId: org.orgId, email: `Agent2.${seed}@Example.com`, name: 'Agent Two', role: 'agent' }));
  const users = [org.userId, agent1.id, agent2.id];
  const teams = ['Sales', 'Support'].map((name, i) => ({ id: `team_${seed}_${i}`, org_id: org.orgId, name, settings: '{}', created_at: NOW, updated_at: NOW }));
  await db.insertInto('teams').values(teams).execute();
  const second = await addNumber(ctx, org.orgId, { e164: `+1628555${numberSuffix}`, name: 'Second' });
  const numbers = [
    { id: org.numberId, e164: org.number },
    { id: second.id, e164: second.e164 },
  ];
  const automations = [
    { id: `aut_${seed}_a`, name: 'Missed call text-back' },
    { id: `aut_${seed}_b`, name: 'Follow up' },
  ];
  await db
    .insertInto('automations')
    .values(automations.map((a) => ({ ...a, org_id: org.orgId, state: 'active' as const, priority: 0, trigger_type: 'call.missed', document: '{}', preset: null, created_at: NOW, updated_at: NOW })))
    .execute();

  const contacts: Insertable<Database['contacts']>[] = [];
  const conversations: Insertable<Database['conversations']>[] = [];
  const messages: Insertable<Database['messages']>[] = [];
  const calls: Insertable<Database['calls']>[] = [];
  const consent: Insertable<Database['consent_events']>[] = [];
  const runs: Insertable<Database['automation_runs']>[] = [];
  const suppressions: Insertable<Database['suppressions']>[] = [];
  let seq = 0;
  const id = (prefix: string) => `${prefix}_${seed}_${String(seq++).padStart(5, '0')}`;

  for (let i = 0; i < 45; i++) {
    const created = when(r);
    const attributes: Record<string, unknown> = {};
    if (r.chance(0.5)) attributes.plan = r.pick(['pro', 'Free', 'PRO']);
    if (r.chance(0.3)) attributes.vip = r.chance(0.5);
    if (r.chance(0.3)) attributes.score = r.int(5);
    if (r.chance(0.3)) attributes['favorite color'] = r.pick(['Blue', 'green']);
    const contact = {
      id: id('ct'),
      org_id: org.orgId,
      // The same numbers in both organizations: a search must still find only its own.
      e164: `+1415943${String(4500 + i).padStart(4, '0')}`,
      name: r.pick(NAMES),
      source: r.pick(SOURCES),
      time_zone: null,
      attributes: JSON.stringify(attributes),
      created_at: created,
      updated_at: created + r.int(3 * DAY),
    };
    contacts.push(contact);
    if (r.chance(0.15)) suppressions.push({ org_id: org.orgId, e164: contact.e164, reason: 'manual', source: 'api', created_at: NOW, created_by: null });
    for (let k = r.int(3); k > 0; k--) {
      consent.push({
        id: id('cns'),
        org_id: org.orgId,
        contact_id: contact.id,
        number_id: null,
        e164: contact.e164,
        state: r.pick(CONSENT),
        source: 'manual',
        actor_type: 'agent',
        actor_id: null,
        evidence: '{}',
        created_at: r.chance(0.3) ? created : when(r),
      });
    }
    const conversationCount = r.int(3);
    for (let n = 0; n < conversationCount; n++) {
      const number = numbers[n]!;
      const conversation = {
        id: id('cnv'),
        org_id: org.orgId,
        contact_id: contact.id,
        number_id: number.id,
        status: r.pick(['open', 'closed'] as const),
        assigned_user_id: r.chance(0.6) ? r.pick(users) : null,
        assigned_team_id: r.chance(0.5) ? r.pick(teams).id : null,
        unread_count: r.pick([0, 0, 1, 3]),
        last_message_at: null,
        created_at: created + r.int(DAY),
        updated_at: created + r.int(2 * DAY),
      };
      conversations.push(conversation);
      for (let m = r.int(7); m > 0; m--) {
        const inbound = r.chance(0.4);
        const status = inbound ? 'received' : r.pick(OUT_STATUSES);
        let runId: string | null = null;
        if (!inbound && r.chance(0.3)) {
          runId = id('run');
          runs.push({
            id: runId,
            org_id: org.orgId,
            automation_id: r.pick(automations).id,
            contact_id: contact.id,
            number_id: number.id,
            trigger_type: 'call.missed',
            event_id: runId,
            event: '{}',
            priority: 0,
            status: 'completed',
            run_state: '{}',
            outcome: null,
            next_at: null,
            created_at: NOW,
            updated_at: NOW,
            finished_at: NOW,
          });
        }
        messages.push(
          message(id('msg'), org.orgId, conversation.id, contact.id, number.id, inbound ? 'inbound' : 'outbound', status, r.pick(BODIES), when(r), {
            reason: status === 'failed' || status === 'undelivered' ? r.pick(['landline_or_unreachable', 'spam_filtered']) : null,
            error_code: status === 'failed' ? r.pick(['30003', '30006']) : null,
            automation_run_id: runId,
            variant_id: runId && r.chance(0.5) ? r.pick(['A', 'b']) : null,
          }),
        );
      }
    }
    for (let k = r.int(4); k > 0; k--) {
      calls.push({
        id: id('call'),
        org_id: org.orgId,
        contact_id: contact.id,
        number_id: r.pick(numbers).id,
        direction: r.chance(0.8) ? 'inbound' : 'outbound',
        from_e164: contact.e164,
        to_e164: org.number,
        status: 'completed',
        duration_s: r.chance(0.2) ? null : r.int(300),
        answered_by: null,
        outcome: r.pick(OUTCOMES),
        outcome_reason: null,
        carrier: 'sandbox',
        external_id: null,
        started_at: null,
        ended_at: null,
        created_at: when(r),
        extension: null,
      });
    }
  }
  // Rows of this organization that point at the other organization's contacts (no use case writes
  // such rows; they make sure that a subquery filters on the organization, not only on the contact).
  if (others) {
    for (const [i, other] of others.contacts.slice(0, 10).entries()) {
      messages.push(message(id('msg'), org.orgId, others.conversations[0] ?? conversations[0]!.id!, other.id, numbers[0]!.id, 'outbound', 'failed', 'water heater', NOW - i * 1000, {}));
      calls.push({ ...calls[0]!, id: id('call'), contact_id: other.id, outcome: 'missed', created_at: NOW - DAY });
    }
  }
  const insert = async <T extends keyof Database>(table: T, rows: Insertable<Database[T]>[]) => {
    for (let i = 0; i < rows.length; i += 100) await db.insertInto(table).values(rows.slice(i, i + 100) as never).execute();
  };
  await insert('contacts', contacts);
  await insert('conversations', conversations);
  await insert('automation_runs', runs);
  await insert('messages', messages);
  await insert('calls', calls);
  await insert('consent_events', consent);
  await insert('suppressions', suppressions);
  return { ...org, users, teams: teams.map((t) => t.id), numbers, contacts: contacts.map((c) => ({ id: c.id!, e164: c.e164 })), automations };
}

function message(
  id: string,
  orgId: string,
  conversationId: string,
  contactId: string,
  numberId: string,
  direction: 'inbound' | 'outbound',
  status: string,
  body: string,
  createdAt: number,
  more: { reason?: string | null; error_code?: string | null; automation_run_id?: string | null; variant_id?: string | null },
): Insertable<Database['messages']> {
  return {
    id,
    org_id: orgId,
    conversation_id: conversationId,
    contact_id: contactId,
    number_id: numberId,
    direction,
    from_e164: '+14155550100',
    to_e164: '+14155550101',
    body,
    media: null,
    status,
    reason: more.reason ?? null,
    error_code: more.error_code ?? null,
    encoding: 'GSM-7',
    segments: 1,
    carrier: 'sandbox',
    carrier_message_id: null,
    idempotency_key: null,
    created_by_type: direction === 'inbound' ? 'contact' : 'user',
    created_by_id: null,
    scheduled_at: null,
    sent_at: null,
    delivered_at: null,
    failed_at: null,
    created_at: createdAt,
    updated_at: createdAt,
    automation_run_id: more.automation_run_id ?? null,
    variant_id: more.variant_id ?? null,
    rule: null,
    held_until: null,
    flags: null,
    purpose: null,
    send_slot_at: null,
  };
}

/** Every row the search reads, of every organization, as stored. */
export async function readRows(app: TestApp): Promise<SearchRows> {
  const db = app.tb.ctx.db.kysely;
  return {
    contacts: await db.selectFrom('contacts').selectAll().execute(),
    conversations: await db.selectFrom('conversations').selectAll().execute(),
    messages: await db.selectFrom('messages').selectAll().execute(),
    calls: await db.selectFrom('calls').selectAll().execute(),
    consent_events: await db.selectFrom('consent_events').selectAll().execute(),
    suppressions: await db.selectFrom('suppressions').selectAll().execute(),
    users: await db.selectFrom('users').selectAll().execute(),
    teams: await db.selectFrom('teams').selectAll().execute(),
    phone_numbers: await db.selectFrom('phone_numbers').selectAll().execute(),
    automations: await db.selectFrom('automations').selectAll().execute(),
    automation_runs: await db.selectFrom('automation_runs').selectAll().execute(),
  };
}
