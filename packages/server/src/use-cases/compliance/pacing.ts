/**
 * Per-sender rate limits and daily caps, exact across worker processes: the state lives on the
 * number's row and every change is one atomic UPDATE, so PostgreSQL's row lock (or SQLite's single
 * writer) orders the senders.
 *
 * 1. A place in line: the first time a message is about to go, it reserves its sender's next slot,
 *    `next_send_at = max(next_send_at, now) + 1000/rate`, and its job snoozes until that slot. A
 *    burst is paced one slot after another, never dropped, with one wake-up per message.
 *    A number whose daily cap is already full holds the message until the next day instead.
 * 2. The send itself, the last step before the carrier is called: the message takes the sender only
 *    if the last send was at least one interval ago (`last_send_at <= now - interval`) and the daily
 *    cap has room, in one UPDATE; a message whose predecessor ran late goes back to `queued` and
 *    waits for `last_send_at + interval`. This second step is what makes the rate exact even when
 *    jobs wake late or several workers race.
 *
 * Default rates by sender type (issue 4; carriers' published throughput): long code 1 message/s,
 * toll-free 3/s, short code 100/s. Daily caps count per day in the organization's time zone.
 */
import { normalizePhone } from '@textback/core';
import { sql } from 'kysely';
import { DateTime } from 'luxon';
import type { AppContext } from '../../app-context.js';
import { caseById } from '../../db/batch-sql.js';
import { transaction } from '../../app-context.js';
import type { Message, SenderType } from '../../db/schema.js';
import type { GateDecision } from './gate.js';
import { applyDecision } from './outbound.js';

export const DEFAULT_RATES: Record<SenderType, number> = { long_code: 1, toll_free: 3, short_code: 100 };
export const SENDER_TYPES = Object.keys(DEFAULT_RATES) as SenderType[];

/** A new number's sender type: toll-free when the numbering plan says so, else a long code. */
export function senderTypeFor(e164: string): SenderType {
  try {
    return normalizePhone(e164).type === 'TOLL_FREE' ? 'toll_free' : 'long_code';
  } catch {
    return 'long_code';
  }
}

export function sendInterval(senderType: SenderType | undefined, ratePerSecond: number | null | undefined): number {
  const rate = ratePerSecond ?? DEFAULT_RATES[senderType ?? 'long_code'] ?? 1;
  return Math.ceil(1000 / Math.max(rate, 0.001));
}

interface SenderRow {
  sender_type: SenderType;
  rate_per_second: number | null;
  daily_cap: number | null;
  daily_count: number;
  daily_count_day: string | null;
  time_zone: string;
}

async function sender(ctx: AppContext, numberId: string): Promise<SenderRow | undefined> {
  return (await sendersOf(ctx, [numberId])).get(numberId);
}

/** Each zone's current local day, with the instants it starts and ends: luxon is asked once a day per zone, not per text. */
const days = new Map<string, { from: number; to: number; iso: string }>();

function dayOf(now: number, zone: string): { from: number; to: number; iso: string } {
  const known = days.get(zone);
  if (known && now >= known.from && now < known.to) return known;
  const local = DateTime.fromMillis(now, { zone });
  const start = local.startOf('day');
  const day = { from: start.toMillis(), to: start.plus({ days: 1 }).toMillis(), iso: local.toISODate() ?? '' };
  if (days.size > 1000) days.clear();
  days.set(zone, day);
  return day;
}
const localDay = (now: number, zone: string) => dayOf(now, zone).iso;
const nextDayStart = (now: number, zone: string) => dayOf(now, zone).to;

function dailyCapHold(cap: number, until: number): GateDecision {
  return {
    action: 'hold',
    until,
    reason: 'rate_limited',
    rule: 'NUMBER-DAILY-CAP',
    detail: `this number's daily cap of ${cap} texts is reached; held until ${new Date(until).toISOString()}`,
  };
}

/**
 * Step 1, before the message is marked `sending`: holds it when the number's daily cap is already
 * full (status `held`, reason `rate_limited`, rule NUMBER-DAILY-CAP, until the next day), else
 * reserves its place in line. Returns when to come back, or null to go on.
 */
export async function reserveSendSlot(ctx: AppContext, message: Message): Promise<{ snoozeUntil: number } | null> {
  const number = await sender(ctx, message.number_id);
  if (!number) return null;
  const now = ctx.clock.now();
  if (number.daily_cap != null && number.daily_count_day === localDay(now, number.time_zone) && number.daily_count >= number.daily_cap) {
    const until = nextDayStart(now, number.time_zone);
    const verdict = await transaction(ctx, (tx) => applyDecision(ctx, tx, message, dailyCapHold(number.daily_cap!, until), 'send'));
    return { snoozeUntil: verdict.proceed ? until : (verdict.snoozeUntil ?? until) };
  }
  let slot = message.send_slot_at ?? null;
  if (slot === null) {
    const interval = sendInterval(number.sender_type, number.rate_per_second);
    const reserved = await sql<{ next_send_at: number }>`
      UPDATE phone_numbers
         SET next_send_at = CASE WHEN coalesce(next_send_at, 0) > ${now} THEN next_send_at ELSE ${now} END + ${interval}
       WHERE id = ${message.number_id}
      RETURNING next_send_at`.execute(ctx.db.kysely);
    slot = Number(reserved.rows[0]!.next_send_at) - interval;
    // Remembered only when the job has to wait for it (a slot of "now" is taken at once).
    if (slot > now) await ctx.db.kysely.updateTable('messages').set({ send_slot_at: slot }).where('id', '=', message.id).execute();
  }
  return slot > now ? { snoozeUntil: slot } : null;
}

