import { pendingEventOrgs, type AppContext, type Tx } from '../app-context.js';
import type { Event } from '../db/schema.js';

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
  await tx
    .insertInto('events')
    .values(
      events.map((event) => ({
        org_id: event.orgId,
        type: event.type,
        subject_type: event.subjectType,
        subject_id: event.subjectId,
        data: JSON.stringify(event.data ?? {}),
        created_at: now,
      })),
    )
    .execute();
  const orgs = pendingEventOrgs.get(tx);
  for (const event of events) orgs?.add(event.orgId);
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
