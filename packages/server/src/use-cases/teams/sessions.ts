/**
 * SMS queue sessions, from the originator's keyword to the end.
 *
 * - Only the exact initiation keyword starts a session (and gets the initiation message); anything
 *   else from someone not in a session gets the initiation-needed message (an automated sender
 *   gets no answer: core's `looksLikeAutomatedSender`); with no agent online at all (SMS enabled,
 *   online, a maximum of at least 1) the originator gets the no-agents message instead.
 * - When every online agent is at their maximum (their held sessions and pending invites), the
 *   session waits in line and the originator is told their position; `dispatchQueue` offers the
 *   line, oldest first, whenever a slot may have freed (a `teams.queue_dispatch` job).
 * - Invites go to agents by the queue's strategy (event stream, and a text to their phone when the
 *   queue says so); an invite that times out moves on to the next agent; the first to accept owns
 *   the session (through the API, or by replying 1 or ACCEPT to the invite text). When no online
 *   agent is left to invite, the session times out with the no-agents message.
 * - During the session, texts are relayed both ways through the queue's number. The agent ends it
 *   (`POST /v1/queue-sessions/:id/end`), or the originator texts the termination keyword.
 *
 * Capacity: an agent's `active_sessions` in a queue only grows by
 * `UPDATE … SET active_sessions = active_sessions + 1 WHERE … AND active_sessions < max_sessions`,
 * one atomic statement in the accept's transaction: two accepts at once (two API servers, two
 * workers) cannot both pass it. Row locks are always taken session → invites → queue agents, and
 * queue agents in user-id order, so concurrent transactions wait for each other instead of deadlocking.
 */
import {
  AUTOMATED_SENDER,
  isAcceptReply,
  looksLikeAutomatedSender,
  matchesQueueKeyword,
  pickAgentsToInvite,
  queueStatistics,
  resolveRelayTarget,
  type QueueAgentCandidate,
  type QueueStatistics,
} from '@textback/core';
import { transaction, type AppContext, type Tx } from '../../app-context.js';
import type { Agent, Contact, Message, PhoneNumber, Queue, QueueSession } from '../../db/schema.js';
import { cancelByKey, enqueue } from '../../jobs/job-queue.js';
import { AppError, notFound } from '../../support/errors.js';
import { newId } from '../../support/ids.js';
import { appendEvent } from '../events.js';
import { sendMessage } from '../messages.js';
import { requireRole, type Principal } from '../organizations.js';
import { decodeCursor, toPage, type Page, olderThan } from '../pagination.js';
import { agentsByUser } from './agents.js';
import { describeSend, enqueueQueueDispatch, lockKey, teamTrace, textAgent, textAutomated, unlockKey } from './common.js';

export const INVITE_TIMEOUT_JOB = 'teams.queue_invite_timeout';
const inviteJobKey = (sessionId: string) => `${INVITE_TIMEOUT_JOB}:${sessionId}`;

export type EndReason = 'agent' | 'originator' | 'opted_out' | 'terminated' | 'timed_out' | 'no_agents';

// ---------------------------------------------------------------------------------------------
// Availability and invites

/** Agents of the queue who can take a session now: SMS enabled, online, under their maximum (user-id order). */
async function availableAgents(ctx: AppContext, tx: Tx, queue: Queue): Promise<(QueueAgentCandidate & { mobile: string | null })[]> {
  const rows = await tx
    .selectFrom('queue_agents')
    .selectAll()
    .where('queue_id', '=', queue.id)
    .where('sms_enabled', '=', 1)
    .where('max_sessions', '>=', 1)
    .whereRef('active_sessions', '<', 'max_sessions')
    .orderBy('user_id')
    .execute();
  const agents = await agentsByUser(ctx, tx, queue.org_id, rows.map((r) => r.user_id));
  return rows
    .filter((r) => agents.get(r.user_id)?.effectiveStatus === 'online')
    .map((r) => ({
      userId: r.user_id,
      activeSessions: r.active_sessions,
      maxSessions: r.max_sessions,
      lastOfferedAt: r.last_offered_at,
      lastEndedAt: r.last_ended_at,
      lastAcceptedAt: r.last_accepted_at,
      mobile: agents.get(r.user_id)?.mobile ?? null,
    }));
}

/**
 * Slots free for one more offer: the free slots of the available agents (their maximum less the
 * sessions they hold) less the sessions being offered now (waiting with a pending invite). A
 * session is offered only while this is positive, so the agents are never offered more sessions at
 * once than they can take together; the others wait in line, in order of arrival.
 */
