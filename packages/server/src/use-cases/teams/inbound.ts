/**
 * Where inbound texts meet teams. `receiveInboundMessage` calls `routeInboundForTeams` in its
 * transaction, after compliance has handled STOP / START / HELP: it only decides whether teams take
 * the text and files it; the `teams.inbound` job does the work, so the webhook stays fast.
 *
 * - a text from an agent's phone is the agent's: a reply to relay or a queue session's text;
 * - a text to a queue's number is the queue's (keywords, sessions);
 * - a text to a number that forwards to its team is forwarded to the team's agents.
 * Compliance keywords never reach queues or forwarding (an opt-out only ends an open session).
 *
 * Texts are processed in arrival order per (business number, sender): the job takes a row lock on
 * that mailbox and handles every pending text of it, oldest first, in one transaction.
 */
import { parseE164Loose, type KeywordKind } from '@textback/core';
import { transaction, type AppContext, type Tx } from '../../app-context.js';
import type { Contact, Message, PhoneNumber, TeamInboundTable } from '../../db/schema.js';

type Route = TeamInboundTable['route'];
import { enqueue } from '../../jobs/job-queue.js';
import { agentByMobile } from './agents.js';
import { AppError } from '../../support/errors.js';
import { lockKey, teamTrace, unlockKey } from './common.js';
import { forwardToTeam, relayAgentReply } from './forwarding.js';
import { handleAgentQueueText, handleOriginatorText } from './sessions.js';

export const TEAM_INBOUND_JOB = 'teams.inbound';

export interface TeamInboundPayload {
  orgId: string;
  numberId: string;
  contactId: string;
}

export interface TeamRouting {
  /** True when teams own the text (an agent's, or a queue's): automations do not start on it. */
  skipAutomations: boolean;
}

export async function routeInboundForTeams(
  ctx: AppContext,
  tx: Tx,
  input: { message: Message; number: PhoneNumber; contact: Contact; keyword: KeywordKind | null },
): Promise<TeamRouting> {
  const { message, number, contact } = input;
  // Short codes and alphanumeric senders cannot be agents, originators or forwarded leads.
  if (!parseE164Loose(message.from_e164)) return { skipAutomations: false };
  const agent = await agentByMobile(tx, number.org_id, message.from_e164);
  const queue = agent ? undefined : await tx.selectFrom('queue_numbers').select('queue_id').where('number_id', '=', number.id).executeTakeFirst();
  let route: 'agent' | 'queue' | 'forward' | null = null;
  if (agent) route = input.keyword ? null : 'agent';
  else if (queue) route = input.keyword && input.keyword !== 'opt_out' ? null : 'queue';
  else if (!input.keyword) {
    const forwarding = await tx.selectFrom('number_forwarding').select('mode').where('number_id', '=', number.id).executeTakeFirst();
    if (forwarding) route = 'forward';
  }
  if (route) {
    await tx.insertInto('team_inbound').values({ org_id: number.org_id, message_id: message.id, number_id: number.id, contact_id: contact.id, route, state: 'pending', created_at: ctx.clock.now() }).execute();
    const payload: TeamInboundPayload = { orgId: number.org_id, numberId: number.id, contactId: contact.id };
    // One pending job per mailbox is enough: it handles every pending text of the mailbox.
    await enqueue(tx, ctx.clock, { kind: TEAM_INBOUND_JOB, orgId: number.org_id, payload, uniqueKey: `${TEAM_INBOUND_JOB}:${number.id}:${contact.id}` });
  }
  return { skipAutomations: Boolean(agent ?? queue) };
}

function keywordOf(message: Message): { keyword: string | null; likelyOptOut: boolean } {
  const flags = message.flags ? (JSON.parse(message.flags) as { keyword?: string; likely_opt_out?: boolean }) : {};
  return { keyword: flags.keyword ?? null, likelyOptOut: flags.likely_opt_out === true };
}

export async function runTeamInboundJob(ctx: AppContext, payload: TeamInboundPayload): Promise<void> {
  const key = `inbound:${payload.numberId}:${payload.contactId}`;
  await transaction(ctx, async (tx) => {
    await lockKey(ctx, tx, key);
    const rows = await tx
      .selectFrom('team_inbound')
      .selectAll()
      .where('number_id', '=', payload.numberId)
      .where('contact_id', '=', payload.contactId)
      .where('state', '=', 'pending')
      .orderBy('seq')
      .execute();
    if (rows.length === 0) return unlockKey(tx, key);
    const number = await tx.selectFrom('phone_numbers').selectAll().where('id', '=', payload.numberId).executeTakeFirstOrThrow();
    const contact = await tx.selectFrom('contacts').selectAll().where('id', '=', payload.contactId).executeTakeFirstOrThrow();
    for (const row of rows) {
      try {
        await routeOne(ctx, tx, row.message_id, row.route, number, contact);
      } catch (error) {
        // A text refused before anything was written (sendMessage validates first): log it and go
        // on, so one bad text does not hold up the mailbox. Database errors retry the whole job.
        if (!(error instanceof AppError)) throw error;
        ctx.log.warn({ messageId: row.message_id, code: error.code }, 'team routing skipped a text');
        await teamTrace(ctx, tx, { orgId: number.org_id, contactId: contact.id, kind: row.route === 'queue' ? 'queue' : row.route === 'agent' ? 'relay' : 'forward', subjectId: row.message_id, message: `not routed: ${error.detail}` });
      }
      await tx.updateTable('team_inbound').set({ state: 'done' }).where('seq', '=', row.seq).execute();
    }
    await unlockKey(tx, key);
  });
}

async function routeOne(ctx: AppContext, tx: Tx, messageId: string, route: Route, number: PhoneNumber, contact: Contact): Promise<void> {
  const message = await tx.selectFrom('messages').selectAll().where('id', '=', messageId).executeTakeFirstOrThrow();
  const { keyword, likelyOptOut } = keywordOf(message);
  // Settings may have changed since the text arrived: route by what holds now.
  const queueRow = await tx.selectFrom('queue_numbers').select('queue_id').where('number_id', '=', number.id).executeTakeFirst();
  const queue = queueRow ? await tx.selectFrom('queues').selectAll().where('id', '=', queueRow.queue_id).executeTakeFirst() : undefined;
  if (route === 'agent') {
    const agent = await agentByMobile(tx, number.org_id, message.from_e164);
    if (agent && queue) await handleAgentQueueText(ctx, tx, { message, number, agent, agentContact: contact, queue });
    else if (agent) await relayAgentReply(ctx, tx, { message, number, agent, agentContact: contact });
  } else if (route === 'queue') {
    if (queue) await handleOriginatorText(ctx, tx, { message, number, contact, queue, keyword, likelyOptOut });
  } else {
    const forwarding = await tx.selectFrom('number_forwarding').select('mode').where('number_id', '=', number.id).executeTakeFirst();
    if (forwarding) await forwardToTeam(ctx, tx, { message, number, contact, mode: forwarding.mode });
  }
}
