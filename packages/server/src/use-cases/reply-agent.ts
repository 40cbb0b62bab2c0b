/**
 * The reply agent (docs/reply-agent.md): answers a contact's text on a business number where it is
 * switched on, books callbacks, hands off to a person. Runs in the inbound text's transaction, after
 * the compliance keyword handling (never for STOP / HELP), and sends through the same send path and
 * compliance gate as every automated text. Every decision goes to the contact's timeline.
 */
import {
  DEFAULT_REPLY_AGENT_POLICY,
  checkReplyGuardrails,
  classifyReply,
  decideReply,
  recipientTimeZone,
  type ReplyAgentDecision,
  type ReplyAgentFacts,
  type ReplyAgentPolicy,
  type ReplyClassification,
} from '@textback/core';
import { transaction, type AppContext, type Tx } from '../app-context.js';
import type { Callback, CallbackState, Contact, Conversation, Message, PhoneNumber, ReplyAgentConversationState, ReplyAgentRow } from '../db/schema.js';
import { enqueue } from '../jobs/job-queue.js';
import { AppError, notFound } from '../support/errors.js';
import { newId } from '../support/ids.js';
import { LOOP_WINDOW_MS } from './automations/engine.js';
import { getConversation } from './conversations.js';
import { appendEvent } from './events.js';
import { getNumber } from './numbers.js';
import { orgSettings, requireRole, type Principal } from './organizations.js';
import { currentConsent } from './compliance/consent.js';
import { sendMessage } from './messages.js';
import { teamAgents } from './teams/agents.js';
import { describeSend, teamTrace, textAgent } from './teams/common.js';
import { askModel, modelConfigured, type ModelAnswer, type ModelResult } from './reply-agent-model.js';

export const CALLBACK_DUE_JOB = 'reply_agent.callback_due';
/** With a model configured, the agent's turn on a text runs in this job (receive.ts enqueues it). */
export const REPLY_TURN_JOB = 'reply_agent.turn';

/** The agent's turn with the model: the model is asked first, outside a transaction, then the turn runs with its answer. */
export async function runReplyTurnJob(ctx: AppContext, payload: { messageId: string }): Promise<void> {
  const db = ctx.db.kysely;
  const message = await db.selectFrom('messages').selectAll().where('id', '=', payload.messageId).executeTakeFirst();
  if (!message?.conversation_id || !message.contact_id || !message.number_id) return;
  const [number, contact, settingsRow, org] = await Promise.all([
    db.selectFrom('phone_numbers').selectAll().where('id', '=', message.number_id).executeTakeFirst(),
    db.selectFrom('contacts').selectAll().where('id', '=', message.contact_id).executeTakeFirst(),
    db.selectFrom('reply_agents').selectAll().where('number_id', '=', message.number_id).executeTakeFirst(),
    db.selectFrom('organizations').select(['time_zone']).where('id', '=', message.org_id).executeTakeFirst(),
  ]);
  if (!number || !contact || !org || settingsRow?.enabled !== 1) return;
  const settings = toSettings(number.id, settingsRow);
  const now = ctx.clock.now();
  const zone = recipientTimeZone({ contactTimeZone: contact.time_zone, e164: contact.e164, now, defaultZone: org.time_zone }).zone;
  // A text that tries to instruct the agent is not sent to the model at all.
  const model: ModelResult = classifyReply(message.body ?? '', now, zone).adversarial
    ? { ok: false, error: 'not asked: the text tries to instruct the agent' }
    : await askModel(ctx.config, { body: message.body ?? '', facts: settings.facts, zone, nowMs: now });
  await transaction(ctx, (tx) => runReplyAgent(ctx, tx, { message, number, contact, conversationId: message.conversation_id!, model }));
}

export interface ReplyAgentSettings {
  number_id: string;
  enabled: boolean;
  facts: ReplyAgentFacts;
  policy: ReplyAgentPolicy;
  updated_at: number | null;
}

const FACT_KEYS = ['business', 'hours', 'services', 'address', 'booking_link', 'prices'] as const;

function toSettings(numberId: string, row: ReplyAgentRow | undefined): ReplyAgentSettings {
  if (!row) return { number_id: numberId, enabled: false, facts: {}, policy: DEFAULT_REPLY_AGENT_POLICY, updated_at: null };
  return { number_id: numberId, enabled: row.enabled === 1, facts: JSON.parse(row.facts) as ReplyAgentFacts, policy: JSON.parse(row.policy) as ReplyAgentPolicy, updated_at: row.updated_at };
}

