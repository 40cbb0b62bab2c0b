/**
 * A plain in-memory evaluation of a parsed query over rows shaped like Textback's tables. It is the
 * definition the SQL compiler is tested against (the same query over the same rows must return the
 * same contacts and conversations, in the same order), and it reads like the documentation of each
 * field: nothing here is tuned for speed.
 */
import type { Node, ParsedQuery, Test } from './ast.js';
import { ERROR_STATUSES, SENT_STATUSES } from './fields.js';

export interface SearchRows {
  contacts: { id: string; org_id: string; e164: string; name: string | null; source: string | null; attributes: string; created_at: number; updated_at: number }[];
  conversations: {
    id: string;
    org_id: string;
    contact_id: string;
    number_id: string;
    status: string;
    assigned_user_id: string | null;
    assigned_team_id: string | null;
    unread_count: number;
    created_at: number;
    updated_at: number;
  }[];
  messages: {
    id: string;
    org_id: string;
    contact_id: string;
    conversation_id: string;
    number_id: string;
    direction: string;
    status: string;
    reason: string | null;
    error_code: string | null;
    body: string;
    automation_run_id: string | null;
    variant_id: string | null;
    created_at: number;
  }[];
  calls: { id: string; org_id: string; contact_id: string; number_id: string; direction: string; outcome: string | null; duration_s: number | null; created_at: number }[];
  consent_events: { id: string; org_id: string; contact_id: string; state: string; created_at: number }[];
  suppressions: { org_id: string; e164: string }[];
  users: { id: string; org_id: string; email: string }[];
  teams: { id: string; org_id: string; name: string }[];
  phone_numbers: { id: string; org_id: string; e164: string }[];
  automations: { id: string; org_id: string; name: string }[];
  automation_runs: { id: string; org_id: string; automation_id: string }[];
}

export interface EvaluateOptions {
  orgId: string;
  /** The user asking: `assignee:me`. */
  userId: string;
}

type Contact = SearchRows['contacts'][number];
type Conversation = SearchRows['conversations'][number];
type Message = SearchRows['messages'][number];
type Call = SearchRows['calls'][number];

const lower = (s: string | null | undefined) => (s ?? '').toLowerCase();
const inRange = (t: Extract<Test, { type: 'range' }>, v: number | null | undefined) =>
  v !== null && v !== undefined && (t.gte === null || v >= t.gte) && (t.lt === null || v < t.lt);
const byLatest = <T extends { created_at: number; id: string }>(a: T, b: T) => b.created_at - a.created_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** The ids of the organization's contacts matching, in the query's order (newest first by default). */
export function evaluateContacts(parsed: ParsedQuery, rows: SearchRows, options: EvaluateOptions): string[] {
  const ev = new Evaluator(rows, options);
  const matches = rows.contacts.filter((c) => c.org_id === options.orgId && (parsed.where === null || ev.contact(parsed.where, c, null)));
  return order(matches, parsed, (c) => c).map((c) => c.id);
}

/** The ids of the organization's conversations matching, in the query's order. */
export function evaluateConversations(parsed: ParsedQuery, rows: SearchRows, options: EvaluateOptions): string[] {
  const ev = new Evaluator(rows, options);
  const contacts = new Map(rows.contacts.map((c) => [c.id, c]));
  const matches = rows.conversations.filter((v) => v.org_id === options.orgId && (parsed.where === null || ev.contact(parsed.where, contacts.get(v.contact_id)!, v)));
  return order(matches, parsed, (v) => contacts.get(v.contact_id)!).map((v) => v.id);
}

function order<T extends { id: string; created_at: number; updated_at: number }>(items: T[], parsed: ParsedQuery, contactOf: (t: T) => Contact): T[] {
  const sort = parsed.sort ?? { field: 'created', direction: 'desc' };
  const key = (t: T): number | string => (sort.field === 'name' ? lower(contactOf(t).name) : sort.field === 'updated' ? t.updated_at : t.created_at);
  const sign = sort.direction === 'asc' ? 1 : -1;
  return [...items].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka !== kb) return (ka < kb ? -1 : 1) * sign;
    return (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) * sign;
  });
}

class Evaluator {
  constructor(
    private readonly rows: SearchRows,
    private readonly o: EvaluateOptions,
  ) {}

  private messagesOf(c: Contact) {
    return this.rows.messages.filter((m) => m.org_id === this.o.orgId && m.contact_id === c.id);
  }

