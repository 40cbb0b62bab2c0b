/**
 * SMS queues: their keywords and messages, assignment strategy, business numbers, and agents' SMS
 * settings (enabled, maximum sessions). Supervisors and above manage them. Keywords that collide
 * with compliance keywords (STOP, HELP, START, ...) are refused at save time.
 */
import { QUEUE_STRATEGIES, validateQueueKeywords, type QueueStrategy } from '@textback/core';
import { transaction, type AppContext, type Tx } from '../../app-context.js';
import type { Queue, QueueAgent } from '../../db/schema.js';
import { AppError, notFound, type FieldError } from '../../support/errors.js';
import { newId } from '../../support/ids.js';
import { parsePhoneField } from '../contacts.js';
import { storedTextErrors } from '../message-text.js';
import { enqueueQueueDispatch } from './common.js';
import { getNumberByE164 } from '../numbers.js';
import { getOrganization, getUser, orgSettings, requireRole, type Principal } from '../organizations.js';

export interface QueueInput {
  name: string;
  initiation_keyword: string;
  initiation_message?: string;
  initiation_needed_message?: string;
  termination_keyword: string;
  termination_message?: string;
  no_agents_message?: string;
  strategy?: QueueStrategy;
  invite_timeout_seconds?: number;
  invite_by_sms?: boolean;
  /** Business numbers (E.164) whose texts the queue answers. */
  numbers: string[];
}

export interface QueueView {
  queue: Queue;
  numbers: string[];
}

const defaultsFor = (initiation: string) => ({
  initiation_message: "Thanks! You're in the queue; an agent will be with you shortly.",
  initiation_needed_message: `To chat with an agent, text ${initiation.trim().toUpperCase()}.`,
  termination_message: 'Your chat has ended. Thank you!',
  no_agents_message: 'Sorry, no agent is available right now. Please try again later.',
});

export async function getQueue(ctx: AppContext, orgId: string, id: string, db: Tx = ctx.db.kysely): Promise<Queue> {
  const q = await db.selectFrom('queues').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
  if (!q) throw notFound('queue', id);
  return q;
}

export async function queueView(ctx: AppContext, queue: Queue, db: Tx = ctx.db.kysely): Promise<QueueView> {
  const numbers = await db
    .selectFrom('queue_numbers')
    .innerJoin('phone_numbers', 'phone_numbers.id', 'queue_numbers.number_id')
    .select('phone_numbers.e164')
    .where('queue_numbers.queue_id', '=', queue.id)
    .orderBy('phone_numbers.e164')
    .execute();
  return { queue, numbers: numbers.map((n) => n.e164) };
}

export async function listQueues(ctx: AppContext, orgId: string): Promise<QueueView[]> {
  const rows = await ctx.db.kysely.selectFrom('queues').selectAll().where('org_id', '=', orgId).orderBy('created_at').execute();
  return Promise.all(rows.map((q) => queueView(ctx, q)));
}

