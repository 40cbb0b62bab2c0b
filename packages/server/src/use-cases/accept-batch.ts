/**
 * Accepting outbound texts in batches. Texts submitted in the same turn of the event loop (many API
 * requests at once, a CLI or integration sending a list) are validated one by one and then stored
 * together in one transaction with a few statements for the whole batch: their organizations,
 * numbers, contacts and conversations read (and created) with one statement each, the compliance
 * gate's facts read for all of them at once, and their messages, jobs and events written with one
 * INSERT each. Each text gets exactly the outcome it would get alone (`sendOne`): the same
 * validation errors, the same gate decision, the same rows. If the batch's transaction fails for
 * any reason, every text of it is accepted again on its own, so one bad text costs its neighbours
 * nothing but time.
 *
 * Not batched (see `acceptsInBatch`): automated texts (they lock the contact and may get opt-out
 * language), and texts written inside a caller's transaction.
 */
import { decide, loadGateFactsMany, type GateInput, type MessagePurpose } from './compliance/gate.js';
import { gateDecisionEvent, newMessageOutcome, type NewMessageGate } from './compliance/outbound.js';
import { parseE164Loose } from '@textback/core';
import { transaction, type AppContext, type Tx } from '../app-context.js';
import type { Contact, Conversation, Message, Organization, PhoneNumber } from '../db/schema.js';
import { enqueueMany, type EnqueueOptions } from '../jobs/job-queue.js';
import { AppError, notFound } from '../support/errors.js';
import { newId } from '../support/ids.js';
import { scheduleNotRepliedChecks } from './automations/engine.js';
import { parsePhoneField } from './contacts.js';
import { appendEvents, type NewEvent } from './events.js';
import {
  messageCreatedEvent,
  outboundRow,
  replay,
  resolveFromNumber,
  sendJobOf,
  sendOne,
  validateBody,
  type SendMessageInput,
  type SendMessageResult,
} from './messages.js';
import { getNumberByE164 } from './numbers.js';
import { orgSettings, type OrganizationSettings } from './organizations.js';
import { groupBy } from '../support/collections.js';

/** Texts people and integrations send, outside any caller's transaction. */
export function acceptsInBatch(input: SendMessageInput): boolean {
  return !input.automated && input.createdBy.type !== 'automation';
}

const MAX_BATCH = 256;

interface Waiting {
  input: SendMessageInput;
  resolve: (result: SendMessageResult) => void;
  reject: (error: unknown) => void;
}

class Acceptor {
  private queue: Waiting[] = [];
  private scheduled = false;

  constructor(private readonly ctx: AppContext) {}

  submit(input: SendMessageInput): Promise<SendMessageResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.queue.splice(0, MAX_BATCH);
    if (this.queue.length > 0) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
    if (batch.length === 0) return;
    try {
      const results = await acceptMany(
        this.ctx,
        batch.map((w) => w.input),
      );
      batch.forEach((w, i) => {
        const r = results[i]!;
        if (r instanceof Error) w.reject(r);
        else w.resolve(r);
      });
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
}

const acceptors = new WeakMap<object, Acceptor>();

export function acceptInBatch(ctx: AppContext, input: SendMessageInput): Promise<SendMessageResult> {
  let acceptor = acceptors.get(ctx.db);
  if (!acceptor) {
    acceptor = new Acceptor(ctx);
    acceptors.set(ctx.db, acceptor);
  }
  return acceptor.submit(input);
}

interface Item {
  index: number;
  input: SendMessageInput;
  org: Organization;
  settings: OrganizationSettings;
  to: string;
  fromE164: string | undefined;
  sendAt: number | undefined;
  purpose: MessagePurpose;
}

const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));


