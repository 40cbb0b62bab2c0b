/** A contact's timeline: calls, messages, automation and team decisions, and internal notes, in order. */
import type { AppContext } from '../app-context.js';
import { getContact } from './contacts.js';
import { listNotes } from './inbox.js';

export interface TimelineEntry {
  at: string;
  kind: 'call' | 'message' | 'automation' | 'team' | 'note' | 'reply_agent';
  id: string;
  summary: string;
  data: Record<string, unknown>;
}

export async function contactTimeline(ctx: AppContext, orgId: string, contactId: string, limit = 200): Promise<TimelineEntry[]> {
  await getContact(ctx, orgId, contactId);
  const db = ctx.db.kysely;
  const [calls, messages, steps, teamSteps, notes] = await Promise.all([
    db.selectFrom('calls').selectAll().where('org_id', '=', orgId).where('contact_id', '=', contactId).orderBy('created_at', 'desc').limit(limit).execute(),
    db.selectFrom('messages').selectAll().where('org_id', '=', orgId).where('contact_id', '=', contactId).orderBy('created_at', 'desc').limit(limit).execute(),
    db
      .selectFrom('automation_trace')
      .innerJoin('automations', 'automations.id', 'automation_trace.automation_id')
      .select(['automation_trace.seq', 'automation_trace.run_id', 'automation_trace.automation_id', 'automations.name', 'automation_trace.step', 'automation_trace.type', 'automation_trace.message', 'automation_trace.at'])
      .where('automation_trace.org_id', '=', orgId)
      .where('automation_trace.contact_id', '=', contactId)
      .orderBy('automation_trace.seq', 'desc')
      .limit(limit)
      .execute(),
    // Team decisions (docs/teams.md): speed to lead, forwarding, relays, queue sessions.
    db.selectFrom('team_trace').selectAll().where('org_id', '=', orgId).where('contact_id', '=', contactId).orderBy('seq', 'desc').limit(limit).execute(),
    // Internal notes (never sent).
    listNotes(ctx, orgId, { contactId, limit }),
  ]);
  const entries: (TimelineEntry & { ms: number; order: number })[] = [
    ...calls.map((c) => ({
      ms: c.created_at,
      order: 0,
      at: new Date(c.created_at).toISOString(),
      kind: 'call' as const,
      id: c.id,
      summary: `${c.direction} call: ${c.outcome ?? c.status}${c.outcome_reason ? ` (${c.outcome_reason})` : ''}`,
      data: { direction: c.direction, status: c.status, outcome: c.outcome, duration_seconds: c.duration_s },
    })),
    ...messages.map((m) => ({
      ms: m.created_at,
      order: 1,
      at: new Date(m.created_at).toISOString(),
      kind: 'message' as const,
      id: m.id,
      summary: `${m.direction} text, ${m.status}${m.reason ? ` (${m.reason})` : ''}`,
      data: { direction: m.direction, status: m.status, reason: m.reason, body: m.body, automation_run_id: m.automation_run_id, variant_id: m.variant_id },
    })),
    ...steps.map((s) => ({
      ms: s.at,
      order: 2 + s.seq / 1e12,
      at: new Date(s.at).toISOString(),
      kind: 'automation' as const,
      id: s.run_id,
      summary: `${s.name} · ${s.step}: ${s.message}`,
      data: { automation_id: s.automation_id, run_id: s.run_id, step: s.step, type: s.type, message: s.message },
    })),
    ...teamSteps.map((t) => ({
      ms: t.at,
      order: 3 + t.seq / 1e12,
      at: new Date(t.at).toISOString(),
      kind: t.kind === 'reply_agent' ? ('reply_agent' as const) : ('team' as const),
      id: t.subject_id,
      summary: t.message,
      data: { kind: t.kind, subject_id: t.subject_id, message: t.message },
    })),
    ...notes.map((n) => ({
      ms: n.created_at,
      order: 4,
      at: new Date(n.created_at).toISOString(),
      kind: 'note' as const,
      id: n.id,
      summary: `note by ${n.author_name ?? 'someone'}`,
      data: { body: n.body, conversation_id: n.conversation_id, author: n.author_user_id ? { id: n.author_user_id, name: n.author_name } : null },
    })),
  ];
  entries.sort((a, b) => a.ms - b.ms || a.order - b.order);
  return entries.slice(-limit).map(({ ms: _ms, order: _order, ...rest }) => rest);
}
