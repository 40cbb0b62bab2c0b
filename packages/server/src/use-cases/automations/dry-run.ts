/**
 * Dry runs: what an automation would do, without doing it. Against a sample event, or replaying the
 * organization's real calls (or leads, messages) of the last N days. Delays are skipped over on a
 * simulated clock; texts are rendered and listed with the time they would go out; nothing is sent
 * or written.
 */
import {
  advanceRun,
  callDurationSeconds,
  classifyCall,
  completeStep,
  matchesTrigger,
  startRun,
  type Automation,
  type BusinessHours,
  type CallFacts,
  type RunContext,
  type CallRecord,
  type TraceEntry,
  type TriggerType,
} from '@textback/core';
import type { AppContext } from '../../app-context.js';
import type { Contact } from '../../db/schema.js';

export interface DryRunEvent {
  type: TriggerType;
  at: number;
  number?: string;
  call?: CallFacts;
  contact: { id: string; phone: string; name?: string | null; source?: string | null; attributes?: Record<string, unknown>; lastTextAt?: number; lastReplyAt?: number };
}

export interface DryRunResult {
  event: { type: TriggerType; at: string; number: string | null; call: CallFacts | null; contact: { id: string; phone: string } };
  matched: boolean;
  reason: string;
  would_send: { at: string; to: string; body: string; step: string; variant: string | null }[];
  steps: { at: string; step: string; type: string; message: string; note?: string }[];
  outcome: string;
}

export async function dryRun(ctx: AppContext, orgId: string, automation: Automation, automationId: string, events: DryRunEvent[]): Promise<DryRunResult[]> {
  const org = await ctx.db.kysely.selectFrom('organizations').select(['name', 'time_zone', 'business_hours']).where('id', '=', orgId).executeTakeFirstOrThrow();
  const hours = { ...(JSON.parse(org.business_hours) as object), timeZone: org.time_zone } as BusinessHours;
  // Evaluate as if active: a draft is exactly what one checks before going live.
  const live: Automation = { ...automation, state: 'active' };
  return events.map((event) => simulate(live, automationId, event, hours, org.name));
}

function simulate(automation: Automation, automationId: string, event: DryRunEvent, hours: BusinessHours, business: string): DryRunResult {
  const iso = (ms: number) => new Date(ms).toISOString();
  const base = {
    event: { type: event.type, at: iso(event.at), number: event.number ?? null, call: event.call ?? null, contact: { id: event.contact.id, phone: event.contact.phone } },
  };
  const match = matchesTrigger(automation, { type: event.type, ...(event.number ? { number: event.number } : {}) });
  if (!match.matches) return { ...base, matched: false, reason: match.reason, would_send: [], steps: [], outcome: `not started: ${match.reason}` };

  const attributes: Record<string, string | undefined> = Object.fromEntries(
    Object.entries(event.contact.attributes ?? {}).map(([k, v]) => [k, v == null ? undefined : String(v)]),
  );
  let lastTextAt = event.contact.lastTextAt;
  const sends: DryRunResult['would_send'] = [];
  const steps: TraceEntry[] = [];
  let now = event.at;
  let state = startRun(automation, now);
  const firstName = event.contact.name?.trim().split(/\s+/)[0];
  for (let i = 0; i < 200; i++) {
    const context: RunContext = {
      automationId,
      event: { type: event.type, ...(event.call ? { call: event.call } : {}) },
      contact: {
        id: event.contact.id,
        ...(firstName ? { firstName } : {}),
        ...(event.contact.source ? { source: event.contact.source } : {}),
        attributes,
        ...(lastTextAt !== undefined ? { lastTextAt } : {}),
        ...(event.contact.lastReplyAt !== undefined ? { lastReplyAt: event.contact.lastReplyAt } : {}),
      },
      businessHours: hours,
      variables: { Business: business, ...(event.number ? { Number: event.number } : {}) },
    };
    const result = advanceRun(automation, state, context, now);
    steps.push(...result.trace);
    state = result.state;
    const action = result.action;
    if (action.kind === 'done') {
      return { ...base, matched: true, reason: match.reason, would_send: sends, steps: steps.map((s) => ({ ...s, at: iso(s.at) })), outcome: `${action.reason}: ${action.detail}` };
    }
    if (action.kind === 'wait_until') {
      now = Math.max(now, action.at);
      continue;
    }
    if (action.kind === 'send_sms') {
      sends.push({ at: iso(now), to: event.contact.phone, body: action.body, step: action.step, variant: action.variantId ?? null });
      steps.push({ at: now, step: action.step, type: 'send_sms', message: 'would send a text (dry run: nothing sent)' });
      lastTextAt = now;
    } else if (action.kind === 'update_contact') {
      attributes[action.attribute] = action.value === 'now' ? iso(now) : action.value;
      steps.push({ at: now, step: action.step, type: 'update_contact', message: `would set ${action.attribute}` });
    } else {
      steps.push({ at: now, step: action.step, type: action.kind, message: `would ${action.kind === 'webhook' ? 'call the webhook' : action.kind === 'reply_agent' ? "let the reply agent answer the contact's replies" : 'assign the conversation'}` });
    }
    state = completeStep(state, action.step);
  }
  return { ...base, matched: true, reason: match.reason, would_send: sends, steps: steps.map((s) => ({ ...s, at: iso(s.at) })), outcome: 'stopped after 200 steps' };
}