/** Accepts many texts; returns, in order, each one's result or the error that refused it. */
export async function acceptMany(ctx: AppContext, inputs: readonly SendMessageInput[]): Promise<Array<SendMessageResult | Error>> {
  const out: Array<SendMessageResult | Error | undefined> = inputs.map(() => undefined);
  const db = ctx.db.kysely;
  const now = ctx.clock.now();
  const orgs = new Map((await db.selectFrom('organizations').selectAll().where('id', 'in', [...new Set(inputs.map((i) => i.orgId))]).execute()).map((o) => [o.id, o]));

  // 1. Each text on its own: organization, body, idempotency key, numbers.
  let items: Item[] = [];
  const deferred: number[] = []; // a second text with the same idempotency key: after the first
  const keysSeen = new Set<string>();
  const withKeys = inputs.filter((i) => i.idempotencyKey);
  const earlier = new Map<string, Message>();
  for (const [orgId, group] of groupBy(withKeys, (i) => i.orgId)) {
    const rows = await db
      .selectFrom('messages')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('idempotency_key', 'in', group.map((i) => i.idempotencyKey!))
      .execute();
    for (const m of rows) earlier.set(`${orgId}|${m.idempotency_key}`, m);
  }
  // A number that texted us is accepted even if the numbering plan doesn't know it (sendOne): the
  // contacts are looked up only for the recipients that the numbering plan refuses.
  const parsed = new Map<number, string>();
  const refused: Array<{ orgId: string; loose: string }> = [];
  for (const [index, input] of inputs.entries()) {
    const org = orgs.get(input.orgId);
    if (!org) continue;
    try {
      parsed.set(index, parsePhoneField('to', input.to, orgSettings(org).default_country));
    } catch {
      const loose = parseE164Loose(input.to);
      if (loose) refused.push({ orgId: input.orgId, loose });
    }
  }
  const known = new Set<string>();
  for (const [orgId, group] of groupBy(refused, (x) => x.orgId)) {
    const rows = await db.selectFrom('contacts').select('e164').where('org_id', '=', orgId).where('e164', 'in', [...new Set(group.map((x) => x.loose))]).execute();
    for (const r of rows) known.add(`${orgId}|${r.e164}`);
  }
  for (const [index, input] of inputs.entries()) {
    try {
      const org = orgs.get(input.orgId);
      if (!org) throw notFound('organization', input.orgId);
      const settings = orgSettings(org);
      validateBody(input.body, settings.max_body_length);
      if (input.idempotencyKey) {
        const key = `${input.orgId}|${input.idempotencyKey}`;
        const existing = earlier.get(key);
        if (existing) {
          out[index] = replay(existing, input, settings.default_country);
          continue;
        }
        if (keysSeen.has(key)) {
          deferred.push(index);
          continue;
        }
        keysSeen.add(key);
      }
      const loose = parsed.has(index) ? null : parseE164Loose(input.to);
      const to = parsed.get(index) ?? (loose && known.has(`${input.orgId}|${loose}`) ? loose : parsePhoneField('to', input.to, settings.default_country));
      const fromE164 = input.from === undefined ? undefined : parsePhoneField('from', input.from, settings.default_country);
      const sendAt = input.sendAt !== undefined && input.sendAt > now ? input.sendAt : undefined;
      items.push({ index, input, org, settings, to, fromE164, sendAt, purpose: input.purpose ?? 'general' });
    } catch (error) {
      out[index] = asError(error);
    }
  }

  // 2. Together, in one transaction.
  if (items.length > 0) {
    try {
      const stored = await transaction(ctx, (tx) => storeTogether(ctx, tx, items, out, now));
      for (const [index, result] of stored) out[index] = result;
    } catch {
      // Something failed for the batch as a whole: each text again, alone.
      items = items.filter((item) => !(out[item.index] instanceof Error));
      await Promise.all(
        items.map(async (item) => {
          try {
            out[item.index] = await sendOne(ctx, item.input);
          } catch (error) {
            out[item.index] = asError(error);
          }
        }),
      );
    }
  }
  for (const index of deferred) {
    try {
      out[index] = await sendOne(ctx, inputs[index]!);
    } catch (error) {
      out[index] = asError(error);
    }
  }
  return out.map((r) => r ?? new Error('text was neither accepted nor refused'));
}