export async function getReplyAgentSettings(ctx: AppContext, orgId: string, numberId: string): Promise<ReplyAgentSettings> {
  await getNumber(ctx, orgId, numberId);
  const row = await ctx.db.kysely.selectFrom('reply_agents').selectAll().where('number_id', '=', numberId).executeTakeFirst();
  return toSettings(numberId, row);
}

export interface ReplyAgentSettingsInput {
  enabled: boolean;
  facts?: Partial<Record<(typeof FACT_KEYS)[number], string | null>>;
  policy?: Partial<ReplyAgentPolicy>;
}

/** Replaces the number's reply agent settings (admin). A booking link must be an http(s) URL. */
export async function putReplyAgentSettings(ctx: AppContext, principal: Principal, numberId: string, input: ReplyAgentSettingsInput): Promise<ReplyAgentSettings> {
  requireRole(principal, 'admin');
  await getNumber(ctx, principal.orgId, numberId);
  const facts: Record<string, string> = {};
  for (const key of FACT_KEYS) {
    const value = input.facts?.[key];
    if (typeof value === 'string' && value.trim() !== '') facts[key] = value.trim();
  }
  if (facts.booking_link !== undefined) {
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(facts.booking_link).protocol);
    } catch {
      ok = false;
    }
    if (!ok) throw new AppError('validation_failed', 'facts.booking_link: must be an http:// or https:// URL', [{ field: 'facts.booking_link', message: 'must be an http:// or https:// URL' }]);
  }
  const policy: ReplyAgentPolicy = { ...DEFAULT_REPLY_AGENT_POLICY, ...(input.policy ?? {}) };
  const now = ctx.clock.now();
  const row = { number_id: numberId, org_id: principal.orgId, enabled: input.enabled ? 1 : 0, facts: JSON.stringify(facts), policy: JSON.stringify(policy), updated_at: now };
  await ctx.db.kysely
    .insertInto('reply_agents')
    .values(row)
    .onConflict((oc) => oc.column('number_id').doUpdateSet({ enabled: row.enabled, facts: row.facts, policy: row.policy, updated_at: now }))
    .execute();
  return toSettings(numberId, row);
}

/** A person takes the conversation over (the agent stops) or hands it back (the agent may reply again). */
export async function setConversationAgent(ctx: AppContext, principal: Principal, conversationId: string, action: 'take_over' | 'hand_back'): Promise<{ conversation_id: string; state: ReplyAgentConversationState }> {
  const conversation = await getConversation(ctx, principal.orgId, conversationId);
  const state: ReplyAgentConversationState = action === 'take_over' ? 'taken_over' : 'active';
  const now = ctx.clock.now();
  await transaction(ctx, async (tx) => {
    await upsertConversationState(tx, conversation, state, action === 'take_over' ? `taken over by user ${principal.userId}` : `handed back by user ${principal.userId}`, now, action === 'hand_back' ? 0 : undefined);
    await teamTrace(ctx, tx, {
      orgId: conversation.org_id,
      contactId: conversation.contact_id,
      kind: 'reply_agent',
      subjectId: conversation.id,
      message: action === 'take_over' ? 'reply agent: a person took the conversation over; the agent stays quiet' : 'reply agent: the conversation was handed back to the agent',
    });
  });
  return { conversation_id: conversation.id, state };
}

/** Whether the number's agent answers this conversation now, and if not, why (the thread's bar in the web app). */
export async function getConversationAgent(
  ctx: AppContext,
  orgId: string,
  conversationId: string,
): Promise<{ conversation_id: string; enabled: boolean; state: ReplyAgentConversationState; exchanges: number; reason: string | null; updated_at: number | null }> {
  const conversation = await getConversation(ctx, orgId, conversationId);
  const agent = await ctx.db.kysely.selectFrom('reply_agents').select('enabled').where('number_id', '=', conversation.number_id).executeTakeFirst();
  const row = await ctx.db.kysely.selectFrom('reply_agent_conversations').selectAll().where('conversation_id', '=', conversation.id).executeTakeFirst();
  return {
    conversation_id: conversation.id,
    enabled: agent?.enabled === 1,
    state: row?.state ?? 'active',
    exchanges: row?.exchanges ?? 0,
    reason: row?.reason ?? null,
    updated_at: row?.updated_at ?? null,
  };
}