/**
 * Step 2, the last thing before the carrier is called (the message is `sending`): takes the sender
 * in one atomic UPDATE, only if its last send was at least one interval ago and the daily cap has
 * room. Returns the instant taken, or, when another send got there first, puts the message back
 * (`queued`, or `held` for a full daily cap) and says when to come back.
 */
export async function takeSender(ctx: AppContext, message: Message): Promise<{ takenAt: number } | { snoozeUntil: number }> {
  const number = await sender(ctx, message.number_id);
  const now = ctx.clock.now();
  if (!number) return { takenAt: now };
  const interval = sendInterval(number.sender_type, number.rate_per_second);
  const day = localDay(now, number.time_zone);
  const taken = await sql`
    UPDATE phone_numbers
       SET last_send_at = ${now},
           daily_count = CASE WHEN daily_count_day = ${day} THEN daily_count + 1 ELSE 1 END,
           daily_count_day = ${day}
     WHERE id = ${message.number_id}
       AND (last_send_at IS NULL OR last_send_at <= ${now - interval})
       AND (daily_cap IS NULL OR daily_count_day IS NULL OR daily_count_day <> ${day} OR daily_count < daily_cap)`.execute(ctx.db.kysely);
  if (Number(taken.numAffectedRows ?? 0) === 1) return { takenAt: now };

  const state = await ctx.db.kysely
    .selectFrom('phone_numbers')
    .select(['last_send_at', 'daily_cap', 'daily_count', 'daily_count_day'])
    .where('id', '=', message.number_id)
    .executeTakeFirstOrThrow();
  const capFull = state.daily_cap != null && state.daily_count_day === day && state.daily_count >= state.daily_cap;
  let until: number;
  if (capFull) {
    until = nextDayStart(now, number.time_zone);
  } else {
    // Another send took the sender first (a job woke late, or workers raced): take a new place at
    // the end of the line rather than all losers retrying at the same instant (a thundering herd
    // that cost a dozen wake-ups per message under bursts).
    const reserved = await sql<{ next_send_at: number }>`
      UPDATE phone_numbers
         SET next_send_at = CASE WHEN coalesce(next_send_at, 0) > ${Number(state.last_send_at ?? now) + interval}
                                 THEN next_send_at ELSE ${Number(state.last_send_at ?? now) + interval} END + ${interval}
       WHERE id = ${message.number_id}
      RETURNING next_send_at`.execute(ctx.db.kysely);
    until = Math.max(now + 1, Number(reserved.rows[0]!.next_send_at) - interval);
    await ctx.db.kysely.updateTable('messages').set({ send_slot_at: until }).where('id', '=', message.id).execute();
  }
  await transaction(ctx, async (tx) => {
    // Back from `sending`: nothing went to the carrier.
    const back = await tx.updateTable('messages').set({ status: 'queued', updated_at: now }).where('id', '=', message.id).where('status', '=', 'sending').executeTakeFirst();
    if (capFull && Number(back.numUpdatedRows) === 1) await applyDecision(ctx, tx, { ...message, status: 'queued' }, dailyCapHold(state.daily_cap!, until), 'send');
  });
  return { snoozeUntil: until };
}

// ---------------------------------------------------------------------------------------------
// The same two steps for a batch of texts (the send worker's batch handler): one statement per step
// for the whole batch instead of one per text. Anything unusual (a full daily cap, a sender taken
// by someone else) goes through the one-text functions above.

export interface Sender extends SenderRow {
  id: string;
  carrier_account_id: string | null;
}

