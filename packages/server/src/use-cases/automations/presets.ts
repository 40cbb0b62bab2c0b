import { missedCallTextBackPreset, type AutomationState } from '@textback/core';
import type { AppContext, Tx } from '../../app-context.js';
import type { AutomationRow } from '../../db/schema.js';
import { createAutomation } from './automation-store.js';

export interface MissedCallPresetInput {
  orgId: string;
  businessName?: string;
  numbers?: string[] | 'all';
  state?: AutomationState;
  voicemail?: 'skip' | { delay: string };
  followUp?: false | { after: string };
}

/**
 * Creates the missed-call text-back automation with good default texts: live in a minute. It is an
 * ordinary automation afterwards: read it, dry-run it, change any step.
 */
export async function createMissedCallPreset(ctx: AppContext, input: MissedCallPresetInput, db: Tx = ctx.db.kysely): Promise<AutomationRow> {
  const org = await db.selectFrom('organizations').select('name').where('id', '=', input.orgId).executeTakeFirstOrThrow();
  const doc = missedCallTextBackPreset({
    businessName: input.businessName ?? org.name,
    numbers: input.numbers ?? 'all',
    state: input.state ?? 'active',
    ...(input.voicemail ? { voicemail: input.voicemail } : {}),
    ...(input.followUp !== undefined ? { followUp: input.followUp } : {}),
  });
  // A business name given here is the one the texts say (not a fallback for the organization's name).
  const named = input.businessName ? JSON.parse(JSON.stringify(doc).replaceAll(`{Business|${input.businessName.replace(/[{}]/g, '').trim()}}`, input.businessName.replace(/[{}"\\]/g, '').trim())) : doc;
  return createAutomation(ctx, input.orgId, named, 'missed-call-text-back', db);
}
