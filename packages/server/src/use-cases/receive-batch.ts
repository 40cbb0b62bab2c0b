/**
 * The inbound job, a batch at a time: what `runInboundJob` (`receiveInboundMessage`) does for one
 * text, done for every text of a claimed batch with a few statements in all: one read each of the
 * stored carrier ids, the business numbers, the organizations and what would take a text off the
 * common path; then, in one transaction, one read of the senders' contacts (locked, as one by one),
 * of their conversations, text-back runs and consent ledgers; one INSERT each of the new contacts,
 * new conversations, messages, implied-consent rows and events, one UPDATE of the conversations
 * that already existed and one of the jobs' payloads (the bodies leave the scheduler's table).
 *
 * The common path is an ordinary text (no keyword, no likely opt-out) to a number without queue or
 * forwarding, from a sender who is not an agent and has no text-back run waiting, in an
 * organization without active `message.received` automations or `message.not_replied` follow-ups.
 * Everything else (and every text of a sender who has one such text in the batch, in order) goes
 * through `runInboundJob`, so each rule lives in one place. The outcome is the same as one by one:
 * two texts from one new sender make one contact, one conversation with two unread, one implied
 * consent (its evidence the first text) and the events in the same order. If the batch's
 * transaction fails (a statement error, or another process creating the same contact or
 * conversation meanwhile), nothing of it is kept and its texts are run one by one.
 */
import { applyConsentChange, matchKeyword, UNKNOWN_CONSENT } from '@textback/core';
import { sql } from 'kysely';
import type { AppContext, Tx } from '../app-context.js';
import { transaction } from '../app-context.js';
import type { InboundMessage } from '../carriers/carrier.js';
import { caseById } from '../db/batch-sql.js';
import type { ConsentEvent, Contact, Conversation, Message, Organization, PhoneNumber } from '../db/schema.js';
import type { JobResult } from '../jobs/worker.js';
import type { Logger } from '../support/logger.js';
import { TEXT_BACK_TRIGGERS } from './automations/engine.js';
import { consentChangedEvent, consentEventRow, recordOf } from './compliance/consent.js';
import { newContactRow } from './contacts.js';
import { newConversationRow } from './conversations.js';
import { enqueueNewTextNotices, type InboundNotice } from './notifications/new-texts.js';
import { appendEvents, type NewEvent } from './events.js';
import { isEmptied, runInboundJob } from './ingest.js';
import { orgSettings } from './organizations.js';
import { cleanInboundBody, inboundAddresses, inboundMessageRow } from './receive.js';

export interface InboundBatchItem {
  jobId: string;
  inbound: InboundMessage;
}

type Outcome = JobResult | Error;

/** Another process created a contact or conversation of the batch meanwhile: the batch is run one by one. */
class BatchRaced extends Error {}

interface Planned {
  index: number;
  item: InboundBatchItem;
  to: string;
  fromAddress: string;
  body: string;
  number: PhoneNumber;
  org: Organization;
}

const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));
const contactKey = (orgId: string, e164: string) => `${orgId}\u0000${e164}`;
const carrierKey = (m: InboundMessage) => `${m.carrier}\u0000${m.carrierMessageId}`;

