/**
 * Speed to lead, with the "team unavailable" text (Callingly's SMS capability).
 *
 * When a lead arrives (`POST /v1/leads`) for a team with "Send SMS if team unavailable" on:
 * - every agent offline → the text goes out at once;
 * - otherwise the online agents are rung (through the carrier's voice API; on the sandbox, an
 *   agent answers with `POST /v1/sandbox/agent-calls/:id/answer`); an answer connects the agent
 *   and no text goes; if no one answers within the team's ring timeout, the text goes out.
 * At most one such text per contact, ever (the primary key of `lead_fallback_texts`). A lead that
 * came from an inbound call gets none: the missed-call rules cover it. Every decision is on the
 * contact's timeline.
 *
 * Ringing through a carrier: when the lead's number is on a Twilio account, each agent call is a
 * real outbound call placed by a job enqueued in the ring's transaction (`AGENT_DIAL_JOB`); its
 * status callback (`/webhooks/twilio/:accountId/agent-calls?c=`) answers it or marks it missed.
 * Telnyx and Bandwidth numbers are not rung: their agents answer through the API endpoint, as on
 * the sandbox, and the text goes out after the timeout.
 */
import { transaction, type AppContext, type Tx } from '../../app-context.js';
import { CarrierError } from '../../carriers/carrier.js';
import { accountAdapter } from '../../carriers/registry.js';
import { TwilioCarrier } from '../../carriers/twilio/twilio-carrier.js';
import type { Contact, PhoneNumber, Team } from '../../db/schema.js';
import { cancelByKey, enqueue } from '../../jobs/job-queue.js';
import { AppError, notFound } from '../../support/errors.js';
import { newId } from '../../support/ids.js';
import { appendEvent } from '../events.js';
import { teamAgents } from './agents.js';
import { describeSend, teamTrace, textAutomated } from './common.js';
import { teamSettings, type TeamSettings } from './teams.js';

export const RING_TIMEOUT_JOB = 'teams.lead_ring_timeout';
/** Places one agent's ring call through the number's carrier account (Twilio). */
export const AGENT_DIAL_JOB = 'teams.agent_call_dial';
/** Stops the other agents' ring calls at the carrier once one agent answered. */
export const AGENT_CANCEL_JOB = 'teams.agent_call_cancel';
const ringJobKey = (ringId: string) => `${RING_TIMEOUT_JOB}:${ringId}`;

/** Sources that mean the lead called in: the missed-call rules cover those, not this text. */
export const INBOUND_CALL_SOURCES: ReadonlySet<string> = new Set(['inbound_call', 'call', 'phone_call']);

interface LeadFacts {
  id: string;
  contact_id: string;
  source: string | null;
}

/** Called by `createLead` in its transaction. */
export async function startSpeedToLead(ctx: AppContext, tx: Tx, input: { lead: LeadFacts; contact: Contact; number: PhoneNumber | undefined }): Promise<void> {
  const { lead, contact, number } = input;
  if (!number?.team_id) return;
  const team = await tx.selectFrom('teams').selectAll().where('id', '=', number.team_id).executeTakeFirst();
  if (!team) return;
  const settings = teamSettings(team);
  if (!settings.sms_if_unavailable) return;
  const orgId = team.org_id;
  const trace = (message: string) => teamTrace(ctx, tx, { orgId, contactId: contact.id, kind: 'lead', subjectId: lead.id, message: `${team.name}: ${message}` });

  if (lead.source && INBOUND_CALL_SOURCES.has(lead.source.toLowerCase())) {
    await trace('no text: the lead came from an inbound call (the missed-call rules cover it)');
    return;
  }
  const agents = await teamAgents(ctx, tx, orgId, team.id);
  if (agents.every((a) => a.effectiveStatus === 'offline')) {
    await sendFallbackText(ctx, tx, { team, settings, leadId: lead.id, contact, number, why: agents.length === 0 ? 'the team has no agents' : `every agent is offline (${agents.map((a) => a.user.name).join(', ')})` });
    return;
  }
  const ringable = agents.filter((a) => a.effectiveStatus === 'online' && a.mobile !== null);
  if (ringable.length === 0) {
    const busy = agents.filter((a) => a.effectiveStatus === 'busy').map((a) => a.user.name);
    const why = `no agent can be rung (${busy.length ? `busy: ${busy.join(', ')}` : 'the online agents have no phone'})`;
    await sendFallbackText(ctx, tx, { team, settings, leadId: lead.id, contact, number, why });
    return;
  }
  const now = ctx.clock.now();
  const ringId = newId('ring');
  const expiresAt = now + settings.ring_timeout_seconds * 1000;
  await tx
    .insertInto('lead_rings')
    .values({ id: ringId, org_id: orgId, lead_id: lead.id, team_id: team.id, contact_id: contact.id, number_id: number.id, state: 'ringing', answered_by: null, expires_at: expiresAt, created_at: now, ended_at: null })
    .execute();
  const account = number.carrier_account_id ? await tx.selectFrom('carrier_accounts').select('kind').where('id', '=', number.carrier_account_id).executeTakeFirst() : undefined;
  const dialThroughCarrier = account?.kind === 'twilio';
  for (const agent of ringable) {
    const callId = newId('acall');
    await tx
      .insertInto('agent_calls')
      .values({ id: callId, org_id: orgId, ring_id: ringId, user_id: agent.user.id, from_e164: number.e164, to_e164: agent.mobile as string, carrier: number.carrier, state: 'ringing', created_at: now, ended_at: null })
      .execute();
    await appendEvent(tx, ctx, { orgId, type: 'agent_call.ringing', subjectType: 'agent_call', subjectId: callId, data: { user_id: agent.user.id, lead_id: lead.id, contact_id: contact.id, ring_id: ringId } });
    if (dialThroughCarrier) await enqueue(tx, ctx.clock, { kind: AGENT_DIAL_JOB, orgId, payload: { callId }, runAt: now, uniqueKey: `${AGENT_DIAL_JOB}:${callId}` });
  }
  await enqueue(tx, ctx.clock, { kind: RING_TIMEOUT_JOB, orgId, payload: { ringId }, runAt: expiresAt, uniqueKey: ringJobKey(ringId) });
  await trace(`ringing ${ringable.map((a) => a.user.name).join(', ')} for ${settings.ring_timeout_seconds} s; the text goes out if no one answers`);
}