async function freeSlots(ctx: AppContext, tx: Tx, queue: Queue): Promise<number> {
  const free = (await availableAgents(ctx, tx, queue)).reduce((sum, a) => sum + Math.max(0, a.maxSessions - a.activeSessions), 0);
  if (free === 0) return 0;
  const offered = await tx
    .selectFrom('queue_sessions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('queue_id', '=', queue.id)
    .where('state', '=', 'waiting')
    .where((eb) => eb.exists(eb.selectFrom('queue_invites').select('queue_invites.id').whereRef('queue_invites.session_id', '=', 'queue_sessions.id').where('queue_invites.state', '=', 'pending')))
    .executeTakeFirst();
  return free - Number(offered?.n ?? 0);
}

/** Serializes the work on a queue's line (dispatchQueue, a keyword, an originator's end) until the transaction ends. */
const lockQueue = (ctx: AppContext, tx: Tx, queueId: string) => lockKey(ctx, tx, `queue-line:${queueId}`);
/** Removes the lock row (the lock itself holds until commit). */
const unlockQueue = (tx: Tx, queueId: string) => unlockKey(tx, `queue-line:${queueId}`);

/** Agents of the queue who are online to take sessions at all (SMS enabled, a maximum of at least 1), whatever they hold now. */
async function onlineAgentIds(ctx: AppContext, tx: Tx, queue: Queue): Promise<string[]> {
  const rows = await tx.selectFrom('queue_agents').select('user_id').where('queue_id', '=', queue.id).where('sms_enabled', '=', 1).where('max_sessions', '>=', 1).orderBy('user_id').execute();
  const agents = await agentsByUser(ctx, tx, queue.org_id, rows.map((r) => r.user_id));
  return rows.filter((r) => agents.get(r.user_id)?.effectiveStatus === 'online').map((r) => r.user_id);
}

/** True when an online agent who was never invited to this session remains: a slot of theirs may free. */
async function someoneLeftToInvite(ctx: AppContext, tx: Tx, queue: Queue, sessionId: string): Promise<boolean> {
  const invited = new Set((await tx.selectFrom('queue_invites').select('user_id').where('session_id', '=', sessionId).execute()).map((i) => i.user_id));
  return (await onlineAgentIds(ctx, tx, queue)).some((id) => !invited.has(id));
}

/** Waiting sessions of the queue with no pending invite: the line, in order of arrival. */
async function theLine(tx: Tx, queueId: string): Promise<QueueSession[]> {
  return tx
    .selectFrom('queue_sessions')
    .selectAll()
    .where('queue_id', '=', queueId)
    .where('state', '=', 'waiting')
    .where((eb) => eb.not(eb.exists(eb.selectFrom('queue_invites').select('queue_invites.id').whereRef('queue_invites.session_id', '=', 'queue_sessions.id').where('queue_invites.state', '=', 'pending'))))
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** Ends a waiting session no agent will take, with the no-agents message. */
async function timeOut(ctx: AppContext, tx: Tx, session: QueueSession, queue: Queue, dispatchAfter = true): Promise<void> {
  if (await endSessionTx(ctx, tx, session, 'timed_out', queue, dispatchAfter)) {
    const number = await tx.selectFrom('phone_numbers').select('e164').where('id', '=', session.number_id).executeTakeFirstOrThrow();
    await textAutomated(ctx, tx, { orgId: session.org_id, from: number, to: session.originator_e164, body: queue.no_agents_message, idempotencyKey: `queue-timed-out:${session.id}` });
  }
}

/**
 * Offers the line to agents with a free slot, oldest session first, until no agent has one. A
 * session whose every online agent already let its invite go is not left waiting forever: it
 * times out with the no-agents message, as does the whole line when no agent is online any more.
 * One at a time per queue (a lock on the queue), so two dispatches never offer one slot twice.
 */
export async function dispatchQueue(ctx: AppContext, tx: Tx, queue: Queue): Promise<void> {
  await lockQueue(ctx, tx, queue.id);
  const line = await theLine(tx, queue.id);
  const anyoneOnline = line.length > 0 && (await onlineAgentIds(ctx, tx, queue)).length > 0;
  for (const waiting of line) {
    if (anyoneOnline && (await freeSlots(ctx, tx, queue)) <= 0) break;
    // Lock the session first (the order every session transaction follows), then check it is still in line.
    const locked = await tx.updateTable('queue_sessions').set({ updated_at: ctx.clock.now() }).where('id', '=', waiting.id).where('state', '=', 'waiting').executeTakeFirst();
    if (Number(locked.numUpdatedRows) === 0) continue;
    const pending = await tx.selectFrom('queue_invites').select('id').where('session_id', '=', waiting.id).where('state', '=', 'pending').limit(1).executeTakeFirst();
    if (pending) continue;
    // Sessions ended here free no agent's slot: no further dispatch is needed for them.
    if (!anyoneOnline) {
      await timeOut(ctx, tx, waiting, queue, false);
      continue;
    }
    const number = await tx.selectFrom('phone_numbers').selectAll().where('id', '=', waiting.number_id).executeTakeFirstOrThrow();
    if ((await offerSession(ctx, tx, queue, waiting, number)) > 0) continue;
    if (!(await someoneLeftToInvite(ctx, tx, queue, waiting.id))) await timeOut(ctx, tx, waiting, queue, false);
  }
  await unlockQueue(tx, queue.id);
}

/** The job: something may have freed a slot of the queue. */
export async function runQueueDispatch(ctx: AppContext, payload: { queueId: string }): Promise<void> {
  await transaction(ctx, async (tx) => {
    const queue = await tx.selectFrom('queues').selectAll().where('id', '=', payload.queueId).executeTakeFirst();
    if (queue) await dispatchQueue(ctx, tx, queue);
  });
}

/** Invites the next agents by the queue's strategy; returns how many were invited (0: no one left). */
async function offerSession(ctx: AppContext, tx: Tx, queue: Queue, session: QueueSession, number: PhoneNumber): Promise<number> {
  const now = ctx.clock.now();
  const invited = await tx.selectFrom('queue_invites').select('user_id').where('session_id', '=', session.id).execute();
  const available = await availableAgents(ctx, tx, queue);
  const picked = pickAgentsToInvite(queue.strategy, available, new Set(invited.map((i) => i.user_id))).sort();
  if (picked.length === 0) return 0;
  const expiresAt = now + queue.invite_timeout_s * 1000;
  const names = await tx.selectFrom('users').select(['id', 'name']).where('id', 'in', picked).execute();
  for (const userId of picked) {
    const inviteId = newId('inv');
    await tx.insertInto('queue_invites').values({ id: inviteId, org_id: queue.org_id, session_id: session.id, user_id: userId, state: 'pending', created_at: now, expires_at: expiresAt, responded_at: null }).execute();
    await tx.updateTable('queue_agents').set({ last_offered_at: now }).where('queue_id', '=', queue.id).where('user_id', '=', userId).execute();
    await appendEvent(tx, ctx, {
      orgId: queue.org_id,
      type: 'queue.session_invite',
      subjectType: 'queue_session',
      subjectId: session.id,
      data: { invite_id: inviteId, queue_id: queue.id, user_id: userId, contact_id: session.contact_id, expires_at: new Date(expiresAt).toISOString() },
    });
    const mobile = available.find((a) => a.userId === userId)?.mobile;
    if (queue.invite_by_sms === 1 && mobile) {
      await textAgent(ctx, tx, {
        orgId: queue.org_id,
        from: number,
        to: mobile,
        body: `${queue.name}: ${session.originator_e164} is waiting for an agent. Reply 1 or ACCEPT within ${queue.invite_timeout_s} s to take session ${session.id} (or accept it in Textback).`,
        idempotencyKey: `queue-invite:${inviteId}`,
      });
    }
  }
  await enqueue(tx, ctx.clock, { kind: INVITE_TIMEOUT_JOB, orgId: queue.org_id, payload: { sessionId: session.id }, runAt: expiresAt, uniqueKey: inviteJobKey(session.id), replace: true });
  const who = picked.map((id) => names.find((n) => n.id === id)?.name ?? id).join(', ');
  await teamTrace(ctx, tx, { orgId: queue.org_id, contactId: session.contact_id, kind: 'queue', subjectId: session.id, message: `${queue.name}: invited ${who} (${queue.strategy.replace('_', ' ')}, ${queue.invite_timeout_s} s to accept)` });
  return picked.length;
}

/**
 * Ends a session (from the state it was read in); frees the agent's slot and lets the line move
 * on. When the originator ends it (the termination keyword, STOP), the agent who held it, or the
 * agents invited to it, are told the way the invite reached them: the `queue.session_ended` event,
 * and a text to their phone when the queue sends invites by text. False when it had moved on meanwhile.
 */
async function endSessionTx(ctx: AppContext, tx: Tx, session: QueueSession, reason: EndReason, queue: Queue, dispatchAfter = true): Promise<boolean> {
  const queueName = queue.name;
  const now = ctx.clock.now();
  const result = await tx
    .updateTable('queue_sessions')
    .set({ state: 'ended', end_reason: reason, ended_at: now, updated_at: now })
    .where('id', '=', session.id)
    .where('state', '=', session.state)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) return false;
  const withdrawn = await tx
    .updateTable('queue_invites')
    .set({ state: 'cancelled', responded_at: now })
    .where('session_id', '=', session.id)
    .where('state', '=', 'pending')
    .returning('user_id')
    .execute();
  if (session.state === 'active' && session.agent_user_id) {
    await tx
      .updateTable('queue_agents')
      .set((eb) => ({ active_sessions: eb('active_sessions', '-', 1), last_ended_at: now, updated_at: now }))
      .where('queue_id', '=', session.queue_id)
      .where('user_id', '=', session.agent_user_id)
      .where('active_sessions', '>', 0)
      .execute();
  }
  await cancelByKey(tx, ctx.clock, inviteJobKey(session.id));
  if ((reason === 'originator' || reason === 'opted_out' || reason === 'terminated') && queue.invite_by_sms === 1) {
    const told = session.state === 'active' && session.agent_user_id ? [session.agent_user_id] : withdrawn.map((w) => w.user_id);
    const phones = told.length ? await tx.selectFrom('agents').select(['user_id', 'mobile_e164']).where('user_id', 'in', told).where('mobile_e164', 'is not', null).execute() : [];
    if (phones.length > 0) {
      const number = await tx.selectFrom('phone_numbers').select('e164').where('id', '=', session.number_id).executeTakeFirstOrThrow();
      const who = session.originator_e164;
      const body =
        session.state === 'active'
          ? reason === 'opted_out'
            ? `${queueName}: ${who} opted out (STOP); session ${session.id} has ended.`
            : `${queueName}: ${who} ended session ${session.id}.`
          : `${queueName}: ${who} left the queue; the invite to session ${session.id} is withdrawn.`;
      for (const p of phones) await textAgent(ctx, tx, { orgId: session.org_id, from: number, to: p.mobile_e164!, body, idempotencyKey: `queue-ended:${session.id}:${p.user_id}` });
    }
  }
  await appendEvent(tx, ctx, {
    orgId: session.org_id,
    type: 'queue.session_ended',
    subjectType: 'queue_session',
    subjectId: session.id,
    data: { queue_id: session.queue_id, reason, agent_id: session.agent_user_id, contact_id: session.contact_id },
  });
  const why: Record<EndReason, string> = {
    agent: 'ended by the agent',
    originator: 'ended by the originator (termination keyword)',
    opted_out: 'ended: the originator opted out',
    terminated: 'abandoned: the originator sent the termination keyword before an agent accepted',
    timed_out: 'abandoned: no agent accepted before the invites ran out',
    no_agents: 'no agent available',
  };
  await teamTrace(ctx, tx, { orgId: session.org_id, contactId: session.contact_id, kind: 'queue', subjectId: session.id, message: `${queueName}: session ${why[reason]}` });
  // Last: the dispatch job's key is the one lock taken after the agents' rows (see lockQueue).
  if (dispatchAfter) await enqueueQueueDispatch(ctx, tx, session.org_id, session.queue_id);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Texts from originators and agents (run by the team inbound job, in its transaction)

export async function handleOriginatorText(
  ctx: AppContext,
  tx: Tx,
  input: { message: Message; number: PhoneNumber; contact: Contact; queue: Queue; keyword: string | null; likelyOptOut: boolean },
): Promise<void> {
  const { message, number, contact, queue } = input;
  const orgId = queue.org_id;
  const now = ctx.clock.now();
  const open = await tx.selectFrom('queue_sessions').selectAll().where('number_id', '=', number.id).where('contact_id', '=', contact.id).where('state', '<>', 'ended').executeTakeFirst();

  // Compliance answered the keyword already; an opt-out ends the session, without another text.
  if (input.keyword) {
    if (input.keyword === 'opt_out' && open) {
      await lockQueue(ctx, tx, queue.id);
      await endSessionTx(ctx, tx, open, 'opted_out', queue);
      await unlockQueue(tx, queue.id);
    }
    return;
  }

  if (open) {
    if (matchesQueueKeyword(message.body, queue.termination_keyword)) {
      await lockQueue(ctx, tx, queue.id);
      if (await endSessionTx(ctx, tx, open, open.state === 'active' ? 'originator' : 'terminated', queue)) {
        await textAutomated(ctx, tx, { orgId, from: number, to: contact.e164, body: queue.termination_message, idempotencyKey: `queue-terminated:${message.id}` });
      }
      await unlockQueue(tx, queue.id);
      return;
    }
    if (open.state === 'active' && open.agent_user_id) {
      // Relayed to the agent's phone (when they have one); the inbox and event stream have it too.
      const agent = await tx.selectFrom('agents').select('mobile_e164').where('user_id', '=', open.agent_user_id).executeTakeFirst();
      if (agent?.mobile_e164) {
        await textAgent(ctx, tx, { orgId, from: number, to: agent.mobile_e164, body: `${contact.e164}: ${message.body}`, idempotencyKey: `queue-relay:${message.id}` });
      }
      await appendEvent(tx, ctx, {
        orgId,
        type: 'queue.message',
        subjectType: 'queue_session',
        subjectId: open.id,
        data: { message_id: message.id, direction: 'from_originator', agent_id: open.agent_user_id },
      });
    }
    return; // while waiting, the text stays in the conversation for the agent who accepts
  }

  if (input.likelyOptOut) {
    await teamTrace(ctx, tx, { orgId, contactId: contact.id, kind: 'queue', subjectId: message.id, message: `${queue.name}: no answer: the text reads like an opt-out request (for an agent to confirm)` });
    return;
  }

  if (matchesQueueKeyword(message.body, queue.initiation_keyword)) {
    const session: QueueSession = {
      id: newId('qs'),
      org_id: orgId,
      queue_id: queue.id,
      number_id: number.id,
      contact_id: contact.id,
      originator_e164: contact.e164,
      state: 'waiting',
      agent_user_id: null,
      end_reason: null,
      created_at: now,
      accepted_at: null,
      ended_at: null,
      updated_at: now,
    };
    if ((await onlineAgentIds(ctx, tx, queue)).length === 0) {
      await tx.insertInto('queue_sessions').values({ ...session, state: 'ended', end_reason: 'no_agents', ended_at: now }).execute();
      const sent = await textAutomated(ctx, tx, { orgId, from: number, to: contact.e164, body: queue.no_agents_message, idempotencyKey: `queue-no-agents:${message.id}` });
      await teamTrace(ctx, tx, { orgId, contactId: contact.id, kind: 'queue', subjectId: session.id, message: `${queue.name}: keyword received, no agent online (SMS enabled, online, a maximum of at least 1): no-agents message ${describeSend(sent)}` });
      await appendEvent(tx, ctx, { orgId, type: 'queue.session_ended', subjectType: 'queue_session', subjectId: session.id, data: { queue_id: queue.id, reason: 'no_agents', contact_id: contact.id } });
      return;
    }
    await lockQueue(ctx, tx, queue.id);
    // The id is taken under the queue's lock: ids are sortable, so the line's order (created_at,
    // then id) is the order sessions joined it, even within one millisecond.
    session.id = newId('qs');
    await tx.insertInto('queue_sessions').values(session).execute();
    await appendEvent(tx, ctx, { orgId, type: 'queue.session_created', subjectType: 'queue_session', subjectId: session.id, data: { queue_id: queue.id, contact_id: contact.id, number_id: number.id } });
    await teamTrace(ctx, tx, { orgId, contactId: contact.id, kind: 'queue', subjectId: session.id, message: `${queue.name}: session started by the keyword` });
    // The line, this session last: offered at once when an agent has a free slot and no one is ahead.
    await dispatchQueue(ctx, tx, queue);
    const line = await theLine(tx, queue.id);
    const position = line.findIndex((s) => s.id === session.id) + 1;
    const body = position > 0 ? `${queue.initiation_message} You are number ${position} in line.` : queue.initiation_message;
    const sent = await textAutomated(ctx, tx, { orgId, from: number, to: contact.e164, body, idempotencyKey: `queue-initiated:${message.id}` });
    if (position > 0) {
      await appendEvent(tx, ctx, { orgId, type: 'queue.session_queued', subjectType: 'queue_session', subjectId: session.id, data: { queue_id: queue.id, contact_id: contact.id, position } });
    }
    const inLine = position > 0 ? `; every online agent is at their maximum: number ${position} in line` : '';
    await teamTrace(ctx, tx, { orgId, contactId: contact.id, kind: 'queue', subjectId: session.id, message: `${queue.name}: initiation message ${describeSend(sent)}${inLine}` });
    return;
  }

  // Not in a session and not the keyword: a person gets the initiation-needed message every time;
  // an automated sender (an auto-responder answering our answers) gets nothing, so no loop starts.
  const since = now - AUTOMATED_SENDER.windowMs;
  const texts = await tx
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('contact_id', '=', contact.id)
    .where('number_id', '=', number.id)
    .where('direction', '=', 'inbound')
    .where('created_at', '>', since)
    .executeTakeFirst();
  const lastReply = await tx
    .selectFrom('messages')
    .select((eb) => eb.fn.max('created_at').as('at'))
    .where('contact_id', '=', contact.id)
    .where('number_id', '=', number.id)
    .where('direction', '=', 'outbound')
    .where('automated', '=', 1)
    .where('created_at', '>', since)
    .executeTakeFirst();
  const textsInWindow = Math.max(1, Number(texts?.n ?? 0));
  const lastAutomatedReplyAt = lastReply?.at == null ? null : Number(lastReply.at);
  if (looksLikeAutomatedSender({ textsInWindow, lastAutomatedReplyAt, now })) {
    await teamTrace(ctx, tx, {
      orgId,
      contactId: contact.id,
      kind: 'queue',
      subjectId: message.id,
      message: `${queue.name}: no initiation-needed message: ${textsInWindow} texts from this sender within ${AUTOMATED_SENDER.windowMs / 1000} s, while we answered them automatically, look like an automated sender (loop prevention)`,
    });
    return;
  }
  const sent = await textAutomated(ctx, tx, { orgId, from: number, to: contact.e164, body: queue.initiation_needed_message, idempotencyKey: `queue-needed:${message.id}` });
  await teamTrace(ctx, tx, { orgId, contactId: contact.id, kind: 'queue', subjectId: message.id, message: `${queue.name}: not the initiation keyword and no session: initiation-needed message ${describeSend(sent)}` });
}

/** A text from an agent's phone to a queue number: relayed to the originator of one of their open sessions. */
export async function handleAgentQueueText(ctx: AppContext, tx: Tx, input: { message: Message; number: PhoneNumber; agent: Agent; agentContact: Contact; queue: Queue }): Promise<void> {
  const { message, number, agent, agentContact, queue } = input;
  // `1` or `ACCEPT` answers the invite text: the agent's oldest open invite on this number. Without
  // an open invite it is an ordinary text, relayed like any other.
  if (isAcceptReply(message.body)) {
    const invite = await tx
      .selectFrom('queue_invites')
      .innerJoin('queue_sessions', 'queue_sessions.id', 'queue_invites.session_id')
      .select(['queue_sessions.id as session_id', 'queue_sessions.originator_e164'])
      .where('queue_invites.user_id', '=', agent.user_id)
      .where('queue_invites.state', '=', 'pending')
      .where('queue_invites.expires_at', '>', ctx.clock.now())
      .where('queue_sessions.number_id', '=', number.id)
      .where('queue_sessions.state', '=', 'waiting')
      .orderBy('queue_invites.created_at')
      .orderBy('queue_invites.id')
      .executeTakeFirst();
    if (invite) {
      const notice = (body: string) => textAgent(ctx, tx, { orgId: queue.org_id, from: number, to: agentContact.e164, body, idempotencyKey: `queue-agent-notice:${message.id}` });
      try {
        await acceptSessionTx(ctx, tx, queue.org_id, agent.user_id, invite.session_id);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        await notice(`Not accepted: ${error.detail}.`);
        return;
      }
      await notice(`${queue.name}: you have ${invite.originator_e164} (session ${invite.session_id}). Your texts to this number go to them.`);
      return;
    }
  }
  const sessions = await tx
    .selectFrom('queue_sessions')
    .selectAll()
    .where('number_id', '=', number.id)
    .where('agent_user_id', '=', agent.user_id)
    .where('state', '=', 'active')
    .orderBy('accepted_at', 'desc')
    .execute();
  const target = resolveRelayTarget(message.body, sessions.map((s) => s.originator_e164));
  const notice = (body: string) => textAgent(ctx, tx, { orgId: queue.org_id, from: number, to: agentContact.e164, body, idempotencyKey: `queue-agent-notice:${message.id}` });
  switch (target.kind) {
    case 'none':
      await notice(`Not sent: you have no open ${queue.name} session on this number.`);
      return;
    case 'unknown':
      await notice(`Not sent: none of your open sessions is with a number ending in ${target.digits}.`);
      return;
    case 'ambiguous':
      await notice(`Not sent: @${target.digits} matches ${target.matches.join(', ')}. Start with @ and the full number.`);
      return;
    case 'empty':
      await notice(`Not sent: write your text after @${target.e164.replace(/\D/g, '')}.`);
      return;
    case 'target': {
      const session = sessions.find((s) => s.originator_e164 === target.e164) as QueueSession;
      try {
        await relayToOriginator(ctx, tx, session, number, agent.user_id, target.text, `queue-agent-relay:${message.id}`);
      } catch (error) {
        // Refused before anything was written (too long, empty, ...): tell the agent why.
        if (error instanceof AppError) await notice(`Not sent: ${error.detail}`);
        else throw error;
      }
    }
  }
}

async function relayToOriginator(ctx: AppContext, tx: Tx, session: QueueSession, number: PhoneNumber, userId: string, body: string, idempotencyKey: string): Promise<Message> {
  const sent = await sendMessage(
    ctx,
    { orgId: session.org_id, from: number.e164, to: session.originator_e164, body, idempotencyKey, createdBy: { type: 'user', id: userId }, automated: false },
    tx,
  );
  await appendEvent(tx, ctx, {
    orgId: session.org_id,
    type: 'queue.message',
    subjectType: 'queue_session',
    subjectId: session.id,
    data: { message_id: sent.message.id, direction: 'to_originator', agent_id: userId },
  });
  return sent.message;
}

// ---------------------------------------------------------------------------------------------
// The invite timeout job

export async function runInviteTimeout(ctx: AppContext, payload: { sessionId: string }): Promise<void> {
  await transaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    // Lock the session first (the order every session transaction follows).
    const locked = await tx.updateTable('queue_sessions').set({ updated_at: now }).where('id', '=', payload.sessionId).where('state', '=', 'waiting').executeTakeFirst();
    if (Number(locked.numUpdatedRows) === 0) return;
    const session = await tx.selectFrom('queue_sessions').selectAll().where('id', '=', payload.sessionId).executeTakeFirstOrThrow();
    const queue = await tx.selectFrom('queues').selectAll().where('id', '=', session.queue_id).executeTakeFirstOrThrow();
    const expired = await tx
      .updateTable('queue_invites')
      .set({ state: 'expired', responded_at: now })
      .where('session_id', '=', session.id)
      .where('state', '=', 'pending')
      .where('expires_at', '<=', now)
      .returning('user_id')
      .execute();
    for (const e of expired) {
      await appendEvent(tx, ctx, { orgId: session.org_id, type: 'queue.invite_expired', subjectType: 'queue_session', subjectId: session.id, data: { user_id: e.user_id } });
    }
    const pending = await tx.selectFrom('queue_invites').select((eb) => eb.fn.min('expires_at').as('next')).where('session_id', '=', session.id).where('state', '=', 'pending').executeTakeFirst();
    if (pending?.next != null) {
      await enqueue(tx, ctx.clock, { kind: INVITE_TIMEOUT_JOB, orgId: session.org_id, payload, runAt: Number(pending.next), uniqueKey: inviteJobKey(session.id), replace: true });
      return;
    }
    const number = await tx.selectFrom('phone_numbers').selectAll().where('id', '=', session.number_id).executeTakeFirstOrThrow();
    // Offered on only while the agents have a slot not promised to another session; else it waits in line.
    const offered = (await freeSlots(ctx, tx, queue)) > 0 ? await offerSession(ctx, tx, queue, session, number) : 0;
    // The slots the expired invites held may serve the line (last: see lockQueue).
    if (expired.length > 0) await enqueueQueueDispatch(ctx, tx, session.org_id, session.queue_id);
    if (offered > 0) return;
    // Every agent with a free slot was invited already; one who is busy may still free one: the
    // session waits in line (dispatchQueue). Nobody left at all: it times out.
    if (await someoneLeftToInvite(ctx, tx, queue, session.id)) {
      await teamTrace(ctx, tx, { orgId: session.org_id, contactId: session.contact_id, kind: 'queue', subjectId: session.id, message: `${queue.name}: no agent with a free slot left to invite; waiting in line` });
      return;
    }
    await timeOut(ctx, tx, session, queue);
  });
}