/** The organization's real calls of the last `days` days, as dry-run events (contacts as they are now). */
export async function recentCallEvents(ctx: AppContext, orgId: string, days: number, limit = 500): Promise<DryRunEvent[]> {
  const since = ctx.clock.now() - days * 86_400_000;
  const calls = await ctx.db.kysely
    .selectFrom('calls')
    .innerJoin('contacts', 'contacts.id', 'calls.contact_id')
    .innerJoin('phone_numbers', 'phone_numbers.id', 'calls.number_id')
    .select([
      'calls.direction',
      'calls.status',
      'calls.duration_s',
      'calls.started_at',
      'calls.ended_at',
      'calls.answered_by',
      'calls.outcome',
      'calls.created_at',
      'phone_numbers.e164 as number',
      'contacts.id as contact_id',
      'contacts.e164 as phone',
      'contacts.name',
      'contacts.source',
      'contacts.attributes',
    ])
    .where('calls.org_id', '=', orgId)
    .where('calls.created_at', '>=', since)
    .orderBy('calls.created_at')
    .limit(limit)
    .execute();
  return calls.map((c) => {
    const record: CallRecord = {
      direction: c.direction,
      status: c.status as CallRecord['status'],
      ...(c.duration_s != null ? { durationSeconds: c.duration_s } : {}),
      ...(c.started_at != null ? { startedAt: Number(c.started_at) } : {}),
      ...(c.ended_at != null ? { endedAt: Number(c.ended_at) } : {}),
    };
    const outcome = (c.outcome as CallFacts['outcome'] | null) ?? classifyCall(record).outcome;
    // What `call.duration` conditions see: the ring time of an unanswered call (core callDurationSeconds).
    const duration = callDurationSeconds(record);
    return {
      type: 'call.completed' as const,
      at: c.created_at,
      number: c.number,
      call: { outcome, direction: c.direction, ...(duration !== undefined ? { durationSeconds: duration } : {}), number: c.number },
      contact: { id: c.contact_id, phone: c.phone, name: c.name, source: c.source, attributes: JSON.parse(c.attributes) as Record<string, unknown> },
    };
  });
}

export function sampleContact(contact: Contact | undefined): DryRunEvent['contact'] {
  if (!contact) return { id: 'sample', phone: '+14155550100', name: 'Alex Sample', attributes: {} };
  return { id: contact.id, phone: contact.e164, name: contact.name, source: contact.source, attributes: JSON.parse(contact.attributes) as Record<string, unknown> };
}