/** The text, once per contact ever; a text the compliance gate blocked was never sent and does not count. */
async function sendFallbackText(
  ctx: AppContext,
  tx: Tx,
  input: { team: Team; settings: TeamSettings; leadId: string; contact: Contact; number: PhoneNumber; why: string },
): Promise<void> {
  const { team, settings, leadId, contact, number, why } = input;
  const orgId = team.org_id;
  const now = ctx.clock.now();
  const trace = (message: string) => teamTrace(ctx, tx, { orgId, contactId: contact.id, kind: 'lead', subjectId: leadId, message: `${team.name}: ${message}` });
  const claimed = await tx
    .insertInto('lead_fallback_texts')
    .values({ org_id: orgId, contact_id: contact.id, lead_id: leadId, message_id: null, created_at: now })
    .onConflict((oc) => oc.columns(['org_id', 'contact_id']).doNothing())
    .returning('contact_id')
    .executeTakeFirst();
  if (!claimed) {
    const earlier = await tx.selectFrom('lead_fallback_texts').selectAll().where('org_id', '=', orgId).where('contact_id', '=', contact.id).executeTakeFirstOrThrow();
    await trace(`${why}; no text: this lead already got the team-unavailable text on ${new Date(earlier.created_at).toISOString()} (lead ${earlier.lead_id}), and gets it once`);
    return;
  }
  const sent = await textAutomated(ctx, tx, { orgId, from: number, to: contact.e164, body: settings.unavailable_text, idempotencyKey: `lead-fallback:${leadId}` });
  if (sent.message.status === 'blocked') {
    await tx.deleteFrom('lead_fallback_texts').where('org_id', '=', orgId).where('contact_id', '=', contact.id).execute();
  } else {
    await tx.updateTable('lead_fallback_texts').set({ message_id: sent.message.id }).where('org_id', '=', orgId).where('contact_id', '=', contact.id).execute();
  }
  await trace(`${why} → team-unavailable text ${describeSend(sent)} (${sent.message.id})`);
  await appendEvent(tx, ctx, { orgId, type: 'lead.unavailable_text', subjectType: 'lead', subjectId: leadId, data: { contact_id: contact.id, message_id: sent.message.id, status: sent.message.status } });
}