// ---------------------------------------------------------------------------------------------
// The agent's actions (API)

export async function getSession(ctx: AppContext, orgId: string, id: string, db: Tx = ctx.db.kysely): Promise<QueueSession> {
  const s = await db.selectFrom('queue_sessions').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
  if (!s) throw notFound('queue session', id);
  return s;
}

/** The invited agent takes the session: the first to accept owns it, within their maximum. */
export async function acceptSession(ctx: AppContext, principal: Principal, sessionId: string): Promise<QueueSession> {
  await getSession(ctx, principal.orgId, sessionId);
  await transaction(ctx, (tx) => acceptSessionTx(ctx, tx, principal.orgId, principal.userId, sessionId));
  return getSession(ctx, principal.orgId, sessionId);
}

/**
 * The accept, in the caller's transaction (the API's, or the inbound job's when the agent replies
 * to the invite text). Everything it refuses is refused before it writes anything but the
 * session's lock, so a caller that goes on after the AppError keeps nothing of it.
 */
async function acceptSessionTx(ctx: AppContext, tx: Tx, orgId: string, userId: string, sessionId: string): Promise<QueueSession> {
  const now = ctx.clock.now();
  const locked = await tx.updateTable('queue_sessions').set({ updated_at: now }).where('id', '=', sessionId).where('org_id', '=', orgId).where('state', '=', 'waiting').executeTakeFirst();
  const before = await getSession(ctx, orgId, sessionId, tx);
  if (Number(locked.numUpdatedRows) === 0) {
    throw new AppError('invalid_state', before.state === 'active' ? `session ${sessionId} was accepted by ${before.agent_user_id === userId ? 'you' : 'another agent'}` : `session ${sessionId} has ended (${before.end_reason ?? 'ended'})`);
  }
  const invite = await tx
    .selectFrom('queue_invites')
    .select('id')
    .where('session_id', '=', sessionId)
    .where('user_id', '=', userId)
    .where('state', '=', 'pending')
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (!invite) throw new AppError('forbidden', `you have no open invite for session ${sessionId} (it expired, or went to other agents)`);
  // The capacity guarantee: one atomic conditional increment (before anything else is written).
  const slot = await tx
    .updateTable('queue_agents')
    .set((eb) => ({ active_sessions: eb('active_sessions', '+', 1), last_accepted_at: now, updated_at: now }))
    .where('queue_id', '=', before.queue_id)
    .where('user_id', '=', userId)
    .where('sms_enabled', '=', 1)
    .whereRef('active_sessions', '<', 'max_sessions')
    .executeTakeFirst();
  if (Number(slot.numUpdatedRows) === 0) {
    throw new AppError('invalid_state', `you already hold your maximum of sessions in this queue; end one before accepting session ${sessionId}`);
  }
  await tx.updateTable('queue_invites').set({ state: 'accepted', responded_at: now }).where('id', '=', invite.id).execute();
  await tx.updateTable('queue_sessions').set({ state: 'active', agent_user_id: userId, accepted_at: now, updated_at: now }).where('id', '=', sessionId).execute();
  await tx.updateTable('queue_invites').set({ state: 'cancelled', responded_at: now }).where('session_id', '=', sessionId).where('state', '=', 'pending').execute();
  await cancelByKey(tx, ctx.clock, inviteJobKey(sessionId));
  const user = await tx.selectFrom('users').select('name').where('id', '=', userId).executeTakeFirstOrThrow();
  const queue = await tx.selectFrom('queues').select('name').where('id', '=', before.queue_id).executeTakeFirstOrThrow();
  await teamTrace(ctx, tx, { orgId, contactId: before.contact_id, kind: 'queue', subjectId: sessionId, message: `${queue.name}: ${user.name} accepted after ${Math.round((now - before.created_at) / 1000)} s` });
  await appendEvent(tx, ctx, { orgId, type: 'queue.session_accepted', subjectType: 'queue_session', subjectId: sessionId, data: { queue_id: before.queue_id, agent_id: userId, contact_id: before.contact_id } });
  // The session left the offered ones: a slot of the line may be free (last: see lockQueue).
  await enqueueQueueDispatch(ctx, tx, orgId, before.queue_id);
  return { ...before, state: 'active', agent_user_id: userId, accepted_at: now, updated_at: now };
}