function validateQueue(input: Required<Omit<QueueInput, 'invite_by_sms'>> & { invite_by_sms: boolean }, maxBody: number): void {
  const errors: FieldError[] = validateQueueKeywords(input.initiation_keyword, input.termination_keyword).map((e) => ({ field: e.field, message: e.message }));
  // Texts sent later, checked as a body is; the name is in the agents' invites.
  errors.push(
    ...storedTextErrors(
      { initiation_message: input.initiation_message, initiation_needed_message: input.initiation_needed_message, termination_message: input.termination_message, no_agents_message: input.no_agents_message },
      maxBody,
    ),
    ...storedTextErrors({ name: input.name }),
  );
  if (!(QUEUE_STRATEGIES as readonly string[]).includes(input.strategy)) errors.push({ field: 'strategy', message: `must be one of ${QUEUE_STRATEGIES.join(', ')}` });
  if (!Number.isInteger(input.invite_timeout_seconds) || input.invite_timeout_seconds < 5 || input.invite_timeout_seconds > 3600) {
    errors.push({ field: 'invite_timeout_seconds', message: 'must be a whole number of seconds from 5 to 3600' });
  }
  if (input.numbers.length === 0) errors.push({ field: 'numbers', message: 'a queue needs at least one business number' });
  if (errors.length > 0) throw new AppError('validation_failed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
}

async function saveNumbers(ctx: AppContext, tx: Tx, orgId: string, queueId: string, numbers: string[]): Promise<void> {
  const org = await tx.selectFrom('organizations').selectAll().where('id', '=', orgId).executeTakeFirstOrThrow();
  const ids: string[] = [];
  for (const [i, raw] of numbers.entries()) {
    const number = await getNumberByE164(ctx, orgId, parsePhoneField(`numbers[${i}]`, raw, orgSettings(org).default_country), `numbers[${i}]`, tx);
    const other = await tx.selectFrom('queue_numbers').select('queue_id').where('number_id', '=', number.id).executeTakeFirst();
    if (other && other.queue_id !== queueId) throw new AppError('conflict', `numbers[${i}]: ${number.e164} already belongs to queue ${other.queue_id}`);
    const forwarding = await tx.selectFrom('number_forwarding').select('mode').where('number_id', '=', number.id).executeTakeFirst();
    if (forwarding) throw new AppError('conflict', `numbers[${i}]: ${number.e164} forwards its texts to its team; turn forwarding off first (PATCH /v1/numbers/${number.id}/routing)`);
    ids.push(number.id);
  }
  await tx.deleteFrom('queue_numbers').where('queue_id', '=', queueId).execute();
  for (const id of new Set(ids)) await tx.insertInto('queue_numbers').values({ number_id: id, org_id: orgId, queue_id: queueId }).execute();
}

function normalized(input: QueueInput) {
  const d = defaultsFor(input.initiation_keyword);
  return {
    name: input.name,
    initiation_keyword: input.initiation_keyword.trim(),
    initiation_message: input.initiation_message ?? d.initiation_message,
    initiation_needed_message: input.initiation_needed_message ?? d.initiation_needed_message,
    termination_keyword: input.termination_keyword.trim(),
    termination_message: input.termination_message ?? d.termination_message,
    no_agents_message: input.no_agents_message ?? d.no_agents_message,
    strategy: input.strategy ?? 'round_robin',
    invite_timeout_seconds: input.invite_timeout_seconds ?? 60,
    invite_by_sms: input.invite_by_sms ?? false,
    numbers: input.numbers,
  };
}

export async function createQueue(ctx: AppContext, principal: Principal, input: QueueInput): Promise<QueueView> {
  requireRole(principal, 'supervisor');
  const org = await getOrganization(ctx, principal.orgId);
  const q = normalized(input);
  validateQueue(q, orgSettings(org).max_body_length);
  const id = newId('que');
  await transaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    await tx
      .insertInto('queues')
      .values({
        id,
        org_id: principal.orgId,
        ...queueColumns(q),
        created_at: now,
        updated_at: now,
      })
      .execute();
    await saveNumbers(ctx, tx, principal.orgId, id, q.numbers);
  });
  return queueView(ctx, await getQueue(ctx, principal.orgId, id));
}

/** A queue's settings as stored (the columns of its row). */
function queueColumns(q: ReturnType<typeof normalized>) {
  return {
    name: q.name,
    initiation_keyword: q.initiation_keyword,
    initiation_message: q.initiation_message,
    initiation_needed_message: q.initiation_needed_message,
    termination_keyword: q.termination_keyword,
    termination_message: q.termination_message,
    no_agents_message: q.no_agents_message,
    strategy: q.strategy,
    invite_timeout_s: q.invite_timeout_seconds,
    invite_by_sms: q.invite_by_sms ? 1 : 0,
  };
}

/** A stored queue back as its settings (what the API shows and PATCH merges into). */
export function queueInput(c: QueueView['queue'], numbers: QueueView['numbers']): QueueInput {
  return {
    name: c.name,
    initiation_keyword: c.initiation_keyword,
    initiation_message: c.initiation_message,
    initiation_needed_message: c.initiation_needed_message,
    termination_keyword: c.termination_keyword,
    termination_message: c.termination_message,
    no_agents_message: c.no_agents_message,
    strategy: c.strategy,
    invite_timeout_seconds: c.invite_timeout_s,
    invite_by_sms: c.invite_by_sms === 1,
    numbers,
  };
}