/** The ring timeout: no one answered, so the text goes out (unless an agent answered meanwhile). */
export async function runRingTimeout(ctx: AppContext, payload: { ringId: string }): Promise<void> {
  await transaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    const ended = await tx.updateTable('lead_rings').set({ state: 'no_answer', ended_at: now }).where('id', '=', payload.ringId).where('state', '=', 'ringing').executeTakeFirst();
    if (Number(ended.numUpdatedRows) === 0) return;
    const ring = await tx.selectFrom('lead_rings').selectAll().where('id', '=', payload.ringId).executeTakeFirstOrThrow();
    const missed = await tx.updateTable('agent_calls').set({ state: 'missed', ended_at: now }).where('ring_id', '=', ring.id).where('state', '=', 'ringing').returning(['id', 'user_id']).execute();
    for (const call of missed) {
      await appendEvent(tx, ctx, { orgId: ring.org_id, type: 'agent_call.missed', subjectType: 'agent_call', subjectId: call.id, data: { user_id: call.user_id, lead_id: ring.lead_id } });
    }
    const team = await tx.selectFrom('teams').selectAll().where('id', '=', ring.team_id).executeTakeFirstOrThrow();
    const contact = await tx.selectFrom('contacts').selectAll().where('id', '=', ring.contact_id).executeTakeFirstOrThrow();
    const number = await tx.selectFrom('phone_numbers').selectAll().where('id', '=', ring.number_id).executeTakeFirstOrThrow();
    const settings = teamSettings(team);
    const seconds = Math.round((now - ring.created_at) / 1000);
    if (!settings.sms_if_unavailable) {
      await teamTrace(ctx, tx, { orgId: ring.org_id, contactId: contact.id, kind: 'lead', subjectId: ring.lead_id, message: `${team.name}: no agent answered within ${seconds} s; no text: the setting was turned off meanwhile` });
      return;
    }
    await sendFallbackText(ctx, tx, { team, settings, leadId: ring.lead_id, contact, number, why: `no agent answered within ${seconds} s` });
  });
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

/** The words the agent hears: the lead's first name at most, no other personal data. */
export function agentCallTwiml(teamName: string, firstName: string | undefined): string {
  const who = firstName ? ` from ${firstName}` : '';
  return `<Response><Say>New lead${escapeXml(who)} for ${escapeXml(teamName)}. Call them back from Textback.</Say></Response>`;
}

/** The dial job: places a still-ringing agent call through the number's Twilio account and stores its sid. */
export async function runAgentCallDial(ctx: AppContext, payload: { callId: string }): Promise<void> {
  const db = ctx.db.kysely;
  const call = await db.selectFrom('agent_calls').selectAll().where('id', '=', payload.callId).executeTakeFirst();
  if (!call || call.state !== 'ringing' || call.carrier_call_sid) return;
  const ring = await db.selectFrom('lead_rings').selectAll().where('id', '=', call.ring_id).executeTakeFirstOrThrow();
  const number = await db.selectFrom('phone_numbers').selectAll().where('id', '=', ring.number_id).executeTakeFirstOrThrow();
  if (!number.carrier_account_id) return;
  const adapter = await accountAdapter(ctx, number.carrier_account_id);
  if (!(adapter instanceof TwilioCarrier)) return;
  const team = await db.selectFrom('teams').select('name').where('id', '=', ring.team_id).executeTakeFirstOrThrow();
  const contact = await db.selectFrom('contacts').select('name').where('id', '=', ring.contact_id).executeTakeFirstOrThrow();
  const firstName = contact.name?.trim().split(/\s+/)[0] || undefined;
  const timeoutSeconds = Math.max(1, Math.ceil((ring.expires_at - ctx.clock.now()) / 1000));
  let sid: string;
  try {
    sid = await adapter.placeAgentCall({ agentCallId: call.id, from: call.from_e164, to: call.to_e164, twiml: agentCallTwiml(team.name, firstName), timeoutSeconds });
  } catch (error) {
    // Refused for good (an invalid mobile...): that agent's call is missed; the timeout still decides the text.
    if (error instanceof CarrierError && error.errorClass === 'permanent') {
      await markAgentCallMissed(ctx, call.org_id, call.id);
      return;
    }
    throw error;
  }
  await db.updateTable('agent_calls').set({ carrier_call_sid: sid }).where('id', '=', call.id).execute();
}

/** The cancel job: hangs up a ring call that is no longer needed; one that already ended is left alone. */
export async function runAgentCallCancel(ctx: AppContext, payload: { callId: string }): Promise<void> {
  const db = ctx.db.kysely;
  const call = await db.selectFrom('agent_calls').selectAll().where('id', '=', payload.callId).executeTakeFirst();
  if (!call?.carrier_call_sid || call.state !== 'cancelled') return;
  const ring = await db.selectFrom('lead_rings').select('number_id').where('id', '=', call.ring_id).executeTakeFirstOrThrow();
  const number = await db.selectFrom('phone_numbers').select('carrier_account_id').where('id', '=', ring.number_id).executeTakeFirstOrThrow();
  if (!number.carrier_account_id) return;
  const adapter = await accountAdapter(ctx, number.carrier_account_id);
  if (!(adapter instanceof TwilioCarrier)) return;
  try {
    await adapter.cancelAgentCall(call.carrier_call_sid);
  } catch (error) {
    // Refused for good: the call already ended (no answer, hung up); nothing to stop.
    if (error instanceof CarrierError && error.errorClass === 'permanent') return;
    throw error;
  }
}