/** The senders (numbers) of a batch, with their pacing state. */
export async function sendersOf(ctx: AppContext, numberIds: readonly string[]): Promise<Map<string, Sender>> {
  if (numberIds.length === 0) return new Map();
  const rows = await ctx.db.kysely
    .selectFrom('phone_numbers')
    .innerJoin('organizations', 'organizations.id', 'phone_numbers.org_id')
    .select([
      'phone_numbers.id',
      'phone_numbers.carrier_account_id',
      'phone_numbers.sender_type',
      'phone_numbers.rate_per_second',
      'phone_numbers.daily_cap',
      'phone_numbers.daily_count',
      'phone_numbers.daily_count_day',
      'organizations.time_zone',
    ])
    .where('phone_numbers.id', 'in', [...new Set(numberIds)])
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

const byArrival = (a: Message, b: Message) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Step 1 for a batch: every message without a place in line reserves one; a number's k messages
 * take k consecutive slots with one UPDATE for all the batch's numbers. Returns, per message, when
 * to come back (its slot is later) or null (go now).
 */
export async function reserveSendSlots(ctx: AppContext, messages: readonly Message[], senders: ReadonlyMap<string, Sender>): Promise<Map<string, { snoozeUntil: number } | null>> {
  const now = ctx.clock.now();
  const result = new Map<string, { snoozeUntil: number } | null>();
  const reserving = new Map<string, Message[]>();
  for (const message of messages) {
    const number = senders.get(message.number_id);
    if (!number) {
      result.set(message.id, null);
    } else if (number.daily_cap != null && number.daily_count_day === localDay(now, number.time_zone) && number.daily_count >= number.daily_cap) {
      result.set(message.id, await reserveSendSlot(ctx, message)); // held until tomorrow
    } else if (message.send_slot_at != null) {
      result.set(message.id, message.send_slot_at > now ? { snoozeUntil: message.send_slot_at } : null);
    } else {
      const list = reserving.get(message.number_id);
      if (list) list.push(message);
      else reserving.set(message.number_id, [message]);
    }
  }
  if (reserving.size === 0) return result;

  const interval = (numberId: string) => {
    const n = senders.get(numberId)!;
    return sendInterval(n.sender_type, n.rate_per_second);
  };
  const reserved = await sql<{ id: string; next_send_at: number }>`
    UPDATE phone_numbers
       SET next_send_at = CASE WHEN coalesce(next_send_at, 0) > ${now} THEN next_send_at ELSE ${now} END
                          + ${caseById([...reserving].map(([id, list]) => [id, list.length * interval(id)] as const))}
     WHERE id IN (${sql.join([...reserving.keys()])})
    RETURNING id, next_send_at`.execute(ctx.db.kysely);
  const later: Array<readonly [string, number]> = [];
  for (const row of reserved.rows) {
    const list = reserving.get(row.id)!.sort(byArrival);
    const step = interval(row.id);
    const start = Number(row.next_send_at) - list.length * step;
    list.forEach((message, j) => {
      const slot = start + j * step;
      // Remembered only when the job has to wait for it (a slot of "now" is taken at once).
      if (slot > now) later.push([message.id, slot]);
      result.set(message.id, slot > now ? { snoozeUntil: slot } : null);
    });
  }
  if (later.length > 0) {
    await ctx.db.kysely
      .updateTable('messages')
      .set({ send_slot_at: caseById(later) })
      .where('id', 'in', later.map(([id]) => id))
      .execute();
  }
  return result;
}

/**
 * Step 2 for a batch (the messages are `sending`): the first due message of each number takes its
 * sender, all numbers in one UPDATE; any other (a second due message of a number, a sender whose
 * last send was too recent, a full cap) goes through `takeSender`, which puts it back in line.
 */
export async function takeSenders(ctx: AppContext, messages: readonly Message[], senders: ReadonlyMap<string, Sender>): Promise<Map<string, { takenAt: number } | { snoozeUntil: number }>> {
  const now = ctx.clock.now();
  const result = new Map<string, { takenAt: number } | { snoozeUntil: number }>();
  const first = new Map<string, Message>();
  const rest: Message[] = [];
  for (const message of [...messages].sort((a, b) => (a.send_slot_at ?? now) - (b.send_slot_at ?? now) || byArrival(a, b))) {
    if (!senders.has(message.number_id)) result.set(message.id, { takenAt: now });
    else if (first.has(message.number_id)) rest.push(message);
    else first.set(message.number_id, message);
  }
  if (first.size > 0) {
    const ids = [...first.keys()];
    const day = caseById(ids.map((id) => [id, localDay(now, senders.get(id)!.time_zone)] as const));
    const latest = caseById(ids.map((id) => [id, now - sendInterval(senders.get(id)!.sender_type, senders.get(id)!.rate_per_second)] as const));
    const taken = await sql<{ id: string }>`
      UPDATE phone_numbers
         SET last_send_at = ${now},
             daily_count = CASE WHEN daily_count_day = ${day} THEN daily_count + 1 ELSE 1 END,
             daily_count_day = ${day}
       WHERE id IN (${sql.join(ids)})
         AND (last_send_at IS NULL OR last_send_at <= ${latest})
         AND (daily_cap IS NULL OR daily_count_day IS NULL OR daily_count_day <> ${day} OR daily_count < daily_cap)
      RETURNING id`.execute(ctx.db.kysely);
    const won = new Set(taken.rows.map((r) => r.id));
    for (const [numberId, message] of first) {
      if (won.has(numberId)) result.set(message.id, { takenAt: now });
      else rest.push(message);
    }
  }
  for (const message of rest) result.set(message.id, await takeSender(ctx, message));
  return result;
}

/** Records the instant the message took its sender (observability; the rate tests read it). */
export async function recordSenderTaken(ctx: AppContext, messageId: string, takenAt: number): Promise<void> {
  await ctx.db.kysely.updateTable('messages').set({ send_slot_at: takenAt }).where('id', '=', messageId).execute();
}
