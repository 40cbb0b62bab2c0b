/**
 * Search (docs/search.md): contacts and conversations matching a query of the search language,
 * newest first or in the query's `sort:` order, paginated with a cursor; the parsed query for the
 * inbox's hints; saved views; a view's contacts as CSV with their counters.
 */
import { findField, isValidTimeZone, parseQuery, QueryError, type Node, type ParsedQuery, type Sort } from '@textback/core';
import { sql, type RawBuilder } from 'kysely';
import type { AppContext } from '../app-context.js';
import type { Contact, Conversation, View } from '../db/schema.js';
import { SearchCompiler } from '../search/compile.js';
import { AppError, notFound } from '../support/errors.js';
import { newId } from '../support/ids.js';
import { csvField } from './compliance/csv.js';
import { getOrganizationBriefly, orgSettings, requireRole, type Principal } from './organizations.js';

export interface SearchInput {
  query: string;
  limit: number;
  cursor?: string | undefined;
  /** IANA zone overriding the organization's (`X-TZ` header or `tz` parameter). */
  timeZone?: string | undefined;
  includeTotal?: boolean | undefined;
}

export interface SearchPage<T> {
  data: T[];
  next_cursor: string | null;
  total?: number;
}

/** Parses `query` for the organization (its time zone and default country unless `timeZone` is given); a bad query is `invalid_query` with its position. */
export async function parseSearch(ctx: AppContext, orgId: string, query: string, timeZone?: string, field = 'query'): Promise<ParsedQuery> {
  const org = await getOrganizationBriefly(ctx, orgId);
  if (timeZone !== undefined && !isValidTimeZone(timeZone)) {
    throw new AppError('validation_failed', `tz: "${timeZone}" is not an IANA time zone (e.g. America/Chicago)`, [{ field: 'tz', message: 'unknown time zone' }]);
  }
  try {
    return parseQuery(query, { now: ctx.clock.now(), zone: timeZone ?? org.time_zone, defaultCountry: orgSettings(org).default_country });
  } catch (error) {
    if (error instanceof QueryError) throw new AppError('invalid_query', `${field}: ${error.message}`, [{ field, message: error.message }], { position: error.position });
    throw error;
  }
}

/**
 * The parsed query for people and the inbox's hints: each term with its place in the query
 * (`pos`..`end`), what it tests, and dates as ISO instants of the period they resolved to.
 */
export function explainQuery(parsed: ParsedQuery) {
  return {
    object: 'search' as const,
    query: parsed.query,
    time_zone: parsed.timeZone,
    sort: parsed.sort ?? { field: 'created', direction: 'desc' },
    where: parsed.where ? explainNode(parsed.where) : null,
  };
}

function explainNode(node: Node): Record<string, unknown> {
  const at = { pos: node.pos, end: node.end };
  switch (node.kind) {
    case 'and':
    case 'or':
      return { kind: node.kind, ...at, items: node.items.map(explainNode) };
    case 'not':
      return { kind: 'not', ...at, item: explainNode(node.item) };
    case 'text':
      return { kind: 'text', ...at, value: node.value, ...(node.phone ? { phone: node.phone } : {}) };
    case 'relation':
      return { kind: node.relation, ...at, where: node.where ? explainNode(node.where) : null };
    case 'field': {
      const t = node.test;
      const isDate = findField(node.scope, node.field)?.type === 'date';
      const test =
        t.type === 'range' && isDate
          ? { type: 'range', from: t.gte === null ? null : new Date(t.gte).toISOString(), before: t.lt === null ? null : new Date(t.lt).toISOString() }
          : t.type === 'range'
            ? { type: 'range', min: t.gte, below: t.lt }
            : t;
      return { kind: 'field', ...at, scope: node.scope, field: node.field, ...(node.attribute !== undefined ? { attribute: node.attribute } : {}), test };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Order and cursor

interface Ordering {
  sort: Sort;
  /** The sort key of a row, in SQL. */
  key: RawBuilder<unknown>;
  /** The sort key of a returned row, for its cursor. */
  keyOf: (row: { created_at: number; updated_at: number }, contactName: string | null) => number | string;
}

function ordering(ctx: AppContext, parsed: ParsedQuery, row: 'c' | 'v'): Ordering {
  const sort = parsed.sort ?? { field: 'created', direction: 'desc' };
  if (sort.field === 'name') {
    return { sort, key: ctx.db.dialect.codePointOrder(sql`lower(coalesce(c.name, ''))`), keyOf: (_r, name) => (name ?? '').toLowerCase() };
  }
  const column = sort.field === 'updated' ? 'updated_at' : 'created_at';
  return { sort, key: sql.ref(`${row}.${column}`), keyOf: (r) => (column === 'updated_at' ? r.updated_at : r.created_at) };
}

function encodeCursor(sort: Sort, key: number | string, id: string): string {
  return Buffer.from(JSON.stringify([`${sort.direction === 'desc' ? '-' : ''}${sort.field}`, key, id])).toString('base64url');
}

function decodeCursor(cursor: string | undefined, sort: Sort): { key: number | string; id: string } | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed) && parsed.length === 3) {
    const [order, key, id] = parsed as [unknown, unknown, unknown];
    const expected = `${sort.direction === 'desc' ? '-' : ''}${sort.field}`;
    const keyType = sort.field === 'name' ? 'string' : 'number';
    if (order === expected && typeof key === keyType && typeof id === 'string') return { key: key as number | string, id };
    if (typeof order === 'string' && order !== expected) {
      throw new AppError('invalid_cursor', `cursor belongs to a search sorted by ${order}, not ${expected}: pass the same query as for the first page`);
    }
  }
  throw new AppError('invalid_cursor', 'cursor is not one this API returned; pass the next_cursor of the previous page');
}

