/**
 * The automation engine: starts runs when events happen, and moves each run forward in the
 * scheduler, one step per transaction.
 *
 * - A run's position and context live in `automation_runs`; delays are jobs (`automation.advance`
 *   at the run's next time), so a restart resumes every run where it was.
 * - Each step's side effect (a text, a contact update, an assignment, a queued webhook) commits in
 *   the same transaction as the run's new position: a step is never performed twice, and never lost.
 * - Every decision is appended to `automation_trace`, which explains the run afterwards.
 * - The send policy: one text per contact per triggering event, whichever automation gets there,
 *   higher priority first; no automated text answers an automated text; a reply or a connected
 *   callback ends the contact's waiting text-back runs.
 */
import { thompsonStepPaths, variantEvidence } from './variant-evidence.js';
import { enableAgentForConversation } from '../reply-agent.js';
import {
  advanceRun,
  cancelRun,
  compareByPriority,
  completeStep,
  DEFAULT_EPISODE_WINDOW_MS,
  deferStep,
  matchesTrigger,
  parseDuration,
  startRun,
  stepNotDone,
  type Automation,
  type BusinessHours,
  type CallFacts,
  type RunAction,
  type RunContext,
  type RunState,
  type TraceEntry,
  type TriggerType,
} from '@textback/core';
import { sql } from 'kysely';
import { transaction, type AppContext, type Tx } from '../../app-context.js';
import type { Selectable } from 'kysely';
import type { AutomationRun, AutomationsTable, Contact, Organization, PhoneNumber } from '../../db/schema.js';
import { cancelByKey, enqueue } from '../../jobs/job-queue.js';
import { AppError } from '../../support/errors.js';
import { newId } from '../../support/ids.js';
import { appendEvent, collectEvents } from '../events.js';
import { sendOne } from '../messages.js';
import { organizationById } from '../organizations.js';
import { ADVANCE_JOB, advanceJobKey, toAutomation, wakeParkedRuns } from './automation-store.js';
import { insertRows, insertRowsReturning } from '../../db/insert-rows.js';
import { prepared } from '../../db/prepared.js';

const activeAutomations = prepared((db, v: { orgId: string; trigger: TriggerType }) =>
  db.selectFrom('automations').selectAll().where('org_id', '=', v.orgId).where('trigger_type', '=', v.trigger).where('state', '=', 'active'),
);

export { ADVANCE_JOB };
export const NOT_REPLIED_JOB = 'automation.not_replied';
export const WEBHOOK_JOB = 'automation.webhook';

/** Runs that a reply or a connected callback makes pointless: text-backs and follow-ups. */
export const TEXT_BACK_TRIGGERS: readonly TriggerType[] = ['call.completed', 'message.not_replied'];

/** An automated text to a contact whose message arrived this soon after one of ours is not sent (loop prevention). */
export const LOOP_WINDOW_MS = 60_000;

export interface TriggeringEvent {
  orgId: string;
  type: TriggerType;
  /** The call, message or lead that happened. */
  id: string;
  contactId: string;
  numberId: string;
  numberE164: string;
  /** The agent or extension that handled the event (PBX call events), for scopes that name some. */
  extension?: string;
  call?: CallFacts;
  /** When the triggering inbound message arrived after our last automated text (loop prevention). */
  at: number;
}

// ---------------------------------------------------------------------------------------------
// Starting runs

/**
 * What the caller of `startRunsForEvent` already read in its transaction (spares reads), and
 * whether the new runs' steps that are due now run at once.
 */
export interface StartRunsOptions {
  /**
   * Run each new run's due steps in the caller's transaction, as its `automation.advance` job would
   * (a zero-delay text-back is stored with its triggering event: no hop through the scheduler). A
   * failure there fails the caller's transaction: the caller runs it again without this, and the
   * runs are left to their jobs (`recordCall`).
   */
  runDueSteps?: boolean;
  org?: Organization;
  contact?: Contact;
  /** `contact` was created in the caller's transaction: it has no texts and no conversation yet. */
  contactIsNew?: boolean;
  number?: PhoneNumber;
  /** The event was created in the caller's transaction (a new call): no run or text claim names it yet. */
  eventIsNew?: boolean;
}

/**
 * Starts a run of every active automation whose trigger and scope match the event, in the caller's
 * transaction. Repeat missed calls within ten minutes join the contact's run in progress instead of
 * starting another (one episode, at most one text).
 */