  private callsOf(c: Contact) {
    return this.rows.calls.filter((k) => k.org_id === this.o.orgId && k.contact_id === c.id);
  }

  /** `conversation`: the row of the conversations list; null on the contacts list (any conversation of the contact). */
  contact(node: Node, c: Contact, conversation: Conversation | null): boolean {
    switch (node.kind) {
      case 'and':
        return node.items.every((n) => this.contact(n, c, conversation));
      case 'or':
        return node.items.some((n) => this.contact(n, c, conversation));
      case 'not':
        return !this.contact(node.item, c, conversation);
      case 'text':
        if (node.phone) return c.e164 === node.phone;
        return (
          lower(c.name).includes(node.value) ||
          (node.digits !== null && c.e164.includes(node.digits)) ||
          this.messagesOf(c).some((m) => lower(m.body).includes(node.value))
        );
      case 'relation':
        return node.relation === 'sms'
          ? this.messagesOf(c).some((m) => node.where === null || this.message(node.where, m))
          : this.callsOf(c).some((k) => node.where === null || this.call(node.where, k));
      case 'field':
        return this.contactField(node, c, conversation);
    }
  }

  private contactField(node: Extract<Node, { kind: 'field' }>, c: Contact, conversation: Conversation | null): boolean {
    const t = node.test;
    const conversations = () =>
      conversation ? [conversation] : this.rows.conversations.filter((v) => v.org_id === this.o.orgId && v.contact_id === c.id);
    const count = (pred: (m: Message) => boolean) => this.messagesOf(c).filter(pred).length;
    switch (node.field) {
      case 'name':
        return t.type === 'contains' && lower(c.name).includes(t.value);
      case 'phone':
        return t.type === 'phone' && phoneMatches(t, c.e164);
      case 'source':
        return t.type === 'equals' && lower(c.source) === t.value;
      case 'created':
        return t.type === 'range' && inRange(t, c.created_at);
      case 'updated':
        return t.type === 'range' && inRange(t, c.updated_at);
      case 'attr':
        return t.type === 'equals' && attributeText(c.attributes, node.attribute!) === t.value;
      case 'opted_out':
        return t.type === 'bool' && (this.consentOf(c) === 'opted_out') === t.value;
      case 'consent':
        return t.type === 'in' && t.values.includes(this.consentOf(c));
      case 'suppressed':
        return t.type === 'bool' && this.rows.suppressions.some((s) => s.org_id === this.o.orgId && s.e164 === c.e164) === t.value;
      case 'assignee':
        return t.type === 'ref' && conversations().some((v) => this.userMatches(t.value, v.assigned_user_id));
      case 'team':
        return t.type === 'ref' && conversations().some((v) => this.teamMatches(t.value, v.assigned_team_id));
      case 'number':
        return t.type === 'phone' && conversations().some((v) => this.numberMatches(t, v.number_id));
      case 'status':
        return t.type === 'in' && conversations().some((v) => t.values.includes(v.status));
      case 'unread':
        return t.type === 'bool' && conversations().some((v) => v.unread_count > 0 === t.value);
      case 'last_inbound':
      case 'last_outbound': {
        const direction = node.field === 'last_inbound' ? 'inbound' : 'outbound';
        return (
          t.type === 'range' &&
          conversations().some((v) => {
            const times = this.rows.messages.filter((m) => m.org_id === this.o.orgId && m.conversation_id === v.id && m.direction === direction).map((m) => m.created_at);
            return times.length > 0 && inRange(t, Math.max(...times));
          })
        );
      }
      case 'failed_sms':
        return t.type === 'range' && inRange(t, count((m) => m.direction === 'outbound' && (ERROR_STATUSES as readonly string[]).includes(m.status)));
      case 'sms_sent':
        return t.type === 'range' && inRange(t, count((m) => m.direction === 'outbound' && (SENT_STATUSES as readonly string[]).includes(m.status)));
      case 'sms_received':
        return t.type === 'range' && inRange(t, count((m) => m.direction === 'inbound'));
      case 'missed_calls':
        return t.type === 'range' && inRange(t, this.callsOf(c).filter((k) => k.outcome === 'missed').length);
      case 'latest_sms_status': {
        const latest = this.messagesOf(c).filter((m) => m.direction === 'outbound').sort(byLatest)[0];
        return t.type === 'in' && latest !== undefined && t.values.includes(latest.status);
      }
    }
    throw new Error(`no evaluation of contact field ${node.field}`);
  }

