/** Saving and reading automations: every document is validated on save, with errors that point to the step. */
import { formatAutomationError, validateAutomation, type Automation } from '@textback/core';
import { transaction, type AppContext, type Tx } from '../../app-context.js';
import { cancelByKey, enqueue } from '../../jobs/job-queue.js';
import type { AutomationRow } from '../../db/schema.js';
import { AppError, notFound } from '../../support/errors.js';
import { storedTextErrors } from '../message-text.js';
import { newId } from '../../support/ids.js';

/**
 * The automation a row holds. Parsed once per version of the row (every call event reads the
 * organization's active automations): the result is shared, so it is frozen.
 */
export function toAutomation(row: AutomationRow): Automation {
  const hit = parsed.get(row.id);
  if (hit && hit.document === row.document && hit.automation.name === row.name && hit.automation.state === row.state && hit.automation.priority === row.priority) {
    return hit.automation;
  }
  const doc = JSON.parse(row.document) as Omit<Automation, 'name' | 'state' | 'priority'>;
  const automation = deepFreeze({ ...doc, name: row.name, state: row.state, priority: row.priority });
  if (parsed.size >= 1000) parsed.clear();
  parsed.set(row.id, { document: row.document, automation });
  return automation;
}

const parsed = new Map<string, { document: string; automation: Automation }>();

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Validates a document and throws `validation_failed` listing each problem by path (`steps[2].template`). */
export function assertValidAutomation(doc: unknown): Automation {
  const errors = validateAutomation(doc);
  // Templates are sent later: refused on save when the send path would refuse them (NUL, unpaired surrogates).
  if (errors.length === 0) {
    const templates: Record<string, unknown> = {};
    collectTemplates((doc as { steps?: unknown }).steps, 'steps', templates);
    for (const e of storedTextErrors(templates)) errors.push({ path: e.field, message: e.message });
  }
  if (errors.length > 0) {
    throw new AppError(
      'validation_failed',
      errors.map(formatAutomationError).join('; '),
      errors.map((e) => ({ field: e.path, message: e.hint ? `${e.message} (${e.hint})` : e.message })),
    );
  }
  return doc as Automation;
}

/** Every `template` (single or A/B variant) under the steps, by path (`steps[0].variants[1].template`). */
function collectTemplates(value: unknown, path: string, into: Record<string, unknown>): void {
  if (Array.isArray(value)) value.forEach((v, i) => collectTemplates(v, `${path}[${i}]`, into));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'template') into[`${path}.template`] = v;
      else collectTemplates(v, `${path}.${key}`, into);
    }
  }
}

export async function createAutomation(ctx: AppContext, orgId: string, doc: unknown, preset: string | null = null, db: Tx = ctx.db.kysely): Promise<AutomationRow> {
  const automation = assertValidAutomation(doc);
  const now = ctx.clock.now();
  const row: AutomationRow = {
    id: newId('aut'),
    org_id: orgId,
    name: automation.name,
    state: automation.state,
    priority: automation.priority,
    trigger_type: automation.trigger.type,
    document: JSON.stringify({ scope: automation.scope, trigger: automation.trigger, steps: automation.steps }),
    preset,
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('automations').values(row).execute();
  return row;
}

export async function getAutomation(ctx: AppContext, orgId: string, id: string): Promise<AutomationRow> {
  const row = await ctx.db.kysely.selectFrom('automations').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
  if (!row) throw notFound('automation', id);
  return row;
}

export async function listAutomations(ctx: AppContext, orgId: string): Promise<AutomationRow[]> {
  return ctx.db.kysely.selectFrom('automations').selectAll().where('org_id', '=', orgId).orderBy('priority', 'desc').orderBy('created_at').execute();
}

/** Replaces fields of the document (a shallow merge of name, state, priority, scope, trigger, steps). */
export async function updateAutomation(ctx: AppContext, orgId: string, id: string, patch: Record<string, unknown>): Promise<AutomationRow> {
  const row = await getAutomation(ctx, orgId, id);
  const automation = assertValidAutomation({ ...toAutomation(row), ...patch });
  await ctx.db.kysely
    .updateTable('automations')
    .set({
      name: automation.name,
      state: automation.state,
      priority: automation.priority,
      trigger_type: automation.trigger.type,
      document: JSON.stringify({ scope: automation.scope, trigger: automation.trigger, steps: automation.steps }),
      updated_at: ctx.clock.now(),
    })
    .where('id', '=', id)
    .where('org_id', '=', orgId)
    .execute();
  return getAutomation(ctx, orgId, id);
}

/**
 * Deletes an automation with its runs and their history; its waiting runs never continue. To keep
 * the history, pause it instead.
 */
export async function deleteAutomation(ctx: AppContext, orgId: string, id: string): Promise<void> {
  await getAutomation(ctx, orgId, id);
  await transaction(ctx, async (tx) => {
    const runs = await tx.selectFrom('automation_runs').select(['id', 'contact_id', 'event_id']).where('automation_id', '=', id).where('status', 'in', ['waiting', 'running']).execute();
    for (const run of runs) await cancelByKey(tx, ctx.clock, advanceJobKey(run.id));
    // Lower-priority runs of the same events that waited for these may text now.
    for (const run of runs) await wakeParkedRuns(ctx, tx, { orgId, contactId: run.contact_id, eventId: run.event_id, exceptRunId: run.id });
    await tx.deleteFrom('automation_send_claims').where('automation_id', '=', id).execute();
    await tx.deleteFrom('automation_trace').where('automation_id', '=', id).execute();
    await tx.updateTable('messages').set({ automation_run_id: null }).where('automation_run_id', 'in', tx.selectFrom('automation_runs').select('id').where('automation_id', '=', id)).execute();
    await tx.deleteFrom('automation_runs').where('automation_id', '=', id).execute();
    await tx.deleteFrom('automations').where('id', '=', id).where('org_id', '=', orgId).execute();
  });
}

export const advanceJobKey = (runId: string) => `automation.advance:${runId}`;

/** The job that moves a run forward (`runAdvanceJob` in engine.ts). */
export const ADVANCE_JOB = 'automation.advance';

/**
 * Runs of an event parked behind a higher-priority run (waiting with no time: engine.ts `park`)
 * advance now: that run texted, ended, or was deleted.
 */
export async function wakeParkedRuns(ctx: AppContext, tx: Tx, of: { orgId: string; contactId: string; eventId: string; exceptRunId: string }): Promise<void> {
  const now = ctx.clock.now();
  const parked = await tx
    .selectFrom('automation_runs')
    .select('id')
    .where('org_id', '=', of.orgId)
    .where('contact_id', '=', of.contactId)
    .where('event_id', '=', of.eventId)
    .where('status', '=', 'waiting')
    .where('next_at', 'is', null)
    .where('id', '!=', of.exceptRunId)
    .execute();
  for (const { id } of parked) {
    await tx.updateTable('automation_runs').set({ next_at: now, updated_at: now }).where('id', '=', id).execute();
    await enqueue(tx, ctx.clock, { kind: ADVANCE_JOB, orgId: of.orgId, payload: { runId: id }, runAt: now, uniqueKey: advanceJobKey(id), replace: true });
  }
}