export async function startRunsForEvent(ctx: AppContext, tx: Tx, event: TriggeringEvent, options: StartRunsOptions = {}): Promise<string[]> {
  const rows = await activeAutomations.all(tx, { orgId: event.orgId, trigger: event.type });
  const now = ctx.clock.now();
  const candidates = rows
    .map((row) => ({ row, automation: toAutomation(row) }))
    .filter(({ automation }) => matchesTrigger(automation, { type: event.type, number: event.numberE164, ...(event.extension ? { extension: event.extension } : {}) }).matches)
    .sort((a, b) => compareByPriority(a.automation, b.automation));
  const started: string[] = [];
  // The caller's contact row is current only until a run's steps change it (or text the contact).
  let known = options;
  for (const { row, automation } of candidates) {
    if (event.type === 'call.completed') {
      // An episode is a run of unanswered calls (missed or voicemail); a too-short or answered call starts none.
      const unanswered = (outcome: string | undefined) => outcome === 'missed' || outcome === 'voicemail';
      // (A contact created in this transaction has no runs yet.)
      const ongoing =
        unanswered(event.call?.outcome) && !options.contactIsNew
          ? (
              await tx
                .selectFrom('automation_runs')
                .select(['id', 'event'])
                .where('automation_id', '=', row.id)
                .where('contact_id', '=', event.contactId)
                .where('status', 'in', ['waiting', 'running'])
                .where('created_at', '>=', now - DEFAULT_EPISODE_WINDOW_MS)
                .execute()
            ).find((r) => unanswered((JSON.parse(r.event) as { call?: CallFacts }).call?.outcome))
          : undefined;
      if (ongoing) {
        await trace(tx, ctx, { orgId: event.orgId, runId: ongoing.id, automationId: row.id, contactId: event.contactId }, [
          { at: now, step: 'run', type: 'run', message: `another call (${event.call?.outcome ?? 'unknown'}) from this contact joined this run: same episode, at most one text` },
        ]);
        continue;
      }
    }
    const runId = newId('run');
    const runRow: AutomationRun = {
      id: runId,
      org_id: event.orgId,
      automation_id: row.id,
      contact_id: event.contactId,
      number_id: event.numberId,
      trigger_type: event.type,
      event_id: event.id,
      event: JSON.stringify({ type: event.type, id: event.id, number: event.numberE164, at: event.at, ...(event.call ? { call: event.call } : {}) }),
      priority: automation.priority,
      status: 'waiting',
      run_state: JSON.stringify(startRun(automation, now)),
      outcome: null,
      next_at: now,
      created_at: now,
      updated_at: now,
      finished_at: null,
    };
    const [inserted] = await insertRowsReturning(tx, 'automation_runs', [runRow], {
      key: 'once-per-event',
      build: (q) => q.onConflict((oc) => oc.columns(['automation_id', 'event_id']).doNothing()).returning('id'),
    });
    if (!inserted) continue; // the same event delivered twice
    const onlyRunOfEvent = options.eventIsNew === true && started.length === 0;
    const startEntry: TraceEntry = { at: now, step: 'run', type: 'run', message: `started by ${describeEvent(event)} (automation "${automation.name}", priority ${automation.priority})` };
    started.push(runId);
    if (options.runDueSteps) {
      await runDueStepsNow(ctx, tx, runRow, row, startEntry, known, onlyRunOfEvent);
      known = { ...(options.org ? { org: options.org } : {}), ...(options.number ? { number: options.number } : {}) };
      continue;
    }
    await trace(tx, ctx, { orgId: event.orgId, runId, automationId: row.id, contactId: event.contactId }, [startEntry]);
    await enqueue(tx, ctx.clock, { kind: ADVANCE_JOB, orgId: event.orgId, payload: { runId }, runAt: now, uniqueKey: advanceJobKey(runId), replace: true });
  }
  return started;
}

function describeEvent(event: TriggeringEvent): string {
  if (event.call) return `${event.call.direction} call, ${event.call.outcome}, on ${event.numberE164}`;
  return `${event.type} on ${event.numberE164}`;
}

/**
 * A reply or a connected call: the contact's waiting text-backs and follow-ups end, their texts are
 * never sent, and pending "not replied" checks are cancelled. In the caller's transaction.
 */
