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
 * Ringing through a carrier: when the lead's number is on a Twilio, Telnyx or Bandwidth account,
 * each agent call is a real outbound call to the agent's mobile, placed by a job enqueued in the
 * ring's transaction (`AGENT_DIAL_JOB`): Twilio's Calls API (TwiML says who the lead is), Telnyx
 * Call Control (`POST /v2/calls`; the announcement is a speak command once answered:
 * `AGENT_STEP_JOB`), Bandwidth Voice (`POST /accounts/{id}/calls`; the announcement is the BXML of
 * the answer callback). Each call's webhooks come back on `/webhooks/<carrier>/:accountId/agent-calls`
 * (Twilio `?c=`, Telnyx `client_state`, Bandwidth `tag` name the agent call) and answer it or
 * mark it missed; once one agent answered, the others' calls are hung up (`AGENT_CANCEL_JOB`).
 * A Telnyx account without a Call Control connection id (`settings.connection_id`), or a
 * Bandwidth account without a voice application (`settings.voice_application_id`), is not rung:
 * its agents answer through the API endpoint, as on the sandbox, the text goes out after the
 * timeout, and the contact's timeline says why.
 */
import { transaction, type AppContext, type Tx } from '../../app-context.js';
import { bandwidthVoiceFor } from '../../carriers/bandwidth/bandwidth-voice.js';
import { CarrierError, type AgentCallApi } from '../../carriers/carrier.js';
import { accountAdapter, loadAccount, publicBaseUrl } from '../../carriers/registry.js';
import { telnyxCallControlFor } from '../../carriers/telnyx/telnyx-call-control.js';
import { TwilioCarrier } from '../../carriers/twilio/twilio-carrier.js';
import type { CarrierAccount, Contact, PhoneNumber, Team } from '../../db/schema.js';
import { cancelByKey, enqueue, type Executor } from '../../jobs/job-queue.js';
import type { Clock } from '../../support/clock.js';
import { AppError, notFound } from '../../support/errors.js';
import { newId } from '../../support/ids.js';
import { appendEvent } from '../events.js';
import { teamAgents } from './agents.js';
import { describeSend, teamTrace, textAutomated } from './common.js';
import { teamSettings, type TeamSettings } from './teams.js';

export const RING_TIMEOUT_JOB = 'teams.lead_ring_timeout';
/** Places one agent's ring call through the number's carrier account (Twilio, Telnyx, Bandwidth). */
export const AGENT_DIAL_JOB = 'teams.agent_call_dial';
/** Stops the other agents' ring calls at the carrier once one agent answered. */
export const AGENT_CANCEL_JOB = 'teams.agent_call_cancel';
/** A command on an answered ring call (Telnyx Call Control): say the announcement, or hang up. */
export const AGENT_STEP_JOB = 'teams.agent_call_step';
export type AgentCallStep = 'announce' | 'hang_up';
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
  const account = number.carrier_account_id
    ? await tx.selectFrom('carrier_accounts').select(['kind', 'settings', 'public_base_url']).where('id', '=', number.carrier_account_id).executeTakeFirst()
    : undefined;
  const ringing = account ? ringsThrough(ctx, account) : { through: false as const };
  if (!ringing.through && ringing.why) {
    await trace(`${ringing.why}: the agents' phones are not rung; they answer through the API (POST /v1/agent-calls/:id/answer)`);
  }
  const dialThroughCarrier = ringing.through;
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

const CARRIER_NAMES: Record<string, string> = { twilio: 'Twilio', telnyx: 'Telnyx', bandwidth: 'Bandwidth' };

/**
 * Whether this account's voice API can ring the agents, and if not, why (said on the timeline).
 * Read from the account's plain settings in the ring's transaction; the credentials are decrypted
 * by the dial job.
 */
