/** The demo organization created on first start: a business number, a team of agents, a few contacts. */
import { transaction, type AppContext } from '../app-context.js';
import { newId } from '../support/ids.js';
import { createMissedCallPreset } from './automations/presets.js';
import { recordFormConsent } from './compliance/consent.js';
import { findOrCreateContact } from './contacts.js';
import { createOrganization, createUser } from './organizations.js';

export const DEMO_NUMBER = '+14159434591';

export async function isFirstStart(ctx: AppContext): Promise<boolean> {
  const any = await ctx.db.kysely.selectFrom('organizations').select('id').limit(1).executeTakeFirst();
  return !any;
}

export const DEMO_OWNER_EMAIL = 'owner@demo.textback.local';

/** The demo organization; its owner signs in with `ownerPassword` (printed once by `serve`). */
export async function createDemoOrganization(ctx: AppContext, options: { apiKey?: string; ownerPassword?: string } = {}) {
  const created = await createOrganization(ctx, {
    name: 'Demo Plumbing Co.',
    timeZone: 'America/Los_Angeles',
    ownerEmail: DEMO_OWNER_EMAIL,
    ownerName: 'Dana Owner',
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    ...(options.ownerPassword !== undefined ? { ownerPassword: options.ownerPassword } : {}),
  });
  const orgId = created.org.id;
  await transaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    const teamId = newId('team');
    await tx.insertInto('teams').values({ id: teamId, org_id: orgId, name: 'Sales', settings: '{}', created_at: now, updated_at: now }).execute();
    const agents = [
      { email: 'ana@demo.textback.local', name: 'Ana Agent', role: 'agent' as const },
      { email: 'ben@demo.textback.local', name: 'Ben Agent', role: 'agent' as const },
      { email: 'sam@demo.textback.local', name: 'Sam Supervisor', role: 'supervisor' as const },
    ];
    for (const a of agents) {
      const user = await createUser(ctx, tx, { orgId, ...a });
      await tx.insertInto('team_members').values({ org_id: orgId, team_id: teamId, user_id: user.id, created_at: now }).execute();
    }
    await tx
      .insertInto('phone_numbers')
      .values({
        id: newId('num'),
        org_id: orgId,
        e164: DEMO_NUMBER,
        name: 'Main line',
        carrier: 'sandbox',
        capabilities: JSON.stringify(['sms', 'mms', 'voice']),
        team_id: teamId,
        created_at: now,
        updated_at: now,
      })
      .execute();
    // 555-01xx numbers are reserved for fiction and still valid in the numbering plan.
    const contacts = [
      { e164: '+14155550101', name: 'Alex Rivera', source: 'web_form' },
      { e164: '+14155550102', name: 'Jordan Lee', source: 'inbound_call' },
      { e164: '+14155550103', name: 'Casey Morgan', source: 'referral' },
    ];
    for (const c of contacts) {
      const { contact } = await findOrCreateContact(ctx, tx, orgId, c.e164, { name: c.name, source: c.source });
      // Demo leads agreed to texts on a (pretend) web form, so automations may text them.
      await recordFormConsent(ctx, tx, { orgId, contact, evidence: { form: 'demo data', disclosure: 'I agree to receive texts from Demo Plumbing. Msg & data rates may apply. Reply STOP to opt out.' } });
    }
    // Live at once: call the demo number from the sandbox, let it ring out, get the text 15 s later.
    await createMissedCallPreset(ctx, { orgId, businessName: 'Demo Plumbing', state: 'active' }, tx);
  });
  return created;
}