/** Runs a batch of inbound jobs; returns one outcome per item, in order. */
export async function runInboundBatch(ctx: AppContext, items: readonly InboundBatchItem[], log: Logger): Promise<Outcome[]> {
  const outcomes: Outcome[] = items.map(() => undefined);
  const db = ctx.db.kysely;
  /** Indexes run one by one (grouped by sender, in order), after the batch. */
  const single: number[] = [];
  /** Jobs whose message is already stored: only their payload is cleared. */
  const stored: string[] = [];

  const candidates: Array<{ index: number; to: string; fromAddress: string }> = [];
  const seen = new Set<string>();
  for (const [index, item] of items.entries()) {
    if (isEmptied(item.inbound)) continue; // stored already, its body removed: done
    let addresses;
    try {
      addresses = inboundAddresses(item.inbound);
    } catch {
      single.push(index); // refused one by one, with its error
      continue;
    }
    // The same carrier id twice in one batch (a job retried by hand): the second finds the first stored.
    const key = carrierKey(item.inbound);
    if (seen.has(key)) single.push(index);
    else {
      seen.add(key);
      candidates.push({ index, ...addresses });
    }
  }

  const planned: Planned[] = [];
  if (candidates.length > 0) {
    const carriers = [...new Set(candidates.map((c) => items[c.index]!.inbound.carrier))];
    const [storedRows, numberRows] = await Promise.all([
      db
        .selectFrom('messages')
        .select(['carrier', 'carrier_message_id'])
        .where('carrier', 'in', carriers)
        .where(
          'carrier_message_id',
          'in',
          candidates.map((c) => items[c.index]!.inbound.carrierMessageId),
        )
        .execute(),
      // The numbers, and whether a queue or forwarding routes their texts (teams/inbound.ts).
      db
        .selectFrom('phone_numbers')
        .selectAll('phone_numbers')
        .select((eb) =>
          eb
            .or([
              eb.exists(eb.selectFrom('queue_numbers').select('queue_numbers.number_id').whereRef('queue_numbers.number_id', '=', 'phone_numbers.id')),
              eb.exists(eb.selectFrom('number_forwarding').select('number_forwarding.number_id').whereRef('number_forwarding.number_id', '=', 'phone_numbers.id')),
              // A number whose reply agent is on: its texts go one by one, through receive.ts's agent turn.
              eb.exists(eb.selectFrom('reply_agents').select('reply_agents.number_id').whereRef('reply_agents.number_id', '=', 'phone_numbers.id').where('reply_agents.enabled', '=', 1)),
              // ...or whose conversations an automation gave the agent (reply_agent step).
              eb.exists(
                eb
                  .selectFrom('reply_agent_conversations')
                  .select('reply_agent_conversations.number_id')
                  .whereRef('reply_agent_conversations.number_id', '=', 'phone_numbers.id')
                  .where('reply_agent_conversations.state', '=', 'active')
                  .where('reply_agent_conversations.via_automation', '=', 1),
              ),
            ])
            .as('routed'),
        )
        .where('e164', 'in', [...new Set(candidates.map((c) => c.to))])
        .execute(),
    ]);
    const storedKeys = new Set(storedRows.map((r) => `${r.carrier}\u0000${r.carrier_message_id}`));
    const numbers = new Map<string, PhoneNumber>();
    const routedNumbers = new Set<string>();
    for (const { routed, ...number } of numberRows) {
      numbers.set(number.e164, number);
      if (routed) routedNumbers.add(number.id);
    }
    const orgIds = [...new Set([...numbers.values()].map((n) => n.org_id))];
    const [orgRows, agents] =
      orgIds.length === 0
        ? [[], []]
        : await Promise.all([
            // The organizations, and whether automations act on their texts (message.received, follow-ups to cancel).
            db
              .selectFrom('organizations')
              .selectAll('organizations')
              .select((eb) =>
                eb
                  .exists(
                    eb
                      .selectFrom('automations')
                      .select('automations.id')
                      .whereRef('automations.org_id', '=', 'organizations.id')
                      .where((a) => a.or([a('trigger_type', '=', 'message.not_replied'), a.and([a('trigger_type', '=', 'message.received'), a('state', '=', 'active')])])),
                  )
                  .as('automated'),
              )
              .where('id', 'in', orgIds)
              .execute(),
            db
              .selectFrom('agents')
              .select(['org_id', 'mobile_e164'])
              .where('org_id', 'in', orgIds)
              .where('mobile_e164', 'in', [...new Set(candidates.map((c) => c.fromAddress))])
              .execute(),
          ]);
    const orgById = new Map<string, Organization>();
    const offPathOrgs = new Set<string>();
    for (const { automated, ...org } of orgRows) {
      orgById.set(org.id, org);
      if (automated) offPathOrgs.add(org.id);
    }
    const agentKeys = new Set(agents.map((a) => contactKey(a.org_id, a.mobile_e164 ?? '')));

    const offPathSenders = new Set<string>();
    const onPath: Planned[] = [];
    for (const c of candidates) {
      const item = items[c.index]!;
      if (storedKeys.has(carrierKey(item.inbound))) {
        stored.push(item.jobId);
        continue;
      }
      const number = numbers.get(c.to);
      const org = number && orgById.get(number.org_id);
      if (!number || !org) {
        single.push(c.index); // no longer registered: dropped one by one, with its log line
        continue;
      }
      const body = cleanInboundBody(item.inbound.body);
      const p: Planned = { index: c.index, item, to: c.to, fromAddress: c.fromAddress, body, number, org };
      const sender = contactKey(org.id, c.fromAddress);
      if (matchKeyword(body) !== null || offPathOrgs.has(org.id) || routedNumbers.has(number.id) || agentKeys.has(sender)) offPathSenders.add(sender);
      onPath.push(p);
    }
    // A sender with one text off the common path has all of theirs run one by one, in order.
    for (const p of onPath) {
      if (offPathSenders.has(contactKey(p.org.id, p.fromAddress))) single.push(p.index);
      else planned.push(p);
    }
  }

  const runOneByOne = async (indexes: number[]) => {
    const bySender = new Map<string, number[]>();
    for (const index of indexes.sort((a, b) => a - b)) {
      const { inbound } = items[index]!;
      let key = `${inbound.to}\u0000${inbound.from}`;
      try {
        const { to, fromAddress } = inboundAddresses(inbound);
        key = `${to}\u0000${fromAddress}`;
      } catch {
        // refused anyway: its own group
      }
      const list = bySender.get(key);
      if (list) list.push(index);
      else bySender.set(key, [index]);
    }
    await Promise.all(
      [...bySender.values()].map(async (list) => {
        for (const index of list) {
          const { jobId, inbound } = items[index]!;
          try {
            await runInboundJob(ctx, inbound, jobId);
          } catch (error) {
            outcomes[index] = asError(error);
          }
        }
      }),
    );
  };

  if (planned.length > 0 || stored.length > 0) {
    try {
      const late = await transaction(ctx, (tx) => writeBatch(ctx, tx, planned, stored));
      single.push(...late);
    } catch (error) {
      // Nothing of the batch was kept: its texts go one by one (each idempotent on its carrier id).
      log.warn({ err: error instanceof BatchRaced ? 'raced' : (error as { code?: string }).code ?? 'error', jobs: planned.length }, 'inbound batch not written; running its texts one by one');
      single.push(...planned.map((p) => p.index));
      for (const jobId of stored) {
        const index = items.findIndex((i) => i.jobId === jobId);
        if (index !== -1) single.push(index);
      }
    }
  }
  if (single.length > 0) await runOneByOne(single);
  return outcomes;
}