export async function endTextBackRuns(ctx: AppContext, tx: Tx, orgId: string, contactId: string, why: string): Promise<number> {
  const now = ctx.clock.now();
  const runs = await tx
    .selectFrom('automation_runs')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('contact_id', '=', contactId)
    .where('status', 'in', ['waiting', 'running'])
    .where('trigger_type', 'in', TEXT_BACK_TRIGGERS)
    .execute();
  for (const run of runs) {
    const state = cancelRun(JSON.parse(run.run_state) as RunState, why, now);
    await tx
      .updateTable('automation_runs')
      .set({ status: 'cancelled', run_state: JSON.stringify(state), outcome: `cancelled: ${why}`, next_at: null, finished_at: now, updated_at: now })
      .where('id', '=', run.id)
      .execute();
    await cancelByKey(tx, ctx.clock, advanceJobKey(run.id));
    await trace(tx, ctx, { orgId, runId: run.id, automationId: run.automation_id, contactId }, [{ at: now, step: 'run', type: 'run', message: `cancelled: ${why}` }]);
  }
  const automations = await tx.selectFrom('automations').select('id').where('org_id', '=', orgId).where('trigger_type', '=', 'message.not_replied').execute();
  for (const a of automations) await cancelByKey(tx, ctx.clock, notRepliedKey(a.id, contactId));
  return runs.length;
}

const notRepliedKey = (automationId: string, contactId: string) => `automation.not_replied:${automationId}:${contactId}`;

/**
 * An agent's or the API's text went out: schedule each active `message.not_replied` automation's
 * check after its duration (the latest text counts). Automated texts do not start these, so
 * follow-ups never chain.
 */
export async function scheduleNotRepliedChecks(
  ctx: AppContext,
  tx: Tx,
  input: { orgId: string; contactId: string; numberId: string; numberE164: string; messageId: string },
): Promise<void> {
  const rows = await tx
    .selectFrom('automations')
    .selectAll()
    .where('org_id', '=', input.orgId)
    .where('trigger_type', '=', 'message.not_replied')
    .where('state', '=', 'active')
    .execute();
  for (const row of rows) {
    const automation = toAutomation(row);
    if (!matchesTrigger(automation, { type: 'message.not_replied', number: input.numberE164 }).matches) continue;
    const after = parseDuration(automation.trigger.after ?? '1h');
    await enqueue(tx, ctx.clock, {
      kind: NOT_REPLIED_JOB,
      orgId: input.orgId,
      payload: { ...input, automationId: row.id, sentAt: ctx.clock.now() },
      runAt: ctx.clock.now() + after,
      uniqueKey: notRepliedKey(row.id, input.contactId),
      replace: true,
    });
  }
}

