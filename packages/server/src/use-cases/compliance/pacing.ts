/**
 * Per-sender rate limits and daily caps, exact across worker processes: the state lives on the
 * number's row and every change is one atomic UPDATE, so PostgreSQL's row lock (or SQLite's single
 * writer) orders the senders.
 *
 * 1. A place in line: the first time a message is about to go, it reserves its sender's next slot,
 *    `next_send_at = max(next_send_at, now) + 1000/rate`, and its job snoozes until that slot. A
 *    burst is paced one slot after another, never dropped, with one wake-up per message.
 * 2. The send itself: at its slot, the message takes the sender only if the last send was at least
 *    one interval ago (`last_send_at <= now - interval`) and the daily cap has room; a message whose
 *    predecessor ran late waits for `last_send_at + interval`. This second step is what makes the
 *    rate exact even when jobs wake late or several workers race.
 *
 * Default rates by sender type (issue 4; carriers' published throughput): long code 1 message/s,
 * toll-free 3/s, short code 100/s. Daily caps count per day in the organization's time zone.
 */
import { normalizePhone } from '@textback/core';
import { sql } from 'kysely';
import { DateTime } from 'luxon';
import type { AppContext } from '../../app-context.js';
import { transaction } from '../../app-context.js';
import type { Message, SenderType } from '../../db/schema.js';
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

/**
 * Returns null when the message may go out now (it has taken its sender's slot), or when to try
 * again. A daily cap that is full holds the message (status `held`, reason `rate_limited`, rule
 * `NUMBER-DAILY-CAP`) until the next day.
 */
export async function paceSend(ctx: AppContext, message: Message): Promise<{ snoozeUntil: number } | null> {
  const db = ctx.db.kysely;
  const number = await db
    .selectFrom('phone_numbers')
    .innerJoin('organizations', 'organizations.id', 'phone_numbers.org_id')
    .select(['phone_numbers.sender_type', 'phone_numbers.rate_per_second', 'phone_numbers.daily_cap', 'organizations.time_zone'])
    .where('phone_numbers.id', '=', message.number_id)
    .executeTakeFirst();
  if (!number) return null;
  const interval = sendInterval(number.sender_type, number.rate_per_second);
  const now = ctx.clock.now();

  // 1. A place in line.
  let slot = message.send_slot_at ?? null;
  if (slot === null) {
    const reserved = await sql<{ next_send_at: number }>`
      UPDATE phone_numbers
         SET next_send_at = CASE WHEN coalesce(next_send_at, 0) > ${now} THEN next_send_at ELSE ${now} END + ${interval}
       WHERE id = ${message.number_id}
      RETURNING next_send_at`.execute(db);
    slot = Number(reserved.rows[0]!.next_send_at) - interval;
    await db.updateTable('messages').set({ send_slot_at: slot }).where('id', '=', message.id).execute();
  }
  if (slot > now) return { snoozeUntil: slot };

  // 2. Take the sender: exactly one interval after its last send, within the daily cap.
  const day = DateTime.fromMillis(now, { zone: number.time_zone }).toISODate() ?? '';
  const taken = await sql`
    UPDATE phone_numbers
       SET last_send_at = ${now},
           daily_count = CASE WHEN daily_count_day = ${day} THEN daily_count + 1 ELSE 1 END,
           daily_count_day = ${day}
     WHERE id = ${message.number_id}
       AND (last_send_at IS NULL OR last_send_at <= ${now - interval})
       AND (daily_cap IS NULL OR daily_count_day IS NULL OR daily_count_day <> ${day} OR daily_count < daily_cap)`.execute(db);
  if (Number(taken.numAffectedRows ?? 0) === 1) {
    await db.updateTable('messages').set({ send_slot_at: now }).where('id', '=', message.id).execute();
    return null;
  }

  const state = await db
    .selectFrom('phone_numbers')
    .select(['last_send_at', 'daily_cap', 'daily_count', 'daily_count_day'])
    .where('id', '=', message.number_id)
    .executeTakeFirstOrThrow();
  if (state.daily_cap != null && state.daily_count_day === day && (state.daily_count ?? 0) >= state.daily_cap) {
    const tomorrow = DateTime.fromMillis(now, { zone: number.time_zone }).startOf('day').plus({ days: 1 }).toMillis();
    const verdict = await transaction(ctx, (tx) =>
      applyDecision(
        ctx,
        tx,
        message,
        {
          action: 'hold',
          until: tomorrow,
          reason: 'rate_limited',
          rule: 'NUMBER-DAILY-CAP',
          detail: `this number's daily cap of ${state.daily_cap} texts is reached; held until ${new Date(tomorrow).toISOString()}`,
        },
        'send',
      ),
    );
    // Already sending (a retry after a crash): the cap still holds it back.
    return { snoozeUntil: verdict.proceed ? tomorrow : (verdict.snoozeUntil ?? tomorrow) };
  }
  const last = state.last_send_at == null ? now : Number(state.last_send_at);
  return { snoozeUntil: Math.max(now + 1, last + interval) };
}