function after(o: Ordering, cursor: { key: number | string; id: string }, idColumn: RawBuilder<unknown>): RawBuilder<unknown> {
  const cmp = o.sort.direction === 'desc' ? sql`<` : sql`>`;
  return sql`(${o.key} ${cmp} ${cursor.key} or (${o.key} = ${cursor.key} and ${idColumn} ${cmp} ${cursor.id}))`;
}

// ---------------------------------------------------------------------------------------------
// Lists

export async function searchContacts(ctx: AppContext, principal: Principal, input: SearchInput): Promise<SearchPage<Contact>> {
  const parsed = await parseSearch(ctx, principal.orgId, input.query, input.timeZone);
  return searchContactsParsed(ctx, principal, parsed, input);
}

export async function searchContactsParsed(ctx: AppContext, principal: Principal, parsed: ParsedQuery, input: Omit<SearchInput, 'query'>): Promise<SearchPage<Contact>> {
  const compiler = new SearchCompiler({ orgId: principal.orgId, userId: principal.userId, dialect: ctx.db.dialect }, 'contacts');
  const predicate = parsed.where ? compiler.where(parsed.where) : sql`1 = 1`;
  const o = ordering(ctx, parsed, 'c');
  const cursor = decodeCursor(input.cursor, o.sort);
  const direction = o.sort.direction;
  const rows = await ctx.db.kysely
    .selectFrom('contacts as c')
    .selectAll('c')
    .where('c.org_id', '=', principal.orgId)
    .where(sql<boolean>`${predicate}`)
    .$if(cursor !== undefined, (q) => q.where(sql<boolean>`${after(o, cursor!, sql.ref('c.id'))}`))
    .orderBy(o.key, direction)
    .orderBy('c.id', direction)
    .limit(input.limit + 1)
    .execute();
  const more = rows.length > input.limit;
  const data = more ? rows.slice(0, input.limit) : rows;
  const last = data[data.length - 1];
  const page: SearchPage<Contact> = { data, next_cursor: more && last ? encodeCursor(o.sort, o.keyOf(last, last.name), last.id) : null };
  if (input.includeTotal) {
    const total = await ctx.db.kysely
      .selectFrom('contacts as c')
      .select(sql<number | string>`count(*)`.as('n'))
      .where('c.org_id', '=', principal.orgId)
      .where(sql<boolean>`${predicate}`)
      .executeTakeFirstOrThrow();
    page.total = Number(total.n);
  }
  return page;
}

