/**
 * A parsed search query (core's parseQuery) as SQL, through Kysely's `sql` tag, for SQLite and
 * PostgreSQL alike. Every value the user wrote is a bound parameter: the SQL text comes only from
 * this file (column and table names, operators), never from the query. Every table read is
 * filtered on the organization, in every subquery, so no input reaches another organization's rows.
 *
 * Each predicate is two-valued (true or false, never NULL), so that `not` means what the in-memory
 * evaluator (core's evaluate.ts) means: nullable columns are coalesced or tested `is not null`.
 *
 * The counters and sms(…)/call(…) clauses are subqueries on the contact's texts and calls: through
 * the indexes on messages(contact_id, created_at) and calls(contact_id, created_at) for each contact
 * of the page, or, when the clause bounds `created` from below (today, yesterday, -7d), as the set of
 * contacts with such texts read through messages(org_id, created_at, id): a small set, whatever the
 * size of the organization.
 */
import { ERROR_STATUSES, SENT_STATUSES, type Node, type Test } from '@textback/core';
import { sql, type RawBuilder } from 'kysely';
import type { Dialect } from '../db/dialect.js';

type Sql = RawBuilder<unknown>;

export interface CompileContext {
  orgId: string;
  /** The user asking: `assignee:me`. */
  userId: string;
  dialect: Dialect;
}

const TRUE = sql`1 = 1`;
const FALSE = sql`1 = 0`;

function and(parts: Sql[]): Sql {
  if (parts.length === 0) return TRUE;
  if (parts.length === 1) return parts[0]!;
  return sql`(${sql.join(parts, sql` and `)})`;
}

function or(parts: Sql[]): Sql {
  if (parts.length === 0) return FALSE;
  if (parts.length === 1) return parts[0]!;
  return sql`(${sql.join(parts, sql` or `)})`;
}

const not = (p: Sql): Sql => sql`not (${p})`;