async function upsertConversationState(tx: Tx, conversation: Pick<Conversation, 'id' | 'org_id'>, state: ReplyAgentConversationState, reason: string, now: number, exchanges?: number): Promise<void> {
  await tx
    .insertInto('reply_agent_conversations')
    .values({ conversation_id: conversation.id, org_id: conversation.org_id, state, exchanges: exchanges ?? 0, reason, updated_at: now })
    .onConflict((oc) => oc.column('conversation_id').doUpdateSet({ state, reason, updated_at: now, ...(exchanges !== undefined ? { exchanges } : {}) }))
    .execute();
}

/**
 * The agent's turn on an inbound text (receive.ts, after compliance; never for a keyword). Does
 * nothing unless the number's agent is on and the conversation is still the agent's.
 */
export async function runReplyAgent(
  ctx: AppContext,
  tx: Tx,
  input: { message: Message; number: PhoneNumber; contact: Contact; conversationId: string; model?: ModelResult },
): Promise<void> {
  const { message, number, contact } = input;
  const settingsRow = await tx.selectFrom('reply_agents').selectAll().where('number_id', '=', number.id).executeTakeFirst();
  if (!settingsRow || settingsRow.enabled !== 1) return;
  const settings = toSettings(number.id, settingsRow);
  const now = ctx.clock.now();
  const trace = (text: string) => teamTrace(ctx, tx, { orgId: number.org_id, contactId: contact.id, kind: 'reply_agent', subjectId: input.conversationId, message: `reply agent: ${text}` });
  const conversation = await tx.selectFrom('conversations').selectAll().where('id', '=', input.conversationId).executeTakeFirstOrThrow();
  const agentState = await tx.selectFrom('reply_agent_conversations').selectAll().where('conversation_id', '=', conversation.id).executeTakeFirst();
  if (agentState && agentState.state !== 'active') return; // handed off, taken over or stopped: the people have it

  // A person who replied in the conversation has it: the agent stops for good (until handed back).
  const person = await tx
    .selectFrom('messages')
    .select('id')
    .where('conversation_id', '=', conversation.id)
    .where('direction', '=', 'outbound')
    .where('created_by_type', 'in', ['user', 'api_key'])
    .where('created_at', '>', agentState?.updated_at ?? 0)
    .executeTakeFirst();
  if (person) {
    await upsertConversationState(tx, conversation, 'taken_over', 'a person replied', now);
    await trace('a person replied in this conversation; the agent stays quiet');
    return;
  }

  const org = await tx.selectFrom('organizations').selectAll().where('id', '=', number.org_id).executeTakeFirstOrThrow();
  // A contact who opted out gets nothing from the agent (the gate would block it anyway): it stays quiet.
  const consent = await currentConsent(tx, { orgId: number.org_id, contactId: contact.id, numberId: number.id, scope: orgSettings(org).consent_scope });
  if (consent.record.state === 'opted_out') {
    await trace('the contact opted out; the agent stays quiet');
    return;
  }
  const zone = recipientTimeZone({ contactTimeZone: contact.time_zone, e164: contact.e164, now, defaultZone: org.time_zone }).zone;
  const body = message.body ?? '';
  let classification: ReplyClassification = classifyReply(body, now, zone);
  if (classification.intent === 'compliance') return; // a keyword: compliance's, never the agent's

  // No automated text answers an automated text: a reply within a minute of ours may be a machine.
  const lastAutomated = await tx
    .selectFrom('messages')
    .select((eb) => eb.fn.max('created_at').as('at'))
    .where('contact_id', '=', contact.id)
    .where('direction', '=', 'outbound')
    .where('automated', '=', 1)
    .where('created_at', '<=', message.created_at)
    .executeTakeFirst();
  const lastAt = lastAutomated?.at == null ? null : Number(lastAutomated.at);
  if (lastAt !== null && message.created_at - lastAt < LOOP_WINDOW_MS) {
    await trace(`intent ${classification.intent} ${classification.confidence.toFixed(2)}: not answered (loop prevention: their text came ${Math.round((message.created_at - lastAt) / 1000)} s after our automated text)`);
    return;
  }

  const state = { exchanges: agentState?.exchanges ?? 0, unansweredAgentTexts: 0 };
  let decision: ReplyAgentDecision | null = null;
  let source = 'rules';
  if (modelConfigured(ctx.config) && input.model === undefined) {
    // The model is asked outside any transaction (it may take seconds): a job does it, then comes back here.
    await enqueue(tx, ctx.clock, { kind: REPLY_TURN_JOB, orgId: number.org_id, payload: { messageId: message.id }, uniqueKey: `${REPLY_TURN_JOB}:${message.id}` });
    return;
  }
  if (input.model && !classification.adversarial) {
    const answer = input.model;
    const fromModel = answer.ok ? modelDecision(answer.answer, settings, state, classification) : null;
    if (answer.ok && fromModel && 'refused' in fromModel) {
      decision = handOffDecision(classification, settings.facts, `the model's reply broke a guardrail: ${fromModel.refused}`);
      source = 'model (refused)';
    } else if (fromModel && !('refused' in fromModel)) {
      decision = fromModel;
      source = 'model';
      if (answer.ok && answer.answer.callback_at) classification = { ...classification, callbackAt: answer.answer.callback_at };
    } else {
      source = `rules (model ${answer.ok ? 'answer unusable' : answer.error})`;
    }
  }
  decision ??= decideReply({ classification, facts: settings.facts, policy: settings.policy, state, nowMs: now, zone });
  if (decision.action === 'none') {
    await trace(decision.reason);
    return;
  }
  // The guardrails check every text before it leaves, whoever wrote it.
  if (decision.reply) {
    const breaches = checkReplyGuardrails(decision.reply, settings.facts);
    if (breaches.length > 0) decision = handOffDecision(classification, settings.facts, `guardrail: ${breaches[0]}`);
  }

  const notes: string[] = [];
  if (decision.action === 'callback' && decision.callbackAt) {
    const callback = await createCallback(ctx, tx, { orgId: number.org_id, contact, conversation, numberId: number.id, dueAt: Date.parse(decision.callbackAt), note: `requested by text ${message.id}` });
    notes.push(`callback ${callback.id} due ${decision.callbackAt}`);
  }
  if (decision.attributes) {
    const attributes = { ...(JSON.parse(contact.attributes) as Record<string, unknown>), ...decision.attributes };
    await tx.updateTable('contacts').set({ attributes: JSON.stringify(attributes), updated_at: now }).where('id', '=', contact.id).execute();
    notes.push(`set ${Object.entries(decision.attributes).map(([k, v]) => `${k} = ${v}`).join(', ')}`);
  }
  if (decision.action === 'hand_off' || decision.action === 'callback') {
    const assigned = await assignConversation(ctx, tx, conversation, number, settings.policy);
    if (assigned) notes.push(assigned);
  }
  if (decision.reply) {
    try {
      const sent = await sendMessage(
        ctx,
        { orgId: number.org_id, from: number.e164, to: contact.e164, body: decision.reply, idempotencyKey: `reply-agent:${message.id}`, createdBy: { type: 'system', id: null }, automated: true },
        tx,
      );
      notes.push(`text ${sent.message.id} ${describeSend(sent)}`);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      notes.push(`text refused by the send path (${error.code})`);
    }
  }
  const nextState: ReplyAgentConversationState = decision.stop ? (decision.action === 'hand_off' ? 'handed_off' : 'stopped') : 'active';
  await upsertConversationState(tx, conversation, nextState, decision.reason, now, state.exchanges + (decision.reply ? 1 : 0));
  await trace(`${decision.reason}${source !== 'rules' ? ` [${source}]` : ''}${notes.length ? `; ${notes.join('; ')}` : ''}`);
}