export async function searchConversations(ctx: AppContext, principal: Principal, input: SearchInput): Promise<SearchPage<Conversation>> {
  const parsed = await parseSearch(ctx, principal.orgId, input.query, input.timeZone);
  const compiler = new SearchCompiler({ orgId: principal.orgId, userId: principal.userId, dialect: ctx.db.dialect }, 'conversations');
  const predicate = parsed.where ? compiler.where(parsed.where) : sql`1 = 1`;
  const o = ordering(ctx, parsed, 'v');
  const cursor = decodeCursor(input.cursor, o.sort);
  const direction = o.sort.direction;
  const base = () =>
    ctx.db.kysely
      .selectFrom('conversations as v')
      .innerJoin('contacts as c', 'c.id', 'v.contact_id')
      .where('v.org_id', '=', principal.orgId)
      .where('c.org_id', '=', principal.orgId)
      .where(sql<boolean>`${predicate}`);
  const rows = await base()
    .selectAll('v')
    .select('c.name as contact_name')
    .$if(cursor !== undefined, (q) => q.where(sql<boolean>`${after(o, cursor!, sql.ref('v.id'))}`))
    .orderBy(o.key, direction)
    .orderBy('v.id', direction)
    .limit(input.limit + 1)
    .execute();
  const more = rows.length > input.limit;
  const data = more ? rows.slice(0, input.limit) : rows;
  const last = data[data.length - 1];
  const page: SearchPage<Conversation> = {
    data: data.map(({ contact_name: _name, ...v }) => v),
    next_cursor: more && last ? encodeCursor(o.sort, o.keyOf(last, last.contact_name), last.id) : null,
  };
  if (input.includeTotal) {
    const total = await base().select(sql<number | string>`count(*)`.as('n')).executeTakeFirstOrThrow();
    page.total = Number(total.n);
  }
  return page;
}

// ---------------------------------------------------------------------------------------------
// Counters of contacts (the CSV export)

export interface ContactCounters {
  failed_sms: number;
  sms_sent: number;
  sms_received: number;
  missed_calls: number;
  latest_sms_status: string | null;
}

export async function contactCounters(ctx: AppContext, orgId: string, contactIds: string[]): Promise<Map<string, ContactCounters>> {
  const out = new Map<string, ContactCounters>(contactIds.map((id) => [id, { failed_sms: 0, sms_sent: 0, sms_received: 0, missed_calls: 0, latest_sms_status: null }]));
  if (contactIds.length === 0) return out;
  const db = ctx.db.kysely;
  const texts = await db
    .selectFrom('messages as m')
    .select([
      'm.contact_id',
      sql<number>`sum(case when m.direction = 'outbound' and m.status in ('failed', 'undelivered') then 1 else 0 end)`.as('failed'),
      sql<number>`sum(case when m.direction = 'outbound' and m.status in ('sent', 'delivered', 'undelivered', 'failed') then 1 else 0 end)`.as('sent'),
      sql<number>`sum(case when m.direction = 'inbound' then 1 else 0 end)`.as('received'),
    ])
    .where('m.org_id', '=', orgId)
    .where('m.contact_id', 'in', contactIds)
    .groupBy('m.contact_id')
    .execute();
  for (const r of texts) Object.assign(out.get(r.contact_id)!, { failed_sms: Number(r.failed), sms_sent: Number(r.sent), sms_received: Number(r.received) });
  const calls = await db
    .selectFrom('calls as k')
    .select(['k.contact_id', sql<number>`count(*)`.as('n')])
    .where('k.org_id', '=', orgId)
    .where('k.contact_id', 'in', contactIds)
    .where('k.outcome', '=', 'missed')
    .groupBy('k.contact_id')
    .execute();
  for (const r of calls) out.get(r.contact_id)!.missed_calls = Number(r.n);
  const latest = await db
    .selectFrom('contacts as c')
    .select([
      'c.id',
      sql<string | null>`(select m.status from messages m where m.org_id = ${orgId} and m.contact_id = c.id and m.direction = 'outbound' order by m.created_at desc, m.id desc limit 1)`.as('status'),
    ])
    .where('c.org_id', '=', orgId)
    .where('c.id', 'in', contactIds)
    .execute();
  for (const r of latest) out.get(r.id)!.latest_sms_status = r.status;
  return out;
}

const CSV_COLUMNS = ['id', 'phone', 'name', 'source', 'created_at', 'failed_sms', 'sms_sent', 'sms_received', 'missed_calls', 'latest_sms_status'] as const;

