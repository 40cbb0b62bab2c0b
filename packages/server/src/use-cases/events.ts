import { pendingEventOrgs, type AppContext, type Tx } from '../app-context.js';
import type { Event } from '../db/schema.js';
import { insertRows } from '../db/insert-rows.js';
import { enqueueWebhookDeliveries, mayHaveWebhooks } from './webhook-endpoints.js';

export interface NewEvent {
  orgId: string;
  type: string;
  subjectType: string;
  subjectId: string;
  /** Ids and states only: never message bodies. */
  data?: Record<string, unknown>;
}

/** Appends to the organization's event log (append-only), in the caller's transaction. */
export async function appendEvent(tx: Tx, ctx: AppContext, event: NewEvent): Promise<void> {
  await appendEvents(tx, ctx, [event]);
}

/** Appends many events with one INSERT, in the caller's transaction. */
export async function appendEvents(tx: Tx, ctx: AppContext, events: readonly NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  const now = ctx.clock.now();
  const buffer = buffers.get(tx);
  if (buffer) {
    for (const event of events) buffer.push({ event, at: now });
    return;
  }
  await insertEvents(tx, ctx, events.map((event) => ({ event, at: now })));
}

async function insertEvents(tx: Tx, ctx: AppContext, events: ReadonlyArray<{ event: NewEvent; at: number }>): Promise<void> {
  if (events.length === 0) return;
  await insertRows(
    tx,
    'events',
    events.map(({ event, at }) => ({
      org_id: event.orgId,
      type: event.type,
      subject_type: event.subjectType,
      subject_id: event.subjectId,
      data: JSON.stringify(event.data ?? {}),
      created_at: at,
    })),
  );
  const orgs = pendingEventOrgs.get(tx);
  for (const { event } of events) orgs?.add(event.orgId);
  // Webhook subscriptions (docs/integrations.md): their deliveries commit with the events.
  if (mayHaveWebhooks(ctx, events)) await enqueueWebhookDeliveries(tx, ctx, events);
}

/** Events appended in a transaction while `collectEvents` runs, not yet written. */
const buffers = new WeakMap<object, Array<{ event: NewEvent; at: number }>>();

/**
 * Runs `fn`, and writes the events it appends to `tx` together, with one INSERT when it returns
 * (in the order they were appended, each with the time it was appended): a use case that appends
 * several events (a call, its consent, a text, a finished run) writes one statement instead of one
 * each. If `fn` throws, its events are dropped (their transaction or savepoint is rolled back). Inside
 * another `collectEvents` on the same transaction, the events go to the outer one when `fn` returns.
 * `fn` must finish its work on `tx` before returning (no unit of work runs beside it on `tx`).
 */
export async function collectEvents<T>(tx: Tx, ctx: AppContext, fn: () => Promise<T>): Promise<T> {
  const outer = buffers.get(tx);
  const buffer: Array<{ event: NewEvent; at: number }> = [];
  buffers.set(tx, buffer);
  let result: T;
  try {
    result = await fn();
  } finally {
    if (outer) buffers.set(tx, outer);
    else buffers.delete(tx);
  }
  if (outer) outer.push(...buffer);
  else await insertEvents(tx, ctx, buffer);
  return result;
}

export async function eventsSince(ctx: AppContext, orgId: string, afterSeq: number, limit = 500): Promise<Event[]> {
  return ctx.db.kysely
    .selectFrom('events')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
}

export async function latestEventSeq(ctx: AppContext, orgId: string): Promise<number> {
  const row = await ctx.db.kysely
    .selectFrom('events')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  return row?.seq == null ? 0 : Number(row.seq);
}