/** One agent's call ended unanswered (no answer, busy, failed, canceled); the ring timeout still decides the text. */
export async function markAgentCallMissed(ctx: AppContext, orgId: string, callId: string): Promise<boolean> {
  return transaction(ctx, async (tx) => {
    const missed = await tx.updateTable('agent_calls').set({ state: 'missed', ended_at: ctx.clock.now() }).where('id', '=', callId).where('org_id', '=', orgId).where('state', '=', 'ringing').returning(['user_id', 'ring_id']).executeTakeFirst();
    if (!missed) return false;
    const ring = await tx.selectFrom('lead_rings').select('lead_id').where('id', '=', missed.ring_id).executeTakeFirstOrThrow();
    await appendEvent(tx, ctx, { orgId, type: 'agent_call.missed', subjectType: 'agent_call', subjectId: callId, data: { user_id: missed.user_id, lead_id: ring.lead_id } });
    return true;
  });
}

/** An agent picks up (the sandbox's simulated phone, or a carrier's call webhook): connected, no text. */
export async function answerAgentCall(ctx: AppContext, orgId: string, callId: string, options: { sandboxOnly?: boolean } = {}) {
  const call = await ctx.db.kysely.selectFrom('agent_calls').selectAll().where('id', '=', callId).where('org_id', '=', orgId).executeTakeFirst();
  if (!call) throw notFound('agent call', callId);
  // Only calls placed through a carrier's voice API are answered on the phone; the others (the sandbox, Telnyx, Bandwidth) through the API.
  if (options.sandboxOnly && call.carrier_call_sid) throw new AppError('invalid_state', `agent call ${callId} went through ${call.carrier}, not the sandbox`);
  await transaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    const ring = await tx.updateTable('lead_rings').set({ state: 'answered', answered_by: call.user_id, ended_at: now }).where('id', '=', call.ring_id).where('state', '=', 'ringing').executeTakeFirst();
    const answered = Number(ring.numUpdatedRows) === 1 ? await tx.updateTable('agent_calls').set({ state: 'answered', ended_at: now }).where('id', '=', callId).where('state', '=', 'ringing').executeTakeFirst() : undefined;
    if (!answered || Number(answered.numUpdatedRows) === 0) {
      const current = await tx.selectFrom('lead_rings').select(['state', 'answered_by']).where('id', '=', call.ring_id).executeTakeFirstOrThrow();
      throw new AppError(
        'invalid_state',
        current.state === 'answered' ? `another agent (${current.answered_by}) already answered this lead` : `this call is no longer ringing: no one answered in time and the lead was texted`,
      );
    }
    const cancelled = await tx.updateTable('agent_calls').set({ state: 'cancelled', ended_at: now }).where('ring_id', '=', call.ring_id).where('state', '=', 'ringing').returning(['id', 'carrier_call_sid']).execute();
    for (const other of cancelled) {
      if (other.carrier_call_sid) await enqueue(tx, ctx.clock, { kind: AGENT_CANCEL_JOB, orgId, payload: { callId: other.id }, runAt: now, uniqueKey: `${AGENT_CANCEL_JOB}:${other.id}` });
    }
    await cancelByKey(tx, ctx.clock, ringJobKey(call.ring_id));
    const r = await tx.selectFrom('lead_rings').selectAll().where('id', '=', call.ring_id).executeTakeFirstOrThrow();
    const team = await tx.selectFrom('teams').select('name').where('id', '=', r.team_id).executeTakeFirstOrThrow();
    const user = await tx.selectFrom('users').select('name').where('id', '=', call.user_id).executeTakeFirstOrThrow();
    await teamTrace(ctx, tx, { orgId, contactId: r.contact_id, kind: 'lead', subjectId: r.lead_id, message: `${team.name}: ${user.name} answered after ${Math.round((now - r.created_at) / 1000)} s and was connected to the lead; no text` });
    await appendEvent(tx, ctx, { orgId, type: 'agent_call.answered', subjectType: 'agent_call', subjectId: callId, data: { user_id: call.user_id, lead_id: r.lead_id, contact_id: r.contact_id } });
  });
  return ctx.db.kysely.selectFrom('agent_calls').selectAll().where('id', '=', callId).executeTakeFirstOrThrow();
}

export async function listAgentCalls(ctx: AppContext, orgId: string, filter: { state?: string; userId?: string; limit: number }) {
  let q = ctx.db.kysely
    .selectFrom('agent_calls')
    .innerJoin('lead_rings', 'lead_rings.id', 'agent_calls.ring_id')
    .selectAll('agent_calls')
    .select(['lead_rings.lead_id', 'lead_rings.contact_id', 'lead_rings.expires_at'])
    .where('agent_calls.org_id', '=', orgId);
  if (filter.state) q = q.where('agent_calls.state', '=', filter.state as 'ringing');
  if (filter.userId) q = q.where('agent_calls.user_id', '=', filter.userId);
  return q.orderBy('agent_calls.created_at', 'desc').orderBy('agent_calls.id', 'desc').limit(filter.limit).execute();
}