async function storeTogether(
  ctx: AppContext,
  tx: Tx,
  all: Item[],
  out: Array<SendMessageResult | Error | undefined>,
  now: number,
): Promise<Map<number, SendMessageResult>> {
  // The sending numbers: named ones with one read per organization, the others as sendOne picks them.
  const from = new Map<number, PhoneNumber>();
  for (const [orgId, group] of groupBy(all, (i) => i.org.id)) {
    const named = group.filter((i) => i.fromE164 !== undefined);
    const numbers =
      named.length > 0
        ? new Map(
            (await tx.selectFrom('phone_numbers').selectAll().where('org_id', '=', orgId).where('e164', 'in', [...new Set(named.map((i) => i.fromE164!))]).execute()).map((n) => [
              n.e164,
              n,
            ]),
          )
        : new Map<string, PhoneNumber>();
    for (const item of group) {
      try {
        const number = item.fromE164 !== undefined ? numbers.get(item.fromE164) : await resolveFromNumber(ctx, tx, orgId, item.to, undefined, item.settings.default_country);
        // Not one of the organization's numbers: the same error as alone.
        from.set(item.index, number ?? (await getNumberByE164(ctx, orgId, item.fromE164!, 'from', tx)));
      } catch (error) {
        out[item.index] = asError(error);
      }
    }
  }
  const items = all.filter((i) => from.has(i.index));
  if (items.length === 0) return new Map();

  const { contacts, created } = await contactsFor(tx, items, now);
  const conversations = await conversationsFor(tx, items, contacts, created, from, now);

  // The compliance gate, for all of them at once.
  const gateInputs: GateInput[] = items.map((item) => ({
    org: item.org,
    settings: item.settings,
    contact: contacts.get(`${item.org.id}|${item.to}`)!,
    numberId: from.get(item.index)!.id,
    to: item.to,
    automated: false,
    purpose: item.purpose,
    now,
    // A text scheduled for later meets quiet hours and caps when it is due.
    timeRules: item.sendAt === undefined,
  }));
  const facts = await loadGateFactsMany(tx, gateInputs);

  const messages: Message[] = [];
  const jobs: EnqueueOptions[] = [];
  const events: NewEvent[] = [];
  const results = new Map<number, SendMessageResult>();
  const gates: NewMessageGate[] = [];
  for (const [k, item] of items.entries()) {
    const gate = newMessageOutcome(decide(facts[k]!), { body: item.input.body, automated: false, purpose: item.purpose, sendAt: item.sendAt, now });
    const contact = contacts.get(`${item.org.id}|${item.to}`)!;
    const number = from.get(item.index)!;
    const conversation = conversations.get(`${contact.id}|${number.id}`)!;
    const message = outboundRow(item.input, { to: item.to, from: number, contactId: contact.id, conversationId: conversation.id, gate, sendAt: item.sendAt, now });
    messages.push(message);
    gates.push(gate);
    const job = sendJobOf(message, gate);
    if (job) jobs.push(job);
    const decision = gateDecisionEvent(message, gate.decision, 'create');
    if (decision) events.push(decision);
    events.push(messageCreatedEvent(message, gate));
    results.set(item.index, { message, replayed: false });
  }
  await tx.insertInto('messages').values(messages).execute();
  await enqueueMany(tx, ctx.clock, jobs);
  await appendEvents(tx, ctx, events);

  // Follow-up checks ("not replied") for texts people wrote, where an automation asks for them.
  for (const [orgId, group] of groupBy(items, (i) => i.org.id)) {
    const people = group.filter((i) => i.input.createdBy.type !== 'system');
    if (people.length === 0) continue;
    const any = await tx
      .selectFrom('automations')
      .select('id')
      .where('org_id', '=', orgId)
      .where('trigger_type', '=', 'message.not_replied')
      .where('state', '=', 'active')
      .limit(1)
      .executeTakeFirst();
    if (!any) continue;
    for (const item of people) {
      const message = results.get(item.index)!.message;
      const number = from.get(item.index)!;
      await scheduleNotRepliedChecks(ctx, tx, { orgId, contactId: message.contact_id, numberId: number.id, numberE164: number.e164, messageId: message.id });
    }
  }
  return results;
}

/**
 * Finds or creates each recipient's contact (source `outbound`), keyed by `orgId|e164`; `created`
 * holds the ids of those this transaction created (they cannot have a conversation yet).
 */
