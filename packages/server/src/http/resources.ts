/** How rows are shown through the API: ISO instants, parsed JSON, no internal columns. */
import { describeDeliveryFailure } from '@textback/core';
import type { Call, Contact, Job, Message, PhoneNumber, SavedReply, User, View } from '../db/schema.js';
import { templateVariables, type InboxRow, type NoteWithAuthor } from '../use-cases/inbox.js';

/** An instant as the API shows it: ISO 8601 in UTC, or null. */
export function iso(ms: number): string;
export function iso(ms: number | null | undefined): string | null;
export function iso(ms: number | null | undefined): string | null {
  return ms == null ? null : new Date(ms).toISOString();
}

/**
 * "held for quiet hours until …", "blocked: opted_out (rule CONSENT)", "undelivered: the carrier says
 * +1 415 555 0803 is a landline or unreachable (30006)": what a person reads beside the status.
 */
function statusDetail(m: Message): string | null {
  if (m.status === 'held' && m.held_until != null) return `held for ${(m.reason ?? 'compliance').replace(/_/g, ' ')} until ${iso(m.held_until)} (rule ${m.rule ?? '?'})`;
  if (m.status === 'blocked') return `blocked: ${m.reason ?? 'compliance'} (rule ${m.rule ?? '?'})`;
  if (m.status === 'failed' || m.status === 'undelivered') return `${m.status}: ${describeDeliveryFailure({ reason: m.reason, errorCode: m.error_code, to: m.to_e164 })}`;
  return null;
}

export const messageResource = (m: Message) => ({
  id: m.id,
  object: 'message' as const,
  direction: m.direction,
  from: m.from_e164,
  to: m.to_e164,
  body: m.body,
  media: m.media ? (JSON.parse(m.media) as string[]) : [],
  status: m.status,
  reason: m.reason,
  error_code: m.error_code,
  // Compliance: the rule that held or blocked it, until when, and flags (keyword, likely_opt_out, landline).
  status_detail: statusDetail(m),
  rule: m.rule,
  held_until: iso(m.held_until),
  flags: m.flags ? (JSON.parse(m.flags) as Record<string, unknown>) : {},
  encoding: m.encoding,
  segments: m.segments,
  carrier: m.carrier,
  carrier_message_id: m.carrier_message_id,
  contact_id: m.contact_id,
  conversation_id: m.conversation_id,
  number_id: m.number_id,
  created_by: { type: m.created_by_type, id: m.created_by_id },
  // An automation's text: which automation, which run of it, and the A/B variant it chose.
  automation_id: m.created_by_type === 'automation' ? m.created_by_id : null,
  automation_run_id: m.automation_run_id,
  variant_id: m.variant_id,
  scheduled_at: iso(m.scheduled_at),
  sent_at: iso(m.sent_at),
  delivered_at: iso(m.delivered_at),
  failed_at: iso(m.failed_at),
  created_at: iso(m.created_at),
  updated_at: iso(m.updated_at),
});

export const contactResource = (c: Contact) => ({
  id: c.id,
  object: 'contact' as const,
  phone: c.e164,
  name: c.name,
  source: c.source,
  time_zone: c.time_zone,
  attributes: JSON.parse(c.attributes) as Record<string, unknown>,
  created_at: iso(c.created_at),
  updated_at: iso(c.updated_at),
});

export const conversationResource = ({ conversation: c, contact, lastMessage }: InboxRow) => ({
  id: c.id,
  object: 'conversation' as const,
  contact_id: c.contact_id,
  number_id: c.number_id,
  // Stored 'closed' is the inbox's 'done'.
  status: c.status === 'closed' ? ('done' as const) : ('open' as const),
  snoozed_until: iso(c.snoozed_until),
  assigned_user_id: c.assigned_user_id,
  assigned_team_id: c.assigned_team_id,
  unread_count: c.unread_count,
  read: c.unread_count === 0,
  last_message_at: iso(c.last_message_at),
  created_at: iso(c.created_at),
  updated_at: iso(c.updated_at),
  contact: { id: contact.id, name: contact.name, phone: contact.e164 },
  last_message: lastMessage
    ? { id: lastMessage.id, direction: lastMessage.direction, body: lastMessage.body.slice(0, 160), status: lastMessage.status, created_at: iso(lastMessage.created_at) }
    : null,
});

export const noteResource = (n: NoteWithAuthor) => ({
  id: n.id,
  object: 'note' as const,
  body: n.body,
  conversation_id: n.conversation_id,
  contact_id: n.contact_id,
  author: n.author_user_id ? { id: n.author_user_id, name: n.author_name } : null,
  created_at: iso(n.created_at),
});

export const savedReplyResource = (r: SavedReply, rendered?: string) => ({
  id: r.id,
  object: 'saved_reply' as const,
  name: r.name,
  body: r.body,
  variables: templateVariables(r.body),
  ...(rendered !== undefined ? { rendered } : {}),
  created_by: r.created_by,
  created_at: iso(r.created_at),
  updated_at: iso(r.updated_at),
});

export const numberResource = (n: PhoneNumber) => ({
  id: n.id,
  object: 'number' as const,
  phone: n.e164,
  name: n.name,
  carrier: n.carrier,
  capabilities: JSON.parse(n.capabilities) as string[],
  team_id: n.team_id,
  carrier_account_id: n.carrier_account_id,
  created_at: iso(n.created_at),
});

export const callResource = (c: Call) => ({
  id: c.id,
  object: 'call' as const,
  direction: c.direction,
  from: c.from_e164,
  to: c.to_e164,
  status: c.status,
  duration_seconds: c.duration_s,
  answered_by: c.answered_by,
  outcome: c.outcome,
  outcome_reason: c.outcome_reason,
  carrier: c.carrier,
  external_id: c.external_id,
  extension: c.extension,
  contact_id: c.contact_id,
  number_id: c.number_id,
  started_at: iso(c.started_at),
  ended_at: iso(c.ended_at),
  created_at: iso(c.created_at),
});

export const jobResource = (j: Job) => ({
  id: j.id,
  object: 'job' as const,
  kind: j.kind,
  state: j.state,
  run_at: iso(j.run_at),
  attempts: j.attempts,
  max_attempts: j.max_attempts,
  unique_key: j.unique_key,
  last_error: j.last_error,
  created_at: iso(j.created_at),
  finished_at: iso(j.finished_at),
});

export const userResource = (u: User) => ({
  id: u.id,
  object: 'user' as const,
  email: u.email,
  name: u.name,
  role: u.role,
  has_password: u.password_hash !== null,
  active: u.deactivated_at == null,
  deactivated_at: iso(u.deactivated_at ?? null),
  created_at: iso(u.created_at),
});

export const viewResource = (v: View) => ({
  id: v.id,
  object: 'view' as const,
  name: v.name,
  query: v.query,
  shared: v.shared === 1,
  owner_user_id: v.owner_user_id,
  created_at: iso(v.created_at),
  updated_at: iso(v.updated_at),
});