function handOffDecision(c: ReplyClassification, facts: ReplyAgentFacts, why: string): ReplyAgentDecision {
  const base = decideReply({
    classification: { ...c, intent: 'human', confidence: 1, adversarial: false },
    facts,
    policy: DEFAULT_REPLY_AGENT_POLICY,
    state: { exchanges: 0, unansweredAgentTexts: 0 },
    nowMs: 0,
    zone: 'UTC',
  });
  return { ...base, reason: `intent ${c.intent} ${c.confidence.toFixed(2)}: handed off (${why})` };
}

/** The model's answer as a decision, through the same policy; `refused` when it breaks a guardrail. */
function modelDecision(answer: ModelAnswer, settings: ReplyAgentSettings, state: { exchanges: number }, c: ReplyClassification): ReplyAgentDecision | { refused: string } | null {
  const label = `model ${answer.action} ${answer.confidence.toFixed(2)}`;
  const breaches = answer.reply ? checkReplyGuardrails(answer.reply, settings.facts) : [];
  if (breaches.length > 0) return { refused: breaches[0] ?? 'guardrail' };
  if (answer.confidence < settings.policy.confidence_threshold || answer.action === 'hand_off' || state.exchanges >= settings.policy.max_exchanges) {
    return handOffDecision(c, settings.facts, answer.action === 'hand_off' ? 'the model handed off' : answer.confidence < settings.policy.confidence_threshold ? `model confidence under ${settings.policy.confidence_threshold}` : `${settings.policy.max_exchanges} exchanges reached`);
  }
  if (answer.action === 'callback') {
    if (!answer.callback_at) return null;
    return { action: 'callback', reply: answer.reply, callbackAt: new Date(answer.callback_at).toISOString().replace('.000Z', 'Z'), stop: false, reason: `${label}: callback at ${answer.callback_at}` };
  }
  return { action: 'reply', reply: answer.reply, stop: false, reason: `${label}: replied` };
}

