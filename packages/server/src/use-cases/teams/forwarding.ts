/**
 * Inbound texts forwarded to a team, and agents' answers relayed back.
 *
 * A business number with forwarding on sends every inbound text to each agent of its team (or only
 * those online) from the business number, exactly `+15554265646: <the text>`. An agent answers by
 * texting the business number from their phone: the answer goes, from the business number, to the
 * sender most recently forwarded to that agent, or to the one a prefix names (`@5554265646 text`,
 * `@4646 text`). An unknown or ambiguous target gets a reply to the agent and nothing else.
 */
import { resolveRelayTarget, splitForwardedText } from '@textback/core';
import type { AppContext, Tx } from '../../app-context.js';
import type { Agent, Contact, Message, PhoneNumber } from '../../db/schema.js';
import { AppError } from '../../support/errors.js';
import { newId } from '../../support/ids.js';
import { appendEvent } from '../events.js';
import { sendMessage } from '../messages.js';
import { orgSettings } from '../organizations.js';
import { teamAgents } from './agents.js';
import { describeSend, teamTrace, textAgent } from './common.js';

/** The text as forwarded: the body, then any media links, one per line. */
function forwardedBody(message: Message): string {
  const media = message.media ? (JSON.parse(message.media) as string[]) : [];
  return [message.body, ...media].filter((s) => s !== '').join('\n');
}

export async function forwardToTeam(ctx: AppContext, tx: Tx, input: { message: Message; number: PhoneNumber; contact: Contact; mode: 'all' | 'online' }): Promise<void> {
  const { message, number, contact } = input;
  const orgId = number.org_id;
  if (!number.team_id) {
    await teamTrace(ctx, tx, { orgId, contactId: contact.id, kind: 'forward', subjectId: message.id, message: `not forwarded: ${number.e164} has no team` });
    return;
  }
  const team = await tx.selectFrom('teams').select(['id', 'name']).where('id', '=', number.team_id).executeTakeFirstOrThrow();
  const agents = await teamAgents(ctx, tx, orgId, team.id);
  const recipients = agents.filter((a) => a.mobile !== null && a.mobile !== contact.e164 && (input.mode === 'all' || a.effectiveStatus === 'online'));
  if (recipients.length === 0) {
    const why = input.mode === 'online' ? 'no agent of the team is online with a phone' : 'no agent of the team has a phone';
    await teamTrace(ctx, tx, { orgId, contactId: contact.id, kind: 'forward', subjectId: message.id, message: `not forwarded to ${team.name}: ${why}` });
    return;
  }
  const org = await tx.selectFrom('organizations').selectAll().where('id', '=', orgId).executeTakeFirstOrThrow();
  const parts = splitForwardedText(contact.e164, forwardedBody(message), orgSettings(org).max_body_length);
  const now = ctx.clock.now();
  const outcomes: string[] = [];
  for (const agent of recipients) {
    let last = '';
    for (const [i, body] of parts.entries()) {
      // Parts of a long text go a second apart, so that they arrive in order.
      const sent = await textAgent(ctx, tx, { orgId, from: number, to: agent.mobile as string, body, idempotencyKey: `team-forward:${message.id}:${agent.user.id}:${i}`, ...(i > 0 ? { sendAt: now + i * 1000 } : {}) });
      last = describeSend(sent);
    }
    await tx
      .insertInto('team_forwards')
      .values({ id: newId('fwd'), org_id: orgId, number_id: number.id, agent_user_id: agent.user.id, contact_id: contact.id, contact_e164: contact.e164, message_id: message.id, created_at: now })
      .execute();
    outcomes.push(`${agent.user.name} (${last})`);
  }
  await teamTrace(ctx, tx, {
    orgId,
    contactId: contact.id,
    kind: 'forward',
    subjectId: message.id,
    message: `forwarded to ${recipients.length} agent${recipients.length === 1 ? '' : 's'} of ${team.name}${input.mode === 'online' ? ' (online only)' : ''}: ${outcomes.join(', ')}`,
  });
  await appendEvent(tx, ctx, {
    orgId,
    type: 'message.forwarded',
    subjectType: 'message',
    subjectId: message.id,
    data: { contact_id: contact.id, team_id: team.id, agent_ids: recipients.map((a) => a.user.id), parts: parts.length },
  });
}