/** The agent who owns the session (or a supervisor) ends it. */
export async function endSession(ctx: AppContext, principal: Principal, sessionId: string): Promise<QueueSession> {
  const session = await getSession(ctx, principal.orgId, sessionId);
  if (session.agent_user_id !== principal.userId) requireRole(principal, 'supervisor');
  if (session.state === 'ended') throw new AppError('invalid_state', `session ${sessionId} has already ended (${session.end_reason ?? 'ended'})`);
  const ended = await transaction(ctx, async (tx) => {
    const queue = await tx.selectFrom('queues').selectAll().where('id', '=', session.queue_id).executeTakeFirstOrThrow();
    return endSessionTx(ctx, tx, session, session.state === 'active' ? 'agent' : 'terminated', queue);
  });
  if (!ended) throw new AppError('invalid_state', `session ${sessionId} changed meanwhile; read it again`);
  return getSession(ctx, principal.orgId, sessionId);
}

/** The agent who owns an active session texts the originator through the queue's number. */
export async function sendSessionMessage(ctx: AppContext, principal: Principal, sessionId: string, body: string, idempotencyKey?: string): Promise<Message> {
  const session = await getSession(ctx, principal.orgId, sessionId);
  if (session.state !== 'active') throw new AppError('invalid_state', `session ${sessionId} is ${session.state}; only an active session relays texts`);
  if (session.agent_user_id !== principal.userId) throw new AppError('forbidden', `session ${sessionId} belongs to another agent`);
  return transaction(ctx, async (tx) => {
    const number = await tx.selectFrom('phone_numbers').selectAll().where('id', '=', session.number_id).executeTakeFirstOrThrow();
    return relayToOriginator(ctx, tx, session, number, principal.userId, body, idempotencyKey ? `queue-session:${sessionId}:${idempotencyKey}` : `queue-session:${newId('k')}`);
  });
}