export async function runNotRepliedCheck(
  ctx: AppContext,
  p: { orgId: string; contactId: string; numberId: string; numberE164: string; messageId: string; automationId: string; sentAt: number },
): Promise<void> {
  await transaction(ctx, async (tx) => {
    const reply = await tx
      .selectFrom('messages')
      .select('id')
      .where('contact_id', '=', p.contactId)
      .where('direction', '=', 'inbound')
      .where('created_at', '>', p.sentAt)
      .executeTakeFirst();
    if (reply) return;
    await startRunsForEvent(ctx, tx, {
      orgId: p.orgId,
      type: 'message.not_replied',
      id: `${p.messageId}:${p.automationId}`,
      contactId: p.contactId,
      numberId: p.numberId,
      numberE164: p.numberE164,
      at: ctx.clock.now(),
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Advancing a run

class RunChanged extends Error {}

/**
 * The `automation.advance` job: moves the run forward until it waits or ends, every step that is
 * due now in one transaction (a zero-delay text-back is one commit, not one per step). A failure
 * rolls the whole job back and it is retried from the last committed step: each step is idempotent
 * (a text has an idempotency key per run and step, a send claim is written once).
 */
export async function runAdvanceJob(ctx: AppContext, runId: string): Promise<void> {
  try {
    await transaction(ctx, async (tx) => {
      const run = await tx.selectFrom('automation_runs').selectAll().where('id', '=', runId).executeTakeFirst();
      if (!run || (run.status !== 'waiting' && run.status !== 'running')) return;
      const row = await tx.selectFrom('automations').selectAll().where('id', '=', run.automation_id).executeTakeFirst();
      const contact = await tx.selectFrom('contacts').selectAll().where('id', '=', run.contact_id).executeTakeFirstOrThrow();
      // The text's and the run's events are written together.
      await collectEvents(tx, ctx, () => advanceWhileDue(ctx, tx, { run, row, contact, state: JSON.parse(run.run_state) as RunState, trace: [], sentHere: false }));
    });
  } catch (error) {
    if (error instanceof RunChanged) return; // cancelled or advanced elsewhere meanwhile
    throw error;
  }
}

/** Steps the run until it waits or ends (every step due now, in this transaction). */
async function advanceWhileDue(ctx: AppContext, tx: Tx, loaded: Loaded): Promise<void> {
  let current: Loaded | null = loaded;
  for (let i = 0; current; i++) {
    if (i >= 100) throw new Error(`run ${loaded.run.id} took more than 100 steps in one go`);
    current = await advanceOnce(ctx, tx, current);
  }
}

/**
 * A new run's steps that are due now, run at once in its triggering event's transaction: exactly
 * what its first `automation.advance` job would do (same steps, same trace, same text with the same
 * idempotency key), without the hop through the scheduler. No savepoint (on PostgreSQL two more
 * round trips per call): if anything fails, the whole transaction fails, and the caller runs it
 * again without the due steps (`StartRunsOptions.runDueSteps`).
 */
async function runDueStepsNow(ctx: AppContext, tx: Tx, run: AutomationRun, row: Selectable<AutomationsTable>, startEntry: TraceEntry, known: StartRunsOptions, onlyRunOfEvent: boolean): Promise<void> {
  const contact = known.contact?.id === run.contact_id ? known.contact : undefined;
  const loaded: Loaded = {
    run,
    row,
    contact: contact ?? (await tx.selectFrom('contacts').selectAll().where('id', '=', run.contact_id).executeTakeFirstOrThrow()),
    state: JSON.parse(run.run_state) as RunState,
    trace: [startEntry],
    sentHere: false,
    ...(known.org?.id === run.org_id ? { org: known.org } : {}),
    ...(known.number && known.number.id === run.number_id ? { number: known.number } : {}),
    ...(contact && known.contactIsNew ? { contactIsNew: true } : {}),
    ...(onlyRunOfEvent ? { onlyRunOfEvent: true } : {}),
    runIsNew: true,
  };
  // Its events join the caller's (if it collects them).
  await collectEvents(tx, ctx, () => advanceWhileDue(ctx, tx, loaded));
}

/**
 * A run and what its steps read, kept between the steps of one job. `run` is the row as read at the
 * start (its `run_state` guards the one write at the end: nobody else changed the run meanwhile);
 * `state` and `trace` are the steps' progress, written when the run waits or ends.
 */
interface Loaded {
  run: AutomationRun;
  row: Selectable<AutomationsTable> | undefined;
  contact: Contact;
  state: RunState;
  trace: TraceEntry[];
  org?: Organization;
  facts?: ContactFacts;
  /** The run's number, once read. */
  number?: PhoneNumber;
  /** A text of this run was stored in this transaction (the contact has a conversation now). */
  sentHere: boolean;
  /** A text of this run was stored in this transaction and not blocked (its outcome is known without a read). */
  textedHere?: boolean;
  /** The contact was created in this transaction: no texts, no conversation yet (nothing to read). */
  contactIsNew?: boolean;
  /**
   * The run's event is new in this transaction and no other run of it started before this one: no
   * other run can have claimed its text or take precedence (later ones have a lower priority).
   */
  onlyRunOfEvent?: boolean;
  /** The run was inserted in this transaction (its due steps run with its event): its steps' idempotency keys are new. */
  runIsNew?: boolean;
}

/** One step. Returns the run as it is now when it can go on at once, else null. */
async function advanceOnce(ctx: AppContext, tx: Tx, loaded: Loaded): Promise<Loaded | null> {
  const { run, row } = loaded;
  let contact = loaded.contact;
  const runId = run.id;
  const now = ctx.clock.now();
  const ids = { orgId: run.org_id, runId: run.id, automationId: run.automation_id, contactId: run.contact_id };

  let state = loaded.state;
  if (!row) {
    await trace(tx, ctx, ids, loaded.trace);
    await finish(ctx, tx, run, cancelRun(state, 'automation deleted', now), 'cancelled', 'automation deleted');
    return null;
  }
  const automation = toAutomation(row);
  loaded.org ??= await organizationById(tx, run.org_id);
  loaded.facts ??= loaded.contactIsNew ? {} : await contactFacts(tx, run, contact);
  const context = buildContext(run, contact, loaded.org, loaded.facts);
  // Thompson-sampled variants choose with the replies their texts got so far.
  const thompson = thompsonStepPaths(automation);
  if (thompson.length > 0) {
    const evidence = await variantEvidence(tx, run.org_id, run.automation_id, now);
    context.variantEvidence = Object.fromEntries(thompson.map((p) => [p, evidence]));
  }
  const result = advanceRun(automation, state, context, now);
  state = result.state;
  const entries: TraceEntry[] = [...loaded.trace, ...result.trace];
  const action: RunAction = result.action;

  switch (action.kind) {
    case 'wait_until': {
      await save(tx, run, state, action.at, now);
      await enqueue(tx, ctx.clock, { kind: ADVANCE_JOB, orgId: run.org_id, payload: { runId }, runAt: action.at, uniqueKey: advanceJobKey(runId), replace: true });
      await trace(tx, ctx, ids, entries);
      return null;
    }
    case 'done': {
      const status =
        action.reason === 'completed' ? 'completed' : action.reason === 'stopped' || action.reason === 'not_sent' ? 'stopped' : action.reason === 'canceled' ? 'cancelled' : 'failed';
      // Sent: a text of this run that the compliance gate did not block.
      const sent =
        loaded.textedHere ||
        (!loaded.runIsNew &&
          (await tx.selectFrom('messages').select('id').where('automation_run_id', '=', run.id).where('status', 'not in', NOT_SENT_STATUSES).executeTakeFirst()) !== undefined);
      const outcome = sent ? `sent; ${action.detail}` : `no text: ${action.detail}`;
      await trace(tx, ctx, ids, entries);
      await finish(ctx, tx, run, state, status, outcome, { wakeParked: !loaded.runIsNew });
      return null;
    }
    case 'send_sms': {
      const skip = await sendPolicy(tx, run, automation, now, loaded.onlyRunOfEvent === true);
      if (skip?.wait) {
        // A higher-priority run of the same event may still text, or fail: this text waits for it
        // (woken when that run texts or ends), instead of being skipped for a text that may never come.
        entries.push({ at: now, step: action.step, type: 'send_sms', message: `waiting: ${skip.why}; this text goes out if that run ends without texting` });
        await park(tx, run, deferStep(state, action.step), now);
        await trace(tx, ctx, ids, entries);
        return null;
      }
      if (skip) {
        entries.push({ at: now, step: action.step, type: 'send_sms', message: `skipped: ${skip.why}` });
        const ended = stepNotDone(state, action.step, `skipped: ${skip.why}`, now);
        return { ...loaded, state: ended.state, trace: [...entries, ...ended.trace], contact };
      } else {
        if (run.number_id && !loaded.number) loaded.number = await tx.selectFrom('phone_numbers').selectAll().where('id', '=', run.number_id).executeTakeFirst();
        const number = loaded.number;
        let sent: Awaited<ReturnType<typeof sendOne>>;
        try {
          sent = await sendOne(
            ctx,
            {
              orgId: run.org_id,
              to: contact.e164,
              ...(number ? { from: number.e164 } : {}),
              body: action.body,
              idempotencyKey: `run:${run.id}:${action.step}`,
              createdBy: { type: 'automation', id: run.automation_id },
              automationRunId: run.id,
              ...(action.variantId ? { variantId: action.variantId } : {}),
              automated: true,
            },
            tx,
            // Rows this transaction already holds: sendOne need not read them again. A new run's
            // step names a new idempotency key; a contact new in this transaction has no text yet
            // unless this run (or another run of the event) sent it one.
            {
              org: loaded.org,
              contact,
              ...(number ? { from: number } : {}),
              ...(loaded.runIsNew ? { keyIsNew: true } : {}),
              ...(loaded.contactIsNew && loaded.onlyRunOfEvent && !loaded.sentHere ? { contactIsNew: true } : {}),
            },
          );
        } catch (error) {
          // The send path refused the text itself (a body with a NUL character, too long, no number
          // to send from): an AppError, thrown before any statement failed. The run fails here, and
          // does not hold back a lower-priority automation of the same event.
          if (!(error instanceof AppError)) throw error;
          entries.push({ at: now, step: action.step, type: 'send_sms', message: `text refused by the send path (${error.code})` });
          const ended = stepNotDone(state, action.step, `refused: ${error.message}`, now, 'step_failed');
          return { ...loaded, state: ended.state, trace: [...entries, ...ended.trace], contact };
        }
        const { message } = sent;
        loaded.sentHere = true;
        entries.push({
          at: now,
          step: action.step,
          type: 'send_sms',
          message: `text ${message.id} ${message.status}${message.reason ? ` (${message.reason})` : ''}${action.variantId ? `, variant ${action.variantId}` : ''}`,
        });
        if (NOT_SENT_STATUSES.includes(message.status)) {
          // Refused for good (no consent, opted out, cap reached, ...): the steps after it assumed a
          // text (a cap attribute, a follow-up), so the run ends, and a lower-priority run may text.
          const ended = stepNotDone(state, action.step, `${message.status}: ${message.reason ?? 'compliance'}${message.rule ? `, rule ${message.rule}` : ''}`, now);
          return { ...loaded, state: ended.state, trace: [...entries, ...ended.trace], contact };
        }
        loaded.textedHere = true;
        await insertRowsReturning(
          tx,
          'automation_send_claims',
          [{ org_id: run.org_id, contact_id: run.contact_id, event_key: eventKey(run), run_id: run.id, automation_id: run.automation_id, created_at: now }],
          { key: 'first-claim', build: (q) => q.onConflict((oc) => oc.columns(['org_id', 'contact_id', 'event_key']).doNothing()) },
        );
        // Lower-priority runs of the event waiting on this one learn that it texted.
        if (!loaded.runIsNew) await wakeParkedRuns(ctx, tx, { orgId: run.org_id, contactId: run.contact_id, eventId: run.event_id, exceptRunId: run.id });
        // What the next step's conditions see: the contact was texted now.
        loaded.facts = { ...loaded.facts, lastTextAt: now };
      }
      break;
    }
    case 'update_contact': {
      const attributes = JSON.parse(contact.attributes) as Record<string, unknown>;
      attributes[action.attribute] = action.value === 'now' ? new Date(now).toISOString() : action.value;
      await tx.updateTable('contacts').set({ attributes: JSON.stringify(attributes), updated_at: now }).where('id', '=', contact.id).execute();
      contact = { ...contact, attributes: JSON.stringify(attributes), updated_at: now };
      entries.push({ at: now, step: action.step, type: 'update_contact', message: `set ${action.attribute} = ${String(attributes[action.attribute])}` });
      break;
    }
    case 'assign': {
      const set = 'teamId' in action ? { assigned_team_id: action.teamId } : { assigned_user_id: action.userId };
      let q = tx.updateTable('conversations').set({ ...set, updated_at: now }).where('contact_id', '=', contact.id);
      if (run.number_id) q = q.where('number_id', '=', run.number_id);
      await q.execute();
      entries.push({ at: now, step: action.step, type: 'assign', message: `assigned the conversation to ${'teamId' in action ? `team ${action.teamId}` : `user ${action.userId}`}` });
      break;
    }
    case 'reply_agent': {
      const message = await enableAgentForConversation(tx, { orgId: run.org_id, contactId: contact.id, numberId: run.number_id, now });
      entries.push({ at: now, step: action.step, type: 'reply_agent', message });
      break;
    }
    case 'webhook': {
      await enqueue(tx, ctx.clock, {
        kind: WEBHOOK_JOB,
        orgId: run.org_id,
        payload: { url: action.url, secret: action.secret ?? null, body: action.payload, runId: run.id, step: action.step },
        uniqueKey: `automation.webhook:${run.id}:${action.step}`,
        maxAttempts: 8,
      });
      entries.push({ at: now, step: action.step, type: 'webhook', message: `POST to ${new URL(action.url).host} queued (retried on failure)` });
      break;
    }
  }
  // The next step goes on in this transaction; the run is written when it waits or ends.
  return { ...loaded, state: completeStep(state, action.step), trace: entries, contact };
}

/** The status of a text refused for good when it was created (the compliance gate): the run's steps after it do not run. */
const NOT_SENT_STATUSES: readonly string[] = ['blocked'];

/**
 * The run waits, with no job, for a higher-priority run of its event (`sendPolicy`'s `wait`): its
 * text step is put back, and `wakeParkedRuns` gives it a job when that run texts or ends.
 */
async function park(tx: Tx, run: AutomationRun, state: RunState, now: number): Promise<void> {
  const result = await tx
    .updateTable('automation_runs')
    .set({ run_state: JSON.stringify(state), status: 'waiting', next_at: null, updated_at: now })
    .where('id', '=', run.id)
    .where('run_state', '=', run.run_state)
    .where('status', 'in', ['waiting', 'running'])
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new RunChanged();
}


/**
 * Why a text must not be sent for this run now, or null. `wait`: a higher-priority run of the same
 * event is still in progress; it may text (then this one is skipped) or end without (then this one texts).
 */
async function sendPolicy(tx: Tx, run: AutomationRun, automation: Automation, now: number, onlyRunOfEvent: boolean): Promise<{ why: string; wait?: true } | null> {
  // The only run of a new event: no other run can have claimed its text or take precedence.
  if (!onlyRunOfEvent) {
    // One text per contact per triggering event, whichever automation gets there first...
    const claim = await tx
      .selectFrom('automation_send_claims')
      .innerJoin('automations', 'automations.id', 'automation_send_claims.automation_id')
      .select(['automations.name', 'automation_send_claims.run_id'])
      .where('automation_send_claims.org_id', '=', run.org_id)
      .where('automation_send_claims.contact_id', '=', run.contact_id)
      .where('automation_send_claims.event_key', '=', eventKey(run))
      .executeTakeFirst();
    if (claim && claim.run_id !== run.id) return { why: `automation "${claim.name}" already texted this contact for this event` };
    // ...and a higher-priority automation still working on the same event wins.
    const higher = await tx
      .selectFrom('automation_runs')
      .innerJoin('automations', 'automations.id', 'automation_runs.automation_id')
      .select(['automations.name', 'automation_runs.priority'])
      .where('automation_runs.contact_id', '=', run.contact_id)
      .where('automation_runs.event_id', '=', run.event_id)
      .where('automation_runs.id', '!=', run.id)
      .where('automation_runs.status', 'in', ['waiting', 'running'])
      .where('automation_runs.priority', '>', automation.priority)
      .executeTakeFirst();
    if (higher) return { why: `automation "${higher.name}" (priority ${higher.priority}) has precedence for this event`, wait: true };
  }
  // No automated text answers an automated text.
  if (run.trigger_type === 'message.received') {
    const event = JSON.parse(run.event) as { at: number };
    const lastAutomated = await tx
      .selectFrom('messages')
      .select((eb) => eb.fn.max('created_at').as('at'))
      .where('contact_id', '=', run.contact_id)
      .where('direction', '=', 'outbound')
      .where('created_by_type', '=', 'automation')
      .where('created_at', '<=', event.at)
      .executeTakeFirst();
    const at = lastAutomated?.at == null ? null : Number(lastAutomated.at);
    if (at !== null && event.at - at < LOOP_WINDOW_MS) {
      return { why: `loop prevention: their message came ${Math.round((event.at - at) / 1000)} s after our automated text, so it may be automatic` };
    }
  }
  void now;
  return null;
}

const eventKey = (run: AutomationRun) => `${run.trigger_type}:${run.event_id}`;

type OrgFacts = Pick<Organization, 'name' | 'time_zone' | 'business_hours'>;

/** What a run's conditions read about the contact besides its row: last texts and agent. */
interface ContactFacts {
  lastTextAt?: number;
  lastReplyAt?: number;
  agent?: string;
}

async function contactFacts(tx: Tx, run: AutomationRun, contact: Contact): Promise<ContactFacts> {
  const last = await tx
    .selectFrom('messages')
    .select(['direction', (eb) => eb.fn.max('created_at').as('at')])
    .where('contact_id', '=', contact.id)
    .groupBy('direction')
    .execute();
  const lastAt = (direction: string) => {
    const row = last.find((r) => r.direction === direction);
    return row?.at == null ? undefined : Number(row.at);
  };
  const agent = run.number_id
    ? await tx
        .selectFrom('conversations')
        .innerJoin('users', 'users.id', 'conversations.assigned_user_id')
        .select('users.name')
        .where('conversations.org_id', '=', run.org_id)
        .where('conversations.contact_id', '=', contact.id)
        .where('conversations.number_id', '=', run.number_id)
        .executeTakeFirst()
    : undefined;
  const lastTextAt = lastAt('outbound');
  const lastReplyAt = lastAt('inbound');
  return {
    ...(lastTextAt !== undefined ? { lastTextAt } : {}),
    ...(lastReplyAt !== undefined ? { lastReplyAt } : {}),
    ...(agent ? { agent: agent.name } : {}),
  };
}

function buildContext(run: AutomationRun, contact: Contact, org: OrgFacts, facts: ContactFacts): RunContext {
  const event = JSON.parse(run.event) as { type: TriggerType; number?: string; call?: CallFacts };
  const hours = JSON.parse(org.business_hours) as Omit<BusinessHours, 'timeZone'>;
  const attributes = Object.fromEntries(
    Object.entries(JSON.parse(contact.attributes) as Record<string, unknown>).map(([k, v]) => [k, v == null ? undefined : String(v)]),
  );
  const { lastTextAt, lastReplyAt, agent } = facts;
  const firstName = contact.name?.trim().split(/\s+/)[0];
  return {
    automationId: run.automation_id,
    event: { type: event.type, ...(event.call ? { call: event.call } : {}) },
    contact: {
      id: contact.id,
      ...(firstName ? { firstName } : {}),
      ...(contact.source ? { source: contact.source } : {}),
      attributes,
      ...(lastTextAt !== undefined ? { lastTextAt } : {}),
      ...(lastReplyAt !== undefined ? { lastReplyAt } : {}),
    },
    businessHours: { ...hours, timeZone: org.time_zone } as BusinessHours,
    variables: { Business: org.name, ...(event.number ? { Number: event.number } : {}), ...(agent ? { Agent: agent } : {}) },
  };
}

/** The run waits until `nextAt` (optimistic: nobody else, e.g. a reply cancelling it, changed it since we read it). */
async function save(tx: Tx, run: AutomationRun, state: RunState, nextAt: number, now: number): Promise<void> {
  const result = await tx
    .updateTable('automation_runs')
    .set({ run_state: JSON.stringify(state), status: 'waiting', next_at: nextAt, updated_at: now })
    .where('id', '=', run.id)
    .where('run_state', '=', run.run_state)
    .where('status', 'in', ['waiting', 'running'])
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new RunChanged();
}

async function finish(
  ctx: AppContext,
  tx: Tx,
  run: AutomationRun,
  state: RunState,
  status: AutomationRun['status'],
  outcome: string,
  options: { wakeParked?: boolean } = { wakeParked: true },
): Promise<void> {
  const now = ctx.clock.now();
  const result = await tx
    .updateTable('automation_runs')
    .set({ run_state: JSON.stringify(state), status, outcome, next_at: null, finished_at: now, updated_at: now })
    .where('id', '=', run.id)
    .where('run_state', '=', run.run_state)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new RunChanged();
  await appendEvent(tx, ctx, {
    orgId: run.org_id,
    type: 'automation.run_finished',
    subjectType: 'automation_run',
    subjectId: run.id,
    data: { automation_id: run.automation_id, contact_id: run.contact_id, status },
  });
  // Lower-priority runs of the event waiting on this one may text now (or learn that it texted).
  // (A run new in this transaction has none: the runs of its event after it start after it.)
  if (options.wakeParked) await wakeParkedRuns(ctx, tx, { orgId: run.org_id, contactId: run.contact_id, eventId: run.event_id, exceptRunId: run.id });
}

async function trace(
  tx: Tx,
  ctx: AppContext,
  ids: { orgId: string; runId: string; automationId: string; contactId: string },
  entries: TraceEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  await insertRows(
    tx,
    'automation_trace',
    entries.map((e) => ({
      org_id: ids.orgId,
      run_id: ids.runId,
      automation_id: ids.automationId,
      contact_id: ids.contactId,
      step: e.step,
      type: e.type,
      message: e.note ? `${e.message} — ${e.note}` : e.message,
      at: e.at,
    })),
  );
  void ctx;
  void sql;
}