/**
 * The batch's transaction. Returns the indexes found off the common path once their sender's rows
 * were read under lock (a text-back run waiting): nothing is written for those, they go one by one.
 */
async function writeBatch(ctx: AppContext, tx: Tx, planned: Planned[], stored: string[]): Promise<number[]> {
  const late: number[] = [];
  if (planned.length > 0) {
    const now = ctx.clock.now();
    const orgIds = [...new Set(planned.map((p) => p.org.id))];
    const contacts = new Map(
      (
        await tx
          .selectFrom('contacts')
          .selectAll()
          .where('org_id', 'in', orgIds)
          .where('e164', 'in', [...new Set(planned.map((p) => p.fromAddress))])
          .execute()
      ).map((c) => [contactKey(c.org_id, c.e164), c]),
    );
    const existingIds = [...new Set([...contacts.values()].map((c) => c.id))].sort();
    let consents: ConsentEvent[] = [];
    let conversations: Conversation[] = [];
    if (existingIds.length > 0) {
      // As one by one (keywords.ts `lockContact`): one contact's texts take their decisions one after another.
      await tx
        .updateTable('contacts')
        .set((eb) => ({ updated_at: eb.ref('updated_at') }))
        .where('id', 'in', existingIds)
        .execute();
      const waiting = await tx
        .selectFrom('automation_runs')
        .select('contact_id')
        .where('org_id', 'in', orgIds)
        .where('contact_id', 'in', existingIds)
        .where('status', 'in', ['waiting', 'running'])
        .where('trigger_type', 'in', TEXT_BACK_TRIGGERS)
        .execute();
      const ending = new Set(waiting.map((r) => r.contact_id));
      if (ending.size > 0) {
        planned = planned.filter((p) => {
          const contact = contacts.get(contactKey(p.org.id, p.fromAddress));
          if (contact && ending.has(contact.id)) {
            late.push(p.index);
            return false;
          }
          return true;
        });
      }
      [consents, conversations] = await Promise.all([
        tx.selectFrom('consent_events').selectAll().where('org_id', 'in', orgIds).where('contact_id', 'in', existingIds).execute(),
        tx.selectFrom('conversations').selectAll().where('org_id', 'in', orgIds).where('contact_id', 'in', existingIds).execute(),
      ]);
    }

    const ledgers = new Map<string, ConsentEvent[]>();
    for (const e of consents) {
      const list = ledgers.get(e.contact_id);
      if (list) list.push(e);
      else ledgers.set(e.contact_id, [e]);
    }
    const conversationByKey = new Map(conversations.map((c) => [`${c.contact_id}\u0000${c.number_id}`, c]));
    const newContacts: Contact[] = [];
    const newConversations: Conversation[] = [];
    const opened = new Set<string>();
    /** Existing conversations: how many texts each gets, and the number's team. */
    const touched = new Map<string, { unread: number; teamId: string | null }>();
    const messages: Message[] = [];
    const ledgerRows: ConsentEvent[] = [];
    const events: NewEvent[] = [];
    const notices: InboundNotice[] = [];

    for (const p of planned) {
      const key = contactKey(p.org.id, p.fromAddress);
      let contact = contacts.get(key);
      if (!contact) {
        contact = newContactRow(p.org.id, p.fromAddress, { source: 'inbound_sms' }, now);
        contacts.set(key, contact);
        newContacts.push(contact);
      }
      const conversationKey = `${contact.id}\u0000${p.number.id}`;
      let conversation = conversationByKey.get(conversationKey);
      if (!conversation) {
        conversation = newConversationRow({ orgId: p.org.id, contactId: contact.id, numberId: p.number.id, teamId: p.number.team_id }, 0, now);
        conversationByKey.set(conversationKey, conversation);
        newConversations.push(conversation);
        opened.add(conversation.id);
      }
      if (opened.has(conversation.id)) conversation.unread_count += 1;
      else {
        const t = touched.get(conversation.id) ?? { unread: 0, teamId: p.number.team_id };
        t.unread += 1;
        touched.set(conversation.id, t);
      }
      const message = inboundMessageRow({
        orgId: p.org.id,
        conversationId: conversation.id,
        contactId: contact.id,
        numberId: p.number.id,
        to: p.to,
        fromAddress: p.fromAddress,
        inbound: p.item.inbound,
        now,
        body: p.body,
      });
      messages.push(message);
      notices.push({
        orgId: p.org.id,
        conversationId: conversation.id,
        numberId: p.number.id,
        assignedUserId: conversation.assigned_user_id,
        assignedTeamId: conversation.assigned_team_id ?? (conversation.assigned_user_id ? null : p.number.team_id),
        at: now,
      });

      // Compliance (keywords.ts): an ordinary text records implied consent when nothing is known yet.
      const scope = orgSettings(p.org).consent_scope;
      const ledger = ledgers.get(contact.id) ?? [];
      const current = latest(ledger.filter((e) => scope !== 'per_number' || e.number_id === null || e.number_id === p.number.id));
      const change = applyConsentChange(current ? recordOf(current) : UNKNOWN_CONSENT, { type: 'implied', by: 'contact', via: 'message', at: now });
      if ((current === undefined || recordOf(current).state === 'unknown') && change.ok && change.changed) {
        const row = consentEventRow(
          { orgId: p.org.id, contact, numberId: p.number.id, scope, type: 'implied', by: 'contact', via: 'message', evidence: { message_id: message.id } },
          now,
        );
        ledgerRows.push(row);
        ledgers.set(contact.id, [...ledger, row]);
        events.push(consentChangedEvent(row));
      }
      events.push({
        orgId: p.org.id,
        type: 'message.received',
        subjectType: 'message',
        subjectId: message.id,
        data: { contact_id: contact.id, conversation_id: conversation.id, number_id: p.number.id },
      });
    }

    if (newContacts.length > 0) {
      const inserted = await tx
        .insertInto('contacts')
        .values(newContacts)
        .onConflict((oc) => oc.columns(['org_id', 'e164']).doNothing())
        .returning('id')
        .execute();
      if (inserted.length !== newContacts.length) throw new BatchRaced('a contact of the batch was created meanwhile');
    }
    if (newConversations.length > 0) {
      const inserted = await tx
        .insertInto('conversations')
        .values(newConversations)
        .onConflict((oc) => oc.columns(['org_id', 'contact_id', 'number_id']).doNothing())
        .returning('id')
        .execute();
      if (inserted.length !== newConversations.length) throw new BatchRaced('a conversation of the batch was created meanwhile');
    }
    if (touched.size > 0) {
      // As `touchConversation` for each text: reopened, unread counted, an unassigned one given to the number's team.
      const entries = [...touched];
      const teams = entries.filter(([, t]) => t.teamId !== null).map(([id, t]) => [id, t.teamId!] as const);
      await tx
        .updateTable('conversations')
        .set((eb) => ({
          status: 'open',
          last_message_at: now,
          updated_at: now,
          snoozed_until: null,
          unread_count: eb('unread_count', '+', caseById(entries.map(([id, t]) => [id, t.unread] as const))),
          ...(teams.length > 0
            ? { assigned_team_id: sql<string | null>`coalesce(${sql.ref('assigned_team_id')}, case when ${sql.ref('assigned_user_id')} is null then ${caseById(teams)} end)` }
            : {}),
        }))
        .where('id', 'in', entries.map(([id]) => id))
        .execute();
    }
    if (messages.length > 0) await tx.insertInto('messages').values(messages).execute();
    // Email notifications (docs/notifications.md): the digest jobs of the users who asked.
    await enqueueNewTextNotices(ctx, tx, notices);
    if (ledgerRows.length > 0) await tx.insertInto('consent_events').values(ledgerRows).execute();
    await appendEvents(tx, ctx, events);
  }
  const done = [...stored, ...planned.map((p) => p.item.jobId)];
  // The bodies leave the scheduler's table with the batch (as `runInboundJob` does after each text).
  if (done.length > 0) await tx.updateTable('jobs').set({ payload: '{}' }).where('id', 'in', done).execute();
  return late;
}

/** The newest ledger row (as `currentConsent`: by time, then id). */
function latest(events: ConsentEvent[]): ConsentEvent | undefined {
  let best: ConsentEvent | undefined;
  for (const e of events) if (!best || e.created_at > best.created_at || (e.created_at === best.created_at && e.id > best.id)) best = e;
  return best;
}
