/**
 * The evidence Thompson sampling chooses with (`variant_selection: thompson` on a send_sms step,
 * docs/automations.md): for each variant of the automation, its delivered texts and how many of them
 * got a reply from the contact within REPLY_WINDOW_DAYS. Read from the stored texts, so it survives
 * restarts and is the same in every process; cached per process for CACHE_MS, so a burst of missed
 * calls reads it once (a few seconds of staleness only delays the shift toward the leader).
 */
import type { Automation, Step, VariantEvidence } from '@textback/core';
import { sql } from 'kysely';
import type { Tx } from '../../app-context.js';
import { TtlCache } from '../../support/ttl-cache.js';

export const REPLY_WINDOW_DAYS = 7;
const CACHE_MS = 10_000;
const cache = new TtlCache<string, VariantEvidence[]>(CACHE_MS);

/** The paths (`steps[2]`, `steps[0].then[1]`) of the automation's Thompson-sampled send_sms steps. */
export function thompsonStepPaths(automation: Automation): string[] {
  const paths: string[] = [];
  const walk = (steps: readonly Step[], prefix: string) =>
    steps.forEach((step, i) => {
      const path = `${prefix}[${i}]`;
      if (step.type === 'send_sms' && 'variants' in step && step.variant_selection === 'thompson') paths.push(path);
      if (step.type === 'condition') {
        walk(step.then, `${path}.then`);
        if (step.else) walk(step.else, `${path}.else`);
      }
    });
  walk(automation.steps, 'steps');
  return paths;
}

/** Delivered texts and replies per variant of an automation (all its steps' variants, by variant id). */
export async function variantEvidence(db: Tx, orgId: string, automationId: string, now: number): Promise<VariantEvidence[]> {
  const cached = cache.get(automationId, now);
  if (cached) return cached;
  const rows = await db
    .selectFrom('messages as m')
    .innerJoin('automation_runs as r', 'r.id', 'm.automation_run_id')
    .select([
      'm.variant_id as id',
      sql<number>`count(*)`.as('delivered'),
      sql<number>`count(case when exists (
        select 1 from messages i
        where i.org_id = ${orgId} and i.contact_id = m.contact_id and i.direction = 'inbound'
          and i.created_at > m.created_at and i.created_at <= m.created_at + ${REPLY_WINDOW_DAYS * 86_400_000}
      ) then 1 end)`.as('replies'),
    ])
    .where('r.automation_id', '=', automationId)
    .where('m.org_id', '=', orgId)
    .where('m.direction', '=', 'outbound')
    .where('m.status', '=', 'delivered')
    .where('m.variant_id', 'is not', null)
    .where('m.created_at', '>', now - 365 * 86_400_000)
    .groupBy('m.variant_id')
    .execute();
  const evidence = rows.map((r) => ({ id: r.id!, delivered: Number(r.delivered), replies: Number(r.replies) }));
  cache.set(automationId, evidence, now);
  return evidence;
}