function ringsThrough(ctx: AppContext, account: Pick<CarrierAccount, 'kind' | 'settings' | 'public_base_url'>): { through: true } | { through: false; why?: string } {
  if (account.kind === 'sandbox') return { through: false };
  const name = CARRIER_NAMES[account.kind] ?? account.kind;
  if (!publicBaseUrl(ctx, account)) return { through: false, why: `${name} cannot reach this server (no public_base_url on the account, no PUBLIC_BASE_URL)` };
  const settings = JSON.parse(account.settings) as Record<string, string>;
  if (account.kind === 'telnyx' && !settings.connection_id) return { through: false, why: 'the Telnyx account has no Call Control connection id (settings.connection_id)' };
  if (account.kind === 'bandwidth' && !settings.voice_application_id) return { through: false, why: 'the Bandwidth account has no voice application id (settings.voice_application_id)' };
  return { through: true };
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
export function agentCallWords(teamName: string, firstName: string | undefined): string {
  const who = firstName ? ` from ${firstName}` : '';
  return `New lead${who} for ${teamName}. Call them back from Textback.`;
}

/** The Twilio ring call's TwiML: the words, said once. */
export function agentCallTwiml(teamName: string, firstName: string | undefined): string {
  return `<Response><Say>${escapeXml(agentCallWords(teamName, firstName))}</Say></Response>`;
}

/** What the agent hears on picking up a ring call: the lead, or that the call is no longer needed. */
export async function agentCallAnnouncement(ctx: AppContext, orgId: string, callId: string, carrierCallId?: string): Promise<string> {
  const db = ctx.db.kysely;
  const call = await db.selectFrom('agent_calls').select(['ring_id', 'state', 'carrier_call_sid']).where('id', '=', callId).where('org_id', '=', orgId).executeTakeFirst();
  if (!call || (carrierCallId !== undefined && call.carrier_call_sid !== carrierCallId)) return 'This call is no longer needed. Goodbye.';
  if (call.state !== 'answered') {
    const ring = await db.selectFrom('lead_rings').select('state').where('id', '=', call.ring_id).executeTakeFirst();
    return ring?.state === 'answered' ? 'Another agent already answered this lead. Goodbye.' : 'This lead was not answered in time and got a text instead. Goodbye.';
  }
  const ring = await db.selectFrom('lead_rings').select(['team_id', 'contact_id']).where('id', '=', call.ring_id).executeTakeFirstOrThrow();
  const team = await db.selectFrom('teams').select('name').where('id', '=', ring.team_id).executeTakeFirstOrThrow();
  const contact = await db.selectFrom('contacts').select('name').where('id', '=', ring.contact_id).executeTakeFirstOrThrow();
  return agentCallWords(team.name, contact.name?.trim().split(/\s+/)[0] || undefined);
}

/** The voice API of a number's carrier account: Twilio's adapter, another carrier's agent-call API, or the reason there is none. */
async function voiceOf(ctx: AppContext, accountId: string): Promise<TwilioCarrier | AgentCallApi | { unavailable: string }> {
  const account = await loadAccount(ctx, accountId);
  if (!account) return { unavailable: `carrier account ${accountId} no longer exists` };
  const base = publicBaseUrl(ctx, account.row);
  if (account.row.kind === 'twilio') {
    const adapter = await accountAdapter(ctx, accountId);
    return adapter instanceof TwilioCarrier ? adapter : { unavailable: 'not a Twilio adapter' };
  }
  if (!base) return { unavailable: `${CARRIER_NAMES[account.row.kind] ?? account.row.kind} cannot reach this server (no public base URL)` };
  if (account.row.kind === 'telnyx') return telnyxCallControlFor(account, base);
  if (account.row.kind === 'bandwidth') return bandwidthVoiceFor(account, base);
  return { unavailable: `${account.row.kind} accounts place no calls` };
}

/** Enqueues a command on a ring call (once per call and command). */
export async function enqueueAgentCallStep(db: Executor, clock: Clock, orgId: string, callId: string, step: AgentCallStep): Promise<void> {
  await enqueue(db, clock, { kind: AGENT_STEP_JOB, orgId, payload: { callId, step }, uniqueKey: `${AGENT_STEP_JOB}:${step}:${callId}` });
}

/** The dial job: places a still-ringing agent call through the number's carrier account and stores the carrier's id of it. */
export async function runAgentCallDial(ctx: AppContext, payload: { callId: string }): Promise<void> {
  const db = ctx.db.kysely;
  const call = await db.selectFrom('agent_calls').selectAll().where('id', '=', payload.callId).executeTakeFirst();
  if (!call || call.state !== 'ringing' || call.carrier_call_sid) return;
  const ring = await db.selectFrom('lead_rings').selectAll().where('id', '=', call.ring_id).executeTakeFirstOrThrow();
  const number = await db.selectFrom('phone_numbers').selectAll().where('id', '=', ring.number_id).executeTakeFirstOrThrow();
  if (!number.carrier_account_id) return;
  const voice = await voiceOf(ctx, number.carrier_account_id);
  if ('unavailable' in voice) {
    ctx.log.warn({ agentCallId: call.id, carrierAccountId: number.carrier_account_id, why: voice.unavailable }, 'agent call not placed');
    return;
  }
  const team = await db.selectFrom('teams').select('name').where('id', '=', ring.team_id).executeTakeFirstOrThrow();
  const contact = await db.selectFrom('contacts').select('name').where('id', '=', ring.contact_id).executeTakeFirstOrThrow();
  const firstName = contact.name?.trim().split(/\s+/)[0] || undefined;
  const timeoutSeconds = Math.max(1, Math.ceil((ring.expires_at - ctx.clock.now()) / 1000));
  let sid: string;
  try {
    sid =
      voice instanceof TwilioCarrier
        ? await voice.placeAgentCall({ agentCallId: call.id, from: call.from_e164, to: call.to_e164, twiml: agentCallTwiml(team.name, firstName), timeoutSeconds })
        : await voice.placeAgentCall({ agentCallId: call.id, from: call.from_e164, to: call.to_e164, timeoutSeconds });
  } catch (error) {
    // Refused for good (an invalid mobile, a wrong application or connection id...): that agent's
    // call is missed, and the timeline says why; the timeout still decides the text.
    if (error instanceof CarrierError && error.errorClass === 'permanent') {
      if (await markAgentCallMissed(ctx, call.org_id, call.id)) {
        const user = await db.selectFrom('users').select('name').where('id', '=', call.user_id).executeTakeFirstOrThrow();
        await teamTrace(ctx, db, {
          orgId: call.org_id,
          contactId: ring.contact_id,
          kind: 'lead',
          subjectId: ring.lead_id,
          message: `${team.name}: ${user.name}'s phone could not be rung through ${CARRIER_NAMES[voice.kind] ?? voice.kind} (${error.code}: ${error.message})`,
        });
      }
      return;
    }
    throw error;
  }
  await transaction(ctx, async (tx) => {
    await tx.updateTable('agent_calls').set({ carrier_call_sid: sid }).where('id', '=', call.id).execute();
    // Another agent answered while this call was being placed: stop it now.
    const now = await tx.selectFrom('agent_calls').select('state').where('id', '=', call.id).executeTakeFirstOrThrow();
    if (now.state === 'cancelled') await enqueue(tx, ctx.clock, { kind: AGENT_CANCEL_JOB, orgId: call.org_id, payload: { callId: call.id }, uniqueKey: `${AGENT_CANCEL_JOB}:${call.id}` });
  });
}

/** The cancel job: hangs up a ring call that is no longer needed; one that already ended is left alone. */
export async function runAgentCallCancel(ctx: AppContext, payload: { callId: string }): Promise<void> {
  const db = ctx.db.kysely;
  const call = await db.selectFrom('agent_calls').selectAll().where('id', '=', payload.callId).executeTakeFirst();
  if (!call?.carrier_call_sid || call.state !== 'cancelled') return;
  await hangUp(ctx, call);
}

/** The step job (Telnyx Call Control): say the announcement on an answered call, or hang it up. */
export async function runAgentCallStep(ctx: AppContext, payload: { callId: string; step: AgentCallStep }): Promise<void> {
  const db = ctx.db.kysely;
  const call = await db.selectFrom('agent_calls').selectAll().where('id', '=', payload.callId).executeTakeFirst();
  if (!call?.carrier_call_sid) return;
  if (payload.step === 'hang_up') {
    await hangUp(ctx, call);
    return;
  }
  if (call.state !== 'answered') return;
  const voice = await voiceOfCall(ctx, call.ring_id);
  if (!voice || voice instanceof TwilioCarrier || !voice.announce) return;
  const words = await agentCallAnnouncement(ctx, call.org_id, call.id, call.carrier_call_sid);
  try {
    await voice.announce(call.carrier_call_sid, call.id, words);
  } catch (error) {
    // The agent hung up already: nothing to say.
    if (error instanceof CarrierError && error.errorClass === 'permanent') return;
    throw error;
  }
}

async function voiceOfCall(ctx: AppContext, ringId: string): Promise<TwilioCarrier | AgentCallApi | undefined> {
  const ring = await ctx.db.kysely.selectFrom('lead_rings').select('number_id').where('id', '=', ringId).executeTakeFirstOrThrow();
  const number = await ctx.db.kysely.selectFrom('phone_numbers').select('carrier_account_id').where('id', '=', ring.number_id).executeTakeFirstOrThrow();
  if (!number.carrier_account_id) return undefined;
  const voice = await voiceOf(ctx, number.carrier_account_id);
  return 'unavailable' in voice ? undefined : voice;
}

async function hangUp(ctx: AppContext, call: { id: string; ring_id: string; carrier_call_sid: string | null }): Promise<void> {
  if (!call.carrier_call_sid) return;
  const voice = await voiceOfCall(ctx, call.ring_id);
  if (!voice) return;
  try {
    if (voice instanceof TwilioCarrier) await voice.cancelAgentCall(call.carrier_call_sid);
    else await voice.hangUpAgentCall(call.carrier_call_sid, call.id);
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
export async function answerAgentCall(ctx: AppContext, orgId: string, callId: string, options: { sandboxOnly?: boolean; announce?: boolean } = {}) {
  const call = await ctx.db.kysely.selectFrom('agent_calls').selectAll().where('id', '=', callId).where('org_id', '=', orgId).executeTakeFirst();
  if (!call) throw notFound('agent call', callId);
  // Calls placed through a carrier's voice API are answered on the phone; the others (the sandbox, accounts that cannot ring) through the API.
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
    // Telnyx: the answered call waits for a command to say who the lead is.
    if (options.announce) await enqueueAgentCallStep(tx, ctx.clock, orgId, callId, 'announce');
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