/** Assigns the conversation per the hand-off policy: the first online agent of the number's team, else the team. */
async function assignConversation(ctx: AppContext, tx: Tx, conversation: Conversation, number: PhoneNumber, policy: ReplyAgentPolicy): Promise<string | null> {
  if (!number.team_id) return null;
  let userId: string | null = null;
  if (policy.hand_off_to === 'agent') {
    const agents = await teamAgents(ctx, tx, number.org_id, number.team_id);
    userId = agents.find((a) => a.effectiveStatus === 'online')?.user.id ?? null;
  }
  await tx
    .updateTable('conversations')
    .set({ assigned_team_id: number.team_id, ...(userId ? { assigned_user_id: userId } : {}), updated_at: ctx.clock.now() })
    .where('id', '=', conversation.id)
    .execute();
  return userId ? `assigned to agent ${userId}` : `assigned to team ${number.team_id}`;
}

async function createCallback(
  ctx: AppContext,
  tx: Tx,
  input: { orgId: string; contact: Contact; conversation: Conversation; numberId: string; dueAt: number; note: string },
): Promise<Callback> {
  const now = ctx.clock.now();
  const row: Callback = {
    id: newId('cb'),
    org_id: input.orgId,
    contact_id: input.contact.id,
    conversation_id: input.conversation.id,
    number_id: input.numberId,
    phone: input.contact.e164,
    due_at: input.dueAt,
    state: 'open',
    assigned_user_id: input.conversation.assigned_user_id,
    assigned_team_id: input.conversation.assigned_team_id,
    note: input.note,
    reminded_at: null,
    created_at: now,
    updated_at: now,
  };
  await tx.insertInto('callbacks').values(row).execute();
  await enqueue(tx, ctx.clock, { kind: CALLBACK_DUE_JOB, orgId: input.orgId, payload: { callbackId: row.id }, runAt: Math.max(now, input.dueAt), uniqueKey: `${CALLBACK_DUE_JOB}:${row.id}` });
  await appendEvent(tx, ctx, { orgId: input.orgId, type: 'callback.created', subjectType: 'callback', subjectId: row.id, data: { contact_id: row.contact_id, due_at: new Date(row.due_at).toISOString() } });
  return row;
}

/**
 * A callback is due: the `callback.due` event (webhooks, the live stream) and, when the assigned
 * agent (or the team's members) has a phone on file, a text to it from the business number.
 */