async function contactsFor(tx: Tx, items: Item[], now: number): Promise<{ contacts: Map<string, Contact>; created: Set<string> }> {
  const contacts = new Map<string, Contact>();
  const created = new Set<string>();
  for (const [orgId, group] of groupBy(items, (i) => i.org.id)) {
    const numbers = [...new Set(group.map((i) => i.to))];
    const read = async (list: string[]) => {
      for (const c of await tx.selectFrom('contacts').selectAll().where('org_id', '=', orgId).where('e164', 'in', list).execute()) contacts.set(`${orgId}|${c.e164}`, c);
    };
    await read(numbers);
    const missing = numbers.filter((e164) => !contacts.has(`${orgId}|${e164}`));
    if (missing.length === 0) continue;
    const rows: Contact[] = missing.map((e164) => ({
      id: newId('ct'),
      org_id: orgId,
      e164,
      name: null,
      source: 'outbound',
      time_zone: null,
      attributes: '{}',
      created_at: now,
      updated_at: now,
    }));
    const inserted = await tx
      .insertInto('contacts')
      .values(rows)
      .onConflict((oc) => oc.columns(['org_id', 'e164']).doNothing())
      .returning('id')
      .execute();
    for (const r of inserted) created.add(r.id);
    for (const row of rows) if (created.has(row.id)) contacts.set(`${orgId}|${row.e164}`, row);
    // Read back the others: a contact created meanwhile by another process is the one to use.
    const raced = rows.filter((r) => !created.has(r.id)).map((r) => r.e164);
    if (raced.length > 0) await read(raced);
  }
  return { contacts, created };
}

/** Opens (or creates) each contact × number conversation, keyed by `contactId|numberId`. */
async function conversationsFor(
  tx: Tx,
  items: Item[],
  contacts: Map<string, Contact>,
  newContacts: ReadonlySet<string>,
  from: Map<number, PhoneNumber>,
  now: number,
): Promise<Map<string, Conversation>> {
  const conversations = new Map<string, Conversation>();
  for (const [orgId, group] of groupBy(items, (i) => i.org.id)) {
    const wanted = new Map<string, { contactId: string; number: PhoneNumber }>();
    for (const item of group) {
      const contactId = contacts.get(`${orgId}|${item.to}`)!.id;
      const number = from.get(item.index)!;
      wanted.set(`${contactId}|${number.id}`, { contactId, number });
    }
    const contactIds = [...new Set([...wanted.values()].map((w) => w.contactId))];
    const read = async (ids: string[]) => {
      for (const c of await tx.selectFrom('conversations').selectAll().where('org_id', '=', orgId).where('contact_id', 'in', ids).execute()) {
        const key = `${c.contact_id}|${c.number_id}`;
        if (wanted.has(key)) conversations.set(key, c);
      }
    };
    // A contact this transaction created has no conversation yet: no other transaction knows its id.
    const known = contactIds.filter((id) => !newContacts.has(id));
    if (known.length > 0) await read(known);
    const missing = [...wanted].filter(([k]) => !conversations.has(k));
    const opened = new Set<string>();
    if (missing.length > 0) {
      const rows: Conversation[] = missing.map(([, w]) => ({
        id: newId('cnv'),
        org_id: orgId,
        contact_id: w.contactId,
        number_id: w.number.id,
        status: 'open' as const,
        assigned_user_id: null,
        assigned_team_id: w.number.team_id ?? null,
        unread_count: 0,
        last_message_at: now,
        created_at: now,
        updated_at: now,
        snoozed_until: null,
      }));
      const inserted = await tx
        .insertInto('conversations')
        .values(rows)
        .onConflict((oc) => oc.columns(['org_id', 'contact_id', 'number_id']).doNothing())
        .returning('id')
        .execute();
      for (const r of inserted) opened.add(r.id);
      for (const row of rows) if (opened.has(row.id)) conversations.set(`${row.contact_id}|${row.number_id}`, row);
      // Read back the others: one created meanwhile by another process is the one to use.
      if (inserted.length < rows.length) await read(contactIds);
      for (const [k] of missing) if (!conversations.has(k)) throw new AppError('conflict', 'a conversation could not be opened; try again');
    }
    // Every conversation that was already there is (re)opened by the new text.
    const reopened = [...wanted.keys()].map((k) => conversations.get(k)!).filter((c) => !opened.has(c.id));
    if (reopened.length > 0) {
      await tx
        .updateTable('conversations')
        .set({ status: 'open', last_message_at: now, updated_at: now })
        .where(
          'id',
          'in',
          reopened.map((c) => c.id),
        )
        .execute();
      for (const c of reopened) conversations.set(`${c.contact_id}|${c.number_id}`, { ...c, status: 'open', last_message_at: now, updated_at: now });
    }
  }
  return conversations;
}