  private consentOf(c: Contact): string {
    const latest = this.rows.consent_events.filter((e) => e.org_id === this.o.orgId && e.contact_id === c.id).sort(byLatest)[0];
    return latest?.state ?? 'none';
  }

  private userMatches(value: string | null, userId: string | null): boolean {
    if (value === null) return userId === null;
    if (value === 'me') return userId === this.o.userId;
    return userId !== null && this.rows.users.some((u) => u.org_id === this.o.orgId && u.id === userId && (lower(u.id) === value || lower(u.email) === value));
  }

  private teamMatches(value: string | null, teamId: string | null): boolean {
    if (value === null) return teamId === null;
    return teamId !== null && this.rows.teams.some((x) => x.org_id === this.o.orgId && x.id === teamId && (lower(x.id) === value || lower(x.name) === value));
  }

  private numberMatches(t: Extract<Test, { type: 'phone' }>, numberId: string): boolean {
    return this.rows.phone_numbers.some((n) => n.org_id === this.o.orgId && n.id === numberId && phoneMatches(t, n.e164));
  }

  private message(node: Node, m: Message): boolean {
    switch (node.kind) {
      case 'and':
        return node.items.every((n) => this.message(n, m));
      case 'or':
        return node.items.some((n) => this.message(n, m));
      case 'not':
        return !this.message(node.item, m);
      case 'text':
        return lower(m.body).includes(node.value);
      case 'relation':
        throw new Error('relations do not nest');
      case 'field': {
        const t = node.test;
        switch (node.field) {
          case 'direction':
            return t.type === 'in' && t.values.includes(m.direction);
          case 'status':
            return t.type === 'in' && t.values.includes(m.status);
          case 'reason':
            return t.type === 'equals' && lower(m.reason) === t.value;
          case 'error_code':
            return t.type === 'equals' && lower(m.error_code) === t.value;
          case 'created':
            return t.type === 'range' && inRange(t, m.created_at);
          case 'number':
            return t.type === 'phone' && this.numberMatches(t, m.number_id);
          case 'automation': {
            if (t.type !== 'equals' || m.automation_run_id === null) return false;
            const run = this.rows.automation_runs.find((r) => r.org_id === this.o.orgId && r.id === m.automation_run_id);
            return run !== undefined && this.rows.automations.some((a) => a.org_id === this.o.orgId && a.id === run.automation_id && (lower(a.id) === t.value || lower(a.name) === t.value));
          }
          case 'variant':
            return t.type === 'equals' && lower(m.variant_id) === t.value;
          case 'body':
            return t.type === 'contains' && lower(m.body).includes(t.value);
        }
        throw new Error(`no evaluation of sms field ${node.field}`);
      }
    }
  }

  private call(node: Node, k: Call): boolean {
    switch (node.kind) {
      case 'and':
        return node.items.every((n) => this.call(n, k));
      case 'or':
        return node.items.some((n) => this.call(n, k));
      case 'not':
        return !this.call(node.item, k);
      case 'text':
      case 'relation':
        throw new Error(`${node.kind} inside call()`);
      case 'field': {
        const t = node.test;
        switch (node.field) {
          case 'status':
            return t.type === 'in' && k.outcome !== null && t.values.includes(k.outcome);
          case 'direction':
            return t.type === 'in' && t.values.includes(k.direction);
          case 'created':
            return t.type === 'range' && inRange(t, k.created_at);
          case 'duration':
            return t.type === 'range' && inRange(t, k.duration_s);
          case 'number':
            return t.type === 'phone' && this.numberMatches(t, k.number_id);
        }
        throw new Error(`no evaluation of call field ${node.field}`);
      }
    }
  }
}

function phoneMatches(t: Extract<Test, { type: 'phone' }>, e164: string): boolean {
  return t.e164 !== null ? e164 === t.e164 : e164.includes(t.digits);
}

/** An attribute's value as text (lower case), as the SQL compiler reads it: strings, numbers and booleans; null otherwise. */
export function attributeText(attributes: string, name: string): string | null {
  let value: unknown;
  try {
    value = (JSON.parse(attributes) as Record<string, unknown>)[name];
  } catch {
    return null;
  }
  if (typeof value === 'string') return value.toLowerCase();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}