export async function runCallbackDue(ctx: AppContext, payload: { callbackId: string }): Promise<void> {
  await transaction(ctx, async (tx) => {
    const callback = await tx.selectFrom('callbacks').selectAll().where('id', '=', payload.callbackId).executeTakeFirst();
    if (!callback || callback.state !== 'open' || callback.reminded_at !== null) return;
    const now = ctx.clock.now();
    await tx.updateTable('callbacks').set({ reminded_at: now, updated_at: now }).where('id', '=', callback.id).execute();
    await appendEvent(tx, ctx, {
      orgId: callback.org_id,
      type: 'callback.due',
      subjectType: 'callback',
      subjectId: callback.id,
      data: { contact_id: callback.contact_id, due_at: new Date(callback.due_at).toISOString(), assigned_user_id: callback.assigned_user_id, assigned_team_id: callback.assigned_team_id },
    });
    const number = callback.number_id ? await tx.selectFrom('phone_numbers').selectAll().where('id', '=', callback.number_id).executeTakeFirst() : undefined;
    const userIds = callback.assigned_user_id
      ? [callback.assigned_user_id]
      : callback.assigned_team_id
        ? (await tx.selectFrom('team_members').select('user_id').where('team_id', '=', callback.assigned_team_id).execute()).map((m) => m.user_id)
        : [];
    const reminded: string[] = [];
    if (number && userIds.length > 0) {
      const agents = await tx.selectFrom('agents').select(['user_id', 'mobile_e164']).where('org_id', '=', callback.org_id).where('user_id', 'in', userIds).execute();
      for (const agent of agents) {
        if (!agent.mobile_e164) continue;
        await textAgent(ctx, tx, { orgId: callback.org_id, from: number, to: agent.mobile_e164, body: `Callback due now: call ${callback.phone} (callback ${callback.id}).`, idempotencyKey: `callback-due:${callback.id}:${agent.user_id}` });
        reminded.push(agent.user_id);
      }
    }
    await teamTrace(ctx, tx, {
      orgId: callback.org_id,
      contactId: callback.contact_id,
      kind: 'reply_agent',
      subjectId: callback.id,
      message: `callback ${callback.id} due: the team was reminded${reminded.length ? ` (texted ${reminded.join(', ')})` : ''}`,
    });
  });
}

export interface CallbackFilter {
  state?: CallbackState;
  contactId?: string;
  limit: number;
}

export async function listCallbacks(ctx: AppContext, orgId: string, filter: CallbackFilter): Promise<Callback[]> {
  let q = ctx.db.kysely.selectFrom('callbacks').selectAll().where('org_id', '=', orgId);
  if (filter.state) q = q.where('state', '=', filter.state);
  if (filter.contactId) q = q.where('contact_id', '=', filter.contactId);
  return q.orderBy('due_at').orderBy('id').limit(filter.limit).execute();
}

export async function updateCallback(
  ctx: AppContext,
  orgId: string,
  id: string,
  patch: { state?: CallbackState; assigned_user_id?: string | null; assigned_team_id?: string | null; due_at?: string },
): Promise<Callback> {
  const callback = await ctx.db.kysely.selectFrom('callbacks').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
  if (!callback) throw notFound('callback', id);
  if (patch.assigned_user_id) {
    const user = await ctx.db.kysely.selectFrom('users').select('id').where('id', '=', patch.assigned_user_id).where('org_id', '=', orgId).executeTakeFirst();
    if (!user) throw new AppError('validation_failed', `assigned_user_id: ${patch.assigned_user_id} is not a user of this organization`, [{ field: 'assigned_user_id', message: 'unknown user' }]);
  }
  if (patch.assigned_team_id) {
    const team = await ctx.db.kysely.selectFrom('teams').select('id').where('id', '=', patch.assigned_team_id).where('org_id', '=', orgId).executeTakeFirst();
    if (!team) throw new AppError('validation_failed', `assigned_team_id: ${patch.assigned_team_id} is not a team of this organization`, [{ field: 'assigned_team_id', message: 'unknown team' }]);
  }
  const now = ctx.clock.now();
  const dueAt = patch.due_at !== undefined ? Date.parse(patch.due_at) : undefined;
  if (dueAt !== undefined && Number.isNaN(dueAt)) throw new AppError('validation_failed', 'due_at: must be an ISO 8601 instant', [{ field: 'due_at', message: 'must be an ISO 8601 instant' }]);
  const set = {
    ...(patch.state ? { state: patch.state } : {}),
    ...(patch.assigned_user_id !== undefined ? { assigned_user_id: patch.assigned_user_id } : {}),
    ...(patch.assigned_team_id !== undefined ? { assigned_team_id: patch.assigned_team_id } : {}),
    ...(dueAt !== undefined ? { due_at: dueAt, reminded_at: null } : {}),
    updated_at: now,
  };
  await transaction(ctx, async (tx) => {
    await tx.updateTable('callbacks').set(set).where('id', '=', id).execute();
    if (dueAt !== undefined) {
      await enqueue(tx, ctx.clock, { kind: CALLBACK_DUE_JOB, orgId, payload: { callbackId: id }, runAt: Math.max(now, dueAt), uniqueKey: `${CALLBACK_DUE_JOB}:${id}`, replace: true });
    }
  });
  return { ...callback, ...set };
}