/** `%value%` for LIKE, with LIKE's own characters escaped (escape '\'). */
function likePattern(value: string): string {
  return `%${value.replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
}

const contains = (column: Sql, value: string): Sql => sql`lower(coalesce(${column}, '')) like ${likePattern(value)} escape '\\'`;
const equalsText = (column: Sql, value: string): Sql => sql`lower(coalesce(${column}, '')) = ${value}`;
const inValues = (column: Sql, values: string[]): Sql => (values.length === 0 ? FALSE : sql`${column} in (${sql.join(values)})`);

/** A range on a NOT NULL expression. */
function range(column: Sql, t: Extract<Test, { type: 'range' }>): Sql {
  const parts: Sql[] = [];
  if (t.gte !== null) parts.push(sql`${column} >= ${t.gte}`);
  if (t.lt !== null) parts.push(sql`${column} < ${t.lt}`);
  return and(parts);
}

/** A range on a nullable expression: false when it is null. */
const nullableRange = (column: Sql, t: Extract<Test, { type: 'range' }>): Sql => and([sql`${column} is not null`, range(column, t)]);

function phone(column: Sql, t: Extract<Test, { type: 'phone' }>): Sql {
  return t.e164 !== null ? sql`${column} = ${t.e164}` : sql`${column} like ${`%${t.digits}%`}`;
}

function expect<T extends Test['type']>(t: Test, type: T, field: string): Extract<Test, { type: T }> {
  if (t.type !== type) throw new Error(`search: ${field} expects a ${type} test, got ${t.type}`);
  return t as Extract<Test, { type: T }>;
}

/** Whether a sms(…)/call(…) clause bounds `created` from below: then the set of matching rows is small. */
function boundsCreatedFromBelow(node: Node | null): boolean {
  if (!node) return false;
  if (node.kind === 'field') return node.field === 'created' && node.test.type === 'range' && node.test.gte !== null;
  if (node.kind === 'and') return node.items.some(boundsCreatedFromBelow);
  if (node.kind === 'or') return node.items.length > 0 && node.items.every(boundsCreatedFromBelow);
  return false;
}

/**
 * Compiles a query's tree for rows of `contacts c` (the contacts list) or `conversations v` joined
 * to their `contacts c` (the conversations list: conversation fields test `v` itself; on the
 * contacts list they test any of the contact's conversations).
 */
export class SearchCompiler {
  constructor(
    private readonly cx: CompileContext,
    private readonly list: 'contacts' | 'conversations',
  ) {}

  where(node: Node): Sql {
    switch (node.kind) {
      case 'and':
        return and(node.items.map((n) => this.where(n)));
      case 'or':
        return or(node.items.map((n) => this.where(n)));
      case 'not':
        // "Has no such text (call)" is asked of the contacts the rest of the query keeps, one probe of
        // the contact's own index each: the list form would first gather every contact with such a
        // text in the period (40,000 texts of a day at 1,000,000 texts: 0.5 s, against 15 ms).
        if (node.item.kind === 'relation') return not(node.item.relation === 'sms' ? this.smsOfContact(node.item.where) : this.callOfContact(node.item.where));
        return not(this.where(node.item));
      case 'text':
        return this.text(node);
      case 'relation':
        return node.relation === 'sms' ? this.smsClause(node.where) : this.callClause(node.where);
      case 'field':
        return this.contactField(node);
    }
  }

  private get org() {
    return this.cx.orgId;
  }

  /**
   * The organization test of a subquery correlated to one contact or conversation: offered
   * `org_id = ?`, SQLite probed the organization's index (all its texts, for every contact: 17 s
   * for a page among 10,000 contacts) instead of the contact's (db/dialect.ts residualEquals).
   */
  private sameOrg(alias: 'm' | 'k'): Sql {
    return this.cx.dialect.residualEquals(sql.ref(`${alias}.org_id`), this.org);
  }

  private text(node: Extract<Node, { kind: 'text' }>): Sql {
    if (node.phone) return sql`c.e164 = ${node.phone}`;
    return or([
      contains(sql`c.name`, node.value),
      ...(node.digits ? [sql`c.e164 like ${`%${node.digits}%`}`] : []),
      // `limit 1 offset 0` keeps PostgreSQL from hashing every text of the organization (a sequential
      // scan, 2 s at 1,000,000 texts) to answer a page that the first thousand contacts fill.
      sql`exists (select 1 from messages m where ${this.sameOrg('m')} and m.contact_id = c.id and ${contains(sql`m.body`, node.value)} limit 1 offset 0)`,
    ]);
  }

  /** The contact's texts: `m` rows of this contact matching `extra`. */
  private messagesOfContact(extra: Sql): Sql {
    return sql`from messages m where ${this.sameOrg('m')} and m.contact_id = c.id and ${extra}`;
  }

  private count(from: Sql, t: Test, field: string): Sql {
    const r = expect(t, 'range', field);
    if (r.gte === 1 && r.lt === null) return sql`exists (select 1 ${from})`;
    if ((r.gte === null || r.gte <= 0) && r.lt === 1) return sql`not exists (select 1 ${from})`;
    return range(sql`(select count(*) ${from})`, r);
  }

  private contactField(node: Extract<Node, { kind: 'field' }>): Sql {
    const t = node.test;
    switch (node.field) {
      case 'name':
        return contains(sql`c.name`, expect(t, 'contains', 'name').value);
      case 'phone':
        return phone(sql`c.e164`, expect(t, 'phone', 'phone'));
      case 'source':
        return equalsText(sql`c.source`, expect(t, 'equals', 'source').value);
      case 'created':
        return range(sql`c.created_at`, expect(t, 'range', 'created'));
      case 'updated':
        return range(sql`c.updated_at`, expect(t, 'range', 'updated'));
      case 'attr': {
        const member = this.cx.dialect.jsonMemberText(sql`c.attributes`, node.attribute!);
        return sql`(${member} is not null and ${member} = ${expect(t, 'equals', 'attr').value})`;
      }
      case 'opted_out': {
        const state = this.consentState();
        return expect(t, 'bool', 'opted_out').value ? sql`${state} = 'opted_out'` : sql`${state} <> 'opted_out'`;
      }
      case 'consent':
        return inValues(this.consentState(), expect(t, 'in', 'consent').values);
      case 'suppressed': {
        const listed = sql`exists (select 1 from suppressions s where s.org_id = ${this.org} and s.e164 = c.e164)`;
        return expect(t, 'bool', 'suppressed').value ? listed : not(listed);
      }
      case 'assignee':
      case 'team':
      case 'number':
      case 'status':
      case 'unread':
      case 'last_inbound':
      case 'last_outbound':
        return this.conversationField(node);
      case 'failed_sms':
        return this.count(this.messagesOfContact(sql`m.direction = 'outbound' and ${inValues(sql`m.status`, [...ERROR_STATUSES])}`), t, 'failed_sms');
      case 'sms_sent':
        return this.count(this.messagesOfContact(sql`m.direction = 'outbound' and ${inValues(sql`m.status`, [...SENT_STATUSES])}`), t, 'sms_sent');
      case 'sms_received':
        return this.count(this.messagesOfContact(sql`m.direction = 'inbound'`), t, 'sms_received');
      case 'missed_calls':
        return this.count(sql`from calls k where ${this.sameOrg('k')} and k.contact_id = c.id and k.outcome = 'missed'`, t, 'missed_calls');
      case 'latest_sms_status': {
        const latest = sql`(select m.status from messages m where ${this.sameOrg('m')} and m.contact_id = c.id and m.direction = 'outbound' order by m.created_at desc, m.id desc limit 1)`;
        return inValues(sql`coalesce(${latest}, '')`, expect(t, 'in', 'latest_sms_status').values);
      }
    }
    throw new Error(`search: no SQL for contact field ${node.field}`);
  }

  private consentState(): Sql {
    return sql`coalesce((select e.state from consent_events e where e.org_id = ${this.org} and e.contact_id = c.id order by e.created_at desc, e.id desc limit 1), 'none')`;
  }

  /** On the conversations list, the row `v`; on the contacts list, any conversation of the contact. */
  private conversationField(node: Extract<Node, { kind: 'field' }>): Sql {
    if (this.list === 'conversations') return this.onConversation(sql`v`, node);
    return sql`exists (select 1 from conversations cv where cv.org_id = ${this.org} and cv.contact_id = c.id and ${this.onConversation(sql`cv`, node)})`;
  }

  private onConversation(v: Sql, node: Extract<Node, { kind: 'field' }>): Sql {
    const t = node.test;
    switch (node.field) {
      case 'assignee': {
        const ref = expect(t, 'ref', 'assignee').value;
        if (ref === null) return sql`${v}.assigned_user_id is null`;
        if (ref === 'me') return sql`(${v}.assigned_user_id is not null and ${v}.assigned_user_id = ${this.cx.userId})`;
        return sql`(${v}.assigned_user_id is not null and ${v}.assigned_user_id in (select u.id from users u where u.org_id = ${this.org} and (lower(u.id) = ${ref} or lower(u.email) = ${ref})))`;
      }
      case 'team': {
        const ref = expect(t, 'ref', 'team').value;
        if (ref === null) return sql`${v}.assigned_team_id is null`;
        return sql`(${v}.assigned_team_id is not null and ${v}.assigned_team_id in (select tm.id from teams tm where tm.org_id = ${this.org} and (lower(tm.id) = ${ref} or lower(tm.name) = ${ref})))`;
      }
      case 'number':
        return this.businessNumber(sql`${v}.number_id`, expect(t, 'phone', 'number'));
      case 'status':
        return inValues(sql`${v}.status`, expect(t, 'in', 'status').values);
      case 'unread':
        return expect(t, 'bool', 'unread').value ? sql`${v}.unread_count > 0` : sql`${v}.unread_count <= 0`;
      case 'last_inbound':
      case 'last_outbound': {
        const direction = node.field === 'last_inbound' ? 'inbound' : 'outbound';
        // No text that way: null, and the test is false (case … else 0), also under not.
        const latest = sql`(select max(m.created_at) from messages m where ${this.sameOrg('m')} and m.conversation_id = ${v}.id and m.direction = ${direction})`;
        return sql`(case when ${nullableRange(latest, expect(t, 'range', node.field))} then 1 else 0 end) = 1`;
      }
    }
    throw new Error(`search: no SQL for conversation field ${node.field}`);
  }

  private businessNumber(column: Sql, t: Extract<Test, { type: 'phone' }>): Sql {
    return sql`${column} in (select n.id from phone_numbers n where n.org_id = ${this.org} and ${phone(sql`n.e164`, t)})`;
  }

  private smsClause(where: Node | null): Sql {
    if (boundsCreatedFromBelow(where)) return sql`c.id in (select m.contact_id from messages m where m.org_id = ${this.org} and ${where ? this.message(where) : TRUE})`;
    return this.smsOfContact(where);
  }

  /** The contact has such a text, asked through the contact's own index. */
  private smsOfContact(where: Node | null): Sql {
    return sql`exists (select 1 from messages m where ${this.sameOrg('m')} and m.contact_id = c.id and ${where ? this.message(where) : TRUE})`;
  }

  private callClause(where: Node | null): Sql {
    if (boundsCreatedFromBelow(where)) return sql`c.id in (select k.contact_id from calls k where k.org_id = ${this.org} and ${where ? this.call(where) : TRUE})`;
    return this.callOfContact(where);
  }

  /** The contact has such a call, asked through the contact's own index. */
  private callOfContact(where: Node | null): Sql {
    return sql`exists (select 1 from calls k where ${this.sameOrg('k')} and k.contact_id = c.id and ${where ? this.call(where) : TRUE})`;
  }

  private message(node: Node): Sql {
    switch (node.kind) {
      case 'and':
        return and(node.items.map((n) => this.message(n)));
      case 'or':
        return or(node.items.map((n) => this.message(n)));
      case 'not':
        return not(this.message(node.item));
      case 'text':
        return contains(sql`m.body`, node.value);
      case 'relation':
        throw new Error('search: relations do not nest');
      case 'field': {
        const t = node.test;
        switch (node.field) {
          case 'direction':
            return inValues(sql`m.direction`, expect(t, 'in', 'direction').values);
          case 'status':
            return inValues(sql`m.status`, expect(t, 'in', 'status').values);
          case 'reason':
            return equalsText(sql`m.reason`, expect(t, 'equals', 'reason').value);
          case 'error_code':
            return equalsText(sql`m.error_code`, expect(t, 'equals', 'error_code').value);
          case 'created':
            return range(sql`m.created_at`, expect(t, 'range', 'created'));
          case 'number':
            return this.businessNumber(sql`m.number_id`, expect(t, 'phone', 'number'));
          case 'automation': {
            const ref = expect(t, 'equals', 'automation').value;
            return sql`(m.automation_run_id is not null and m.automation_run_id in (select r.id from automation_runs r where r.org_id = ${this.org} and r.automation_id in (select a.id from automations a where a.org_id = ${this.org} and (lower(a.id) = ${ref} or lower(a.name) = ${ref}))))`;
          }
          case 'variant':
            return equalsText(sql`m.variant_id`, expect(t, 'equals', 'variant').value);
          case 'body':
            return contains(sql`m.body`, expect(t, 'contains', 'body').value);
        }
        throw new Error(`search: no SQL for sms field ${node.field}`);
      }
    }
  }

  private call(node: Node): Sql {
    switch (node.kind) {
      case 'and':
        return and(node.items.map((n) => this.call(n)));
      case 'or':
        return or(node.items.map((n) => this.call(n)));
      case 'not':
        return not(this.call(node.item));
      case 'text':
      case 'relation':
        throw new Error(`search: ${node.kind} inside call()`);
      case 'field': {
        const t = node.test;
        switch (node.field) {
          case 'status':
            return inValues(sql`coalesce(k.outcome, '')`, expect(t, 'in', 'status').values);
          case 'direction':
            return inValues(sql`k.direction`, expect(t, 'in', 'direction').values);
          case 'created':
            return range(sql`k.created_at`, expect(t, 'range', 'created'));
          case 'duration':
            return nullableRange(sql`k.duration_s`, expect(t, 'range', 'duration'));
          case 'number':
            return this.businessNumber(sql`k.number_id`, expect(t, 'phone', 'number'));
        }
        throw new Error(`search: no SQL for call field ${node.field}`);
      }
    }
  }
}