export async function updateQueue(ctx: AppContext, principal: Principal, id: string, patch: Partial<QueueInput>): Promise<QueueView> {
  requireRole(principal, 'supervisor');
  const current = await queueView(ctx, await getQueue(ctx, principal.orgId, id));
  const c = current.queue;
  const org = await getOrganization(ctx, principal.orgId);
  const q = normalized({
    ...queueInput(c, current.numbers),
    ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
  });
  validateQueue(q, orgSettings(org).max_body_length);
  await transaction(ctx, async (tx) => {
    await tx
      .updateTable('queues')
      .set({
        ...queueColumns(q),
        updated_at: ctx.clock.now(),
      })
      .where('id', '=', id)
      .execute();
    if (patch.numbers) await saveNumbers(ctx, tx, principal.orgId, id, q.numbers);
  });
  return queueView(ctx, await getQueue(ctx, principal.orgId, id));
}

/** Deletes a queue with its sessions' history. Refused while a session is waiting or active. */
export async function deleteQueue(ctx: AppContext, principal: Principal, id: string): Promise<void> {
  requireRole(principal, 'supervisor');
  await getQueue(ctx, principal.orgId, id);
  await transaction(ctx, async (tx) => {
    const open = await tx.selectFrom('queue_sessions').select('id').where('queue_id', '=', id).where('state', '<>', 'ended').limit(1).executeTakeFirst();
    if (open) throw new AppError('invalid_state', `queue ${id} has open sessions (e.g. ${open.id}); end them first`);
    const sessions = tx.selectFrom('queue_sessions').select('id').where('queue_id', '=', id);
    await tx.deleteFrom('queue_invites').where('session_id', 'in', sessions).execute();
    await tx.deleteFrom('queue_sessions').where('queue_id', '=', id).execute();
    await tx.deleteFrom('queue_agents').where('queue_id', '=', id).execute();
    await tx.deleteFrom('queue_numbers').where('queue_id', '=', id).execute();
    await tx.deleteFrom('queues').where('id', '=', id).execute();
  });
}

export async function listQueueAgents(ctx: AppContext, orgId: string, queueId: string): Promise<QueueAgent[]> {
  await getQueue(ctx, orgId, queueId);
  return ctx.db.kysely.selectFrom('queue_agents').selectAll().where('queue_id', '=', queueId).orderBy('created_at').orderBy('user_id').execute();
}

/** An agent's SMS settings in a queue: enabled, and the most sessions they hold at once (at least 1 to take any). */
export async function setQueueAgent(
  ctx: AppContext,
  principal: Principal,
  queueId: string,
  userId: string,
  input: { sms_enabled: boolean; max_sessions: number },
): Promise<QueueAgent> {
  requireRole(principal, 'supervisor');
  await getQueue(ctx, principal.orgId, queueId);
  await getUser(ctx, principal.orgId, userId);
  if (!Number.isInteger(input.max_sessions) || input.max_sessions < 0 || input.max_sessions > 100) {
    throw new AppError('validation_failed', 'max_sessions must be a whole number from 0 to 100 (at least 1 to take sessions)', [{ field: 'max_sessions', message: 'from 0 to 100' }]);
  }
  const now = ctx.clock.now();
  const values = { sms_enabled: input.sms_enabled ? 1 : 0, max_sessions: input.max_sessions, updated_at: now };
  await transaction(ctx, async (tx) => {
    await tx
      .insertInto('queue_agents')
      .values({ queue_id: queueId, user_id: userId, org_id: principal.orgId, ...values, last_offered_at: null, last_accepted_at: null, last_ended_at: null, created_at: now })
      .onConflict((oc) => oc.columns(['queue_id', 'user_id']).doUpdateSet(values))
      .execute();
    // A higher maximum (or SMS turned on) may let the line move.
    await enqueueQueueDispatch(ctx, tx, principal.orgId, queueId);
  });
  return ctx.db.kysely.selectFrom('queue_agents').selectAll().where('queue_id', '=', queueId).where('user_id', '=', userId).executeTakeFirstOrThrow();
}

export async function removeQueueAgent(ctx: AppContext, principal: Principal, queueId: string, userId: string): Promise<void> {
  requireRole(principal, 'supervisor');
  await getQueue(ctx, principal.orgId, queueId);
  const row = await ctx.db.kysely.selectFrom('queue_agents').select('active_sessions').where('queue_id', '=', queueId).where('user_id', '=', userId).executeTakeFirst();
  if (!row) throw notFound('queue agent', userId);
  if (row.active_sessions > 0) throw new AppError('invalid_state', `agent ${userId} holds ${row.active_sessions} session(s) of this queue; end them first`);
  await ctx.db.kysely.deleteFrom('queue_agents').where('queue_id', '=', queueId).where('user_id', '=', userId).where('active_sessions', '=', 0).execute();
}