export async function listSessions(
  ctx: AppContext,
  orgId: string,
  filter: { limit: number; cursor?: string; state?: QueueSession['state']; queueId?: string; agentId?: string },
): Promise<Page<QueueSession & { invites: { user_id: string; state: string; expires_at: number }[] }>> {
  const cursor = decodeCursor(filter.cursor);
  let q = ctx.db.kysely.selectFrom('queue_sessions').selectAll().where('org_id', '=', orgId);
  if (filter.state) q = q.where('state', '=', filter.state);
  if (filter.queueId) q = q.where('queue_id', '=', filter.queueId);
  if (filter.agentId) q = q.where('agent_user_id', '=', filter.agentId);
  if (cursor) q = q.where(olderThan(cursor));
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
  const ids = rows.map((r) => r.id);
  const invites = ids.length ? await ctx.db.kysely.selectFrom('queue_invites').select(['session_id', 'user_id', 'state', 'expires_at']).where('session_id', 'in', ids).orderBy('created_at').execute() : [];
  return toPage(rows, filter.limit, (r) => ({ ...r, invites: invites.filter((i) => i.session_id === r.id).map(({ session_id: _s, ...i }) => i) }));
}

export interface QueueStatisticsReport {
  queue_id: string;
  from: number;
  to: number;
  totals: QueueStatistics;
  agents: (Omit<QueueStatistics, 'abandoned' | 'no_agents'> & { user_id: string })[];
}