/** The senders forwarded to an agent on a number, most recent first. */
async function forwardedTo(tx: Tx, agentUserId: string, numberId: string): Promise<string[]> {
  const rows = await tx
    .selectFrom('team_forwards')
    .select((eb) => ['contact_e164', eb.fn.max('created_at').as('last')])
    .where('agent_user_id', '=', agentUserId)
    .where('number_id', '=', numberId)
    .groupBy('contact_e164')
    .orderBy('last', 'desc')
    .orderBy('contact_e164')
    .limit(200)
    .execute();
  return rows.map((r) => r.contact_e164);
}

/** A text from an agent's phone to a forwarding number: relayed to the lead, or answered with why not. */
export async function relayAgentReply(ctx: AppContext, tx: Tx, input: { message: Message; number: PhoneNumber; agent: Agent; agentContact: Contact }): Promise<void> {
  const { message, number, agent, agentContact } = input;
  const orgId = number.org_id;
  const user = await tx.selectFrom('users').select(['id', 'name']).where('id', '=', agent.user_id).executeTakeFirstOrThrow();
  const candidates = await forwardedTo(tx, agent.user_id, number.id);
  const target = resolveRelayTarget(message.body, candidates);
  const notice = async (body: string, trace: string) => {
    await textAgent(ctx, tx, { orgId, from: number, to: agentContact.e164, body, idempotencyKey: `team-relay-notice:${message.id}` });
    await teamTrace(ctx, tx, { orgId, contactId: agentContact.id, kind: 'relay', subjectId: message.id, message: `${user.name}'s text was not relayed: ${trace}` });
  };
  switch (target.kind) {
    case 'none':
      return notice('Not sent: no text from a customer has been forwarded to you from this number yet.', 'nothing was forwarded to them on this number');
    case 'unknown':
      return notice(
        `Not sent: no one ending in ${target.digits} was forwarded to you from this number. Start with @ and the number of someone forwarded to you, e.g. @${candidates[0]?.replace(/\D/g, '') ?? '5554265646'} your text.`,
        `unknown target @${target.digits}`,
      );
    case 'ambiguous':
      return notice(
        `Not sent: @${target.digits} matches ${target.matches.length} people (${target.matches.join(', ')}). Start with @ and the full number.`,
        `@${target.digits} is ambiguous (${target.matches.join(', ')})`,
      );
    case 'empty':
      return notice(`Not sent: write your text after @${target.e164.replace(/\D/g, '')}.`, `nothing to send after the prefix for ${target.e164}`);
    case 'target': {
      let sent;
      try {
        sent = await sendMessage(
          ctx,
          { orgId, from: number.e164, to: target.e164, body: target.text, idempotencyKey: `team-relay:${message.id}`, createdBy: { type: 'user', id: agent.user_id }, automated: false },
          tx,
        );
      } catch (error) {
        // Refused before anything was written (too long, empty, ...): tell the agent why.
        if (error instanceof AppError) return notice(`Not sent: ${error.detail}`, error.detail);
        throw error;
      }
      await teamTrace(ctx, tx, {
        orgId,
        contactId: sent.message.contact_id,
        kind: 'relay',
        subjectId: sent.message.id,
        message: `${user.name} answered from their phone${target.explicit ? ' (by prefix)' : ' (the latest forwarded)'}; relayed from ${number.e164}: ${describeSend(sent)}`,
      });
      await appendEvent(tx, ctx, {
        orgId,
        type: 'message.relayed',
        subjectType: 'message',
        subjectId: sent.message.id,
        data: { from_message_id: message.id, agent_id: agent.user_id, contact_id: sent.message.contact_id },
      });
      return;
    }
  }
}