/** Every contact matching `parsed`, as CSV (RFC 4180) with its counters, a page of 500 at a time. */
export async function* contactsCsv(ctx: AppContext, principal: Principal, parsed: ParsedQuery): AsyncGenerator<string> {
  yield `${CSV_COLUMNS.join(',')}\r\n`;
  let cursor: string | undefined;
  do {
    const page = await searchContactsParsed(ctx, principal, parsed, { limit: 500, cursor });
    const counters = await contactCounters(ctx, principal.orgId, page.data.map((c) => c.id));
    let chunk = '';
    for (const c of page.data) {
      const k = counters.get(c.id)!;
      chunk += `${[
        csvField(c.id),
        csvField(c.e164, false),
        csvField(c.name),
        csvField(c.source),
        csvField(new Date(c.created_at).toISOString()),
        k.failed_sms,
        k.sms_sent,
        k.sms_received,
        k.missed_calls,
        csvField(k.latest_sms_status),
      ].join(',')}\r\n`;
    }
    if (chunk) yield chunk;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
}

// ---------------------------------------------------------------------------------------------
// Saved views

export interface ViewInput {
  name?: string;
  query?: string;
  shared?: boolean;
}

/** Views the principal sees: the organization's shared views and their own. */
export async function listViews(ctx: AppContext, principal: Principal): Promise<View[]> {
  return ctx.db.kysely
    .selectFrom('views')
    .selectAll()
    .where('org_id', '=', principal.orgId)
    .where((eb) => eb.or([eb('shared', '=', 1), eb('owner_user_id', '=', principal.userId)]))
    .orderBy('created_at', 'asc')
    .orderBy('id', 'asc')
    .execute();
}

export async function getView(ctx: AppContext, principal: Principal, id: string): Promise<View> {
  const view = await ctx.db.kysely
    .selectFrom('views')
    .selectAll()
    .where('id', '=', id)
    .where('org_id', '=', principal.orgId)
    .where((eb) => eb.or([eb('shared', '=', 1), eb('owner_user_id', '=', principal.userId)]))
    .executeTakeFirst();
  if (!view) throw notFound('view', id);
  return view;
}

/** A shared view is changed by its owner or an admin; a personal one by its owner only (others do not see it). */
function requireCanChange(principal: Principal, view: View): void {
  if (view.owner_user_id !== principal.userId) requireRole(principal, 'admin');
}

function validName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '') throw new AppError('validation_failed', 'name: must not be empty', [{ field: 'name', message: 'must not be empty' }]);
  return trimmed;
}

export async function createView(ctx: AppContext, principal: Principal, input: Required<Pick<ViewInput, 'name' | 'query'>> & ViewInput): Promise<View> {
  await parseSearch(ctx, principal.orgId, input.query);
  const now = ctx.clock.now();
  const view: View = {
    id: newId('view'),
    org_id: principal.orgId,
    owner_user_id: principal.userId,
    name: validName(input.name),
    query: input.query,
    shared: input.shared ? 1 : 0,
    created_at: now,
    updated_at: now,
  };
  await ctx.db.kysely.insertInto('views').values(view).execute();
  return view;
}

export async function updateView(ctx: AppContext, principal: Principal, id: string, patch: ViewInput): Promise<View> {
  const view = await getView(ctx, principal, id);
  requireCanChange(principal, view);
  if (patch.query !== undefined) await parseSearch(ctx, principal.orgId, patch.query);
  await ctx.db.kysely
    .updateTable('views')
    .set({
      ...(patch.name !== undefined ? { name: validName(patch.name) } : {}),
      ...(patch.query !== undefined ? { query: patch.query } : {}),
      ...(patch.shared !== undefined ? { shared: patch.shared ? 1 : 0 } : {}),
      updated_at: ctx.clock.now(),
    })
    .where('id', '=', id)
    .where('org_id', '=', principal.orgId)
    .execute();
  return getView(ctx, principal, id);
}

export async function deleteView(ctx: AppContext, principal: Principal, id: string): Promise<void> {
  const view = await getView(ctx, principal, id);
  requireCanChange(principal, view);
  await ctx.db.kysely.deleteFrom('views').where('id', '=', id).where('org_id', '=', principal.orgId).execute();
}