/** Statistics of the sessions that started in [from, to): the queue's totals and each agent's. */
export async function queueStatisticsReport(ctx: AppContext, orgId: string, queueId: string, range: { from: number; to: number }): Promise<QueueStatisticsReport> {
  const rows = await ctx.db.kysely
    .selectFrom('queue_sessions')
    .select(['agent_user_id', 'created_at', 'accepted_at', 'ended_at', 'end_reason'])
    .where('org_id', '=', orgId)
    .where('queue_id', '=', queueId)
    .where('created_at', '>=', range.from)
    .where('created_at', '<', range.to)
    .execute();
  const times = (r: (typeof rows)[number]) => ({ createdAt: r.created_at, acceptedAt: r.accepted_at, endedAt: r.ended_at, endReason: r.end_reason });
  const byAgent = new Map<string, typeof rows>();
  for (const r of rows) if (r.agent_user_id) byAgent.set(r.agent_user_id, [...(byAgent.get(r.agent_user_id) ?? []), r]);
  return {
    queue_id: queueId,
    from: range.from,
    to: range.to,
    totals: queueStatistics(rows.map(times)),
    agents: [...byAgent.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([userId, list]) => {
        const { abandoned: _a, no_agents: _n, ...s } = queueStatistics(list.map(times));
        return { user_id: userId, ...s };
      }),
  };
}
